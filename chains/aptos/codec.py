"""Aptos addresses from an ed25519 key (address type APTOS).

A single-key ed25519 account's authentication key is sha3-256(key ‖ 0x00), and an account created by that key
has that key as its address. An address is a 32-byte number: OKX's tool compares text, with and without the
leading zeros stripped; the strict check compares numbers.
"""

from __future__ import annotations

from chains.common.hashes import sha3_256
from chains.common.links import hex32_link, okx_go_candidates
from indexer.plugins import ED25519, AddressCodec, AddressLink

ROTATION = (
    "key is the authentication key eoa1; whether the account address uses that key "
    "(on-chain key rotation) is not provable from the row"
)


def auth_key(pub: bytes) -> bytes:
    """Single-key ed25519 authentication key = the address of an account created by that key."""
    return sha3_256(pub + b"\x00")


def check_address(claimed: str, pub: bytes) -> AddressLink:
    status, reason = hex32_link(claimed, auth_key(pub), "sha3-256(key‖0x00)")
    if status == "verified":
        return status, "address is the key's authentication key; later on-chain key rotation is not checked"
    return status, reason


def address(pub: bytes) -> str:
    return "0x" + auth_key(pub).hex()


def okx_candidates(pub: bytes) -> list[str]:
    full = address(pub)
    return [full, "0x" + full[2:].lstrip("0")]


ADDRESS = AddressCodec(ED25519, check_address, address=address, variants={"okx-go": okx_go_candidates(okx_candidates)}, owner_gap=ROTATION)
