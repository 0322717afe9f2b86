"""Rendering for the CLI: result sets as terminal tables, CSV or JSON, and a rich progress display.

Why tables are fitted here instead of left to rich: rich shrinks every column to share
the width, which wraps an 18-decimal amount over three lines or squeezes columns to five
characters. Here a number is never wrapped or cut: each numeric column is as wide as its
longest value, right-aligned; long text is cut with an ellipsis; columns that do not fit
are left out with a note saying so and how to see them (``--wide``, ``--format csv``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from indexer.results import ResultSet, decimal_text, is_numeric_type, percent_text

TEXT_MAX = 44  # a 0x address plus a little; longer text is cut with "…" unless --wide
RATIO_PLACES = 6  # ratios in tables only, truncated (never rounded up); JSON/CSV carry every digit


def terminal_width(stream: TextIO) -> int | None:
    """COLUMNS when set, else the terminal's width, else None (a pipe: no width limit)."""
    cols = os.environ.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    if stream.isatty():
        return os.get_terminal_size(stream.fileno()).columns
    return None


def cell_text(value: Any, column: str = "", type_name: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if column.startswith("coverage") and isinstance(value, (Decimal, float)):
        return percent_text(value)  # truncated: 100 % only when every row was read
    if column.startswith("ratio") and isinstance(value, (Decimal, float)):
        exact = value if isinstance(value, Decimal) else Decimal(repr(value))
        return decimal_text(exact.quantize(Decimal(1).scaleb(-RATIO_PLACES), rounding=ROUND_DOWN))
    if isinstance(value, (Decimal, float)):
        return decimal_text(value)
    if isinstance(value, int):
        return str(value) if _is_identifier(column) else f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell_text(v) for v in value)
    return str(value)


def _is_identifier(column: str) -> bool:
    """An id (chain_id, snapshot_id) is a name made of digits, not a quantity: no thousands separators."""
    return column == "id" or column.endswith("_id")


def render(
    result: ResultSet, fmt: str, *, out: TextIO | None = None, wide: bool = False, labels: dict[str, str] | None = None,
    prefer: Sequence[str] | None = None,
) -> None:
    """Write ``result`` to ``out`` (stdout) as ``table``, ``csv`` or ``json``; the one renderer of every command.
    ``labels`` and ``prefer`` default to the result's own (``ResultSet.labels``, ``ResultSet.keep``)."""
    out = out or sys.stdout
    if fmt == "json":  # a result with a document of its own (``por plan``: networks, total, bound) writes that
        document = getattr(result, "document", None)
        out.write(json.dumps(document if document else result.json_records(), indent=2) + "\n")
    elif fmt == "csv":
        out.write(to_csv(result))
    else:
        render_table(result, out=out, wide=wide, labels=labels, prefer=prefer)


def to_csv(result: ResultSet) -> str:
    """Exact values, no thousands separators, empty cell for NULL."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.columns)
    for rec in result.json_records():
        writer.writerow(["" if v is None else (json.dumps(v) if isinstance(v, (list, dict)) else str(v).lower() if isinstance(v, bool) else v) for v in rec.values()])
    return buf.getvalue()


def render_table(
    result: ResultSet, *, out: TextIO, wide: bool = False, labels: dict[str, str] | None = None, prefer: Sequence[str] | None = None
) -> None:
    """A rich table that fits the terminal. Columns that do not fit are left out and named below it: first those
    without a value, then from the right, except the ``prefer`` columns (default ``result.keep``: a report's ratios,
    a query's address, a diff's changes), which are kept before any other but the first; shown columns keep their
    order. Every command's table goes through here, so they all drop, keep and say alike (``--wide``: all)."""
    labels = result.labels if labels is None else labels
    prefer = result.keep if prefer is None else prefer
    width = None if wide else terminal_width(out)
    console = Console(file=out, width=width or 100_000, soft_wrap=False, highlight=False)
    if not result.rows:
        console.print(f"{result.title or 'result'}: no rows")
        _notes(console, result.notes)
        return
    numeric = [is_numeric_type(t) for t in result.types]
    cells = [[cell_text(v, c, t) for v, c, t in zip(row, result.columns, result.types)] for row in result.rows]
    widths = []
    for i, name in enumerate(result.columns):
        longest = max(len(r[i]) for r in cells)
        need = longest if numeric[i] else min(longest, TEXT_MAX if width else longest)
        widths.append((max(need, len(labels.get(name, name)), 1), need))
    # headers on one line when the whole table fits so; else a header wraps at its spaces and the cells decide
    fits = not width or sum(w + 3 for w, _ in widths) + 1 <= width
    widths = [whole if fits else max(need, min(max(map(len, labels.get(c, c).split())), 14), 1) for (whole, need), c in zip(widths, result.columns)]
    shown = list(range(len(result.columns)))
    empty: list[str] = []
    if width and sum(w + 3 for w in widths) + 1 > width:
        # what does not fit is left out: first the columns without a single value, then from the right
        blank = [i for i in shown if i > 0 and all(v is None for v in (row[i] for row in result.rows))]
        empty = [labels.get(result.columns[i], result.columns[i]) for i in blank]
        candidates = [i for i in shown if i not in blank]
        kept_first = [i for i in candidates if i == 0 or result.columns[i] in prefer]
        ranked = kept_first + [i for i in candidates if i not in kept_first]
        shown, used = [], 1
        for i in ranked:
            if used + widths[i] + 3 > width and shown:
                if result.columns[i] in prefer:
                    continue  # a wider preferred column may not fit where a narrower one still does
                break
            shown.append(i)
            used += widths[i] + 3
        shown.sort()
    table = Table(title=result.title or None, title_justify="left")
    for i in shown:
        # the header wraps at its spaces (a word longer than the column is cut into pieces) so it never widens
        # the column past what was measured above: the cells decide the width, and the table fits
        header = "\n".join(textwrap.wrap(labels.get(result.columns[i], result.columns[i]), widths[i], break_on_hyphens=False))
        if numeric[i]:
            table.add_column(header, justify="right", no_wrap=True, min_width=widths[i], overflow="fold")
        else:
            table.add_column(header, justify="left", no_wrap=True, max_width=widths[i], overflow="ellipsis")
    for r in cells:
        table.add_row(*[r[i] for i in shown])
    console.print(table)
    notes = list(result.notes)
    if empty:
        notes.append(f"not shown, no value in any row: {', '.join(empty)}")
    hidden = [labels.get(c, c) for i, c in enumerate(result.columns) if i not in shown and labels.get(c, c) not in empty]
    if hidden:
        notes.append(
            f"{len(hidden)} more column(s) not shown at {width} characters ({', '.join(hidden)}): "
            "use --wide, --format csv or --format json"
        )
    if result.total_rows is not None:
        notes.append(f"showing the first {len(result.rows):,} of {result.total_rows:,} rows: use --limit N, LIMIT in the query, or --format csv")
    _notes(console, notes)


def _notes(console: Console, notes: list[str]) -> None:
    for note in notes:
        console.print(f"({note})", style="dim")


class RichProgress:
    """The ``indexer.progress.Progress`` protocol as rich bars on stderr (rate, ETA, errors)."""

    # Fixed widths that add up to 78 with the gaps, so a bar never wraps on an 80-column terminal: a long task name
    # (a file name) is cut with "…" rather than pushing the bar onto two lines.
    NAME, BAR, PERCENT, RATE, TIME, ETA, ERRORS = 17, 10, 5, 9, 7, 11, 13

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
        from rich.table import Column
        from rich.text import Text

        def fixed(width: int, justify: str = "left") -> Column:
            return Column(width=width, no_wrap=True, overflow="ellipsis", justify=justify)  # type: ignore[arg-type]

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                if not speed:
                    return Text("- /s", style="cyan")
                for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1)):
                    if speed >= size:
                        return Text(f"{speed / size:,.0f}{unit}/s" if size == 1 else f"{speed / size:,.1f}{unit}/s", style="cyan")
                return Text(f"{speed:.1f}/s", style="cyan")

        class EtaColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                left = task.time_remaining
                if task.finished or left is None:
                    return Text("")
                minutes, seconds = divmod(int(left), 60)
                return Text(f"ETA {minutes // 60}:{minutes % 60:02d}:{seconds:02d}")

        self._bar = Progress(
            TextColumn("[bold]{task.description}", table_column=fixed(self.NAME)),
            BarColumn(bar_width=self.BAR),
            TextColumn("{task.percentage:>3.0f} %", table_column=fixed(self.PERCENT, "right")),
            RateColumn(table_column=fixed(self.RATE, "right")),
            TimeElapsedColumn(table_column=fixed(self.TIME)),
            EtaColumn(table_column=fixed(self.ETA)),
            TextColumn("{task.fields[errors]}", table_column=fixed(self.ERRORS)),
            console=console,
            transient=False,
            expand=False,
        )
        self._tasks: dict[str, Any] = {}
        self._errors: dict[str, int] = {}
        self._running = 0

    def start(self, task: str, total: int | None) -> None:
        if self._running == 0:
            self._bar.start()
        self._running += 1
        self._errors[task] = 0
        self._tasks[task] = self._bar.add_task(task, total=total, errors="")

    def advance(self, task: str, done: int, errors: int = 0) -> None:
        if task not in self._tasks:
            return
        self._errors[task] += errors
        label = f"[red]{self._errors[task]:,} errors" if self._errors[task] else ""  # cut to the column if long
        self._bar.update(self._tasks[task], advance=done, errors=label)

    def finish(self, task: str) -> None:
        if task in self._tasks:
            self._running -= 1
            if self._running == 0:
                self._bar.stop()
