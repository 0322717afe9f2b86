"""A publication's summary totals against its own detail rows, as ``published_totals_check`` computes them.

Why at ingest: a file whose detail rows do not add up to its own summary is incomplete (cut short, a member
missing) or altered, and loaded as a snapshot it would pass for a complete one. The rule itself (what a total
covers, the rounding allowed, when a summary cannot be compared) lives in the view
(``queries/15_published_totals_check.sql``), the one place ``por ingest``, ``por report`` and SQL users read it;
this module runs it for one snapshot inside the ingest's transaction and says what it found in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

SHOWN = 8  # totals named in a sentence; the rest are counted


@dataclass(frozen=True)
class TotalCheck:
    """One summary total, as the view judged it. Amounts are exact decimal texts."""

    source_member: str
    coin: str
    asset: str
    published: str
    detail: str
    difference: str
    rows: int
    status: str  # ok | mismatch | not compared: <why>

    def describe(self, member_prefix: bool = False) -> str:
        where = f"{self.source_member}: " if member_prefix else ""
        if self.rows == 0:
            return f"{where}{self.coin} {self.published} published, no detail row"
        rows = "1 row" if self.rows == 1 else f"{self.rows:,} rows"
        return f"{where}{self.coin} {self.published} published, {_plain(self.detail)} in {rows} ({signed_amount(self.difference)})"


@dataclass
class SummaryCheck:
    """Every summary total of a snapshot and what the view said of it."""

    totals: list[TotalCheck] = field(default_factory=list)

    @property
    def mismatches(self) -> list[TotalCheck]:
        return [t for t in self.totals if t.status == "mismatch"]

    @property
    def not_compared(self) -> dict[str, list[str]]:
        """reason -> members whose summary was not compared for it."""
        found: dict[str, list[str]] = {}
        for t in self.totals:
            if t.status.startswith("not compared"):
                members = found.setdefault(t.status.removeprefix("not compared: "), [])
                if t.source_member not in members:
                    members.append(t.source_member)
        return found

    def mismatch_text(self, shown: int = SHOWN, more_hint: str = "") -> str:
        """``N of its M summary totals disagree ...: A; B; ... and K more``."""
        bad = self.mismatches
        several = len({t.source_member for t in self.totals}) > 1
        named = "; ".join(t.describe(several) for t in bad[:shown])
        more = f"; and {len(bad) - shown:,} more{more_hint}" if len(bad) > shown else ""
        compared = sum(1 for t in self.totals if not t.status.startswith("not compared"))
        return f"{len(bad):,} of its {compared:,} summary totals disagree with its detail rows beyond rounding: {named}{more}"


def check_summary(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> SummaryCheck | None:
    """The view's verdict on every summary total of ``snapshot_id`` (inside the caller's transaction, so a snapshot
    being loaded is judged before it is committed); None when the publication has no summary section."""
    rows = con.execute(
        """select source_member, coin, total_asset, published_total_text, detail_sum_text, difference_text, detail_rows, status
           from published_totals_check where snapshot_id = ? order by total_row_no""",
        [snapshot_id],
    ).fetchall()
    if not rows:
        return None
    return SummaryCheck([TotalCheck(*(r[:6]), int(r[6]), r[7]) for r in rows])


def _plain(text: str | None) -> str:
    """A computed exact decimal text without the trailing zeros the common scale added (``750.6253889800`` -> ``750.62538898``)."""
    if text is None:
        return "—"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def signed_amount(text: str | None) -> str:
    """A computed difference as ``+1.5`` / ``-0.25`` (plain, exact)."""
    plain = _plain(text)
    return plain if plain.startswith("-") or plain == "—" else f"+{plain}"
