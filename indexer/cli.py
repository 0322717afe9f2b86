"""The ``por`` command: a thin typer layer over the ``indexer`` library.

Each command opens the database, calls one library function and renders the
result with rich. Errors become one sentence and exit code 2 (1 when a check
the user asked for fails); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import contextmanager
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="Check an exchange's Proof of Reserves against the chains themselves.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
# Piped output is for machines and logs: do not wrap it at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


class UserError(Exception):
    """A problem the user can fix; printed as one sentence, exit code 2."""


class CheckFailed(Exception):
    """A check the user asked to be told about found a problem; exit code 1."""


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


class AsOf(str, Enum):
    snapshot = "snapshot"
    latest = "latest"


DbOption = Annotated[Optional[Path], typer.Option("--db", help="DuckDB file (default: $POR_DB or ./por.duckdb).")]
SnapshotOption = Annotated[Optional[int], typer.Option("--snapshot", help="Snapshot id (default: the latest).")]
_state = {"debug": False}


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False) -> None:
    _state["debug"] = debug


def _connect(db: Path | None):
    from indexer.store import connect

    return connect(db)


def _snapshot(con, snapshot: int | None) -> int:
    if snapshot is not None:
        if not con.execute("select 1 from snapshots where snapshot_id = ?", [snapshot]).fetchall():
            raise UserError(f"there is no snapshot {snapshot} in this database")
        return snapshot
    row = con.execute("select max(snapshot_id) from snapshots").fetchall()
    if not row or row[0][0] is None:
        raise UserError("the database has no snapshot yet: run `por ingest FILE` first")
    return int(row[0][0])


# ---------------------------------------------------------------------------------------- ingest
@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="PoR files: CSV, .gz or .zip.", show_default=False)],
    db: DbOption = None,
    exchange: Annotated[str, typer.Option(help="Exchange that published the files.")] = "okx",
    label: Annotated[Optional[str], typer.Option(help="Free text stored with the snapshot (default: the date and version in the file name).")] = None,
) -> None:
    """Load PoR files into the database: each file (all members of a zip) is one snapshot, all or nothing.

    The label defaults to the date and version in OKX's file name (por_csv_2026063016_V2.zip).

    Example: por ingest por_csv_2026063016_V2.zip --label "June 2026"
    """
    from indexer.ingest import IngestError

    con = _connect(db)
    failed = []
    for path in files:
        try:
            reports = _ingest_with_progress(con, path, exchange, label)
        except IngestError as exc:
            err_console.print(f"[red]error:[/red] {exc}")
            failed.append(path)
            continue
        for r in reports:
            if r.duplicate_of is not None:
                console.print(f"{r.source_file}: already ingested as snapshot {r.duplicate_of}; nothing loaded.")
            else:
                named = f" \"{r.label}\"" if r.label else ""
                console.print(
                    f"{r.source_file}: snapshot {r.snapshot_id}{named} ({r.layout}): {r.rows:,} rows loaded, "
                    f"{r.errors:,} rejected (see ingest_errors), {r.totals:,} summary totals."
                )
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


def _ingest_with_progress(con, path: Path, exchange: str, label: str | None):
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn, TransferSpeedColumn

    from indexer.ingest import ingest_file

    # Bytes of the member drive the bar, rate and ETA (row counts are unknown up front); rows are shown beside.
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rows]:,} rows"),
               TransferSpeedColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]  # fmt: skip
    with Progress(*columns, console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        task = progress.add_task(f"ingest {path.name}", total=None, rows=0)
        rows = [0]

        def on_rows(n: int) -> None:
            rows[0] += n
            progress.update(task, rows=rows[0])

        return ingest_file(con, path, exchange=exchange, label=label, on_progress=on_rows,
                           on_bytes=lambda done, size: progress.update(task, completed=done, total=size))  # fmt: skip


# ---------------------------------------------------------------------------------------- verify
@app.command()
def verify(
    db: DbOption = None,
    snapshot: SnapshotOption = None,
    workers: Annotated[Optional[int], typer.Option(help="Processes (default: all cores).")] = None,
    okx_compat: Annotated[bool, typer.Option("--okx-compat", help="Also record the verdict OKX's own tool would give.")] = False,
    fail_on_failed: Annotated[bool, typer.Option("--fail-on-failed", help="Exit 1 when any signature failed.")] = False,
) -> None:
    """Verify every row's ownership signature, strictly; resumable.

    Example: por verify --okx-compat && por sql "select * from signature_disagreements"
    """
    from indexer.verify import verify_snapshot

    con = _connect(db)
    sid = _snapshot(con, snapshot)
    summary = verify_snapshot(con, sid, workers=workers, okx_compat=okx_compat, show_progress=err_console.is_terminal)
    _print_verify_summary(con, sid)
    console.print(f"{summary}")
    if fail_on_failed and _count(con, "select count(*) from signatures where snapshot_id = ? and status = 'failed'", sid):
        raise CheckFailed("some signatures failed verification")


def _count(con, sql: str, *params: Any) -> int:
    return int(con.execute(sql, list(params)).fetchall()[0][0])


def _print_verify_summary(con, sid: int) -> None:
    table = Table(title=f"signatures, snapshot {sid}")
    for col in ("family", "verified", "signature_only", "failed", "unsupported"):
        table.add_column(col, justify="right" if col != "family" else "left")
    rows = con.execute(
        """select coalesce(family, '-'),
                  count(*) filter (where status = 'verified'), count(*) filter (where status = 'signature_only'),
                  count(*) filter (where status = 'failed'), count(*) filter (where status = 'unsupported')
           from signatures where snapshot_id = ? group by 1 order by 1""",
        [sid],
    ).fetchall()
    for r in rows:
        table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in r])
    console.print(table)


# ---------------------------------------------------------------------------------------- fetch
@app.command()
def fetch(
    db: DbOption = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="por.toml (default: $POR_CONFIG).")] = None,
    snapshot: SnapshotOption = None,
    at: Annotated[AsOf, typer.Option("--at", help="Balances at the snapshot height or at the current tip.")] = AsOf.snapshot,
    network: Annotated[Optional[list[str]], typer.Option("--network", help="Only these networks (repeatable).")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Refetch rows that already have a balance.")] = False,
    rewind: Annotated[bool, typer.Option("--rewind", help="UTXO: roll a dedicated node back to the snapshot height (sets options.rewind of the named network).")] = False,
    utxo_dump: Annotated[Optional[Path], typer.Option("--utxo-dump", help="UTXO: read balances from a dumptxoutset file (sets options.utxo_dump of the named network).")] = None,
    fail_on_error: Annotated[bool, typer.Option("--fail-on-error", help="Exit 1 if a network was blocked, any balance could not be read, or a snapshot row got only the current value.")] = False,
) -> None:
    """Fetch on-chain balances for every row an installed adapter serves; resumable.

    Example: por fetch --config por.toml --network ETH --at snapshot
    """
    from indexer.config import load_config
    from indexer.fetch import fetch_snapshot

    cfg = load_config(config)
    con = _connect(db)
    sid = _snapshot(con, snapshot)
    utxo_options: dict[str, Any] = ({"rewind": True} if rewind else {}) | ({"utxo_dump": str(utxo_dump)} if utxo_dump else {})
    summary = fetch_snapshot(
        con, cfg, sid, at=at.value, networks=network, refresh=refresh, adapter_options={"utxo": utxo_options},
        show_progress=err_console.is_terminal,
    )  # fmt: skip
    console.print(f"{summary}")
    if fail_on_error and (summary.blocked or summary.rows_error or summary.rows_latest_proxy):
        raise CheckFailed(
            f"{summary.rows_error:,} balances could not be read, {summary.rows_latest_proxy:,} only at the current state;"
            f" blocked networks: {', '.join(summary.blocked) or 'none'}"
        )


@app.command()
def networks(
    config: Annotated[Optional[Path], typer.Option("--config", help="por.toml (default: $POR_CONFIG).")] = None,
) -> None:
    """List every network in the registry, its balance adapter, and whether it is configured.

    Example: por networks --config por.toml
    """
    from indexer.config import load_config
    from indexer.fetch import network_status
    from indexer.plugins import plugin_errors

    rows = network_status(load_config(config))
    _render(rows, Format.table, title="networks")
    for name, error in plugin_errors().items():
        err_console.print(f"[yellow]plugin {name} failed to load:[/yellow] {error}")


# ---------------------------------------------------------------------------------------- liabilities
@app.command()
def liabilities(
    file: Annotated[Path, typer.Argument(help="asset,amount CSV, OKX's Merkle v1/v2 file, OKX's audit page JSON, or sum_proof_data.json (or its zip).")],
    db: DbOption = None,
    snapshot: SnapshotOption = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="por.toml with [proof] verifier (default: $POR_CONFIG).")] = None,
) -> None:
    """Load what the exchange owes per asset; Merkle files and zk proofs are checked first.

    The audit page binds to the snapshot (default: the latest); a zk proof must match its merkleHash.

    Example: por liabilities audit_508399035.json --snapshot 3 && por liabilities por_508399035_proof_data.zip
    """
    con = _connect(db)
    sid = _snapshot(con, snapshot)
    loaded = _load_liability_file(con, file, sid, config)
    console.print(f"{loaded.message}.", markup=False, highlight=False, soft_wrap=True)
    if loaded.check_failed:
        raise CheckFailed(loaded.check_failed)


def _load_liability_file(con, file: Path, sid: int, config: Path | None):
    from indexer.audit import load_liability_file
    from indexer.config import load_config
    from indexer.liabilities import LiabilityError

    try:
        with _elapsed_progress("zk-por-cli verify-global (minutes to half an hour)") as tick:
            return load_liability_file(con, file, sid, verifier_setting=load_config(config).proof_verifier, on_tick=tick)
    except LiabilityError as exc:
        raise UserError(f"{file} was refused: {exc}") from None
    except OSError as exc:
        raise UserError(f"{file} could not be read: {exc.strerror}") from None


@contextmanager
def _elapsed_progress(description: str):
    """A spinner with elapsed time for work whose length nobody can predict; yields the tick callback."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn(description), TimeElapsedColumn(), console=err_console, transient=True,
                  disable=not err_console.is_terminal) as progress:  # fmt: skip
        task = None

        def tick(_seconds: float) -> None:
            nonlocal task
            task = progress.add_task(description, total=None) if task is None else task
            progress.refresh()

        yield tick


# ---------------------------------------------------------------------------------------- report / sql
REPORT_SQL = """
select asset,
       onchain_verified_reserves, published_verified_reserves, onchain_reserves, published_reserves, liabilities,
       ratio_onchain_verified, ratio_onchain, ratio_published,
       claimed_reserves, custody_reserves, ratio_claimed, ratio_onchain_with_custody,
       rows, rows_fetched
from reserve_ratios where snapshot_id = ?
order by liabilities is null, published_reserves desc nulls last, asset
"""


@app.command()
def report(
    db: DbOption = None,
    snapshot: SnapshotOption = None,
    format: Annotated[ReportFormat, typer.Option("--format", help="table, json, csv, or html (one self-contained page with charts).")] = ReportFormat.table,
    min_ratio: Annotated[Optional[float], typer.Option(help="Exit 1 if any asset's best available ratio is below this.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="html: where to write the page (default: por-report-<snapshot>.html).")] = None,
) -> None:
    """Print reserves and reserve ratios per asset — signature-verified on-chain totals first.

    Example: por report --format json --min-ratio 1.0
    Example: por report --format html --out okx-2026-05.html
    """
    con = _connect(db)
    sid = _snapshot(con, snapshot)
    if format is ReportFormat.html:
        from indexer.report_html import write_html_report

        path = write_html_report(con, sid, out or Path(f"por-report-{sid}.html"))
        console.print(f"wrote {path}")
        format = None  # the --min-ratio check below still applies
    cur = con.execute(REPORT_SQL, [sid])
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    if format is not None:
        _render(rows, Format(format.value), title=f"reserves, snapshot {sid}")
        _print_proof_status(con, sid, Format(format.value))
    if min_ratio is not None:
        low = [r["asset"] for r in rows if _best_ratio(r) is not None and _best_ratio(r) < min_ratio]
        if low:
            raise CheckFailed(f"reserve ratio below {min_ratio} for {', '.join(low)}")


def _print_proof_status(con, sid: int, fmt: Format) -> None:
    """The one line saying which proof checks ran; on stderr for json/csv so stdout stays machine-readable."""
    from indexer.audit import proof_status

    (console if fmt is Format.table else err_console).print(proof_status(con, sid), markup=False, highlight=False, soft_wrap=True)


def _best_ratio(row: dict[str, Any]) -> float | None:
    for key in ("ratio_onchain_verified", "ratio_onchain", "ratio_published"):
        if row.get(key) is not None:
            return row[key]
    return None


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the database.")],
    db: DbOption = None,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
) -> None:
    """Run SQL over the tables and views.

    Example: por sql "select asset, onchain_verified_amount from reserves order by 2 desc"
    """
    import duckdb

    con = _connect(db)
    try:
        cur = con.execute(query)
    except duckdb.Error as exc:
        raise UserError(f"the query failed: {str(exc).splitlines()[0]}") from None
    if cur.description is None:
        return
    names = [d[0] for d in cur.description]
    _render([dict(zip(names, r)) for r in cur.fetchall()], format)


# ---------------------------------------------------------------------------------------- synth / run
@app.command()
def synth(
    rows: Annotated[int, typer.Option("--rows", min=1, help="Detail rows to write.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PoR CSV.")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same file.")] = 1,
    liabilities_out: Annotated[Optional[Path], typer.Option("--liabilities-out", help="Also write asset,amount liabilities.")] = None,
    months: Annotated[Optional[int], typer.Option("--months", min=1, help="Write a monthly series into the --out directory.")] = None,
) -> None:
    """Write a realistic synthetic OKX PoR file with real signatures (the built-in demo input).

    Example: por synth --rows 10000 --out demo.csv --liabilities-out demo_liabilities.csv
    Example: por synth --rows 2000 --months 6 --out series/   (okx_por_<YYYYMMDDHH>.csv + liabilities_<...>.csv per month)
    """
    from indexer.synth import write_synth_file, write_synth_series

    if months is not None:
        for path, liab in write_synth_series(out, rows, months, seed):
            console.print(f"wrote {path} and {liab}")
        return

    counts = write_synth_file(out, rows, seed, liabilities_out)
    console.print(f"wrote {sum(counts.values()):,} rows over {len(counts)} coin keys to {out}")


@app.command()
def run(
    files: Annotated[Optional[list[Path]], typer.Argument(help="PoR files (default: a 2,000-row synthetic demo).")] = None,
    db: DbOption = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="por.toml; without it no network is touched.")] = None,
    liabilities_file: Annotated[Optional[Path], typer.Option("--liabilities", help="Liabilities file to load.")] = None,
    label: Annotated[Optional[str], typer.Option(help="Free text stored with the snapshot.")] = None,
) -> None:
    """Everything the installed plugins can do: ingest, verify, fetch (with --config), report.

    Example: por run okx_por.csv --config por.toml --liabilities liabilities.csv
    """
    from indexer.ingest import IngestError
    from indexer.plugins import plugins

    con = _connect(db)
    if not files:
        from indexer.synth import write_synth_file

        demo = Path("por-demo.csv")
        demo_liabilities = Path("por-demo-liabilities.csv")
        console.print(f"no file given: writing a synthetic demo file {demo} (2,000 rows, seed 1)")
        write_synth_file(demo, 2000, 1, demo_liabilities)
        files = [demo]
        liabilities_file = liabilities_file or demo_liabilities
    snapshot_ids = []
    for path in files:
        try:
            reports = _ingest_with_progress(con, path, "okx", label)
        except IngestError as exc:
            raise UserError(str(exc)) from None
        for r in reports:
            sid = r.snapshot_id if r.snapshot_id is not None else r.duplicate_of
            snapshot_ids.append(sid)
            state = f"already ingested as snapshot {sid}" if r.duplicate_of else f"snapshot {sid}: {r.rows:,} rows, {r.errors:,} rejected"
            console.print(f"ingest {r.source_file}: {state}")
    have_verifiers = any(p.verifiers for p in plugins())
    for sid in snapshot_ids:
        if have_verifiers:
            from indexer.verify import verify_snapshot

            verify_snapshot(con, sid, show_progress=err_console.is_terminal)
            _print_verify_summary(con, sid)
        else:
            console.print("skipped verify: no signature plugin is installed")
        if config is not None:
            from indexer.config import load_config
            from indexer.fetch import fetch_snapshot

            console.print(fetch_snapshot(con, load_config(config), sid, show_progress=err_console.is_terminal))
        else:
            console.print("skipped fetch: no --config given, so no network was touched")
        if liabilities_file is not None:
            console.print(f"{_load_liability_file(con, liabilities_file, sid, config).message}.", markup=False, highlight=False, soft_wrap=True)
        cur = con.execute(REPORT_SQL, [sid])
        names = [d[0] for d in cur.description]
        _render([dict(zip(names, r)) for r in cur.fetchall()], Format.table, title=f"reserves, snapshot {sid}")
        _print_proof_status(con, sid, Format.table)


# ---------------------------------------------------------------------------------------- analyst: diff / prices / export
@app.command()
def diff(
    a: Annotated[int, typer.Argument(help="The earlier snapshot id.")],
    b: Annotated[int, typer.Argument(help="The later snapshot id.")],
    db: DbOption = None,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    addresses: Annotated[Optional[str], typer.Option("--addresses", help="Per address instead: all, added, removed or kept.")] = None,
) -> None:
    """Compare two snapshots of one exchange per asset and network: addresses added, removed, kept, amounts and change.

    Example: por diff 3 4 --format csv
    Example: por diff 3 4 --addresses added
    """
    from indexer.series import SeriesError, diff as diff_rows, diff_addresses

    con = _connect(db)
    try:
        if addresses is None:
            rows = diff_rows(con, a, b)
        else:
            if addresses not in ("all", "added", "removed", "kept"):
                raise UserError("--addresses takes all, added, removed or kept")
            rows = diff_addresses(con, a, b, None if addresses == "all" else addresses)
    except SeriesError as exc:
        raise UserError(str(exc)) from None
    _render(rows, format, title=f"snapshot {a} -> {b}")


prices_app = typer.Typer(help="USD prices for valuing snapshots: import a CSV or fetch from public price APIs.", no_args_is_help=True)
app.add_typer(prices_app, name="prices")


@prices_app.command("import")
def prices_import(
    file: Annotated[Path, typer.Argument(help="CSV with the header asset,at,usd (at: date, ISO time or Unix seconds).")],
    db: DbOption = None,
) -> None:
    """Load USD prices from a CSV (works offline); a file with any bad line is refused whole.

    Example: por prices import prices.csv   (asset,at,usd / BTC,2026-05-01,96512.25)
    """
    from indexer.prices import PriceError, import_prices

    con = _connect(db)
    try:
        n = import_prices(con, file)
    except PriceError as exc:
        raise UserError(str(exc)) from None
    console.print(f"{n:,} prices loaded from {file}.")


@prices_app.command("fetch")
def prices_fetch(
    db: DbOption = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="por.toml with an optional [prices] section.")] = None,
    snapshot: Annotated[Optional[list[int]], typer.Option("--snapshot", help="Only these snapshots (repeatable; default: all).")] = None,
) -> None:
    """Fetch historical USD prices for every snapshot's publication time (DefiLlama, then CoinGecko); cached.

    Example: por prices fetch --config por.toml
    """
    from indexer.config import load_config
    from indexer.prices import fetch_prices, price_settings

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    con = _connect(db)
    settings = price_settings(load_config(config))
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("requests"), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        tasks: dict[str, Any] = {}

        def show(source: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = progress.add_task(f"prices from {source}", total=total or None)
            progress.update(tasks[source], completed=done, total=total or None)

        report = fetch_prices(con, settings, snapshot, on_progress=show)
    console.print(f"{report}")


@app.command()
def export(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write into.")],
    db: DbOption = None,
    format: Annotated[str, typer.Option("--format", help="parquet (Hive-partitioned by exchange and snapshot).")] = "parquet",
    snapshot: Annotated[Optional[int], typer.Option("--snapshot", help="Only this snapshot's rows (default: all).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace what an earlier export wrote there.")] = False,
) -> None:
    """Export every table and the main views as Parquet for DuckDB, Spark, Trino or pandas.

    Example: por export --format parquet out/por-parquet --snapshot 3
    """
    from indexer.export import ExportError, export_parquet

    if format != "parquet":
        raise UserError(f"--format {format} is not supported; use parquet")
    con = _connect(db)
    if snapshot is not None:
        _snapshot(con, snapshot)
    try:
        console.print(f"{export_parquet(con, out_dir, snapshot, overwrite=overwrite)}")
    except ExportError as exc:
        raise UserError(str(exc)) from None


# ---------------------------------------------------------------------------------------- rendering
def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _cell(value)  # exact decimal as a string: JSON numbers would round
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _render(rows: list[dict[str, Any]], fmt: Format, title: str | None = None) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps([{k: _json_value(v) for k, v in r.items()} for r in rows], indent=2) + "\n")
        return
    if fmt is Format.csv:
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            for r in rows:
                writer.writerow({k: "" if v is None else (_cell(v).replace(",", "") if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else v) for k, v in r.items()})
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title)
    if not rows:
        console.print(f"{title or 'result'}: no rows")
        return
    for name in rows[0]:
        table.add_column(name, justify="right" if isinstance(rows[0][name], (int, float, Decimal)) else "left", overflow="fold")
    for r in rows:
        table.add_row(*[_cell(v) for v in r.values()])
    console.print(table)


def main() -> None:
    """Entry point: run the app, turning expected errors into one sentence and an exit code."""
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except CheckFailed as exc:
        err_console.print(f"[yellow]check failed:[/yellow] {exc}.")
        sys.exit(EXIT_CHECK_FAILED)
    except KeyboardInterrupt:
        err_console.print("interrupted; committed work is kept and the next run resumes from it.")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence, no traceback
        if debug:
            raise
        _report_error(exc)
        sys.exit(EXIT_BAD_INPUT)


def _report_error(exc: Exception) -> None:
    # typer vendors click; recognise its exceptions by shape rather than importing a private module.
    if hasattr(exc, "show") and hasattr(exc, "exit_code"):
        exc.show()
        return
    if type(exc).__name__ == "Abort":
        err_console.print("aborted.")
        return
    message = str(exc).strip().rstrip(".") or type(exc).__name__
    if not isinstance(exc, (UserError, ValueError, OSError)) and type(exc).__name__ not in ("FetchBlocked", "ConfigError"):
        message = f"{type(exc).__name__}: {message} (run with --debug for the traceback)"
    from rich.markup import escape

    # one sentence stays one line; "[proof]" or "[networks.ETH]" in a message is text, not markup
    err_console.print(f"[red]error:[/red] {escape(message)}.", soft_wrap=True)


if __name__ == "__main__":
    main()
