"""Pure Substrate codecs: storage keys and the SCALE values of ``System.Account`` and ``Assets.Account``.

Storage keys are ``twox128(pallet) ‖ twox128(item) ‖ hasher(key)…``; the two twox128 prefixes are
constants (checked against xxhash in the tests), the map keys use ``blake2_128_concat``.
"""

from __future__ import annotations

import hashlib

from chains.common.ed25519_addresses import ss58_decode

SYSTEM_ACCOUNT = bytes.fromhex("26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9")
ASSETS_ACCOUNT = bytes.fromhex("682a59d51ab9e48a8c8cc418ff9708d2b99d880ec681799c0cf30e8886371da9")
TIMESTAMP_NOW = bytes.fromhex("f0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb")


def blake2_128_concat(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest() + data


def account_id(address: str) -> bytes:
    """The 32-byte AccountId of an SS58 address (any network prefix) or of a 0x-hex public key."""
    text = address.strip()
    if text.startswith("0x") and len(text) == 66:
        return bytes.fromhex(text[2:])
    _, pub = ss58_decode(text)
    return pub


def system_account_key(who: bytes) -> str:
    return "0x" + (SYSTEM_ACCOUNT + blake2_128_concat(who)).hex()


def assets_account_key(asset_id: int, who: bytes) -> str:
    return "0x" + (ASSETS_ACCOUNT + blake2_128_concat(asset_id.to_bytes(4, "little")) + blake2_128_concat(who)).hex()


def _u128(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 16], "little")


def decode_account_info(value_hex: str) -> tuple[int, int, int, int]:
    """``AccountInfo`` → (free, reserved, frozen, flags): 4×u32 counters (3 before ``sufficients``, 2021) then 4×u128."""
    data = bytes.fromhex(value_hex.removeprefix("0x"))
    if len(data) == 80:
        at = 16
    elif len(data) == 76:
        at = 12
    else:
        raise ValueError(f"AccountInfo of {len(data)} bytes: not a known layout (76 or 80)")
    return _u128(data, at), _u128(data, at + 16), _u128(data, at + 32), _u128(data, at + 48)


def decode_asset_balance(value_hex: str) -> int:
    """``AssetAccount`` starts with ``balance: u128``."""
    data = bytes.fromhex(value_hex.removeprefix("0x"))
    if len(data) < 17:
        raise ValueError(f"AssetAccount of {len(data)} bytes is too short")
    return _u128(data, 0)


def decode_moment(value_hex: str) -> int:
    """``Timestamp.Now``: u64 milliseconds."""
    data = bytes.fromhex(value_hex.removeprefix("0x"))
    if len(data) != 8:
        raise ValueError("Timestamp.Now is not a u64")
    return int.from_bytes(data, "little")
