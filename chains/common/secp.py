"""secp256k1 public-key recovery with the rules every OKX ECDSA family shares (SPEC §3.0).

One place decides what a well-formed recoverable signature is, so the EVM,
OKX-ECDSA, TRX, EOS and UTXO verifiers cannot drift apart.
"""

from __future__ import annotations

from coincurve import PublicKey

from chains.common.ethaddr import account_id

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = N // 2


class SignatureError(ValueError):
    """The signature is malformed or does not recover to a key; the message says which."""


def parse_hex_signature(text: str) -> bytes:
    """65 bytes ``r‖s‖v`` from hex with or without ``0x``."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        raise SignatureError("signature is not valid hex") from None
    if len(raw) != 65:
        raise SignatureError(f"signature is {len(raw)} bytes, expected 65")
    if len(body) != 130:  # bytes.fromhex skips spaces; a Go hex decoder does not
        raise SignatureError("signature hex contains whitespace")
    return raw


def rsv_signature(text: str) -> bytes:
    """65 bytes ``r‖s‖v`` with v 27/28, from hex whose v is 0/1 (ethereumjs' fromRpcSig and TronWeb read them as
    27/28) or 27/28; any other v is refused."""
    sig = parse_hex_signature(text)
    v = sig[64] + 27 if sig[64] in (0, 1) else sig[64]
    if v not in (27, 28):
        raise SignatureError(f"recovery byte {sig[64]} is not 0, 1, 27 or 28")
    return sig[:64] + bytes([v])


def recover(digest: bytes, r_s: bytes, v: int) -> PublicKey:
    """Recover the public key from a 32-byte digest, ``r‖s`` (64 bytes) and a header byte v in 27..34."""
    if not 27 <= v <= 34:
        raise SignatureError(f"recovery byte {v} is outside 27..34")
    r = int.from_bytes(r_s[:32], "big")
    s = int.from_bytes(r_s[32:], "big")
    if not (0 < r < N and 0 < s < N):
        raise SignatureError("r or s is zero or not below the curve order")
    recid = (v - 27) % 4
    try:
        return PublicKey.from_signature_and_message(r_s + bytes([recid]), digest, hasher=None)
    except Exception as exc:  # coincurve raises bare Exception on failed recovery
        raise SignatureError(f"public key recovery failed: {exc}") from None


def is_high_s(r_s: bytes) -> bool:
    return int.from_bytes(r_s[32:64], "big") > HALF_N


def key_from_seed(seed: bytes, domain: bytes):
    """A fresh, deterministic private key for synthetic rows (``por synth``, tests): never a real wallet key.

    ``domain`` separates families so one seed never yields the same key twice.
    """
    from coincurve import PrivateKey

    from chains.common.hashes import sha256

    secret = int.from_bytes(sha256(domain + b"\0" + seed), "big") % (N - 1) + 1
    return PrivateKey(secret.to_bytes(32, "big"))


def recovered_account(digest: bytes, sig: bytes) -> bytes | str:
    """The 20-byte ``keccak(X‖Y)[12:]`` account that signed ``digest`` (65-byte r‖s‖v, v 27/28), or why none."""
    try:
        pub = recover(digest, sig[:64], sig[64]).format(compressed=False)
    except SignatureError as exc:
        return str(exc)
    return account_id(pub)


def compressed(uncompressed: bytes) -> bytes:
    """The 33-byte compressed form (02/03 ‖ X) of a 65-byte ``04 ‖ X ‖ Y`` key, by Y's parity."""
    return bytes([2 | (uncompressed[64] & 1)]) + uncompressed[1:33]
