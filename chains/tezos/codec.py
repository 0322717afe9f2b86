"""Tezos addresses from an ed25519 key (address types TEZOS, XTZ): ``tz1`` = base58check(prefix ‖ blake2b-160(key)).

A ``KT1`` address is an originated contract whose signers are its storage, not a key's derivation.
"""

from __future__ import annotations

from chains.common.encoding import b58check_encode
from chains.common.hashes import blake2b
from indexer.plugins import ED25519, AddressCodec, AddressLink

TZ1_PREFIX = b"\x06\xa1\x9f"


def tz1(pub: bytes) -> str:
    return b58check_encode(TZ1_PREFIX + blake2b(pub, 20))


def check_address(claimed: str, pub: bytes) -> AddressLink:
    if claimed == tz1(pub):
        return "verified", ""
    if claimed.startswith("KT1"):
        return "signature_only", "KT1 contract account: its signers are contract storage, not checked"
    return "failed", "address is not the tz1 of the public key"


ADDRESS = AddressCodec(ED25519, check_address, address=tz1)
