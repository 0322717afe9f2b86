"""Stellar account addresses (StrKey ``G…``) from an ed25519 key: address types XLM, STELLAR and PI.

StrKey = base32(version byte 0x30 ‖ key ‖ CRC-16/XMODEM little-endian): 56 characters, no padding. Pi Network
runs the Stellar Consensus Protocol with the same account StrKeys, so PI is the same codec.
"""

from __future__ import annotations

import base64

from chains.common.hashes import crc16_xmodem
from chains.common.links import VERIFIED, okx_go_candidates
from indexer.plugins import ED25519, AddressCodec, AddressLink

TYPES = ("XLM", "PI", "STELLAR")


def address(pub: bytes) -> str:
    body = b"\x30" + pub
    return base64.b32encode(body + crc16_xmodem(body).to_bytes(2, "little")).decode()


def check_address(claimed: str, pub: bytes) -> AddressLink:
    if claimed == address(pub):
        return VERIFIED
    return "failed", "address is not the StrKey G… of the public key"


ADDRESS = AddressCodec(ED25519, check_address, address=address, variants={"okx-go": okx_go_candidates(lambda pub: [address(pub)])})
