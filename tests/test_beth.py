"""BETH: BLS12-381 signatures made by py_ecc (independent, pure Python) and checked by the milagro-based verifier."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chains.beacon.verify import beth_digest, sign_beth, verify_beth, verify_beth_okx_go
from indexer.models import SignedRow
from indexer.registry import registry
from tests.fixtures.secp_vectors import coin_for, row_from_vector, vectors

MSG = "I am an OKX address"


def digest_from_spec(message: str) -> bytes:
    from Crypto.Hash import keccak

    def k(data: bytes) -> bytes:
        return keccak.new(digest_bits=256, data=data).digest()

    return k(b"\x19Ethereum Signed Message:\n32" + k(message.encode()))


@pytest.fixture(scope="module")
def py_ecc_row() -> SignedRow:
    from py_ecc.bls import G2ProofOfPossession as bls

    sk = 0x2C5D8F3A1B  # any scalar below the group order
    pub, sig = bls.SkToPk(sk), bls.Sign(sk, digest_from_spec(MSG))
    return SignedRow(row_no=1, coin="BETH", address="0x" + pub.hex(), message=MSG, signature1="0x" + sig.hex())


def flip(text: str, index: int) -> str:
    return text[:index] + ("1" if text[index] != "1" else "2") + text[index + 1 :]


def test_digest_matches_spec() -> None:
    assert beth_digest(MSG) == digest_from_spec(MSG)


def test_py_ecc_signature_verifies_and_mutations_fail(py_ecc_row: SignedRow) -> None:
    coin = registry().coin("BETH")
    verdict = verify_beth(py_ecc_row, coin)
    assert verdict.status == "verified" and "BLS public key" in verdict.reason
    assert verify_beth_okx_go(py_ecc_row, coin).status == "verified"
    bad_rows = {
        "signature": replace(py_ecc_row, signature1=flip(py_ecc_row.signature1, 40)),
        "message": replace(py_ecc_row, message=MSG + "."),
        "address": replace(py_ecc_row, address=flip(py_ecc_row.address, 40)),
        "short": replace(py_ecc_row, address=py_ecc_row.address[:-2]),
    }
    for what, row in bad_rows.items():
        assert verify_beth(row, coin).status == "failed", what
        assert verify_beth_okx_go(row, coin).status == "failed", what


def test_identity_signature_and_infinity_key_rejected(py_ecc_row: SignedRow) -> None:
    coin = registry().coin("BETH")
    infinity_key = replace(py_ecc_row, address="0xc0" + "00" * 47)
    identity_sig = replace(py_ecc_row, signature1="0xc0" + "00" * 95)
    both = replace(infinity_key, signature1=identity_sig.signature1)
    for row in (infinity_key, identity_sig, both):
        assert verify_beth(row, coin).status == "failed"


def test_signer_output_checked_by_py_ecc() -> None:
    from py_ecc.bls import G2ProofOfPossession as bls

    coin = registry().coin("BETH")
    cells = sign_beth(coin, MSG, b"seed-1")
    pub, sig = bytes.fromhex(cells["address"][2:]), bytes.fromhex(cells["signature1"][2:])
    assert bls.Verify(pub, digest_from_spec(MSG), sig)
    assert not bls.Verify(pub, digest_from_spec(MSG + "!"), sig)
    row = SignedRow(row_no=1, coin="BETH", message=MSG, **cells)
    assert verify_beth(row, coin).status == "verified"


def test_okx_beth_vectors() -> None:
    seen = 0
    for v in vectors("BETH"):
        row, coin = row_from_vector(v), coin_for(v)
        expected = "verified" if v["expected"] == "pass" else "failed"
        assert verify_beth(row, coin).status == expected, v["id"]
        assert verify_beth_okx_go(row, coin).status == expected, v["id"]
        seen += 1
    assert seen >= 2


def test_key_outside_the_prime_subgroup_rejected(py_ecc_row: SignedRow) -> None:
    """A point on the curve but outside the r-torsion (KeyValidate must refuse it)."""
    from py_ecc.optimized_bls12_381 import curve_order, field_modulus as q

    x = 1
    while True:
        v = (x**3 + 4) % q
        y = pow(v, (q + 1) // 4, q)
        if y * y % q == v:
            break
        x += 1
    from py_ecc.optimized_bls12_381 import FQ, multiply

    assert multiply((FQ(x), FQ(y), FQ(1)), curve_order)[2] != FQ(0)  # really not in the subgroup
    flags = 0x80 | (0x20 if y > (q - 1) // 2 else 0)
    encoded = bytearray(x.to_bytes(48, "big"))
    encoded[0] |= flags
    row = replace(py_ecc_row, address="0x" + encoded.hex())
    assert verify_beth(row, registry().coin("BETH")).status == "failed"
