"""Exchange plugins: HTX and Binance files in their exact layouts, ingested with ``--exchange auto``.

Signatures are made in the test by fresh keys with independent signers: the Bitcoin signed message is
assembled here from its format (varint-prefixed header and message, double SHA-256, header byte 31 +
recid), EVM by eth_account (EIP-191 ``encode_defunct``) and by coincurve over the raw keccak, TRON by
coincurve over TronWeb's digest, SOL and ALGO by PyNaCl. Each is then mutated by one byte and must fail.
A few real rows of HTX's published file (``huobiapi/Tool-Node.js-VerifyAddress``, snapshot 2026-02-01 and
2023-05-01) must verify too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from coincurve import PrivateKey
from Crypto.Hash import RIPEMD160, keccak

from indexer.registry import registry
from indexer.audit import load_liability_file
from indexer.ingest import IngestError, ingest_file
from indexer.verify import verify_snapshot

MSG = "King will be back!"


# ------------------------------------------------------------------------------------------ independent signers
def _keccak(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def _b58(data: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _b58check(payload: bytes) -> str:
    return _b58(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])


def btc_row(seed: int) -> tuple[str, str]:
    """P2PKH address and a Bitcoin Signed Message signature (base64, header 31 + recid: compressed key)."""
    key = PrivateKey(hashlib.sha256(b"btc%d" % seed).digest())
    pre = b"\x18Bitcoin Signed Message:\n" + bytes([len(MSG)]) + MSG.encode()
    digest = hashlib.sha256(hashlib.sha256(pre).digest()).digest()
    sig = key.sign_recoverable(digest, hasher=None)
    h160 = RIPEMD160.new(hashlib.sha256(key.public_key.format()).digest()).digest()
    return _b58check(b"\x00" + h160), base64.b64encode(bytes([31 + sig[64]]) + sig[:64]).decode()


def evm_row_eip191(seed: int) -> tuple[str, str]:
    from eth_account import Account
    from eth_account.messages import encode_defunct

    acct = Account.from_key(hashlib.sha256(b"evm%d" % seed).digest())
    signed = Account.sign_message(encode_defunct(text=MSG), acct.key)
    return acct.address, "0x" + bytes(signed.signature).hex()


def evm_row_raw(seed: int) -> tuple[str, str]:
    """keccak256(message) without a prefix, v written as 00/01 (as HTX's rows do)."""
    key = PrivateKey(hashlib.sha256(b"raw%d" % seed).digest())
    sig = key.sign_recoverable(_keccak(MSG.encode()), hasher=None)
    address = "0x" + _keccak(key.public_key.format(compressed=False)[1:])[12:].hex()
    return address, "0x" + sig[:64].hex() + bytes([sig[64]]).hex()


def tron_row(seed: int, hashed: bool) -> tuple[str, str]:
    """TronWeb's verifySignature digest: keccak(TRON32 ‖ bytes), over the message or over keccak(message)."""
    key = PrivateKey(hashlib.sha256(b"trx%d" % seed).digest())
    body = _keccak(MSG.encode()) if hashed else MSG.encode()
    sig = key.sign_recoverable(_keccak(b"\x19TRON Signed Message:\n32" + body), hasher=None)
    address = _b58check(b"\x41" + _keccak(key.public_key.format(compressed=False)[1:])[12:])
    return address, sig[:64].hex() + bytes([sig[64]]).hex()  # no 0x, last byte 00/01


def sol_row(seed: int) -> tuple[str, str]:
    from nacl.signing import SigningKey

    sk = SigningKey(hashlib.sha256(b"sol%d" % seed).digest())
    return _b58(bytes(sk.verify_key)), base64.b64encode(sk.sign(MSG.encode()).signature).decode()


def algo_row(seed: int) -> tuple[str, str]:
    from nacl.signing import SigningKey

    sk = SigningKey(hashlib.sha256(b"algo%d" % seed).digest())
    pub = bytes(sk.verify_key)
    address = base64.b32encode(pub + hashlib.new("sha512_256", pub).digest()[-4:]).decode().rstrip("=")
    return address, base64.b64encode(sk.sign(MSG.encode()).signature).decode()


def mutate(sig: str) -> str:
    """One byte of the signature changed (in the r part), in the signature's own encoding."""
    if sig.startswith("0x") or all(c in "0123456789abcdef" for c in sig):
        i = 12 + (2 if sig.startswith("0x") else 0)
        return sig[:i] + ("0" if sig[i] != "0" else "1") + sig[i + 1 :]
    raw = bytearray(base64.b64decode(sig))
    raw[10] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# ------------------------------------------------------------------------------------------ HTX
def htx_file(tmp_path: Path, rows: list[tuple[str, str, str, str, str, str]], summary: str) -> Path:
    text = "\ufeffcoin,snapshot height,balance\n" + summary + "\n\ncoin,address,snapshot height,balance,message,signature\n"
    text += "".join(",".join(r) + "\n" for r in rows)
    path = tmp_path / "huobi_por_20260201.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def htx_rows():
    btc = btc_row(1)
    e1, e2 = evm_row_eip191(2), evm_row_raw(3)
    t1, t2 = tron_row(4, False), tron_row(5, True)
    sol, algo = sol_row(6), algo_row(7)
    return [
        ("BTC", btc[0], "934496", "6983.70", MSG, btc[1]),
        ("BTC", btc[0], "934496", "1.5", MSG, mutate(btc[1])),
        ("ETH", e1[0], "24355911", "12513.950000000000000001", MSG, e1[1]),
        ("ETH", e1[0], "24355911", "1", MSG, mutate(e1[1])),
        ("stETH", e2[0], "24355911", "100228.90", MSG, e2[1]),
        ("stETH", e2[0], "-", "-", MSG, mutate(e2[1])),  # signature-only row: no amount
        ("TRX", t1[0], "79736938", "9018546436.63", MSG, t1[1]),
        ("USDT-TRC20", t2[0], "79736938", "36105076.59", MSG, t2[1]),
        ("USDT-TRC20", t2[0], "79736938", "2", MSG, mutate(t2[1])),
        ("SOL", sol[0], "397161865", "371618.58", MSG, sol[1]),
        ("SOL", sol[0], "397161865", "1", MSG, mutate(sol[1])),
        ("USDT-ALGO", algo[0], "30152991", "6754858.86", MSG, algo[1]),
        ("USDT-ALGO", algo[0], "30152991", "1", MSG, mutate(algo[1])),
        ("DOGE", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L", "6066323", "2866993.9984026", "-", "-"),  # no proof
        ("wBTC-ERC20", e1[0], "24355911", "0.5", "-", "-"),
    ]


SUMMARY = """BTC(ALL),-,6985.70
BTC,934496,6985.20
WBTC-ERC20,24355911,0.5
ETH(ALL),-,112743.850000000000000001
ETH,24355911,12514.950000000000000001
stETH,24355911,100228.90
SOL(All),-,371619.58
USDT-TRC20,79736938,36105078.59"""


def test_htx_file_ingests_by_its_header_with_exact_amounts_and_absent_markers(con, tmp_path, htx_rows):
    path = htx_file(tmp_path, htx_rows, SUMMARY)
    [report] = ingest_file(con, path)  # exchange="auto"
    assert report.exchange == "htx" and report.errors == 0 and report.rows == len(htx_rows)
    assert con.execute("select exchange, layout, label from snapshots").fetchall() == [("htx", "summary+htx6", "HTX 2026-02-01")]
    got = dict(con.execute("select line_no, (published_amount, cast(published_base_units as varchar), snapshot_height, form) from addresses").fetchall())
    lines = {i + 12: r for i, r in enumerate(htx_rows)}  # header at line 11 (8 summary rows, blank line)
    assert got[12] == ("6983.70", "698370000000", 934496, "native")
    assert got[14] == ("12513.950000000000000001", "12513950000000000000001", 24355911, "native")
    assert got[17] == (None, None, None, "staked")  # '-' amount is no claimed amount, never 0
    assert lines[16][0] == "stETH"
    coin, asset, network, contract = con.execute("select coin, asset, network, contract from addresses where line_no = 16").fetchone()
    assert (coin, asset, network, contract) == ("STETH", "ETH", "ETH", "0xae7ab96520DE3A18E5e111B5EaAb095312D7fE84")
    # case-insensitive keys: wBTC in the detail, WBTC in the summary are one key
    assert con.execute("select coin, asset, form from addresses where line_no = 26").fetchone() == ("WBTC-ERC20", "BTC", "wrapped")
    # '-' message and signature are stored empty (absent), with the cells named
    assert con.execute("select message, signature1, null_cells from addresses where line_no = 25").fetchone() == ("", "", "message,signature1")
    checks = dict(con.execute("select coin, difference from published_totals_check where detail_rows > 0").fetchall())
    assert checks == dict.fromkeys(["BTC(ALL)", "BTC", "WBTC-ERC20", "ETH(ALL)", "ETH", "STETH", "SOL(ALL)", "USDT-TRC20"], 0)
    forms = dict(con.execute("select form, published_amount from reserves_by_form where asset = 'ETH'").fetchall())
    assert forms == {"native": Decimal("12514.950000000000000001"), "staked": Decimal("100228.900000000000000000")}


def test_htx_signatures_verify_strictly_and_each_mutation_fails(con, tmp_path, htx_rows):
    ingest_file(con, htx_file(tmp_path, htx_rows, SUMMARY), exchange="auto")
    verify_snapshot(con, workers=1, show_progress=False)
    got = {line: (status, reason) for line, status, reason in con.execute(
        "select a.line_no, s.status, s.reason from signatures s join addresses a using (snapshot_id, row_no)").fetchall()}  # fmt: skip
    expected_ok = {12: "HTX-BTC", 14: "HTX-EVM", 16: "HTX-EVM", 18: "HTX-TRX", 19: "HTX-TRX", 21: "HTX-SOL", 23: "HTX-ALGO"}
    for line in expected_ok:
        assert got[line][0] == "verified", (line, got[line])
    assert "without a prefix" in got[16][1]  # raw keccak tried first
    assert got[18][1] == "" or got[18][1] is None  # TronWeb over the message's own bytes
    assert "hashed message" in got[19][1]
    for line in (13, 15, 17, 20, 22, 24):
        assert got[line][0] == "failed", (line, got[line])
    assert got[25] == ("unsupported", "no proof published")
    assert got[26] == ("unsupported", "no proof published")


# Real rows of HTX's published file (huobiapi/Tool-Node.js-VerifyAddress snapshot/huobi_por.csv, 2026-02-01, and the
# 2023-05-01 file for ALGO): the published signatures must verify under the schemes as implemented.
REAL = [
    ("BTC", "143gLvWYUojXaWZRrxquRKpVNTkhmr415B", "934496", "6983.70", "huobi",
     "H5uVlAKs/aB7sqmIZ0h84aSNv8nWAhgffOP5s9UHyuoeEG1ni+DhVpYKF9T+e4jKXsXDUEHOObevLqYocBslD4c="),
    ("WBTC-ERC20", "0x18709e89bd403f470088abdacebe86cc60dda12e", "24355911", "1212.72", "huobi",
     "0x68a79a40adfb16777e49206d60f9cd11de0fbaf3acad5be1e30dd955182475f43255dfec5fede4dc97fcf1fbce1583dd05ee419bf3939ca95919aff931eec41d01"),
    ("BTC-TRC20", "TDToUxX8sH4z6moQpK3ZLAN24eupu2ivA4", "79736938", "10388.92", "huobi",
     "8fa14929f7d46128d4b0b89fde15396ff1f322f516b10677c523d1e9b9b52a027f85234f880aacb806631d6f2102e5947408415f2d5531d81924215964c78c8c01"),
    ("USDT-ALGO", "J4AEINCSSLDA7LNBNWM4ZXFCTLTOZT5LG3F5BLMFPJYGFWVCMU37EZI2AM", "30152991", "6754858.86", "6DcZbFpug1664269042",
     "OY7V51jNiq7YD7tvI3oazWlERi0uOt5eBopQRkUaFAmUcrBL45jrBBEwdE1Xtr8j7f1ij4Eziqwa7RBNXm16Cg=="),
]  # fmt: skip


def test_real_htx_rows_verify(con, tmp_path):
    ingest_file(con, htx_file(tmp_path, REAL, "BTC,934496,6983.70"))
    verify_snapshot(con, workers=1, show_progress=False)
    assert con.execute("select status, count(*) from signatures group by all").fetchall() == [("verified", 4)]


# ------------------------------------------------------------------------------------------ Binance
BINANCE_HEADER = "coin,network,address,balance,Height,Third party custodian name"


def binance_zip(tmp_path: Path) -> Path:
    hot = "\n".join([
        BINANCE_HEADER,
        'ETH,ETH,0x57a0000000000000000000000000000000a646,0.031817860000000000,24781026,""',
        'BTC,BTC,1BinanceHot1111111111111111111111,12.345678900000000000,944321,"Ceffu"',
        'USDT,TRX,TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs,100.000001000000000000,81234567,""',
    ]) + "\n"  # fmt: skip
    deposit = "\n".join([
        BINANCE_HEADER,
        'BNB,BSC,0x0000000000000000000000000000000000000001,1.000000000000000001,50123456,""',
        'USDT,ETH,0x0000000000000000000000000000000000000002,5.123456100000000000,24781026,""',  # 7th decimal: refused
        'BTC,BTC,1BinanceDeposit111111111111111111,0.000000010000000000,944321,""',
    ]) + "\n"  # fmt: skip
    path = tmp_path / "wallet_address_20260401.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("PR01APR26_HotCold.csv", hot)
        zf.writestr("PR01APR26_Deposit.csv", deposit)
    return path


def test_binance_zip_is_one_snapshot_with_custody_and_no_proofs(con, tmp_path):
    [report] = ingest_file(con, binance_zip(tmp_path))
    assert report.exchange == "binance" and report.rows == 5 and report.errors == 1
    assert con.execute("select count(*), any_value(exchange), any_value(label) from snapshots").fetchone() == (1, "binance", "Binance 2026-04-01")
    rows = con.execute("select source_member, coin, asset, network, cast(published_base_units as varchar), custodian from addresses order by row_no").fetchall()
    assert rows == [
        ("PR01APR26_Deposit.csv", "BNB_BSC", "BNB", "BSC", "1000000000000000001", None),
        ("PR01APR26_Deposit.csv", "BTC", "BTC", "BTC", "1", None),
        ("PR01APR26_HotCold.csv", "ETH", "ETH", "ETH", "31817860000000000", None),
        ("PR01APR26_HotCold.csv", "BTC", "BTC", "BTC", "1234567890", "Ceffu"),
        ("PR01APR26_HotCold.csv", "USDT-TRC20", "USDT", "TRON", "100000001", None),
    ]
    [(member, line, reason)] = con.execute("select source_member, line_no, reason from ingest_errors").fetchall()
    assert (member, line) == ("PR01APR26_Deposit.csv", 3) and "USDT-ERC20" in reason
    verify_snapshot(con, workers=1, show_progress=False)
    assert con.execute("select status, reason, count(*) from signatures group by all").fetchall() == [
        ("unsupported", "exchange publishes no ownership proof", 5)
    ]
    btc = con.execute("select published_amount, rows_custody, custody_published from reserves where asset = 'BTC'").fetchone()
    assert btc == (Decimal("12.34567891"), 1, Decimal("12.34567890"))


def test_a_binance_member_alone_is_a_snapshot_and_forcing_another_exchange_refuses_it(con, tmp_path):
    member = tmp_path / "PR01APR26_HotCold.csv"
    member.write_text(BINANCE_HEADER + '\nETH,ETH,0xab,1.000000000000000000,24781026,""\n')
    [report] = ingest_file(con, member)
    assert report.exchange == "binance" and report.rows == 1
    other = tmp_path / "copy.csv"
    other.write_text(BINANCE_HEADER + '\nETH,ETH,0xcd,2.000000000000000000,24781026,""\n')
    with pytest.raises(IngestError, match="not a known PoR layout"):
        ingest_file(con, other, exchange="htx")
    assert con.execute("select count(*) from snapshots").fetchone() == (1,)


def test_binance_audit_page_exact(con, tmp_path):
    ingest_file(con, binance_zip(tmp_path))
    page = tmp_path / "binance_por.json"
    page.write_text(
        '{"auditId": "PR01APR26", "merkleRootHash": "ab12", "snapshotTime": 1775001600000, "snapshotDataList": ['
        '{"coin": "BTC", "ratio": 1.01230, "customerLiability": 590123.123456789012345678, '
        '"binanceLiability": 597389.10000000, "exchangeBalance": 597000.1, "thirdPartyCustody": 389.00000000, "customerLiabilityUsdt": 1.5e10},'
        '{"coin": "USDT", "ratio": "104%", "customerLiability": 30000000000, "binanceLiability": 31200000000.000001, '
        '"exchangeBalance": 31200000000.000001, "thirdPartyCustody": 0},'
        '{"coin": "ETH", "ratio": 101.5, "customerLiability": 1000, "binanceLiability": 1015, "exchangeBalance": 1015, "thirdPartyCustody": 0}]}'
    )
    loaded = load_liability_file(con, page, 1)
    assert loaded.kind == "binance-audit"
    liab = dict(con.execute("select asset, amount from liabilities").fetchall())
    assert liab == {"BTC": "590123.123456789012345678", "USDT": "30000000000", "ETH": "1000"}
    claims = con.execute(
        "select asset, reserve, exchange_reserve, custody_reserve, capital_ratio, cast(capital_ratio_value as varchar) from audit_claims order by asset"
    ).fetchall()
    assert claims == [
        ("BTC", "597389.10000000", "597000.1", "389.00000000", "1.01230", "1.012300000000000000"),
        # a bare 101.5 beside 1015 held for 1000 owed is a percentage: 1.015, never 101.5x
        ("ETH", "1015", "1015", "0", "101.5", "1.015000000000000000"),
        ("USDT", "31200000000.000001", "31200000000.000001", "0", "104%", "1.040000000000000000"),
    ]
    units = con.execute("select cast(reserve_units as varchar), scale from audit_claims where asset = 'BTC'").fetchone()
    assert units == ("59738910000000", 8)  # exact at BTC's scale: 597389.10000000


def test_okx_files_still_read_as_okx_under_auto(con, tmp_path):
    path = tmp_path / "okx_por_2026063016_V2.csv"
    path.write_text(
        "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2\n"
        "ETH,ETH,20914735,0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,1.25,I am an OKX address,0x" + "ab" * 65 + ",,,,\n"
    )
    [report] = ingest_file(con, path)
    assert report.exchange == "okx"
    assert con.execute("select exchange, layout, form, custodian from snapshots, addresses").fetchone() == ("okx", "detail11", None, None)


def test_synthetic_exchange_files_ingest_and_verify(con, tmp_path):
    from exchanges.binance.synth import write_binance
    from exchanges.htx.synth import write_htx

    htx = tmp_path / "huobi_por_20260301.csv"
    write_htx(htx, 40, seed=3)
    assert htx.read_bytes().startswith(b"\xef\xbb\xbfcoin,snapshot height,balance\n")
    binance = tmp_path / "wallet_address_20260401.zip"
    write_binance(binance, 5000, seed=3)
    with zipfile.ZipFile(binance) as zf:
        assert sorted(zf.namelist()) == ["PR01APR26_Deposit.csv", "PR01APR26_HotCold.csv"]
    [h] = ingest_file(con, htx)
    [b] = ingest_file(con, binance)
    assert (h.exchange, h.rows, h.errors, b.exchange, b.rows, b.errors) == ("htx", 40, 0, "binance", 5000, 0)
    verify_snapshot(con, h.snapshot_id, workers=1, show_progress=False)
    statuses = dict(con.execute("select status, count(*) from signatures where snapshot_id = ? group by all", [h.snapshot_id]).fetchall())
    assert statuses["verified"] > 30 and "failed" not in statuses
    assert con.execute("select count(*) from published_totals_check where snapshot_id = ? and difference <> 0", [h.snapshot_id]).fetchone() == (0,)
    assert con.execute("select count(*) from addresses where snapshot_id = ? and custodian is not null", [b.snapshot_id]).fetchone()[0] >= 1


def test_fetch_reads_a_derivative_form_only_from_its_contract():
    """stETH is read from Lido's contract; a staked/lent key without a confirmed contract is an error, never ETH."""
    from exchanges.htx import htx_registry
    from functools import partial

    from indexer.fetch.target import read_target

    resolve = partial(read_target, htx_registry(registry()))
    steth = resolve("STETH", "ETH", "ETH", "0xae7ab96520DE3A18E5e111B5EaAb095312D7fE84", 18)
    assert (steth.contract, steth.decimals, steth.error) == ("0xae7ab96520DE3A18E5e111B5EaAb095312D7fE84", 18, "")
    aeth = resolve("AETH", "ETH", "ETH", "", 18)
    assert aeth.contract == "" and aeth.decimals is None and "no confirmed contract" in aeth.error
    eth = resolve("ETH", "ETH", "ETH", "", 18)
    assert (eth.contract, eth.decimals, eth.error) == ("", 18, "")


# Every coin key in HTX's files since 2022 (detail and summary sections of all 56 monthly files in
# huobiapi/Tool-Node.js-VerifyAddress' git history), as written.
HTX_KEYS_SEEN = """BASE-USDC BBTC-ERC20 BEP20-USDC BETH BETH-Heco BTC BTC-BUY-BACK BTC-TRC20 DOGE ERC20-AETHUSDC ERC20-USDC ETH
ETH-Arbitrum ETH-BTTC ETH-BUY-BACK ETH-Optimism HT-ETH HTX-ERC20 HTX-TRC20 SOL SOL-USDC STEAK-USDC TRX TRX-ERC20 TRX-sol
USDC-SOL USDT-ALGO USDT-Avalanche|C-Chain USDT-BEP20 USDT-BTTC USDT-ERC20 USDT-ETH USDT-Omni USDT-Optimism USDT-SOL
USDT-T-Bills USDT-TRC20 USDT-XPL USDT-aEthUSDT WBTC-ERC20 wBTC-ERC20 WLFI XRP aETH baseETH jUSDT-TRC20 jWBTC-TRC20 jsTRX
stETH stUSDT-TRC20""".replace("|", " ").split()


def test_htx_coin_map_covers_every_key_and_names_confirmed_contracts_only():
    from chains.common.ethaddr import strict_hex_account
    from exchanges.htx import FORMS, SCHEMES, htx_registry

    keys = [k.replace("Avalanche", "Avalanche C-Chain") for k in HTX_KEYS_SEEN if k != "C-Chain"]
    reg = htx_registry(registry())
    missing = [k for k in keys if reg.coin(k) is None]
    assert missing == []
    for coin in reg.coins.values():
        assert coin.form in FORMS and coin.family in SCHEMES and coin.asset
        assert coin.decimals is not None, coin.key  # amounts are exact base units for every key
        if coin.contract:
            assert coin.source, f"{coin.key}: a contract needs the public source it was checked against"
            if coin.network in ("ETH", "BSC", "BASE", "ARBITRUM", "OPTIMISM", "AVAXC"):
                assert strict_hex_account(coin.contract)[0] is not None, coin.key
        if coin.form != "native":
            assert coin.asset in ("BTC", "ETH", "TRX", "USDT", "USDC"), coin.key
    assert reg.coin("stETH").asset == "ETH" and reg.coin("STETH").form == "staked"


def test_cli_synth_ingest_auto_and_force(tmp_path):
    from tests.test_cli import por

    db = str(tmp_path / "cli.duckdb")
    zipped = tmp_path / "wallet_address_20260401.zip"
    r = por("synth", "--exchange", "binance", "--rows", "3000", "--out", str(zipped))
    assert r.returncode == 0 and "3,000 binance rows" in r.stdout, r.stderr
    htx = tmp_path / "huobi_por_20260201.csv"
    assert por("synth", "--exchange", "htx", "--rows", "20", "--out", str(htx)).returncode == 0
    r = por("ingest", str(zipped), str(htx), "--db", db)
    assert r.returncode == 0, r.stderr
    assert "(binance6): 3,000 rows loaded" in r.stdout and "(summary+htx6): 20 rows loaded" in r.stdout
    r = por("ingest", str(htx), "--exchange", "binance", "--db", str(tmp_path / "other.duckdb"))
    assert r.returncode == 2 and "not a known PoR layout" in " ".join(r.stderr.split())
    r = por("synth", "--exchange", "kraken", "--rows", "1", "--out", str(tmp_path / "k.csv"))
    assert r.returncode == 2 and "kraken" in r.stderr
