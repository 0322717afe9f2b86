"""Kadena account names from an ed25519 key (address type KDA).

A principal account ``k:<key hex>`` names its single key; any other (vanity) account is guarded by a keyset that
is on-chain state.
"""

from __future__ import annotations

from indexer.plugins import ED25519, AddressCodec, AddressLink


def address(pub: bytes) -> str:
    return "k:" + pub.hex()


def check_address(claimed: str, pub: bytes) -> AddressLink:
    if claimed.startswith("k:"):
        if claimed[2:].lower() == pub.hex():
            return "verified", "Kadena principal account k:<key>"
        return "failed", "k: account names a different key"
    return "signature_only", "Kadena vanity account: its keyset is on-chain state"


ADDRESS = AddressCodec(ED25519, check_address, address=address)
