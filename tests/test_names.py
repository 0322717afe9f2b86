"""One name for one number (issue 19), across every output: the views, the API, the table, JSON, CSV and the HTML page.

The rule: "published" is what the exchange's file says, "claimed" what its audit page says, "onchain" what we read,
"verified" on-chain restricted to the rows whose ownership signature is proven. A table or page header is made from
the column name alone (``indexer.results.figure_label``), so every header leads back to one JSON key; the test
compares the column sets format by format, through the real ``por`` executable, with and without an audit page.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from indexer.results import FIGURES, figure_label
from tests.test_audit import PAGE
from tests.test_cli_trust import por
from tests.test_views import FILE

# amounts and ratios of these views name their figure with exactly one of the four words
FIGURE_VIEWS = ("reserves", "reserve_ratios", "reserves_by_form", "reserves_usd", "snapshot_series", "snapshot_usd_totals")
# not a reserve figure: what is owed, prices, scales; or a share whose second word says "of what" (the published amount)
NOT_A_FIGURE = re.compile(r"^(liabilities|clean_liabilities|price|scale|claims_scale|coverage_onchain_published$)")


def _db(tmp_path: Path, audit: bool) -> Path:
    db = tmp_path / ("audit.duckdb" if audit else "plain.duckdb")
    src = tmp_path / "por.csv"
    src.write_text(FILE)
    assert por("ingest", str(src), "--db", str(db)).returncode == 0
    if audit:
        page = tmp_path / "audit.json"
        page.write_text(json.dumps(PAGE))
        loaded = por("liabilities", str(page), "--db", str(db))
    else:
        liab = tmp_path / "liab.csv"
        liab.write_text("asset,amount\nETH,2.5\nUSDT,20\n")
        loaded = por("liabilities", str(liab), "--db", str(db))
    assert loaded.returncode == 0, loaded.stderr
    return db


def _table_headers(text: str) -> list[str]:
    """The column headers of a rich table (``--wide``: one header line, nothing wrapped)."""
    line = next(line for line in text.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in line.strip("┃").split("┃")]


@pytest.mark.parametrize("audit", [False, True], ids=["no audit page", "audit page"])
def test_every_format_names_the_same_columns(tmp_path, audit):
    import por as api

    db = _db(tmp_path, audit)
    view = [r[0] for r in duckdb.connect(str(db), read_only=True).execute("select column_name from (describe reserve_ratios)").fetchall()]
    as_json = json.loads(por("report", "--db", str(db), "--format", "json").stdout)
    as_csv = list(csv.reader(io.StringIO(por("report", "--db", str(db), "--format", "csv").stdout)))
    wide = por("report", "--db", str(db), "--wide")
    from_api = api.report(db=db, wide=True)
    assert list(as_json[0]) == as_csv[0] == from_api.columns == view  # JSON, CSV, API and the view: one column list
    assert _table_headers(wide.stdout) == [figure_label(c) for c in view]  # the table: each column under its label

    default = api.report(db=db)
    shown = _table_headers(por("report", "--db", str(db), env={"COLUMNS": "400"}).stdout)
    assert shown == [figure_label(c) for c in default.columns]
    claimed = [c for c in default.columns if "claimed" in c]
    if audit:
        assert claimed == ["claimed_reserves", "claimed_custody_reserves", "ratio_claimed"]
    else:
        assert claimed == [] and "claimed" not in " ".join(shown)  # no audit page: nothing is called claimed
    # the number under "published" is the file's own, in the table, the JSON and the API alike
    eth_json = next(r for r in as_json if r["asset"] == "ETH")
    eth_api = next(r for r in default.dicts() if r["asset"] == "ETH")
    assert eth_json["published_reserves"] == "3.75" and eth_api["published_reserves"] == Decimal("3.75")
    assert eth_json["ratio_published"] == "1.5"  # 3.75 over the 2.5 owed
    assert (eth_json["ratio_claimed"] is None) is (not audit) and (eth_json["claimed_reserves"] == "5") is audit

    page = tmp_path / "page.html"
    assert por("report", "--db", str(db), "--format", "html", "--out", str(page)).returncode == 0
    table = re.search(r'<table class="reserves">(.*?)</table>', page.read_text(), re.S).group(1)
    html_headers = re.findall(r"<th>(.*?)</th>", table)
    usd = ["price_usd", "published_usd", "verified_usd", "own_token"]
    assert set(html_headers) <= {figure_label(c) for c in [*view, *usd]}  # the page invents no header of its own
    assert ("ratio claimed" in html_headers) is audit and {"published", "ratio published", "on-chain", "verified"} <= set(html_headers)


def test_every_figure_of_the_views_carries_one_of_the_four_names(tmp_path):
    db = _db(tmp_path, True)
    con = duckdb.connect(str(db), read_only=True)
    for view in FIGURE_VIEWS:
        for name, kind in con.execute(f"select column_name, column_type from (describe {view})").fetchall():
            if not kind.startswith(("DECIMAL", "HUGEINT", "DOUBLE")) or NOT_A_FIGURE.match(name):
                continue
            words = [w for w in name.split("_") if w in FIGURES]
            assert len(words) == 1, f"{view}.{name} ({kind}) names {words or 'none'} of {sorted(FIGURES)}"
