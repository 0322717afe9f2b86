"""``por liabilities``: what the exchange owes its customers, per asset, from the files it publishes.

Accepted: a plain ``asset,amount`` CSV, OKX's v1 Merkle proof file (the path is
hashed up to the root, whose balances are the totals) and the v2 full-tree file
(totals = the sum of the leaves, which must equal the root). A file that does
not check out is refused as a whole.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from indexer.ingest.amounts import AmountError, split_decimal, to_base_units
from indexer.models import LiabilityError
from indexer.store import append_arrow, transaction

MERKLE_ASSETS = ("BTC", "ETH", "USDT")
_EIGHT_DP = Decimal("0.00000001")


@dataclass(frozen=True)
class LiabilityTotals:
    source: str  # csv | merkle-v1 | merkle-v2
    amounts: dict[str, str]  # asset -> exact coin-unit text


def _merkle_text(value: Decimal) -> str:
    """OKX formats the summed balances rounded down to 8 dp without trailing zeros."""
    return format(value.quantize(_EIGHT_DP, rounding=ROUND_DOWN).normalize(), "f")


def _decimal(text: str, where: str) -> Decimal:
    try:
        split_decimal(text)
    except AmountError as exc:
        raise LiabilityError(f"{where}: {exc}") from None
    return Decimal(text)


def verify_merkle_v1(doc: dict) -> dict[str, str]:
    """Hash the user's leaf up the path; return the root balances when every hash matches."""
    try:
        me, path = doc["self"], doc["path"]
        balances = {a: _decimal(me["balances"][a], "self") for a in MERKLE_ASSETS}
        leaf_json = json.dumps({a: me["balances"][a] for a in MERKLE_ASSETS}, separators=(",", ":"))
        if hashlib.sha256((me["nonce"] + leaf_json).encode()).hexdigest() != me["hash"]:
            raise LiabilityError("the leaf hash does not match sha256(nonce + balances)")
        current = me["hash"]
        if path and path[0]["type"] == me["type"]:
            raise LiabilityError("the first path node is on the same side as the leaf")
        for i, node in enumerate(path[:-1]):
            sibling = {a: _decimal(node["balances"][a], f"path[{i}]") for a in MERKLE_ASSETS}
            balances = {a: balances[a] + sibling[a] for a in MERKLE_ASSETS}
            left, right = (node["hash"], current) if node["type"] == 1 else (current, node["hash"])
            height = 2 if i == 0 else node["height"] + 1
            text = left + right + "".join(_merkle_text(balances[a]) for a in MERKLE_ASSETS) + str(height)
            current = hashlib.sha256(text.encode()).hexdigest()
        root = path[-1]
    except (KeyError, TypeError, IndexError) as exc:
        raise LiabilityError(f"the Merkle proof file lacks a field: {exc}") from None
    if current != root["hash"]:
        raise LiabilityError(f"the path hashes to {current}, not to the root {root['hash']}")
    for a in MERKLE_ASSETS:
        if _decimal(root["balances"][a], "root").quantize(_EIGHT_DP) != balances[a].quantize(_EIGHT_DP, rounding=ROUND_DOWN):
            raise LiabilityError(f"the root's {a} balance does not equal the sum along the path")
    return {a: root["balances"][a] for a in MERKLE_ASSETS}


def verify_merkle_v2(text: str) -> dict[str, str]:
    """Sum the height-1 leaves; the single top node must carry the same totals."""
    sums = {a: Decimal(0) for a in MERKLE_ASSETS}
    top: tuple[int, dict[str, str]] | None = None
    tops = 0
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            _hash, height_text, balances_json = line.split(",", 2)
            height = int(height_text)
            balances = json.loads(balances_json)
            values = {a: _decimal(balances[a], f"line {line_no}") for a in MERKLE_ASSETS}
        except (ValueError, KeyError) as exc:
            raise LiabilityError(f"line {line_no} is not 'hash,height,{{balances}}': {exc}") from None
        if height == 1:
            for a in MERKLE_ASSETS:
                sums[a] += values[a]
        if top is None or height > top[0]:
            top, tops = (height, balances), 1
        elif height == top[0]:
            tops += 1
    if top is None:
        raise LiabilityError("the tree file is empty")
    if tops != 1:
        raise LiabilityError(f"the tree has {tops} nodes at its top height, not one root")
    for a in MERKLE_ASSETS:
        if Decimal(top[1][a]) != sums[a]:
            raise LiabilityError(f"the root's {a} ({top[1][a]}) is not the sum of the leaves ({sums[a]})")
    return {a: format(sums[a].normalize(), "f") if sums[a] else "0" for a in MERKLE_ASSETS}


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
        _decimal(amount, f"line {line_no}")
        if asset in amounts:
            raise LiabilityError(f"line {line_no} repeats asset {asset}")
        amounts[asset] = amount
    if not amounts:
        raise LiabilityError("the CSV has no rows")
    return amounts


def read_liabilities(path: Path) -> LiabilityTotals:
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LiabilityError("the file is not UTF-8 text") from None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LiabilityError(f"the JSON is malformed: {exc}") from None
        if isinstance(doc, dict) and "path" in doc and "self" in doc:
            return LiabilityTotals("merkle-v1", verify_merkle_v1(doc))
        raise LiabilityError(
            "this JSON is not a Merkle liability proof (v1 'self'+'path'), an OKX audit page "
            "('auditId'+'liabilityBalances') or a zk proof's sum_proof_data.json"
        )
    first = stripped.split("\n", 1)[0]
    if first.count(",") >= 2 and first.split(",", 2)[2].lstrip().startswith("{"):
        return LiabilityTotals("merkle-v2", verify_merkle_v2(text))
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
    written, whichever is larger: OKX's audit page gives up to 22 decimals, more
    than any coin has, and none of them may be rounded away.
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
