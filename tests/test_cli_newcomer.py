"""Issue 19, "every table command alike" and the small surprises a new user met, through the real ``por`` executable.

Each test is one item of the issue: what the user ran, and what they should have seen instead.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
import typer.main

from indexer.cli import app
from tests.test_cli_help import TREE
from tests.test_cli_trust import por
from tests.test_ingest import SUMMARY_11


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Path:
    """Two synthetic OKX months ingested (snapshots 1 and 2) with their liabilities: the monthly case."""
    root = tmp_path_factory.mktemp("series")
    db = root / "s.duckdb"
    made = por("synth", "--months", "2", "--rows", "60", "--out", str(root / "ser"), "--db", str(db))
    assert made.returncode == 0, made.stderr
    for n, liab in enumerate(sorted((root / "ser").glob("liabilities_*.csv")), 1):
        assert por("liabilities", str(liab), "--db", str(db), "--snapshot", str(n)).returncode == 0
    return db


def _table(text: str) -> str:
    """The first table of an output, from its title line to its bottom border."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("reserves, snapshot"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("└"))
    return "\n".join(lines[start : end + 2])  # the notes under it too


def _prints_a_table(cmd) -> bool:
    source = inspect.getsource(inspect.unwrap(cmd.callback)) if cmd.callback else ""
    return "_render(" in source or "_print_verify_summary(" in source


def test_every_command_that_prints_a_table_takes_wide():
    tables = [(" ".join(words), cmd) for words, cmd in TREE if _prints_a_table(cmd)]
    assert {"report", "run", "networks", "diff", "sql", "verify"} <= {name for name, _ in tables}
    for name, cmd in tables:
        assert "--wide" in [o for p in cmd.params for o in p.opts], f"por {name} prints a table but takes no --wide"


def test_report_and_run_show_the_same_table_at_80_columns(tmp_path):
    """One renderer decides: ``por run`` drops and keeps exactly what ``por report`` does (the asset, the ratios)."""
    src, liab = tmp_path / "por.csv", tmp_path / "liab.csv"
    src.write_text(SUMMARY_11)
    liab.write_text("asset,amount\nETH,3\nUSDT,5\nBTC,1\n")
    env = {"COLUMNS": "80"}
    ran = por("run", str(src), "--db", str(tmp_path / "x.duckdb"), "--liabilities", str(liab), env=env)
    assert ran.returncode == 0, ran.stderr
    reported = por("report", "--db", str(tmp_path / "x.duckdb"), env=env)
    assert _table(ran.stdout) == _table(reported.stdout)
    head = _table(reported.stdout)
    assert "asset" in head and "ratio" in head and "published" in head
    assert max(len(line.rstrip()) for line in head.splitlines()) <= 80
    assert por("run", str(src), "--db", str(tmp_path / "x.duckdb"), "--wide").returncode == 0  # "use --wide" works here too


def test_diff_keeps_the_change_and_sql_the_address_at_80_columns(series):
    env = {"COLUMNS": "80"}
    diff = por("diff", "1", "2", "--db", str(series), env=env)
    assert diff.returncode == 0, diff.stderr
    header = next(line for line in diff.stdout.splitlines() if "asset" in line)
    assert "published_change" in header and "network" in header
    assert max(len(line.rstrip()) for line in diff.stdout.splitlines() if "│" in line) <= 80
    wide = por("diff", "1", "2", "--db", str(series), "--wide", env=env)
    assert wide.returncode == 0 and "published_a" in wide.stdout and "published_b" in wide.stdout
    addr = por("diff", "1", "2", "--db", str(series), "--addresses", "added", env=env)
    assert "address" in next(line for line in addr.stdout.splitlines() if "asset" in line)


def test_networks_shows_methods_block_reference_and_needs(tmp_path):
    listed = json.loads(por("networks", "--format", "json").stdout)
    eth = next(r for r in listed if r["network"] == "ETH")
    assert eth["native_methods"] == "state_at_height" and eth["block_reference"] == "height" and "archive" in eth["needs"]
    arb = next(r for r in listed if r["network"] == "ARBITRUM")
    wide = por("networks", "--wide")
    assert wide.returncode == 0, wide.stderr
    header = next(line for line in wide.stdout.splitlines() if line.startswith("┃"))
    for column in ("native_methods", "token_methods", "block_reference", "needs", "chain_id"):
        assert column in header
    row = next(line for line in wide.stdout.splitlines() if line.startswith("│ ARBITRUM "))
    assert f"│ {arb['chain_id']} │" in re.sub(r" +", " ", row) and f"{arb['chain_id']:,}" not in row  # an id, not a quantity


def test_version():
    from indexer import __version__

    shown = por("--version")
    assert shown.returncode == 0 and shown.stdout.strip() == f"por {__version__}"


@pytest.mark.parametrize("words,cmd", TREE, ids=[" ".join(["por", *w]) for w, _ in TREE])
def test_help_names_types_as_words(words, cmd):
    shown = por(*words, "--help", env={"COLUMNS": "80"})
    assert shown.returncode == 0, shown.stderr
    assert not re.search(r"<(list\[\w+\]|path|int|int range|str|float|bool|[a-z]+(\|[a-z]+)+)>", shown.stdout), shown.stdout
    for param in cmd.params:
        if param.param_type_name == "option" and not param.is_flag:
            assert re.search(rf"{re.escape(param.opts[0])} [A-Z|a-z%]", shown.stdout), f"{param.opts[0]} has no type word"
    if any(p.param_type_name == "argument" and p.nargs != 1 for p in cmd.params):
        assert "FILE..." in shown.stdout
    lines = [line.strip() for line in shown.stdout.splitlines()]
    for example in [line.strip() for line in (cmd.help or "").splitlines() if line.strip().startswith("Example:")]:
        assert example in lines, f"the real --help does not show {example!r} whole on its own line"
    assert typer.main.get_command(app)  # the tree the help was read from is the one por runs


# ------------------------------------------------------------------------------------ monthly: verify, run
@pytest.fixture(scope="module")
def three_months(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("three")
    made = por("synth", "--months", "3", "--rows", "40", "--out", str(root / "m"))  # --rows optional, see below
    assert made.returncode == 0, made.stderr
    return root, sorted((root / "m").glob("okx_por_*.csv"))


def test_verify_after_three_months_says_what_it_left_and_all_verifies_them(three_months, tmp_path):
    _, files = three_months
    db = tmp_path / "m.duckdb"
    assert por("ingest", *map(str, files), "--db", str(db)).returncode == 0
    latest = por("verify", "--db", str(db))
    assert latest.returncode == 0, latest.stderr
    assert "verified snapshot 3 only, the latest; snapshot(s) 1, 2 still have rows without a verdict" in " ".join(latest.stdout.split())
    assert "por verify --all" in latest.stdout
    every = por("verify", "--db", str(db), "--all")
    assert every.returncode == 0, every.stderr
    assert "signatures, snapshot 1" in every.stdout and "signatures, snapshot 2" in every.stdout and "snapshot 3" not in every.stdout
    again = por("verify", "--db", str(db))
    assert "without a verdict" not in again.stdout  # nothing left to name


def test_run_on_several_files_verifies_every_one(three_months, tmp_path):
    _, files = three_months
    db = tmp_path / "r.duckdb"
    ran = por("run", *map(str, files[:2]), "--db", str(db))
    assert ran.returncode == 0, ran.stderr
    assert "signatures, snapshot 1" in ran.stdout and "signatures, snapshot 2" in ran.stdout
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select snapshot_id, count(*) from signatures group by 1 order by 1").fetchall() == [(1, 40), (2, 40)]


def test_synth_months_without_rows_has_a_default(tmp_path):
    made = por("synth", "--months", "2", "--out", str(tmp_path / "s"))
    assert made.returncode == 0, made.stderr
    first = sorted((tmp_path / "s").glob("okx_por_*.csv"))[0]
    import por as api

    [loaded] = api.ingest(first, db=tmp_path / "d.duckdb")
    assert loaded.rows == 2000  # api.DEMO_ROWS, the demo's size


# ------------------------------------------------------------------------------------ one sentence each
def test_a_report_into_a_folder_nobody_may_write_is_one_sentence(series, tmp_path):
    import shutil
    import tempfile

    from tests.test_cli_trust import AS_NOBODY, one_sentence

    shared = Path(tempfile.mkdtemp(prefix="por-ro-", dir="/tmp"))
    try:
        db = shared / "s.duckdb"
        shutil.copy(series, db)
        (shared / "ro").mkdir()
        (shared / "ro").chmod(0o555)
        shared.chmod(0o755)
        page = por("report", "--db", str(db), "--format", "html", "--out", str(shared / "ro" / "r.html"), prefix=AS_NOBODY, cwd=shared)
        assert page.returncode == 2 and one_sentence(page.stderr), page.stderr
        assert "Errno" not in page.stderr and f"the report cannot be written to {shared / 'ro' / 'r.html'}" in page.stderr
        assert "--out" in page.stderr
    finally:
        (shared / "ro").chmod(0o755)
        shutil.rmtree(shared)


def test_sql_refusal_hints_at_csv_only_for_copy(series):
    drop = por("sql", "drop table prices", "--db", str(series))
    assert drop.returncode == 2 and "DROP statement: add --write" in drop.stderr and "COPY" not in drop.stderr
    copy = por("sql", "copy addresses to 'x.csv'", "--db", str(series))
    assert copy.returncode == 2 and "(or use --format csv instead of COPY)" in copy.stderr


def test_snapshot_diff_of_a_missing_snapshot_says_so(series):
    for query in ("select * from snapshot_diff(1, 99)", "select * from snapshot_diff_addresses(99, 2)"):
        out = por("sql", query, "--db", str(series), "--format", "json")
        assert out.returncode == 2 and "there is no snapshot 99 in this database" in out.stderr, (query, out.stdout, out.stderr)
    both = json.loads(por("sql", "select count(*) n from snapshot_diff(1, 2)", "--db", str(series), "--format", "json").stdout)
    assert both[0]["n"] > 0


def test_export_of_a_never_verified_snapshot_has_a_readable_signatures_folder(series, tmp_path):
    import duckdb

    out = tmp_path / "pq"
    assert por("export", str(out), "--db", str(series), "--snapshot", "1").returncode == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["objects"]["signatures"]["rows"] == 0
    con = duckdb.connect()
    glob = str(out / "signatures" / "**")
    assert con.execute(f"select count(*) from read_parquet('{glob}')").fetchall() == [(0,)]
    columns = {r[0] for r in con.execute(f"describe select * from read_parquet('{glob}')").fetchall()}
    assert {"row_no", "status", "reason"} <= columns
    everything = tmp_path / "all"
    assert por("export", str(everything), "--db", str(series)).returncode == 0
    assert con.execute(f"select count(*) from read_parquet('{everything / 'signatures' / '**'}')").fetchall() == [(0,)]


# ------------------------------------------------------------------------------------ progress
def test_progress_bars_fit_80_columns_and_a_loaded_file_ends_at_100_percent(three_months, tmp_path):
    import io
    import re as regex

    from rich.console import Console

    import por as api
    from indexer.render import RichProgress

    buf = io.StringIO()
    shown = RichProgress(Console(file=buf, width=80, force_terminal=True, color_system=None))
    recorder = api.Recorder()

    class Both:  # the rich display and a recorder of the same calls
        def start(self, task, total):
            shown.start(task, total), recorder.start(task, total)

        def advance(self, task, done, errors=0):
            shown.advance(task, done, errors), recorder.advance(task, done, errors)

        def finish(self, task):
            shown.finish(task), recorder.finish(task)

    _, files = three_months
    long_name = tmp_path / "por_csv_2026063016_V2_a_very_long_monthly_file_name.csv"
    long_name.write_bytes(files[0].read_bytes())
    api.ingest(long_name, db=tmp_path / "p.duckdb", progress=Both())
    api.verify(db=tmp_path / "p.duckdb", workers=1, progress=Both())
    [task] = [t for t in recorder.totals if t.startswith("ingest")]
    assert recorder.done[task] == recorder.totals[task]  # 100 % before verify starts
    final = regex.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue()).split("\r")[-1]
    lines = [line for line in final.splitlines() if line.strip()]
    assert lines and all(len(line) <= 80 for line in lines), lines
    assert len(lines) == 2 and all("100 %" in line for line in lines), lines  # one line per bar (ingest, verify), none wrapped
