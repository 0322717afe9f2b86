"""BIP-322 "simple" signatures for taproot BTC addresses (OKX's current tool verifies bc1p… rows this way).

Evidence, each in tests/fixtures with its repository, commit and path:
* BIP-322's own vectors (message hashes, to_spend/to_sign txids, the P2TR simple vector) and
  Bitcoin Core's "Hello World" P2TR vector (SIGHASH_ALL), in bip322_vectors.json;
* BIP-341's key-path signature-hash vectors (every hash type), for the sighash code;
* OKX's own vectors and current example row (okx_mirror_vectors.json).
Fresh signatures come from embit (an independent Bitcoin library): its own to_spend/to_sign
transactions, taproot tweak and BIP-340 signer. embit 0.8's taproot sighash is wrong for
SIGHASH_SINGLE/ANYONECANPAY (it fails BIP-341's vectors), so those types are signed over our
sighash, which the BIP-341 vectors check.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from embit import ec, hashes
from embit.script import Script, p2tr
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from chains.common.encoding import segwit_decode, varstr
from chains.common.hashes import sha256d
from chains.utxo import bip322
from indexer.models import SignedRow
from indexer.verify import verify_row, verify_row_compat

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPEC = json.loads((FIXTURES / "bip322_vectors.json").read_text())
MIRROR = json.loads((FIXTURES / "okx_mirror_vectors.json").read_text())["bip322"]
P2TR = SPEC["p2tr_simple"] + MIRROR["valid"]


def spk_of(address: str) -> bytes:
    version, program = segwit_decode("bc", address)
    return bytes([0x50 + version if version else 0, len(program)]) + program


def mutate_b64(text: str) -> str:
    """One byte of the decoded witness changed (the last signature byte), re-encoded: well-formed, different."""
    raw = bytearray(base64.b64decode(text))
    raw[-2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def btc_row(address: str, message: str, signature: str, network: str = "BTC", **cells) -> SignedRow:
    return SignedRow(row_no=1, coin="BTC", address=address, message=message, signature1=signature, network=network, **cells)


# ---------------------------------------------------------------- construction
def test_message_hashes_and_virtual_transactions_match_the_spec() -> None:
    for v in SPEC["message_hashes"]["rows"]:
        assert bip322.message_hash(v["message"]).hex() == v["hash"]
    spk = spk_of(SPEC["tx_hashes"]["address"])
    for v in SPEC["tx_hashes"]["rows"] + [dict(r, message_hash=None) for r in MIRROR["tx_hashes"]]:
        if v.get("message_hash"):
            assert bip322.message_hash(v["message"]).hex() == v["message_hash"]
        assert bip322.to_spend_txid(spk, v["message"])[::-1].hex() == v["to_spend"]
        assert sha256d(bip322.to_sign(spk, v["message"]))[::-1].hex() == v["to_sign"]
    assert bip322.to_spend_txid(spk, "Hello World!") != bip322.to_spend_txid(spk, "Hello World")


def test_the_virtual_transactions_match_embit_s() -> None:
    key = ec.PrivateKey(os.urandom(32))
    script = p2tr(key.get_public_key())
    for message in ("", "I am an OKX address", "UTF-8 ✓"):
        spend, sign = _embit_txs(script, message)
        assert bip322.to_spend(script.data, message) == spend.serialize()
        assert bip322.to_sign(script.data, message) == sign.serialize()


def test_bip341_key_path_sighash_vectors() -> None:
    v = SPEC["bip341_key_path"]
    tx = Transaction.parse(bytes.fromhex(v["rawUnsignedTx"]))  # embit parses; our code only hashes
    spks = [bytes.fromhex(u["scriptPubKey"]) for u in v["utxosSpent"]]
    amounts = [u["amountSats"] for u in v["utxosSpent"]]
    common = dict(
        version=tx.version,
        locktime=tx.locktime,
        prevouts=[bytes(i.txid[::-1]) + i.vout.to_bytes(4, "little") for i in tx.vin],
        sequences=[i.sequence for i in tx.vin],
        amounts=amounts,
        script_pubkeys=spks,
        outputs=[o.serialize() for o in tx.vout],
    )
    assert {i["hashType"] for i in v["inputs"]} == {0, 1, 2, 3, 0x81, 0x82, 0x83}
    for i in v["inputs"]:
        assert bip322.bip341_sighash(**common, index=i["txinIndex"], hash_type=i["hashType"]).hex() == i["sigHash"], i
        other = {**common, "amounts": [amounts[0] + 1, *amounts[1:]]}
        if not i["hashType"] & 0x80 or i["txinIndex"] == 0:  # ANYONECANPAY commits to its own amount only
            assert bip322.bip341_sighash(**other, index=i["txinIndex"], hash_type=i["hashType"]).hex() != i["sigHash"]
    with pytest.raises(ValueError):
        bip322.bip341_sighash(**common, index=0, hash_type=0x04)


# ---------------------------------------------------------------- published signatures
@pytest.mark.parametrize("v", P2TR, ids=[v["message"][:12] for v in P2TR])
def test_published_p2tr_signatures(v: dict) -> None:
    spk = spk_of(v["address"])
    assert bip322.verify_p2tr(spk, v["message"], v["signature"]) == ""
    assert bip322.verify_p2tr(spk, v["message"] + ".", v["signature"]) != ""
    assert bip322.verify_p2tr(spk, v["message"], mutate_b64(v["signature"])) != ""
    assert bip322.verify_p2tr(spk_of(MIRROR["other_p2tr_address"]), v["message"], v["signature"]) != ""
    r = btc_row(v["address"], v["message"], v["signature"])
    for keyed in (r, replace(r, network="")):  # network-keyed and coin-keyed rows alike
        family, strict = verify_row(keyed, "okx")
        assert family == "UTXO" and strict.status == "verified" and "BIP-322" in strict.reason
        assert verify_row_compat(keyed, "okx")[1].status == "verified"
        bad = replace(keyed, signature1=mutate_b64(v["signature"]))
        assert verify_row(bad, "okx")[1].status == "failed" and verify_row_compat(bad, "okx")[1].status == "failed"


@pytest.mark.parametrize("v", SPEC["errors"]["rows"], ids=[v["description"] for v in SPEC["errors"]["rows"]])
def test_spec_error_vectors_fail(v: dict) -> None:
    address = SPEC["p2tr_simple"][0]["address"]
    assert bip322.verify_p2tr(spk_of(address), v["message"], v["signature"]) != ""
    r = btc_row(address, v["message"] or "x", v["signature"])
    assert verify_row(r, "okx")[1].status == "failed"
    if v["signature"]:
        assert verify_row_compat(r, "okx")[1].status == "failed"


# ---------------------------------------------------------------- fresh signatures (embit)
def _embit_txs(script: Script, message: str) -> tuple[Transaction, Transaction]:
    msg_hash = hashes.tagged_hash("BIP0322-signed-message", message.encode())
    spend = Transaction(version=0, vin=[TransactionInput(b"\x00" * 32, 0xFFFFFFFF, Script(b"\x00\x20" + msg_hash), 0)],
                        vout=[TransactionOutput(0, script)], locktime=0)  # fmt: skip
    sign = Transaction(version=0, vin=[TransactionInput(spend.txid(), 0, sequence=0)], vout=[TransactionOutput(0, Script(b"\x6a"))], locktime=0)
    return spend, sign


def embit_sign(message: str, hash_type: int = 0, key: ec.PrivateKey | None = None) -> tuple[str, str]:
    """(address, simple signature) by embit: BIP-86 output of a fresh key, Schnorr over the to_sign sighash."""
    key = key or ec.PrivateKey(os.urandom(32))
    script = p2tr(key.get_public_key())
    _, sign = _embit_txs(script, message)
    if hash_type & 0x80 or hash_type & 3 == 3:  # embit's own sighash is wrong for these (see module docstring)
        digest = bip322.taproot_sighash(script.data, message, hash_type)
    else:
        digest = sign.sighash_taproot(0, [script], [0], sighash=hash_type)
    sig = key.taproot_tweak(b"").schnorr_sign(digest).serialize() + (bytes([hash_type]) if hash_type else b"")
    return script.address(), base64.b64encode(b"\x01" + varstr(sig)).decode()


@pytest.mark.parametrize("hash_type", [0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83])
def test_fresh_embit_signatures_of_every_hash_type(hash_type: int) -> None:
    address, signature = embit_sign("I am an OKX address", hash_type)
    assert address.startswith("bc1p")
    r = btc_row(address, "I am an OKX address", signature)
    assert verify_row(r, "okx")[1].status == "verified" and verify_row_compat(r, "okx")[1].status == "verified"
    assert verify_row(replace(r, message="I am an OKX address!"), "okx")[1].status == "failed"
    assert verify_row(replace(r, signature1=mutate_b64(signature)), "okx")[1].status == "failed"


def test_the_hash_type_byte_is_signed() -> None:
    address, signature = embit_sign("m", 0x01)
    raw = base64.b64decode(signature)
    for wrong in (b"\x01\x40" + raw[2:66], b"\x01\x41" + raw[2:66] + b"\x02"):  # claimed DEFAULT / NONE
        assert bip322.verify_p2tr(spk_of(address), "m", base64.b64encode(wrong).decode()) != ""
    explicit_default = b"\x01\x41" + raw[2:66] + b"\x00"  # BIP-341: a 65-byte signature may not spell out 0x00
    assert "0x00" in bip322.verify_p2tr(spk_of(address), "m", base64.b64encode(explicit_default).decode())
    invalid_type = b"\x01\x41" + raw[2:66] + b"\x04"
    assert "not valid" in bip322.verify_p2tr(spk_of(address), "m", base64.b64encode(invalid_type).decode())


def test_witness_shapes() -> None:
    key = ec.PrivateKey(os.urandom(32))
    address, signature = embit_sign("m", 0, key)
    raw = base64.b64decode(signature)
    spk = spk_of(address)
    two_items = base64.b64encode(b"\x02" + raw[1:] + b"\x01\x51").decode()  # a script-path-like stack
    assert "exactly one" in bip322.verify_p2tr(spk, "m", two_items)
    assert verify_row(btc_row(address, "m", two_items), "okx")[1].status == "failed"
    trailing = base64.b64encode(raw + b"\x00").decode()
    assert "after the witness" in bip322.verify_p2tr(spk, "m", trailing)
    assert verify_row(btc_row(address, "m", trailing), "okx")[1].status == "failed"
    # OKX reads the stack from a stream and ignores what follows it
    # (okx/go-wallet-sdk coins/bitcoin/wire.go, BtcDecodeWitnessForBip0322; code reading)
    assert verify_row_compat(btc_row(address, "m", trailing), "okx")[1].status == "verified"
    noncanonical = base64.b64encode(b"\xfd\x01\x00" + raw[1:]).decode()
    assert "non-canonical" in bip322.verify_p2tr(spk, "m", noncanonical)


def test_another_key_s_signature_fails_and_signature2_is_noted() -> None:
    address, signature = embit_sign("I am an OKX address")
    other_address, other_signature = embit_sign("I am an OKX address")
    assert verify_row(btc_row(address, "I am an OKX address", other_signature), "okx")[1].status == "failed"
    assert verify_row_compat(btc_row(address, "I am an OKX address", other_signature), "okx")[1].status == "failed"
    with_sig2 = verify_row(btc_row(address, "I am an OKX address", signature, signature2=other_signature), "okx")[1]
    assert with_sig2.status == "verified" and "signature2" in with_sig2.reason
    assert other_address != address


def test_a_bip137_signature_on_a_taproot_address_keeps_the_recoverable_path() -> None:
    """Strict keeps accepting a BIP-137 signature whose key's BIP-86 output is the address; OKX's tool reads
    every taproot signature as BIP-322, so there it fails."""
    from coincurve import PrivateKey

    from chains.utxo.verify import _digest

    key = PrivateKey(os.urandom(32))
    sig = key.sign_recoverable(_digest("BTC", "I am an OKX address"), hasher=None)
    bip137 = base64.b64encode(bytes([31 + sig[64]]) + sig[:64]).decode()
    address = p2tr(ec.PublicKey.parse(key.public_key.format())).address()
    r = btc_row(address, "I am an OKX address", bip137)
    strict = verify_row(r, "okx")[1]
    assert strict.status == "verified" and "BIP-86" in strict.reason
    assert verify_row_compat(r, "okx")[1].status == "failed"
