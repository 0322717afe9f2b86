"""The SQL views on hand-checked numbers, including NULL (not zero) wherever nothing was fetched."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indexer.ingest import ingest_file

# Hand-checked: ETH rows 1.5 + 0.25 (ETH) and 2 (ARBITRUM) = 3.75 ETH; USDT 10 (TRON, 6 dp) + 5.5 (OKC20, 18 dp) = 15.5.
FILE = """coin,snapshot height,amount
ETH(ALL),-,3.75
USDT(ALL),-,15.5
ETH,100,1.7
USDT-TRC20,200,10

coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2
ETH,ETH,100,0xaaaa,1.5,m,s,,,,
ETH,ETH,100,0xbbbb,0.25,m,s,,,,
ETH-ARBITRUM,ARBITRUM,300,0xcccc,2,m,s,,,,
USDT-TRC20,TRON,200,Tdddd,10,m,s,,,,
USDT-OKC20,OKC,400,0xeeee,5.5,m,s,,,,
"""
ROW = {"0xaaaa": 8, "0xbbbb": 9, "0xcccc": 10, "Tdddd": 11, "0xeeee": 12}  # file line numbers


@pytest.fixture
def snap(con, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(FILE)
    [report] = ingest_file(con, path)
    return report.snapshot_id


def put_balance(con, sid, row_no, as_of, units, block, status="ok", error=None, method=None, read_block=None, note=None):
    """A balances row as the runner writes it; the method defaults to what EVM/UTXO adapters report."""
    method = method or ("latest" if as_of == "latest" else "state_at_height")
    read_block = block if read_block is None else read_block
    con.execute(
        "insert into balances (snapshot_id, row_no, as_of, block_height, base_units, status, error, source, method, read_block, note)"
        " values (?,?,?,?,?,?,?,?,?,?,?)",
        [sid, row_no, as_of, block, units, status, error, "test", method, read_block, note],
    )


def put_signature(con, sid, row_no, status):
    con.execute("insert into signatures (snapshot_id, row_no, family, status, reason) values (?,?,?,?,?)", [sid, row_no, "EVM", status, ""])


def one(con, sql, *params):
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    return [dict(zip(names, r)) for r in rows]


def test_reserves_before_anything_is_fetched_are_null_not_zero(con, snap):
    rows = {r["asset"]: r for r in one(con, "select * from reserves where snapshot_id = ?", snap)}
    assert rows["ETH"]["published_amount"] == Decimal("3.75")
    assert rows["USDT"]["published_amount"] == Decimal("15.5")
    assert rows["USDT"]["published_units"] == 15_500_000_000_000_000_000  # at the asset's finest scale (18)
    for asset in ("ETH", "USDT"):
        assert rows[asset]["onchain_amount"] is None
        assert rows[asset]["verified_amount"] is None
        assert rows[asset]["rows_fetched"] == 0
    assert rows["ETH"]["networks"] == "ARBITRUM,ETH"
    assert {r["status"] for r in one(con, "select status from reconciliation")} == {"missing"}
    assert one(con, "select onchain_amount, difference from reconciliation where row_no = 8") == [{"onchain_amount": None, "difference": None}]


def test_reserves_sum_only_fetched_rows_and_verified_split(con, snap):
    put_balance(con, snap, ROW["0xaaaa"], "snapshot", 1_500_000_000_000_000_000, 100)  # matches
    put_balance(con, snap, ROW["0xbbbb"], "snapshot", 200_000_000_000_000_000, 100)  # 0.2 instead of 0.25
    put_balance(con, snap, ROW["0xcccc"], "snapshot", None, None, status="error", error="timeout")
    put_balance(con, snap, ROW["Tdddd"], "snapshot", 10_000_001, 200)  # 10.000001
    put_signature(con, snap, ROW["0xaaaa"], "verified")
    put_signature(con, snap, ROW["0xbbbb"], "failed")
    put_signature(con, snap, ROW["Tdddd"], "verified")
    rows = {r["asset"]: r for r in one(con, "select * from reserves where snapshot_id = ?", snap)}
    eth, usdt = rows["ETH"], rows["USDT"]
    assert eth["onchain_amount"] == Decimal("1.7")
    assert eth["verified_amount"] == Decimal("1.5")
    assert (eth["rows"], eth["rows_verified"], eth["rows_fetched"], eth["rows_fetch_error"], eth["rows_not_fetched"]) == (3, 1, 2, 1, 0)
    assert usdt["onchain_amount"] == Decimal("10.000001")
    assert usdt["onchain_units"] == 10_000_001 * 10**12
    recon = {r["row_no"]: r for r in one(con, "select * from reconciliation where snapshot_id = ?", snap)}
    assert recon[ROW['0xaaaa']]["status"] == "match" and recon[ROW['0xaaaa']]["difference"] == 0
    assert recon[ROW['0xbbbb']]["status"] == "mismatch" and recon[ROW['0xbbbb']]["difference"] == Decimal("-0.05")
    assert recon[ROW['0xbbbb']]["difference_base_units"] == -50_000_000_000_000_000
    assert recon[ROW['0xcccc']]["status"] == "missing" and recon[ROW['0xcccc']]["error"] == "timeout" and recon[ROW['0xcccc']]["onchain_amount"] is None
    assert recon[ROW['Tdddd']]["difference"] == Decimal("0.000001")
    assert recon[ROW['0xeeee']]["status"] == "missing"


def test_reserve_ratios_join_liabilities(con, snap):
    con.execute("insert into liabilities values (?, 'ETH', '3', 3000, 3, 'test'), (?, 'BTC', '1', 100000000, 8, 'test')", [snap, snap])
    put_balance(con, snap, ROW["0xaaaa"], "snapshot", 1_500_000_000_000_000_000, 100)
    put_signature(con, snap, ROW["0xaaaa"], "verified")
    rows = {r["asset"]: r for r in one(con, "select * from reserve_ratios where snapshot_id = ?", snap)}
    assert rows["ETH"]["liabilities"] == Decimal("3")
    # exact DECIMAL ratios, not floats
    assert rows["ETH"]["ratio_published"] == Decimal("1.25") and isinstance(rows["ETH"]["ratio_published"], Decimal)
    assert rows["ETH"]["ratio_onchain"] == Decimal("0.5")
    assert rows["ETH"]["ratio_verified"] == Decimal("0.5")
    assert rows["BTC"]["published_reserves"] == 0 and rows["BTC"]["ratio_published"] == 0  # owed but never listed
    assert rows["BTC"]["onchain_reserves"] is None and rows["BTC"]["ratio_onchain"] is None
    assert rows["BTC"]["rows"] == 0 and rows["BTC"]["rows_fetched"] == 0  # counts are 0, not NULL
    assert rows["USDT"]["liabilities"] is None and rows["USDT"]["ratio_published"] is None


def test_reserve_ratios_carry_the_onchain_coverage_beside_each_onchain_ratio(con, snap):
    # Hand-checked, ETH: 3 rows (1.5, 0.25 on ETH; 2 on ARBITRUM). 1.5 read at the block (verified), 0.25 read
    # only at the current state (latest: not a snapshot value), ARBITRUM an error. USDT: TRON 10 replayed, OKC
    # 5.5 not fetched; both verified.
    put_balance(con, snap, ROW["0xaaaa"], "snapshot", 1_500_000_000_000_000_000, 100)
    put_balance(con, snap, ROW["0xbbbb"], "snapshot", 250_000_000_000_000_000, 100, method="latest", read_block=150)
    put_balance(con, snap, ROW["0xcccc"], "snapshot", None, None, status="error", error="timeout")
    put_balance(con, snap, ROW["Tdddd"], "snapshot", 10_000_000, 200, method="replayed")
    for row in ("0xaaaa", "0xcccc", "Tdddd", "0xeeee"):
        put_signature(con, snap, ROW[row], "verified")
    cols = [r[0] for r in con.execute("select column_name from (describe reserve_ratios)").fetchall()]
    assert cols[cols.index("ratio_onchain") + 1] == "coverage_onchain"
    assert cols[cols.index("ratio_verified") + 1] == "coverage_verified"
    rows = {r["asset"]: r for r in one(con, "select * from reserve_ratios where snapshot_id = ?", snap)}
    eth, usdt = rows["ETH"], rows["USDT"]
    # 1 of 3 rows: exact and truncated (never rounded up to look complete)
    assert eth["coverage_onchain"] == Decimal("0.333333333333333333") and isinstance(eth["coverage_onchain"], Decimal)
    assert eth["coverage_onchain_published"] == Decimal("0.4")  # 1.5 of the 3.75 published
    assert eth["coverage_verified"] == Decimal("0.5")  # of the 2 verified rows, 1 holds a snapshot value
    assert (usdt["coverage_onchain"], usdt["coverage_verified"]) == (Decimal("0.5"), Decimal("0.5"))
    assert usdt["coverage_onchain_published"] == Decimal("0.645161290322580645")  # 10 of 15.5, truncated
    put_balance(con, snap, ROW["0xeeee"], "snapshot", 5_500_000_000_000_000_000, 400)
    usdt = one(con, "select * from reserve_ratios where snapshot_id = ? and asset = 'USDT'", snap)[0]
    assert (usdt["coverage_onchain"], usdt["coverage_onchain_published"], usdt["coverage_verified"]) == (1, 1, 1)
    con.execute("insert into liabilities values (?, 'BTC', '1', 100000000, 8, 'test')", [snap])
    btc = one(con, "select * from reserve_ratios where snapshot_id = ? and asset = 'BTC'", snap)[0]
    assert (btc["rows"], btc["coverage_onchain"], btc["coverage_onchain_published"]) == (0, None, None)  # no rows: no coverage


def test_ratio_macro_is_exact_long_division(con):
    """por_ratio truncates at 18 places without overflow at USDT's 18-decimal scale and 10^11 coins."""
    from fractions import Fraction

    cases = [
        (10**29 + 7, 18, 3 * 10**28 + 1, 18),  # 100 billion USDT at 18 decimals vs 30 billion
        (2, 8, 3, 8),  # 0.666…: truncated, never rounded up
        (1, 0, 7, 6),  # mixed scales
        (123456789, 6, 10**12, 18),
        (0, 6, 5, 6),
    ]
    for nu, ns, du, ds in cases:
        [(got,)] = con.execute("select por_ratio(?::hugeint, ?, ?::hugeint, ?)", [str(nu), ns, str(du), ds]).fetchall()
        exact = Fraction(nu, 10**ns) / Fraction(du, 10**ds)
        want = Decimal(int(exact * 10**18)) / Decimal(10**18)  # truncated to 18 places
        assert got == want, (nu, ns, du, ds, got, want)
    assert con.execute("select por_ratio(1::hugeint, 0, 0::hugeint, 0)").fetchone()[0] is None


def test_snapshot_vs_latest(con, snap):
    put_balance(con, snap, ROW["0xaaaa"], "snapshot", 10**18, 100)
    put_balance(con, snap, ROW["0xaaaa"], "latest", 3 * 10**18, 999)
    put_balance(con, snap, ROW["0xbbbb"], "snapshot", 10**18, 100)
    rows = {r["row_no"]: r for r in one(con, "select * from snapshot_vs_latest where snapshot_id = ?", snap)}
    assert (rows[ROW['0xaaaa']]["snapshot_amount"], rows[ROW['0xaaaa']]["latest_amount"], rows[ROW['0xaaaa']]["change"], rows[ROW['0xaaaa']]["latest_block"]) == (1, 3, 2, 999)
    assert rows[ROW['0xbbbb']]["latest_amount"] is None and rows[ROW['0xbbbb']]["change"] is None
    by_asset = {r["asset"]: r for r in one(con, "select * from snapshot_vs_latest_by_asset where snapshot_id = ?", snap)}
    assert by_asset["ETH"]["change"] == 2 and by_asset["ETH"]["rows_compared"] == 1
    assert by_asset["USDT"]["snapshot_amount"] is None


def test_coverage(con, snap):
    put_signature(con, snap, ROW["0xaaaa"], "verified")
    put_signature(con, snap, ROW["0xbbbb"], "signature_only")
    put_balance(con, snap, ROW["0xaaaa"], "snapshot", 1, 100)
    put_balance(con, snap, ROW["0xbbbb"], "snapshot", None, None, status="error", error="x")
    rows = {(r["network"], r["coin"]): r for r in one(con, "select * from coverage where snapshot_id = ?", snap)}
    eth = rows[("ETH", "ETH")]
    assert (eth["rows"], eth["signatures_verified"], eth["signatures_signature_only"], eth["balances_ok"], eth["balances_error"]) == (2, 1, 1, 1, 1)
    assert eth["adapter"] == "evm" and rows[("TRON", "USDT-TRC20")]["adapter"] == "tron"


def test_published_totals_check(con, snap):
    rows = {r["coin"]: r for r in one(con, "select * from published_totals_check where snapshot_id = ?", snap)}
    assert rows["ETH(ALL)"]["difference"] == 0 and rows["ETH(ALL)"]["detail_rows"] == 3
    assert rows["USDT(ALL)"]["difference"] == 0
    assert rows["ETH"]["detail_sum"] == Decimal("1.75") and rows["ETH"]["difference"] == Decimal("0.05")
    assert rows["USDT-TRC20"]["difference"] == 0


def test_signature_disagreements(con, snap):
    con.execute(
        "insert into signatures (snapshot_id, row_no, family, status, reason, okx_status, okx_reason, verified_at)"
        " values (?, 8, 'UTXO', 'failed', 'threshold not met', 'verified', '', now()), "
        "(?, 9, 'EVM', 'verified', '', 'verified', '', now())",
        [snap, snap],
    )
    rows = one(con, "select row_no, strict_status, okx_status, strict_reason from signature_disagreements")
    assert rows == [{"row_no": 8, "strict_status": "failed", "okx_status": "verified", "strict_reason": "threshold not met"}]


def test_amounts_beyond_decimal_range_stay_exact_in_units(con, tmp_path):
    big = "123456789012345678901"  # > 1e20 coins: DECIMAL(38,18) cannot hold it, the units column can
    path = tmp_path / "big.csv"
    path.write_text(
        "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2\n"
        f"USDT-TRC20,TRON,1,Tbig,{big}.123456,m,s,,,,\n"
    )
    [report] = ingest_file(con, path)
    assert one(con, "select published_base_units from addresses")[0]["published_base_units"] == int(big + "123456")
    assert one(con, "select published_units from reserves")[0]["published_units"] == int(big + "123456") * 10**12


def test_a_latest_method_row_never_enters_a_snapshot_figure(con, snap):
    # Hand-checked: ETH 1.5 (state_at_height) + ARBITRUM 2.5 read only at the current state (method latest);
    # USDT: TRON 10 replayed + OKC 5.5 from a dump = 15.5 at scale 18.
    put_balance(con, snap, ROW["0xaaaa"], "snapshot", 1_500_000_000_000_000_000, 100)
    put_balance(con, snap, ROW["0xcccc"], "snapshot", 2_500_000_000_000_000_000, 300, method="latest", read_block=350, note="no history")
    put_balance(con, snap, ROW["0xbbbb"], "snapshot", None, None, status="error", error="timeout")
    put_balance(con, snap, ROW["Tdddd"], "snapshot", 10_000_000, 200, method="replayed", read_block=200)
    put_balance(con, snap, ROW["0xeeee"], "snapshot", 5_500_000_000_000_000_000, 400, method="dump")
    put_signature(con, snap, ROW["0xcccc"], "verified")
    rows = {r["asset"]: r for r in one(con, "select * from reserves where snapshot_id = ?", snap)}
    eth, usdt = rows["ETH"], rows["USDT"]
    assert eth["onchain_amount"] == Decimal("1.5") and eth["onchain_units"] == 1_500_000_000_000_000_000
    assert eth["verified_amount"] is None  # the only verified row has just a latest value
    assert (eth["rows_fetched"], eth["rows_latest_proxy"], eth["rows_fetch_error"], eth["rows_not_fetched"]) == (1, 1, 1, 0)
    assert eth["onchain_latest_proxy"] == Decimal("2.5") and eth["onchain_latest_proxy_units"] == 2_500_000_000_000_000_000
    assert usdt["onchain_amount"] == Decimal("15.5") and usdt["rows_fetched"] == 2 and usdt["rows_latest_proxy"] == 0
    assert usdt["onchain_latest_proxy"] is None
    ratio = one(con, "select rows_fetched, rows_latest_proxy from reserve_ratios where snapshot_id = ? and asset = 'ETH'", snap)
    assert ratio == [{"rows_fetched": 1, "rows_latest_proxy": 1}]
    recon = {r["row_no"]: r for r in one(con, "select * from reconciliation where snapshot_id = ?", snap)}
    arb = recon[ROW["0xcccc"]]
    assert (arb["status"], arb["onchain_amount"], arb["difference"], arb["method"], arb["read_block"], arb["block_height"], arb["note"]) == (
        "latest_only", None, None, "latest", 350, 300, "no history")
    assert recon[ROW["0xaaaa"]]["status"] == "match" and recon[ROW["0xbbbb"]]["status"] == "missing"
    assert recon[ROW["Tdddd"]]["status"] == "match" and recon[ROW["Tdddd"]]["method"] == "replayed"
    cov = {(r["network"], r["coin"]): r for r in one(con, "select * from coverage where snapshot_id = ?", snap)}
    pick = ("balances_ok", "balances_error", "balances_state_at_height", "balances_dump", "balances_replayed", "balances_latest")
    assert tuple(cov[("ETH", "ETH")][k] for k in pick) == (1, 1, 1, 0, 0, 0)
    assert tuple(cov[("ARBITRUM", "ETH-ARBITRUM")][k] for k in pick) == (0, 0, 0, 0, 0, 1)
    assert tuple(cov[("TRON", "USDT-TRC20")][k] for k in pick) == (1, 0, 0, 0, 1, 0)
    assert tuple(cov[("OKC", "USDT-OKC20")][k] for k in pick) == (1, 0, 0, 1, 0, 0)
    # the snapshot side of snapshot_vs_latest is the snapshot value only; the latest side is as_of 'latest'
    put_balance(con, snap, ROW["0xcccc"], "latest", 3 * 10**18, 999, read_block=998)
    svl = {r["row_no"]: r for r in one(con, "select * from snapshot_vs_latest where snapshot_id = ?", snap)}
    assert svl[ROW["0xcccc"]]["snapshot_amount"] is None and svl[ROW["0xcccc"]]["latest_amount"] == 3
    assert svl[ROW["0xcccc"]]["change"] is None and svl[ROW["0xcccc"]]["latest_block"] == 998
