"""STARK rows: Stark-curve ECDSA over a starknet.js (revision 0) typed-data hash (SPEC §3.7).

The typed-data hash chains Pedersen hashes, and Pedersen needs the Stark
curve's fixed constant points; rather than re-deriving those constants, the
C++ Pedersen/ECDSA of StarkWare's crypto-cpp is used through ``crypto-cpp-py``
(the bindings the SPEC's reference checks ran on). Its ``Verify`` takes only
the key's x-coordinate and accepts either y root, as cairo-lang does. The
import (it pulls sympy) is deferred to the first STARK row.

Strict verdict: ``signature_only`` at best. The account address is only hashed
into the message; a Starknet account is a contract whose signing key lives in
its storage, so nothing in the row ties the key to the account.
"""

from __future__ import annotations

from chains.common.hashes import keccak256, sha256
from chains.common.owners import raw_cell
from chains.common.variants import strict_and_okx_go
from indexer.models import Coin, SignedRow, Verdict

FIELD_PRIME = 2**251 + 17 * 2**192 + 1
EC_ORDER = 0x800000000000010FFFFFFFFFFFFFFFFB781126DCAE7B2321E66A241ADC64D2F
_MASK250 = 2**250 - 1
_SN_MAIN = 0x534E5F4D41494E  # "SN_MAIN"


class StarkMessageError(ValueError):
    """The message cannot be encoded as a felt the way starknet.js encodes it."""


def starknet_keccak(data: bytes) -> int:
    return int.from_bytes(keccak256(data), "big") & _MASK250


def short_string(text: str) -> int:
    raw = text.encode()
    if len(raw) > 31 or not text.isascii():
        raise StarkMessageError("message is not a short string (ASCII, at most 31 bytes)")
    return int.from_bytes(raw, "big")


def encode_felt(value: str) -> int:
    """starknet.js's ``getHex`` for a felt field: hex, else a decimal int64, else a short string."""
    if value[:2] in ("0x", "0X"):
        number = _parse_int(value)
        if number is None:
            raise StarkMessageError("message starts with 0x but is not hex")
    else:
        try:
            number = int(value, 10)
            if not -(2**63) <= number < 2**63 or not value.lstrip("+-").isdigit():
                raise ValueError
        except ValueError:
            return short_string(value)
    if not 0 <= number < FIELD_PRIME:
        number %= FIELD_PRIME
    return number


def _pedersen():
    from crypto_cpp_py.cpp_bindings import cpp_hash

    return cpp_hash


def _hash_array(elements: list[int]) -> int:
    pedersen = _pedersen()
    acc = 0
    for element in elements:
        acc = pedersen(acc, element)
    return pedersen(acc, len(elements))


_DOMAIN_TYPE = starknet_keccak(b"StarkNetDomain(name:felt,version:felt,chainId:felt)")
_MESSAGE_TYPE = starknet_keccak(b"Message(contents:felt)")
_PREFIX = int.from_bytes(b"StarkNet Message", "big")


def message_hash(account: int, message: str) -> int:
    """The typed-data hash OKX's Starknet signer signs."""
    domain = _hash_array([_DOMAIN_TYPE, int.from_bytes(b"OKX POR MESSAGE", "big"), 1, _SN_MAIN])
    body = _hash_array([_MESSAGE_TYPE, encode_felt(message)])
    return _hash_array([_PREFIX, domain, account, body])


def _parse_int(text: str) -> int | None:
    body = text[2:] if text[:2] in ("0x", "0X") else text
    if not body or any(c not in "0123456789abcdefABCDEF" for c in body):
        return None
    return int(body, 16)


def _signature(text: str, compat: bool) -> tuple[int, int] | None:
    if not compat and text[:2] in ("0x", "0X"):
        text = text[2:]
    if len(text) != 128 or any(c not in "0123456789abcdefABCDEF" for c in text):
        return None
    return int(text[:64], 16), int(text[64:], 16)


def ecdsa_ok(msg_hash: int, r: int, s: int, public_x: int) -> bool:
    """cairo-lang ``verify`` with an x-only key: range checks, then either y root."""
    if not (1 <= r < 2**251 and 1 <= s < EC_ORDER and 0 <= msg_hash < 2**251 and 0 < public_x < FIELD_PRIME):
        return False
    w = pow(s, -1, EC_ORDER)
    if not 1 <= w < 2**251:
        return False
    from crypto_cpp_py.cpp_bindings import cpp_verify

    try:
        return bool(cpp_verify(msg_hash, r, w, public_x))
    except Exception:  # an x with no point on the curve
        return False


def _verify_stark(row: SignedRow, coin: Coin, compat: bool) -> Verdict:
    if compat:
        def cell(name: str) -> str:
            value = raw_cell(row, name)
            return value.strip() if row.audit else value
    else:
        def cell(name: str) -> str:
            return getattr(row, name)

    address, message, signature, pubkey = cell("address"), cell("message"), cell("signature1"), cell("script_or_pubkey")
    for name, value in (("address", address), ("message", message), ("signature1", signature)):
        if value == "":
            return Verdict("failed", f"{name} is empty")
    if pubkey in ("", "null") if compat else not pubkey:
        return Verdict("failed", "public key is missing")
    account, public_x = _parse_int(address), _parse_int(pubkey)
    if account is None or account >= FIELD_PRIME:
        return Verdict("failed", "address is not a Starknet felt in hex")
    if public_x is None:
        return Verdict("failed", "public key is not hex")
    rs = _signature(signature, compat)
    if rs is None:
        return Verdict("failed", "signature is not 128 hex characters (r ‖ s)")
    try:
        digest = message_hash(account, message)
    except StarkMessageError as exc:
        return Verdict("failed", str(exc))
    if not ecdsa_ok(digest, rs[0], rs[1], public_x):
        return Verdict("failed", "stark fail" if compat else "Stark ECDSA signature does not verify")
    if compat:
        return Verdict("verified")
    return Verdict(
        "signature_only",
        "the account address is only hashed into the message; a Starknet account's key is contract storage, not derivable",
    )


verify_stark, verify_stark_okx_go = strict_and_okx_go(_verify_stark, "verify_stark")


def private_key_from_seed(seed: bytes) -> int:
    """A fresh deterministic Stark private key (never a real wallet key)."""
    return int.from_bytes(sha256(b"stark\0" + seed), "big") % (EC_ORDER - 1) + 1


def sign_stark(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    from crypto_cpp_py.cpp_bindings import cpp_get_public_key, cpp_sign

    priv = private_key_from_seed(seed)
    account = int.from_bytes(sha256(b"stark-account\0" + seed), "big") % FIELD_PRIME
    r, s = cpp_sign(message_hash(account, message), priv)
    return {
        "address": f"0x{account:064x}",
        "signature1": f"{r:064x}{s:064x}",
        "signature2": "",
        "script_or_pubkey": hex(cpp_get_public_key(priv)),
        "eoa1": "",
        "eoa2": "",
    }

