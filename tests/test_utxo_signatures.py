"""UTXO signatures made here, independently of the verifier: coincurve signs, hashlib hashes.

Every address type of every Bitcoin-family coin key is signed by fresh keys and must
verify; then one byte of signature, message, address or script is changed and it must
fail. The OKX-compatible mode is checked against the quirks SPEC §3.11 documents.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from Crypto.Hash import RIPEMD160, keccak
from coincurve import PrivateKey, PublicKey

from chains.common.encoding import b58check_encode, cashaddr_encode, segwit_encode
from chains.utxo.verify import sign_utxo, verify_utxo, verify_utxo_okx_go
from indexer.models import SignedRow
from indexer.registry import registry

MESSAGE = "I am an OKX address"
HEADERS = {  # SPEC §2.1, written out again here on purpose
    "BTC": b"Bitcoin Signed Message:\n",
    "LTC": b"Litecoin Signed Message:\n",
    "DOGE": b"Dogecoin Signed Message:\n",
    "DASH": b"DarkCoin Signed Message:\n",
    "BTG": b"Bitcoin Gold Signed Message:\n",
    "BCD": b"Bitcoindiamond Signed Message:\n",
    "DGB": b"DigiByte Signed Message:\n",
    "QTUM": b"Qtum Signed Message:\n",
    "RVN": b"Raven Signed Message:\n",
    "ZEC": b"Zcash Signed Message:\n",
}
# Mainnet prefixes (P2PKH, P2SH) and segwit hrp per coin key, from each chain's own chainparams.
CHAINS = {
    "BTC": (b"\x00", b"\x05", "bc"),
    "USDT-OMNI": (b"\x00", b"\x05", "bc"),
    "USDT": (b"\x00", b"\x05", "bc"),
    "BSV": (b"\x00", b"\x05", ""),
    "BCHSV": (b"\x00", b"\x05", ""),
    "BCD": (b"\x00", b"\x05", ""),
    "BCHN": (b"\x00", b"\x05", ""),
    "BCH": (b"\x00", b"\x05", ""),
    "XEC": (b"\x00", b"\x05", ""),
    "BCHA": (b"\x00", b"\x05", ""),
    "LTC": (bytes([48]), bytes([50]), "ltc"),
    "DOGE": (bytes([30]), bytes([22]), ""),
    "DASH": (bytes([76]), bytes([16]), ""),
    "BTG": (bytes([38]), bytes([23]), "btg"),
    "DGB": (bytes([30]), bytes([63]), "dgb"),
    "QTUM": (bytes([58]), bytes([50]), "qc"),
    "RVN": (bytes([60]), bytes([122]), ""),
    "ZEC": (b"\x1c\xb8", b"\x1c\xbd", ""),
    "ZCASH": (b"\x1c\xb8", b"\x1c\xbd", ""),
}
CASHADDR = {"BCH": "bitcoincash", "BCHN": "bitcoincash", "XEC": "ecash", "BCHA": "ecash"}


def _h160(data: bytes) -> bytes:
    return RIPEMD160.new(hashlib.sha256(data).digest()).digest()


h160 = _h160


def key(label: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(b"test-utxo/" + label.encode()).digest())


def coin_digest(coin_key: str, message: str) -> bytes:
    header = HEADERS[registry().coin(coin_key).header]
    body = message.encode()
    pre = bytes([len(header)]) + header + bytes([len(body)]) + body
    return hashlib.sha256(hashlib.sha256(pre).digest()).digest()


def bip137(priv: PrivateKey, coin_key: str, message: str = MESSAGE, *, base: int = 31) -> str:
    """Compact signature by hand: header (27 uncompressed / 31 compressed / 35, 39 segwit) + recid, r, s."""
    sig = priv.sign_recoverable(coin_digest(coin_key, message), hasher=None)
    return base64.b64encode(bytes([base + sig[64]]) + sig[:64]).decode()


def okx_hex(priv: PrivateKey, message: str = MESSAGE, *, v_base: int = 27) -> str:
    header = b"OKX Signed Message:\n"
    body = message.encode()
    digest = keccak.new(data=bytes([len(header)]) + header + bytes([len(body)]) + body, digest_bits=256).digest()
    sig = priv.sign_recoverable(digest, hasher=None)
    return "0x" + (sig[:64] + bytes([v_base + sig[64]])).hex()


def multisig(pubs: list[bytes], m: int) -> bytes:
    return bytes([0x50 + m]) + b"".join(bytes([len(p)]) + p for p in pubs) + bytes([0x50 + len(pubs), 0xAE])


def row(coin_key: str, address: str, sig1: str, sig2: str = "", script: bytes | str = b"", message: str = MESSAGE) -> SignedRow:
    script_text = script.hex() if isinstance(script, bytes) else script
    return SignedRow(row_no=1, coin=coin_key, address=address, message=message, signature1=sig1, signature2=sig2, script_or_pubkey=script_text)


def check(r: SignedRow, compat: bool = False):
    return (verify_utxo_okx_go if compat else verify_utxo)(r, registry().coin(r.coin))


def flip_sig(sig: str, at: int = 10) -> str:
    if sig.startswith("0x"):
        raw = bytearray(bytes.fromhex(sig[2:]))
        raw[at] ^= 1
        return "0x" + raw.hex()
    raw = bytearray(base64.b64decode(sig))
    raw[at] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def flip_char(text: str, at: int = -3) -> str:
    chars = list(text)
    chars[at] = "B" if chars[at] != "B" else "C"
    return "".join(chars)


# --- every coin, every address type ------------------------------------------------------
def _cases() -> list[tuple[str, str]]:
    cases = []
    for coin_key, (_, p2sh, hrp) in CHAINS.items():
        cases += [(coin_key, "p2pkh"), (coin_key, "p2pkh-uncompressed"), (coin_key, "p2pkh-hex"), (coin_key, "p2sh-2of3")]
        if hrp:
            cases += [(coin_key, "p2wpkh"), (coin_key, "p2wsh-2of3"), (coin_key, "p2sh-p2wpkh"), (coin_key, "p2sh-p2wsh-2of3")]
        if coin_key in CASHADDR:
            cases += [(coin_key, "cashaddr-p2pkh"), (coin_key, "cashaddr-p2sh")]
    cases += [("BTC", "p2tr-bip86")]
    return cases


def build(coin_key: str, kind: str, *, tweak_hash: bool = False) -> SignedRow:
    """A signed row of that address type; ``tweak_hash`` flips one bit of the address's hash."""
    p2pkh, p2sh, hrp = CHAINS[coin_key]

    def h160(data: bytes) -> bytes:
        h = _h160(data)
        return bytes([h[0] ^ 1]) + h[1:] if tweak_hash else h

    def sha256(data: bytes) -> bytes:
        h = hashlib.sha256(data).digest()
        return bytes([h[0] ^ 1]) + h[1:] if tweak_hash else h

    k1, k2, k3 = key(coin_key + kind + "1"), key(coin_key + kind + "2"), key(coin_key + kind + "3")
    pubs = [k.public_key.format() for k in (k1, k2, k3)]
    ms = multisig(pubs, 2)
    if kind == "p2pkh":
        return row(coin_key, b58check_encode(p2pkh + h160(pubs[0])), bip137(k1, coin_key))
    if kind == "p2pkh-uncompressed":
        return row(coin_key, b58check_encode(p2pkh + h160(k1.public_key.format(compressed=False))), bip137(k1, coin_key, base=27))
    if kind == "p2pkh-hex":
        return row(coin_key, b58check_encode(p2pkh + h160(pubs[0])), okx_hex(k1))
    if kind == "p2sh-2of3":
        return row(coin_key, b58check_encode(p2sh + h160(ms)), bip137(k1, coin_key), bip137(k3, coin_key), ms)
    if kind == "p2wpkh":
        return row(coin_key, segwit_encode(hrp, 0, h160(pubs[0])), bip137(k1, coin_key, base=39))
    if kind == "p2wsh-2of3":
        return row(coin_key, segwit_encode(hrp, 0, sha256(ms)), bip137(k2, coin_key), bip137(k3, coin_key), ms)
    if kind == "p2sh-p2wpkh":
        redeem = b"\x00\x14" + _h160(pubs[0])
        return row(coin_key, b58check_encode(p2sh + h160(redeem)), bip137(k1, coin_key, base=35), script=redeem)
    if kind == "p2sh-p2wsh-2of3":
        redeem = b"\x00\x20" + hashlib.sha256(ms).digest()
        return row(coin_key, b58check_encode(p2sh + h160(redeem)), bip137(k1, coin_key), bip137(k2, coin_key), ms)
    if kind == "cashaddr-p2pkh":
        return row(coin_key, cashaddr_encode(CASHADDR[coin_key], 0, h160(pubs[0])), bip137(k1, coin_key))
    if kind == "cashaddr-p2sh":
        return row(coin_key, cashaddr_encode(CASHADDR[coin_key], 8, h160(ms)), bip137(k1, coin_key), bip137(k2, coin_key), ms)
    if kind == "p2tr-bip86":
        x = pubs[0][1:]
        tag = hashlib.sha256(b"TapTweak").digest()
        output = PublicKey(b"\x02" + x).add(hashlib.sha256(tag + tag + x).digest())
        program = output.format()[1:]
        return row(coin_key, segwit_encode(hrp, 1, sha256(program) if tweak_hash else program), bip137(k1, coin_key))
    raise AssertionError(kind)


CASES = _cases()


@pytest.mark.parametrize(("coin_key", "kind"), CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_fresh_signature_verifies_and_every_mutation_fails(coin_key: str, kind: str) -> None:
    good = build(coin_key, kind)
    verdict = check(good)
    assert verdict.status == "verified", verdict.reason

    assert check(row(coin_key, good.address, flip_sig(good.signature1), good.signature2, good.script_or_pubkey)).status == "failed"
    assert check(row(coin_key, good.address, flip_sig(good.signature1, 40), good.signature2, good.script_or_pubkey)).status == "failed"
    if good.signature2:
        assert check(row(coin_key, good.address, good.signature1, flip_sig(good.signature2), good.script_or_pubkey)).status == "failed"
    mutated_msg = row(coin_key, good.address, good.signature1, good.signature2, good.script_or_pubkey, message=MESSAGE + ".")
    assert check(mutated_msg).status == "failed"
    assert check(row(coin_key, flip_char(good.address), good.signature1, good.signature2, good.script_or_pubkey)).status == "failed"
    other = build(coin_key, kind, tweak_hash=True).address  # decodes fine, to a hash one bit away
    assert other != good.address
    assert check(row(coin_key, other, good.signature1, good.signature2, good.script_or_pubkey)).status == "failed"
    if good.script_or_pubkey and kind != "p2sh-p2wpkh":
        script = bytearray(bytes.fromhex(good.script_or_pubkey))
        script[5] ^= 1  # inside the first key
        assert check(row(coin_key, good.address, good.signature1, good.signature2, bytes(script))).status == "failed"


@pytest.mark.parametrize("coin_key", [k for k, c in registry().coins.items() if c.family == "UTXO"])
def test_plugin_signer_rows_verify(coin_key: str) -> None:
    """sign_utxo makes real rows for every UTXO key (ZEN/DCR: OKX-compatible only)."""
    coin = registry().coin(coin_key)
    for i in range(8 if coin_key == "BTC" else 2):
        cells = sign_utxo(coin, MESSAGE, b"seed-%d" % i)
        r = row(coin_key, cells["address"], cells["signature1"], cells["signature2"], cells["script_or_pubkey"])
        strict = check(r)
        compat = coin.address_type in ("ZEN", "DCR")  # no strict scheme: check what OKX would say
        assert strict.status == ("unsupported" if compat else "verified"), (cells, strict)
        assert check(r, compat=compat).status == "verified"
        assert check(row(coin_key, r.address, flip_sig(r.signature1), r.signature2, r.script_or_pubkey), compat=compat).status == "failed"


def test_btc_signer_mixes_address_types() -> None:
    coin = registry().coin("BTC")
    kinds = set()
    for i in range(200):
        a = sign_utxo(coin, MESSAGE, b"mix-%d" % i)["address"]
        kinds.add("p2pkh" if a[0] == "1" else "p2sh" if a[0] == "3" else "p2wpkh" if len(a) == 42 else "p2wsh")
    assert kinds == {"p2pkh", "p2sh", "p2wpkh", "p2wsh"}


# --- thresholds and signer sets -----------------------------------------------------------
def _multisig_row(m: int, n: int, signers: list[int], *, witness: bool = False) -> SignedRow:
    keys = [key(f"thr{i}") for i in range(n)]
    script = multisig([k.public_key.format() for k in keys], m)
    address = segwit_encode("bc", 0, hashlib.sha256(script).digest()) if witness else b58check_encode(b"\x05" + h160(script))
    sigs = [bip137(keys[i], "BTC") for i in signers] + ["", ""]
    return row("BTC", address, sigs[0], sigs[1], script)


@pytest.mark.parametrize("witness", [False, True], ids=["p2sh", "p2wsh"])
def test_multisig_threshold_rules(witness: bool) -> None:
    assert check(_multisig_row(2, 3, [0, 2], witness=witness)).status == "verified"
    assert check(_multisig_row(1, 2, [1], witness=witness)).status == "verified"
    one = check(_multisig_row(2, 3, [0], witness=witness))
    assert one.status == "failed" and one.reason == "threshold not met: 1 distinct valid signer of 2 required"
    twice = check(_multisig_row(2, 3, [1, 1], witness=witness))
    assert twice.status == "failed" and twice.reason.startswith("threshold not met: 1 distinct valid signer of 2 required")
    assert check(_multisig_row(3, 3, [0, 1], witness=witness)).reason.startswith("threshold not met: 2 distinct valid signers of 3")
    # OKX: m unchecked, one signer twice counts as two, but both signatures are needed
    assert check(_multisig_row(3, 3, [0, 1], witness=witness), compat=True).status == "verified"
    assert check(_multisig_row(2, 3, [1, 1], witness=witness), compat=True).status == "verified"
    assert check(_multisig_row(1, 2, [1], witness=witness), compat=True).status == "failed"


def test_signer_outside_the_script_fails() -> None:
    good = _multisig_row(2, 3, [0, 1])
    outsider = bip137(key("outsider"), "BTC")
    verdict = check(row("BTC", good.address, good.signature1, outsider, good.script_or_pubkey))
    assert verdict.status == "failed" and "signature2 recovers key" in verdict.reason and "not in the redeem script" in verdict.reason


def test_unspendable_threshold_and_non_multisig_scripts_fail() -> None:
    keys = [key(f"bad{i}") for i in range(2)]
    pubs = [k.public_key.format() for k in keys]
    m_over_n = bytes([0x53]) + b"".join(bytes([33]) + p for p in pubs) + bytes([0x52, 0xAE])  # 3-of-2
    r = row("BTC", b58check_encode(b"\x05" + h160(m_over_n)), bip137(keys[0], "BTC"), bip137(keys[1], "BTC"), m_over_n)
    assert check(r).status == "failed" and "unspendable" in check(r).reason
    p2pk = bytes([33]) + pubs[0] + bytes([0xAC])
    r = row("BTC", b58check_encode(b"\x05" + h160(p2pk)), bip137(keys[0], "BTC"), "", p2pk)
    assert check(r).status == "failed" and "not a standard multisig" in check(r).reason
    wrong_script = row("BTC", b58check_encode(b"\x05" + h160(p2pk)), bip137(keys[0], "BTC"), "", multisig(pubs, 1))
    assert check(wrong_script).reason.startswith("address mismatch: script hashes to 3")


def test_uncompressed_keys_in_a_multisig_script_match_by_point() -> None:
    keys = [key(f"unc{i}") for i in range(3)]
    script = multisig([k.public_key.format(compressed=False) for k in keys], 2)
    r = row("BTC", b58check_encode(b"\x05" + h160(script)), bip137(keys[0], "BTC"), bip137(keys[1], "BTC"), script)
    assert check(r).status == "verified"
    assert check(r, compat=True).status == "failed"  # OKX compares compressed keys' addresses only


# --- taproot, headers, key forms ------------------------------------------------------------
def test_taproot_without_bip86_link_fails() -> None:
    k = key("tr")
    program = hashlib.sha256(b"some script tree output").digest()
    program = PublicKey.from_secret(program).format()[1:]
    verdict = check(row("BTC", segwit_encode("bc", 1, program), bip137(k, "BTC")))
    assert verdict.status == "failed"
    assert verdict.reason.startswith("taproot output key cannot be linked from a recoverable signature")
    assert check(row("BTC", segwit_encode("bc", 1, program), "AAAA")).status == "failed"
    assert check(row("BTC", segwit_encode("bc", 1, program), bip137(k, "BTC")), compat=True).status == "failed"


def test_header_byte_forms() -> None:
    k = key("hdr")
    compressed = b58check_encode(b"\x00" + h160(k.public_key.format()))
    uncompressed = b58check_encode(b"\x00" + h160(k.public_key.format(compressed=False)))
    # BIP-137 says which serialisation the address uses; the key is the same either way
    assert check(row("BTC", uncompressed, bip137(k, "BTC", base=27))).status == "verified"
    assert check(row("BTC", uncompressed, bip137(k, "BTC", base=27)), compat=True).status == "failed"  # OKX compresses always
    mixed = check(row("BTC", compressed, bip137(k, "BTC", base=27)))
    assert mixed.status == "verified" and "header marks an uncompressed key" in mixed.reason
    assert check(row("BTC", compressed, bip137(k, "BTC", base=27)), compat=True).status == "verified"
    # segwit headers 35..42: accepted strictly, rejected by OKX
    p2wpkh = segwit_encode("bc", 0, h160(k.public_key.format()))
    assert check(row("BTC", p2wpkh, bip137(k, "BTC", base=39))).status == "verified"
    assert check(row("BTC", compressed, bip137(k, "BTC", base=39)), compat=True).reason.endswith("outside 27..34")
    raw = bytearray(base64.b64decode(bip137(k, "BTC")))
    raw[0] = 43
    assert check(row("BTC", compressed, base64.b64encode(bytes(raw)).decode())).reason.endswith("outside 27..42")
    # 0x signatures: v 27..34 strictly; OKX retries v+4 so 23..26 pass there
    assert check(row("BTC", compressed, okx_hex(k))).status == "verified"
    assert check(row("BTC", compressed, okx_hex(k, v_base=31))).status == "verified"
    assert check(row("BTC", compressed, okx_hex(k, v_base=23))).status == "failed"
    assert check(row("BTC", compressed, okx_hex(k, v_base=23)), compat=True).status == "verified"
    assert check(row("BTC", compressed, okx_hex(k, v_base=0))).status == "failed"
    # a hex signature is over the OKX digest, not the coin header: a BIP-137 body in hex fails
    sig = base64.b64decode(bip137(k, "BTC"))
    assert check(row("BTC", compressed, "0x" + (sig[1:] + bytes([sig[0] - 4])).hex())).status == "failed"


def test_empty_and_malformed_cells_fail_with_reasons() -> None:
    k = key("cells")
    address = b58check_encode(b"\x00" + h160(k.public_key.format()))
    sig = bip137(k, "BTC")
    assert check(row("BTC", "", sig)).reason == "address is empty"
    assert check(row("BTC", address, sig, message="")).reason == "message is empty"
    assert check(row("BTC", address, "")).reason.startswith("no signature")
    assert check(row("BTC", address, sig[:-4])).reason.startswith("signature1:")
    # a single-key address needs one signature: an unreadable second one is recorded apart, never a failure
    extra = check(row("BTC", address, sig, "@@@"))
    assert (extra.status, extra.extra) == ("verified", "unreadable") and "extra signature2 recovers no key" in extra.reason
    assert check(row("BTC", address, "@@@", sig)).extra == "unreadable"  # whichever cell proves it
    ms = _multisig_row(2, 3, [0, 1])
    assert check(row("BTC", ms.address, ms.signature1, "@@@", ms.script_or_pubkey)).reason.startswith("signature2:")  # a multisig needs both
    assert check(row("BTC", ms.address, ms.signature1, ms.signature2, "zz")).reason == "redeem script is not valid hex"
    assert check(row("BTC", ms.address, ms.signature1, ms.signature2, "")).status == "failed"


# --- OKX-compatible quirks (SPEC §3.11) -----------------------------------------------------
def test_okx_quirks_reproduced_in_compat_only() -> None:
    k = key("quirk")
    sig = bip137(k, "BTC")
    # undecodable address: OKX passes once a signature recovers
    assert check(row("BTC", "notAnAddress", sig), compat=True).status == "verified"
    assert check(row("BTC", "notAnAddress", sig)).status == "failed"
    # a real P2WPKH is classed P2WSH by OKX and fails there
    p2wpkh = segwit_encode("bc", 0, h160(k.public_key.format()))
    assert check(row("BTC", p2wpkh, sig), compat=True).status == "failed"
    assert check(row("BTC", p2wpkh, sig)).status == "verified"
    # BCH P2PKH cashaddr always fails in OKX; P2SH cashaddr is converted and checked
    cash = cashaddr_encode("bitcoincash", 0, h160(k.public_key.format()))
    assert check(row("BCH", cash, bip137(k, "BCH")), compat=True).status == "failed"
    assert check(row("BCH", cash, bip137(k, "BCH"))).status == "verified"
    ms = build("BCH", "cashaddr-p2sh")
    assert check(ms, compat=True).status == "verified"
    # ecash: fails OKX's conversion (decoded with the bitcoincash prefix)
    assert check(build("XEC", "cashaddr-p2sh"), compat=True).status == "failed"
    assert check(build("XEC", "cashaddr-p2sh")).status == "verified"
    # ZEC t-addresses decode but are never classified: unchecked pass in OKX, checked strictly
    zec = build("ZEC", "p2pkh")
    other = bip137(key("someone else"), "ZEC")
    assert check(row("ZEC", zec.address, other), compat=True).status == "verified"
    assert check(row("ZEC", zec.address, other)).status == "failed"
    # a BTC address under LTC does not decode with LTC's parameters: OKX passes it
    btc = b58check_encode(b"\x00" + h160(k.public_key.format()))
    assert check(row("LTC", btc, bip137(k, "LTC")), compat=True).status == "verified"
    assert check(row("LTC", btc, bip137(k, "LTC"))).status == "failed"


def test_zen_and_dcr_have_no_strict_scheme() -> None:
    for coin_key in ("ZEN", "DCR"):
        k = key(coin_key)
        r = row(coin_key, b58check_encode(b"\x00" + h160(k.public_key.format())), bip137(k, "BTC"))
        assert check(r).status == "unsupported"
        assert check(r, compat=True).status == "verified"
