"""Across snapshots: the series, two-snapshot comparisons and address histories as plain rows.

Why a module over views that already exist: the CLI and the HTML report want validated questions
("are A and B snapshots of the same exchange?") and dict rows; the SQL stays in ``queries/2x_*.sql``
so ``por sql`` users get the same answers.
"""

from __future__ import annotations

from typing import Any

import duckdb

from indexer.errors import PorError


class SeriesError(PorError):
    """A comparison that cannot be made; one sentence for the user."""


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def snapshot_exchange(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> str:
    row = con.execute("select exchange from snapshots where snapshot_id = ?", [snapshot_id]).fetchall()
    if not row:
        raise SeriesError(f"there is no snapshot {snapshot_id} in this database")
    return str(row[0][0])


def check_pair(con: duckdb.DuckDBPyConnection, a: int, b: int) -> str:
    """The exchange both snapshots belong to; SeriesError when either is missing or they differ."""
    ea, eb = snapshot_exchange(con, a), snapshot_exchange(con, b)
    if ea.lower() != eb.lower():
        raise SeriesError(f"snapshot {a} is from {ea} and snapshot {b} from {eb}: compare snapshots of one exchange")
    return ea


DIFF_COLUMNS = (
    "asset, network, addresses_a, addresses_b, added, removed, kept, published_a, published_b, published_change, "
    "onchain_a, onchain_b, onchain_change, published_added, published_removed, published_kept_change"
)


def diff(con: duckdb.DuckDBPyConnection, a: int, b: int, *, exact: bool = False) -> duckdb.DuckDBPyRelation:
    """``snapshot_diff(a, b)`` per asset and network (``exact`` adds the base-unit columns)."""
    check_pair(con, a, b)
    cols = "*" if exact else DIFF_COLUMNS
    return con.sql(f"select {cols} from snapshot_diff($a, $b)", params={"a": a, "b": b})


def diff_addresses(con: duckdb.DuckDBPyConnection, a: int, b: int, status: str | None = None) -> duckdb.DuckDBPyRelation:
    """``snapshot_diff_addresses(a, b)``: one row per address, added/removed/kept, largest published change first."""
    check_pair(con, a, b)
    where = "where status = $status" if status else ""
    params: dict[str, Any] = {"a": a, "b": b} | ({"status": status} if status else {})
    return con.sql(
        f"""select asset, network, address, status, published_a, published_b, published_change,
                   onchain_a, onchain_b, onchain_change
            from snapshot_diff_addresses($a, $b) {where}
            order by asset, network, abs(published_change) desc, address""",
        params=params,
    )


def series(con: duckdb.DuckDBPyConnection, exchange: str | None = None) -> list[dict[str, Any]]:
    """``snapshot_series`` rows (optionally of one exchange), in publication order."""
    where = "where lower(exchange) = lower(?)" if exchange else ""
    return _rows(con.execute(f"select * from snapshot_series {where}", [exchange] if exchange else []))
