"""Cardano Shelley addresses (CIP-19) and the ed25519 key check of ADA rows.

Why a decoder and not a derivation: a base address (``addr1q…``) commits to a
payment credential *and* a stake credential, a pointer address (``addr1g…``) to a
payment credential and a chain pointer. Neither second part can be derived from
the payment key, so the address cannot be rebuilt from the row's key; it is
decoded instead and its payment credential compared with ``blake2b-224(key)``.
On Cardano the payment credential alone decides who may spend the address's
outputs, which is what ownership means for reserves; the stake part only
directs rewards. OKX's current tool does the same (the public mirror's
``common/address.go``, ``AdaAddressMatchesPubKey``; before mid-2026 it rebuilt
the enterprise address only).

Header byte (CIP-19): high nibble = address type, low nibble = network id
(1 = mainnet). Types 0..3 are base addresses (payment key/script x stake
key/script, 57 bytes), 4..5 pointer addresses (29 bytes + three variable-length
naturals), 6..7 enterprise addresses (29 bytes), 14..15 reward (stake)
addresses; an odd type 0..7 has a script, not a key, as payment credential.
"""

from __future__ import annotations

from dataclasses import dataclass

from chains.common.encoding import bech32_decode, bech32_encode
from chains.common.hashes import blake2b
from indexer.plugins import ED25519, AddressCodec, AddressLink

HASH_LEN = 28  # blake2b-224 credential hash
MAINNET = 1
_HRP = {"addr": "payment", "addr_test": "payment", "stake": "reward", "stake_test": "reward"}


@dataclass(frozen=True, slots=True)
class ShelleyAddress:
    kind: int  # header type nibble
    network_id: int
    payment: bytes | None  # payment credential hash; None for a reward address
    payment_is_script: bool
    stake: bytes | None  # stake credential hash of a base (or reward) address
    stake_is_script: bool
    pointer: tuple[int, int, int] | None  # (slot, transaction index, certificate index) of a pointer address


def _naturals(data: bytes, count: int) -> tuple[int, ...]:
    """``count`` variable-length naturals (7 bits per byte, high bit = more), consuming ``data`` exactly."""
    out: list[int] = []
    i = 0
    for _ in range(count):
        value = 0
        while True:
            if i >= len(data):
                raise ValueError("pointer is truncated")
            byte = data[i]
            i += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    if i != len(data):
        raise ValueError(f"{len(data) - i} bytes after the pointer")
    return tuple(out)


def decode(address: str) -> ShelleyAddress:
    """The parts of a bech32 Shelley address; ValueError says what is malformed.

    Cardano waives bech32's 90-character limit (a base address has 103 characters),
    so the decoder's limit is the bech32 maximum of 1023.
    """
    hrp, raw = bech32_decode(address)
    role = _HRP.get(hrp)
    if role is None:
        raise ValueError(f"human-readable part {hrp!r} is not a Shelley address prefix")
    if not raw:
        raise ValueError("empty address payload")
    kind, network_id = raw[0] >> 4, raw[0] & 0x0F
    if (network_id == MAINNET) != (hrp in ("addr", "stake")):
        raise ValueError(f"prefix {hrp!r} does not match network id {network_id}")
    body = raw[1:]
    if kind in (14, 15):
        if role != "reward" or len(body) != HASH_LEN:
            raise ValueError("malformed reward address")
        return ShelleyAddress(kind, network_id, None, False, body, kind == 15, None)
    if kind > 7 or role != "payment":
        raise ValueError(f"header type {kind} is not a Shelley payment address")
    payment, script = body[:HASH_LEN], bool(kind & 1)
    if kind <= 3:
        if len(body) != 2 * HASH_LEN:
            raise ValueError(f"base address payload is {len(body)} bytes, expected {2 * HASH_LEN}")
        return ShelleyAddress(kind, network_id, payment, script, body[HASH_LEN:], kind in (2, 3), None)
    if kind <= 5:
        if len(body) < HASH_LEN + 3:
            raise ValueError("pointer address is too short")
        slot, tx, cert = _naturals(body[HASH_LEN:], 3)
        return ShelleyAddress(kind, network_id, payment, script, None, False, (slot, tx, cert))
    if len(body) != HASH_LEN:
        raise ValueError(f"enterprise address payload is {len(body)} bytes, expected {HASH_LEN}")
    return ShelleyAddress(kind, network_id, payment, script, None, False, None)


def key_hash(pub: bytes) -> bytes:
    return blake2b(pub, HASH_LEN)


def check(claimed: str, pub: bytes) -> AddressLink:
    """Strict (status, reason): the address is a mainnet Shelley payment address whose payment key is ``pub``.

    A Byron address (``Ae2…``, ``DdzFF…``) hashes an extended key and its attributes, which the row does not carry.
    """
    if claimed[:2] in ("Ae", "Dd"):
        return "signature_only", "Byron address: it hashes an extended key the row does not carry"
    try:
        addr = decode(claimed)
    except ValueError as exc:
        return "failed", f"address is not a Cardano Shelley address: {exc}"
    if addr.network_id != MAINNET:
        return "failed", f"address is on network id {addr.network_id}, not mainnet"
    if addr.payment is None:
        return "failed", "a reward (stake) address holds no spendable outputs; it is not a payment address"
    if addr.payment_is_script:
        return "failed", "the payment credential is a script hash: no single key proves it"
    if addr.payment != key_hash(pub):
        return "failed", "address payment key hash is not blake2b-224(public key)"
    if addr.stake is not None:
        return "verified", "payment credential matches (the stake part does not control spending and is not checked)"
    if addr.pointer is not None:
        return "verified", "payment credential matches (pointer address; the pointer is not checked)"
    return "verified", ""


def okx_matches(claimed: str, pub: bytes) -> str:
    """OKX's current ``AdaAddressMatchesPubKey`` as its tool applies it: '' on a match, else the failure.

    Its rules, reproduced: the address is lower-cased before bech32 decoding (so a
    mixed-case address passes), the prefix must be ``addr``, at least 29 payload
    bytes, network id 1, address type 0, 2, 4 or 6, and the 28 bytes after the
    header equal blake2b-224(key). Payload lengths are not checked further.
    """
    try:
        hrp, raw = bech32_decode(claimed.lower())
    except ValueError as exc:
        return f"invalid bech32 address: {exc}"
    if hrp != "addr":
        return f"unexpected address prefix {hrp!r}"
    if len(raw) < 1 + HASH_LEN:
        return f"address payload too short: {len(raw)} bytes"
    if raw[0] & 0x0F != MAINNET:
        return f"not a mainnet address, network id {raw[0] & 0x0F}"
    if raw[0] >> 4 not in (0, 2, 4, 6):
        return f"address type {raw[0] >> 4} has no payment key hash"
    if raw[1 : 1 + HASH_LEN] != key_hash(pub):
        return "payment credential not match"
    return ""


def okx_go(claimed: str, pub: bytes) -> AddressLink:
    problem = okx_matches(claimed, pub)
    return ("failed", problem) if problem else ("verified", "")


def enterprise_address(pub: bytes) -> str:
    """The mainnet enterprise address (header 0x61: type 6, network 1) of the key: what a synthetic row shows."""
    return bech32_encode("addr", b"\x61" + key_hash(pub))


ADDRESS = AddressCodec(ED25519, check, address=enterprise_address, variants={"okx-go": okx_go})
