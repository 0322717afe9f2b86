"""Query results as plain objects, and their exact JSON form.

Why by column type and not by value: a JSON consumer must see one type per column.
An amount column (DECIMAL, HUGEINT) is always an exact decimal string — a base-unit
balance of 5 and one of 10**30 both arrive as strings — and a count column (INTEGER,
BIGINT) is always a JSON integer. No float ever reaches JSON: a DOUBLE is written as the
decimal text of its shortest round-trip representation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

import duckdb

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_EXACT_TEXT_PREFIXES = ("DECIMAL", "HUGEINT", "UHUGEINT", "DOUBLE", "FLOAT", "REAL", "VARINT", "BIGNUM")
JSON_SAFE_INT = 2**53


def is_integer_type(type_name: str) -> bool:
    return type_name.upper() in _INTEGER_TYPES


def is_amount_type(type_name: str) -> bool:
    """Columns whose values are written as exact decimal strings."""
    return type_name.upper().startswith(_EXACT_TEXT_PREFIXES)


def is_numeric_type(type_name: str) -> bool:
    return is_integer_type(type_name) or is_amount_type(type_name)


@dataclass
class ResultSet:
    """Column names, DuckDB type names and rows of one query: what every command renders."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    title: str = ""
    total_rows: int | None = None  # when ``rows`` is a prefix of a longer result
    notes: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # table and page headers (``figure_labels``); JSON/CSV keep names
    keep: tuple[str, ...] = ()  # what a narrow table shows first after the first column (``indexer.render``)

    @classmethod
    def from_relation(cls, rel: duckdb.DuckDBPyRelation, title: str = "", limit: int | None = None) -> ResultSet:
        columns = list(rel.columns)
        types = [str(t) for t in rel.types]
        if limit is None:
            return cls(columns, types, rel.fetchall(), title)
        rows = rel.limit(limit + 1).fetchall()
        total = None
        if len(rows) > limit:
            rows = rows[:limit]
            total = int(rel.aggregate("count(*)").fetchall()[0][0])
        return cls(columns, types, rows, title, total)

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r)) for r in self.rows]

    def json_records(self) -> list[dict[str, Any]]:
        """Rows ready for ``json.dumps``: amounts and ratios as exact strings, counts as integers."""
        kinds = [_json_kind(t) for t in self.types]
        return [{c: json_value(v, k) for c, v, k in zip(self.columns, r, kinds)} for r in self.rows]


# The four names of a reserve figure, one meaning each, in every output (views, API, table, JSON, CSV, HTML):
FIGURES = {
    "published": "what the exchange's file says",
    "claimed": "what the exchange's audit page says",
    "onchain": "what we read from the chain for the snapshot block",
    "verified": "on-chain, restricted to the rows whose ownership signature is proven",
}

# Figures only an exchange's audit page gives: empty without one, so left out of a default table or page then.
AUDIT_COLUMNS = ("claimed_reserves", "claimed_custody_reserves", "ratio_claimed", "ratio_onchain_with_custody")


def figure_label(column: str) -> str:
    """A column's header for people, made from its name alone (so a header always leads back to its JSON key):
    ``_reserves`` dropped, ``onchain`` as ``on-chain``, ``usd`` as ``USD``, underscores as spaces."""
    words = column.removesuffix("_reserves").split("_") if column != "reserves" else [column]
    return " ".join({"onchain": "on-chain", "usd": "USD"}.get(w, w) for w in words)


def figure_labels(columns: list[str]) -> dict[str, str]:
    return {c: figure_label(c) for c in columns}


def _json_kind(type_name: str) -> str:
    if is_amount_type(type_name):
        return "text"
    if is_integer_type(type_name):
        return "int"
    return "other"


def decimal_text(value: Decimal | float | int) -> str:
    """Plain positional decimal text, never scientific notation; trailing fraction zeros dropped."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        value = Decimal(repr(value))
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent_text(fraction: Decimal | float | int, places: int = 2) -> str:
    """A share (0..1) as a percentage for people, truncated, never rounded up: ``100 %`` only when complete."""
    exact = fraction if isinstance(fraction, Decimal) else Decimal(repr(fraction)) if isinstance(fraction, float) else Decimal(fraction)
    return decimal_text((exact * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)) + " %"


def json_value(value: Any, kind: str = "other") -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if kind == "text" or isinstance(value, (Decimal, float)):
        return decimal_text(value) if isinstance(value, (Decimal, float, int)) else str(value)
    if isinstance(value, int):
        return value if abs(value) < JSON_SAFE_INT else str(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
