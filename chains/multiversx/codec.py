"""MultiversX (Elrond) addresses from an ed25519 key (address types EGLD, ERD): bech32 with prefix ``erd`` of the key."""

from __future__ import annotations

from chains.common.encoding import bech32_encode
from indexer.plugins import ED25519, AddressCodec, AddressLink


def address(pub: bytes) -> str:
    return bech32_encode("erd", pub)


def check_address(claimed: str, pub: bytes) -> AddressLink:
    if claimed.lower() == address(pub):
        return "verified", ""
    return "failed", "address is not bech32('erd', public key)"


ADDRESS = AddressCodec(ED25519, check_address, address=address)
