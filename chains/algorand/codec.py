"""Algorand addresses from an ed25519 key (address type ALGO): base32(key ‖ last 4 bytes of SHA-512/256(key)).

A rekeyed account keeps its address while another key signs for it (``auth-addr``, on-chain state): an address
that is another key's account is therefore not a failure, only unproven.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from indexer.plugins import ED25519, AddressCodec, AddressLink


def _checksum(pub: bytes) -> bytes:
    return hashlib.new("sha512_256", pub).digest()[-4:]


def address(pub: bytes) -> str:
    return base64.b32encode(pub + _checksum(pub)).decode().rstrip("=")


def decode(text: str) -> bytes | None:
    """The 32-byte key an address encodes (checksum checked), else None."""
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None
    return raw[:32] if len(raw) == 36 and _checksum(raw[:32]) == raw[32:] else None


def check_address(claimed: str, pub: bytes) -> AddressLink:
    if claimed == address(pub):
        return "verified", "Algorand address = key ‖ checksum; a rekey would move control on-chain (not checked)"
    if decode(claimed) is not None:
        return "signature_only", "address is another key's account; Algorand rekeying (auth-addr, on-chain) is not checked"
    return "failed", "address is not an Algorand address"


ADDRESS = AddressCodec(ED25519, check_address, address=address)
