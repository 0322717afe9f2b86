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

``NetworkRun`` is that row while the run is going: the runner counts into it and this module writes
it. It lives here, beside the table it fills, so that this module and the fetch runner that imports
it do not import each other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb

from indexer.models import FETCH_METHODS
from indexer.rpc_tally import RequestTally

_METHOD_COLUMNS = {m: f"rows_{m}" for m in FETCH_METHODS}


@dataclass
class NetworkRun:
    """What happened on one network during a run."""

    network: str
    adapter: str
    rows: int = 0  # rows planned
    reads: int = 0  # unique (address, contract, block) reads
    ok: int = 0
    errors: int = 0
    blocked: str = ""  # the FetchBlocked sentence, if any
    methods: Counter[str] = field(default_factory=Counter)  # ok rows by balances.method
    notes: Counter[str] = field(default_factory=Counter)  # ok rows by the adapter's note (its read path, fallbacks)
    blocks: list[int] = field(default_factory=list)  # blocks asked for
    read_min: int | None = None  # range of the blocks the values are valid at (balances.read_block)
    read_max: int | None = None
    source: str = ""
    seconds: float = 0.0
    outcome: str = "running"  # see the module docstring
    http: RequestTally = field(default_factory=RequestTally)  # HTTP requests sent for this network (every client)
    path: str = ""  # the read path the adapter chose from the counts (``FetchEstimate.note``), "" where it has one

    @property
    def method(self) -> str:
        """How the values were obtained, for the summary: ``state_at_height ×12 (override ×12)``."""
        parts = ", ".join(f"{m} ×{n:,}" for m, n in self.methods.most_common())
        notes = ", ".join(f"{note} ×{n:,}" for note, n in self.notes.most_common(3))
        return f"{parts} ({notes})" if parts and notes else parts

    def saw_read_block(self, block: int | None) -> None:
        if block is not None:
            self.read_min = block if self.read_min is None else min(self.read_min, block)
            self.read_max = block if self.read_max is None else max(self.read_max, block)


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


def add_counts(con: duckdb.DuckDBPyConnection, run_id: int, network: str, ok: int, errors: int, methods: Counter[str], http: RequestTally | None = None) -> None:
    """Add one committed chunk's counts (and the requests sent so far); call inside the chunk's transaction."""
    sets = ["rows_ok = rows_ok + ?", "rows_error = rows_error + ?"]
    params: list[object] = [ok, errors]
    if http is not None:
        sets += ["requests = ?", "rate_limited = ?"]
        params += [http.requests, http.rate_limited]
    for method, n in methods.items():
        sets.append(f"{_METHOD_COLUMNS[method]} = {_METHOD_COLUMNS[method]} + ?")
        params.append(n)
    con.execute(f"update runs set {', '.join(sets)} where run_id = ? and network = ?", [*params, run_id, network])


def record_finish(con: duckdb.DuckDBPyConnection, run_id: int, run: NetworkRun, outcome: str) -> None:
    """Outcome, timings, blocks and the adapter's notes once the network is done (or interrupted)."""
    notes = ", ".join(f"{note} ×{n:,}" for note, n in run.notes.most_common(8)) or None
    con.execute(
        "update runs set outcome = ?, reason = ?, source = ?, blocks = ?, read_block_min = ?, read_block_max = ?, reads = ?,"
        " notes = ?, finished_at = ?, seconds = ?, requests = ?, rate_limited = ? where run_id = ? and network = ?",
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
            run.http.requests,
            run.http.rate_limited,
            run_id,
            run.network,
        ],
    )
