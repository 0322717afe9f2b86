"""``por ingest``: load one publication (a file, or every member of an archive) as one snapshot, all or nothing."""

from __future__ import annotations

import re
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from indexer.errors import PorError
from indexer.ingest.columnar import ColumnarReader
from indexer.ingest.content import MemberScan, cut_row, publication_digest, scan
from indexer.ingest.reader import ADDRESS_SCHEMA, FIRST_REASONS, EmptyPorFile, NotAPorFile, ParseStats, PorReader, open_text
from indexer.ingest.rejects import RejectLimit
from indexer.ingest.sources import DAMAGE, DamagedArchive, Member, damage_message, members
from indexer.ingest.spill import Spill
from indexer.ingest.summary import SummaryCheck, check_summary
from indexer.exchange_plugins import exchange_plugin, recognise, registry_of
from indexer.models import Registry
from indexer.plugins import RECOGNISE_RECORDS
from indexer.registry import registry
from indexer.store import append_arrow, registered, transaction

# A row's key inside its snapshot: member index × MEMBER_ROWS + its line in that member. The first
# (or only) member's row_no is its line number; ``line_no`` always is.
MEMBER_ROWS = 1_000_000_000

_CASTS = {
    "addresses": "* replace (cast(published_base_units as hugeint) as published_base_units)",
    "published_totals": "* replace (cast(base_units as hugeint) as base_units)",
}


class IngestError(PorError):
    """A file could not be ingested; the database is unchanged. One sentence for the user."""


class SummaryMismatch(IngestError):
    """The file's detail rows do not add up to its own summary totals (``IngestReport.summary`` says which)."""


class TooManyRejected(IngestError):
    """More refused rows than ``--max-rejected`` allows."""


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
    exchange: str = ""
    summary: SummaryCheck | None = None  # the summary totals against the detail rows; None: the file has no summary
    first_errors: list[tuple[str, int, str]] = field(default_factory=list)  # (member, line, reason) of the first refused rows


class _Enough(Exception):
    """Raised by the sniffing sink: the member has a row, which is all the sniff wanted to know."""


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    exchange: str = "auto",
    label: str | None = None,
    allow_mismatch: bool = False,
    max_rejected: RejectLimit | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_bytes: Callable[[int, int | None], None] | None = None,
) -> list[IngestReport]:
    """Ingest the publication in ``path`` as one snapshot in one transaction (a list of one report).

    ``exchange`` names the exchange plugin that reads it (``okx``, ``htx``, ``binance``, ...), or ``auto``:
    the plugin that recognises the members' headers (every member must agree); a file no installed plugin claims
    is refused, saying what it is.

    Every member of a zip is part of the same publication (OKX's main file and its ETH staking
    file), so they share one snapshot. Before anything is written or a snapshot id is taken, every
    member is read once whole (its content digest; a damaged archive or a text that ends in the
    middle of a row is refused here) and then up to its first row (a member that is not a PoR file or
    holds only a header refuses the whole file). A publication already loaded (same content, whatever
    its line ends or archive) is reported as a duplicate, not loaded twice.

    Refused whole, inside the transaction (so nothing stays): a member whose every row is refused; more
    refused rows than ``max_rejected`` allows; summary totals that the detail rows do not add up to
    (``SummaryMismatch``), unless ``allow_mismatch``, which loads it and leaves the mismatch to
    ``published_totals_check`` and ``por report``. ``on_progress(rows)`` gets each batch's row count;
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
        plugin = _exchange_of(found, exchange)
        report = IngestReport(source_file=path.name, members=[m.source_member for m in found])
        report.exchange = plugin.name if plugin is not None else ""
        scans: list[MemberScan] = []
        for member in found:
            current = member.inner
            with member.open() as binary:
                scans.append(scan(binary))
            cut = cut_row(scans[-1])
            if cut:
                raise IngestError(f"{_where(path, current)}: {cut}; nothing was loaded.")
        current = ""
        content = publication_digest([s.content_sha256 for s in scans])
        raw = publication_digest([s.file_sha256 for s in scans])
        dup = con.execute(
            "select min(snapshot_id) from snapshots where content_sha256 = ? or file_sha256 = ?", [content, raw]
        ).fetchall()[0][0]
        if dup is not None:
            report.duplicate_of = dup
            return [report]
        for member, found_scan in zip(found, scans):
            current = member.inner
            if _sniff(member, plugin) == "summary" and not found_scan.ends_with_line_end:
                # A summary-only text without a final line end may be cut inside its last amount, which no cell count shows.
                raise IngestError(
                    f"{_where(path, current)}: it holds only a summary section and its last line has no line end: "
                    "the file may end in the middle of a row; nothing was loaded."
                )
        current = ""
        with _memory_limit(con, INGEST_MEMORY_LIMIT), _unordered_inserts(con), transaction(con):
            _load(con, path, found, (raw, content), report, plugin=plugin, label=label, on_progress=on_progress, on_bytes=on_bytes)
            _judge(con, path, report, allow_mismatch=allow_mismatch or not getattr(plugin, "summary_must_add_up", True), max_rejected=max_rejected)
    except EmptyPorFile as exc:
        raise IngestError(f"{_where(path, current)} {exc}; nothing was loaded.") from None
    except NotAPorFile as exc:
        where = f"{path.name} (member {current})" if current else str(path)
        raise IngestError(f"{where} is not a Proof-of-Reserves file: {exc}.") from None
    except DamagedArchive as exc:
        raise IngestError(f"{exc}; nothing was loaded.") from None
    except DAMAGE as exc:  # a CRC or deflate error while reading an archive's member, a cut gzip
        raise IngestError(f"{damage_message(path, exc)}; nothing was loaded.") from None
    except OSError as exc:  # an unreadable file
        raise IngestError(f"{path} could not be read: {exc}.") from None
    return [report]


def _where(path: Path, member: str) -> str:
    return f"{path.name}: member {member}" if member else path.name


def _judge(con, path: Path, report: IngestReport, *, allow_mismatch: bool, max_rejected: RejectLimit | None) -> None:
    """The loaded (uncommitted) snapshot as a whole: raising here rolls it back."""
    if max_rejected is not None:
        read = report.rows + report.totals + report.errors
        if max_rejected.exceeded(report.errors, read):
            raise TooManyRejected(
                f"{path.name}: {report.errors:,} of its {read:,} rows were refused, more than --max-rejected {max_rejected.text} allows "
                f"({_reasons(report)}); nothing was loaded."
            )
    report.summary = check_summary(con, report.snapshot_id)
    if report.summary is not None and report.summary.mismatches and not allow_mismatch:
        refused = f" (the sums leave out its {report.errors:,} refused row{'s' if report.errors != 1 else ''}: {_reasons(report)})" if report.errors else ""
        raise SummaryMismatch(
            f"{path.name}: {report.summary.mismatch_text()}{refused}. The file is incomplete or altered; nothing was loaded "
            "(--allow-mismatch loads it anyway, and `por report` then shows the mismatch)."
        )


def _reasons(report: IngestReport) -> str:
    several = len(report.members) > 1
    shown = "; ".join(f"{f'{m} ' if several else ''}line {line:,}: {why}" for m, line, why in report.first_errors)
    more = report.errors - len(report.first_errors)
    return shown + (f"; {more:,} more" if more > 0 else "")


# DuckDB's buffer pool during an ingest. Its default (80% of RAM) lets a 10M-row load hold gigabytes
# of written blocks in memory; 1 GB keeps the whole process near 1.5 GB at 10M rows (bench_ingest.py --big).
INGEST_MEMORY_LIMIT = 1 << 30
_UNITS = {"bytes": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}


@contextmanager
def _memory_limit(con: duckdb.DuckDBPyConnection, limit: int) -> Iterator[None]:
    """Lower DuckDB's memory limit to ``limit`` bytes for the block (never raise it), then restore it."""
    before = con.execute("select value from duckdb_settings() where name = 'memory_limit'").fetchall()[0][0]
    found = re.fullmatch(r"([\d.]+)\s*([A-Za-z]+)", before.strip())
    current = float(found.group(1)) * _UNITS.get(found.group(2).lower(), 0) if found else 0
    if not current or current <= limit:
        yield
        return
    # DuckDB shows the limit rounded ("3.7 GiB"): setting that text back would move it, so the default is reset instead.
    default = duckdb.connect().execute("select current_setting('memory_limit')").fetchall()[0][0]
    con.execute(f"set memory_limit = '{limit}b'")
    try:
        yield
    finally:
        con.execute("reset memory_limit" if before == default else f"set memory_limit = '{before}'")


@contextmanager
def _unordered_inserts(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB write the streamed rows in any physical order for the block, then restore the setting.

    Why: every row carries its key (snapshot_id, row_no), and every reader orders by it, so the order
    rows sit in the file means nothing. Preserving it makes DuckDB keep a transaction's rows apart and
    rewrite them, compressed, at the checkpoint (about 1 s and a file twice the size for 700k OKX rows,
    bench/bench_ingest.py); without it the rows are compressed once as they are written.
    """
    before = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if before else 'false'}")


def _first_records(member: Member, limit: int) -> list[list[str]]:
    """The member's first records as csv.reader splits them (for recognising its exchange)."""
    import csv
    import itertools

    records: list[list[str]] = []
    with member.open() as binary:
        try:
            for cells in itertools.islice(csv.reader(open_text(binary)), limit):
                records.append(cells)
        except (NotAPorFile, UnicodeDecodeError, csv.Error):
            pass  # what came before the damage still says whose file it is; the reader refuses the rest in its words
    return records


def _exchange_of(found: list[Member], exchange: str):
    """The exchange plugin that reads this publication: the one named, or the one its headers say (``auto``)."""
    try:
        if exchange and exchange.lower() != "auto":
            return exchange_plugin(exchange)
        plugins = {}
        for member in found:
            plugin = recognise(_first_records(member, RECOGNISE_RECORDS))
            if plugin is not None:  # a member no plugin claims is read by the one that claims the others
                plugins.setdefault(plugin.name, (plugin, member.source_member))
    except ValueError as exc:
        raise IngestError(f"{exc}; nothing was loaded.") from None
    if not plugins:
        # No installed plugin claims any member: read with none, so the refusal says what the file is (empty, not
        # text, a header no installed exchange writes) in the reader's words.
        return None
    if len(plugins) > 1:
        named = ", ".join(f"{m} looks like {n}" for n, (_, m) in sorted(plugins.items()))
        raise IngestError(f"its members come from different exchanges ({named}), which cannot be one publication; nothing was loaded.")
    return next(iter(plugins.values()))[0]


def _sniff(member: Member, plugin=None) -> str:
    """Read a member up to its first row: raises NotAPorFile/EmptyPorFile, writes nothing; returns its layout."""

    def sink(table: str, batch: pa.RecordBatch) -> None:
        raise _Enough

    reader = PorReader(registry_of(plugin), batch_rows=1, exchange=plugin)
    with member.open() as binary:
        try:
            reader.run(open_text(binary), sink)
        except _Enough:
            pass
    return reader.stats.layout


def _load(con, path: Path, found: list[Member], digests: tuple[str, str], report: IngestReport, *, plugin, label, on_progress, on_bytes=None) -> None:
    # max + 1 inside the file's transaction, not the sequence: DuckDB sequences are not rolled back,
    # so a refused file would otherwise burn an id (one writer at a time, so max + 1 cannot collide).
    snapshot_id = con.execute("select coalesce(max(snapshot_id), 0) + 1 from snapshots").fetchall()[0][0]
    layouts: list[str] = []
    heights: set[int] = set()
    for index, member in enumerate(found):
        stats = _load_member(con, member, snapshot_id, index * MEMBER_ROWS, on_progress, plugin, on_bytes)
        if stats.layout not in layouts:
            layouts.append(stats.layout)
        heights |= stats.heights
        report.rows += stats.rows
        report.errors += stats.errors
        report.totals += stats.totals
        room = FIRST_REASONS - len(report.first_errors)
        report.first_errors += [(member.source_member, line, why) for line, why in stats.first_errors[:room]]
    if "audit" in layouts and len(layouts) > 1:
        raise NotAPorFile("it mixes the audit layout (no amounts) with wallet files, which cannot be one publication")
    freeze_asset_scales(con, snapshot_id, registry_of(plugin))
    # what the file's name says (date, version, label) is the exchange's naming; a plugin without it: nothing
    publication = plugin.publication(path.name, [m.inner for m in found]) if plugin.publication is not None else None
    report.snapshot_id = snapshot_id
    report.layout = ",".join(layouts)
    report.heights = sorted(heights)
    report.published_at = publication.published_at if publication else None
    report.version = publication.version if publication else None
    report.label = label if label is not None else (publication.label if publication else None)
    exchange = plugin.name
    raw, content = digests
    con.execute(
        """insert into snapshots (snapshot_id, exchange, label, source_file, file_sha256, content_sha256, layout, snapshot_heights,
                                  row_count, error_count, published_at, version, members, amounts_rounded)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [snapshot_id, exchange, report.label, path.name, raw, content, report.layout, report.heights, report.rows, report.errors,
         report.published_at, report.version, report.members, plugin.rounded_amounts],
    )  # fmt: skip


def freeze_asset_scales(con, snapshot_id: int, reg: Registry | None = None) -> None:
    """Store each asset's scale (finest decimals among its coin keys) as the registry says now, at ingest."""
    scales: dict[str, int] = {}
    for coin in (reg or registry()).coins.values():
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


def _load_member(con, member: Member, snapshot_id: int, offset: int, on_progress, plugin=None, on_bytes=None) -> ParseStats:
    """One member into the open transaction: its address rows as ONE streamed ``INSERT`` (DuckDB writes
    row groups to the file as they arrive, so memory does not grow with the file, which it does over
    many separate appends in one transaction), then its rejections (spilled to a temporary file meanwhile,
    and streamed in the same way: ``Spill``) and its summary totals (a few hundred rows, kept in memory)."""
    name = member.source_member

    def complete(batch: pa.RecordBatch) -> pa.Table:
        data = pa.Table.from_batches([batch])
        lines = data.column("row_no")
        if offset:
            data = data.set_column(data.schema.get_field_index("row_no"), "row_no", pc.add(lines, pa.scalar(offset, pa.int64())))
        n = data.num_rows
        data = data.append_column("line_no", lines)
        data = data.append_column("source_member", pa.repeat(pa.scalar(name, pa.dictionary(pa.int32(), pa.string())), n))
        return data.append_column("snapshot_id", pa.repeat(pa.scalar(snapshot_id, pa.int32()), n))

    progress = None
    if on_bytes:

        def progress(rows: int, read: int) -> None:
            on_bytes(read, member.size)

    # Every exchange's layout is data the columnar engine reads (HTX's "-", Binance's custodian and coin pairs).
    reader = ColumnarReader(registry_of(plugin), on_progress=progress, exchange=plugin)
    with Spill() as rejected:
        totals: list[pa.Table] = []  # appended after the stream

        def produce(put: Callable[[pa.RecordBatch], None]) -> ParseStats:
            def sink(table: str, batch: pa.RecordBatch) -> None:
                if table == "addresses":
                    put(batch)
                elif table == "ingest_errors":
                    rejected.write(complete(batch))
                else:
                    totals.append(complete(batch))

            return reader.run_binary(member.open, sink)

        stats = _stream_addresses(con, produce, complete, on_progress)
        errors = rejected.reader()
        if errors is not None:
            with registered(con, "_ingest_errors_stream", errors) as view:
                con.execute(f"insert into ingest_errors ({', '.join(errors.schema.names)}) select * from {view}")
    for data in totals:
        append_arrow(con, "published_totals", data, select=_CASTS["published_totals"])
    return stats


def _stream_addresses(con, produce: Callable, complete: Callable[[pa.RecordBatch], pa.Table], on_progress) -> ParseStats:
    """The parser's address batches into ``addresses`` as one streamed INSERT; the parser's stats (or its error)."""
    interrupted: list[KeyboardInterrupt] = []

    def stream(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        try:
            for batch in batches:
                yield from complete(batch).cast(STREAM_SCHEMA).to_batches()
                if on_progress:
                    on_progress(batch.num_rows)
        except KeyboardInterrupt as exc:  # Ctrl-C while DuckDB pulls a batch: DuckDB reports it as a failed stream
            interrupted.append(exc)
            raise

    with Produced(produce) as batches:
        source = pa.RecordBatchReader.from_batches(STREAM_SCHEMA, stream(iter(batches)))
        try:
            with registered(con, "_ingest_stream", source) as view:
                con.execute(f"insert into addresses ({', '.join(STREAM_SCHEMA.names)}) select {_CASTS['addresses']} from {view}")
        except duckdb.Error:
            if interrupted:
                raise interrupted[0] from None  # the user's Ctrl-C, not a database failure
            raise
    return batches.result()  # raises what the parser raised (the transaction then rolls back)


# The streamed addresses batches: one fixed schema (the columnar engine's types; row-path batches are cast to it).
_DICT = pa.dictionary(pa.int32(), pa.string())
_DICTIONARY_COLUMNS = {"coin", "asset", "network", "row_type", "message", "network_published", "family", "contract"}
STREAM_SCHEMA = pa.schema(
    [pa.field(f.name, _DICT if f.name in _DICTIONARY_COLUMNS else f.type) for f in ADDRESS_SCHEMA]
    + [pa.field("line_no", pa.int64()), pa.field("source_member", _DICT), pa.field("snapshot_id", pa.int32())]
)

_DONE = object()


class _Stopped(Exception):
    """The consumer is gone; the producer thread stops at its next batch."""


class Produced:
    """Runs ``produce(put)`` in a worker thread and yields what it puts, at most two batches ahead.

    Why: pyarrow and DuckDB both release the GIL, so block n+1 is parsed while block n is written;
    the queue bound keeps memory flat. The iteration ends early (without raising into DuckDB's
    scan) when the producer fails; ``result()`` then raises that failure. Leaving the ``with``
    stops the producer, whatever happened.
    """

    def __init__(self, produce: Callable[[Callable[[pa.RecordBatch], None]], ParseStats]) -> None:
        self._produce = produce
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._outcome: dict[str, object] = {}
        self._thread = threading.Thread(target=self._work, name="ingest-parse", daemon=True)

    def __enter__(self) -> Produced:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        while (item := self._queue.get()) is not _DONE:
            yield item

    def result(self) -> ParseStats:
        if "error" in self._outcome:
            raise self._outcome["error"]  # type: ignore[misc]
        if "stats" not in self._outcome:
            raise RuntimeError("the parse did not finish")
        return self._outcome["stats"]  # type: ignore[return-value]

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def _work(self) -> None:
        try:
            self._outcome["stats"] = self._produce(self._put)
        except _Stopped:
            return
        except BaseException as exc:  # handed to the consuming thread by result()
            self._outcome["error"] = exc
        try:
            self._put(_DONE)
        except _Stopped:
            pass
