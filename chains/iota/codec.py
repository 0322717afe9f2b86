"""IOTA addresses from an ed25519 key (address types IOTA, IOTA_NEW, IOTA_STARDUST).

IOTA Rebased (``0x…``, IOTA and IOTA_NEW) derives accounts the Move way, blake2b-256(flag 0x00 ‖ key); the
Stardust ledger (``iota1…``) is bech32 of the ed25519 address type 0x00 ‖ blake2b-256(key). Either form is
accepted for any of the three types.
"""

from __future__ import annotations

from chains.common.encoding import bech32_decode, bech32_encode
from chains.common.hashes import blake2b
from chains.common.links import VERIFIED, flagged_key_hash, hex32_link
from indexer.plugins import ED25519, AddressCodec, AddressLink


def rebased_address(pub: bytes) -> str:
    return "0x" + flagged_key_hash(pub).hex()


def stardust_address(pub: bytes) -> str:
    return bech32_encode("iota", b"\x00" + blake2b(pub, 32))


def check_address(claimed: str, pub: bytes) -> AddressLink:
    if claimed[:2] in ("0x", "0X"):
        return hex32_link(claimed, flagged_key_hash(pub), "blake2b-256(0x00‖key)")
    try:
        hrp, payload = bech32_decode(claimed)
    except ValueError:
        return "failed", "address is neither 0x-hex nor bech32"
    if hrp != "iota" or payload[:1] != b"\x00":
        return "failed", "address is not an IOTA mainnet ed25519 address"
    if payload[1:] != blake2b(pub, 32):
        return "failed", "address is not blake2b-256(public key)"
    return VERIFIED


REBASED = AddressCodec(ED25519, check_address, address=rebased_address)
STARDUST = AddressCodec(ED25519, check_address, address=stardust_address)
