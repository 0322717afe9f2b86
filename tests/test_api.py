"""``import por`` as a notebook uses it: the whole pipeline from inside a running event loop, against anvil."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.fixtures.anvil import Anvil
from tests.test_cli_fetch import ADDRS, HEADER


def test_whole_pipeline_from_a_running_event_loop(tmp_path):
    import por

    db = tmp_path / "nb.duckdb"
    with Anvil("--chain-id", "1") as node:
        for i, a in enumerate(ADDRS):
            node.set_balance(a, (i + 1) * 10**18 + 7)
        node.mine(2)
        height = node.block_number()
        node.mine(1)
        node.set_balance(ADDRS[0], 1)  # moves after the snapshot: must not be what we read
        csv_path = tmp_path / "por.csv"
        csv_path.write_text(HEADER + "\n" + "".join(f"ETH,ETH,{height},{a},{i + 1},m,s,,,,\n" for i, a in enumerate(ADDRS)))
        config = tmp_path / "por.toml"
        config.write_text(f'[networks.ETH]\nrpc = "{node.url}"\n')
        liab = tmp_path / "liab.csv"
        liab.write_text("asset,amount\nETH,9\n")
        progress = por.Recorder()

        async def notebook_cell():
            asyncio.get_running_loop()  # we are inside a loop, as in Jupyter
            [rep] = por.ingest([csv_path], db, label="nb")
            summary = por.verify(db, workers=1, progress=progress)
            with pytest.raises(por.PorError, match="fetch_async"):
                por.fetch(db, config)  # asyncio.run cannot nest: one sentence saying what to use
            fetched = await por.fetch_async(db, config, progress=progress)
            por.load_liabilities(liab, db)
            return rep, summary, fetched, por.report(db), por.sql("select row_no, onchain_base_units, block_height from reconciliation order by row_no", db)

        rep, summary, fetched, report, recon = asyncio.run(notebook_cell())

    assert rep.snapshot_id == 1 and rep.rows == 3
    assert summary.rows_done == 3 and sum(summary.by_status.values()) == 3
    assert fetched.rows_ok == 3 and fetched.rows_error == 0
    assert progress.totals == {"verify": 3, "ETH": 3} and progress.done == {"verify": 3, "ETH": 3} and progress.finished == ["verify", "ETH"]
    [eth] = report.dicts()
    exact = Decimal(6 * 10**18 + 21) / Decimal(10**18)  # (1+2+3) ETH + 21 wei, at the snapshot height
    assert eth["asset"] == "ETH" and eth["onchain_reserves"] == exact and eth["liabilities"] == Decimal(9)
    assert eth["ratio_onchain"] == Decimal("0.666666666666666669")  # 6000000000000000021 / 9 = 666666666666666669 exactly
    assert report.columns[:2] == ["asset", "liabilities"] and "snapshot_id" not in report.columns  # the reader's columns
    assert [(r[1], r[2]) for r in recon.rows] == [((i + 1) * 10**18 + 7, height) for i in range(3)]


def test_report_columns_follow_the_view():
    """Columns another release adds appear in the default report; missing ones are skipped, claimed_* replaces published_*."""
    from indexer.api import report_columns

    old = ["snapshot_id", "asset", "liabilities", "published_reserves", "onchain_reserves", "ratio_published", "rows"]
    assert report_columns(old) == ["asset", "liabilities", "published_reserves", "onchain_reserves", "ratio_published"]
    new = old + ["claimed_reserves", "custody_reserves", "ratio_claimed", "ratio_onchain_with_custody"]
    assert report_columns(new) == [
        "asset", "liabilities", "claimed_reserves", "onchain_reserves", "custody_reserves", "ratio_onchain_with_custody", "ratio_claimed",
    ]  # fmt: skip
    assert report_columns(new, wide=True) == new
