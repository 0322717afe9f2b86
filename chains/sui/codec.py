"""Sui addresses from an ed25519 key (address type SUI): blake2b-256(flag 0x00 ‖ key), a 32-byte number."""

from __future__ import annotations

from chains.common.links import flagged_key_hash, hex32_link, okx_go_candidates
from indexer.plugins import ED25519, AddressCodec, AddressLink


def check_address(claimed: str, pub: bytes) -> AddressLink:
    return hex32_link(claimed, flagged_key_hash(pub), "blake2b-256(0x00‖key)")


def address(pub: bytes) -> str:
    return "0x" + flagged_key_hash(pub).hex()


ADDRESS = AddressCodec(ED25519, check_address, address=address, variants={"okx-go": okx_go_candidates(lambda pub: [address(pub)])})
