"""BETH rows: a BLS12-381 signature by the validator key that *is* the address (SPEC §3.6).

The signed message is the 32-byte EVM digest ``keccak256(ETH32 ‖ keccak256(msg))``
under the IETF proof-of-possession ciphersuite (min-pubkey-size, DST
``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``), i.e. the Ethereum consensus
``Verify``. It is assembled from py-arkworks-bls12381 primitives (Rust
arkworks; ~6 ms per verify, maintained): subgroup-checked point decoding,
RFC 9380 hash-to-G2 with the POP DST, one pairing check. py_ecc (pure Python,
~330 ms) reproduces the same vector and stays in the tests as the independent
signer; milagro-bls-binding was measured too (~4 ms) but is deprecated.
"""

from __future__ import annotations

from chains.common.encoding import fixed_hex
from chains.common.hashes import keccak256, sha256
from chains.common.messages import ETH32
from chains.common.owners import raw_cell
from chains.common.variants import strict_and_okx_go
from indexer.models import Coin, SignedRow, Verdict

_CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
_INFINITY_G1 = b"\xc0" + bytes(47)
_INFINITY_G2 = b"\xc0" + bytes(95)
POP_DST = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"


def beth_digest(message: str) -> bytes:
    return keccak256(ETH32 + keccak256(message.encode()))


def bls_verify(pub: bytes, message: bytes, sig: bytes) -> bool:
    """IETF CoreVerify with KeyValidate: e(pk, H(m)) == e(g1, sig); ValueError on undecodable points."""
    from py_arkworks_bls12381 import GT, G1Point, G2Point

    try:
        pk, signature = G1Point.from_compressed_bytes(pub), G2Point.from_compressed_bytes(sig)
    except Exception as exc:  # the binding raises its own error types on bad encodings
        raise ValueError(str(exc) or "not a valid compressed point") from None
    if pk == G1Point.identity() or not pk.is_in_subgroup():
        return False
    if signature == G2Point.identity() or not signature.is_in_subgroup():
        return False
    return GT.pairing_check([pk, -G1Point()], [G2Point.hash_to_curve(message, POP_DST), signature])


def _verify_beth(row: SignedRow, coin: Coin, compat: bool) -> Verdict:
    """Strict and compat agree here: the key is the address, so a valid signature is the whole proof."""
    if compat:  # OKX's VerifyAddress does not trim cells: " 0x…" fails there
        address, signature = raw_cell(row, "address"), raw_cell(row, "signature1")
        if row.audit:
            address, signature = address.strip(), signature.strip()
    else:
        address, signature = row.address, row.signature1
    if not address or not row.message or not signature:
        return Verdict("failed", "address, message or signature1 is empty")
    pub = fixed_hex(address, 48)
    if pub is None:
        return Verdict("failed", "address is not a 48-byte compressed BLS12-381 public key")
    sig = fixed_hex(signature, 96)
    if sig is None:
        return Verdict("failed", "signature is not a 96-byte compressed BLS12-381 G2 point")
    if pub == _INFINITY_G1:
        return Verdict("failed", "public key is the point at infinity")
    if sig == _INFINITY_G2:
        return Verdict("failed", "signature is the identity point")
    try:
        ok = bls_verify(pub, beth_digest(row.message), sig)
    except ValueError as exc:
        return Verdict("failed", f"BLS decoding failed: {exc}")
    if not ok:
        return Verdict("failed", "bls fail" if compat else "BLS signature does not verify")
    return Verdict("verified", "" if compat else "the address is the validator's BLS public key")


verify_beth, verify_beth_okx_go = strict_and_okx_go(_verify_beth, "verify_beth")


def secret_from_seed(seed: bytes) -> bytes:
    """A fresh deterministic BLS secret key (never a real validator key)."""
    secret = int.from_bytes(sha256(b"beth\0" + seed), "big") % (_CURVE_ORDER - 1) + 1
    return secret.to_bytes(32, "big")


def sign_beth(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    from py_arkworks_bls12381 import G1Point, G2Point, Scalar

    sk = Scalar(int.from_bytes(secret_from_seed(seed), "big"))
    pub = G1Point() * sk
    sig = G2Point.hash_to_curve(beth_digest(message), POP_DST) * sk
    return {
        "address": "0x" + pub.to_compressed_bytes().hex(),
        "signature1": "0x" + sig.to_compressed_bytes().hex(),
        "signature2": "",
        "script_or_pubkey": "",
        "eoa1": "",
        "eoa2": "",
    }

