"""``por prices import`` and ``por prices fetch`` against a local server speaking DefiLlama's and CoinGecko's APIs.

The server answers with the documented JSON shapes: DefiLlama ``/prices/historical/{ts}/{coins}`` ->
``{"coins": {"coingecko:<id>": {"price", "symbol", "timestamp", "confidence"}}}`` (closest point within
``searchWidth`` either side of ``ts``); CoinGecko ``/coins/{id}/history?date=dd-mm-yyyy`` ->
``{"id", "symbol", "name", "market_data": {"current_price": {"usd": …}}}`` (no ``market_data`` for a day
it has no data; 429 with ``{"status": {"error_code": 429, "error_message": …}}`` when rate limited).
"""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from aiohttp import web

from tests.analyst_fixtures import APRIL_ID, MAY_ID, build

APRIL_T = datetime(2026, 4, 1, 8, tzinfo=timezone.utc)
MAY_T = datetime(2026, 5, 1, 8, tzinfo=timezone.utc)


class PriceServer:
    """DefiLlama and CoinGecko on one loopback port, counting every request it receives."""

    def __init__(self) -> None:
        ts = lambda t: int(t.timestamp())  # noqa: E731
        # DefiLlama's points: (timestamp, price as the raw JSON text). One after each snapshot, closer to it
        # than the one before: a client that asked at T with a symmetric window would get the later one.
        self.llama: dict[str, list[tuple[int, str]]] = {
            "coingecko:bitcoin": [
                (ts(APRIL_T - timedelta(hours=1)), "68123.456789012345678"),
                (ts(APRIL_T + timedelta(minutes=30)), "1"),
                (ts(MAY_T - timedelta(hours=2)), "70000.5"),
                (ts(MAY_T + timedelta(minutes=30)), "2"),
            ],
            "coingecko:ethereum": [(ts(APRIL_T - timedelta(hours=3)), "3000"), (ts(MAY_T - timedelta(hours=3)), "3100.25")],
            "coingecko:tether": [(ts(MAY_T - timedelta(minutes=5)), "1.00000000000000011")],  # float would say 1.0
        }
        self.gecko = {("okb", "01-05-2026"): "48.123", ("okb", "01-04-2026"): "51"}  # tether: no market_data
        self.requests: list[str] = []
        self.rate_limit_once = True

    async def historical(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        ts = int(request.match_info["ts"])
        m = re.fullmatch(r"(\d+)([hHdDmMwW])", request.query.get("searchWidth", "6h"))
        width = int(m.group(1)) * {"h": 3600, "d": 86400, "m": 60, "w": 604800}[m.group(2).lower()]
        coins = {}
        for coin in request.match_info["coins"].split(","):
            near = [(abs(t - ts), t, p) for t, p in self.llama.get(coin, []) if abs(t - ts) <= width]
            if near:
                _, t, p = min(near)
                symbol = coin.split(":")[1][:4].upper()
                coins[coin] = f'{{"decimals": 8, "symbol": "{symbol}", "price": {p}, "timestamp": {t}, "confidence": 0.99}}'
        body = '{"coins": {' + ", ".join(f'"{k}": {v}' for k, v in coins.items()) + "}}"
        return web.Response(text=body, content_type="application/json")

    async def history(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        if self.rate_limit_once:
            self.rate_limit_once = False
            return web.json_response(
                {"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits."}},
                status=429,
            )
        coin, day = request.match_info["id"], request.query["date"]
        if coin not in {"okb", "tether", "bitcoin", "ethereum"}:
            return web.json_response({"error": "coin not found"}, status=404)
        base = f'"id": "{coin}", "symbol": "{coin[:3]}", "name": "{coin.title()}", "localization": {{"en": "{coin}"}}'
        price = self.gecko.get((coin, day))
        if price is None:
            return web.Response(text="{" + base + "}", content_type="application/json")
        market = f'"market_data": {{"current_price": {{"btc": 0.0007, "usd": {price}}}, "market_cap": {{"usd": 1}}, "total_volume": {{"usd": 1}}}}'
        return web.Response(text="{" + base + ", " + market + "}", content_type="application/json")


@pytest.fixture
def price_server():
    server = PriceServer()
    app = web.Application()
    app.router.add_get("/llama/prices/historical/{ts}/{coins}", server.historical)
    app.router.add_get("/gecko/api/v3/coins/{id}/history", server.history)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server.base = f"http://127.0.0.1:{port}"
    yield server
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


def config(tmp_path, base: str, sources: str = '["defillama", "coingecko"]'):
    path = tmp_path / "por.toml"
    path.write_text(
        f"""
[prices]
sources = {sources}
[prices.defillama]
rpc = "{base}/llama"
rps = 100
[prices.coingecko]
rpc = "{base}/gecko/api/v3"
rps = 100
backoff = 0.01
"""
    )
    return path


def test_fetch_fills_usd_from_both_apis_and_a_rerun_asks_nothing(con, tmp_path, price_server):
    from indexer.config import load_config
    from indexer.prices import fetch_prices, price_settings

    build(con, tmp_path)
    settings = price_settings(load_config(config(tmp_path, price_server.base)))
    report = fetch_prices(con, settings)
    # DefiLlama: one request per snapshot time for all coins. CoinGecko: what DefiLlama lacked (OKB in May,
    # USDT in April), plus the one 429 that the shared HTTP layer retried.
    llama = [r for r in price_server.requests if r.startswith("/llama")]
    gecko = [r for r in price_server.requests if r.startswith("/gecko")]
    assert len(llama) == 2 and len(gecko) == 3
    assert all("searchWidth=4h" in r for r in llama)
    assert {r.split("/")[4] for r in llama} == {str(int(APRIL_T.timestamp()) - 4 * 3600), str(int(MAY_T.timestamp()) - 4 * 3600)}
    assert report.requests == 5
    # Never a point after the snapshot: April's 68123.45… at 07:00, not the "1" at 08:30.
    assert con.execute('select usd_text, "at" from prices where asset = \'BTC\' order by "at"').fetchall() == [
        ("68123.456789012345678", APRIL_T - timedelta(hours=1)),
        ("70000.5", MAY_T - timedelta(hours=2)),
    ]
    assert con.execute("select count(*) from prices").fetchall()[0][0] == 6
    usdt = con.execute("select usd_text, usd_units, source from prices where asset = 'USDT'").fetchall()
    assert usdt == [("1.00000000000000011", 1_000_000_000_000_000_110, "defillama")]  # exact, not a float's 1.0
    okb = con.execute('select "at", usd, source from prices where asset = \'OKB\' order by "at"').fetchall()
    assert okb == [(datetime(2026, 5, 1, tzinfo=timezone.utc), Decimal("48.123"), "coingecko")]
    # USDT in April: DefiLlama has nothing then, CoinGecko answers without market_data -> no price, recorded.
    assert any(m.startswith("USDT@2026-04-01") for m in report.missing)
    statuses = dict(con.execute("select request_key, status from price_requests where source = 'coingecko'").fetchall())
    assert statuses["tether@01-04-2026"] == "no_data" and statuses["okb@01-05-2026"] == "ok"

    u = {(r[0], r[1]): r[2] for r in con.execute("select snapshot_id, asset, published_usd from reserves_usd").fetchall()}
    assert u[(MAY_ID, "BTC")] == Decimal("332502.375")  # 4.75 x 70000.5
    assert u[(MAY_ID, "OKB")] == Decimal("240.615")  # 5 x 48.123
    assert u[(APRIL_ID, "BTC")] == Decimal("3.75") * Decimal("68123.456789012345678")
    assert u[(MAY_ID, "USDT")] == Decimal("50.0000000000000055")  # 50 x 1.00000000000000011
    assert u[(APRIL_ID, "USDT")] is None

    before = len(price_server.requests)
    again = fetch_prices(con, settings)
    assert len(price_server.requests) == before and again.requests == 0  # everything answered before is cached
    assert again.prices == 0


def test_fetch_records_nothing_for_a_failure_and_asks_again(con, tmp_path, price_server):
    """A transport failure (server gone) is not an answer: nothing is cached and the next run asks again."""
    from indexer.config import load_config
    from indexer.prices import fetch_prices, price_settings

    build(con, tmp_path)
    dead = config(tmp_path, "http://127.0.0.1:9", '["coingecko"]')  # port 9: nothing listens
    text = dead.read_text().replace("backoff = 0.01", "backoff = 0.01\nretries = 1")
    dead.write_text(text)
    report = fetch_prices(con, price_settings(load_config(dead)))
    assert report.prices == 0 and len(report.missing) == 7  # April: BTC, ETH, USDT; May: and OKB
    assert con.execute("select count(*) from price_requests").fetchall()[0][0] == 0
    live = price_settings(load_config(config(tmp_path, price_server.base, '["coingecko"]')))
    assert fetch_prices(con, live).prices > 0


def test_import_refuses_a_bad_file_whole_with_line_numbers(con, tmp_path):
    from indexer.prices import PriceError, import_prices

    bad = tmp_path / "p.csv"
    bad.write_text("asset,at,usd\nBTC,2026-05-01,70000\nETH,yesterday,3000\nUSDT,2026-05-01,-1\nOKB,2026-05-01,abc\nBTC,2026-05-01,1\n")
    with pytest.raises(PriceError) as err:
        import_prices(con, bad)
    msg = str(err.value)
    assert "line 3: time 'yesterday'" in msg and "line 4: price '-1' is negative" in msg
    assert "line 5: price 'abc' is not a decimal number" in msg and "line 6: BTC at 2026-05-01T00:00:00+00:00 is also on line 2" in msg
    assert con.execute("select count(*) from prices").fetchall()[0][0] == 0
    header = tmp_path / "h.csv"
    header.write_text("asset,price\nBTC,1\n")
    with pytest.raises(PriceError, match="header asset,at,usd"):
        import_prices(con, header)


def test_import_accepts_dates_iso_times_and_unix_seconds_and_keeps_exact_text(con, tmp_path):
    from indexer.prices import import_prices

    good = tmp_path / "p.csv"
    good.write_text(
        "asset,at,usd\nbtc,2026-05-01,96512.25\nETH,2026-05-01T10:30:00+02:00,3000.123456789012345678\nSHIB,1767225600,0.0000123\n"
    )
    assert import_prices(con, good) == 3
    got = {r[0]: r[1:] for r in con.execute('select asset, "at", usd, usd_text, usd_units, source from prices').fetchall()}
    assert got["BTC"] == (datetime(2026, 5, 1, tzinfo=timezone.utc), Decimal("96512.25"), "96512.25", 96512250000000000000000, "import")
    assert got["ETH"][0] == datetime(2026, 5, 1, 8, 30, tzinfo=timezone.utc)
    assert got["ETH"][3] == 3000123456789012345678  # all 18 decimals kept
    assert got["SHIB"][0] == datetime(2026, 1, 1, tzinfo=timezone.utc) and got["SHIB"][3] == 12300000000000
    assert import_prices(con, good) == 3  # the same file again replaces, never duplicates
    assert con.execute("select count(*) from prices").fetchall()[0][0] == 3


def test_cli_prices_import_and_fetch(tmp_path, price_server):
    from tests.test_cli import por
    from indexer.store import connect

    db = tmp_path / "x.duckdb"
    con = connect(db)
    build(con, tmp_path)
    con.close()
    p = tmp_path / "p.csv"
    p.write_text("asset,at,usd\nUSDT,2026-04-01,1\nUSDT,2026-05-01,1\n")
    r = por("prices", "import", str(p), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "2 prices loaded" in r.stdout
    r = por("prices", "fetch", "--db", str(db), "--config", str(config(tmp_path, price_server.base)))
    assert r.returncode == 0, r.stderr
    assert "prices stored from" in r.stdout
    # USDT has an imported price within a day before both snapshots: nobody was asked for it.
    assert price_server.requests and not any("tether" in q for q in price_server.requests)
    bad = tmp_path / "bad.csv"
    bad.write_text("asset,at,usd\nBTC,never,1\n")
    r = por("prices", "import", str(bad), "--db", str(db))
    assert r.returncode == 2 and "line 2" in r.stderr


def test_an_interrupted_fetch_keeps_its_answers_and_resumes(con, tmp_path, price_server):
    """Ctrl-C in the middle: what was answered is committed; the rerun asks only for the rest, once each."""
    from indexer.config import load_config
    from indexer.prices import fetch_prices, price_settings

    build(con, tmp_path)
    price_server.rate_limit_once = False
    settings = price_settings(load_config(config(tmp_path, price_server.base, '["coingecko"]')))
    seen = []

    def interrupt(source, done, total):
        seen.append((done, total))
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_prices(con, settings, on_progress=interrupt)
    assert seen[0] == (1, 7)  # bitcoin, ethereum, tether on two days, okb on one
    first = list(price_server.requests)
    kept = con.execute("select count(*) from price_requests").fetchall()[0][0]
    assert kept == 2  # the first two answers; the third was cut off before it was recorded
    fetch_prices(con, settings)
    rest = price_server.requests[len(first):]
    assert len(rest) == 7 - kept
    assert len(set(first[:kept]) & set(rest)) == 0  # nothing answered is asked again
    assert con.execute("select count(*), count(distinct request_key) from price_requests").fetchall() == [(7, 7)]
