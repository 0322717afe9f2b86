"""EOS SIG_K1_ signatures: fresh coincurve keys with SIG_K1/EOS encodings built here, dual keys, OKX vectors."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest
from coincurve import PrivateKey
from Crypto.Hash import RIPEMD160

from chains.common.encoding import B58_ALPHABET
from chains.eos.verify import ACCOUNT_NOT_LINKED, sign_eos, verify_eos, verify_eos_okx_go
from indexer.models import SignedRow
from indexer.registry import registry
from tests.fixtures.secp_vectors import coin_for, row_from_vector, vectors

MSG = "OKC_DTT_AUP2025"
EOS = registry().coin("EOS")


def b58(data: bytes) -> str:
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = B58_ALPHABET[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def rmd(data: bytes) -> bytes:
    return RIPEMD160.new(data).digest()


def digest(message: str) -> bytes:
    """sha256(varstr(OKX header) ‖ varstr(message)) from SPEC §3.8 (short messages)."""
    header, body = b"OKX Signed Message:\n", message.encode()
    return hashlib.sha256(bytes([len(header)]) + header + bytes([len(body)]) + body).digest()


def key(i: int) -> PrivateKey:
    return PrivateKey(hashlib.sha256(b"eos-test-key" + bytes([i])).digest())


def eos_pub(k: PrivateKey) -> str:
    c = k.public_key.format(compressed=True)
    return "EOS" + b58(c + rmd(c)[:4])


def pub_k1(k: PrivateKey) -> str:
    c = k.public_key.format(compressed=True)
    return "PUB_K1_" + b58(c + rmd(c + b"K1")[:4])


def sig_k1(k: PrivateKey, message: str = MSG, *, tamper: int | None = None) -> str:
    sig = k.sign_recoverable(digest(message), hasher=None)
    body = bytearray(bytes([31 + sig[64]]) + sig[:64])
    if tamper is not None:  # change a byte and re-checksum: well-formed, but not this key's signature
        body[tamper] ^= 0x01
    return "SIG_K1_" + b58(bytes(body) + rmd(bytes(body) + b"K1")[:4])


def row(signature: str, pubkey: str, message: str = MSG, **kw) -> SignedRow:
    return SignedRow(row_no=1, coin="EOS", address=kw.pop("address", "okbwallet1tr"), message=message, signature1=signature,
                     script_or_pubkey=pubkey, audit=True, **kw)


@pytest.mark.parametrize("mode", ["strict", "compat"])
def test_okx_vectors(mode):
    checked = 0
    for v in vectors("EOS"):
        verdict = (verify_eos_okx_go if mode == "compat" else verify_eos)(row_from_vector(v), coin_for(v))
        assert verdict.passed == (v["expected"] == "pass"), (v["id"], verdict)
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("coin_key", ["EOS", "A", "WAXP", "Vaulta", "VAULTA", "WAX"])
def test_fresh_key(coin_key):
    coin = registry().coin(coin_key)
    assert coin.family == "EOS"
    k = key(1)
    good = row(sig_k1(k), eos_pub(k))
    strict = verify_eos(good, coin)
    assert strict.status == "signature_only" and strict.reason == ACCOUNT_NOT_LINKED
    assert verify_eos_okx_go(good, coin).status == "verified"
    # the account name is never checked (OKX and strict alike): any name passes with the same key
    assert verify_eos(replace(good, address="someoneelse1"), coin).passed
    bad_rows = [
        replace(good, signature1=sig_k1(k, tamper=10)),  # re-checksummed: wrong key
        replace(good, signature1=good.signature1[:-1] + ("2" if good.signature1[-1] != "2" else "3")),  # checksum breaks
        replace(good, message=MSG + "."),
        replace(good, script_or_pubkey=eos_pub(key(2))),
        replace(good, script_or_pubkey=good.script_or_pubkey[:-1] + ("2" if good.script_or_pubkey[-1] != "2" else "3")),
        replace(good, script_or_pubkey=""),
        replace(good, signature1=""),
    ]
    for bad in bad_rows:
        for compat in (False, True):
            verdict = (verify_eos_okx_go if compat else verify_eos)(bad, coin)
            assert verdict.status == "failed" and verdict.reason, bad


def test_header_byte_range():
    k = key(3)
    sig = k.sign_recoverable(digest(MSG), hasher=None)
    for i, ok in ((27 + sig[64], True), (31 + sig[64], True), (sig[64], False), (35 + sig[64], False)):
        body = bytes([i]) + sig[:64]
        text = "SIG_K1_" + b58(body + rmd(body + b"K1")[:4])
        assert verify_eos(row(text, eos_pub(k)), EOS).passed is ok, i


def test_dual_key_json_needs_both():
    a, b = key(4), key(5)
    keys = json.dumps({"publicKey1": eos_pub(a), "publicKey2": eos_pub(b)})
    good = row(sig_k1(a), keys, signature2=sig_k1(b))
    assert verify_eos(good, EOS).status == "signature_only"
    assert verify_eos_okx_go(good, EOS).status == "verified"
    # as the audit CSV quotes it: outer quotes, doubled inner quotes
    quoted = '"' + keys.replace('"', '""') + '"'
    assert verify_eos(replace(good, script_or_pubkey=quoted), EOS).status == "signature_only"
    for bad in (replace(good, signature2=sig_k1(a)), replace(good, signature2=""), replace(good, signature1=sig_k1(b)),
                replace(good, script_or_pubkey=json.dumps({"publicKey1": eos_pub(a)}))):
        for compat in (False, True):
            verdict = (verify_eos_okx_go if compat else verify_eos)(bad, EOS)
            assert verdict.status == "failed", bad


def test_pub_k1_keys_are_accepted_only_in_strict():
    k = key(6)
    r = row(sig_k1(k), pub_k1(k))
    assert verify_eos(r, EOS).status == "signature_only"
    assert verify_eos_okx_go(r, EOS).status == "failed"
    assert verify_eos(replace(r, script_or_pubkey=pub_k1(key(7))), EOS).status == "failed"


def test_null_public_key_fails_in_both_modes():
    k = key(8)
    r = row(sig_k1(k), "", raw={"script_or_pubkey": "null"})
    assert verify_eos(r, EOS).status == "failed"
    assert verify_eos_okx_go(r, EOS).status == "failed"


def test_signer_rows_verify():
    for coin_key in ("EOS", "WAX"):
        coin = registry().coin(coin_key)
        cells = sign_eos(coin, MSG, b"seed")
        assert cells == sign_eos(coin, MSG, b"seed")
        assert cells["signature1"].startswith("SIG_K1_") and cells["script_or_pubkey"].startswith("EOS")
        assert len(cells["address"]) == 12 and set(cells["address"]) <= set("abcdefghijklmnopqrstuvwxyz12345")
        r = row(cells["signature1"], cells["script_or_pubkey"], address=cells["address"])
        assert verify_eos(r, coin).status == "signature_only"
        assert verify_eos_okx_go(r, coin).status == "verified"
        assert verify_eos(replace(r, message="other"), coin).status == "failed"
