"""``por report --format html`` opened in a real browser: Debian's chromium, headless, driven by Playwright.

The page must render with no console error, load nothing from the network (everything is inline),
draw its Plotly charts (counted as the SVG nodes plotly.js produces) and show the exact tables.
A screenshot is kept under out/test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.analyst_fixtures import APRIL_ID, MAY_ID, build

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "out" / "test-artifacts"


def _need_browser():
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium; scripts/test.sh does)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pyproject [test] extra)")
    if missing:
        if os.environ.get("POR_REQUIRE_NODES"):
            pytest.fail("the HTML report test needs " + " and ".join(missing))
        pytest.skip("needs " + " and ".join(missing))


@pytest.fixture
def report_db(con, tmp_path, db_path):
    from indexer.prices import import_prices

    build(con, tmp_path)
    p = tmp_path / "prices.csv"
    p.write_text("asset,at,usd\nBTC,2026-04-01,60000\nBTC,2026-05-01,70000.5\nETH,2026-03-15,3000\nOKB,2026-04-30,50\n")
    import_prices(con, p)
    # Verdicts as `por verify` records them (the synthetic signatures here are placeholders).
    con.execute(
        """insert into signatures (snapshot_id, row_no, family, status, reason)
           select snapshot_id, row_no, 'UTXO', case when coin = 'BTC' then 'verified' else 'failed' end,
                  case when coin = 'BTC' then '' else 'bad signature encoding' end
           from addresses where snapshot_id = ?""",
        [MAY_ID],
    )
    con.close()
    return db_path


def test_html_report_renders_in_headless_chromium(report_db, tmp_path):
    _need_browser()
    from playwright.sync_api import sync_playwright

    from tests.test_cli import por

    out = tmp_path / "report.html"
    r = por("report", "--format", "html", "--out", str(out), "--db", str(report_db), "--snapshot", str(MAY_ID))
    assert r.returncode == 0, r.stderr
    page_html = out.read_text()
    assert "<script src=" not in page_html and "<link " not in page_html  # nothing to fetch: all inline

    console_errors, outside = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(str(e)))

            def block(route):
                if not route.request.url.startswith(("file://", "data:", "blob:")):
                    outside.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route("**/*", block)
            page.goto(out.as_uri())
            page.wait_for_selector("#plot-signatures .main-svg")
            plots = page.locator(".js-plotly-plot")
            assert plots.count() == 5
            for anchor in ("ratio", "reserves", "composition", "coverage", "signatures"):
                assert page.locator(f"#plot-{anchor} svg.main-svg").count() >= 1, anchor
            assert page.locator("#plot-ratio .scatterlayer .trace").count() >= 3  # BTC, ETH, OKB have liabilities (USDT has none)
            assert page.locator("#plot-composition .slice").count() == 3  # BTC, ETH, OKB are priced in May
            assert page.locator("#plot-coverage .barlayer .point").count() >= 3
            assert page.locator("#plot-signatures .barlayer .point").count() == 2  # verified, failed
            legend = page.locator("#plot-composition .legendtext").all_text_contents()
            assert "OKB (own token)" in legend
            tables = page.locator("table").all_inner_texts()
            reserves, totals, mismatches = tables[0], tables[1], tables[-1]
            assert "4.75" in reserves and "$332,502.38" in reserves and "11.5" in reserves
            # the on-chain coverage beside each on-chain ratio, as truncated percentages (BTC: 1 of 2 rows read,
            # carrying 36.84… % of the published BTC; OKB and USDT: none read)
            head = page.locator("table.reserves th").all_inner_texts()
            assert head[head.index("ratio on-chain") + 1] == "coverage on-chain" and head[head.index("ratio verified") + 1] == "coverage verified"
            btc = page.locator("table.reserves tr", has_text="BTC").first.locator("td").all_inner_texts()
            assert btc[head.index("coverage on-chain")] == "50 %" and btc[head.index("coverage on-chain published")] == "36.84 %"
            assert btc[head.index("coverage verified")] == "50 %"  # both BTC rows verified, one read
            okb = page.locator("table.reserves tr", has_text="OKB").first.locator("td").all_inner_texts()
            assert (okb[head.index("ratio on-chain")], okb[head.index("coverage on-chain")]) == ("—", "0 %")
            assert "$368,752.38" in totals  # 332,502.375 + 36,000 + 250
            assert "-0.5" in mismatches and "-$1,500.00" in mismatches  # ETH: 11.5 on chain vs 12 published, at 3000
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            shutil.copy(out, ARTIFACTS / "report.html")
        finally:
            browser.close()
    assert console_errors == []
    assert outside == []


def test_html_report_without_prices_or_balances_still_renders(con, tmp_path, db_path):
    """A fresh snapshot (nothing fetched, no prices): every chart is drawn, the page says what is missing."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    from indexer.report_html import write_html_report
    from tests.analyst_fixtures import APRIL

    path = tmp_path / "okx_por_2026040108.csv"
    path.write_text(APRIL)
    from indexer.ingest import ingest_file

    sid = ingest_file(con, path)[0].snapshot_id
    out = write_html_report(con, sid, tmp_path / "bare.html")
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(out.as_uri())
            page.wait_for_selector("#plot-signatures .main-svg")
            assert page.locator(".js-plotly-plot").count() == 5
            assert "no prices loaded" in page.locator("#plot-composition").inner_text()
            assert "missing" in page.locator("#plot-coverage .legendtext").all_text_contents()
        finally:
            browser.close()
    assert errors == []


def test_one_snapshot_has_dates_on_its_time_axis(tmp_path):
    """One snapshot: Plotly alone zooms into the lone point down to ticks like ``00:28:22.8425``; the page shows
    dates. Read from the ticks chromium draws, not from the figure's settings."""
    _need_browser()
    import re

    from playwright.sync_api import sync_playwright

    from tests.test_cli import por
    from tests.test_views import FILE

    db, src, liab, out = tmp_path / "one.duckdb", tmp_path / "por.csv", tmp_path / "liab.csv", tmp_path / "one.html"
    src.write_text(FILE)
    liab.write_text("asset,amount\nETH,2.5\nUSDT,20\n")
    assert por("ingest", str(src), "--db", str(db)).returncode == 0
    assert por("liabilities", str(liab), "--db", str(db)).returncode == 0
    assert por("report", "--format", "html", "--out", str(out), "--db", str(db)).returncode == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(out.as_uri())
            page.wait_for_selector("#plot-ratio .xtick text")
            ticks = [t.strip() for t in page.locator("#plot-ratio .xtick text").all_text_contents() if t.strip()]
        finally:
            browser.close()
    assert ticks and all(re.fullmatch(r"\d{4}-\d\d-\d\d", t) for t in ticks), ticks
