"""The DuckDB store: schema migrations, the SQL views, and bulk writes through Arrow.

Everything a run knows lives here as ordinary tables, so resuming is a query:
rows that have no ``signatures``/``balances`` row yet are the work left to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
DEFAULT_DB = "por.duckdb"

# Numbered, append-only. Never edit a migration that has shipped: add a new one.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_core_tables",
        """
        create sequence if not exists snapshot_ids start 1;
        create table snapshots (
            snapshot_id      integer primary key,
            exchange         varchar not null,
            label            varchar,
            source_file      varchar not null,
            file_sha256      varchar not null,
            layout           varchar not null,
            snapshot_heights bigint[],
            loaded_at        timestamptz not null default current_timestamp,
            row_count        bigint not null,
            error_count      bigint not null
        );
        create table addresses (
            snapshot_id          integer not null,
            row_no               bigint not null,
            coin                 varchar not null,
            asset                varchar not null,
            network              varchar not null,
            row_type             varchar,
            snapshot_height      bigint,
            address              varchar not null,
            published_amount     varchar,
            published_base_units hugeint,
            message              varchar,
            signature1           varchar,
            signature2           varchar,
            script_or_pubkey     varchar,
            eoa1                 varchar,
            eoa2                 varchar,
            network_published    varchar,
            coin_known           boolean not null,
            audit_status         varchar,
            null_cells           varchar,
            primary key (snapshot_id, row_no)
        );
        create table ingest_errors (
            snapshot_id integer not null,
            row_no      bigint not null,
            line_text   varchar,
            reason      varchar not null
        );
        create table published_totals (
            snapshot_id     integer not null,
            row_no          bigint not null,
            coin            varchar not null,
            snapshot_height varchar,
            amount          varchar not null,
            scale           integer,
            base_units      hugeint
        );
        create table signatures (
            snapshot_id integer not null,
            row_no      bigint not null,
            family      varchar,
            status      varchar not null,
            reason      varchar,
            okx_status  varchar,
            okx_reason  varchar,
            verified_at timestamptz not null default current_timestamp,
            primary key (snapshot_id, row_no)
        );
        create table balances (
            snapshot_id  integer not null,
            row_no       bigint not null,
            as_of        varchar not null,
            block_height bigint,
            amount       varchar,
            base_units   hugeint,
            status       varchar not null,
            error        varchar,
            source       varchar,
            fetched_at   timestamptz not null default current_timestamp,
            primary key (snapshot_id, row_no, as_of)
        );
        create table liabilities (
            snapshot_id integer,
            asset       varchar not null,
            amount      varchar not null,
            base_units  hugeint not null,
            scale       integer not null,
            source      varchar not null
        );
        create table coins (
            coin_key     varchar primary key,
            asset        varchar,
            network      varchar,
            family       varchar,
            address_type varchar,
            header       varchar,
            decimals     integer,
            contract     varchar
        );
        create table networks (
            network         varchar primary key,
            adapter         varchar,
            chain_id        bigint,
            native_asset    varchar,
            native_decimals integer
        );
        """,
    ),
    (
        # The analyst's surface (issue 12): publication time per snapshot, USD prices and the
        # per-exchange "own token" list. Idempotent DDL: other branches add the same column.
        "002_i12analyst_prices",
        """
        alter table snapshots add column if not exists published_at timestamptz;
        create table if not exists prices (
            asset      varchar not null,
            "at"       timestamptz not null,  -- quoted: AT is a DuckDB keyword
            usd        decimal(38, 18) not null,
            usd_text   varchar not null,
            usd_units  hugeint not null,
            source     varchar not null,
            fetched_at timestamptz not null default current_timestamp,
            primary key (asset, "at", source)
        );
        create table if not exists price_requests (
            source       varchar not null,
            request_key  varchar not null,
            status       varchar not null,
            detail       varchar,
            requested_at timestamptz not null default current_timestamp,
            primary key (source, request_key)
        );
        create table if not exists exchange_own_tokens (
            exchange varchar not null,
            asset    varchar not null,
            primary key (exchange, asset)
        );
        """,
    ),
]


def db_path(path: str | os.PathLike[str] | None) -> str:
    """The database to use: the flag, else ``POR_DB``, else ``por.duckdb`` here."""
    return str(path or os.environ.get("POR_DB") or DEFAULT_DB)


def connect(path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database, bring its schema up to date, and (re)apply the views."""
    con = duckdb.connect(db_path(path), read_only=read_only)
    if not read_only:
        migrate(con)
    return con


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create table if not exists schema_migrations (name varchar primary key, applied_at timestamptz default current_timestamp)"
    )
    applied = {r[0] for r in con.execute("select name from schema_migrations").fetchall()}
    for name, sql in MIGRATIONS:
        if name in applied:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("insert into schema_migrations (name) values (?)", [name])
    sync_registry(con)
    sync_exchange_settings(con)
    apply_views(con)


def sync_registry(con: duckdb.DuckDBPyConnection) -> None:
    """Mirror the registry into the database so views can join on decimals and assets."""
    from indexer.registry import registry

    reg = registry()
    coins = pa.table(
        {
            "coin_key": [c.key for c in reg.coins.values()],
            "asset": [c.asset for c in reg.coins.values()],
            "network": [c.network for c in reg.coins.values()],
            "family": [c.family for c in reg.coins.values()],
            "address_type": [c.address_type for c in reg.coins.values()],
            "header": [c.header for c in reg.coins.values()],
            "decimals": pa.array([c.decimals for c in reg.coins.values()], pa.int32()),
            "contract": [c.contract for c in reg.coins.values()],
        }
    )
    nets = pa.table(
        {
            "network": [n.name for n in reg.networks.values()],
            "adapter": [n.adapter for n in reg.networks.values()],
            "chain_id": pa.array([n.chain_id for n in reg.networks.values()], pa.int64()),
            "native_asset": [n.native_asset for n in reg.networks.values()],
            "native_decimals": pa.array([n.native_decimals for n in reg.networks.values()], pa.int32()),
        }
    )
    with transaction(con):
        con.execute("delete from coins")
        con.register("_coins", coins)
        con.execute("insert into coins select * from _coins")
        con.unregister("_coins")
        con.execute("delete from networks")
        con.register("_networks", nets)
        con.execute("insert into networks select * from _networks")
        con.unregister("_networks")


def sync_exchange_settings(con: duckdb.DuckDBPyConnection) -> None:
    """Mirror ``data/exchanges.csv`` (each exchange's own tokens) so the "clean" USD views can join on it."""
    from indexer.exchanges import own_tokens_table

    with transaction(con):
        con.execute("delete from exchange_own_tokens")
        append_arrow(con, "exchange_own_tokens", own_tokens_table())


def view_files() -> list[Path]:
    return sorted(QUERIES_DIR.glob("*.sql"))


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    """Apply every ``queries/NN_name.sql`` in order; each is a ``create or replace`` statement.

    A file whose first line is ``-- requires: table.column, ...`` is applied only when those columns
    exist: it refines a view defined by an earlier file once another part of the schema (another
    branch's migration) is present, so views never fail to bind on a database without it.
    """
    for path in view_files():
        text = path.read_text()
        needs = _required_columns(text)
        if needs and not _has_columns(con, needs):
            continue
        con.execute(text)


def _required_columns(text: str) -> list[tuple[str, str]]:
    first = text.split("\n", 1)[0].strip()
    if not first.lower().startswith("-- requires:"):
        return []
    items = [p.strip() for p in first.split(":", 1)[1].split(",") if p.strip()]
    return [tuple(i.lower().split(".", 1)) for i in items]  # type: ignore[misc]


def _has_columns(con: duckdb.DuckDBPyConnection, needs: list[tuple[str, str]]) -> bool:
    have = {
        (t.lower(), c.lower())
        for t, c in con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = current_schema()"
        ).fetchall()
    }
    return all(n in have for n in needs)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One all-or-nothing unit: a failure inside leaves the database exactly as it was."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    else:
        con.execute("commit")


def append_arrow(
    con: duckdb.DuckDBPyConnection, table: str, data: pa.Table | pa.RecordBatch, *, select: str = "*", replace: bool = False
) -> None:
    """Bulk-insert an Arrow table or batch by name-matched columns (never row by row).

    ``select`` may cast columns on the way in, e.g. ``* replace (cast(base_units as hugeint) as base_units)``;
    ``replace=True`` overwrites rows with the same primary key, so re-runs are idempotent.
    """
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    name = f"_arrow_{table}"
    con.register(name, data)
    try:
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in data.column_names)  # quoted: e.g. prices."at"
        verb = "insert or replace" if replace else "insert"
        con.execute(f"{verb} into {table} ({cols}) select {select} from {name}")
    finally:
        con.unregister(name)


def upsert_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table | pa.RecordBatch, *, select: str = "*") -> None:
    """``append_arrow`` that replaces rows with the same primary key (idempotent re-runs)."""
    append_arrow(con, table, data, select=select, replace=True)
