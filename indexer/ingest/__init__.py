"""``por ingest``: load one publication (a file, or every member of an archive) as one snapshot, all or nothing."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from indexer.ingest.columnar import ColumnarReader
from indexer.ingest.reader import EmptyPorFile, NotAPorFile, ParseStats, PorReader, open_text
from indexer.ingest.sources import Member, members, publication_of
from indexer.registry import registry
from indexer.store import append_arrow, transaction

# A row's key inside its snapshot: member index × MEMBER_ROWS + its line in that member. The first
# (or only) member's row_no is its line number; ``line_no`` always is.
MEMBER_ROWS = 1_000_000_000

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
    members: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    version: int | None = None
    label: str | None = None


class _Enough(Exception):
    """Raised by the sniffing sink: the member has a row, which is all the sniff wanted to know."""


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    exchange: str = "okx",
    label: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_bytes: Callable[[int, int | None], None] | None = None,
) -> list[IngestReport]:
    """Ingest the publication in ``path`` as one snapshot in one transaction (a list of one report).

    Every member of a zip is part of the same publication (OKX's main file and its ETH staking
    file), so they share one snapshot. Each member is first read up to its first row: a member
    that is not a PoR file or holds only a header refuses the whole file before anything is
    written or a snapshot id is taken. A publication already loaded (same content) is reported as
    a duplicate, not loaded twice. ``on_progress(rows)`` gets each batch's row count;
    ``on_bytes(read, size)`` the bytes of the current member read so far and its size (None when unknown).
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path} does not exist or is not a file.")
    current = ""
    try:
        found = list(members(path))
        if not found:
            raise IngestError(f"{path.name} holds no Proof-of-Reserves file (the archive has no member); nothing was loaded.")
        sha = _publication_sha256(found)
        report = IngestReport(source_file=path.name, members=[m.source_member for m in found])
        dup = con.execute("select snapshot_id from snapshots where file_sha256 = ?", [sha]).fetchall()
        if dup:
            report.duplicate_of = dup[0][0]
            return [report]
        for member in found:
            current = member.inner
            _sniff(member)
        current = ""
        with transaction(con):
            _load(con, path, found, sha, report, exchange=exchange, label=label, on_progress=on_progress, on_bytes=on_bytes)
    except EmptyPorFile as exc:
        where = f"{path.name}: member {current}" if current else path.name
        raise IngestError(f"{where} {exc}; nothing was loaded.") from None
    except NotAPorFile as exc:
        where = f"{path.name} (member {current})" if current else str(path)
        raise IngestError(f"{where} is not a Proof-of-Reserves file: {exc}.") from None
    except (OSError, EOFError) as exc:  # truncated gzip/zip, unreadable file
        raise IngestError(f"{path} could not be read: {exc}.") from None
    return [report]


def _publication_sha256(found: list[Member]) -> str:
    """One member: its own SHA-256 (so a bare file and the same file zipped are one publication).
    Several: the SHA-256 of their sorted digests, independent of member names and order."""
    digests = [m.sha256() for m in found]
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()


def _sniff(member: Member) -> None:
    """Read a member up to its first row: raises NotAPorFile/EmptyPorFile, writes nothing."""

    def sink(table: str, batch: pa.RecordBatch) -> None:
        raise _Enough

    with member.open() as binary:
        try:
            PorReader(registry(), batch_rows=1).run(open_text(binary), sink)
        except _Enough:
            pass


def _load(con, path: Path, found: list[Member], sha: str, report: IngestReport, *, exchange, label, on_progress, on_bytes=None) -> None:
    snapshot_id = con.execute("select nextval('snapshot_ids')").fetchall()[0][0]
    layouts: list[str] = []
    heights: set[int] = set()
    for index, member in enumerate(found):
        stats = _load_member(con, member, snapshot_id, index * MEMBER_ROWS, on_progress, on_bytes)
        if stats.layout not in layouts:
            layouts.append(stats.layout)
        heights |= stats.heights
        report.rows += stats.rows
        report.errors += stats.errors
        report.totals += stats.totals
    if "audit" in layouts and len(layouts) > 1:
        raise NotAPorFile("it mixes the audit layout (no amounts) with wallet files, which cannot be one publication")
    freeze_asset_scales(con, snapshot_id)
    publication = publication_of(path, [m.inner for m in found])
    report.snapshot_id = snapshot_id
    report.layout = ",".join(layouts)
    report.heights = sorted(heights)
    report.published_at = publication.published_at if publication else None
    report.version = publication.version if publication else None
    report.label = label if label is not None else (publication.label if publication else None)
    con.execute(
        """insert into snapshots (snapshot_id, exchange, label, source_file, file_sha256, layout, snapshot_heights,
                                  row_count, error_count, published_at, version, members)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [snapshot_id, exchange, report.label, path.name, sha, report.layout, report.heights, report.rows, report.errors,
         report.published_at, report.version, report.members],
    )  # fmt: skip


def freeze_asset_scales(con, snapshot_id: int) -> None:
    """Store each asset's scale (finest decimals among its coin keys) as the registry says now, at ingest."""
    scales: dict[str, int] = {}
    for coin in registry().coins.values():
        if coin.asset and coin.decimals is not None:
            scales[coin.asset] = max(scales.get(coin.asset, 0), coin.decimals)
    data = pa.table(
        {
            "snapshot_id": pa.array([snapshot_id] * len(scales), pa.int32()),
            "asset": pa.array(list(scales), pa.string()),
            "scale": pa.array(list(scales.values()), pa.int32()),
        }
    )
    append_arrow(con, "snapshot_asset_scales", data)


def _load_member(con, member: Member, snapshot_id: int, offset: int, on_progress, on_bytes=None) -> ParseStats:
    name = member.source_member

    def sink(table: str, batch: pa.RecordBatch) -> None:
        data = pa.Table.from_batches([batch])
        lines = data.column("row_no")
        if offset:
            data = data.set_column(data.schema.get_field_index("row_no"), "row_no", pc.add(lines, pa.scalar(offset, pa.int64())))
        n = data.num_rows
        data = data.append_column("line_no", lines)
        data = data.append_column("source_member", pa.repeat(pa.scalar(name, pa.dictionary(pa.int32(), pa.string())), n))
        data = data.append_column("snapshot_id", pa.repeat(pa.scalar(snapshot_id, pa.int32()), n))
        append_arrow(con, table, data, select=_CASTS[table])
        if on_progress and table == "addresses":
            on_progress(batch.num_rows)

    progress = None
    if on_bytes:
        def progress(rows: int, read: int) -> None:
            on_bytes(read, member.size)
    reader = ColumnarReader(registry(), on_progress=progress)
    return pipelined(lambda put: reader.run_binary(member.open, put), sink)


_DONE = object()


class _Stopped(Exception):
    """The consumer failed or was interrupted; the producer thread stops at its next batch."""


def pipelined(produce: Callable[[Callable[[str, pa.RecordBatch], None]], ParseStats], consume: Callable[[str, pa.RecordBatch], None]) -> ParseStats:
    """Parse in a worker thread while this thread appends to DuckDB: pyarrow and DuckDB both release
    the GIL, so block n+1 is parsed while block n is inserted. At most two batches wait in between,
    so memory stays bounded; the connection is only ever used from this thread. A failure on either
    side stops both and is raised here.
    """
    waiting: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    outcome: dict[str, object] = {}

    def put(item: object) -> None:
        while True:
            if stop.is_set():
                raise _Stopped
            try:
                waiting.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def work() -> None:
        try:
            outcome["stats"] = produce(lambda table, batch: put((table, batch)))
        except _Stopped:
            return
        except BaseException as exc:  # handed to the consuming thread
            outcome["error"] = exc
        try:
            put(_DONE)
        except _Stopped:
            pass

    worker = threading.Thread(target=work, name="ingest-parse", daemon=True)
    worker.start()
    try:
        while (item := waiting.get()) is not _DONE:
            consume(*item)
    finally:
        stop.set()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["stats"]  # type: ignore[return-value]
