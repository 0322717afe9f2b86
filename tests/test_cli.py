"""The ``por`` command as a user runs it: a real process, a real DuckDB file, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.test_ingest import SUMMARY_11

def por(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer.cli", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_help_in_a_real_process_shows_each_example_on_its_own_line():
    """Every command's help is checked by walking the app (tests/test_cli_help.py); this is the installed executable."""
    result = por("ingest", "--help")
    assert result.returncode == 0, result.stderr
    assert "Example: por ingest nightly.zip --max-rejected 0.1%" in [line.strip() for line in result.stdout.splitlines()]


def test_ingest_report_sql_round_trip(tmp_path):
    db = str(tmp_path / "x.duckdb")
    csv_path = tmp_path / "por.csv"
    csv_path.write_text(SUMMARY_11)
    result = por("ingest", str(csv_path), "--db", db)
    assert result.returncode == 0, result.stderr
    assert "3 rows loaded, 0 rejected" in result.stdout
    again = por("ingest", str(csv_path), "--db", db)
    assert again.returncode == 0 and "already ingested as snapshot 1" in again.stdout
    report = json.loads(por("report", "--db", db, "--format", "json").stdout)
    eth = next(r for r in report if r["asset"] == "ETH")
    assert eth["published_reserves"] == "1.000000000000000001"  # exact, as a string
    assert eth["onchain_reserves"] is None
    out = por("sql", "select count(*) as n from addresses", "--db", db, "--format", "csv").stdout
    assert out.splitlines() == ["n", "3"]


def test_bad_file_exits_2_with_one_sentence_and_no_traceback(tmp_path):
    db = str(tmp_path / "x.duckdb")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    result = por("ingest", str(bad), "--db", db)
    assert result.returncode == 2
    assert "not a Proof-of-Reserves file" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    debug = por("--debug", "sql", "select nope", "--db", db)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_usage_errors_exit_2(tmp_path):
    assert por("ingest").returncode == 2
    assert por("report", "--db", str(tmp_path / "empty.duckdb")).returncode == 2
    assert por("report", "--format", "xml").returncode == 2


def test_liabilities_and_min_ratio_check(tmp_path):
    db = str(tmp_path / "x.duckdb")
    csv_path = tmp_path / "por.csv"
    csv_path.write_text(SUMMARY_11)
    por("ingest", str(csv_path), "--db", db)
    liab = tmp_path / "liab.csv"
    liab.write_text("asset,amount\nETH,0.5\nUSDT,5\n")
    assert por("liabilities", str(liab), "--db", db).returncode == 0
    # The file's own amounts give ETH 2 and USDT 0.5 over these liabilities, but nothing was read on chain: the
    # check judges the on-chain ratio only, so it cannot pass on the exchange's figures.
    published = {r["asset"]: r["ratio_published"] for r in json.loads(por("report", "--db", db, "--format", "json").stdout)}
    assert published["ETH"] == "2.000000000000000002" and published["USDT"] == "0.5"
    unread = por("report", "--db", db, "--min-ratio", "0.4")
    assert unread.returncode == 1, unread.stdout + unread.stderr
    assert (
        "on-chain coverage of ETH is incomplete (0 of 2 rows, 0 %; 0 % of the published amount); "
        "on-chain coverage of USDT is incomplete (0 of 1 rows, 0 %; 0 % of the published amount)"
    ) in unread.stderr
    assert "--allow-partial judges the part that was read" in unread.stderr
    assert "--min-ratio 0.4: judged the on-chain ratio" in unread.stdout
    partial = por("report", "--db", db, "--min-ratio", "0.4", "--allow-partial")
    assert partial.returncode == 1  # what was read (nothing) is 0 of the liabilities
    assert "ETH: on-chain ratio 0 judged on partial coverage (0 of 2 rows, 0 %" in partial.stdout
    assert "on-chain reserve ratio below 0.4 for ETH (0, coverage 0 %)" in partial.stderr
    assert por("report", "--db", db, "--allow-partial").returncode == 2  # without --min-ratio it means nothing
    tampered = tmp_path / "t.json"
    tampered.write_text('{"self": {}, "path": []}')
    refused = por("liabilities", str(tampered), "--db", db)
    assert refused.returncode == 2 and "refused" in refused.stderr


def test_default_database_honours_por_db(tmp_path):
    import os

    csv_path = tmp_path / "por.csv"
    csv_path.write_text(SUMMARY_11)
    env = dict(os.environ, POR_DB=str(tmp_path / "env.duckdb"))
    assert por("ingest", str(csv_path), env=env, cwd=tmp_path).returncode == 0
    assert (tmp_path / "env.duckdb").exists() and not (tmp_path / "por.duckdb").exists()


def test_ingest_goes_on_run_stops_and_both_word_a_file_as_synth_does(tmp_path):
    """One ingest loop, two choices: `por ingest` loads every file but the refused one (exit 2), `por run` stops at
    it before verifying anything; `por synth --db`, `por ingest` and `por run` print the same line for a file."""
    import duckdb

    made = por("synth", "--rows", "30", "--out", str(tmp_path / "s.csv"), "--db", str(tmp_path / "synth.duckdb"))
    assert made.returncode == 0, made.stderr
    wrote, line = made.stdout.splitlines()
    assert wrote.startswith("wrote 30 rows over ") and wrote.endswith(f" coin keys to {tmp_path / 's.csv'}")
    assert line.startswith("s.csv: snapshot 1 (summary+detail12): 30 rows loaded, 0 rejected (see ingest_errors), ")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    other = tmp_path / "a.csv"
    other.write_text(SUMMARY_11)
    refused = f"error: {bad} is not a Proof-of-Reserves file: it is a binary file, not a CSV text."

    ingested = por("ingest", str(tmp_path / "s.csv"), str(bad), str(other), "--db", str(tmp_path / "i.duckdb"))
    assert ingested.returncode == 2 and ingested.stderr.strip() == refused
    assert ingested.stdout.splitlines()[0] == line and ingested.stdout.splitlines()[1].startswith("a.csv: snapshot 2 ")

    ran = por("run", str(tmp_path / "s.csv"), str(bad), str(other), "--db", str(tmp_path / "r.duckdb"))
    assert ran.returncode == 2 and ran.stderr.strip() == refused
    assert ran.stdout.splitlines() == [line]  # nothing after the refusal: not a.csv, no verify, no report
    con = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    assert con.execute("select source_file from snapshots").fetchall() == [("s.csv",)]
    assert con.execute("select count(*) from signatures").fetchall() == [(0,)]
    con.close()
