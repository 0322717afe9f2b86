"""Series, two-snapshot diff, address history, USD values and coverage by method over hand-made files
(tests/analyst_fixtures.py has the table of what each file holds) and over a `por synth --months` series.
Every expected number below is worked out by hand from that table."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.analyst_fixtures import APRIL_ID, BTC1, BTC2, BTC3, ETH_MIXED, MAY_ID, build

D = Decimal


@pytest.fixture
def loaded(con, tmp_path):
    build(con, tmp_path)
    return con


def rows(con, sql, params=()):
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_published_time_comes_from_the_file_name_and_orders_the_series(loaded):
    times = {r["snapshot_id"]: r for r in rows(loaded, "select * from snapshot_times")}
    assert times[APRIL_ID]["published_at"] == datetime(2026, 4, 1, 8, tzinfo=timezone.utc)
    assert times[MAY_ID]["published_at"] == datetime(2026, 5, 1, 8, tzinfo=timezone.utc)
    assert {r["time_source"] for r in times.values()} == {"file name"}
    btc = rows(loaded, "select snapshot_id, seq, published, published_change, previous_snapshot_id from snapshot_series where asset = 'BTC'")
    # April was ingested second (id 2) but was published first.
    assert [(r["snapshot_id"], r["seq"]) for r in btc] == [(APRIL_ID, 1), (MAY_ID, 2)]
    assert btc[0]["published"] == D("3.75") and btc[0]["published_change"] is None
    assert btc[1]["published"] == D("4.75") and btc[1]["published_change"] == D("1")
    assert btc[1]["previous_snapshot_id"] == APRIL_ID


def test_series_carries_reserves_liabilities_and_ratios_per_snapshot(loaded):
    s = {(r["snapshot_id"], r["asset"]): r for r in rows(loaded, "select * from snapshot_series")}
    assert s[(APRIL_ID, "BTC")]["onchain"] == D("1.4")  # only the fetched row; the error row is not a zero
    assert s[(APRIL_ID, "BTC")]["rows_fetched"] == 1 and s[(APRIL_ID, "BTC")]["rows"] == 2
    assert s[(APRIL_ID, "BTC")]["liabilities"] == D("3") and s[(APRIL_ID, "BTC")]["ratio_published"] == Decimal("1.25")
    assert s[(MAY_ID, "BTC")]["ratio_published"] == Decimal("0.95")
    assert s[(MAY_ID, "ETH")]["onchain"] == D("11.5")
    assert s[(MAY_ID, "USDT")]["published_change"] == D("-50")  # 100 on ETH in April, 50 on TRON in May
    assert s[(MAY_ID, "OKB")]["seq"] == 1 and s[(MAY_ID, "OKB")]["own_token"] is True
    assert s[(MAY_ID, "BTC")]["published_units"] == 475_000_000  # exact base units beside the DECIMAL


def test_snapshot_diff_per_asset_and_network(loaded):
    d = {(r["asset"], r["network"]): r for r in rows(loaded, "select * from snapshot_diff(?, ?)", [APRIL_ID, MAY_ID])}
    assert set(d) == {("BTC", "BTC"), ("ETH", "ETH"), ("USDT", "ETH"), ("USDT", "TRON"), ("OKB", "ETH")}
    btc = d[("BTC", "BTC")]
    assert (btc["addresses_a"], btc["addresses_b"], btc["added"], btc["removed"], btc["kept"]) == (2, 2, 1, 1, 1)
    assert (btc["published_a"], btc["published_b"], btc["published_change"]) == (D("3.75"), D("4.75"), D("1"))
    assert (btc["published_added"], btc["published_removed"], btc["published_kept_change"]) == (D("3"), D("2.25"), D("0.25"))
    assert (btc["onchain_a"], btc["onchain_b"], btc["onchain_change"]) == (D("1.4"), D("1.75"), D("0.35"))
    assert (btc["published_a_units"], btc["published_b_units"]) == (375_000_000, 475_000_000)
    eth = d[("ETH", "ETH")]  # the same address, EIP-55 in April and lower case in May: kept, not added+removed
    assert (eth["added"], eth["removed"], eth["kept"], eth["published_change"]) == (0, 0, 1, D("2"))
    assert eth["onchain_a"] is None and eth["onchain_change"] is None  # April's ETH was never fetched
    assert (d[("USDT", "ETH")]["removed"], d[("USDT", "ETH")]["published_change"]) == (1, D("-100"))
    assert (d[("USDT", "TRON")]["added"], d[("USDT", "TRON")]["published_b"]) == (1, D("50"))
    # Swapping the sides swaps added and removed and negates the change.
    back = {(r["asset"], r["network"]): r for r in rows(loaded, "select * from snapshot_diff(?, ?)", [MAY_ID, APRIL_ID])}
    assert (back[("BTC", "BTC")]["added"], back[("BTC", "BTC")]["removed"]) == (1, 1)
    assert back[("USDT", "TRON")]["removed"] == 1 and back[("BTC", "BTC")]["published_change"] == D("-1")


def test_snapshot_diff_addresses_lists_who_came_and_went(loaded):
    got = {r["address"]: r for r in rows(loaded, "select * from snapshot_diff_addresses(?, ?) where asset = 'BTC'", [APRIL_ID, MAY_ID])}
    assert {a: r["status"] for a, r in got.items()} == {BTC1: "kept", BTC2: "removed", BTC3: "added"}
    assert got[BTC1]["published_change"] == D("0.25") and got[BTC1]["onchain_change"] == D("0.35")
    assert got[BTC2]["published_b"] is None and got[BTC2]["published_change"] == D("-2.25")


def test_address_history(loaded):
    h = rows(loaded, "select * from address_history where address_key = ?", [ETH_MIXED.lower()])
    assert [r["snapshot_id"] for r in h] == [APRIL_ID, MAY_ID]
    assert [r["published_amount"] for r in h] == [D("10"), D("12")]
    assert [r["onchain_amount"] for r in h] == [None, D("11.5")]
    assert [r["balance_status"] for r in h] == ["not fetched", "ok"]
    assert {r["appearances"] for r in h} == {2}
    assert h[0]["first_seen"] == datetime(2026, 4, 1, 8, tzinfo=timezone.utc) and h[0]["last_seen"] == datetime(2026, 5, 1, 8, tzinfo=timezone.utc)
    once = rows(loaded, "select appearances from address_history where address = ?", [BTC3])
    assert once == [{"appearances": 1}]


def test_usd_values_use_the_latest_price_at_or_before_publication(loaded, tmp_path):
    from indexer.prices import import_prices

    prices = tmp_path / "prices.csv"
    prices.write_text(
        "asset,at,usd\n"
        "BTC,2026-04-01,60000\n"
        "BTC,2026-05-01T00:00:00Z,70000.50\n"
        "BTC,2026-05-01T09:00:00Z,99999\n"  # after May's 08:00 publication: never used for May
        "ETH,2026-03-15,3000\n"
        "OKB,2026-04-30,50\n"
    )
    assert import_prices(loaded, prices) == 5
    u = {(r["snapshot_id"], r["asset"]): r for r in rows(loaded, "select * from reserves_usd")}
    assert u[(APRIL_ID, "BTC")]["published_usd"] == D("225000")  # 3.75 x 60000
    assert u[(APRIL_ID, "BTC")]["onchain_usd"] == D("84000")  # 1.4 x 60000
    assert u[(APRIL_ID, "BTC")]["liabilities_usd"] == D("180000")
    assert u[(MAY_ID, "BTC")]["published_usd"] == D("332502.375")  # 4.75 x 70000.50
    assert u[(MAY_ID, "BTC")]["price_at"] == datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert u[(MAY_ID, "ETH")]["published_usd"] == D("36000") and u[(APRIL_ID, "ETH")]["published_usd"] == D("30000")
    assert u[(MAY_ID, "USDT")]["published_usd"] is None and u[(MAY_ID, "USDT")]["price_usd"] is None
    t = {r["snapshot_id"]: r for r in rows(loaded, "select * from snapshot_usd_totals")}
    may = t[MAY_ID]
    assert may["published_usd"] == D("368752.375")  # 332502.375 + 36000 + 250 (OKB)
    assert may["clean_published_usd"] == D("368502.375")  # without OKX's own token
    assert (may["assets"], may["assets_priced"], may["assets_unpriced"]) == (4, 3, "USDT")
    assert may["liabilities_usd"] == D("380202.5")  # 5 x 70000.50 + 10 x 3000 + 4 x 50
    assert may["clean_liabilities_usd"] == D("380002.5")
    s = {r["asset"]: r for r in rows(loaded, "select * from snapshot_series where snapshot_id = ?", [MAY_ID])}
    assert s["BTC"]["published_usd"] == D("332502.375") and s["BTC"]["price_usd"] == D("70000.5")


def test_usd_product_is_exact_to_the_documented_precision(con):
    """por_usd_units against the same arithmetic in Python on values far beyond 64 bits."""
    cases = [
        (123456789012345678901234567, 18, 1234567890123456789012),  # 1.2e8 coins at 1234.56… USD
        (999999999999999999, 18, 10**18),  # 0.999… coin at 1 USD
        (2_100_000_000_000_000, 8, 96_512_250_000_000_000_000_000),  # 21M BTC at 96,512.25
        (5, 24, 3 * 10**18),  # 24 decimals (NEAR): below 1e-12 coin, truncated to 0
        (1, 0, 123),
    ]
    for units, scale, price in cases:
        got = con.execute("select por_usd_units(?::hugeint, ?, ?::hugeint)", [str(units), scale, str(price)]).fetchall()[0][0]
        whole, frac = divmod(units, 10**scale)
        frac12 = frac // 10 ** (scale - 12) if scale >= 12 else frac * 10 ** (12 - scale)
        assert got == whole * price + frac12 * price // 10**12
        exact = units * price // 10**scale
        assert 0 <= exact - got <= price // 10**12 + 1  # at most 1e-12 coin's worth below the exact product
    assert con.execute("select por_usd(250000000::hugeint, 8, 60000000000000000000000::hugeint)").fetchall()[0][0] == D("150000")


def test_coverage_by_method(loaded):
    base = {(r["snapshot_id"], r["network"], r["method"]): r["rows"] for r in rows(loaded, "select * from coverage_by_method")}
    assert base[(APRIL_ID, "BTC", "state_at_height")] == 1 and base[(APRIL_ID, "BTC", "error")] == 1
    assert base[(APRIL_ID, "ETH", "missing")] == 2 and base[(MAY_ID, "TRON", "missing")] == 1
    loaded.execute("update balances set method = 'replayed' where snapshot_id = ? and status = 'ok'", [MAY_ID])
    loaded.execute("update balances set method = null where snapshot_id = ? and status = 'ok'", [APRIL_ID])
    v2 = {(r["snapshot_id"], r["network"], r["method"]): r["rows"] for r in rows(loaded, "select * from coverage_by_method")}
    assert v2[(MAY_ID, "BTC", "replayed")] == 1 and v2[(MAY_ID, "ETH", "replayed")] == 1
    assert v2[(APRIL_ID, "BTC", "unknown")] == 1  # an ok row with no recorded method is never taken as read at the height
    assert (MAY_ID, "BTC", "state_at_height") not in v2


def test_audit_create_time_is_the_fallback_publication_time(con, tmp_path):
    from indexer.ingest import ingest_file
    from tests.analyst_fixtures import APRIL

    path = tmp_path / "renamed.csv"  # no time in the name
    path.write_text(APRIL)
    sid = ingest_file(con, path)[0].snapshot_id
    assert rows(con, "select time_source from snapshot_times")[0]["time_source"] == "ingest time"
    con.execute(
        "insert into audits (snapshot_id, audit_id, create_time, create_time_ms, source_file, file_sha256) values (?, '508399035', epoch_ms(1767225600000), 1767225600000, 'audit.json', 'x')",
        [sid],
    )
    t = rows(con, "select * from snapshot_times")[0]
    assert (t["published_at"], t["time_source"]) == (datetime(2026, 1, 1, tzinfo=timezone.utc), "audit createTime")


def test_synth_months_series_has_distinct_months_and_known_churn(con, tmp_path):
    """`por synth --months 3`: month m holds rows m*6 .. m*6+59 of the seed's sequence (churn 10 % of 60)."""
    from indexer.ingest import ingest_file
    from indexer.liabilities import load_liabilities
    from exchanges.okx.synth import write_synth_series
    from indexer.registry import registry

    files = write_synth_series(registry(), tmp_path / "series", rows=60, months=3, seed=7, workers=1)
    assert [p.name for p, _ in files] == ["okx_por_2026010108.csv", "okx_por_2026020108.csv", "okx_por_2026030108.csv"]
    for path, liab in reversed(files):  # newest first: ids against time again
        sid = ingest_file(con, path)[0].snapshot_id
        load_liabilities(con, liab, sid)
    order = rows(con, "select snapshot_id, published_at from snapshot_times order by published_at")
    assert [r["published_at"].month for r in order] == [1, 2, 3]
    first, second = order[0]["snapshot_id"], order[1]["snapshot_id"]
    d = rows(con, "select sum(added) a, sum(removed) r, sum(kept) k, sum(addresses_a) na, sum(addresses_b) nb from snapshot_diff(?, ?)", [first, second])[0]
    assert (d["a"], d["r"], d["k"], d["na"], d["nb"]) == (6, 6, 54, 60, 60)
    n = rows(con, "select count(distinct snapshot_id) n, count(*) filter (where seq = 3) last from snapshot_series")[0]
    assert n["n"] == 3 and n["last"] > 0
    assert rows(con, "select count(*) c from snapshot_series where liabilities is not null")[0]["c"] > 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("okx_por_2026050108.csv", (datetime(2026, 5, 1, 8, tzinfo=timezone.utc), None)),
        ("por_csv_2025123123_V2.zip", (datetime(2025, 12, 31, 23, tzinfo=timezone.utc), 2)),
        ("downloads/okx_por_2024010100_v3.csv.zip", (datetime(2024, 1, 1, 0, tzinfo=timezone.utc), 3)),
        ("okx_por_eth_staking_2025020108.csv", (datetime(2025, 2, 1, 8, tzinfo=timezone.utc), None)),
        ("okx_por_2026133108.csv", (None, None)),  # month 13: not a time
        ("okx_por_20260501081.csv", (None, None)),  # 11 digits
        ("report.csv", (None, None)),
    ],
)
def test_published_from_name(name, expected):
    from exchanges.okx.publication import publication_name

    found = publication_name(name)
    assert ((found.published_at, found.version) if found else (None, None)) == expected
