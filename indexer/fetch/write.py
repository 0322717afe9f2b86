"""Results into ``balances`` and the run's counts into ``runs``: one transaction per chunk.

Why one transaction holds both: after a crash or SIGKILL the ``runs`` row says exactly how many
``balances`` rows the run committed, and a chunk is either all in or all retried. Rows go in as
one Arrow table through ``upsert_arrow`` (``balances`` has a primary key: no row is written twice).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from indexer import runs as run_table
from indexer.fetch.judge import judge
from indexer.fetch.plan import ReadKey
from indexer.ingest.amounts import from_base_units
from indexer.models import BalanceResult
from indexer.plugins import BlockReference
from indexer.runs import NetworkRun
from indexer.store import transaction, upsert_arrow

HUGEINT_MAX = 2**127 - 1

_BALANCE_SCHEMA = pa.schema(
    [
        ("snapshot_id", pa.int32()),
        ("row_no", pa.int64()),
        ("as_of", pa.string()),
        ("block_height", pa.int64()),
        ("amount", pa.string()),
        ("base_units", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("source", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("method", pa.string()),
        ("read_block", pa.int64()),
        ("run_id", pa.int64()),
        ("note", pa.string()),
    ]
)
_CAST = "* replace (cast(base_units as hugeint) as base_units)"

# one balances row before it becomes Arrow:
# (row_no, block asked, read_block, amount, base_units, status, error, source, method, note)
Row = tuple[int, int | None, int | None, str | None, str | None, str, str | None, str, str | None, str | None]
Advance = Callable[[int, int], None]  # (ok rows, error rows) just committed


class BalanceWriter:
    """Writes one run's rows of one snapshot and ``as_of``; the database file is taken per chunk."""

    def __init__(self, db: Any, snapshot_id: int, at: str, run_id: int, commit_chunk: int) -> None:
        self.db = db  # store.Reopening or a held connection
        self.snapshot_id = snapshot_id
        self.at = at
        self.run_id = run_id
        self.commit_chunk = max(1, commit_chunk)

    def commit(
        self,
        run: NetworkRun,
        reference: BlockReference,
        chunk: list[ReadKey],
        results: list[BalanceResult],
        reads: dict[ReadKey, list[tuple[int, int | None]]],
        advance: Advance,
    ) -> None:
        """One chunk of results, judged (``judge``) and fanned out to every row that shares each read."""
        out: list[Row] = []
        methods: Counter[str] = Counter()
        n_ok = n_err = 0
        for key, res in zip(chunk, results):
            method, error, note = judge(self.at, reference, key[2], res, run.adapter)
            asked = key[2]
            for row_no, decimals in reads[key]:
                if error is None:
                    units = int(res.base_units)  # type: ignore[arg-type]
                    amount = from_base_units(units, decimals) if decimals is not None else None
                    if units > HUGEINT_MAX:
                        out.append((row_no, asked, res.block_height, amount, None, "error", f"balance {units} base units exceeds the HUGEINT range; exact value kept in amount", res.source, method, note))
                        n_err += 1
                        continue
                    out.append((row_no, asked, res.block_height, amount, str(units), "ok", None, res.source, method, note))
                    methods[method] += 1  # type: ignore[index]
                    if note:
                        run.notes[note] += 1
                    run.saw_read_block(res.block_height)
                    n_ok += 1
                else:
                    out.append((row_no, asked, res.block_height, None, None, "error", error, res.source, method, note))
                    n_err += 1
        self.write(run, out, methods)
        run.methods.update(methods)
        advance(n_ok, n_err)

    def write_errors(self, run: NetworkRun, rows: list[tuple[int, int | None]], reason: str, source: str, advance: Advance) -> None:
        """(row_no, block) pairs that share one reason (a blocked network): written in commit-sized chunks."""
        for start in range(0, len(rows), self.commit_chunk * 4):
            part = rows[start : start + self.commit_chunk * 4]
            self.write(run, [(r, b, None, None, None, "error", reason, source, None, None) for r, b in part], Counter())
            advance(0, len(part))

    def write_failed(self, run: NetworkRun, failed: list[tuple[int, str, int | None]], advance: Advance) -> None:
        """Rows the plan found unreadable, (row_no, reason, block): error rows, each with its own reason."""
        if failed:
            self.write(run, [(r, b, None, None, None, "error", e, run.source, None, None) for r, e, b in failed], Counter())
            advance(0, len(failed))

    def write(self, run: NetworkRun, rows: list[Row], methods: Counter[str]) -> None:
        """One chunk, one transaction: all of its rows and the run's counts land, or none do."""
        if not rows:
            return
        now = datetime.now(timezone.utc)
        n = len(rows)
        table = pa.Table.from_arrays(
            [
                pa.array([self.snapshot_id] * n, pa.int32()),
                pa.array([r[0] for r in rows], pa.int64()),
                pa.array([self.at] * n, pa.string()),
                pa.array([r[1] for r in rows], pa.int64()),
                pa.array([r[3] for r in rows], pa.string()),
                pa.array([r[4] for r in rows], pa.string()),
                pa.array([r[5] for r in rows], pa.string()),
                pa.array([r[6] for r in rows], pa.string()),
                pa.array([r[7] or None for r in rows], pa.string()),
                pa.array([now] * n, pa.timestamp("us", tz="UTC")),
                pa.array([r[8] for r in rows], pa.string()),
                pa.array([r[2] for r in rows], pa.int64()),
                pa.array([self.run_id] * n, pa.int64()),
                pa.array([r[9] for r in rows], pa.string()),
            ],
            schema=_BALANCE_SCHEMA,
        )
        n_ok = sum(1 for r in rows if r[5] == "ok")
        with self.db.connection() as con, transaction(con):
            upsert_arrow(con, "balances", table, select=_CAST)
            run_table.add_counts(con, self.run_id, run.network, n_ok, n - n_ok, methods, run.http)
