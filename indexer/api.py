"""The Python API: what every ``por`` command does, as functions that return plain objects.

Why a separate layer: the CLI, notebooks and scripts must get the same behaviour — the same
read-only opens, the same lock handling, the same report columns — so the work lives here and
``indexer.cli`` only parses arguments and renders. Nothing here prints; progress goes to an
injected ``indexer.progress.Progress`` (default: nowhere) and step messages to ``log``.

``db`` is a path (default ``$POR_DB`` or ``./por.duckdb``). Reading functions open the file
read-only (they never create it, and work on read-only files); long writers (``verify``,
``fetch``) hold the file only while committing a chunk, so readers can run beside them.

    import por
    por.ingest(["okx_por.csv"], db="por.duckdb")
    por.verify(db="por.duckdb")
    await por.fetch_async(db="por.duckdb", config="por.toml")   # inside Jupyter's running loop
    por.report(db="por.duckdb").dicts()
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import duckdb

from indexer.errors import PorError
from indexer.progress import NO_PROGRESS, Progress
from indexer.results import AUDIT_COLUMNS, ResultSet, figure_labels
from indexer.store import Reopening, StoreError, connect, db_path, open_raw

PathLike = str | os.PathLike[str]
Log = Callable[[str], None]

# The columns a reader needs first, in order; a view without one of them (an older database, a column another
# release adds) simply does not show it. Four names, one meaning each, in every output (``indexer.results.FIGURES``):
# published = the exchange's file, claimed = its audit page, onchain = what we read, verified = on-chain over the
# rows whose ownership signature is proven.
REPORT_COLUMNS: list[str] = [
    "asset",
    "liabilities",
    "published_reserves",
    "claimed_reserves",
    "onchain_reserves",
    "verified_reserves",
    "claimed_custody_reserves",
    "ratio_published",
    "ratio_claimed",
    "ratio_onchain",
    "coverage_onchain",
    "ratio_verified",
    "coverage_verified",
    "ratio_onchain_with_custody",
]
# On a narrow terminal the report keeps the asset and its ratios, each on-chain one with its coverage, before the
# amounts they are made of (those are named below the table).
REPORT_KEEP = (
    "ratio_published", "ratio_claimed", "ratio_onchain", "coverage_onchain", "ratio_verified", "coverage_verified",
    "ratio_onchain_with_custody",
)  # fmt: skip
# What the on-chain check (``--min-ratio``) reads from ``reserve_ratios``.
_ONCHAIN_COLUMNS = ("asset", "liabilities_units", "onchain_reserves", "ratio_onchain", "rows", "rows_fetched", "coverage_onchain", "coverage_onchain_published")
JUDGED_RATIO = (
    "the on-chain ratio (ratio_onchain: balances read for the snapshot block over liabilities; "
    "no claimed or published figure, no custody reserves, no current-state value)"
)

# What a narrow table keeps first (after its first column), per command: a query's address (the thing a reader
# looks up), a diff's network and changes (what the comparison is for).
SQL_KEEP = ("address",)
NETWORKS_KEEP = ("rows", "plugin", "configured", "native_methods", "token_methods", "block_reference")
DIFF_KEEP = ("network", "address", "status", "published_change", "onchain_change")

_READ_ONLY_TYPES = {"SELECT", "EXPLAIN", "PRAGMA", "CALL"}


class ReadOnlyQuery(PorError):
    """``sql`` was given a statement that writes, without ``write=True``."""


def os_reason(exc: OSError) -> str:
    """An OSError's reason as words ("read-only file system", "permission denied"), without "[Errno 30]"."""
    return (exc.strerror or str(exc)).lower()


def _paths(files: PathLike | Sequence[PathLike]) -> list[Path]:
    """One path or many: ``"okx.csv"`` is one file, not the characters of its name."""
    if isinstance(files, (str, os.PathLike)):
        return [Path(files)]
    return [Path(f) for f in files]


def _names(values: str | Sequence[str] | None) -> list[str] | None:
    """One name or many (``networks="ETH"``), as a list; None stays None."""
    return [values] if isinstance(values, str) else None if values is None else list(values)


# ------------------------------------------------------------------------------------ opening
def open_db(db: PathLike | None = None, *, read_only: bool = True, on_wait: Log | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the database; read-only by default (never creates the file)."""
    return connect(db, read_only=read_only, on_wait=on_wait)


def resolve_snapshot(con: duckdb.DuckDBPyConnection, snapshot: int | None) -> int:
    """``snapshot`` if it exists, else the latest; PorError when there is none."""
    if snapshot is not None:
        if not con.execute("select 1 from snapshots where snapshot_id = ?", [snapshot]).fetchall():
            raise PorError(f"there is no snapshot {snapshot} in this database: `por sql \"select * from snapshots\"` lists them")
        return snapshot
    row = con.execute("select max(snapshot_id) from snapshots").fetchall()
    if not row or row[0][0] is None:
        raise PorError("the database has no snapshot yet: run `por ingest FILE` first")
    return int(row[0][0])


# ------------------------------------------------------------------------------------ writers
ON_ERROR = ("stop", "continue")


@dataclass
class IngestOutcome:
    """What ``ingest`` did with one file given: its reports (loaded, or already there), or why it was refused."""

    path: Path
    reports: list[Any] = field(default_factory=list)  # ``IngestReport``s: one per loaded text
    refused: Exception | None = None  # the ``IngestError``: nothing of this file was written

    @property
    def loaded(self) -> bool:
        """Something of this file is in the database now (not refused, not only a duplicate)."""
        return any(r.duplicate_of is None for r in self.reports)


class FilesRefused(PorError):
    """``on_error="continue"``: some files were refused after every other one was tried.

    Raised at the end, so a caller that chose to go on still cannot miss a refusal; ``reports`` holds what was
    loaded, ``refused`` the outcome of each refused file (``refused.refused`` is its ``IngestError``).
    """

    def __init__(self, reports: list[Any], refused: list[IngestOutcome], given: int) -> None:
        self.reports, self.refused = reports, refused
        reasons = "; ".join(str(o.refused).rstrip(".") for o in refused)
        super().__init__(f"{len(refused):,} of {given:,} files were refused, the others were tried: {reasons}.")


@dataclass(frozen=True)
class Message:
    """One line for a person: ``level`` is info, warning, note or error; ``str()`` is the plain line."""

    level: str
    text: str

    def __str__(self) -> str:
        return self.text if self.level == "info" else f"{self.level}: {self.text}"


def ingest_messages(outcome: IngestOutcome) -> list[Message]:
    """What to tell a person about one file ``ingest`` handled: the one wording of a loaded, duplicate or refused
    file, used by ``por ingest``, ``por run``, ``por synth --db`` and ``run``'s ``log`` alike."""
    if outcome.refused is not None:
        return [Message("error", f"{str(outcome.refused).strip().rstrip('.')}.")]
    out: list[Message] = []
    for r in outcome.reports:
        if r.duplicate_of is not None:
            out.append(Message("info", f"{r.source_file}: already ingested as snapshot {r.duplicate_of}; nothing loaded."))
            continue
        named = f' "{r.label}"' if r.label else ""
        out.append(Message("info", (
            f"{r.source_file}: snapshot {r.snapshot_id}{named} ({r.layout}): {r.rows:,} rows loaded, "
            f"{r.errors:,} rejected (see ingest_errors), {r.totals:,} summary totals."
        )))  # fmt: skip
        check = r.summary
        if check is None:
            continue
        if check.mismatches:
            text = check.mismatch_text(more_hint=" (published_totals_check lists them)")
            out.append(Message("warning", f"{r.source_file}: loaded with --allow-mismatch: {text}."))
        for why, members in check.not_compared.items():
            out.append(Message("note", f"{', '.join(members)}: summary totals not compared: {why}."))
    return out


def ingest(
    files: PathLike | Sequence[PathLike],
    db: PathLike | None = None,
    *,
    exchange: str = "auto",
    label: str | None = None,
    allow_mismatch: bool = False,
    max_rejected: str | Any = None,
    on_error: str = "stop",
    on_file: Callable[[IngestOutcome], None] | None = None,
    progress: Progress | None = None,
    on_wait: Log | None = None,
) -> list[Any]:
    """Load PoR files (one path or a list), one all-or-nothing transaction per file; returns one ``IngestReport`` per
    loaded text.

    ``on_error`` says what a refused file (``indexer.ingest.IngestError``: cut short, every row refused, a summary
    that does not add up, ...) does to the files after it:

    * ``"stop"`` (the default here, and ``por run``'s): raise that ``IngestError`` at once; the files after it are
      not read, the reports of the files before it are on its ``reports`` attribute. A script that loads a
      series should not go on past a hole in it without saying so.
    * ``"continue"`` (``por ingest``'s: each file is its own publication, and the user sees every refusal on the
      way): try every file, then raise ``FilesRefused`` naming each refused one.

    Either way a refused file writes nothing, and the files loaded before it stay loaded. ``on_file`` is called with
    each file's ``IngestOutcome`` as soon as it is done (``ingest_messages`` words it). The database is opened
    per file, so readers get in between files. A file whose detail rows do not add up to its own summary totals is refused
    (``SummaryMismatch``) unless ``allow_mismatch``; ``max_rejected`` (``"100"`` rows or ``"0.5%"`` of the rows
    read) refuses a file with more refused rows. A database file this call created is removed again when nothing
    was loaded into it.
    """
    from indexer.ingest import IngestError, ingest_file
    from indexer.ingest.rejects import RejectLimit

    if on_error not in ON_ERROR:
        raise PorError(f"on_error takes {' or '.join(ON_ERROR)}, not {on_error!r}")
    try:
        limit = RejectLimit.parse(max_rejected) if isinstance(max_rejected, str) else max_rejected
    except ValueError as exc:
        raise PorError(str(exc)) from None
    progress = progress or NO_PROGRESS
    files = _paths(files)
    done: list[Any] = []
    refused: list[IngestOutcome] = []
    with removed_if_unused(db):
        for path in files:
            con = connect(db, on_wait=on_wait)
            task = f"ingest {path.name} (bytes)"
            total = _text_bytes(path)
            progress.start(task, total)
            last, sent = [0], [0]

            def on_bytes(read: int, size: int | None, t: str = task, last: list = last, sent: list = sent) -> None:
                """Bytes read of the current member: the unit of the rate and ETA (row counts are unknown up front);
                a count below the last one is the next member starting."""
                step = read - last[0] if read >= last[0] else read
                progress.advance(t, step)
                last[0], sent[0] = read, sent[0] + step

            try:
                outcome = IngestOutcome(path, ingest_file(con, path, exchange=exchange, label=label, allow_mismatch=allow_mismatch,
                                                          max_rejected=limit, on_bytes=on_bytes))  # fmt: skip
                if total is not None and sent[0] < total:
                    progress.advance(task, total - sent[0])  # the reader's last report precedes its last bytes: a loaded file ends at 100 %
            except IngestError as exc:
                outcome = IngestOutcome(path, refused=exc)
            finally:
                progress.finish(task)
                con.close()
            done.extend(outcome.reports)
            if on_file is not None:
                on_file(outcome)
            if outcome.refused is not None:
                if on_error == "stop":
                    outcome.refused.reports = done  # type: ignore[attr-defined]
                    raise outcome.refused
                refused.append(outcome)
        if refused:
            raise FilesRefused(done, refused, len(files))
    return done


@contextmanager
def removed_if_unused(db: PathLike | None) -> Iterator[None]:
    """A database file that did not exist before the block and holds no snapshot when the block fails is removed
    (with its WAL): a refused file, or an unusable input, leaves nothing behind, not even an empty database."""
    target = db_path(db)
    fresh = not target.startswith(":memory:") and not Path(target).exists()
    try:
        yield
    except BaseException:
        if fresh and Path(target).is_file() and _holds_no_snapshot(target):
            for leftover in (Path(target), Path(target + ".wal")):
                leftover.unlink(missing_ok=True)
        raise


def _holds_no_snapshot(target: str) -> bool:
    try:
        con = open_raw(target, read_only=True, wait=0)
    except StoreError:
        return False  # someone else holds it, or it is not ours to judge: leave it
    try:
        return con.execute("select count(*) from snapshots").fetchall()[0][0] == 0
    except duckdb.Error:
        return True  # created but never migrated (the first connect failed half-way)
    finally:
        con.close()


def _text_bytes(path: Path) -> int | None:
    """The bytes ingest will read: a zip's uncompressed members, a plain file's size; None for gzip (unknown)."""
    import zipfile

    if not path.is_file():
        return None  # ingest_file says what is wrong with it
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in zf.infolist() if not i.is_dir())
    return None if path.suffix == ".gz" else path.stat().st_size


def _writer_handle(db: PathLike | None, on_wait: Log | None) -> Reopening:
    connect(db, on_wait=on_wait).close()  # migrate (or refuse a newer schema) once, up front
    return Reopening(db, on_wait=on_wait)


def _snapshot_to_work_on(db: PathLike | None, snapshot: int | None, on_snapshot: Callable[[int], None] | None, on_wait: Log | None) -> int:
    """The snapshot a long writer works on, resolved read-only before the writer opens the file: a missing database
    is an error rather than a new empty file, and the id is fixed (a file ingested meanwhile does not change it).
    ``on_snapshot`` hears it first: ``por verify``/``por fetch`` name it in the command that resumes after Ctrl-C."""
    con = open_db(db, on_wait=on_wait)
    try:
        sid = resolve_snapshot(con, snapshot)
    finally:
        con.close()
    if on_snapshot is not None:
        on_snapshot(sid)
    return sid


def verify(
    db: PathLike | None = None,
    snapshot: int | None = None,
    *,
    workers: int | None = None,
    okx_compat: bool = False,
    progress: Progress | None = None,
    on_snapshot: Callable[[int], None] | None = None,
    on_wait: Log | None = None,
) -> Any:
    """Verify every unverified row's signature (resumable); returns a ``VerifySummary``.

    The file is released between committed chunks so ``report``/``sql`` can read meanwhile. ``on_snapshot`` is
    called with the snapshot id before any work (the latest when ``snapshot`` is None).
    """
    from indexer.verify import verify_snapshot

    sid = _snapshot_to_work_on(db, snapshot, on_snapshot, on_wait)
    handle = _writer_handle(db, on_wait)
    try:
        return verify_snapshot(handle, sid, workers=workers, okx_compat=okx_compat, progress=progress)
    finally:
        handle.close()


def unverified_snapshots(db: PathLike | None = None, *, okx_compat: bool = False, on_wait: Log | None = None) -> list[int]:
    """The snapshots that have rows without a verdict (with ``okx_compat``: without OKX's tool's verdict too),
    oldest first: what ``verify_all`` works on, and what ``por verify`` names when it did only the latest."""
    con = open_db(db, on_wait=on_wait)
    try:
        missing = "s.row_no is null" + (" or s.okx_status is null" if okx_compat else "")
        return [int(r[0]) for r in con.execute(
            f"""select distinct a.snapshot_id from addresses a
                left join signatures s on s.snapshot_id = a.snapshot_id and s.row_no = a.row_no
                where {missing} order by 1"""
        ).fetchall()]  # fmt: skip
    finally:
        con.close()


def verify_all(
    db: PathLike | None = None,
    *,
    workers: int | None = None,
    okx_compat: bool = False,
    progress: Progress | None = None,
    on_snapshot: Callable[[int], None] | None = None,
    on_wait: Log | None = None,
) -> list[Any]:
    """``verify`` every snapshot that has rows without a verdict (``unverified_snapshots``), oldest first; one
    ``VerifySummary`` each. After three monthly files are ingested, this is what verifies all three."""
    return [
        verify(db, sid, workers=workers, okx_compat=okx_compat, progress=progress, on_snapshot=on_snapshot, on_wait=on_wait)
        for sid in unverified_snapshots(db, okx_compat=okx_compat, on_wait=on_wait)
    ]


async def fetch_async(
    db: PathLike | None = None,
    config: Any = None,
    snapshot: int | None = None,
    *,
    at: str = "snapshot",
    networks: str | Sequence[str] | None = None,
    refresh: bool = False,
    adapter_options: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Progress | None = None,
    on_snapshot: Callable[[int], None] | None = None,
    on_wait: Log | None = None,
) -> Any:
    """``fetch`` for a running event loop (Jupyter, an async service): ``await por.fetch_async(...)``.

    ``config`` is a path to ``por.toml``, a loaded ``PorConfig``, or None (``$POR_CONFIG``).
    ``adapter_options`` are per-adapter options for the named network, e.g. ``{"utxo": {"rewind": True}}``.
    ``on_snapshot`` is called with the snapshot id before any work (the latest when ``snapshot`` is None).
    """
    from indexer.config import PorConfig, load_config
    from indexer.fetch import fetch_snapshot_async

    cfg = config if isinstance(config, PorConfig) else load_config(config)
    sid = _snapshot_to_work_on(db, snapshot, on_snapshot, on_wait)
    handle = _writer_handle(db, on_wait)
    try:
        return await fetch_snapshot_async(
            handle, cfg, sid, at=at, networks=_names(networks), refresh=refresh, adapter_options=adapter_options, progress=progress,
        )  # fmt: skip
    finally:
        handle.close()


def fetch(*args: Any, **kwargs: Any) -> Any:
    """Fetch on-chain balances (resumable); returns a ``FetchSummary``. Same arguments as ``fetch_async``.

    Inside a running event loop use ``await fetch_async(...)`` instead: ``asyncio.run`` cannot nest.
    """
    _outside_a_loop("fetch", "use `await por.fetch_async(...)` instead")
    return asyncio.run(fetch_async(*args, **kwargs))


def _outside_a_loop(name: str, instead: str) -> None:
    """``asyncio.run`` cannot nest: a synchronous API call made inside a running event loop (a notebook) is refused
    with what to do instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise PorError(f"{name}() was called inside a running event loop (a notebook?): {instead}")


@dataclass
class Plan(ResultSet):
    """``plan``'s table (one line per network, then the total) and ``document``, its JSON form for scripts:
    ``{snapshot_id, as_of, networks: [{network, rows, reads, method, path, requests, services, seconds, probe,
    actual}], total_s, bound, skipped}``."""

    document: dict[str, Any] = field(default_factory=dict)


PLAN_KEEP = ("requests", "seconds", "actual_requests", "actual_s", "probe")


def plan(
    db: PathLike | None = None,
    config: Any = None,
    snapshot: int | None = None,
    *,
    at: str = "snapshot",
    probe: bool = False,
    on_wait: Log | None = None,
) -> Plan:
    """What ``fetch`` will do, before it does it: per network the rows, the distinct reads, the method (and the path
    where the adapter has several), the requests per service, the configured rate and concurrency and the time;
    the total and the service that bounds it; beside it the snapshot's last run. ``probe`` runs every adapter's
    preflight and ``tip()`` (no balance is read) and says what each provider lacks. Reads the database only."""
    from indexer.config import PorConfig, load_config
    from indexer.fetch import COMMIT_CHUNK
    from indexer.fetch.estimate import forecast_snapshot

    cfg = config if isinstance(config, PorConfig) else load_config(config)
    con = open_db(db, on_wait=on_wait)
    try:
        sid = resolve_snapshot(con, snapshot)
        _outside_a_loop("plan", "call it from a thread")
        found = asyncio.run(forecast_snapshot(con, cfg, sid, at=at, probe=probe, commit_chunk=COMMIT_CHUNK))
    finally:
        con.close()
    return _plan_result(found)


def _plan_result(found: Any) -> Plan:
    """The forecast as a table and a JSON document (``Plan``)."""
    nets = sorted(found.networks, key=lambda n: -n.seconds)
    docs = []
    rows = []
    for n in nets:
        services = [{"name": s.name, "requests": s.requests, "rps": s.rps, "concurrency": s.concurrency, "seconds": s.seconds} for s in n.services]
        docs.append({
            "network": n.network, "rows": n.rows, "reads": n.reads, "method": n.method, "path": n.path, "note": n.note,
            "unknown": n.unknown, "generic": n.generic, "requests": n.requests, "services": services, "seconds": round(n.seconds, 2),
            "latency_s": round(n.latency, 4), "latency": "measured" if n.latency_measured else "default",
            "probe": n.probe, "actual": n.actual,
        })  # fmt: skip
        load = "; ".join(
            f"{s.name} {s.requests:,} at {f'{s.rps:g}/s' if s.rps else 'unpaced'} ×{s.concurrency}" for s in n.services
        )
        method = f"{n.method} ({n.path})" if n.path else n.method
        if n.generic:
            method += " (generic)"
        actual = n.actual or {}
        rows.append((n.network, n.rows, n.reads, method, n.requests, load, round(n.seconds, 1), actual.get("requests"),
                     actual.get("seconds"), n.probe))  # fmt: skip
    total_requests = sum(n.requests for n in nets)
    actual_total = [n.actual for n in nets if n.actual]
    rows.append(("total", sum(n.rows for n in nets), sum(n.reads for n in nets), f"bound by {found.bound}" if found.bound else "",
                 total_requests, "", round(found.total_s, 1), sum(a["requests"] for a in actual_total) if actual_total else None,
                 max((a["seconds"] for a in actual_total), default=None), None))  # fmt: skip
    columns = ["network", "rows", "reads", "method", "requests", "services", "seconds", "actual_requests", "actual_s", "probe"]
    types = ["VARCHAR", "BIGINT", "BIGINT", "VARCHAR", "BIGINT", "VARCHAR", "DOUBLE", "BIGINT", "DOUBLE", "VARCHAR"]
    notes = []
    measured = [n for n in nets if n.latency_measured]
    if measured:
        notes.append("latency measured by --probe per network (the preflight's time over its requests)")
    else:
        from indexer.fetch.estimate import DEFAULT_LATENCY

        notes.append(f"latency {DEFAULT_LATENCY * 1000:.0f} ms per request assumed (--probe measures it)")
    notes.append("time per service = max(requests / rps, requests × latency / concurrency); networks run side by side, the total is the slowest")
    generic = [n.network for n in nets if n.generic]
    if generic:
        from indexer.fetch.estimate import GENERIC

        notes.append(f"{', '.join(generic)}: {GENERIC}")
    for n in nets:
        if n.unknown:
            notes.append(f"{n.network}: not counted: {n.unknown}")
        if n.note and not n.generic:
            notes.append(f"{n.network}: {n.note}")
    if found.run_id is not None:
        notes.append(f"actual: run {found.run_id} of this snapshot (runs.requests, runs.seconds)")
    by_reason: dict[str, list[tuple[str, int]]] = {}
    for name, (count, why) in sorted(found.skipped.items()):
        by_reason.setdefault(why, []).append((name, count))
    for why, skipped in by_reason.items():  # one line per reason: an unconfigured run names 25 networks once
        rows_skipped = sum(c for _, c in skipped)
        names = ", ".join(n for n, _ in skipped) if len(skipped) > 1 else skipped[0][0]
        notes.append(f"{names}: {rows_skipped:,} rows not planned: {why}")
    document = {
        "snapshot_id": found.snapshot_id, "as_of": found.as_of, "networks": docs, "total_s": round(found.total_s, 2),
        "bound": found.bound, "run_id": found.run_id, "skipped": {k: {"rows": c, "reason": w} for k, (c, w) in sorted(found.skipped.items())},
    }  # fmt: skip
    title = f"plan of snapshot {found.snapshot_id} at {found.as_of}"
    return Plan(columns, types, rows, title=title, notes=notes, keep=PLAN_KEEP, document=document)


def verify_failures(summary: Any) -> str | None:
    """What ``--fail-on-failed`` fails on in a ``VerifySummary``: one sentence, or None when no signature failed."""
    return "some signatures failed verification" if summary.by_status.get("failed") else None


def fetch_failures(summary: Any) -> str | None:
    """What ``--fail-on-error`` fails on in a ``FetchSummary``: a blocked network, a balance that could not be read,
    or a snapshot row that got only the current value; one sentence, or None when there is none."""
    if not (summary.blocked or summary.rows_error or summary.rows_latest_proxy):
        return None
    return (
        f"{summary.rows_error:,} balances could not be read, {summary.rows_latest_proxy:,} only at the current state;"
        f" blocked networks: {', '.join(summary.blocked) or 'none'}"
    )


def load_liabilities(
    file: PathLike,
    db: PathLike | None = None,
    snapshot: int | None = None,
    *,
    config: Any = None,
    on_tick: Callable[[float], None] | None = None,
    on_wait: Log | None = None,
) -> Any:
    """Load what the exchange owes per asset: CSV, OKX Merkle files, OKX's audit page, or the zk proof
    (bound to the page's merkleHash; OKX's verifier runs when installed, ``[proof] verifier`` in ``config``).
    Returns ``indexer.audit.LiabilityLoad`` (``message``; ``check_failed`` when the verifier rejected the proof).
    """
    from indexer.audit import load_liability_file
    from indexer.config import PorConfig, load_config
    from indexer.liabilities import LiabilityError

    cfg = config if isinstance(config, PorConfig) else load_config(config)
    con = connect(db, on_wait=on_wait)
    try:
        sid = resolve_snapshot(con, snapshot)
        try:
            return load_liability_file(con, Path(file), sid, verifier_setting=cfg.proof_verifier, on_tick=on_tick)
        except LiabilityError as exc:
            raise PorError(f"{file} was refused: {exc}") from None
        except OSError as exc:
            raise PorError(f"{file} could not be read: {exc.strerror}") from None
    finally:
        con.close()


# ------------------------------------------------------------------------------------ readers
@dataclass(frozen=True)
class OnchainFigure:
    """One asset's on-chain ratio and the coverage it rests on (a row of ``reserve_ratios``)."""

    asset: str
    liabilities_units: int | None  # None or 0: nothing owed, nothing to judge
    ratio: Decimal | None  # ratio_onchain; None when nothing was read (or beyond DECIMAL(38,18): a dust liability)
    has_onchain: bool  # an on-chain sum exists (at least one row holds a snapshot value)
    rows: int
    rows_fetched: int  # rows holding an ok balance read for the snapshot block
    coverage: Decimal | None  # rows_fetched / rows, exact and truncated
    coverage_published: Decimal | None  # share of the published amount in those rows

    @property
    def complete(self) -> bool:
        return self.rows_fetched == self.rows

    def coverage_text(self) -> str:
        """``3 of 10 rows, 30 %; 45.5 % of the published amount``."""
        from indexer.results import percent_text

        if not self.rows:
            return "the file lists no address for it"
        text = f"{self.rows_fetched:,} of {self.rows:,} rows, {percent_text(self.coverage if self.coverage is not None else 0)}"
        if self.coverage_published is not None and not self.complete:
            text += f"; {percent_text(self.coverage_published)} of the published amount"
        return text


@dataclass
class RatioCheck:
    """The outcome of ``Report.check_ratio``: which ratio was judged, what failed, and (with ``allow_partial``)
    the coverage of every asset judged on a partial read."""

    min_ratio: Decimal
    allow_partial: bool
    judged: list[str] = field(default_factory=list)  # assets whose on-chain ratio was judged
    failures: list[str] = field(default_factory=list)  # one clause per failing asset
    partial: list[str] = field(default_factory=list)  # coverage lines of assets judged on partial coverage
    incomplete: list[str] = field(default_factory=list)  # assets failed for incomplete coverage

    @property
    def passed(self) -> bool:
        return not self.failures

    def message(self) -> str:
        """The failures as one sentence (for ``CheckFailed``)."""
        hint = "; an incomplete read cannot be judged: --allow-partial judges the part that was read" if self.incomplete else ""
        return "; ".join(self.failures) + hint

    def summary(self) -> str:
        """One line saying which ratio was judged and the outcome (printed whether it passed or not)."""
        outcome = "passed" if self.passed else f"{len(self.failures):,} failed"
        partial = ", partial coverage allowed" if self.allow_partial else ""
        return f"--min-ratio {self.min_ratio}: judged {JUDGED_RATIO} of {len(self.judged):,} asset(s) with liabilities{partial}: {outcome}"


@dataclass
class Report(ResultSet):
    snapshot_id: int = 0
    proof_status: str = ""  # one line: which proof checks ran for the snapshot (audit page, zk proof, verifier)
    onchain: dict[str, OnchainFigure] = field(default_factory=dict)  # asset -> its on-chain ratio and coverage
    onchain_missing: str = ""  # why ``onchain`` could not be read (a database whose views predate it)
    html_path: Path | None = None  # where ``report(html=True)`` wrote the page

    def check_ratio(self, min_ratio: Decimal, allow_partial: bool = False) -> RatioCheck:
        """Judge every asset that has liabilities on its **on-chain** ratio only (``JUDGED_RATIO``), never on the
        exchange's own figures (claimed, published), which a check meant to test the exchange cannot rest on.

        * Coverage incomplete (a row without a balance read for the snapshot block: not fetched, an error, only a
          current value) fails, because the missing rows could hold anything; with ``allow_partial`` the ratio of
          what was read is judged (a lower bound of the full one) and the coverage is reported.
        * Nothing on chain counts as 0: an asset with liabilities and no address in the file, or none read, fails.
        * No liabilities at all: nothing can be judged, so the check fails rather than pass on nothing.
        """
        from indexer.results import decimal_text, percent_text

        if self.onchain_missing:
            raise PorError(self.onchain_missing)
        check = RatioCheck(min_ratio, allow_partial)
        owed = [f for f in self.onchain.values() if f.liabilities_units]
        if not owed:
            check.failures.append(f"no liabilities are loaded for snapshot {self.snapshot_id}, so no on-chain ratio can be judged (load them with `por liabilities FILE`)")
            return check
        for f in sorted(owed, key=lambda f: f.asset):
            check.judged.append(f.asset)
            if not f.complete and not allow_partial:
                check.incomplete.append(f.asset)
                check.failures.append(f"on-chain coverage of {f.asset} is incomplete ({f.coverage_text()})")
                continue
            if f.ratio is None and f.has_onchain:
                continue  # beyond DECIMAL(38,18): reserves 10^20 times a dust liability
            ratio = f.ratio if f.ratio is not None else Decimal(0)
            shown = decimal_text(ratio.quantize(Decimal("0.000001"), rounding=ROUND_DOWN))
            coverage = f"coverage {percent_text(f.coverage)}" if f.rows else "the file lists no address for it"
            if not f.complete:
                check.partial.append(f"{f.asset}: on-chain ratio {shown} judged on partial coverage ({f.coverage_text()})")
            if ratio < min_ratio:
                check.failures.append(f"on-chain reserve ratio below {min_ratio} for {f.asset} ({shown}, {coverage})")
        return check


def report_columns(available: Sequence[str], wide: bool = False, audit: bool = True) -> list[str]:
    """The default report columns that the view has (or every column with ``wide``); without an audit page
    (``audit=False``) the claimed figures, which would be empty, are left out of the default."""
    if wide:
        return list(available)
    have = set(available)
    return [c for c in REPORT_COLUMNS if c in have and (audit or c not in AUDIT_COLUMNS)]


def report(
    db: PathLike | None = None, snapshot: int | None = None, *, wide: bool = False, html: bool = False, out: PathLike | None = None,
    on_wait: Log | None = None,
) -> Report:
    """Reserves and ratios per asset of one snapshot (default: the latest), read-only.

    The default columns are ``REPORT_COLUMNS`` that exist in the database's view; ``wide=True``
    gives every column of ``reserve_ratios``. Amounts and ratios are ``Decimal``. With ``html=True`` the
    self-contained HTML page is written too, from the same read (to ``out``, default ``por-report-<snapshot>.html``;
    its path is ``html_path``), so the page and the ratios a ``check_ratio`` judges are of one state.
    """
    con = open_db(db, on_wait=on_wait)
    try:
        sid = resolve_snapshot(con, snapshot)
        result = _report(con, sid, wide)
        if html:
            result.html_path = _write_html(con, sid, out)
        return result
    finally:
        con.close()


def _write_html(con: duckdb.DuckDBPyConnection, sid: int, out: PathLike | None) -> Path:
    from indexer.report_html import write_html_report

    target = Path(out) if out is not None else Path(f"por-report-{sid}.html")
    try:
        return write_html_report(con, sid, target)
    except OSError as exc:  # a read-only folder, a full disk: one sentence, not "[Errno 30] ..."
        raise PorError(f"the report cannot be written to {target}: {os_reason(exc)} (choose another place with --out)") from None


def _report(con: duckdb.DuckDBPyConnection, sid: int, wide: bool) -> Report:
    available = [r[0] for r in con.execute("select column_name from (describe reserve_ratios)").fetchall()]
    claims = [c for c in AUDIT_COLUMNS if c in available]
    audit = bool(claims) and any(con.execute(
        f"select {', '.join(f'count({_quote(c)})' for c in claims)} from reserve_ratios where snapshot_id = ?", [sid]
    ).fetchall()[0])  # fmt: skip
    cols = report_columns(available, wide, audit)
    onchain, missing = _onchain_figures(con, sid, available)
    order = ["liabilities is null"]
    order += [f"{c} desc nulls last" for c in ("published_reserves",) if c in available]
    order.append("asset")
    rel = con.sql(
        f"select {', '.join(_quote(c) for c in cols)} from reserve_ratios where snapshot_id = $sid order by {', '.join(order)}",
        params={"sid": sid},
    )
    result = _with_summary_mismatch(con, sid, ResultSet.from_relation(rel))
    from indexer.audit import proof_status

    try:
        status = proof_status(con, sid)
    except duckdb.CatalogException:  # a database from before audit pages were kept, read as it is (read-only)
        status = "proof: this database predates audit pages and proofs (a writing command migrates it)"
    return Report(
        result.columns, result.types, result.rows, title=f"reserves, snapshot {sid}", notes=result.notes, snapshot_id=sid,
        proof_status=status, onchain=onchain, onchain_missing=missing, labels=figure_labels(result.columns), keep=REPORT_KEEP,
    )


def _onchain_figures(con: duckdb.DuckDBPyConnection, sid: int, available: Sequence[str]) -> tuple[dict[str, OnchainFigure], str]:
    """Each asset's on-chain ratio and coverage, and ""; or ({}, why) when the database's views predate them
    (read-only opens do not update views)."""
    lacking = [c for c in _ONCHAIN_COLUMNS if c not in available]
    if lacking:
        return {}, (
            f"this database's reserve_ratios view has no {', '.join(lacking)}: it predates the on-chain check; "
            "any writing command (por verify, por fetch, por liabilities) updates the views"
        )
    out: dict[str, OnchainFigure] = {}
    cols = ", ".join(_quote(c) for c in _ONCHAIN_COLUMNS)
    for asset, liab, onchain, ratio, rows, fetched, cov, cov_pub in con.execute(f"select {cols} from reserve_ratios where snapshot_id = ?", [sid]).fetchall():
        out[str(asset)] = OnchainFigure(
            str(asset), None if liab is None else int(liab), ratio, onchain is not None, int(rows), int(fetched), cov, cov_pub,
        )  # fmt: skip
    return out, ""


def _with_summary_mismatch(con: duckdb.DuckDBPyConnection, sid: int, result: ResultSet) -> ResultSet:
    """Beside the ratios, per asset, the summary totals its detail rows do not add up to (a file loaded with
    ``--allow-mismatch``: its ratios rest on an incomplete or altered publication). Unchanged when there is none."""
    from indexer.ingest.summary import signed_amount

    try:
        found = con.execute(
            "select total_asset, coin, difference_text from published_totals_check where snapshot_id = ? and status = 'mismatch' order by total_row_no",
            [sid],
        ).fetchall()
    except duckdb.Error:  # a database from before the check, read as it is (read-only)
        return result
    if not found or "asset" not in result.columns:
        return result
    by_asset: dict[str, list[str]] = {}
    for asset, coin, difference in found:
        by_asset.setdefault(asset, []).append(f"{coin} {signed_amount(difference)}")
    at = result.columns.index("asset")
    shown = {row[at] for row in result.rows}
    rows = [(*row, "; ".join(by_asset.get(row[at], [])) or None) for row in result.rows]
    notes = [f"{len(found):,} summary totals of this snapshot disagree with its detail rows (loaded with --allow-mismatch): "
             "summary_mismatch is detail sum minus published total; published_totals_check lists them"]  # fmt: skip
    elsewhere = [t for asset, texts in by_asset.items() if asset not in shown for t in texts]
    if elsewhere:
        notes.append(f"summary totals of no asset above that disagree too: {'; '.join(elsewhere)}")
    return ResultSet([*result.columns, "summary_mismatch"], [*result.types, "VARCHAR"], rows, result.title, result.total_rows, [*result.notes, *notes])


def report_html(db: PathLike | None = None, snapshot: int | None = None, out: PathLike | None = None, *, on_wait: Log | None = None) -> Path:
    """Write the self-contained HTML report (tables and charts) of a snapshot; returns its path."""
    con = open_db(db, on_wait=on_wait)
    try:
        return _write_html(con, resolve_snapshot(con, snapshot), out)
    finally:
        con.close()


# ------------------------------------------------------------------------------------ analyst
def diff(a: int, b: int, db: PathLike | None = None, *, addresses: str | None = None, on_wait: Log | None = None) -> ResultSet:
    """Two snapshots of one exchange compared per asset and network, or address by address
    (``addresses``: ``all``, ``added``, ``removed`` or ``kept``)."""
    from indexer.series import SeriesError, diff as diff_rel, diff_addresses

    if addresses is not None and addresses not in ("all", "added", "removed", "kept"):
        raise PorError("addresses takes all, added, removed or kept")
    con = open_db(db, on_wait=on_wait)
    try:
        try:
            rel = diff_rel(con, a, b) if addresses is None else diff_addresses(con, a, b, None if addresses == "all" else addresses)
        except SeriesError as exc:
            raise PorError(str(exc)) from None
        result = ResultSet.from_relation(rel, title=f"snapshot {a} -> {b}")
        result.keep = DIFF_KEEP
        return result
    finally:
        con.close()


def import_prices(file: PathLike, db: PathLike | None = None, *, on_wait: Log | None = None) -> int:
    """Load USD prices from an ``asset,at,usd`` CSV (offline); a file with any bad line is refused whole."""
    from indexer.prices import PriceError, import_prices as _import

    con = connect(db, on_wait=on_wait)
    try:
        try:
            return _import(con, Path(file))
        except PriceError as exc:
            raise PorError(str(exc)) from None
    finally:
        con.close()


def fetch_prices(
    db: PathLike | None = None, config: Any = None, snapshots: int | Sequence[int] | None = None, *, on_progress: Any = None,
    progress: Progress | None = None, on_wait: Log | None = None,
) -> Any:
    """Historical USD prices for every snapshot's publication time (DefiLlama, then CoinGecko), cached in ``prices``.

    ``progress`` gets one task per source (``prices from defillama``: requests done of the total); ``on_progress``
    (source, done, total) is the raw callback underneath, for callers that want the numbers themselves."""
    from indexer.config import PorConfig, load_config
    from indexer.prices import fetch_prices as _fetch, price_settings

    cfg = config if isinstance(config, PorConfig) else load_config(config)
    shown: dict[str, int] = {}

    def heard(source: str, done: int, total: int) -> None:
        task = f"prices from {source}"
        if task not in shown:
            progress.start(task, total or None)  # type: ignore[union-attr]
            shown[task] = 0
        progress.advance(task, done - shown[task])  # type: ignore[union-attr]
        shown[task] = done
        if on_progress is not None:
            on_progress(source, done, total)

    con = connect(db, on_wait=on_wait)
    try:
        chosen = [snapshots] if isinstance(snapshots, int) else list(snapshots) if snapshots else None
        return _fetch(con, price_settings(cfg), chosen, on_progress=heard if progress else on_progress)
    finally:
        con.close()
        for task in shown:
            progress.finish(task)  # type: ignore[union-attr]


def export(
    out_dir: PathLike, db: PathLike | None = None, snapshot: int | None = None, *, format: str = "parquet", overwrite: bool = False,
    on_wait: Log | None = None,
) -> Any:
    """Every table and the main views as Parquet, Hive-partitioned by exchange and snapshot (read-only).
    ``format`` is there so the CLI's ``--format`` has one place that knows what is supported: parquet only."""
    from indexer.export import ExportError, export_parquet

    if format != "parquet":
        raise PorError(f"--format {format} is not supported; use parquet")
    con = open_db(db, on_wait=on_wait)
    try:
        if snapshot is not None:
            resolve_snapshot(con, snapshot)
        try:
            return export_parquet(con, Path(out_dir), snapshot, overwrite=overwrite)
        except ExportError as exc:
            raise PorError(str(exc)) from None
    finally:
        con.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def statement_types(query: str) -> list[str]:
    """DuckDB's own parse of ``query``: one statement type name per statement (SELECT, DELETE, …)."""
    try:
        return [str(s.type).rsplit(".", 1)[-1] for s in duckdb.extract_statements(query)]
    except duckdb.Error as exc:
        raise PorError(f"the query does not parse: {_first_line(exc)}") from exc


def writes(query: str) -> list[str]:
    """The statement types in ``query`` that may change something (anything but SELECT/EXPLAIN/PRAGMA/CALL)."""
    return [t for t in statement_types(query) if t not in _READ_ONLY_TYPES]


def sql(
    query: str, db: PathLike | None = None, *, write: bool = False, limit: int | None = None, log: Log | None = None, on_wait: Log | None = None,
) -> ResultSet | None:
    """Run SQL; read-only unless ``write=True``. Returns the last statement's rows (None if it has none).

    Read-only means twice: statements that may write are refused before anything runs
    (``ReadOnlyQuery``), and the database is opened read-only anyway. When statements that may write ran,
    ``log`` hears that their changes are committed (a person should not have to wonder).
    """
    changing = writes(query)
    if changing and not write:
        copy = " (or use --format csv instead of COPY)" if "COPY" in changing else ""  # the alternative of COPY only
        raise ReadOnlyQuery(
            f"por sql is read-only and this query has a {', '.join(sorted(set(changing)))} statement: "
            f"add --write to change the database{copy}"
        )
    con = open_db(db, read_only=not write, on_wait=on_wait)
    try:
        try:
            rel = con.sql(query)
        except duckdb.Error as exc:
            raise PorError(query_error(exc)) from exc
        if changing and log is not None:
            log("the statements ran and their changes are committed")
        if rel is None:
            return None
        try:
            result = ResultSet.from_relation(rel, limit=limit)
        except duckdb.Error as exc:
            raise PorError(query_error(exc)) from exc
        result.keep = SQL_KEEP
        return result
    finally:
        con.close()


def query_error(exc: BaseException) -> str:
    """One sentence for a failed query, naming what was wrong; DuckDB's full text stays under --debug."""
    import re

    text = str(exc)
    m = re.search(r"Table with name (\S+) does not exist", text)
    if m:
        return f"there is no table or view named {m.group(1)}: `por sql \"show tables\"` lists them"
    m = re.search(r'Referenced column "?([^"\s]+)"? not found', text)
    if m:
        return f"there is no column {m.group(1)} there: `por sql \"describe TABLE\"` lists a table's columns"
    if isinstance(exc, duckdb.ParserException):
        return f"the query does not parse: {_first_line(exc)}"
    return f"the query failed: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return line.split(": ", 1)[1] if line.startswith(("Parser Error", "Binder Error", "Catalog Error", "Conversion Error", "Invalid Input Error")) and ": " in line else line


def committed(db: PathLike | None = None, snapshot: int | None = None) -> dict[str, int]:
    """What a snapshot holds now (rows, verdicts, balances): the facts an interrupted run reports."""
    con = open_db(db)
    try:
        sid = resolve_snapshot(con, snapshot)
        row = con.execute(
            """select (select count(*) from addresses where snapshot_id = $sid),
                      (select count(*) from signatures where snapshot_id = $sid),
                      (select count(*) from balances where snapshot_id = $sid and as_of = 'snapshot' and status = 'ok'),
                      (select count(*) from balances where snapshot_id = $sid and as_of = 'latest' and status = 'ok')""",
            {"sid": sid},
        ).fetchall()[0]
    finally:
        con.close()
    return {"snapshot_id": sid, "rows": row[0], "signatures": row[1], "balances_snapshot": row[2], "balances_latest": row[3]}


@dataclass
class NetworkList(ResultSet):
    """``networks``' table, and the plugins that failed to load (name -> error): a network whose adapter is in one
    of them shows as not installed, and this says why."""

    plugin_errors: dict[str, str] = field(default_factory=dict)


def networks(config: Any = None, db: PathLike | None = None, snapshot: int | None = None, *, on_wait: Log | None = None) -> NetworkList:
    """Every registry network, its adapter, plugin state and configuration; with a database, its rows per network.

    The database is read only if it exists (a missing default ``por.duckdb`` is not an error
    here: the registry is useful without one); a ``db`` named explicitly must exist.
    """
    from indexer.config import PorConfig, load_config
    from indexer.fetch import network_status
    from indexer.plugins import plugin_errors

    cfg = config if isinstance(config, PorConfig) else load_config(config)
    rows = network_status(cfg)
    # what the registry and each adapter's AdapterCapabilities declare: how native coins and tokens are read, which
    # block the value is read at, and what a provider must offer (archive state, a history API, retention)
    columns = ["network", "adapter", "plugin", "configured", "native_methods", "token_methods", "block_reference", "needs", "chain_id", "description"]
    types = ["VARCHAR"] * 8 + ["BIGINT", "VARCHAR"]
    notes: list[str] = []
    target = db_path(db)
    if db is not None or Path(target).exists():
        con = open_db(db, on_wait=on_wait)
        try:
            try:
                sid = resolve_snapshot(con, snapshot)
            except PorError:
                if snapshot is not None:
                    raise
                sid = 0  # no snapshot yet: every network has 0 rows
            counts = dict(con.execute("select network, count(*) from addresses where snapshot_id = ? group by network", [sid]).fetchall())
        finally:
            con.close()
        for r in rows:
            r["rows"] = int(counts.get(r["network"], 0))
        columns.insert(4, "rows")
        types.insert(4, "BIGINT")
        title = f"networks (rows of snapshot {sid} in {target})"
    else:
        title = "networks"
        notes.append(f"no database at {target}: row counts omitted (pass --db)")
    return NetworkList(columns, types, [tuple(r.get(c) for c in columns) for r in rows], title=title, notes=notes,
                       keep=NETWORKS_KEEP, plugin_errors=plugin_errors())  # fmt: skip


# ------------------------------------------------------------------------------------ synth
@dataclass
class SynthResult:
    """What ``synth`` wrote, and with ``db`` what ingest did with it."""

    exchange: str
    months: int | None = None  # a monthly series (OKX): one file and its liabilities per month
    files: list[Path] = field(default_factory=list)  # the PoR files, in the order written
    liabilities: list[Path] = field(default_factory=list)  # their asset,amount files (where the plugin writes them)
    rows: int = 0  # detail rows written, all files
    coin_keys: int | None = None  # distinct coin keys (one OKX file)
    ingested: list[IngestOutcome] = field(default_factory=list)  # with ``db``: one per file

    def lines(self) -> list[str]:
        """What was written, one line per file or series month (what ``por synth`` prints)."""
        if self.months is not None:
            return [f"wrote {path} and {liab}" for path, liab in zip(self.files, self.liabilities)]
        if self.coin_keys is None:  # a plugin that does not count coin keys
            return [f"wrote {self.rows:,} {self.exchange} rows to {self.files[0]}"]
        return [f"wrote {self.rows:,} rows over {self.coin_keys} coin keys to {self.files[0]}"]


DEMO_ROWS = 2000  # a synthetic file's rows when nobody says: the demo of ``por run``, ``por synth`` without --rows


def synth(
    out: PathLike,
    rows: int | None = None,
    *,
    exchange: str | None = None,
    seed: int = 1,
    liabilities_out: PathLike | None = None,
    months: int | None = None,
    db: PathLike | None = None,
    on_file: Callable[[IngestOutcome], None] | None = None,
    progress: Progress | None = None,
    log: Log | None = None,
    on_wait: Log | None = None,
) -> SynthResult:
    """Write a realistic synthetic PoR file with real signatures in an exchange's layout (the built-in demo input).

    ``exchange`` names the plugin whose layout is written; None: the installed plugin that writes the demo
    publication (``demo=True``). ``rows`` defaults to ``DEMO_ROWS`` (per month with ``months``). ``months`` writes a
    monthly series into the directory ``out`` (one file and its liabilities per month, where the plugin supports
    it); ``liabilities_out`` also writes one file's liabilities.
    ``log`` hears what was written (``SynthResult.lines``) before anything is ingested. With ``db`` every file
    written is ingested there too (``on_error="stop"``; ``on_file`` hears each outcome). Same seed, same files.
    """
    out = Path(out)
    rows = DEMO_ROWS if rows is None else rows
    from indexer.exchange_plugins import demo_plugin, exchange_plugin  # the plugin writes its own layout
    from indexer.registry import registry

    try:
        plugin = exchange_plugin(exchange) if exchange else demo_plugin()
        if plugin.synth is None:
            raise ValueError(f"the {plugin.name} plugin writes no synthetic publications")
        written = plugin.synth(out, rows, seed, registry(), liabilities_out=liabilities_out, months=months)
    except ValueError as exc:
        raise PorError(str(exc)) from None
    result = SynthResult(plugin.name, months)
    result.files, result.liabilities, result.rows, result.coin_keys = written.files, written.liabilities, written.rows, written.coin_keys
    for line in result.lines() if log is not None else ():
        log(line)
    if db is not None:

        def heard(outcome: IngestOutcome) -> None:
            result.ingested.append(outcome)
            if on_file is not None:
                on_file(outcome)

        ingest(result.files, db, on_file=heard, progress=progress, on_wait=on_wait)
    return result


# ------------------------------------------------------------------------------------ run
@dataclass
class SnapshotRun:
    """What ``run`` did to one snapshot; a ``*_skipped`` text says why a step did not run."""

    snapshot_id: int
    ingest: Any = None
    verify: Any = None
    verify_skipped: str = ""
    fetch: Any = None
    fetch_skipped: str = ""
    liabilities: Any = None
    report: Report | None = None


@dataclass
class RunResult:
    snapshots: list[SnapshotRun] = field(default_factory=list)
    demo_file: Path | None = None


def run(
    files: PathLike | Sequence[PathLike] | None = None,
    db: PathLike | None = None,
    *,
    config: PathLike | None = None,
    liabilities: PathLike | None = None,
    label: str | None = None,
    allow_mismatch: bool = False,
    max_rejected: str | Any = None,
    demo_dir: PathLike = ".",
    on_error: str = "stop",
    on_file: Callable[[IngestOutcome], None] | None = None,
    progress: Progress | None = None,
    log: Log | None = None,
    on_wait: Log | None = None,
) -> RunResult:
    """Everything the installed plugins can do: ingest, verify, fetch (only with ``config``), liabilities, report.

    Without files it writes and uses a 2,000-row synthetic demo file in ``demo_dir``, once the database is known
    usable (an unusable ``db`` writes no demo file). A database this run created and loaded nothing into is removed.
    The files go through ``ingest`` with ``on_error`` (default ``"stop"``, as ``por run``: a refused file ends
    the run before any verify or fetch, which may take hours, is spent on the others; ``"continue"`` runs every
    step on the files that loaded, then raises ``FilesRefused`` with this run's ``RunResult`` on its ``result``);
    ``on_file`` hears each file's outcome, else ``log`` gets its ``ingest_messages``.
    """
    files = None if files is None else _paths(files)
    with removed_if_unused(db):
        return _run(files, db, config=config, liabilities=liabilities, label=label, allow_mismatch=allow_mismatch,
                    max_rejected=max_rejected, demo_dir=demo_dir, on_error=on_error, on_file=on_file, progress=progress,
                    log=log, on_wait=on_wait)  # fmt: skip


def _run(files, db, *, config, liabilities, label, allow_mismatch, max_rejected, demo_dir, on_error, on_file, progress, log, on_wait) -> RunResult:
    from indexer.plugins import plugins

    log = log or (lambda _msg: None)
    if on_file is None:

        def on_file(outcome: IngestOutcome) -> None:
            for message in ingest_messages(outcome):
                log(str(message))
    result = RunResult()
    connect(db, on_wait=on_wait).close()  # an unusable --db (locked, not DuckDB, newer schema) fails before any file is written
    if not files:
        from indexer.exchange_plugins import demo_plugin
        from indexer.registry import registry

        demo = Path(demo_dir) / "por-demo.csv"
        demo_liabilities = Path(demo_dir) / "por-demo-liabilities.csv"
        log(f"no file given: writing a synthetic demo file {demo} ({DEMO_ROWS:,} rows, seed 1)")
        demo_plugin().synth(demo, DEMO_ROWS, 1, registry(), liabilities_out=demo_liabilities)
        files = [demo]
        liabilities = liabilities or demo_liabilities
        result.demo_file = demo
    refused: FilesRefused | None = None
    try:
        loaded = ingest(files, db, label=label, allow_mismatch=allow_mismatch, max_rejected=max_rejected, on_error=on_error,
                        on_file=on_file, progress=progress, on_wait=on_wait)  # fmt: skip
    except FilesRefused as exc:  # on_error="continue": the loaded files go on, the refusal is raised at the end
        loaded, refused = exc.reports, exc
    for rep in loaded:
        sid = rep.snapshot_id if rep.snapshot_id is not None else rep.duplicate_of
        result.snapshots.append(SnapshotRun(snapshot_id=sid, ingest=rep))
    have_verifiers = any(p.schemes for p in plugins())
    for step in result.snapshots:
        if have_verifiers:
            step.verify = verify(db, step.snapshot_id, progress=progress, on_wait=on_wait)
        else:
            step.verify_skipped = "no signature plugin is installed"
        if config is not None:
            step.fetch = fetch(db, config, step.snapshot_id, progress=progress, on_wait=on_wait)
        else:
            step.fetch_skipped = "no --config given, so no network was touched"
        if liabilities is not None:
            step.liabilities = load_liabilities(liabilities, db, step.snapshot_id, config=config, on_wait=on_wait)
            log(f"{step.liabilities.message}.")
        step.report = report(db, step.snapshot_id, on_wait=on_wait)
    if refused is not None:
        refused.result = result  # type: ignore[attr-defined]
        raise refused
    return result


__all__ = [
    "FilesRefused",
    "IngestOutcome",
    "Message",
    "NetworkList",
    "OnchainFigure",
    "PorError",
    "RatioCheck",
    "ReadOnlyQuery",
    "Report",
    "RunResult",
    "SnapshotRun",
    "StoreError",
    "SynthResult",
    "committed",
    "db_path",
    "diff",
    "export",
    "fetch",
    "fetch_async",
    "fetch_failures",
    "fetch_prices",
    "import_prices",
    "ingest",
    "ingest_messages",
    "load_liabilities",
    "networks",
    "open_db",
    "report",
    "report_columns",
    "report_html",
    "resolve_snapshot",
    "run",
    "sql",
    "synth",
    "unverified_snapshots",
    "verify",
    "verify_all",
    "verify_failures",
]
