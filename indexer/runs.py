"""The ``runs`` table: one row per fetch run and network, so a run's summary is SQL, not only a log line.

Why counts are written with every committed chunk, in the chunk's own transaction: after a
SIGKILL or power loss the row still says exactly how many ``balances`` rows that run
committed (``rows_ok`` + ``rows_error``), and a row left with ``outcome = 'running'`` and no
``finished_at`` is a run that died. The next run gets a new ``run_id``; every balance row
names the run that wrote it (``balances.run_id``).

Outcomes: ``running`` (in progress, or died), ``ok`` (every planned row read), ``errors``
(finished, some rows are error rows), ``blocked`` (the node cannot serve the blocks; ``reason``
is the one sentence also written on each row), ``skipped`` (no adapter or not configured; no
balance row written), ``interrupted`` (Ctrl-C: committed chunks stay, the rest is retried),
``failed`` (the run stopped on an unexpected error, named in ``reason``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import duckdb

from indexer.models import FETCH_METHODS

if TYPE_CHECKING:
    from indexer.fetch import NetworkRun

_METHOD_COLUMNS = {m: f"rows_{m}" for m in FETCH_METHODS}


def new_run_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("select nextval('run_ids')").fetchone()[0])  # type: ignore[index]


def record_start(con: duckdb.DuckDBPyConnection, run_id: int, snapshot_id: int, as_of: str, run: NetworkRun, outcome: str = "running", reason: str = "") -> None:
    """The run's row for one network, before any balance is written (``skipped`` rows are final at once)."""
    now = datetime.now(timezone.utc)
    final = outcome != "running"
    con.execute(
        "insert or replace into runs (run_id, network, snapshot_id, as_of, adapter, outcome, reason, rows_planned, started_at, finished_at, seconds)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, run.network, snapshot_id, as_of, run.adapter or None, outcome, reason or None, run.rows, now, now if final else None, 0.0 if final else None],
    )


def add_counts(con: duckdb.DuckDBPyConnection, run_id: int, network: str, ok: int, errors: int, methods: Counter[str]) -> None:
    """Add one committed chunk's counts; call inside the chunk's transaction."""
    sets = ["rows_ok = rows_ok + ?", "rows_error = rows_error + ?"]
    params: list[object] = [ok, errors]
    for method, n in methods.items():
        sets.append(f"{_METHOD_COLUMNS[method]} = {_METHOD_COLUMNS[method]} + ?")
        params.append(n)
    con.execute(f"update runs set {', '.join(sets)} where run_id = ? and network = ?", [*params, run_id, network])


def record_finish(con: duckdb.DuckDBPyConnection, run_id: int, run: NetworkRun, outcome: str) -> None:
    """Outcome, timings, blocks and the adapter's notes once the network is done (or interrupted)."""
    notes = ", ".join(f"{note} ×{n:,}" for note, n in run.notes.most_common(8)) or None
    con.execute(
        "update runs set outcome = ?, reason = ?, source = ?, blocks = ?, read_block_min = ?, read_block_max = ?, reads = ?,"
        " notes = ?, finished_at = ?, seconds = ? where run_id = ? and network = ?",
        [
            outcome,
            run.blocked or None,
            run.source or None,
            run.blocks,
            run.read_min,
            run.read_max,
            run.reads,
            notes,
            datetime.now(timezone.utc),
            run.seconds,
            run_id,
            run.network,
        ],
    )
