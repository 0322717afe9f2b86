"""Bad and incomplete files (issue 16 §4): a file cut short, a damaged archive, rows that do not add up to the
file's own summary, a file of refused rows. Each is refused whole (nothing written, no database left behind) or,
where the user says so, loaded with the problem on record; the same publication re-saved is still one.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from indexer import api
from indexer.ingest import IngestError, SummaryMismatch, TooManyRejected, ingest_file
from indexer.ingest.rejects import RejectLimit
from indexer.store import StoreError, connect
from exchanges.okx.synth import write_synth_file
from indexer.registry import registry
from tests.conftest import shared_examples
from tests.test_cli import por
from tests.test_ingest import SUMMARY_11, table, write
from tests.test_ingest_publication import HEADER_11, MAIN, trace

SIG = "0x" + "ab" * 65
EOA = "0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e"


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> bytes:
    """A complete synthetic OKX file (12 columns, exact per-asset summary), as bytes."""
    path = tmp_path_factory.mktemp("synth") / "okx.csv"
    write_synth_file(registry(), path, 400, 1)
    return path.read_bytes()


def detail_line(data: bytes, index: int) -> tuple[int, bytes]:
    """(start offset, line) of the ``index``-th detail row (after the 12-column header)."""
    start = data.index(b"coin,Type,Network")
    for _ in range(index + 1):
        start = data.index(b"\n", start) + 1
    return start, data[start : data.index(b"\n", start)]


# ---- a file cut short ----------------------------------------------------------------------------
def cut_points(data: bytes) -> dict[str, int]:
    """Where ``head -c`` may stop inside row 200: in its amount (the row still parses, with a smaller amount), in its
    first signature (it parses too: the later cells are optional), or right after its coin."""
    start, line = detail_line(data, 200)
    cells = line.split(b",")
    amount_at = start + len(b",".join(cells[:5])) + 1
    signature_at = start + len(b",".join(cells[:7])) + 1
    return {"in the amount": amount_at + cells[5].index(b".") + 2, "in the signature": signature_at + 20, "after the coin": start + len(cells[0]) + 1}


@pytest.mark.parametrize("where", ["in the amount", "in the signature", "after the coin"])
def test_a_file_that_ends_in_the_middle_of_a_row_is_refused_and_leaves_no_database(synth, tmp_path, where):
    cut = tmp_path / "cut.csv"
    cut.write_bytes(synth[: cut_points(synth)[where]])
    db = tmp_path / "new.duckdb"
    result = por("ingest", str(cut), "--db", str(db))
    assert result.returncode == 2, result.stdout
    assert "ends in the middle of a row" in result.stderr and "nothing was loaded" in result.stderr
    assert not db.exists() and not Path(str(db) + ".wal").exists()
    assert por("ingest", str(cut), "--db", str(db), "--allow-mismatch").returncode == 2  # not a summary question


def test_a_row_cut_inside_its_quoted_last_cell_is_refused(con, tmp_path):
    """Binance writes its custodian cell in quotes: a cut inside it leaves as many cells as a whole row, and the quote open."""
    header = "coin,network,address,balance,Height,Third party custodian name\n"
    row = 'BTC,BTC,bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh,0.500000000000000000,945000,"Ceffu"\n'
    with pytest.raises(IngestError, match="leaves a quote or bracket open: the file ends in the middle of a row"):
        ingest_file(con, write(tmp_path, "PR01APR26_HotCold.csv", header + row * 3 + row[:-4]))
    assert trace(con) == [0, 0, 0, 0, 0]
    assert ingest_file(con, write(tmp_path, "PR01APR26_HotCold.csv", header + row * 3 + row[:-1]))[0].rows == 4


def test_a_complete_file_without_its_final_line_end_loads(con, tmp_path, synth):
    [report] = ingest_file(con, write(tmp_path, "por.csv", SUMMARY_11.rstrip("\n")))
    assert report.rows == 3 and report.summary is not None and not report.summary.mismatches
    path = tmp_path / "synth.csv"
    path.write_bytes(synth.rstrip(b"\n"))
    [report] = ingest_file(con, path)
    assert report.rows == 400 and report.errors == 0


def test_a_summary_only_text_without_a_final_line_end_is_refused(con, tmp_path):
    """A cut inside the last amount of a summary leaves as many cells as a whole row: only the missing line end tells."""
    with pytest.raises(IngestError, match="only a summary section"):
        ingest_file(con, write(tmp_path, "summary.csv", "coin,amount\nBTC,1.5\nETH,12"))
    assert trace(con) == [0, 0, 0, 0, 0]
    [report] = ingest_file(con, write(tmp_path, "summary.csv", "coin,amount\nBTC,1.5\nETH,12\n"))
    assert report.layout == "summary"


def test_a_file_cut_at_a_line_end_is_refused_for_its_summary_naming_the_coins(con, tmp_path, synth):
    start, _ = detail_line(synth, 120)
    path = tmp_path / "cut.csv"
    path.write_bytes(synth[:start])  # the first 120 rows, every line whole: only the summary can tell
    with pytest.raises(SummaryMismatch) as refused:
        ingest_file(con, path)
    text = str(refused.value)
    assert "summary totals disagree with its detail rows" in text and "incomplete or altered" in text and "--allow-mismatch" in text
    assert "BTC(ALL) " in text and " published, " in text  # a coin, its published figure, the rows' sum and the difference
    assert trace(con) == [0, 0, 0, 0, 0]  # nothing written, no snapshot id taken
    [report] = ingest_file(con, path, allow_mismatch=True)
    assert report.rows == 120 and report.summary is not None and report.summary.mismatches
    mismatched = table(con, "select count(*) from published_totals_check where snapshot_id = ? and status = 'mismatch'", report.snapshot_id)[0][0]
    assert mismatched == len(report.summary.mismatches) > 0
    [whole] = ingest_file(con, write(tmp_path, "whole.csv", synth.decode()))
    assert whole.summary is not None and whole.summary.totals and not whole.summary.mismatches


def test_report_shows_the_mismatch_beside_the_ratios(tmp_path, synth):
    db = tmp_path / "x.duckdb"
    start, _ = detail_line(synth, 120)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(synth[:start])
    loaded = por("ingest", str(cut), "--db", str(db), "--allow-mismatch")
    assert loaded.returncode == 0 and "loaded with --allow-mismatch" in loaded.stderr
    rows = json.loads(por("report", "--db", str(db), "--format", "json").stdout)
    btc = next(r for r in rows if r["asset"] == "BTC")
    assert btc["summary_mismatch"].startswith("BTC(ALL) -")
    assert "disagree with its detail rows" in por("report", "--db", str(db)).stdout
    whole = tmp_path / "whole.duckdb"
    (tmp_path / "whole.csv").write_bytes(synth)
    assert por("ingest", str(tmp_path / "whole.csv"), "--db", str(whole)).returncode == 0
    assert "summary_mismatch" not in json.loads(por("report", "--db", str(whole), "--format", "json").stdout)[0]


# ---- what a summary total allows ------------------------------------------------------------------
def okx_today(total: str, amounts: list[str]) -> str:
    """Today's layout: a two-column summary with one BTC total, then BTC rows."""
    rows = "".join(f"BTC,BTC,900000,bc1qaddress{i},{a},I am an OKX address,IA1j,,,,\n" for i, a in enumerate(amounts))
    return f"coin,amount\nBTC,{total}\n\n{HEADER_11}\n{rows}"


@pytest.mark.parametrize(
    "total, amounts, ok",
    [
        ("146359", ["146000", "359.99999999"], True),  # a whole figure: one unit either way (OKX truncates or rounds)
        ("146359", ["146000", "358.00000001"], True),
        ("146359", ["146000", "360.00000001"], False),
        ("146359", ["146000", "357.99999999"], False),
        ("5.2834", ["5.28349999"], True),  # four decimals written: 0.0001
        ("5.2834", ["5.28350001"], False),
        ("449.5140", ["449.5149"], True),  # a zero written last carries nothing: 0.001
        ("449.5140", ["449.51500001"], False),
        ("0", ["0.9"], True),
        ("0", ["1.00000001"], False),
    ],
)
def test_a_summary_total_is_compared_within_one_unit_of_its_last_digit(con, tmp_path, total, amounts, ok):
    path = write(tmp_path, "okx.csv", okx_today(total, amounts))
    if ok:
        [report] = ingest_file(con, path)
        assert table(con, "select status from published_totals_check") == [("ok",)]
    else:
        with pytest.raises(SummaryMismatch, match=f"BTC {total} published"):
            ingest_file(con, path)
        assert trace(con) == [0, 0, 0, 0, 0]


def test_okx_example_files_load_and_say_what_was_compared(con, tmp_path):
    """OKX's own examples are right. The staking example's ``ETH,-,64`` totals its rows (64.0589...) truncated; the
    main example's summary is at heights none of its five rows has (it describes another snapshot): not compared."""
    examples = shared_examples()
    [staking] = ingest_file(con, examples / "okx_por_staking_example.csv")
    assert table(con, "select coin, status, difference_text from published_totals_check where snapshot_id = ?", staking.snapshot_id) == [
        ("ETH", "ok", "0.058959708849230328")
    ]
    [main] = ingest_file(con, examples / "okx_por_example.csv")
    statuses = {s for (s,) in table(con, "select status from published_totals_check where snapshot_id = ?", main.snapshot_id)}
    assert len(statuses) == 1 and statuses.pop().startswith("not compared: none of the summary's snapshot heights")
    assert main.summary is not None and list(main.summary.not_compared.values()) == [["okx_por_example.csv"]]
    # the same rows at the summary's ETH height: the same snapshot now, and it does not add up
    text = (examples / "okx_por_example.csv").read_text().replace(",20914735,", ",16005122,")
    with pytest.raises(SummaryMismatch, match=r"ETH 5\.2834 published"):
        ingest_file(con, write(tmp_path, "okx_same_heights.csv", text))


def htx(summary: list[str], rows: list[tuple[str, str, str, str]]) -> str:
    """An HTX file: BOM, summary, empty line, ``coin,address,snapshot height,balance,message,signature`` rows."""
    detail = "".join(f"{c},{a},{h},{b},-,-\n" for c, a, h, b in rows)
    return "\ufeffcoin,snapshot height,balance\n" + "\n".join(summary) + "\n\ncoin,address,snapshot height,balance,message,signature\n" + detail


# HTX's 2025-09-11 publication (huobiapi/Tool-Node.js-VerifyAddress, snapshot/huobi_por.csv at 8ccc417): its rows carry
# two decimals, its BTC(ALL) five: 20089.82802 against rows summing to 20089.83.
HTX_BTC = (
    ["BTC(ALL),-,20089.82802", "BTC,913920,9451.18", "BTC-TRC20,75591302,10226.93", "WBTC-ERC20,23040137,411.72"],
    [
        ("BTC", "143gLvWYUojXaWZRrxquRKpVNTkhmr415B", "913920", "7310.70"),
        ("BTC", "12qTdZHx6f77aQ74CPCZGSY47VaRwYjVD8", "913920", "970.80"),
        ("BTC", "1LXzGrDQqKqVBqxfGDUyhC6rTRBN5s8Sbj", "913920", "829.68"),
        ("BTC", "3EpyhpDRu2wz5LtS4sPAmXaGozuxYWdRkN", "913920", "340.00"),
        ("BTC-TRC20", "TDToUxX8sH4z6moQpK3ZLAN24eupu2ivA4", "75591302", "10162.93"),
        ("BTC-TRC20", "TK86Qm97uM848dMk8G7xNbJB7zG1uW3h1n", "75591302", "64.00"),
        ("WBTC-ERC20", "0x18709e89bd403f470088abdacebe86cc60dda12e", "23040137", "411.72"),
    ],
)


def test_htx_rows_rounded_to_cents_add_up_within_their_rounding(con, tmp_path):
    [report] = ingest_file(con, write(tmp_path, "huobi_por_20250911.csv", htx(*HTX_BTC)))
    assert report.exchange == "htx" and report.summary is not None and not report.summary.mismatches
    assert table(con, "select status from published_totals_check where coin = 'BTC(ALL)'") == [("ok",)]
    # the same figures from an exchange whose amounts are exact: 0.00198 is more than 0.00001
    con.execute("update snapshots set amounts_rounded = false")
    assert table(con, "select status, difference_text from published_totals_check where coin = 'BTC(ALL)'") == [("mismatch", "0.00198000")]


def test_htx_whole_figures_written_with_two_zero_decimals_and_summary_spellings(con, tmp_path):
    """2026-02-09: HTX-TRC20 249706562775323.00 (a whole figure) against rows summing to ...322.49; its summary writes
    USDT-ERC20 and SOL-USDC where its rows write USDT-ETH and USDC-SOL (exchanges/htx/coins.csv: the same holdings)."""
    summary = ["HTX-TRC20,79736938,249706562775323.00", "USDT-ERC20,24355911,17856625.37", "SOL-USDC,397161865,2906000"]
    rows = [
        ("HTX-TRC20", "TDToUxX8sH4z6moQpK3ZLAN24eupu2ivA4", "79736938", "246413348367579.00"),
        ("HTX-TRC20", "TK86Qm97uM848dMk8G7xNbJB7zG1uW3h1n", "79736938", "3062751000000.00"),
        ("HTX-TRC20", "TFTWNgDBkQ5wQoP8RXpRznnHvAVV8x5jLu", "79736938", "230463407743.49"),
        ("USDT-ETH", "0x18709e89bd403f470088abdacebe86cc60dda12e", "24355911", "1045412.19"),
        ("USDT-ETH", "0xa03400e098f4421b34a3a44a1b4e571419517687", "24355911", "11810001.00"),
        ("USDT-ETH", "0x2a4bf9bbca7a91661087f52571eea36a004b83eb", "24355911", "5001212.18"),
        ("USDC-SOL", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L", "397161865", "2906000"),
    ]
    [report] = ingest_file(con, write(tmp_path, "huobi_por_20260209.csv", htx(summary, rows)))
    assert table(con, "select coin, status, detail_rows from published_totals_check order by total_row_no") == [
        ("HTX-TRC20", "ok", 3), ("USDT-ERC20", "ok", 3), ("SOL-USDC", "ok", 1)
    ]  # fmt: skip


def test_a_key_and_its_other_spelling_both_in_the_rows_are_not_counted_twice(con, tmp_path):
    summary = ["USDT-ERC20,24355911,10", "USDT-ETH,24355911,5"]
    rows = [("USDT-ERC20", "0xa03400e098f4421b34a3a44a1b4e571419517687", "24355911", "10"),
            ("USDT-ETH", "0x18709e89bd403f470088abdacebe86cc60dda12e", "24355911", "5")]  # fmt: skip
    ingest_file(con, write(tmp_path, "huobi_por_20260101.csv", htx(summary, rows)))
    assert table(con, "select coin, status, detail_rows from published_totals_check order by total_row_no") == [
        ("USDT-ERC20", "ok", 1), ("USDT-ETH", "ok", 1)
    ]  # fmt: skip


def test_an_htx_summary_line_without_any_address_is_a_mismatch_loaded_and_recorded(con, tmp_path):
    """HTX 2023-08: USDT-T-BILLS 90010000 in the summary and in USDT(ALL), and no address holding it.

    Most of HTX's real publications disagree with their own summaries like this (ExchangePlugin.summary_must_add_up):
    the file loads, and the mismatch is in published_totals_check for the report to show.
    """
    summary = ["USDT(ALL),-,90010010", "USDT-TRC20,79736938,10", "USDT-T-BILLS,79736938,90010000"]
    rows = [("USDT-TRC20", "TDToUxX8sH4z6moQpK3ZLAN24eupu2ivA4", "79736938", "10.00")]
    [report] = ingest_file(con, write(tmp_path, "huobi_por_20230810.csv", htx(summary, rows)))
    assert report.summary is not None
    assert [t.describe() for t in report.summary.mismatches] == [
        "USDT(ALL) 90010010 published, 10 in 1 row (-90010000)", "USDT-T-BILLS 90010000 published, no detail row"
    ]
    stored = con.execute(
        "select coin from published_totals_check where snapshot_id = ? and status = 'mismatch' order by coin", [report.snapshot_id]
    ).fetchall()
    assert ("USDT-T-BILLS",) in stored


# ---- damaged archives ------------------------------------------------------------------------------
def test_a_truncated_zip_says_it_is_truncated(con, tmp_path):
    whole = tmp_path / "por_csv_2026063016_V2.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("okx_por_2026063016_V2.csv", MAIN * 50)
    data = whole.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match=r"cut\.zip is a truncated or damaged zip \(its central directory"):
        ingest_file(con, cut)
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(data[:60] + bytes([data[60] ^ 0xFF]) + data[61:])  # a byte of the compressed member
    with pytest.raises(IngestError, match=r"damaged\.zip is a truncated or damaged zip \("):
        ingest_file(con, damaged)
    gz = tmp_path / "cut.csv.gz"
    gz.write_bytes(gzip.compress((MAIN * 50).encode())[:300])
    with pytest.raises(IngestError, match=r"cut\.csv\.gz is a truncated or damaged gzip file"):
        ingest_file(con, gz)
    assert trace(con) == [0, 0, 0, 0, 0]


# ---- refused rows --------------------------------------------------------------------------------
def refused_rows(good: int, bad: int) -> str:
    """11-column rows without a summary: ``good`` loadable ones, then ``bad`` with an empty address."""
    rows = [f"ETH,ETH,1,{EOA},1,m,{SIG},,,," for _ in range(good)] + [f"ETH,ETH,1,,1,m,{SIG},,,," for _ in range(bad)]
    return HEADER_11 + "\n" + "\n".join(rows) + "\n"


def test_a_file_whose_every_row_is_refused_loads_nothing_and_says_why(con, tmp_path):
    path = write(tmp_path, "bad.csv", refused_rows(0, 7))
    with pytest.raises(IngestError) as refused:
        ingest_file(con, path)
    text = str(refused.value)
    assert "all 7 of its detail rows were refused" in text and "line 2: empty address; line 3: empty address" in text
    assert "2 more" in text and "nothing was loaded" in text
    assert trace(con) == [0, 0, 0, 0, 0]
    db = tmp_path / "new.duckdb"
    result = por("ingest", str(path), "--db", str(db))
    assert result.returncode == 2 and "line 2: empty address" in result.stderr and not db.exists()


def test_max_rejected_refuses_a_partly_refused_file(con, tmp_path):
    path = write(tmp_path, "part.csv", refused_rows(3, 2))  # 2 of 5 rows refused
    for limit in ("1", "39%", "0.5%"):
        with pytest.raises(TooManyRejected, match=rf"2 of its 5 rows were refused, more than --max-rejected {limit}"):
            ingest_file(con, path, max_rejected=RejectLimit.parse(limit))
        assert trace(con) == [0, 0, 0, 0, 0]
    [report] = ingest_file(con, path, max_rejected=RejectLimit.parse("40%"))
    assert (report.rows, report.errors) == (3, 2)
    other = write(tmp_path, "part2.csv", refused_rows(4, 2))
    assert ingest_file(con, other, max_rejected=RejectLimit.parse("2"))[0].errors == 2
    db = tmp_path / "new.duckdb"
    result = por("ingest", str(path), "--db", str(db), "--max-rejected", "1")
    assert result.returncode == 2 and "more than --max-rejected 1 allows" in result.stderr and not db.exists()
    assert por("ingest", str(path), "--db", str(db), "--max-rejected", "lots").returncode == 2


@pytest.mark.parametrize("text", ["-1", "1.5", "101%", "%", "1e3", "abc"])
def test_max_rejected_takes_a_count_or_a_percentage(text):
    with pytest.raises(ValueError, match="--max-rejected takes"):
        RejectLimit.parse(text)


def test_refused_rows_are_handed_on_in_batches_as_they_fill(tmp_path):
    """A file of refused rows holds one batch of them at a time, as a file of good rows does: they reach the sink
    while the file is being read, not all at its end."""
    from indexer.exchange_plugins import exchange_plugin
    from indexer.ingest.columnar import ColumnarReader
    from indexer.registry import registry

    data = refused_rows(1, 95).encode()
    seen: list[tuple[str, int]] = []
    reader = ColumnarReader(registry(), block_bytes=2048, exchange=exchange_plugin("okx"))
    reader.batch_rows = 10
    reader.run_binary(lambda: io.BufferedReader(io.BytesIO(data)), lambda t, b: seen.append((t, b.num_rows)))
    errors = [n for t, n in seen if t == "ingest_errors"]
    assert sum(errors) == 95 and max(errors) <= 10 and len(errors) >= 10


def _arrow_peak(con, path: Path, monkeypatch) -> int:
    """Arrow memory this ingest adds at its highest, sampled each time the parser hands on a batch (measured from
    what the process held before: under pytest-xdist a worker may still hold Arrow memory of its earlier tests)."""
    import gc

    import indexer.ingest.reader as reader

    gc.collect()
    base = pa.total_allocated_bytes()
    peak = [0]
    flush = reader.PorReader._flush

    def sampled(self, sink, name, schema, cols):
        flush(self, sink, name, schema, cols)
        peak[0] = max(peak[0], pa.total_allocated_bytes())

    monkeypatch.setattr(reader.PorReader, "_flush", sampled)
    ingest_file(con, path)
    return peak[0] - base


def test_memory_does_not_grow_with_the_refused_rows(con, tmp_path, monkeypatch):
    """Four times the refused rows, the same memory: refused rows go to ingest_errors as a stream, like the rows."""
    import indexer.ingest.columnar as columnar
    import indexer.ingest.reader as reader

    monkeypatch.setattr(columnar, "BLOCK_BYTES", 64 << 10)
    monkeypatch.setattr(columnar, "FIRST_BLOCK_BYTES", 64 << 10)
    monkeypatch.setattr(reader, "BATCH_ROWS", 500)
    peaks = []
    for n in (10_000, 40_000):
        rows = [f"ETH,ETH,1,0x{i:040x},1,m,{SIG},,,," if i % 2 else f"ETH,ETH,1,,1,m{i},{SIG},,,," for i in range(2 * n)]
        path = write(tmp_path, f"mixed{n}.csv", HEADER_11 + "\n" + "\n".join(rows) + "\n")
        peaks.append(_arrow_peak(con, path, monkeypatch))
        assert table(con, "select count(*) from ingest_errors where source_member = ?", path.name) == [(n,)]
    assert peaks[1] < 1.5 * peaks[0], peaks


# ---- nothing left behind -------------------------------------------------------------------------
def test_a_refused_or_missing_file_leaves_no_new_database(tmp_path):
    db = tmp_path / "new.duckdb"
    with pytest.raises(IngestError):
        api.ingest([tmp_path / "missing.csv"], db)
    assert not db.exists()
    with pytest.raises(IngestError):
        api.ingest([write(tmp_path, "empty.csv", HEADER_11 + "\n")], db)
    assert not db.exists()
    good = write(tmp_path, "good.csv", SUMMARY_11)
    with pytest.raises(IngestError):
        api.ingest([good, tmp_path / "missing.csv"], db)  # the first loaded: the database stays, with it
    assert db.exists()
    con = connect(db, read_only=True)
    assert table(con, "select count(*) from snapshots") == [(1,)]
    con.close()


def test_run_writes_no_demo_file_before_the_database_is_known_usable(tmp_path):
    bad_db = write(tmp_path, "not-duckdb.duckdb", "these are not the bytes of a DuckDB file\n" * 100)
    with pytest.raises(StoreError):
        api.run(None, bad_db, demo_dir=tmp_path)
    assert not (tmp_path / "por-demo.csv").exists() and not (tmp_path / "por-demo-liabilities.csv").exists()
    result = por("run", "--db", str(tmp_path / "no" / "such" / "dir.duckdb"), cwd=tmp_path)
    assert result.returncode == 2 and not (tmp_path / "por-demo.csv").exists()


# ---- the same publication, re-saved ------------------------------------------------------------------
def test_the_same_publication_resaved_or_rezipped_is_a_duplicate(con, tmp_path):
    [first] = ingest_file(con, write(tmp_path, "okx_por_2026063016.csv", MAIN))
    crlf = MAIN.replace("\n", "\r\n").encode()
    variants = {
        "crlf.csv": crlf,
        "bom.csv": b"\xef\xbb\xbf" + MAIN.encode(),
        "no-final-line-end.csv": MAIN.rstrip("\n").encode(),
        "extra-line-ends.csv": (MAIN + "\n\n").encode(),
        "bare-cr.csv": MAIN.replace("\n", "\r").encode(),
        "por.csv.gz": gzip.compress(crlf),
    }
    for name, data in variants.items():
        path = tmp_path / name
        path.write_bytes(data)
        [again] = ingest_file(con, path)
        assert again.duplicate_of == first.snapshot_id, name
    rezipped = tmp_path / "rezipped.zip"
    with zipfile.ZipFile(rezipped, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("renamed/inside.csv", crlf)  # as `zip -l` writes it: LF made CRLF
    assert ingest_file(con, rezipped)[0].duplicate_of == first.snapshot_id
    changed = tmp_path / "changed.csv"
    changed.write_bytes(crlf.replace(b"I am an OKX address", b"I am an OKX address!"))
    assert ingest_file(con, changed)[0].duplicate_of is None
    assert table(con, "select count(*) from snapshots") == [(2,)]


def test_an_archive_of_several_members_is_the_same_publication_whatever_their_names_order_and_line_ends(con, tmp_path):
    from tests.test_ingest_publication import STAKING, archive

    [first] = ingest_file(con, archive(tmp_path, "a.zip", {"main.csv": MAIN, "staking.csv": STAKING}))
    again = archive(tmp_path, "b.zip", {"z-staking.csv": STAKING.replace("\n", "\r\n"), "a-main.csv": "\ufeff" + MAIN})
    assert ingest_file(con, again)[0].duplicate_of == first.snapshot_id


def test_a_snapshot_loaded_before_the_content_digest_is_still_found_by_its_bytes(con, tmp_path):
    path = write(tmp_path, "okx.csv", MAIN.replace("\n", "\r\n"))
    [first] = ingest_file(con, path)
    con.execute("update snapshots set content_sha256 = null")  # as a database from before this check holds it
    assert ingest_file(con, path)[0].duplicate_of == first.snapshot_id
