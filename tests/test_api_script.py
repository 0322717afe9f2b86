"""Issue 19, "the API from a plain script": run as a user runs it, a ``.py`` file in a fresh interpreter.

* ``por.verify`` works from a script with no ``if __name__ == "__main__":`` guard: its worker processes never
  re-import the caller's module (they used to re-run the script's own ingest, then die in BrokenProcessPool).
* One path or many, wherever the API takes files (``por.ingest("okx.csv")`` used to walk the string's characters).
* Every error the API raises on bad input is a ``por.PorError``: the exception types are walked, and the README's
  cases (a missing configuration, a missing file, a file that is not a database) are raised for real.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import por
from tests.test_ingest import SUMMARY_11

SCRIPT = """
import json
import por

with open("body-ran.txt", "a") as marker:  # counts how often this module's body runs: once, not once per worker
    marker.write("ran\\n")
por.synth("okx_por.csv", 300, seed=3)
loaded = por.ingest("okx_por.csv", db="por.duckdb")  # one path, not a list
summary = por.verify(db="por.duckdb", workers=2)
print(json.dumps({"snapshots": [r.snapshot_id for r in loaded], "status": summary.by_status, "rows": summary.rows_done}))
"""


def test_a_plain_script_without_a_main_guard_verifies_with_worker_processes(tmp_path):
    script = tmp_path / "monthly.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = dict(os.environ, POR_REQUIRE_NODES="1")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "bootstrapping" not in done.stderr and "BrokenProcessPool" not in done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["snapshots"] == [1] and out["rows"] == 300 and out["status"].get("verified", 0) > 0, out
    assert (tmp_path / "body-ran.txt").read_text().splitlines() == ["ran"]  # no worker re-ran the script


def test_one_path_or_many(tmp_path):
    one, two = tmp_path / "a.csv", tmp_path / "b.csv"
    one.write_text(SUMMARY_11)
    two.write_text(SUMMARY_11.replace("3.75", "3.76", 1) if "3.75" in SUMMARY_11 else SUMMARY_11 + "\n")
    db = tmp_path / "x.duckdb"
    [first] = por.ingest(str(one), db=db)  # a str
    assert first.snapshot_id == 1 and first.rows == 3
    [again] = por.ingest(one, db=db)  # a Path: the same content is a duplicate, not a new snapshot
    assert again.duplicate_of == 1
    both = por.ingest([str(one), two], db=db)  # a list
    assert [r.duplicate_of for r in both][0] == 1 and len(both) == 2
    ran = por.run(str(one), db=tmp_path / "run.duckdb", demo_dir=tmp_path)  # run takes one path too
    assert [s.snapshot_id for s in ran.snapshots] == [1] and ran.demo_file is None


# Exception types defined in the core that never reach an API caller, each with the reason.
INTERNAL = {
    "indexer.cli.UserError": "the CLI's own, never raised by the API",
    "indexer.cli.CheckFailed": "the CLI's own exit-1 signal, never raised by the API",
    "indexer.plugins.FetchBlocked": "the fetch runner turns it into a blocked network in the summary (FetchSummary.blocked)",
    "indexer.models.AmountError": "a bad amount is a refused row with its reason (ingest_errors), never raised",
    "indexer.ingest.reader.NotAPorFile": "ingest raises it as an IngestError",
    "indexer.ingest.sources.DamagedArchive": "ingest raises it as an IngestError",
    "indexer.rpc.RpcError": "a failed read is an error row, never raised to the caller",
}


def _exception_types() -> dict[str, type]:
    import indexer

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(indexer.__path__, "indexer."):
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == info.name and not name.startswith("_"):  # _private: internal
                found[f"{info.name}.{name}"] = obj
    return found


def test_every_error_type_of_the_core_is_a_por_error_or_never_reaches_the_caller():
    found = _exception_types()
    assert {"indexer.config.ConfigError", "indexer.ingest.IngestError", "indexer.store.StoreError", "indexer.fetch.plan.FetchError"} <= set(found)
    internal = {found[name] for name in INTERNAL}
    missed = []
    for name, exc in sorted(found.items()):
        if any(issubclass(exc, base) for base in internal):  # and their subclasses (EmptyPorFile, RpcTimeout, ...)
            continue
        if not issubclass(exc, por.PorError):
            missed.append(name)
    assert not missed, f"these can reach an API caller and are not a por.PorError: {missed}"


@pytest.mark.parametrize(
    "call",
    [
        lambda tmp: por.fetch(db=tmp / "x.duckdb", config=tmp / "missing.toml"),
        lambda tmp: por.ingest(tmp / "missing.csv", db=tmp / "y.duckdb"),
        lambda tmp: por.report(db=tmp / "not-a-database.duckdb"),
        lambda tmp: por.ingest(tmp / "not-a-database.duckdb", db=tmp / "z.duckdb"),
        lambda tmp: por.verify(db=tmp / "x.duckdb", snapshot=99),
    ],
    ids=["missing config", "missing file", "not a database", "not a PoR file", "no such snapshot"],
)
def test_bad_input_raises_a_por_error(tmp_path, call):
    (tmp_path / "not-a-database.duckdb").write_text("hello, not DuckDB\n")
    src = tmp_path / "ok.csv"
    src.write_text(SUMMARY_11)
    por.ingest(src, db=tmp_path / "x.duckdb")
    with pytest.raises(por.PorError) as caught:
        call(tmp_path)
    assert str(caught.value).strip() and "\n" not in str(caught.value).strip()


def test_the_script_test_runs_a_real_file_not_this_process():
    """The script test must start a fresh interpreter on a file (spawn re-imports a file's __main__, not pytest's)."""
    source = inspect.getsource(test_a_plain_script_without_a_main_guard_verifies_with_worker_processes)
    assert "sys.executable, str(script)" in source and Path(__file__).name not in SCRIPT
