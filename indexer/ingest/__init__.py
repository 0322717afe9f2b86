"""``por ingest``: load PoR files into the store, one all-or-nothing transaction per file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from indexer.ingest.reader import NotAPorFile, PorReader, open_text
from indexer.ingest.sources import members
from indexer.registry import registry
from indexer.store import append_arrow, transaction

_CASTS = {
    "addresses": "* replace (cast(published_base_units as hugeint) as published_base_units)",
    "published_totals": "* replace (cast(base_units as hugeint) as base_units)",
    "ingest_errors": "*",
}


class IngestError(Exception):
    """A file could not be ingested; the database is unchanged. One sentence for the user."""


@dataclass
class IngestReport:
    source_file: str
    snapshot_id: int | None = None
    layout: str = ""
    rows: int = 0
    errors: int = 0
    totals: int = 0
    heights: list[int] = field(default_factory=list)
    duplicate_of: int | None = None


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    exchange: str = "okx",
    label: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[IngestReport]:
    """Ingest every PoR text in ``path`` (a zip may hold several) in one transaction.

    A member already loaded (same SHA-256) is reported as a duplicate, not loaded twice.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path} does not exist or is not a file.")
    reports: list[IngestReport] = []
    try:
        with transaction(con):
            for member in members(path):
                reports.append(_ingest_member(con, member, exchange=exchange, label=label, on_progress=on_progress))
    except NotAPorFile as exc:
        raise IngestError(f"{path} is not a Proof-of-Reserves file: {exc}.") from None
    except (OSError, EOFError) as exc:  # truncated gzip/zip, unreadable file
        raise IngestError(f"{path} could not be read: {exc}.") from None
    return reports


def _ingest_member(con, member, *, exchange: str, label: str | None, on_progress) -> IngestReport:
    report = IngestReport(source_file=member.name)
    sha = member.sha256()
    dup = con.execute("select snapshot_id from snapshots where file_sha256 = ?", [sha]).fetchall()
    if dup:
        report.duplicate_of = dup[0][0]
        return report
    # max + 1 inside the file's transaction, not the sequence: DuckDB sequences are not rolled back,
    # so a refused file would otherwise burn an id (one writer at a time, so max + 1 cannot collide).
    snapshot_id = con.execute("select coalesce(max(snapshot_id), 0) + 1 from snapshots").fetchall()[0][0]

    def sink(table: str, batch: pa.RecordBatch) -> None:
        data = pa.Table.from_batches([batch])
        data = data.append_column("snapshot_id", pa.repeat(pa.scalar(snapshot_id, pa.int32()), data.num_rows))
        append_arrow(con, table, data, select=_CASTS[table])
        if on_progress and table == "addresses":
            on_progress(batch.num_rows)

    reader = PorReader(registry())
    with member.open() as binary:
        stats = reader.run(open_text(binary), sink)
    heights = sorted(stats.heights)
    con.execute(
        """insert into snapshots (snapshot_id, exchange, label, source_file, file_sha256, layout,
                                  snapshot_heights, row_count, error_count)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [snapshot_id, exchange, label, member.name, sha, stats.layout, heights, stats.rows, stats.errors],
    )
    report.snapshot_id = snapshot_id
    report.layout = stats.layout
    report.rows = stats.rows
    report.errors = stats.errors
    report.totals = stats.totals
    report.heights = heights
    return report
