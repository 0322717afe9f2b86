"""STARK: typed-data hashes of the SPEC, signatures by crypto-cpp's own signer over fresh keys, mutations."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chains.starknet.verify import encode_felt, message_hash, sign_stark, verify_stark, verify_stark_okx_go
from indexer.models import SignedRow
from indexer.registry import registry
from tests.fixtures.secp_vectors import coin_for, row_from_vector, vectors

MSG = "I am an OKX address"


def fresh_row(seed: int, message: str = MSG, account: int = 0x0123456789ABCDEF) -> SignedRow:
    from crypto_cpp_py.cpp_bindings import cpp_get_public_key, cpp_sign

    priv = 0x5EED0000 + seed * 7919
    r, s = cpp_sign(message_hash(account, message), priv)
    return SignedRow(row_no=1, coin="STARKNET", address=f"0x{account:064x}", message=message,
                     signature1=f"{r:064x}{s:064x}", script_or_pubkey=hex(cpp_get_public_key(priv)))


def flip(text: str, index: int) -> str:
    return text[:index] + ("1" if text[index] != "1" else "2") + text[index + 1 :]


def test_spec_message_hashes() -> None:
    """SPEC §3.7 quotes the hashes of the two OKX rows (first and last digits)."""
    h1 = hex(message_hash(0x0668A58AEC3151BDF0F6F9360EA89453733D5C65F45CAFE2D1591D8CDDBD2395, "hello world"))
    h2 = hex(message_hash(0x03B7F0B02B63683ECA1639FB2D5DFA1021628D4EE728B03BC0AC2BE66EDC32F1, "OKC_DTT_AUP2025"))
    assert h1.startswith("0x657bba") and h1.endswith("0982")
    assert h2.startswith("0x72e884") and h2.endswith("f0a")


def test_felt_encoding_rules() -> None:
    assert encode_felt("0x1f") == 31
    assert encode_felt("12345") == 12345
    assert encode_felt("hello") == int.from_bytes(b"hello", "big")
    assert encode_felt("99999999999999999999") == int.from_bytes(b"99999999999999999999", "big")  # not an int64
    with pytest.raises(ValueError):
        encode_felt("x" * 32)


def test_fresh_keys_verify_either_y_root() -> None:
    """Eight keys: the x-only key must verify whichever y the signer's point had."""
    coin = registry().coin("STARKNET")
    for seed in range(8):
        row = fresh_row(seed)
        verdict = verify_stark(row, coin)
        assert verdict.status == "signature_only" and "account" in verdict.reason
        assert verify_stark_okx_go(row, coin).status == "verified"


def test_mutations_fail() -> None:
    coin = registry().coin("STARKNET")
    row = fresh_row(1)
    bad = {
        "r": replace(row, signature1=flip(row.signature1, 30)),
        "s": replace(row, signature1=flip(row.signature1, 100)),
        "message": replace(row, message=MSG + "."),
        "address": replace(row, address=flip(row.address, 40)),
        "pubkey": replace(row, script_or_pubkey=flip(row.script_or_pubkey, 20)),
        "no pubkey": replace(row, script_or_pubkey=""),
        "short sig": replace(row, signature1=row.signature1[:-2]),
    }
    for what, mutated in bad.items():
        assert verify_stark(mutated, coin).status == "failed", what
        assert verify_stark_okx_go(mutated, coin).status == "failed", what


def test_0x_prefixed_signature_is_an_okx_quirk() -> None:
    coin = registry().coin("STARKNET")
    row = fresh_row(2)
    prefixed = replace(row, signature1="0x" + row.signature1)
    assert verify_stark(prefixed, coin).status == "signature_only"
    assert verify_stark_okx_go(prefixed, coin).status == "failed"


def test_long_message_cannot_be_a_felt() -> None:
    coin = registry().coin("STARKNET")
    row = fresh_row(3)
    verdict = verify_stark(replace(row, message="x" * 40), coin)
    assert verdict.status == "failed" and "short string" in verdict.reason


def test_signer_round_trip() -> None:
    for key in ("STARKNET", "STARKNET-ETH", "STARK"):
        coin = registry().coin(key)
        cells = sign_stark(coin, MSG, key.encode())
        row = SignedRow(row_no=1, coin=key, message=MSG, **cells)
        assert verify_stark(row, coin).status == "signature_only"
        assert verify_stark(replace(row, message="other"), coin).status == "failed"


def test_okx_stark_vectors() -> None:
    seen = 0
    for v in vectors("STARK"):
        row, coin = row_from_vector(v), coin_for(v)
        strict, compat = verify_stark(row, coin), verify_stark_okx_go(row, coin)
        if v["expected"] == "pass":
            assert strict.status == "signature_only" and compat.status == "verified", v["id"]
        else:
            assert strict.status == "failed" and compat.status == "failed", v["id"]
        seen += 1
    assert seen >= 3
