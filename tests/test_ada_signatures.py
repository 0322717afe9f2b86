"""Cardano (ADA) rows: ed25519 over the unhashed OKX-framed message, payment key hash = blake2b-224(key).

OKX's current tool decodes the Shelley address and compares its payment credential
(base ``addr1q…``, pointer and enterprise ``addr1v…`` addresses alike). Its vectors
(real rows signing ``DTT_OKC_AA26`` and its crypto test's enterprise row) come from the
public mirror of its repository, copied into tests/fixtures/okx_mirror_vectors.json.
Our Shelley decoder is cross-checked against pycardano on the same strings; fresh
keys are signed with PyNaCl and their addresses built by pycardano.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from nacl.signing import SigningKey
from pycardano import Address, Network, PointerAddress, ScriptHash, VerificationKeyHash

from chains.common.encoding import bech32_encode
from chains.cardano import codec as cardano
from chains.common.framed_ed25519 import signed_bytes, verify_ed25519, verify_ed25519_okx_go
from indexer.models import SignedRow
from indexer.registry import registry
from indexer.verify import verify_row, verify_row_compat

MIRROR = json.loads((Path(__file__).resolve().parent / "fixtures" / "okx_mirror_vectors.json").read_text())
ADA = MIRROR["ada"]["rows"]


def mutate_hex(text: str, at: int = -7) -> str:
    i = at % len(text)
    return text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1 :]


def ada_row(address: str, message: str, signature: str, pubkey: str, network: str = "ADA", coin: str = "ADA") -> SignedRow:
    return SignedRow(row_no=1, coin=coin, address=address, message=message, signature1=signature, script_or_pubkey=pubkey, network=network)


# ---------------------------------------------------------------- OKX's vectors
@pytest.mark.parametrize("v", ADA, ids=[v["address"][:12] for v in ADA])
@pytest.mark.parametrize("network", ["ADA", ""])
def test_okx_ada_vectors(v: dict, network: str) -> None:
    r = ada_row(v["address"], v["message"], v["signature"], v["pubkey"], network=network)
    family, strict = verify_row(r, "okx")
    assert family == "ED25519" and strict.status == "verified", strict
    assert verify_row_compat(r, "okx")[1].status == "verified"
    for bad in (replace(r, signature1=mutate_hex(v["signature"])), replace(r, message=v["message"] + " "),
                replace(r, script_or_pubkey=mutate_hex(v["pubkey"]))):  # fmt: skip
        assert verify_row(bad, "okx")[1].status == "failed" and verify_row_compat(bad, "okx")[1].status == "failed"


def test_a_row_with_another_key_s_address_fails() -> None:
    a, b = ADA[0], ADA[1]
    r = ada_row(a["address"], b["message"], b["signature"], b["pubkey"])  # b's key signs, a's address claimed
    assert verify_row(r, "okx")[1].status == "failed"
    assert "payment key hash" in verify_row(r, "okx")[1].reason
    assert verify_row_compat(r, "okx")[1].status == "failed"


def test_the_signed_bytes_are_the_okx_frame_unhashed() -> None:
    v = ADA[0]
    framed = bytes([20]) + b"OKX Signed Message:\n" + bytes([len(v["message"])]) + v["message"].encode()
    assert signed_bytes(v["message"]) == framed
    from nacl.signing import VerifyKey

    VerifyKey(bytes.fromhex(v["pubkey"][2:])).verify(framed, bytes.fromhex(v["signature"][2:]))  # independent check


# ---------------------------------------------------------------- the Shelley decoder against pycardano
def _kinds(pub_hash: bytes, other: bytes) -> list[Address]:
    key, script, stake = VerificationKeyHash(pub_hash), ScriptHash(other), VerificationKeyHash(other)
    out = []
    for net in (Network.MAINNET, Network.TESTNET):
        out += [
            Address(payment_part=key, staking_part=stake, network=net),
            Address(payment_part=script, staking_part=stake, network=net),
            Address(payment_part=key, staking_part=ScriptHash(other), network=net),
            Address(payment_part=key, staking_part=PointerAddress(2498243, 27, 3), network=net),
            Address(payment_part=script, staking_part=PointerAddress(0, 0, 0), network=net),
            Address(payment_part=key, network=net),
            Address(payment_part=script, network=net),
            Address(staking_part=stake, network=net),
        ]
    return out


def test_the_decoder_agrees_with_pycardano() -> None:
    addresses = [v["address"] for v in ADA] + [a.encode() for a in _kinds(os.urandom(28), os.urandom(28))]
    for text in addresses:
        ours = cardano.decode(text)
        theirs = Address.decode(text)
        assert ours.network_id == (1 if theirs.network == Network.MAINNET else 0), text
        assert ours.kind == bytes(theirs)[0] >> 4, text
        if ours.payment is None:
            assert theirs.payment_part is None
        else:
            assert ours.payment == theirs.payment_part.payload, text
            assert ours.payment_is_script == isinstance(theirs.payment_part, ScriptHash)
        part = theirs.staking_part
        if isinstance(part, PointerAddress):
            assert ours.pointer == (part.slot, part.tx_index, part.cert_index), text
        elif part is not None:
            assert ours.stake == part.payload and ours.stake_is_script == isinstance(part, ScriptHash), text
        else:
            assert ours.stake is None and ours.pointer is None


def test_malformed_addresses_are_refused() -> None:
    pay = os.urandom(28)
    bad = {
        "truncated base": bech32_encode("addr", b"\x01" + pay + os.urandom(27)),
        "base with extra byte": bech32_encode("addr", b"\x01" + pay + os.urandom(29)),
        "enterprise with extra byte": bech32_encode("addr", b"\x61" + pay + b"\x00"),
        "pointer cut mid-number": bech32_encode("addr", b"\x41" + pay + b"\x81\x82"),
        "pointer with a tail": bech32_encode("addr", b"\x41" + pay + b"\x01\x02\x03\x04"),
        "reserved type 9": bech32_encode("addr", b"\x91" + pay),
        "testnet header under addr": bech32_encode("addr", b"\x60" + pay),
        "reward under addr": bech32_encode("addr", b"\xe1" + pay),
        "mixed case": ADA[0]["address"][:10] + ADA[0]["address"][10:].upper(),
        "bad checksum": ADA[0]["address"][:-1] + ("q" if ADA[0]["address"][-1] != "q" else "p"),
    }
    for what, text in bad.items():
        with pytest.raises(ValueError):
            cardano.decode(text)
        assert what and cardano.check(text, os.urandom(32))[0] == "failed", what


# ---------------------------------------------------------------- fresh keys
def _signed(address_for, message: str = "I am an OKX address") -> tuple[SignedRow, bytes]:
    key = SigningKey(os.urandom(32))
    pub = bytes(key.verify_key)
    sig = key.sign(signed_bytes(message)).signature
    return ada_row(address_for(hashlib.blake2b(pub, digest_size=28).digest()), message, "0x" + sig.hex(), "0x" + pub.hex()), pub


@pytest.mark.parametrize(
    "kind",
    ["base-key-stake", "base-script-stake", "pointer", "enterprise"],
)
def test_fresh_keys_on_every_payment_key_address(kind: str) -> None:
    other = os.urandom(28)

    def build(h: bytes) -> str:
        part = VerificationKeyHash(h)
        stake = {
            "base-key-stake": VerificationKeyHash(other),
            "base-script-stake": ScriptHash(other),
            "pointer": PointerAddress(84, 2, 0),
            "enterprise": None,
        }[kind]
        return Address(payment_part=part, staking_part=stake, network=Network.MAINNET).encode()

    r, _ = _signed(build)
    assert verify_row(r, "okx")[1].status == "verified"
    assert verify_row_compat(r, "okx")[1].status == "verified"
    assert verify_row(replace(r, signature1=mutate_hex(r.signature1)), "okx")[1].status == "failed"


@pytest.mark.parametrize(
    "build, why",
    [
        (lambda h: Address(payment_part=ScriptHash(h), network=Network.MAINNET).encode(), "script"),
        (lambda h: Address(payment_part=VerificationKeyHash(h), network=Network.TESTNET).encode(), "network"),
        (lambda h: Address(staking_part=VerificationKeyHash(h), network=Network.MAINNET).encode(), "reward"),
    ],
    ids=["script-payment", "testnet", "reward-address"],
)
def test_addresses_no_payment_key_proves_fail(build, why: str) -> None:
    r, _ = _signed(build)
    strict = verify_row(r, "okx")[1]
    assert strict.status == "failed" and why in strict.reason
    assert verify_row_compat(r, "okx")[1].status == "failed"


def test_okx_quirks_strict_tightens() -> None:
    """OKX lower-cases before decoding (a mixed-case address passes) and checks only 'at least 29 bytes'."""
    r, pub = _signed(lambda h: Address(payment_part=VerificationKeyHash(h), network=Network.MAINNET).encode())
    mixed = replace(r, address=r.address[:8] + r.address[8:].upper())
    assert verify_row(mixed, "okx")[1].status == "failed"
    assert verify_row_compat(mixed, "okx")[1].status == "verified"
    truncated = replace(r, address=bech32_encode("addr", b"\x01" + cardano.key_hash(pub) + b"\x00" * 10))  # base, stake cut short
    assert verify_row(truncated, "okx")[1].status == "failed"
    assert verify_row_compat(truncated, "okx")[1].status == "verified"


def test_the_coin_keyed_row_uses_the_same_check() -> None:
    """ADA keyed the old way (coin ADA, no Network cell) is judged by the same Shelley rules."""
    v = ADA[0]
    ada = registry().coin("ADA")
    r = ada_row(v["address"], v["message"], v["signature"], v["pubkey"], network="")
    assert verify_ed25519(r, ada).status == "verified"
    assert verify_ed25519_okx_go(r, ada).status == "verified"
