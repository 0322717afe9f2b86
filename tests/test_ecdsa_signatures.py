"""OKX-header ECDSA: every address type with fresh coincurve keys, the public-key audit path, OKX vectors."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

import pytest
from coincurve import PrivateKey
from Crypto.Hash import RIPEMD160
from Crypto.Hash import keccak as _pyc_keccak
from eth_account import Account

from chains.conflux.codec import cip37_encode
from chains.stacks.codec import stacks_address
from chains.common.encoding import b58check_encode, bech32_encode
from chains.common.filaddr import f1_address as fil_f1_address
from chains.common.framed_ecdsa import sign_okx_ecdsa, verify_okx_ecdsa, verify_okx_ecdsa_okx_go
from indexer.models import Coin, SignedRow
from indexer.registry import registry
from tests.fixtures.secp_vectors import coin_for, raw_data, row_from_vector, vectors

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MSG = "OKC_DTT_AUP2025"


def keccak(data: bytes) -> bytes:
    return _pyc_keccak.new(digest_bits=256, data=data).digest()


def h160(data: bytes) -> bytes:
    return RIPEMD160.new(hashlib.sha256(data).digest()).digest()


def okx_digest(message: str) -> bytes:
    """varstr(header) ‖ varstr(message), keccak'd — assembled here from SPEC §3.2's bytes (short messages)."""
    header = b"OKX Signed Message:\n"
    body = message.encode()
    assert len(body) < 0xFD
    return keccak(bytes([len(header)]) + header + bytes([len(body)]) + body)


def key(i: int) -> PrivateKey:
    return PrivateKey(hashlib.sha256(b"ecdsa-test-key" + bytes([i])).digest())


def sign(k: PrivateKey, message: str = MSG, v_offset: int = 27) -> str:
    sig = k.sign_recoverable(okx_digest(message), hasher=None)
    return "0x" + sig[:64].hex() + bytes([v_offset + sig[64]]).hex()


def flip(hex_sig: str, index: int = 5) -> str:
    raw = bytearray(bytes.fromhex(hex_sig[2:]))
    raw[index] ^= 0x01
    return "0x" + raw.hex()


def row(coin_key: str, address: str, signature: str, message: str = MSG, **kw) -> SignedRow:
    return SignedRow(row_no=1, coin=coin_key, address=address, message=message, signature1=signature, **kw)


# Expected address of a key per address type, built here with other libraries or from the SPEC text.
def expected_address(address_type: str, k: PrivateKey, *, ex: bool = False) -> str:
    u = k.public_key.format(compressed=False)
    c = k.public_key.format(compressed=True)
    eth = Account.from_key(k.secret).address
    acct = bytes.fromhex(eth[2:])
    if address_type == "ETH":
        return bech32_encode("ex", acct) if ex else eth
    if address_type == "FLOW":
        return eth
    if address_type == "FIL":
        p = hashlib.blake2b(u, digest_size=20).digest()
        return "f1" + base64.b32encode(p + hashlib.blake2b(b"\x01" + p, digest_size=4).digest()).decode().lower().rstrip("=")
    if address_type == "ELF":
        d = hashlib.sha256(hashlib.sha256(u).digest()).digest()
        return b58check_encode(d)
    if address_type in ("LUNC", "TERRA"):
        return bech32_encode("terra", h160(c))
    hrp = {"ATOM": "cosmos", "TIA": "celestia", "CRO": "cro", "DORA": "dora", "DYDX": "dydx"}
    if address_type in hrp:
        return bech32_encode(hrp[address_type], h160(c))
    if address_type in ("INJ", "ONE"):
        return bech32_encode(address_type.lower(), acct)
    if address_type == "ICX":
        return "hx" + hashlib.sha3_256(u[1:]).digest()[-20:].hex()
    if address_type == "STX":
        return stacks_address(22, h160(u))
    if address_type == "CFX":  # user-type nibble forced to 1 (SPEC §3.2), CIP-37 codec checked by KAT + vectors
        return cip37_encode(bytes([0x10 | (acct[0] & 0x0F)]) + acct[1:])
    raise AssertionError(address_type)


def test_digest_matches_spec_example():
    assert okx_digest("I am an OKX address").hex() == "fcdf430a10ef69670de4fd836a863bf458b428f55b29fc0811d5ef168bab9b0b"


# --- known-answer checks of the address codecs that no OKX vector covers ---------------------------


def test_codec_known_answers():
    # c32check (Stacks' own README example) and the bech32 forms of Injective and Harmony docs
    assert stacks_address(22, bytes.fromhex("a46ff88886c2ef9762d970b4d2c63678835bd39d")) == "SP2J6ZY48GV1EZ5V2V5RB9MP66SW86PYKKNRV9EJ7"
    assert bech32_encode("inj", bytes.fromhex("AF79152AC5dF276D9A8e1E2E22822f9713474902")) == "inj14au322k9munkmx5wrchz9q30juf5wjgz2cfqku"
    assert cip37_encode(bytes.fromhex("106d49f8505410eb4e671d51f7d96d2c87807b09")) == "cfx:aajg4wt2mbmbb44sp6szd783ry0jtad5bea80xdy7p"
    assert bech32_encode("one", bytes.fromhex("0B585F8DaEfBC68a311FbD4cB20d9174aD174016")) == "one1pdv9lrdwl0rg5vglh4xtyrv3wjk3wsqket7zxy"


def test_fil_f1_address_vectors():
    for v in raw_data("fil_address_vectors"):
        assert fil_f1_address(bytes.fromhex(v["uncompressed_pubkey"][2:])) == v["expected_address"]


# --- OKX vectors -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["strict", "compat"])
def test_okx_vectors(mode):
    checked = 0
    for v in vectors("ECDSA", "ECDSA_PUBKEY"):
        verdict = (verify_okx_ecdsa_okx_go if mode == "compat" else verify_okx_ecdsa)(row_from_vector(v), coin_for(v))
        assert verdict.passed == (v["expected"] == "pass"), (v["id"], verdict)
        if v["expected"] == "fail":
            assert verdict.status == "failed" and verdict.reason
        checked += 1
    assert checked >= 25


# --- fresh keys, every address type ----------------------------------------------------------------

TYPED = sorted({c.address_type: c.key for c in registry().coins.values() if c.family == "ECDSA" and c.address_type}.items())


@pytest.mark.parametrize(("address_type", "coin_key"), TYPED)
def test_fresh_key_every_address_type(address_type, coin_key):
    coin = registry().coin(coin_key)
    k = key(len(address_type))
    sig = sign(k)
    address = expected_address(address_type, k)
    good = row(coin_key, address, sig)
    want = "signature_only" if address_type == "FLOW" else "verified"
    assert verify_okx_ecdsa(good, coin).status == want, verify_okx_ecdsa(good, coin)
    assert verify_okx_ecdsa_okx_go(good, coin).status == "verified"
    other = expected_address(address_type, key(200))
    for bad in (replace(good, signature1=flip(sig)), replace(good, signature1=flip(sig, 40)), replace(good, message=MSG + "."), replace(good, address=other)):
        for compat in (False, True):
            verdict = (verify_okx_ecdsa_okx_go if compat else verify_okx_ecdsa)(bad, coin)
            assert verdict.status == "failed" and verdict.reason, (bad, verdict)


def test_every_typed_coin_key_verifies():
    k = key(77)
    sig = sign(k)
    coins = [c for c in registry().coins.values() if c.family == "ECDSA" and c.address_type]
    assert len(coins) >= 30
    for coin in coins:
        verdict = verify_okx_ecdsa(row(coin.key, expected_address(coin.address_type, k), sig), coin)
        assert verdict.passed, (coin.key, verdict)
        assert not verify_okx_ecdsa(row(coin.key, expected_address(coin.address_type, k), flip(sig)), coin).passed


def test_okc_ex1_bech32_and_hex_forms():
    coin = registry().coin("OKT")
    k = key(3)
    sig = sign(k)
    for address in (expected_address("ETH", k, ex=True), expected_address("ETH", k).lower(), expected_address("ETH", k)):
        assert verify_okx_ecdsa(row("OKT", address, sig), coin).status == "verified"
    assert verify_okx_ecdsa(row("OKT", expected_address("ETH", key(4), ex=True), sig), coin).status == "failed"


def test_high_s_and_v_31_34_accepted_as_okx_does():
    coin = registry().coin("ATOM")
    k = key(5)
    raw = bytes.fromhex(sign(k)[2:])
    s = N - int.from_bytes(raw[32:64], "big")
    malleated = "0x" + (raw[:32] + s.to_bytes(32, "big") + bytes([27 + ((raw[64] - 27) ^ 1)])).hex()
    address = expected_address("ATOM", k)
    for compat in (False, True):
        assert (verify_okx_ecdsa_okx_go if compat else verify_okx_ecdsa)(row("ATOM", address, malleated), coin).status == "verified"
        assert (verify_okx_ecdsa_okx_go if compat else verify_okx_ecdsa)(row("ATOM", address, sign(k, v_offset=31)), coin).status == "verified"


def test_case_rules():
    k = key(6)
    sig = sign(k)
    elf = registry().coin("ELF")
    address = expected_address("ELF", k)
    assert verify_okx_ecdsa_okx_go(row("ELF", address.swapcase(), sig), elf).status == "verified"  # OKX EqualFold
    assert verify_okx_ecdsa(row("ELF", address.swapcase(), sig), elf).status == "failed"  # base58: case is data
    cosmos = registry().coin("ATOM")
    atom = expected_address("ATOM", k)
    assert verify_okx_ecdsa(row("ATOM", atom.upper(), sig), cosmos).status == "verified"
    mixed = atom[:10] + atom[10:].upper()
    assert verify_okx_ecdsa(row("ATOM", mixed, sig), cosmos).status == "failed"
    assert verify_okx_ecdsa_okx_go(row("ATOM", mixed, sig), cosmos).status == "verified"


def test_owner_mode_applies_to_ecdsa_rows():
    coin = registry().coin("OKT")
    owner = key(7)
    r = row("OKT", "0x" + "c0" * 20, sign(owner), eoa1=expected_address("ETH", owner))
    assert verify_okx_ecdsa(r, coin).status == "signature_only"
    assert verify_okx_ecdsa_okx_go(r, coin).status == "verified"
    assert verify_okx_ecdsa(replace(r, eoa1=expected_address("ETH", key(8))), coin).status == "failed"


def test_missing_address_type_is_unsupported_on_the_address_path():
    k = key(9)
    for coin_key in ("XRP", "RIPPLE", "NULS"):
        coin = registry().coin(coin_key)
        r = row(coin_key, "rSomething", sign(k))
        assert verify_okx_ecdsa(r, coin).status == "unsupported"
        verdict = verify_okx_ecdsa_okx_go(r, coin)
        assert verdict.status == "failed" and verdict.reason == "invalid coin type"


# --- the audit public-key path ---------------------------------------------------------------------

AUDIT_DEFAULT = Coin(key="SOMECHAIN", asset="", network="", family="ECDSA", address_type="", header="OKX", decimals=None)


def audit_row(coin_key: str, address: str, signature: str, pubkey: str, message: str = MSG, **kw) -> SignedRow:
    return row(coin_key, address, signature, message, script_or_pubkey=pubkey, audit=True, **kw)


def test_pubkey_path_forms_and_mutations():
    k = key(10)
    sig = sign(k)
    c = k.public_key.format(compressed=True)
    u = k.public_key.format(compressed=False)
    r = audit_row("SOMECHAIN", "whatever-address", sig, c.hex())
    verdict = verify_okx_ecdsa(r, AUDIT_DEFAULT)
    assert verdict == verdict.__class__("signature_only", "public key matches; address not derived from key")
    assert verify_okx_ecdsa_okx_go(r, AUDIT_DEFAULT).status == "verified"
    # 64-byte X‖Y is compressed by Y's parity (both modes); 65-byte 04‖X‖Y only in strict
    assert verify_okx_ecdsa_okx_go(replace(r, script_or_pubkey=u[1:].hex()), AUDIT_DEFAULT).status == "verified"
    assert verify_okx_ecdsa(replace(r, script_or_pubkey=u.hex()), AUDIT_DEFAULT).status == "signature_only"
    assert verify_okx_ecdsa_okx_go(replace(r, script_or_pubkey=u.hex(), raw={"script_or_pubkey": u.hex()}), AUDIT_DEFAULT).status == "failed"
    other = key(11).public_key.format(compressed=True).hex()
    for bad in (replace(r, signature1=flip(sig)), replace(r, message=MSG + "."), replace(r, script_or_pubkey=other),
                replace(r, script_or_pubkey=c[:-1].hex())):
        for compat in (False, True):
            bad_c = replace(bad, raw={"script_or_pubkey": bad.script_or_pubkey}) if compat else bad
            assert (verify_okx_ecdsa_okx_go if compat else verify_okx_ecdsa)(bad_c, AUDIT_DEFAULT).status == "failed", bad


def test_pubkey_path_checks_the_address_when_the_type_derives_one():
    k = key(12)
    sig = sign(k)
    c = k.public_key.format(compressed=True).hex()
    okc = registry().coin("OKC")
    good = audit_row("OKC", expected_address("ETH", k).lower(), sig, c)
    assert verify_okx_ecdsa(good, okc).status == "verified"
    wrong = replace(good, address=expected_address("ETH", key(13)))
    verdict = verify_okx_ecdsa(wrong, okc)
    assert verdict.status == "failed" and "public key matches" in verdict.reason
    assert verify_okx_ecdsa_okx_go(wrong, okc).status == "verified"  # OKX never checks the address here


def test_pubkey_path_derives_xrp_and_avalanche_by_shape():
    # XRP genesis account: its published master key and r-address
    genesis_pub = "0330E7FC9D56BB25D6893BA3F317AE5BCF33B3291BD63DB32654A313222F7FD020"
    from chains.xrpl.codec import classic_address

    from coincurve import PublicKey

    u = PublicKey(bytes.fromhex(genesis_pub)).format(compressed=False)
    assert classic_address(u) == "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
    k = key(14)
    sig = sign(k)
    xrp = registry().coin("XRP")
    cells = sign_okx_ecdsa(xrp, MSG, b"xrp-seed")
    r = audit_row("XRP", cells["address"], cells["signature1"], cells["script_or_pubkey"])
    assert cells["address"].startswith("r")
    assert verify_okx_ecdsa(r, xrp).status == "verified"
    assert verify_okx_ecdsa(replace(r, address=sign_okx_ecdsa(xrp, MSG, b"other")["address"]), xrp).status == "signature_only"
    avax = "X-" + bech32_encode("avax", h160(k.public_key.format(compressed=True)))
    r = audit_row("AVAX-X", avax, sig, k.public_key.format(compressed=True).hex())
    assert verify_okx_ecdsa(r, AUDIT_DEFAULT).status == "verified"


def test_audit_row_without_pubkey_uses_the_address_path():
    k = key(15)
    okc = registry().coin("OKC")
    r = audit_row("OKC", expected_address("ETH", k), sign(k), "", raw={"script_or_pubkey": "\\N"})
    assert verify_okx_ecdsa(r, okc).status == "verified"
    assert verify_okx_ecdsa_okx_go(r, okc).status == "verified"


# --- the synth signer -------------------------------------------------------------------------------


def test_signer_rows_verify_for_every_ecdsa_key():
    for coin in (c for c in registry().coins.values() if c.family == "ECDSA"):
        cells = sign_okx_ecdsa(coin, MSG, b"seed-" + coin.key.encode())
        assert cells == sign_okx_ecdsa(coin, MSG, b"seed-" + coin.key.encode())
        if coin.address_type:
            r = row(coin.key, cells["address"], cells["signature1"])
        else:
            r = audit_row(coin.key, cells["address"], cells["signature1"], cells["script_or_pubkey"])
        assert verify_okx_ecdsa(r, coin).passed, coin.key
        assert verify_okx_ecdsa_okx_go(r, coin).status == "verified", coin.key
        assert verify_okx_ecdsa(replace(r, message=MSG + "!"), coin).status == "failed", coin.key
