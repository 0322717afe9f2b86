"""Pure Substrate codecs: storage keys and the SCALE values of ``System.Account`` and ``Assets.Account``, and the
SS58 addresses of ed25519 keys on the Substrate chains OKX signs for (the Polkadot SDK family).

Storage keys are ``twox128(pallet) ‖ twox128(item) ‖ hasher(key)…``; the two twox128 prefixes are
constants (checked against xxhash in the tests), the map keys use ``blake2_128_concat``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from chains.common.encoding import b58decode
from chains.common.links import VERIFIED, okx_go_candidates
from chains.common.ss58 import ss58_address, ss58_decode
from indexer.plugins import ED25519, AddressCodec, AddressLink

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


# --- SS58 addresses of a key ---------------------------------------------------------------------------------
# OKX's address type -> the SS58 network id its tool encodes with (Polkadot and Asset Hub 0, Kusama 2, Enjin Relay
# 2135, Phala 30, Clover and Avail 42, Shiden 5, Centrifuge 36, Efinity 1110, Karura 8)
SS58_IDS = {
    "DOT": 0, "ASSET-HUB": 0, "KSM": 2, "ENJIN": 2135, "PHA": 30, "CLV": 42,
    "AVAIL": 42, "SDN": 5, "CFG": 36, "EFI": 1110, "KARU": 8,
}  # fmt: skip
# Types OKX's tool leaves signature-only, checked here under any prefix; synthetic rows use each chain's own id
# (Acala 10, Astar 5, Enjin Matrixchain 2135).
ANY_PREFIX_IDS = {"ACA": 10, "ASTR": 5, "ENJ": 2135}


def _on_network(ident: int) -> Callable[[str, bytes], AddressLink]:
    def check(claimed: str, pub: bytes) -> AddressLink:
        if claimed == ss58_address(pub, ident):
            return VERIFIED
        try:
            prefix, account = ss58_decode(claimed)
        except ValueError as exc:
            return "failed", f"address is not SS58: {exc}"
        if account != pub:
            return "failed", "SS58 address encodes a different public key"
        return "failed", f"SS58 network prefix is {prefix.hex()}, expected id {ident}"

    return check


def check_any_prefix(claimed: str, pub: bytes) -> AddressLink:
    looks_ss58 = False
    try:
        looks_ss58 = len(b58decode(claimed)) in (35, 36)
        _, account = ss58_decode(claimed)
    except ValueError as exc:
        if looks_ss58:
            return "failed", f"address is not valid SS58: {exc}"
        return "signature_only", "address is not SS58; no key derivation applied"
    if account == pub:
        return "verified", "SS58 address encodes the public key"
    return "failed", "SS58 address encodes a different public key"


def _codec(ident: int) -> AddressCodec:
    def address(pub: bytes) -> str:
        return ss58_address(pub, ident)

    return AddressCodec(ED25519, _on_network(ident), address=address, variants={"okx-go": okx_go_candidates(lambda pub: [address(pub)])})


def _any_prefix_codec(ident: int) -> AddressCodec:
    return AddressCodec(ED25519, check_any_prefix, address=lambda pub: ss58_address(pub, ident))


ADDRESS_CODECS = {
    **{t: _codec(i) for t, i in SS58_IDS.items()},
    **{t: _any_prefix_codec(i) for t, i in ANY_PREFIX_IDS.items()},
}
