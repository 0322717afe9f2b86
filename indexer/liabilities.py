"""``por liabilities``: what the exchange owes its customers, per asset, from the files it publishes.

The core reads a plain ``asset,amount`` CSV itself; every other liabilities file is an exchange's (OKX's Merkle v1
proof and v2 tree, its zk proof: ``ExchangePlugin.liability_files``), tried here in the installed plugins' order. A
file that does not check out is refused as a whole.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from indexer.exchange_plugins import exchange_plugins
from indexer.ingest.amounts import AmountError, split_decimal, to_base_units
from indexer.models import LiabilityError, LiabilityTotals, parse_json
from indexer.plugins import ExchangePlugin, LiabilityFormat
from indexer.store import append_arrow, transaction

__all__ = ["LiabilityError", "LiabilityTotals", "load_liabilities", "read_liabilities", "read_csv_totals"]


def _plain_decimal(text: str, where: str) -> None:
    try:
        split_decimal(text)
    except AmountError as exc:
        raise LiabilityError(f"{where}: {exc}") from None


def liability_formats(proofs: bool) -> list[tuple[ExchangePlugin, LiabilityFormat]]:
    """The installed exchanges' liability files: proofs of a sum (``proofs=True``) or totals, in plugin order."""
    return [(p, f) for _, p in sorted(exchange_plugins().items()) for f in p.liability_files if f.proves_a_sum == proofs]


def sniff_json(raw: bytes) -> Any:
    """The parsed document when the file is JSON (its first character is ``{``), else None."""
    return parse_json(raw) if raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else None


def read_exchange_file(path: Path, raw: bytes, doc: Any, proofs: bool) -> tuple[ExchangePlugin, LiabilityFormat, Any] | None:
    """(plugin, format, what it states) of the first installed format that claims the file, None when none does."""
    for plugin, fmt in liability_formats(proofs):
        found = fmt.read(path, raw, doc)
        if found is not None:
            return plugin, fmt, found
    return None


def refusal_of_json() -> str:
    """Why a JSON no installed format or audit page claims is refused: what the installed exchanges publish."""
    kinds = [f.description for proofs in (False, True) for _, f in liability_formats(proofs)]
    pages = sorted(name for name, p in exchange_plugins().items() if p.audit_page is not None)
    if pages:
        kinds.append(f"an installed exchange's audit page ({', '.join(pages)})")
    if not kinds:
        return "this JSON is no liabilities file: no installed exchange plugin publishes JSON liabilities (give an asset,amount CSV)"
    return "this JSON is not " + (", ".join(kinds[:-1]) + " or " + kinds[-1] if len(kinds) > 1 else kinds[0])


def read_csv_totals(text: str) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["asset", "amount"]:
        raise LiabilityError("the CSV must start with the header 'asset,amount'")
    amounts: dict[str, str] = {}
    for line_no, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < 2 or not row[0].strip():
            raise LiabilityError(f"line {line_no} is not 'asset,amount'")
        asset, amount = row[0].strip().upper(), row[1].strip()
        _plain_decimal(amount, f"line {line_no}")
        if asset in amounts:
            raise LiabilityError(f"line {line_no} repeats asset {asset}")
        amounts[asset] = amount
    if not amounts:
        raise LiabilityError("the CSV has no rows")
    return amounts


def read_liabilities(path: Path) -> LiabilityTotals:
    """The totals a file states: an installed exchange's totals format, else an ``asset,amount`` CSV."""
    raw = Path(path).read_bytes()
    doc = sniff_json(raw)
    found = read_exchange_file(Path(path), raw, doc, proofs=False)
    if found is not None:
        return found[2]
    if doc is not None:
        raise LiabilityError(refusal_of_json())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LiabilityError("the file is not UTF-8 text") from None
    return LiabilityTotals("csv", read_csv_totals(text))


def load_liabilities(con: duckdb.DuckDBPyConnection, path: Path, snapshot_id: int) -> LiabilityTotals:
    """Replace the snapshot's liabilities for the assets in the file, atomically."""
    totals = read_liabilities(path)
    table = liability_table(con, snapshot_id, totals.amounts, f"{totals.source}:{Path(path).name}")
    with transaction(con):
        replace_liabilities(con, snapshot_id, table)
    return totals


def liability_table(con: duckdb.DuckDBPyConnection, snapshot_id: int, amounts: dict[str, str], source: str) -> pa.Table:
    """Rows for ``liabilities``: the exact text, and base units at a scale that holds every digit written.

    The scale is the asset's (its finest coin decimals) or the number of decimals
    written, whichever is larger: an audit page may give more decimals than any coin
    has (22 at one exchange), and none of them may be rounded away.
    """
    scales = snapshot_scales(con, snapshot_id)
    assets, texts, units, scale_col = [], [], [], []
    for asset, amount in amounts.items():
        frac = split_decimal(amount)[1].rstrip("0")
        scale = max(scales.get(asset) or 0, len(frac))
        assets.append(asset)
        texts.append(amount)
        units.append(str(hugeint_units(amount, scale, asset)))
        scale_col.append(scale)
    n = len(assets)
    return pa.table(
        {
            "snapshot_id": pa.array([snapshot_id] * n, pa.int32()),
            "asset": assets,
            "amount": texts,
            "base_units": units,
            "scale": pa.array(scale_col, pa.int32()),
            "source": [source] * n,
        }
    )


def snapshot_scales(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> dict[str, int]:
    """Each asset's scale in a snapshot: the one its rows were ingested with; for an asset the snapshot
    lacks, the registry's finest decimals. An amount stored at that scale (or finer) is exact."""
    scales = dict(con.execute("select asset, max(decimals) from coins where asset <> '' group by asset").fetchall())
    scales.update(con.execute("select asset, scale from asset_scales where snapshot_id = ?", [snapshot_id]).fetchall())
    return scales


def hugeint_units(amount: str, scale: int, what: str) -> int:
    """Base units that fit the HUGEINT column; a one-sentence refusal instead of a database overflow."""
    units = to_base_units(amount, scale)
    if units >= 2**127:
        raise LiabilityError(f"{what} {amount} at {scale} decimals is too large for an exact HUGEINT")
    return units


def replace_liabilities(con: duckdb.DuckDBPyConnection, snapshot_id: int, table: pa.Table) -> None:
    """Swap in ``table``'s assets for the snapshot; call inside the caller's transaction."""
    con.execute(
        "delete from liabilities where snapshot_id = ? and asset in (select unnest(?))",
        [snapshot_id, table.column("asset").to_pylist()],
    )
    append_arrow(con, "liabilities", table, select="* replace (cast(base_units as hugeint) as base_units)")
