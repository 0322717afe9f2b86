"""Issue 10 through the real ``por`` executable: read-only use, errors, narrow terminals, exact JSON, schema versions.

Every test runs ``.venv/bin/por`` (the installed console script) as a separate process
against real DuckDB files, as a user or a cron job would.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.test_ingest import SUMMARY_11

POR = Path(sys.executable).with_name("por")
# As root every file is writable, so read-only cases run the reader as nobody (setpriv, util-linux).
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []


def por(*args: str, cwd: Path | None = None, env: dict | None = None, prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([*(prefix or []), str(POR), *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=600)


def one_sentence(stderr: str) -> bool:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return len(lines) == 1 and "Traceback" not in stderr and "Error:" not in stderr


@pytest.fixture
def loaded(tmp_path) -> Path:
    """A database with SUMMARY_11 and liabilities ETH 3 (ratio 1/3), USDT 5, BTC 1 (listed nowhere in the file)."""
    assert POR.exists(), f"{POR} is not installed: run scripts/test.sh"
    db = tmp_path / "x.duckdb"
    csv_path = tmp_path / "por.csv"
    csv_path.write_text(SUMMARY_11)
    assert por("ingest", str(csv_path), "--db", str(db)).returncode == 0
    liab = tmp_path / "liab.csv"
    liab.write_text("asset,amount\nETH,3\nUSDT,5\nBTC,1\n")
    assert por("liabilities", str(liab), "--db", str(db)).returncode == 0
    return db


def fingerprint(db: Path) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [
            con.execute(f"select count(*) from {t}").fetchall()[0][0]
            for t in ("snapshots", "addresses", "signatures", "balances", "liabilities", "schema_migrations")
        ] + [con.execute("select view_name, sql from duckdb_views() where not internal order by 1").fetchall()]
    finally:
        con.close()


# ------------------------------------------------------------------------------------ read-only
def test_read_only_file_in_a_read_only_directory(loaded, tmp_path):
    shared = Path(tempfile.mkdtemp(prefix="por-ro-", dir="/tmp"))
    try:
        db = shared / "colleague.duckdb"
        shutil.copy(loaded, db)
        db.chmod(0o444)
        shared.chmod(0o555)
        before = fingerprint(db)
        report = por("report", "--db", str(db), "--format", "json", prefix=AS_NOBODY, cwd=shared)
        assert report.returncode == 0, report.stderr
        assert {r["asset"] for r in json.loads(report.stdout)} == {"ETH", "USDT", "BTC"}
        out = por("sql", "select count(*) as n from addresses", "--db", str(db), "--format", "csv", prefix=AS_NOBODY, cwd=shared)
        assert out.returncode == 0 and out.stdout.splitlines() == ["n", "3"], out.stderr
        nets = por("networks", "--db", str(db), "--format", "json", prefix=AS_NOBODY, cwd=shared)
        assert nets.returncode == 0, nets.stderr
        assert next(r for r in json.loads(nets.stdout) if r["network"] == "ETH")["rows"] == 2
        # a writer says so in one sentence, and nothing was created or changed
        refused = por("verify", "--db", str(db), prefix=AS_NOBODY, cwd=shared)
        assert refused.returncode == 2 and one_sentence(refused.stderr), refused.stderr
        assert "cannot be opened for writing" in refused.stderr
        assert sorted(p.name for p in shared.iterdir()) == ["colleague.duckdb"]  # no .wal, no lock file
        assert fingerprint(db) == before
    finally:
        shared.chmod(0o755)
        shutil.rmtree(shared)


def test_readers_never_create_a_database(tmp_path):
    for args in (["report"], ["sql", "select 1"], ["report", "--db", str(tmp_path / "nope.duckdb")]):
        result = por(*args, cwd=tmp_path, env={"POR_DB": ""})
        assert result.returncode == 2 and one_sentence(result.stderr), result.stderr
        assert "there is no database at" in result.stderr
    assert list(tmp_path.iterdir()) == []
    # networks works without a database (the registry) and says the counts are omitted
    nets = por("networks", cwd=tmp_path, env={"POR_DB": ""})
    assert nets.returncode == 0 and "row counts omitted" in nets.stdout
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ por sql
@pytest.mark.parametrize(
    "query",
    [
        "drop table snapshots",
        "delete from signatures",
        "select 1; delete from addresses",
        "copy addresses to 'out.csv'",
        "attach 'other.duckdb' as o",
        "create table t as select 1",
    ],
)
def test_sql_refuses_writing_statements_without_write(loaded, query, tmp_path):
    before = fingerprint(loaded)
    result = por("sql", query, "--db", str(loaded), cwd=tmp_path)
    assert result.returncode == 2 and one_sentence(result.stderr), result.stderr
    assert "read-only" in result.stderr and "--write" in result.stderr
    assert fingerprint(loaded) == before
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


def test_sql_write_changes_and_says_so(loaded):
    result = por("sql", "delete from liabilities where asset = 'BTC'", "--db", str(loaded), "--write")
    assert result.returncode == 0, result.stderr
    assert "--write" in result.stderr and "committed" in result.stderr
    n = por("sql", "select count(*) as n from liabilities", "--db", str(loaded), "--format", "csv")
    assert n.stdout.splitlines() == ["n", "2"]


# ------------------------------------------------------------------------------------ errors
def test_errors_are_one_sentence_with_what_to_do(loaded, tmp_path):
    cases = [
        (["sql", "select * from nope", "--db", str(loaded)], "there is no table or view named nope"),
        (["sql", "select nope from addresses", "--db", str(loaded)], "there is no column nope"),
        (["ingest", str(tmp_path / "x.csv"), "--db", str(tmp_path / "missing" / "x.duckdb")], "does not exist: create it"),
    ]
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"this is not a database" * 1000)
    cases.append((["report", "--db", str(garbage)], "is not a DuckDB database"))
    for args, expected in cases:
        result = por(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert one_sentence(result.stderr) and expected in result.stderr, (args, result.stderr)
    debug = por("--debug", "sql", "select * from nope", "--db", str(loaded))
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "Catalog Error" in debug.stderr


def test_a_held_lock_is_one_sentence_after_a_bounded_wait(loaded):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)", str(loaded)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = por("report", "--db", str(loaded), env={"POR_LOCK_WAIT": "1"})
        assert result.returncode == 3, result.stderr
        lines = result.stderr.strip().splitlines()
        assert "waiting up to 1 s" in lines[0]  # said while waiting
        assert len(lines) == 2 and f"locked by process {holder.pid}" in lines[1] and "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------------------------ output
def test_narrow_terminal_fits_and_never_wraps_numbers(loaded):
    env = {"COLUMNS": "80"}
    report = por("report", "--db", str(loaded), env=env)
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, report.stdout
    assert "1.000000000000000001" in report.stdout  # the whole amount, on one line
    header = next(line for line in lines if "asset" in line)
    assert "liabilities" in header and "published" in header and "claimed" not in header  # no audit page loaded
    sql = por("sql", "select * from addresses", "--db", str(loaded), env=env)
    assert sql.returncode == 0, sql.stderr
    out_lines = sql.stdout.splitlines()
    assert max(len(line) for line in out_lines) <= 80, sql.stdout
    assert "more column(s) not shown at 80 characters" in sql.stdout and "--wide" in sql.stdout
    # the column a reader looks up (the address) stays, whole; shown columns are not squeezed
    assert "0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e" in sql.stdout and "TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR" in sql.stdout
    wide = por("report", "--db", str(loaded), "--wide", env=env)
    assert "ratio verified" in wide.stdout and "liabilities source" in wide.stdout  # every column, each under its label


def test_sql_truncates_rows_with_a_note(loaded):
    result = por("sql", "select * from range(500) t(i)", "--db", str(loaded), "--limit", "20")
    assert result.returncode == 0, result.stderr
    assert "showing the first 20 of 500 rows" in result.stdout
    assert "│ 19 │" in result.stdout and "│ 20 │" not in result.stdout
    csv_all = por("sql", "select * from range(500) t(i)", "--db", str(loaded), "--format", "csv", "--limit", "20")
    assert len(csv_all.stdout.splitlines()) == 501  # csv/json are never truncated


def _no_floats(text: str):
    def refuse(value: str):
        raise AssertionError(f"a JSON float: {value}")

    return json.loads(text, parse_float=refuse)


def test_json_amounts_and_ratios_are_exact_strings_counts_integers(loaded):
    report = por("report", "--db", str(loaded), "--format", "json")
    assert report.returncode == 0, report.stderr
    rows = {r["asset"]: r for r in _no_floats(report.stdout)}
    eth, btc = rows["ETH"], rows["BTC"]
    assert eth["published_reserves"] == "1.000000000000000001"
    assert eth["ratio_published"] == "0.333333333333333333"  # (1e18 + 1) / 3e18, truncated at 18 places
    assert Decimal(rows["USDT"]["ratio_published"]) == Decimal("0.5")
    assert isinstance(eth["rows"], int) and eth["rows"] == 2
    assert btc["rows"] == 0 and btc["rows_fetched"] == 0  # owed, listed nowhere: 0, not null
    assert btc["published_reserves"] == "0" and btc["ratio_published"] == "0"
    assert btc["onchain_reserves"] is None  # nothing fetched: null, not 0
    # base units are strings in every row (one type per column), block heights and counts integers
    sql = _no_floats(por("sql", "select row_no, published_base_units, snapshot_height from addresses order by row_no", "--db", str(loaded), "--format", "json").stdout)
    assert [type(r["published_base_units"]) for r in sql] == [str, str, str]
    assert sql[0]["published_base_units"] == "1" and isinstance(sql[0]["snapshot_height"], int)
    double = _no_floats(por("sql", "select 6.815120144643234e-05::double as r", "--db", str(loaded), "--format", "json").stdout)
    assert double == [{"r": "0.00006815120144643234"}]


# ------------------------------------------------------------------------------------ schema versions
def test_newer_database_is_refused_and_its_views_are_never_rewritten(loaded):
    con = duckdb.connect(str(loaded))
    con.execute("create or replace view reserves as select 'from the future' as marker")
    con.execute("insert into schema_migrations (name, por_version) values ('999_future_feature', '9.0.0')")
    con.close()
    before = fingerprint(loaded)
    for args in (["verify"], ["report"], ["sql", "select 1"], ["ingest", str(loaded.with_name("por.csv"))]):
        result = por(*args, "--db", str(loaded))
        assert result.returncode == 2 and one_sentence(result.stderr), (args, result.stderr)
        assert "newer schema (999_future_feature)" in result.stderr and "por 9.0.0" in result.stderr and "upgrade por" in result.stderr
    assert fingerprint(loaded) == before


def test_database_from_the_previous_release_is_read_then_migrated(tmp_path):
    """release-0.1.0.duckdb.gz was written by por 0.1.0 (commit aeec47d): 001_core_tables only, DOUBLE ratios."""
    db = tmp_path / "old.duckdb"
    db.write_bytes(gzip.decompress((Path(__file__).parent / "fixtures" / "release-0.1.0.duckdb.gz").read_bytes()))
    old = por("report", "--db", str(db), "--format", "json")  # read-only: its own views, no migration
    assert old.returncode == 0, old.stderr
    assert {r["asset"]: r["ratio_published"] for r in _no_floats(old.stdout)}["ETH"] == "0.3333333333333333"  # old DOUBLE, as a string
    assert por("verify", "--db", str(db), "--workers", "1").returncode == 0  # a writer migrates
    con = duckdb.connect(str(db), read_only=True)
    names = [r[0] for r in con.execute("select name from schema_migrations order by name").fetchall()]
    from indexer.store import MIGRATIONS

    assert names == sorted(n for n, _ in MIGRATIONS)
    con.close()
    new = _no_floats(por("report", "--db", str(db), "--format", "json").stdout)
    assert {r["asset"]: r["ratio_published"] for r in new}["ETH"] == "0.333333333333333333"  # exact DECIMAL now
    assert {r["asset"]: r["rows"] for r in new}["BTC"] == 0


# ------------------------------------------------------------------------------------ a long writer
SYNTH_ROWS = 30_000  # distinct signed rows: a verify of a few seconds even on a quiet machine
TOTAL_ROWS = SYNTH_ROWS


def _count(db: Path) -> subprocess.CompletedProcess:
    return por("sql", "select count(*) as n from signatures", "--db", str(db), "--format", "csv", env={"POR_LOCK_WAIT": "120"})


def _ctrl_c(proc: subprocess.Popen) -> str:
    """SIGINT to a running por process, as a terminal's Ctrl-C; its stderr, once it exited with 130 (interrupted)."""
    import signal

    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    return err


def test_readers_run_beside_a_long_verify_and_ctrl_c_says_how_to_resume(tmp_path):
    """A real `por verify` process on a synthetic file: readers get in between its chunks; SIGINT reports and resumes."""
    import shlex

    db = tmp_path / "big.duckdb"
    made = por("synth", "--rows", str(SYNTH_ROWS), "--out", str(tmp_path / "big.csv"), "--db", str(db))
    assert made.returncode == 0, made.stderr
    writer = subprocess.Popen(
        [str(POR), "verify", "--db", str(db), "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, POR_LOCK_WAIT="120", POR_COMMIT_SECONDS="0.5"),  # commit twice a second: many chances to read mid-run
    )  # fmt: skip
    seen: list[int] = []
    try:
        # read while the writer runs until a read landed between its commits (0 < n < all)
        while writer.poll() is None and not [n for n in seen if 0 < n < TOTAL_ROWS]:
            read = _count(db)
            assert read.returncode == 0, read.stderr
            seen.append(int(read.stdout.splitlines()[1]))
        assert writer.poll() is None, f"verify finished before a read landed mid-run (saw {seen}); raise SYNTH_ROWS"
        assert seen == sorted(seen)  # committed chunks only ever grow
        err = _ctrl_c(writer)
    finally:
        if writer.poll() is None:
            writer.kill()
    committed = int(_count(db).stdout.splitlines()[1])
    assert 0 < committed < TOTAL_ROWS
    assert f"interrupted: {committed:,} of {TOTAL_ROWS:,} rows of snapshot 1 have a committed verdict" in err, err
    resume = err.split("Resume with: ", 1)[1].strip()
    assert resume == shlex.join(["por", "verify", "--db", str(db), "--workers", "1", "--snapshot", "1"])
    args = shlex.split(resume)
    done = por(*args[1:])
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    n, distinct = con.execute("select count(*), count(distinct row_no) from signatures where snapshot_id = 1").fetchall()[0]
    con.close()
    assert n == distinct == TOTAL_ROWS  # resumed exactly: nothing lost, nothing twice


def test_ctrl_c_during_an_ingest_commits_nothing_of_that_file_and_says_how_to_resume(tmp_path):
    """A real `por ingest a.csv big.csv` process, SIGINT while big.csv streams into its INSERT: a.csv stays
    loaded, nothing of big.csv is, and the printed command loads exactly the rest."""
    import shlex
    import time

    db = tmp_path / "i.duckdb"
    small = tmp_path / "a.csv"
    small.write_text(SUMMARY_11)
    big = tmp_path / "big.csv"
    rows = 1_500_000  # several seconds of ingest: the signal lands inside the load
    with open(big, "w") as f:
        f.write("coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2\n")
        for start in range(0, rows, 100_000):
            f.write("".join(f"USDT-TRC20,TRON,7,T{i:033d},{i}.5,m,s,,,,\n" for i in range(start, start + 100_000)))
    proc = subprocess.Popen(
        [str(POR), "ingest", str(small), str(big), "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )  # fmt: skip
    try:
        first = proc.stdout.readline()  # a.csv's line: it is committed and big.csv's load begins
        assert first.startswith("a.csv: snapshot 1"), first
        time.sleep(0.5)
        assert proc.poll() is None, "the big file was loaded before the signal; make it bigger"
        err = _ctrl_c(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    message = " ".join(err.split())
    assert f"interrupted while loading {big}: nothing from it was committed (one transaction per file); loaded before it: {small}." in message
    resume = message.split("Resume with: ", 1)[1].strip()
    assert shlex.split(resume) == ["por", "ingest", str(big), "--db", str(db)]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select snapshot_id, source_file from snapshots").fetchall() == [(1, "a.csv")]
    assert con.execute("select count(*) from addresses where snapshot_id <> 1").fetchall()[0][0] == 0
    con.close()
    done = por(*shlex.split(resume)[1:])
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    n, distinct, total = con.execute("select count(*), count(distinct row_no), sum(published_base_units) from addresses where snapshot_id = 2").fetchall()[0]
    con.close()
    assert n == distinct == rows and total == sum(i * 10**6 + 500_000 for i in range(rows))


def test_a_narrow_report_keeps_its_ratios_before_the_amounts(monkeypatch):
    """At 80 columns, 18-decimal amounts leave no room for everything: the ratio stays, an amount column goes."""
    import io

    from indexer import api
    from indexer.render import render_table
    from indexer.results import ResultSet, figure_labels

    cols = ["asset", "liabilities", "claimed_reserves", "onchain_reserves", "ratio_claimed"]
    types = ["VARCHAR", "DECIMAL(38,18)", "DECIMAL(38,18)", "DECIMAL(38,18)", "DECIMAL(38,18)"]
    rows = [("ETH", Decimal("11495.524930410960918440"), Decimal("14265.946438640002499785"), Decimal("14265.9"), Decimal("1.241000000000000000")),
            ("UNI", Decimal("80233.752860816681195019"), Decimal("92349.049542800000055468"), Decimal("92349"), Decimal("1.151000000000000000"))]
    out = io.StringIO()
    monkeypatch.setenv("COLUMNS", "80")
    render_table(ResultSet(cols, types, rows, title="reserves", labels=figure_labels(cols), keep=api.REPORT_KEEP), out=out)
    text = out.getvalue()
    header = next(line for line in text.splitlines() if "asset" in line)  # the last header line: "ratio" above "claimed"
    assert max(len(line) for line in text.splitlines() if "│" in line) <= 80
    assert header.index("liabilities") < header.index(" claimed ")  # shown columns keep their order
    assert "1.241" in text and "11495.52493041096091844" in text
    assert "1 more column(s) not shown at 80 characters (on-chain)" in " ".join(text.split())
