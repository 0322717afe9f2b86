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
    # the default report puts the on-chain coverage beside each on-chain ratio (exact fractions)
    cols = report.columns
    assert cols[cols.index("ratio_onchain") + 1] == "coverage_onchain" and eth["coverage_onchain"] == Decimal(1)
    assert cols[cols.index("ratio_verified") + 1] == "coverage_verified"
    assert report.check_ratio(Decimal("0.666666666666666669")).passed
    low = report.check_ratio(Decimal("0.7"))
    assert not low.passed and low.judged == ["ETH"] and low.message() == "on-chain reserve ratio below 0.7 for ETH (0.666666, coverage 100 %)"
    assert [(r[1], r[2]) for r in recon.rows] == [((i + 1) * 10**18 + 7, height) for i in range(3)]


def test_report_columns_follow_the_view():
    """Columns another release adds appear in the default report; missing ones are skipped. Published and claimed
    figures are two columns under their own names, never one shown as the other; without an audit page the claimed
    ones (which would be empty) are left out of the default."""
    from indexer.api import report_columns

    old = ["snapshot_id", "asset", "liabilities", "published_reserves", "onchain_reserves", "ratio_published", "rows"]
    assert report_columns(old) == ["asset", "liabilities", "published_reserves", "onchain_reserves", "ratio_published"]
    new = old + ["claimed_reserves", "claimed_custody_reserves", "ratio_claimed", "ratio_onchain_with_custody"]
    assert report_columns(new) == [
        "asset", "liabilities", "published_reserves", "claimed_reserves", "onchain_reserves", "claimed_custody_reserves",
        "ratio_published", "ratio_claimed", "ratio_onchain_with_custody",
    ]  # fmt: skip
    assert report_columns(new, audit=False) == report_columns(old)
    assert report_columns(new, wide=True) == new


def test_the_onchain_check_never_passes_on_what_was_not_read(tmp_path):
    """No balance read: the file's own ratios would pass, the on-chain check fails (coverage 0 %); an asset owed but
    absent from the file is on-chain 0; with no liabilities at all there is nothing to judge, which fails too."""
    import por
    from tests.test_ingest import SUMMARY_11

    db = tmp_path / "x.duckdb"
    (tmp_path / "por.csv").write_text(SUMMARY_11)
    por.ingest([tmp_path / "por.csv"], db)
    empty = por.report(db).check_ratio(Decimal("0.1"))
    assert not empty.passed and "no liabilities are loaded for snapshot 1" in empty.message()
    (tmp_path / "liab.csv").write_text("asset,amount\nETH,0.5\nUSDT,5\nBTC,1\n")
    por.load_liabilities(tmp_path / "liab.csv", db)
    rep = por.report(db)
    assert {r["asset"]: r["ratio_published"] for r in rep.dicts()}["ETH"] > 1  # the exchange's own figure passes
    strict = rep.check_ratio(Decimal("0.1"))
    assert strict.judged == ["BTC", "ETH", "USDT"] and strict.incomplete == ["ETH", "USDT"]
    assert strict.failures == [
        "on-chain reserve ratio below 0.1 for BTC (0, the file lists no address for it)",
        "on-chain coverage of ETH is incomplete (0 of 2 rows, 0 %; 0 % of the published amount)",
        "on-chain coverage of USDT is incomplete (0 of 1 rows, 0 %; 0 % of the published amount)",
    ]
    partial = rep.check_ratio(Decimal("0.1"), allow_partial=True)
    assert len(partial.failures) == 3 and partial.partial == [
        "ETH: on-chain ratio 0 judged on partial coverage (0 of 2 rows, 0 %; 0 % of the published amount)",
        "USDT: on-chain ratio 0 judged on partial coverage (0 of 1 rows, 0 %; 0 % of the published amount)",
    ]
    assert rep.check_ratio(Decimal(0), allow_partial=True).passed  # 0 is not below 0: the check can pass


def test_a_database_whose_views_predate_coverage_says_so_and_a_writer_updates_it(tmp_path):
    """Read-only opens never change views: a database written by an older release reports as it is, and the
    on-chain check says why it cannot run instead of judging without coverage; any writing open updates it."""
    import duckdb

    import por
    from indexer.store import connect
    from tests.test_ingest import SUMMARY_11

    db = tmp_path / "old.duckdb"
    (tmp_path / "por.csv").write_text(SUMMARY_11)
    (tmp_path / "liab.csv").write_text("asset,amount\nETH,0.5\n")
    por.ingest([tmp_path / "por.csv"], db)
    por.load_liabilities(tmp_path / "liab.csv", db)
    con = duckdb.connect(str(db))  # the view as an older release left it: no coverage columns, another digest
    con.execute("create table old_rr as select * exclude (coverage_onchain, coverage_onchain_published, coverage_verified) from reserve_ratios")
    con.execute("drop view reserve_ratios")
    con.execute("create view reserve_ratios as select * from old_rr")
    con.execute("delete from view_digest")
    con.close()
    old = por.report(db)
    assert "coverage_onchain" not in old.columns and old.rows  # the report itself still reads
    with pytest.raises(por.PorError, match="predates the on-chain check; any writing command"):
        old.check_ratio(Decimal(1))
    connect(db).close()  # what every writing command does first
    assert "coverage_onchain" in por.report(db).columns and not por.report(db).check_ratio(Decimal(1)).passed


# ------------------------------------------------------------------------------------ one ingest loop
def _sources(db) -> list[str]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("select source_file from snapshots order by snapshot_id").fetchall()]
    finally:
        con.close()


def test_one_ingest_loop_stops_or_goes_on_after_a_refused_file(tmp_path):
    """``on_error="stop"`` (the API's default, ``por run``'s) raises the first refusal and reads no file after it;
    ``"continue"`` (``por ingest``'s) loads every other file, then raises FilesRefused naming each refused one.
    ``on_file`` hears every file it reached, in order."""
    import por
    from indexer.ingest import IngestError
    from tests.test_ingest import SUMMARY_11

    good = tmp_path / "a.csv"
    good.write_text(SUMMARY_11)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    other = tmp_path / "h.csv"
    por.synth(other, 5, exchange="htx")
    heard: list = []
    with pytest.raises(IngestError) as stopped:
        por.ingest([good, bad, other], tmp_path / "stop.duckdb", on_file=heard.append)
    assert not isinstance(stopped.value, por.FilesRefused) and "bad.csv is not a Proof-of-Reserves file" in str(stopped.value)
    assert [o.path for o in heard] == [good, bad] and heard[1].refused is stopped.value and heard[0].loaded
    assert [r.source_file for r in stopped.value.reports] == ["a.csv"]
    assert _sources(tmp_path / "stop.duckdb") == ["a.csv"]

    heard.clear()
    with pytest.raises(por.FilesRefused) as went:
        por.ingest([good, bad, other], tmp_path / "go.duckdb", on_error="continue", on_file=heard.append)
    assert [o.path for o in heard] == [good, bad, other]
    assert [o.path for o in went.value.refused] == [bad] and "1 of 3 files were refused" in str(went.value)
    assert [r.source_file for r in went.value.reports] == ["a.csv", "h.csv"]
    assert _sources(tmp_path / "go.duckdb") == ["a.csv", "h.csv"]

    with pytest.raises(por.FilesRefused):
        por.ingest([bad], tmp_path / "none.duckdb", on_error="continue")
    assert not (tmp_path / "none.duckdb").exists()  # nothing loaded: no database left behind
    with pytest.raises(por.PorError, match="on_error takes stop or continue"):
        por.ingest([good], tmp_path / "go.duckdb", on_error="skip")


def test_ingest_messages_are_one_wording_for_every_caller(tmp_path):
    """A loaded, a duplicate and a refused file, worded by ``ingest_messages``; ``run`` logs exactly those lines."""
    import por
    from indexer.api import ingest_messages
    from tests.test_ingest import SUMMARY_11

    good = tmp_path / "a.csv"
    good.write_text(SUMMARY_11)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    heard: list = []
    with pytest.raises(por.FilesRefused):
        por.ingest([good, good, bad], tmp_path / "x.duckdb", on_error="continue", on_file=heard.append)
    lines = [str(m) for o in heard for m in ingest_messages(o)]
    assert lines[0].startswith("a.csv: snapshot 1 (summary+detail11): 3 rows loaded, 0 rejected (see ingest_errors), ")
    assert lines[1:] == [
        "a.csv: already ingested as snapshot 1; nothing loaded.",
        f"error: {bad} is not a Proof-of-Reserves file: it is a binary file, not a CSV text.",
    ]
    logged: list[str] = []
    por.run([good, good], tmp_path / "run.duckdb", log=logged.append)
    assert logged[:2] == lines[:2]


def test_a_long_writer_never_creates_a_database_and_names_its_snapshot_first(tmp_path):
    """verify/fetch resolve the snapshot read-only before writing: a missing file is an error, not a new empty
    database; ``on_snapshot`` hears the id before any work (what ``por verify`` puts in its resume command)."""
    import por
    from tests.test_ingest import SUMMARY_11

    missing = tmp_path / "missing.duckdb"
    with pytest.raises(por.StoreError, match="there is no database"):
        por.verify(missing)
    with pytest.raises(por.StoreError, match="there is no database"):
        por.fetch(missing)
    assert not missing.exists()
    db = tmp_path / "x.duckdb"
    (tmp_path / "a.csv").write_text(SUMMARY_11)
    por.ingest([tmp_path / "a.csv"], db)
    named: list[int] = []
    summary = por.verify(db, workers=1, on_snapshot=named.append)
    assert named == [1] and summary.snapshot_id == 1


def test_synth_goes_through_the_api_and_ingests_what_it_wrote(tmp_path):
    """``por.synth`` writes any exchange's layout and, with ``db``, ingests every file it wrote (a series: each month)."""
    import por

    db = tmp_path / "s.duckdb"
    heard: list = []
    logged: list[str] = []
    made = por.synth(tmp_path / "h.csv", 5, exchange="HTX", db=db, on_file=heard.append, log=logged.append)
    assert logged == made.lines() == [f"wrote 5 htx rows to {tmp_path / 'h.csv'}"]
    assert made.ingested == heard and [r.layout for o in heard for r in o.reports] == ["summary+htx6"]
    series = por.synth(tmp_path / "series", 4, months=2, db=db)
    assert [p.name for p in series.files] == ["okx_por_2026010108.csv", "okx_por_2026020108.csv"]
    assert [p.name for p in series.liabilities] == ["liabilities_2026010108.csv", "liabilities_2026020108.csv"]
    assert all(o.loaded for o in series.ingested) and _sources(db) == ["h.csv", "okx_por_2026010108.csv", "okx_por_2026020108.csv"]
    with pytest.raises(por.PorError, match="not supported by the binance plugin"):
        por.synth(tmp_path / "b.zip", 1, exchange="binance", months=2)
    with pytest.raises(por.PorError, match="no exchange plugin 'kraken' is installed"):
        por.synth(tmp_path / "k.csv", 1, exchange="kraken")
