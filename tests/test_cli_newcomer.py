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
    assert typer.main.get_command(app)  # the tree the help was read from is the one por runs
