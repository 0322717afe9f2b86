"""EVM ownership signatures: OKX vectors, fresh keys signed by eth_account, owner/staking/audit modes, OKX quirks."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

import pytest
from Crypto.Hash import keccak as _pyc_keccak
from eth_account import Account
from eth_account.messages import encode_defunct

from chains.common.encoding import bech32_encode
from chains.evm.verify import evm_digest, sign_evm, verify_evm, verify_evm_okx_go
from indexer.models import SignedRow
from indexer.registry import registry
from tests.fixtures.secp_vectors import coin_for, row_from_vector, vectors

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MSG = "I am an OKX address"


def keccak(data: bytes) -> bytes:
    """pycryptodome's keccak: independent of the safe-pysha3 backend the verifier uses."""
    return _pyc_keccak.new(digest_bits=256, data=data).digest()


def account(i: int):
    return Account.from_key(hashlib.sha256(b"evm-test-key" + bytes([i])).digest())


def eth_sign(acct, message: str) -> str:
    """personal_sign over keccak(message), as OKX's wallets do (SPEC §3.1), by eth_account."""
    signed = acct.sign_message(encode_defunct(primitive=keccak(message.encode())))
    return "0x" + bytes(signed.signature).hex()


def f410(address: str) -> str:
    """Filecoin delegated address built here from the SPEC bytes with stdlib base32/blake2b."""
    payload = bytes.fromhex(address[2:])
    check = hashlib.blake2b(b"\x04\x0a" + payload, digest_size=4).digest()
    return "f410f" + base64.b32encode(payload + check).decode().lower().rstrip("=")


def row(address: str, signature: str, message: str = MSG, **kw) -> SignedRow:
    return SignedRow(row_no=1, coin=kw.pop("coin", "ETH"), address=address, message=message, signature1=signature, **kw)


def flip(hex_sig: str, index: int = 10) -> str:
    raw = bytearray(bytes.fromhex(hex_sig[2:]))
    raw[index] ^= 0x01
    return "0x" + raw.hex()


def high_s(hex_sig: str) -> str:
    """The malleated twin (s' = n - s, parity flipped): recovers the same key."""
    raw = bytes.fromhex(hex_sig[2:])
    s = N - int.from_bytes(raw[32:64], "big")
    return "0x" + (raw[:32] + s.to_bytes(32, "big") + bytes([27 + ((raw[64] - 27) ^ 1)])).hex()


ETH = registry().coin("ETH")
FIL_EVM = registry().coin("FIL-EVM")
LAT = registry().coin("LAT")


def test_digest_matches_spec_example():
    expected = keccak(b"\x19Ethereum Signed Message:\n32" + keccak(MSG.encode()))
    assert expected.hex() == "2c5ade6d905fda46ee20b58294772d2bdbee68c92ba5c54f38c325bae1326e2f"
    assert evm_digest(MSG) == expected


# --- OKX vectors -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["strict", "compat"])
def test_okx_vectors(mode):
    checked = 0
    for v in vectors("EVM"):
        verdict = (verify_evm_okx_go if mode == "compat" else verify_evm)(row_from_vector(v), coin_for(v))
        assert verdict.passed == (v["expected"] == "pass"), (v["id"], verdict)
        if v["expected"] == "fail":
            assert verdict.status == "failed" and verdict.reason, v["id"]
        checked += 1
    assert checked >= 40


def test_vector_owner_rows_are_signature_only_in_strict():
    by_id = {v["id"]: v for v in vectors("EVM")}
    for vid, fragment in (("V065", "owner EOAs"), ("V069", "validator key"), ("V070", "validator key"), ("V062", "validator key")):
        verdict = verify_evm(row_from_vector(by_id[vid]), ETH)
        assert verdict.status == "signature_only", (vid, verdict)
        assert fragment in verdict.reason and "0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e" in verdict.reason
    assert verify_evm(row_from_vector(by_id["V063"]), ETH).status == "verified"


# --- fresh keys signed by eth_account ------------------------------------------------------------


@pytest.mark.parametrize("coin_key", ["ETH", "BASE", "USDT-ERC20", "BSC", "OKB-X1", "ETH-ZKSYNC2", "AVAXC"])
def test_fresh_key_eth_type(coin_key):
    coin = registry().coin(coin_key)
    assert coin.family == "EVM" and coin.address_type == "ETH"
    acct = account(1)
    sig = eth_sign(acct, MSG)
    for address in (acct.address, acct.address.lower(), "0x" + acct.address[2:].upper()):
        assert verify_evm(row(address, sig), coin).status == "verified"
        assert verify_evm_okx_go(row(address, sig), coin).status == "verified"
    # one byte of signature, message or address changed: refused in both modes
    other = account(2).address
    for bad in (row(acct.address, flip(sig)), row(acct.address, flip(sig, 40)), row(acct.address, sig, MSG + "."),
                row(other, sig), row(acct.address[:-1] + ("0" if acct.address[-1] != "0" else "1"), sig)):
        for compat in (False, True):
            verdict = (verify_evm_okx_go if compat else verify_evm)(bad, coin)
            assert verdict.status == "failed" and verdict.reason, (bad, verdict)


def test_every_eth_type_key_in_registry_verifies():
    acct = account(3)
    sig = eth_sign(acct, MSG)
    keys = [c for c in registry().coins.values() if c.family == "EVM"]
    assert len(keys) >= 140
    for coin in keys:
        address = {"FIL": f410(acct.address), "LAT": bech32_encode("lat", bytes.fromhex(acct.address[2:]))}.get(coin.address_type, acct.address)
        assert verify_evm(row(address, sig), coin).status == "verified", coin.key
        assert verify_evm(row(address, flip(sig)), coin).status == "failed", coin.key


def test_fil_delegated_and_hex_forms():
    acct = account(4)
    sig = eth_sign(acct, "hello world")
    for address in (f410(acct.address), f410(acct.address).upper(), acct.address, acct.address.lower()):
        assert verify_evm(row(address, sig, "hello world"), FIL_EVM).status == "verified", address
        assert verify_evm_okx_go(row(address, sig, "hello world"), FIL_EVM).status == "verified", address
    other = f410(account(5).address)
    assert verify_evm(row(other, sig, "hello world"), FIL_EVM).status == "failed"
    assert verify_evm(row(f410(acct.address), sig, "hello world!"), FIL_EVM).status == "failed"
    # FIL_EVM (type ETH) does not take f410 addresses, exactly as OKX
    assert verify_evm_okx_go(row(f410(acct.address), sig, "hello world"), registry().coin("FIL_EVM")).status == "failed"


def test_lat_bech32():
    acct = account(6)
    sig = eth_sign(acct, MSG)
    lat = bech32_encode("lat", bytes.fromhex(acct.address[2:]))
    assert lat.startswith("lat1")
    assert verify_evm(row(lat, sig), LAT).status == "verified"
    assert verify_evm(row(lat, flip(sig)), LAT).status == "failed"
    assert verify_evm_okx_go(row(acct.address, sig), LAT).status == "failed"  # OKX wants lat1…
    assert verify_evm(row(bech32_encode("lat", bytes.fromhex(account(7).address[2:])), sig), LAT).status == "failed"


def test_high_s_rules():
    acct = account(8)
    sig = high_s(eth_sign(acct, MSG))
    # same key recovers, but type ETH refuses high S in both modes (SPEC §3.1)
    for compat in (False, True):
        verdict = (verify_evm_okx_go if compat else verify_evm)(row(acct.address, sig), ETH)
        assert verdict.status == "failed" and "high-S" in verdict.reason
    # OKX applies the rule to type ETH only (quirk §3.11.4); the strict verdict applies it to every EVM type
    lat = bech32_encode("lat", bytes.fromhex(acct.address[2:]))
    assert verify_evm_okx_go(row(lat, sig), LAT).status == "verified"
    assert verify_evm(row(lat, sig), LAT).status == "failed"
    assert verify_evm_okx_go(row(f410(acct.address), sig), FIL_EVM).status == "verified"
    assert verify_evm(row(f410(acct.address), sig), FIL_EVM).status == "failed"


def test_bad_encodings_fail_with_reason():
    acct = account(9)
    sig = eth_sign(acct, MSG)
    cases = {
        sig[:-2]: "64 bytes",
        sig + "00": "66 bytes",
        sig[:-2] + "01": "outside 27..34",
        sig[:-2] + "00": "outside 27..34",
        "0x" + "zz" + sig[4:]: "not valid hex",
        sig[:20] + " " + sig[21:]: "",
        "0x" + "00" * 32 + sig[66:]: "zero",
    }
    for bad, fragment in cases.items():
        verdict = verify_evm(row(acct.address, bad), ETH)
        assert verdict.status == "failed" and fragment in verdict.reason, (bad, verdict)
    # v 29..34 map to the same recovery ids (SPEC §3.0)
    v = int(sig[-2:], 16)
    assert verify_evm(row(acct.address, sig[:-2] + format(v + 4, "02x")), ETH).status == "verified"


def test_strict_refuses_wrong_eip55_checksum_compat_does_not():
    acct = account(10)
    sig = eth_sign(acct, MSG)
    body = acct.address[2:]
    i = next(k for k, c in enumerate(body) if c.isalpha())
    wrong = "0x" + body[:i] + body[i].swapcase() + body[i + 1 :]
    assert verify_evm(row(wrong, sig), ETH).status == "failed"
    assert "EIP-55" in verify_evm(row(wrong, sig), ETH).reason
    assert verify_evm_okx_go(row(wrong, sig), ETH).status == "verified"  # EqualFold
    assert verify_evm(row("0xab", sig), ETH).status == "failed"


# --- owner mode, staking rows, audit owners ------------------------------------------------------


CONTRACT = "0x" + "c0" * 20
VALIDATOR = "0x" + "ab" * 48


def test_owner_eoa1_is_signature_only_unless_it_is_the_address():
    owner = account(11)
    sig = eth_sign(owner, MSG)
    r = row(CONTRACT, sig, eoa1=owner.address.lower())
    strict = verify_evm(r, ETH)
    assert strict.status == "signature_only"
    assert f"owner EOA {owner.address.lower()} signed" in strict.reason and "not provable from the file" in strict.reason
    assert verify_evm_okx_go(r, ETH).status == "verified"
    assert verify_evm(replace(r, address=owner.address), ETH).status == "verified"
    assert verify_evm(replace(r, eoa1=account(12).address), ETH).status == "failed"
    assert verify_evm(replace(r, signature1=flip(sig)), ETH).status == "failed"
    assert verify_evm(replace(r, message=MSG + " "), ETH).status == "failed"


def test_two_owner_eoas_both_checked():
    a, b = account(13), account(14)
    r = row(CONTRACT, eth_sign(a, MSG), signature2=eth_sign(b, MSG), eoa1=a.address, eoa2=b.address)
    assert verify_evm(r, ETH).status == "signature_only"
    assert verify_evm_okx_go(r, ETH).status == "verified"
    for bad in (replace(r, signature2=flip(r.signature2)), replace(r, eoa2=account(15).address), replace(r, signature2="")):
        verdict = verify_evm(bad, ETH)
        assert verdict.status == "failed" and verdict.reason.startswith("signature2 by EOA2"), verdict
        assert verify_evm_okx_go(bad, ETH).status == "failed"


def test_native_staking_row():
    owner = account(16)
    r = row(VALIDATOR, eth_sign(owner, MSG), eoa1=owner.address, row_type="Native ETH Staking")
    verdict = verify_evm(r, ETH)
    assert verdict.status == "signature_only" and "validator key" in verdict.reason and owner.address in verdict.reason
    assert verify_evm_okx_go(r, ETH).status == "verified"
    assert verify_evm(replace(r, signature1=flip(r.signature1)), ETH).status == "failed"
    # with EOA2, signature2 is checked too
    bad2 = replace(r, eoa2=account(17).address, signature2=eth_sign(account(18), MSG))
    assert verify_evm(bad2, ETH).status == "failed"


def test_eigenlayer_row_skips_eoa2_pod():
    owner = account(19)
    r = row(VALIDATOR, eth_sign(owner, MSG), eoa1=owner.address, eoa2=CONTRACT, signature2="0xdeadbeef", row_type=" eigenlayer staking ")
    verdict = verify_evm(r, ETH)
    assert verdict.status == "signature_only" and "EigenPod" in verdict.reason
    assert verify_evm_okx_go(r, ETH).status == "verified"
    assert verify_evm(replace(r, eoa1=account(20).address), ETH).status == "failed"
    # the same cells on a non-staking row check signature2 against EOA2, and fail
    assert verify_evm(replace(r, row_type="Non Staking"), ETH).status == "failed"
    assert verify_evm_okx_go(replace(r, row_type="Non Staking"), ETH).status == "failed"


def test_audit_owner1_replaces_address_and_owner2_needs_its_signature():
    a, b = account(21), account(22)
    r = row(CONTRACT, eth_sign(a, MSG), eoa1=a.address, audit=True)
    assert verify_evm(r, ETH).status == "signature_only"
    assert verify_evm_okx_go(r, ETH).status == "verified"
    both = replace(r, eoa2=b.address, signature2=eth_sign(b, MSG))
    assert verify_evm(both, ETH).status == "signature_only"
    assert verify_evm(replace(both, signature2=eth_sign(a, MSG)), ETH).status == "failed"
    assert verify_evm_okx_go(replace(both, signature2=eth_sign(a, MSG)), ETH).status == "failed"
    # owner2 without signedMessage2 is not checked by OKX; strict says so
    lone = replace(r, eoa2=b.address)
    assert verify_evm_okx_go(lone, ETH).status == "verified"
    assert "owner2" in verify_evm(lone, ETH).reason
    # no owners: the address itself signs
    plain = row(a.address, eth_sign(a, MSG), audit=True)
    assert verify_evm(plain, ETH).status == "verified"


# --- OKX compatibility quirks that depend on the published text -----------------------------------


def test_literal_null_in_eoa_column_fails_only_in_compat():
    acct = account(23)
    sig = eth_sign(acct, MSG)
    r = row(acct.address, sig, raw={"eoa1": "null", "eoa2": "null"})
    assert verify_evm(r, ETH).status == "verified"
    verdict = verify_evm_okx_go(r, ETH)
    assert verdict.status == "failed" and "EOA1" in verdict.reason


def test_audit_owner_backslash_n_is_an_owner_for_okx():
    acct = account(24)
    sig = eth_sign(acct, MSG)
    r = row(acct.address, sig, audit=True, raw={"eoa1": "\\N", "eoa2": "null", "signature2": "null"})
    assert verify_evm(r, ETH).status == "verified"
    assert verify_evm_okx_go(r, ETH).status == "failed"
    assert verify_evm_okx_go(replace(r, raw={"eoa1": "null"}), ETH).status == "verified"


def test_untrimmed_cell_breaks_okx_verifyaddress_but_not_audit():
    acct = account(25)
    sig = eth_sign(acct, MSG)
    r = row(acct.address, sig, raw={"signature1": " " + sig, "address": acct.address})
    assert verify_evm(r, ETH).status == "verified"
    assert verify_evm_okx_go(r, ETH).status == "failed"
    assert verify_evm_okx_go(replace(r, audit=True), ETH).status == "verified"


def test_missing_required_cells():
    acct = account(26)
    sig = eth_sign(acct, MSG)
    for bad in (row("", sig), row(acct.address, ""), row(acct.address, sig, "")):
        for compat in (False, True):
            assert (verify_evm_okx_go if compat else verify_evm)(bad, ETH).status == "failed"


# --- the synth signer -------------------------------------------------------------------------


@pytest.mark.parametrize("coin_key", ["ETH", "FIL-EVM", "LAT", "USDC-BASE"])
def test_signer_produces_rows_that_verify(coin_key):
    coin = registry().coin(coin_key)
    cells = sign_evm(coin, MSG, b"seed-1")
    assert cells == sign_evm(coin, MSG, b"seed-1")  # deterministic
    assert cells["address"] != sign_evm(coin, MSG, b"seed-2")["address"]
    r = row(cells["address"], cells["signature1"])
    assert verify_evm(r, coin).status == "verified"
    assert verify_evm_okx_go(r, coin).status == "verified"
    assert verify_evm(replace(r, message=MSG + "x"), coin).status == "failed"
    if coin.address_type == "ETH":  # an independent library agrees on the signer
        recovered = Account.recover_message(encode_defunct(primitive=keccak(MSG.encode())), signature=cells["signature1"])
        assert recovered.lower() == cells["address"]


def test_fil_masked_id_account_prints_as_f0():
    from chains.common.filaddr import f4_eth_address

    assert f4_eth_address(b"\xff" + b"\0" * 11 + (1234).to_bytes(8, "big")) == "f01234"
    assert f4_eth_address(b"\xff" + b"\0" * 10 + b"\x01" + (1234).to_bytes(8, "big")).startswith("f410f")
