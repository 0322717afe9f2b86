"""``por verify``: every row's ownership signature, checked in parallel and stored resumably.

The database is the work queue: a row without a ``signatures`` row (or, with
``--okx-compat``, without ``okx_status``) is still to do. Rows stream out of DuckDB
as Arrow batches, worker processes (which never open the database) turn each batch
into a batch of verdicts, and the main process upserts them in committed chunks, so
an interrupted run loses at most the chunk in flight and a re-run never duplicates.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import types
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from multiprocessing import context as mp_context

import duckdb
import pyarrow as pa

from indexer.exchange_plugins import constant_verdicts, exchange_plugins, registry_of, scheme_for
from indexer.models import Coin, SignedRow, Verdict
from indexer.plugins import ExchangePlugin, NetworkScheme, VerifyFn, plugin_errors, verifier_for
from indexer.progress import NO_PROGRESS, Progress
from indexer.store import Reopening, as_handle, transaction, upsert_arrow

BATCH_ROWS = 2_000  # rows per worker task: ~0.1 s of curve math, small enough to keep both cores busy to the end
COMMIT_ROWS = 50_000  # results per committed chunk
COMMIT_SECONDS = float(os.environ.get("POR_COMMIT_SECONDS") or 5.0)  # ... or at least this often, so an interrupt loses little

RESULT_SCHEMA = pa.schema(
    [
        ("snapshot_id", pa.int32()),
        ("row_no", pa.int64()),
        ("family", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("okx_status", pa.string()),
        ("okx_reason", pa.string()),
        ("extra_signature", pa.string()),  # Verdict.extra: a signature beyond what the address needs (NULL: none)
    ]
)
_ROW_COLUMNS = (
    "row_no", "coin", "address", "message", "signature1", "signature2", "script_or_pubkey", "eoa1", "eoa2", "row_type", "null_cells",
    "family", "network_published",
)  # fmt: skip


# --- one row ------------------------------------------------------------------------------
Dispatch = tuple[str, Coin | None, VerifyFn | None, VerifyFn | None, str]  # family, coin, strict, tool's verdict, why-not
_DISPATCH: dict[tuple[str, bool, str, str, str], Dispatch] = {}


def _dispatch(key: str, audit: bool, family: str = "", network: str = "", exchange: str = "") -> Dispatch:
    """(family, coin, strict verifier, the exchange tool's verifier, why-not) for a coin key, memoised: the hot
    loop does one dict lookup.

    ``family`` is the signature family stored with the row at ingest; it wins over today's registry,
    so a later change to ``data/coins.csv`` does not re-judge an old snapshot under another scheme.
    Where the snapshot's exchange plugin reads a scheme from the Network cell (``network_scheme``: OKX's
    network table), a cell that names one of its networks chooses the scheme first; the coin key decides
    only when it does not.
    """
    memo = (key, audit, family, network, exchange)
    found = _DISPATCH.get(memo)
    if found is not None:
        return found
    plugin = exchange_plugins().get(exchange) if exchange else None
    found = _network_dispatch(plugin, key, family, network) if network and plugin is not None else None
    if found is None:
        found = _key_dispatch(plugin, key, audit, family)
    _DISPATCH[memo] = found
    return found


def _key_dispatch(plugin: ExchangePlugin | None, key: str, audit: bool, family: str) -> Dispatch:
    reg = registry_of(plugin)
    scheme = scheme_for(family)
    if scheme is not None:  # an exchange plugin's own convention (HTX-EVM, ...): its coin map's coin, or none
        coin = reg.coin(key) if key else None
        if coin is None or coin.family != family:
            coin = Coin(key=key, asset="", network="", family=family, address_type="", header="", decimals=None)
        return (family, coin, scheme, scheme, "")
    coin = reg.coin(key) if key else None
    if coin is not None and family and coin.family != family:
        coin = replace(coin, family=family)
    if coin is None and audit and plugin is not None and plugin.audit_unknown_coin is not None:
        coin = replace(plugin.audit_unknown_coin, key=key)  # how the exchange's own tool checks an unknown key's audit row
    if coin is None:
        return ("", None, None, None, f"coin key {key!r} is not in the registry (data/coins.csv)")
    return (coin.family, coin, verifier_for(coin.family), verifier_for(coin.family, _tool(plugin)), _why_none(plugin, coin.family))


def _tool(plugin: ExchangePlugin | None) -> str:
    return plugin.tool_variant if plugin is not None else ""


def _why_none(plugin: ExchangePlugin | None, family: str) -> str:
    """Why no verifier exists for ``family`` ("" when one does)."""
    if verifier_for(family) is not None:
        return ""
    unverifiable = plugin.unverifiable if plugin is not None else {}
    why = unverifiable.get(family) or f"no installed plugin verifies the {family} family"
    broken = plugin_errors()
    if family not in unverifiable and broken:
        why += " (plugins that failed to load: " + ", ".join(sorted(broken)) + ")"
    return why


def _network_dispatch(plugin: ExchangePlugin, key: str, family: str, network: str) -> Dispatch | None:
    """Dispatch by the row's Network cell, as OKX's current tool does (SPEC §2.0); None = the coin key decides.

    The network is not used when the cell names no network of the plugin's table, or when the family stored
    at ingest is another one: a snapshot ingested before network-keyed dispatch keeps the scheme it
    was read with.
    """
    scheme = plugin.network_scheme(network) if plugin.network_scheme is not None else None
    if scheme is None or family not in ("", scheme.family):
        return None
    reg = registry_of(plugin)
    base = reg.coin(key) if key else None
    known = reg.network(network) or reg.network(scheme.network)
    coin = coin_for_network(scheme, key, base, known.name if known else "")
    fn = verifier_for(scheme.family)
    if fn is not None and base is not None and base.family != scheme.family:
        fn = _noting(fn, f"scheme chosen by the Network cell ({network} -> {scheme.family}); the coin key {key} alone selects {base.family}")
    return (scheme.family, coin, fn, verifier_for(scheme.family, _tool(plugin)), _why_none(plugin, scheme.family))


def coin_for_network(scheme: NetworkScheme, key: str, base: Coin | None, registry_network: str = "") -> Coin:
    """The registry-shaped Coin a verifier receives for a network-keyed row.

    Scheme, address type and header come from the network; what the coin key knows
    (asset, decimals, contract) is kept. ``registry_network`` is the registry's name for
    the row's chain (the UTXO verifier picks its address parameters by it); when the
    registry has no such network the coin's own is kept only if it is of the same family.
    """
    if base is None:
        base = Coin(key=key, asset="", network="", family=scheme.family, address_type="", header="", decimals=None)
    network = registry_network or (base.network if base.family == scheme.family else "")
    return replace(base, network=network, family=scheme.family, address_type=scheme.address_type, header=scheme.header)


def _noting(fn: VerifyFn, note: str) -> VerifyFn:
    """``fn`` whose strict verdicts say why the scheme is not the coin key's (the two disagree on this row)."""

    def run(row: SignedRow, coin: Coin) -> Verdict:
        verdict = fn(row, coin)
        if not isinstance(verdict, Verdict):
            return verdict
        return replace(verdict, reason=f"{verdict.reason}; {note}" if verdict.reason else note)  # the extra signature kept

    return run


def _run(fn: VerifyFn, row: SignedRow, coin: Coin) -> Verdict:
    try:
        verdict = fn(row, coin)
    except Exception as exc:  # a malformed row must never stop a run: it fails, with the error as reason
        return Verdict("failed", f"verifier error: {type(exc).__name__}: {exc}")
    if not isinstance(verdict, Verdict):
        return Verdict("failed", f"verifier returned {type(verdict).__name__}, not a Verdict")
    return verdict


def verify_row(row: SignedRow, exchange: str = "") -> tuple[str, Verdict]:
    """(family, strict verdict) of one row of ``exchange``'s publication, through the scheme its family names."""
    family, coin, fn, _, why = _dispatch(row.coin, row.audit, row.family, row.network, exchange)
    if fn is None or coin is None:
        return family, Verdict("unsupported", why)
    return family, _run(fn, row, coin)


def verify_row_compat(row: SignedRow, exchange: str = "") -> tuple[str, Verdict]:
    """(family, the verdict ``exchange``'s own tool would give) of one row: its plugin's ``tool_variant`` of the
    scheme, its tool's skipped keys and unverifiable families; the strict verdict where it names no tool."""
    plugin = exchange_plugins().get(exchange) if exchange else None
    if plugin is None or not plugin.tool_variant or scheme_for(row.family) is not None:
        return verify_row(row, exchange)  # no tool of its own (or not its tool's row): the strict verdict stands
    family, coin, _, fn, why = _dispatch(row.coin, row.audit, row.family, row.network, exchange)
    if not row.audit and row.coin.upper() in plugin.tool_skips:
        return family, Verdict("unsupported", f"{plugin.name.upper()}'s own tool skips {row.coin.upper()} rows (blacklist)")
    if coin is None:
        return family, Verdict("failed", "invalid coin name")
    if fn is None:
        return family, Verdict("failed" if family not in plugin.unverifiable else "unsupported", why)
    return family, _run(fn, row, coin)


# --- one batch (runs in a worker process) -----------------------------------------------------
def verify_batch(batch: pa.RecordBatch, snapshot_id: int, audit: bool, okx_compat: bool, exchange: str = "") -> pa.RecordBatch:
    """Arrow rows in, Arrow verdicts out (RESULT_SCHEMA); pure, so it runs anywhere."""
    cols = [batch.column(name).to_pylist() for name in _ROW_COLUMNS]
    families: list[str] = []
    statuses: list[str] = []
    reasons: list[str | None] = []
    tool_statuses: list[str | None] = []
    tool_reasons: list[str | None] = []
    extras: list[str | None] = []
    for row_no, coin, address, message, sig1, sig2, script, eoa1, eoa2, row_type, null_cells, stored_family, network_cell in zip(*cols):
        row = SignedRow(
            row_no=row_no,
            coin=coin or "",
            address=address or "",
            message=message or "",
            signature1=sig1 or "",
            signature2=sig2 or "",
            script_or_pubkey=script or "",
            eoa1=eoa1 or "",
            eoa2=eoa2 or "",
            row_type=row_type or "",
            audit=audit,
            family=stored_family or "",
            network=network_cell or "",
            # OKX's tool reads a literal null marker as text (SPEC §1.5); ingest recorded which cells held one.
            raw={name: "null" for name in null_cells.split(",")} if null_cells else {},
        )
        family, verdict = verify_row(row, exchange)
        families.append(family or None)
        statuses.append(verdict.status)
        reasons.append(verdict.reason or None)
        extras.append(verdict.extra or None)
        if okx_compat:
            tool = verify_row_compat(row, exchange)[1]
            tool_statuses.append(tool.status)
            tool_reasons.append(tool.reason or None)
        else:
            tool_statuses.append(None)
            tool_reasons.append(None)
    n = len(statuses)
    return pa.RecordBatch.from_arrays(
        [
            pa.array([snapshot_id] * n, pa.int32()),
            pa.array(cols[0], pa.int64()),
            pa.array(families, pa.string()),
            pa.array(statuses, pa.string()),
            pa.array(reasons, pa.string()),
            pa.array(tool_statuses, pa.string()),
            pa.array(tool_reasons, pa.string()),
            pa.array(extras, pa.string()),
        ],
        schema=RESULT_SCHEMA,
    )


def _worker_init() -> None:
    # Ctrl-C is the parent's business: it stops submitting, commits what came back, and shuts us down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from indexer.plugins import plugins

    plugins()


# --- a snapshot -------------------------------------------------------------------------------
@dataclass
class VerifySummary:
    snapshot_id: int
    rows_done: int = 0  # verified by this run
    elapsed: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)  # whole snapshot, after the run
    by_family: dict[str, dict[str, int]] = field(default_factory=dict)
    okx_by_status: dict[str, int] = field(default_factory=dict)  # the verdicts of the exchange's own tool (--okx-compat)
    exchange: str = ""  # the snapshot's exchange, whose tool gave them
    extra_signatures: dict[str, int] = field(default_factory=dict)  # signatures.extra_signature kind -> rows
    interrupted: bool = False

    @property
    def rows_per_s(self) -> float:
        return self.rows_done / self.elapsed if self.elapsed > 0 else 0.0

    def __str__(self) -> str:
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_status.items())) or "nothing stored"
        text = f"snapshot {self.snapshot_id}: {self.rows_done:,} rows verified in {self.elapsed:.1f} s ({self.rows_per_s:,.0f} rows/s); {statuses}"
        if self.okx_by_status:
            text += f"; {self.exchange.upper() or 'tool'}-compatible: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.okx_by_status.items()))
        text += _extra_text(self.extra_signatures)
        return text + (" (interrupted: re-run to continue)" if self.interrupted else "")


def _extra_text(extras: dict[str, int]) -> str:
    """The summary's note on extra signatures (single-key rows that carry one more than they need)."""
    if not extras:
        return ""
    return "; extra signatures recorded apart (not failures): " + ", ".join(f"{k} {v:,}" for k, v in sorted(extras.items()))


def latest_snapshot(con: duckdb.DuckDBPyConnection) -> int | None:
    found = (con.execute("select max(snapshot_id) from snapshots").fetchall() or [None])[0]
    return found[0] if found else None


def _todo_sql(okx_compat: bool) -> str:
    missing = "s.row_no is null or s.okx_status is null" if okx_compat else "s.row_no is null"
    cols = ", ".join(f"a.{c}" for c in _ROW_COLUMNS)
    return f"""
        select {cols} from addresses a
        left join signatures s on s.snapshot_id = a.snapshot_id and s.row_no = a.row_no
        where a.snapshot_id = $sid and ({missing})
    """


def verify_snapshot(
    con: duckdb.DuckDBPyConnection | Reopening,
    snapshot_id: int | None = None,
    *,
    workers: int | None = None,
    okx_compat: bool = False,
    progress: Progress | None = None,
    show_progress: bool = False,
    limit: int | None = None,
) -> VerifySummary:
    """Verify the rows of a snapshot that have no verdict yet; ``limit`` stops after that many (resume later).

    ``con`` is an open connection (kept open) or a ``store.Reopening`` handle: then the file is
    opened only to read the next page of work and to commit a chunk, and other processes can
    read the database in between. ``workers`` 0 or 1 verifies in this process; otherwise a
    process pool of that many (default: every core). Progress goes to ``progress`` (default:
    nowhere). On Ctrl-C the finished results are committed and KeyboardInterrupt is re-raised
    with the summary as its message.
    """
    del show_progress  # progress is injected by the caller (the CLI); kept so old call sites still work
    db = as_handle(con)
    progress = progress or NO_PROGRESS
    with db.connection() as c:
        sid = latest_snapshot(c) if snapshot_id is None else snapshot_id
        if sid is None:
            raise ValueError("the database holds no snapshot: run `por ingest` first")
        found = (c.execute("select layout, exchange from snapshots where snapshot_id = ?", [sid]).fetchall() or [None])[0]
        if found is None:
            raise ValueError(f"snapshot {sid} does not exist")
        _write_constant_verdicts(c, sid)
        total = c.execute(f"select count(*) from ({_todo_sql(okx_compat)})", {"sid": sid}).fetchall()[0][0]
    audit, exchange = found[0] == "audit", found[1] or ""
    workers = (os.cpu_count() or 1) if workers is None else workers
    summary = VerifySummary(snapshot_id=sid, exchange=exchange)
    if limit is not None:
        total = min(total, limit)
    started = time.perf_counter()
    progress.start("verify", total)
    writer = _ChunkWriter(db, lambda n: progress.advance("verify", n))
    try:
        if total:
            batches = _take(_stream(con, sid, okx_compat) if isinstance(con, duckdb.DuckDBPyConnection) else _pages(db, sid, okx_compat), limit)
            if workers <= 1:
                for batch in batches:
                    writer.add(verify_batch(batch, sid, audit, okx_compat, exchange))
            else:
                _fan_out(batches, workers, writer, sid, audit, okx_compat, exchange)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        writer.flush()
        summary.rows_done = writer.rows
        progress.finish("verify")
    summary.elapsed = time.perf_counter() - started
    with db.connection() as c:
        _fill_counts(c, summary)
    if summary.interrupted:
        raise KeyboardInterrupt(str(summary))
    return summary


def _stream(con: duckdb.DuckDBPyConnection, sid: int, okx_compat: bool):
    """The work queue streamed from a connection the caller holds (it keeps the file anyway): no paging cost."""
    reader_con = con.cursor()  # streams the queue while `con` commits results
    try:
        yield from reader_con.sql(_todo_sql(okx_compat), params={"sid": sid}).to_arrow_reader(BATCH_ROWS)
    finally:
        reader_con.close()


def _pages(db, sid: int, okx_compat: bool):
    """The work queue in pages of ``COMMIT_ROWS`` rows; the file is open only while a page is read.

    The row numbers still to do are read once (integers only) and cut into row-number
    windows of ``COMMIT_ROWS`` rows each; a page is then a range scan without a sort, and rows
    whose results are still in flight are never read twice. The next page is read in a
    background thread while the workers verify this one, so the pipeline never waits for it.
    """
    from concurrent.futures import ThreadPoolExecutor

    with db.connection() as c:
        todo = c.sql(f"select row_no from ({_todo_sql(okx_compat)}) order by row_no", params={"sid": sid}).to_arrow_table()
    row_nos = todo.column(0).to_pylist()
    del todo
    bounds = row_nos[COMMIT_ROWS - 1 :: COMMIT_ROWS]
    if row_nos and (not bounds or bounds[-1] != row_nos[-1]):
        bounds.append(row_nos[-1])
    sql = _todo_sql(okx_compat) + " and a.row_no > $lo and a.row_no <= $hi"

    def read(lo: int, hi: int) -> pa.Table:
        with db.connection() as c:
            return c.sql(sql, params={"sid": sid, "lo": lo, "hi": hi}).to_arrow_table()

    windows = list(zip([-1, *bounds[:-1]], bounds))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="por-page") as ahead:
        pending = ahead.submit(read, *windows[0]) if windows else None
        for i in range(len(windows)):
            page = pending.result()  # type: ignore[union-attr]
            pending = ahead.submit(read, *windows[i + 1]) if i + 1 < len(windows) else None
            yield from page.to_batches(max_chunksize=BATCH_ROWS)


def _write_constant_verdicts(con: duckdb.DuckDBPyConnection, sid: int) -> None:
    """Rows whose family has one verdict for all (an exchange that publishes no proof): one SQL statement,
    so ten million Binance rows cost no Python loop. The OKX-compatible verdict is the same."""
    for family, verdict in constant_verdicts().items():
        with transaction(con):
            con.execute(
                """insert or replace into signatures (snapshot_id, row_no, family, status, reason, okx_status, okx_reason)
                   select a.snapshot_id, a.row_no, a.family, $status, $reason, $status, $reason from addresses a
                   left join signatures s on s.snapshot_id = a.snapshot_id and s.row_no = a.row_no
                   where a.snapshot_id = $sid and a.family = $family and (s.row_no is null or s.okx_status is null)""",
                {"sid": sid, "family": family, "status": verdict.status, "reason": verdict.reason or None},
            )


def _take(reader: pa.RecordBatchReader, limit: int | None):
    left = limit
    for batch in reader:
        if left is not None:
            if left <= 0:
                return
            if batch.num_rows > left:
                batch = batch.slice(0, left)
            left -= batch.num_rows
        if batch.num_rows:
            yield batch


@contextmanager
def _sigint_as_flag() -> Iterator[Callable[[], bool]]:
    """While the pool runs, Ctrl-C sets a flag that the fan-out loop reads between waits.

    Why not let KeyboardInterrupt fly: raised wherever the main thread happens to be, it can land inside
    the process pool's own locks and queues (``submit``, ``wait``, the result pipe) and leave one held;
    the pool's shutdown then waits forever, and a user's Ctrl-C becomes a hung process (seen once in the
    suite). Outside the main thread (a notebook's worker thread) signals cannot be caught: nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    hit = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: hit.set())
    try:
        yield hit.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


class _WorkerProcess(mp_context.SpawnProcess):
    """A spawned worker that does not import the caller's main module.

    Why: ``spawn`` (and ``forkserver``) hand the child the path of ``__main__`` and the child runs it again, as
    ``__mp_main__``, before it works. A plain script with no ``if __name__ == "__main__":`` guard that calls
    ``por.verify`` would then re-run its own ``ingest`` and ``verify`` in every worker, and fail with "an attempt has
    been made to start a new process before the current process has finished its bootstrapping phase". The workers
    need nothing of the caller (the task, ``verify_batch``, and its arguments live in this package), so while a
    worker is launched ``__main__`` is a bare stand-in without a file: the preparation data the child receives names
    no main module to import. The launch is synchronous, in the thread that submits.
    """

    @staticmethod
    def _Popen(process_obj):  # type: ignore[no-untyped-def]
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")  # no __file__, no __spec__: nothing to re-import
        try:
            return mp_context.SpawnProcess._Popen(process_obj)
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class _WorkerContext(mp_context.SpawnContext):
    Process = _WorkerProcess


def _fan_out(batches, workers: int, writer: _ChunkWriter, sid: int, audit: bool, okx_compat: bool, exchange: str) -> None:
    """At most 3 batches per worker in flight: memory stays bounded whatever the file size.

    On Ctrl-C no new batch is submitted, the batches already running finish and are kept, and
    KeyboardInterrupt is raised from here, outside every lock of the pool.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_WorkerContext(), initializer=_worker_init)
    in_flight: set[Future] = set()
    try:
        with _sigint_as_flag() as interrupted:
            exhausted = False
            while not interrupted():
                while not exhausted and len(in_flight) < workers * 3:
                    batch = next(batches, None)
                    if batch is None:
                        exhausted = True
                    else:
                        in_flight.add(pool.submit(verify_batch, batch, sid, audit, okx_compat, exchange))
                if not in_flight:
                    return
                done, in_flight = wait(in_flight, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    writer.add(fut.result())
            for fut in in_flight:
                fut.cancel()
            for fut in in_flight:  # already running: let them finish (a batch is a fraction of a second) and keep them
                if not fut.cancelled():
                    try:
                        writer.add(fut.result())
                    except Exception:
                        pass
        raise KeyboardInterrupt
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _ChunkWriter:
    """Collects result batches and upserts them in committed chunks."""

    def __init__(self, db, advance) -> None:
        self.db = db
        self.advance = advance
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.rows = 0
        self.last_commit = time.monotonic()

    def add(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        self.advance(batch.num_rows)
        if self.pending_rows >= COMMIT_ROWS or time.monotonic() - self.last_commit >= COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        table = pa.Table.from_batches(self.pending, schema=RESULT_SCHEMA)
        with self.db.connection() as con, transaction(con):
            upsert_arrow(con, "signatures", table)
        self.rows += self.pending_rows
        self.pending = []
        self.pending_rows = 0
        self.last_commit = time.monotonic()


def _fill_counts(con: duckdb.DuckDBPyConnection, summary: VerifySummary) -> None:
    rows = con.execute(
        "select coalesce(family, ''), status, okx_status, count(*) from signatures where snapshot_id = ? group by all",
        [summary.snapshot_id],
    ).fetchall()
    by_status: Counter[str] = Counter()
    tool: Counter[str] = Counter()
    by_family: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for family, status, tool_status, n in rows:
        by_status[status] += n
        by_family[family or "-"][status] += n
        if tool_status is not None:
            tool[tool_status] += n
    summary.by_status = dict(by_status)
    summary.by_family = {k: dict(v) for k, v in sorted(by_family.items())}
    summary.okx_by_status = dict(tool)
    summary.extra_signatures = _count_extras(con, summary.snapshot_id)


def _count_extras(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> dict[str, int]:
    rows = con.execute(
        "select extra_signature, count(*) from signatures where snapshot_id = ? and extra_signature is not null group by all",
        [snapshot_id],
    ).fetchall()
    return {kind: n for kind, n in rows}
