"""EOS-family (EOS, Vaulta, WAX) key signatures from the audit layout (SPEC §3.8).

``SIG_K1_`` signatures over ``sha256(varstr(OKX header) ‖ varstr(message))`` must
recover the published ``EOS…`` key (or both keys of the dual-key JSON form).
The account name is an on-chain permission table entry, so no file can tie it to
a key: a passing row is ``signature_only`` in the strict verdict.
"""

from __future__ import annotations

import json
from functools import lru_cache

from chains.common.encoding import b58decode, b58encode
from chains.common.hashes import ripemd160, sha256
from chains.common.messages import okx_preimage
from chains.common.owners import raw_cell
from chains.common.secp import SignatureError, key_from_seed, recover
from chains.common.variants import strict_and_okx_go
from indexer.models import Coin, SignedRow, Verdict

__all__ = ["eos_digest", "eos_public_key", "parse_eos_signature", "verify_eos", "verify_eos_okx_go", "sign_eos"]

ACCOUNT_NOT_LINKED = "EOS account permissions are on-chain; key not linked to account name"
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz12345"


@lru_cache(maxsize=256)
def eos_digest(message: str) -> bytes:
    return sha256(okx_preimage(message))


def eos_public_key(compressed: bytes) -> str:
    """Legacy ``EOS…`` text of a 33-byte key (checksum ripemd160(key)[:4])."""
    return "EOS" + b58encode(compressed + ripemd160(compressed)[:4])


def _decode_public_key(text: str, compat: bool) -> bytes | str:
    if text.startswith("EOS"):
        body, suffix = text[3:], b""
    elif text.startswith("PUB_K1_") and not compat:  # OKX supports only the legacy form
        body, suffix = text[7:], b"K1"
    else:
        return f"public key {text!r} is not a legacy EOS… key" + ("" if compat else " or PUB_K1_… key")
    try:
        raw = b58decode(body)
    except ValueError as exc:
        return f"public key is not base58 ({exc})"
    if len(raw) != 37 or ripemd160(raw[:33] + suffix)[:4] != raw[33:]:
        return "public key checksum or length is wrong"
    if raw[0] not in (2, 3):
        return "public key is not a compressed secp256k1 key"
    return raw[:33]


def parse_eos_signature(text: str) -> tuple[bytes, int] | str:
    """(r‖s, header byte i) from ``SIG_K1_…``, or the problem."""
    if not text.startswith("SIG_K1_"):
        return "signature is not SIG_K1_…"
    try:
        raw = b58decode(text[7:])
    except ValueError as exc:
        return f"signature is not base58 ({exc})"
    if len(raw) != 69:
        return f"signature decodes to {len(raw)} bytes, expected 69"
    if ripemd160(raw[:65] + b"K1")[:4] != raw[65:]:
        return "signature checksum is wrong"
    return raw[1:65], raw[0]


def _check(signature: str, public_key: str, digest: bytes, compat: bool) -> str:
    parsed = parse_eos_signature(signature)
    if isinstance(parsed, str):
        return parsed
    want = _decode_public_key(public_key, compat)
    if isinstance(want, str):
        return want
    try:
        got = recover(digest, parsed[0], parsed[1]).format(compressed=True)
    except SignatureError as exc:
        return str(exc)
    return "" if got == want else f"signed by {eos_public_key(got)}, not {public_key}"


def _key_pairs(pubkey: str, sig1: str, sig2: str) -> list[tuple[str, str, str]] | str:
    """(label, signature, key) pairs: one key, or both keys of the ``{"publicKey1":…,"publicKey2":…}`` form."""
    text = pubkey
    if text[:1] == '"' and text[-1:] == '"':
        text = text[1:-1].replace('""', '"')
    if not text.startswith("{"):
        return [("", sig1, text)]
    try:
        keys = json.loads(text)
        k1, k2 = keys["publicKey1"], keys["publicKey2"]
    except (ValueError, KeyError, TypeError):
        return "public key JSON is not {publicKey1, publicKey2}"
    if not isinstance(k1, str) or not isinstance(k2, str):
        return "public key JSON values must be strings"
    return [("signature1/publicKey1", sig1, k1.strip()), ("signature2/publicKey2", sig2, k2.strip())]


def _verify_eos(row: SignedRow, coin: Coin, compat: bool) -> Verdict:
    if compat:
        address, message, sig1, sig2, pubkey = (
            raw_cell(row, n).strip() for n in ("address", "message", "signature1", "signature2", "script_or_pubkey")
        )
        if pubkey == "null":
            pubkey = ""
    else:
        address, message, sig1, sig2, pubkey = row.address, row.message, row.signature1, row.signature2, row.script_or_pubkey
    for name, value in (("address", address), ("message", message), ("signature1", sig1), ("public key", pubkey)):
        if value == "":
            return Verdict("failed", f"{name} is empty")
    pairs = _key_pairs(pubkey, sig1, sig2)
    if isinstance(pairs, str):
        return Verdict("failed", pairs)
    digest = eos_digest(message)
    for label, signature, key in pairs:
        if not signature:
            return Verdict("failed", f"{label}: signature is empty")
        problem = _check(signature, key, digest, compat)
        if problem:
            return Verdict("failed", f"{label}: {problem}" if label else problem)
    return Verdict("verified") if compat else Verdict("signature_only", ACCOUNT_NOT_LINKED)


verify_eos, verify_eos_okx_go = strict_and_okx_go(_verify_eos, "verify_eos")


def _account_name(seed: bytes) -> str:
    digest = sha256(b"eos-account\0" + seed)
    return "".join(_NAME_CHARS[b % len(_NAME_CHARS)] for b in digest[:12])


def sign_eos(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    """A real SIG_K1_ signature (header byte 31..34, the compressed-key form EOS wallets emit)."""
    key = key_from_seed(seed, b"eos")
    sig = key.sign_recoverable(eos_digest(message), hasher=None)
    body = bytes([31 + sig[64]]) + sig[:64]
    return {
        "address": _account_name(seed),
        "signature1": "SIG_K1_" + b58encode(body + ripemd160(body + b"K1")[:4]),
        "signature2": "",
        "script_or_pubkey": eos_public_key(key.public_key.format(compressed=True)),
        "eoa1": "",
        "eoa2": "",
    }

