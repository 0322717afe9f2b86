"""NULS rows: the address is derived from the key recovered from the OKX-header secp256k1 signature.

OKX's current tool derives it (``GenerateNULSAddress``: chain id 1 LE ‖ type 1 ‖
hash160(compressed key), base58 with a one-byte XOR checksum, prefix ``NULSd``); its
two real rows (message ``DTT_OKC_AA26``) come from the public mirror of its repository
via tests/fixtures/okx_mirror_vectors.json. The derivation is cross-checked against
aleph-nuls2 (an independent NULS 2.0 library) on fresh keys.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from coincurve import PrivateKey
from nuls2.model.data import get_address

from chains.nuls.codec import nuls_address, nuls_decode
from chains.common.framed_ecdsa import okx_digest
from indexer.models import SignedRow
from indexer.verify import verify_row, verify_row_compat

MIRROR = json.loads((Path(__file__).resolve().parent / "fixtures" / "okx_mirror_vectors.json").read_text())
NULS = MIRROR["nuls"]["rows"]


def mutate_hex(text: str, at: int = -12) -> str:
    i = at % len(text)
    return text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1 :]


def nuls_row(address: str, message: str, signature: str, network: str = "NULS", audit: bool = False) -> SignedRow:
    return SignedRow(row_no=1, coin="NULS", address=address, message=message, signature1=signature, network=network, audit=audit)


@pytest.mark.parametrize("v", NULS, ids=[v["address"] for v in NULS])
@pytest.mark.parametrize("audit", [False, True], ids=["report", "audit"])
def test_okx_nuls_vectors(v: dict, audit: bool) -> None:
    r = nuls_row(v["address"], v["message"], v["signature"], audit=audit)
    family, strict = verify_row(r, "okx")
    assert family == "ECDSA" and strict.status == "verified", strict
    assert verify_row_compat(r, "okx")[1].status == "verified"
    for bad in (replace(r, signature1=mutate_hex(v["signature"])), replace(r, message=v["message"] + "."),
                replace(r, address=v["address"][:-1] + ("A" if v["address"][-1] != "A" else "B"))):  # fmt: skip
        assert verify_row(bad, "okx")[1].status == "failed", bad
        assert verify_row_compat(bad, "okx")[1].status == "failed", bad


def test_one_account_s_signature_does_not_prove_another() -> None:
    a, b = NULS
    r = nuls_row(a["address"], b["message"], b["signature"])
    strict = verify_row(r, "okx")[1]
    assert strict.status == "failed" and b["address"] in strict.reason
    assert verify_row_compat(r, "okx")[1].status == "failed"


def test_the_address_is_derived_like_aleph_nuls2() -> None:
    for _ in range(20):
        pub = PrivateKey(os.urandom(32)).public_key.format(compressed=True)
        ours = nuls_address(pub)
        assert ours == get_address(pub, 1, "NULS")
        assert nuls_decode(ours)[:2] == (1, 1)
    tn = PrivateKey(os.urandom(32)).public_key.format(compressed=True)
    assert nuls_address(tn, chain_id=2, prefix="tNULS") == get_address(tn, 2, "tNULS")  # the prefix letter rule too


def test_the_xor_checksum_and_shape_are_checked() -> None:
    from chains.common.encoding import b58decode, b58encode

    address = NULS[0]["address"]
    raw = bytearray(b58decode(address[5:]))
    raw[-1] ^= 0x01
    with pytest.raises(ValueError, match="checksum"):
        nuls_decode("NULSd" + b58encode(bytes(raw)))
    with pytest.raises(ValueError):
        nuls_decode("NULSe" + address[5:])
    with pytest.raises(ValueError):
        nuls_address(b"\x04" + os.urandom(64))


def test_fresh_keys_and_okx_case_folding() -> None:
    key = PrivateKey(os.urandom(32))
    sig = key.sign_recoverable(okx_digest("I am an OKX address"), hasher=None)
    signature = "0x" + sig[:64].hex() + bytes([27 + sig[64]]).hex()
    address = nuls_address(key.public_key.format(compressed=True))
    r = nuls_row(address, "I am an OKX address", signature)
    assert verify_row(r, "okx")[1].status == "verified" and verify_row_compat(r, "okx")[1].status == "verified"
    folded = replace(r, address=address.swapcase())
    assert verify_row(folded, "okx")[1].status == "failed"  # base58: case is data, another (invalid) address
    assert verify_row_compat(folded, "okx")[1].status == "verified"  # OKX compares with EqualFold


def test_without_a_network_cell_the_old_coin_table_applies() -> None:
    """Coin-keyed NULS rows (older files) had no address derivation in OKX's tool: unchanged."""
    v = NULS[0]
    r = nuls_row(v["address"], v["message"], v["signature"], network="")
    assert verify_row(r, "okx")[1].status == "unsupported"
    assert verify_row_compat(r, "okx")[1].status == "failed"
