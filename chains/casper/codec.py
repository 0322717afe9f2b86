"""Casper accounts from an ed25519 key (address type CSPR): the tagged public key ``01‖key`` or its account hash,
``account-hash-`` + blake2b-256("ed25519" ‖ 0x00 ‖ key)."""

from __future__ import annotations

from chains.common.hashes import blake2b
from indexer.plugins import ED25519, AddressCodec, AddressLink


def address(pub: bytes) -> str:
    return "01" + pub.hex()


def check_address(claimed: str, pub: bytes) -> AddressLink:
    low = claimed.lower()
    if low == address(pub):
        return "verified", "Casper account public key (tag 01 = ed25519)"
    if low == "account-hash-" + blake2b(b"ed25519\x00" + pub, 32).hex():
        return "verified", "Casper account hash"
    return "failed", "address is neither 01‖key nor the account hash of the public key"


ADDRESS = AddressCodec(ED25519, check_address, address=address)
