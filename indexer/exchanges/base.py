"""The exchange-plugin contract: what makes one exchange's publications readable, checkable and comparable.

Why a plugin and not flags in the reader: every exchange writes its own header names,
null markers, coin keys (``USDT-TRC20`` at OKX, ``USDT-Avalanche C-Chain`` at HTX, a
(coin, network) pair at Binance), signs (or does not sign) with its own conventions and
publishes its totals on its own audit page. One small frozen object per exchange says all
of that as data and small functions, and the core (ingest, verify, liabilities) asks it;
adding an exchange is one module here, one data file in ``data/`` and one entry point
under ``[project.entry-points."por.exchanges"]``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from indexer.ingest.layouts import Layout, normalise_header_cell
from indexer.models import Verdict
from indexer.plugins import VerifyFn
from indexer.registry import Registry
from indexer.resources import resource_dir

# How many records of a member are read to recognise its exchange: HTX's detail header follows a
# summary of a few dozen rows, so the first records are enough and the file is never read twice.
RECOGNISE_RECORDS = 400


@dataclass(frozen=True)
class Publication:
    """What a publication's file name says: when, which version, and the default label."""

    published_at: datetime | None
    version: int | None
    label: str | None


@dataclass(frozen=True)
class ExchangePlugin:
    """One exchange: how its files look, what its coin keys mean, how it signs, what its audit page says.

    ``layout``/``summary_width``/``registry`` left as None mean "the core's own" (OKX's layouts and
    ``data/coins.csv``), so OKX is a plugin that changes nothing.
    """

    name: str  # snapshots.exchange, and the --exchange value
    description: str
    # first records of a member (cells as csv.reader splits them) -> True when this exchange wrote it
    recognise: Callable[[list[list[str]]], bool]
    layout: Callable[[list[str]], Layout | None] | None = None  # detail header -> its layout
    summary_width: Callable[[list[str]], int | None] | None = None  # summary header -> 3 | 2 | None
    registry: Callable[[], Registry] | None = None  # the coin keys as this exchange writes them
    pair_key: Callable[[str, str], str | None] | None = None  # (coin, network) cells -> coin key (pair layouts)
    schemes: Mapping[str, VerifyFn] = field(default_factory=dict)  # addresses.family -> verifier
    constant_verdicts: Mapping[str, Verdict] = field(default_factory=dict)  # family -> the verdict of every row
    audit_page: Callable[[Any], Any] | None = None  # parsed JSON -> indexer.audit.AuditPage, or None if not its page
    audit_source: str = ""  # liabilities.source prefix of its audit page
    publication: Callable[[str, list[str]], Publication | None] | None = None  # file + member names -> date, label
    # True when the exchange writes each detail amount rounded at its last written digit (HTX: two decimals), so its
    # summary totals, summed before rounding, may differ from the rows' sum by half a unit of each row's last digit.
    # False (OKX, Binance) when amounts are exact: the summary check then allows only the summary's own rounding.
    rounded_amounts: bool = False
    # True when the exchange's complete publications add up to their own summary totals, so one that does not is
    # refused as incomplete or altered unless --allow-mismatch. False where real, complete publications do not
    # (HTX): their mismatches are loaded, printed and shown by ``por report`` beside the ratios, never refused.
    summary_must_add_up: bool = True


def header_names(cells: list[str]) -> tuple[str, ...]:
    """A header row as compared: each cell normalised, trailing empty cells dropped."""
    names = [normalise_header_cell(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    return tuple(names)


def first_header(records: list[list[str]]) -> tuple[str, ...]:
    """The normalised first non-blank record (the BOM is already gone: files are read as utf-8-sig)."""
    for cells in records:
        if any(c.strip() for c in cells):
            return header_names(cells)
    return ()


def read_data_csv(name: str) -> list[dict[str, str]]:
    """A coin-map file from ``data/`` (the installed copy or the checkout's), as dicts with stripped cells."""
    with (resource_dir("data") / name).open(newline="", encoding="utf-8") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def no_proof(row: Any) -> Verdict | None:
    """The verdict for a row that carries no ownership proof, or None when it carries one.

    HTX writes ``-`` (stored as empty) in both the message and the signature cell of an address it
    does not prove, and a few 2022/2023 rows have a message and an empty signature: neither is a
    failed proof, there is simply none.
    """
    if row.signature1:
        return None
    if row.message:
        return Verdict("unsupported", f"no proof published (message {row.message!r}, no signature)")
    return Verdict("unsupported", "no proof published")
