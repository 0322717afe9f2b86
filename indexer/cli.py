"""The ``por`` command: a thin typer layer over ``indexer.api``.

Each command parses its arguments, makes one ``indexer.api`` call and renders the result (``indexer.render``);
loops, database work and decisions live in the library, so a notebook gets what the command does. Errors become
one sentence and an exit code; ``--debug`` shows the traceback with DuckDB's own text instead. Ctrl-C says what
was committed and the command that resumes. To add a command, define it below with ``@app.command()`` and a
docstring that ends in a paragraph of ``Example: ...`` lines opened by a line holding ``\\b`` (click's mark for
"do not rewrap": each example stays whole on its own line). ``tests/test_cli_help.py`` walks the app and
enforces it; ``docs/cli.md`` is generated from the app (``python -m indexer.cli_reference docs/cli.md``).
"""

from __future__ import annotations

import shlex
import sys
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup


class _WordsHelp:
    """``--help`` with types as words (``FILE...``, ``INTEGER``, ``table|json|csv``), not typer's ``<list[Path]>``:
    the same words ``docs/cli.md`` shows, from the one place that chooses them (``indexer.cli_words``)."""

    def collect_usage_pieces(self, ctx):  # type: ignore[no-untyped-def]
        from indexer.cli_words import usage_words

        return usage_words(self)

    def format_options(self, ctx, formatter) -> None:  # type: ignore[no-untyped-def]
        from indexer.cli_words import help_records

        arguments, options = help_records(self, ctx)
        for title, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)
        if isinstance(self, TyperGroup):
            self.format_commands(ctx, formatter)


class _Command(_WordsHelp, TyperCommand):
    pass


class _Group(_WordsHelp, TyperGroup):
    pass


app = typer.Typer(
    cls=_Group,
    help=(
        "Check an exchange's Proof of Reserves against the chains themselves.\n\n\b\n"
        "Example: por run   (a synthetic demo: ingest, verify, report; no network)\n"
        "Example: por ingest por_csv_2026063016_V2.zip && por verify && por fetch --config por.toml && por report"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
# Status lines; piped output is for machines and logs: do not wrap it at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200, highlight=False)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200, highlight=False)

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 3
EXIT_INTERRUPTED = 130


def _installed_exchanges() -> str:
    """The exchange plugins installed (their entry points' names; none is imported for ``--help``)."""
    from indexer.plugins import EXCHANGE_ENTRY_POINT_GROUP, installed_names

    return ", ".join(installed_names(EXCHANGE_ENTRY_POINT_GROUP)) or "none installed"


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
ConfigOption = Annotated[Optional[Path], typer.Option("--config", help="por.toml (default: $POR_CONFIG).")]
FormatOption = Annotated[Format, typer.Option("--format", help="table, json or csv (json/csv: every column, exact values).")]
WideOption = Annotated[bool, typer.Option("--wide", help="Table: every column at full width, even past the terminal.")]
_state: dict[str, Any] = {"debug": False, "on_interrupt": None}


def _show_version(value: bool) -> None:
    if value:
        from indexer import __version__

        console.print(f"por {__version__}", markup=False, highlight=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and DuckDB's own error text.")] = False,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_show_version, help="Print the version and exit.")] = False,
) -> None:
    _state["debug"] = debug


def _say(line: str) -> None:
    """A library's ``log`` line on stdout, as text: "[...]" in a path or label is not markup, and no wrapping."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def _waiting(message: str) -> None:
    err_console.print(f"[yellow]{message}…[/yellow]")


def _progress():
    """A rich progress display on a terminal, nothing otherwise (logs stay clean)."""
    from indexer.progress import NO_PROGRESS
    from indexer.render import RichProgress

    return RichProgress(err_console) if err_console.is_terminal else NO_PROGRESS


def _on_interrupt(message: Callable[[], str]) -> None:
    """What Ctrl-C should print for the running command."""
    _state["on_interrupt"] = message


def _resume_command(snapshot: int | None = None) -> str:
    args = ["por", *sys.argv[1:]]
    if snapshot is not None and "--snapshot" not in args:
        args += ["--snapshot", str(snapshot)]
    return shlex.join(args)


def _render(result, fmt: Format, *, wide: bool = False) -> None:
    """Every table goes through ``indexer.render.render``: what a narrow terminal drops and keeps is decided there,
    from the result itself (``ResultSet.keep``, ``ResultSet.labels``), the same for every command."""
    from indexer.render import render

    render(result, fmt.value, out=sys.stdout, wide=wide)


# ---------------------------------------------------------------------------------------- ingest
@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="PoR files: CSV, .gz or .zip.", show_default=False)],
    db: DbOption = None,
    exchange: Annotated[str, typer.Option(help=f"Exchange plugin that reads the files ({_installed_exchanges()}), or auto: recognised from the header.")] = "auto",
    label: Annotated[Optional[str], typer.Option(help="Free text stored with the snapshot (default: the date and version in the file name).")] = None,
    allow_mismatch: Annotated[bool, typer.Option("--allow-mismatch", help="Load a file whose detail rows do not add up to its own summary totals (refused otherwise); report then shows the mismatch.")] = False,
    max_rejected: Annotated[Optional[str], typer.Option("--max-rejected", metavar="N|P%", help="Refuse a file with more refused rows than N, or than P% of its rows (default: no limit).")] = None,
) -> None:
    """Load PoR files into the database: each file (all members of a zip) is one snapshot, all or nothing.

    The label defaults to the date and version in OKX's file name (por_csv_2026063016_V2.zip). A file is refused
    (exit 2, nothing written) when it is cut short, every row is refused, or its rows do not add up to its summary.
    A refused file does not stop the others: each is its own publication, and every refusal is printed.

    \b
    Example: por ingest por_csv_2026063016_V2.zip --label "June 2026"
    Example: por ingest huobi_por.csv wallet_address_20260401.zip   (HTX and Binance, recognised from their headers)
    Example: por ingest nightly.zip --max-rejected 0.1%
    """
    from indexer import api

    seen: list[api.IngestOutcome] = []

    def heard(outcome: api.IngestOutcome) -> None:
        seen.append(outcome)
        _show_ingest(outcome)

    def message() -> str:
        if len(seen) >= len(files):
            return "interrupted: every file was loaded or refused before it; committed work is kept."
        path, rest = files[len(seen)], [str(p) for p in files[len(seen):]]
        again = shlex.join(["por", "ingest", *rest, *_passed_options(("--db", "--exchange", "--label", "--max-rejected")),
                            *(["--allow-mismatch"] if allow_mismatch else [])])  # fmt: skip
        loaded = [str(o.path) for o in seen if o.loaded]
        before = f"; loaded before it: {', '.join(loaded)}" if loaded else ""
        return f"interrupted while loading {path}: nothing from it was committed (one transaction per file){before}. Resume with: {again}"

    _on_interrupt(message)
    try:
        api.ingest(files, db, exchange=exchange, label=label, allow_mismatch=allow_mismatch, max_rejected=max_rejected,
                   on_error="continue", on_file=heard, progress=_progress(), on_wait=_waiting)  # fmt: skip
    except api.FilesRefused:
        raise typer.Exit(EXIT_BAD_INPUT) from None  # each refusal is already printed, in its place


def _show_ingest(outcome) -> None:
    """Print what ingest did with one file (``api.ingest_messages``, the one wording): its line on stdout,
    warnings, notes and refusals on stderr."""
    from rich.markup import escape

    from indexer.api import ingest_messages

    styles = {"warning": "[yellow]warning:[/yellow]", "note": "note:", "error": "[red]error:[/red]"}
    for m in ingest_messages(outcome):
        if m.level == "info":
            console.print(m.text, markup=False, highlight=False, soft_wrap=True)
        else:
            err_console.print(f"{styles[m.level]} {escape(m.text)}", soft_wrap=True)


def _passed_options(names: tuple[str, ...]) -> list[str]:
    """The given options among ``names`` exactly as typed (``--db x`` or ``--db=x``), for a resume command."""
    out: list[str] = []
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                out += [name, argv[i + 1]]
            elif arg.startswith(name + "="):
                out.append(arg)
    return out


# ---------------------------------------------------------------------------------------- verify
@app.command()
def verify(
    db: DbOption = None,
    snapshot: SnapshotOption = None,
    workers: Annotated[Optional[int], typer.Option(help="Processes (default: all cores).")] = None,
    okx_compat: Annotated[bool, typer.Option("--okx-compat", help="Also record the verdict the exchange's own checking tool would give (its plugin's tool variant).")] = False,
    fail_on_failed: Annotated[bool, typer.Option("--fail-on-failed", help="Exit 1 when any signature failed.")] = False,
    every: Annotated[bool, typer.Option("--all", help="Every snapshot that has rows without a verdict, oldest first (default: only --snapshot, or the latest).")] = False,
    wide: WideOption = False,
) -> None:
    """Verify every row's ownership signature, strictly; resumable. Readers may query the database meanwhile.

    Without --snapshot or --all only the latest snapshot is verified, and the others still without verdicts are named.

    \b
    Example: por verify --okx-compat && por sql "select * from signature_disagreements"
    Example: por verify --all   (after ingesting several monthly files)
    """
    from indexer import api

    if every and snapshot is not None:
        raise UserError("--all verifies every snapshot without verdicts; give it or --snapshot, not both")
    kw: dict[str, Any] = dict(workers=workers, okx_compat=okx_compat, progress=_progress(), on_snapshot=_resumable(db, "verify"), on_wait=_waiting)
    summaries = api.verify_all(db, **kw) if every else [api.verify(db, snapshot, **kw)]
    for summary in summaries:
        _print_verify_summary(summary, wide)
        console.print(f"{summary}")
    if every and not summaries:
        console.print("every row of every snapshot already has a verdict.")
    if not every and snapshot is None:
        others = [s for s in api.unverified_snapshots(db, okx_compat=okx_compat, on_wait=_waiting) if s != summaries[0].snapshot_id]
        if others:
            console.print(
                f"note: verified snapshot {summaries[0].snapshot_id} only, the latest; snapshot(s) {', '.join(map(str, others))} "
                "still have rows without a verdict: `por verify --all` verifies them (or --snapshot N).",
                markup=False, highlight=False, soft_wrap=True,
            )  # fmt: skip
    failed = [f for s in summaries if (f := api.verify_failures(s))]
    if fail_on_failed and failed:
        raise CheckFailed(failed[0])


def _resumable(db: Path | None, what: str) -> Callable[[int], None]:
    """The ``on_snapshot`` of a long writer: once the library names the snapshot, Ctrl-C says what of it is
    committed and the command that resumes it."""
    return lambda sid: _on_interrupt(lambda: _interrupted_message(db, sid, what))


def _interrupted_message(db: Path | None, sid: int, what: str) -> str:
    from indexer import api

    try:
        facts = api.committed(db, sid)
    except Exception:  # noqa: BLE001 - the interrupt message must not fail
        facts = None
    if facts is None:
        state = "committed chunks are kept"
    elif what == "verify":
        state = f"{facts['signatures']:,} of {facts['rows']:,} rows of snapshot {sid} have a committed verdict"
    else:
        state = (
            f"{facts['balances_snapshot']:,} snapshot-height and {facts['balances_latest']:,} latest balances of "
            f"{facts['rows']:,} rows of snapshot {sid} are committed"
        )
    return f"interrupted: {state}. Resume with: {_resume_command(sid)}"


def _print_verify_summary(summary, wide: bool = False) -> None:
    from indexer.results import ResultSet

    cols = ["family", "verified", "signature_only", "failed", "unsupported"]
    rows = [(fam, *(counts.get(c, 0) for c in cols[1:])) for fam, counts in summary.by_family.items()]
    _render(ResultSet(cols, ["VARCHAR"] + ["BIGINT"] * 4, rows, title=f"signatures, snapshot {summary.snapshot_id}"), Format.table, wide=wide)


# ---------------------------------------------------------------------------------------- fetch
@app.command()
def fetch(
    db: DbOption = None,
    config: ConfigOption = None,
    snapshot: SnapshotOption = None,
    at: Annotated[AsOf, typer.Option("--at", help="Balances at the snapshot height or at the current tip.")] = AsOf.snapshot,
    network: Annotated[Optional[list[str]], typer.Option("--network", help="Only these networks (repeatable).")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Refetch rows that already have a balance.")] = False,
    rewind: Annotated[bool, typer.Option("--rewind", help="UTXO: roll a dedicated node back to the snapshot height (sets options.rewind of the named network).")] = False,
    utxo_dump: Annotated[Optional[Path], typer.Option("--utxo-dump", help="UTXO: read balances from a dumptxoutset file (sets options.utxo_dump of the named network).")] = None,
    fail_on_error: Annotated[bool, typer.Option("--fail-on-error", help="Exit 1 if a network was blocked, any balance could not be read, or a snapshot row got only the current value.")] = False,
) -> None:
    """Fetch on-chain balances for every row an installed adapter serves; resumable. Readers may query meanwhile.

    \b
    Example: por fetch --config por.toml --network ETH --at snapshot
    """
    from indexer import api

    utxo_options: dict[str, Any] = ({"rewind": True} if rewind else {}) | ({"utxo_dump": str(utxo_dump)} if utxo_dump else {})
    summary = api.fetch(
        db, config, snapshot, at=at.value, networks=network, refresh=refresh, adapter_options={"utxo": utxo_options},
        progress=_progress(), on_snapshot=_resumable(db, "fetch"), on_wait=_waiting,
    )  # fmt: skip
    console.print(f"{summary}")
    if fail_on_error and (failed := api.fetch_failures(summary)):
        raise CheckFailed(failed)


@app.command()
def plan(
    db: DbOption = None,
    config: ConfigOption = None,
    snapshot: SnapshotOption = None,
    at: Annotated[AsOf, typer.Option("--at", help="Plan reads at the snapshot height or at the current tip.")] = AsOf.snapshot,
    probe: Annotated[bool, typer.Option("--probe", help="Run every adapter's preflight (no balance is read): what each provider lacks, and its latency.")] = False,
    format: Annotated[Format, typer.Option("--format", help="table, json (one object for scripts: networks, total_s, bound) or csv.")] = Format.table,
    wide: WideOption = False,
) -> None:
    """Predict the fetch before running it: per network the reads, method, requests per service, rate and time (read-only).

    \b
    Example: por plan --config por.toml --snapshot 2 --probe
    """
    from indexer import api

    _render(api.plan(db, config, snapshot, at=at.value, probe=probe, on_wait=_waiting), format, wide=wide)


@app.command()
def networks(
    config: ConfigOption = None,
    db: DbOption = None,
    snapshot: SnapshotOption = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """List every network in the registry, its balance adapter, whether it is configured, and its rows in the database (read-only).

    \b
    Example: por networks --config por.toml --db por.duckdb
    """
    from indexer import api

    listed = api.networks(config, db, snapshot, on_wait=_waiting)
    _render(listed, format, wide=wide)
    for name, error in listed.plugin_errors.items():
        err_console.print(f"[yellow]plugin {name} failed to load:[/yellow] {error}")


# ---------------------------------------------------------------------------------------- liabilities
@app.command()
def liabilities(
    file: Annotated[Path, typer.Argument(help="asset,amount CSV, or a liabilities file an installed exchange publishes: its audit page JSON, Merkle files, proof (or its zip).")],
    db: DbOption = None,
    snapshot: SnapshotOption = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="por.toml with [proof] verifier (default: $POR_CONFIG).")] = None,
) -> None:
    """Load what the exchange owes per asset; Merkle files and zk proofs are checked first.

    The audit page binds to the snapshot (default: the latest); a zk proof must match its merkleHash.

    \b
    Example: por liabilities audit_508399035.json --snapshot 3 && por liabilities por_508399035_proof_data.zip
    """
    from indexer import api

    with _elapsed_progress("zk-por-cli verify-global (minutes to half an hour)") as tick:
        loaded = api.load_liabilities(file, db, snapshot, config=config, on_tick=tick, on_wait=_waiting)
    console.print(f"{loaded.message}.", markup=False, highlight=False, soft_wrap=True)
    if loaded.check_failed:
        raise CheckFailed(loaded.check_failed)


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
@app.command()
def report(
    db: DbOption = None,
    snapshot: SnapshotOption = None,
    format: Annotated[ReportFormat, typer.Option("--format", help="table, json, csv (every column, exact values), or html (one self-contained page with charts).")] = ReportFormat.table,
    wide: Annotated[bool, typer.Option("--wide", help="Every column of reserve_ratios, not only the ones a reader needs first.")] = False,
    min_ratio: Annotated[Optional[str], typer.Option(help="Exit 1 if any asset's on-chain ratio is below this (a decimal), or its on-chain coverage is incomplete.")] = None,
    allow_partial: Annotated[bool, typer.Option("--allow-partial", help="With --min-ratio: judge the on-chain ratio of what was read where coverage is incomplete, and print that coverage.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="html: where to write the page (default: por-report-<snapshot>.html).")] = None,
) -> None:
    """Print reserves and reserve ratios per asset (read-only): liabilities, published (the exchange's file), claimed
    (its audit page, when loaded), on-chain (read by fetch), verified (on-chain, proven rows), their ratios, the
    on-chain coverage beside each on-chain ratio, then one line saying which proof checks ran (on stderr for json/csv).

    --min-ratio judges the on-chain ratio only (balances read for the snapshot block over liabilities; never the
    exchange's claimed or published figures, never custody reserves) and fails where coverage is incomplete.

    \b
    Example: por report --snapshot 3 --format json --min-ratio 1.0
    Example: por report --format html --out okx-2026-05.html
    """
    from indexer import api

    threshold = _decimal_option("--min-ratio", min_ratio)
    if allow_partial and threshold is None:
        raise UserError("--allow-partial only changes what --min-ratio judges: give --min-ratio too")
    html = format is ReportFormat.html
    fmt = Format.table if html else Format(format.value)
    result = api.report(db, snapshot, wide=wide or fmt is not Format.table, html=html, out=out, on_wait=_waiting)
    status = console if fmt is Format.table else err_console  # json/csv keep stdout for the data
    if html:
        console.print(f"wrote {result.html_path}")
    else:
        _render(result, fmt, wide=wide)
        status.print(result.proof_status, markup=False, highlight=False, soft_wrap=True)
    if threshold is not None:
        check = result.check_ratio(threshold, allow_partial=allow_partial)
        for line in check.partial:
            status.print(line, markup=False, highlight=False, soft_wrap=True)
        status.print(check.summary(), markup=False, highlight=False, soft_wrap=True)
        if not check.passed:
            raise CheckFailed(check.message())


def _decimal_option(name: str, text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise UserError(f"{name} must be a decimal number such as 1.0, not {text!r}") from None


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the database.")],
    db: DbOption = None,
    format: FormatOption = Format.table,
    write: Annotated[bool, typer.Option("--write", help="Allow statements that change the database (INSERT, DELETE, DROP, COPY, …).")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Table format: show at most this many rows (json/csv: all).")] = 200,
    wide: WideOption = False,
) -> None:
    """Run SQL over the tables and views; read-only unless --write.

    \b
    Example: por sql "select asset, verified_amount from reserves where snapshot_id = 1 order by 2 desc"
    """
    from indexer import api

    def committed(text: str) -> None:
        err_console.print(f"--write: {text}.", markup=False, highlight=False, soft_wrap=True)

    result = api.sql(query, db, write=write, limit=limit if format is Format.table else None, log=committed, on_wait=_waiting)
    if result is not None:
        _render(result, format, wide=wide)


# ---------------------------------------------------------------------------------------- synth / run
@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Where to write the PoR CSV.")],
    rows: Annotated[Optional[int], typer.Option("--rows", min=1, help="Detail rows to write, per month with --months (default: 2,000).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same file.")] = 1,
    liabilities_out: Annotated[Optional[Path], typer.Option("--liabilities-out", help="Also write asset,amount liabilities.")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="Also ingest the file into this DuckDB file.")] = None,
    months: Annotated[Optional[int], typer.Option("--months", min=1, help="Write a monthly series into the --out directory.")] = None,
    exchange: Annotated[Optional[str], typer.Option("--exchange", help=f"Exchange plugin whose layout is written ({_installed_exchanges()}); default: the one that writes the demo publication.", show_default=False)] = None,
) -> None:
    """Write a realistic synthetic PoR file with real signatures (the built-in demo input), in an exchange's layout.

    With --db every file written is ingested too (a --months series: every month).

    \b
    Example: por synth --rows 10000 --out demo.csv --liabilities-out demo_liabilities.csv --db demo.duckdb
    Example: por synth --rows 2000 --months 6 --out series/   (okx_por_<YYYYMMDDHH>.csv + liabilities_<...>.csv per month)
    Example: por synth --exchange binance --rows 10000000 --out wallet_address_20260401.zip
    """
    from indexer import api

    api.synth(out, rows, exchange=exchange, seed=seed, liabilities_out=liabilities_out, months=months, db=db, on_file=_show_ingest,
              progress=_progress(), log=_say, on_wait=_waiting)  # fmt: skip


@app.command()
def run(
    files: Annotated[Optional[list[Path]], typer.Argument(help="PoR files (default: a 2,000-row synthetic demo).")] = None,
    db: DbOption = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="por.toml; without it no network is touched.")] = None,
    liabilities_file: Annotated[Optional[Path], typer.Option("--liabilities", help="Liabilities file to load.")] = None,
    label: Annotated[Optional[str], typer.Option(help="Free text stored with the snapshot.")] = None,
    allow_mismatch: Annotated[bool, typer.Option("--allow-mismatch", help="Load files whose detail rows do not add up to their own summary totals.")] = False,
    max_rejected: Annotated[Optional[str], typer.Option("--max-rejected", metavar="N|P%", help="Refuse a file with more refused rows than N, or than P% of its rows.")] = None,
    wide: WideOption = False,
) -> None:
    """Everything the installed plugins can do: ingest, verify, fetch (with --config), report.

    A refused file ends the run (exit 2) before anything is verified or fetched; the files loaded before it stay.

    \b
    Example: por run okx_por.csv --config por.toml --liabilities liabilities.csv
    """
    from indexer import api
    from indexer.ingest import IngestError

    _on_interrupt(lambda: f"interrupted: committed work is kept. Resume with: {_resume_command()}")
    try:
        result = api.run(files, db, config=config, liabilities=liabilities_file, label=label, allow_mismatch=allow_mismatch,
                         max_rejected=max_rejected, on_error="stop", on_file=_show_ingest, progress=_progress(), log=_say,
                         on_wait=_waiting)  # fmt: skip
    except IngestError:
        raise typer.Exit(EXIT_BAD_INPUT) from None  # the refusal is already printed, in its place
    for step in result.snapshots:
        if step.verify is not None:
            _print_verify_summary(step.verify, wide)
        else:
            console.print(f"skipped verify: {step.verify_skipped}")
        console.print(step.fetch if step.fetch is not None else f"skipped fetch: {step.fetch_skipped}")
        if step.report is not None:
            _render(step.report, Format.table, wide=wide)
            console.print(step.report.proof_status, markup=False, highlight=False, soft_wrap=True)


# ---------------------------------------------------------------------------------------- analyst: diff / prices / export
@app.command()
def diff(
    a: Annotated[int, typer.Argument(help="The earlier snapshot id.")],
    b: Annotated[int, typer.Argument(help="The later snapshot id.")],
    db: DbOption = None,
    format: FormatOption = Format.table,
    addresses: Annotated[Optional[str], typer.Option("--addresses", help="Per address instead: all, added, removed or kept.")] = None,
    wide: WideOption = False,
) -> None:
    """Compare two snapshots of one exchange per asset and network: addresses added, removed, kept, amounts and change (read-only).

    \b
    Example: por diff 3 4 --format csv
    Example: por diff 3 4 --addresses added
    """
    from indexer import api

    _render(api.diff(a, b, db, addresses=addresses, on_wait=_waiting), format, wide=wide)


prices_app = typer.Typer(
    cls=_Group,
    help="USD prices for valuing snapshots: import a CSV or fetch from public price APIs.\n\n\b\nExample: por prices fetch --config por.toml",
    no_args_is_help=True,
)
app.add_typer(prices_app, name="prices")


@prices_app.command("import")
def prices_import(
    file: Annotated[Path, typer.Argument(help="CSV with the header asset,at,usd (at: date, ISO time or Unix seconds).")],
    db: DbOption = None,
) -> None:
    """Load USD prices from a CSV (works offline); a file with any bad line is refused whole.

    \b
    Example: por prices import prices.csv   (asset,at,usd / BTC,2026-05-01,96512.25)
    """
    from indexer import api

    console.print(f"{api.import_prices(file, db, on_wait=_waiting):,} prices loaded from {file}.")


@prices_app.command("fetch")
def prices_fetch(
    db: DbOption = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="por.toml with an optional [prices] section.")] = None,
    snapshot: Annotated[Optional[list[int]], typer.Option("--snapshot", help="Only these snapshots (repeatable; default: all).")] = None,
) -> None:
    """Fetch historical USD prices for every snapshot's publication time (DefiLlama, then CoinGecko); cached.

    \b
    Example: por prices fetch --config por.toml
    """
    from indexer import api

    console.print(f"{api.fetch_prices(db, config, snapshot, progress=_progress(), on_wait=_waiting)}")


@app.command()
def export(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write into.")],
    db: DbOption = None,
    format: Annotated[str, typer.Option("--format", help="parquet (Hive-partitioned by exchange and snapshot).")] = "parquet",
    snapshot: Annotated[Optional[int], typer.Option("--snapshot", help="Only this snapshot's rows (default: all).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace what an earlier export wrote there.")] = False,
) -> None:
    """Export every table and the main views as Parquet for DuckDB, Spark, Trino or pandas (read-only).

    \b
    Example: por export --format parquet out/por-parquet --snapshot 3
    """
    from indexer import api

    console.print(f"{api.export(out_dir, db, snapshot, format=format, overwrite=overwrite, on_wait=_waiting)}")


# Every command prints its help with types as words (``_WordsHelp``); set here, once, for all registered commands.
for _info in (*app.registered_commands, *prices_app.registered_commands):
    if _info.cls in (None, TyperCommand):
        _info.cls = _Command


# ---------------------------------------------------------------------------------------- entry point
def main() -> None:
    """Entry point: run the app, turning expected errors into one sentence and an exit code."""
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)
        if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into a quiet exit code 130
            _interrupted()
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except CheckFailed as exc:
        from rich.markup import escape

        # one line however long (a log greps it), and "[...]" in it is text, not markup
        err_console.print(f"[yellow]check failed:[/yellow] {escape(str(exc))}.", soft_wrap=True)
        sys.exit(EXIT_CHECK_FAILED)
    except KeyboardInterrupt:
        _interrupted()
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence, no traceback
        if debug:
            raise
        sys.exit(_report_error(exc))


def _interrupted() -> None:
    handler = _state.get("on_interrupt")
    message = handler() if handler else "interrupted; committed work is kept and the next run resumes from it."
    err_console.print(message, soft_wrap=True)


def _report_error(exc: Exception) -> int:
    """Print one sentence for ``exc``; return the exit code."""
    import duckdb

    from indexer.store import DatabaseBusy, StoreError

    # typer vendors click; recognise its exceptions by shape rather than importing a private module.
    if hasattr(exc, "show") and hasattr(exc, "exit_code"):
        exc.show()
        return EXIT_BAD_INPUT
    if type(exc).__name__ == "Abort":
        err_console.print("aborted.")
        return EXIT_BAD_INPUT
    if isinstance(exc, (RuntimeError, duckdb.Error)) and "interrupted" in str(exc).lower():
        _interrupted()  # Ctrl-C landed inside a DuckDB query, which reports it as its own error
        return EXIT_INTERRUPTED
    if isinstance(exc, duckdb.Error):
        from indexer.api import query_error

        message = query_error(exc) if isinstance(exc, (duckdb.CatalogException, duckdb.BinderException)) else (
            "the database operation failed (run with --debug for DuckDB's message)"
        )
    elif isinstance(exc, OSError) and exc.strerror:
        from indexer.api import os_reason

        # "cannot write x.html: permission denied", never "[Errno 13] Permission denied: 'x.html'"
        message = f"{exc.filename}: {os_reason(exc)}" if exc.filename else os_reason(exc)
    else:
        message = str(exc).strip().rstrip(".") or type(exc).__name__
        if not isinstance(exc, (UserError, ValueError, OSError, StoreError)) and type(exc).__name__ not in ("FetchBlocked", "ConfigError"):
            message = f"{type(exc).__name__}: {message} (run with --debug for the traceback)"
    from rich.markup import escape

    # one sentence stays one line; "[proof]" or "[networks.ETH]" in a message is text, not markup
    err_console.print(f"[red]error:[/red] {escape(message.rstrip('.'))}.", soft_wrap=True)
    return EXIT_BUSY if isinstance(exc, DatabaseBusy) else EXIT_BAD_INPUT


if __name__ == "__main__":
    main()
