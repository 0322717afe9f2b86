"""The DuckDB store: schema migrations, the SQL views, and bulk writes through Arrow.

Everything a run knows lives here as ordinary tables, so resuming is a query:
rows that have no ``signatures``/``balances`` row yet are the work left to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources.abc import Traversable

import duckdb
import pyarrow as pa

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
        # Fetch contract v2: every balance says how it was read, at which block, by which run.
        # ``block_height`` is from now on the block *asked for* (the row's snapshot height, or the tip
        # read at the start of an ``--at latest`` run); ``read_block`` is the block the value is valid
        # at in the chain's own reference. Rows written before this migration came only from the EVM
        # and UTXO adapters, which read exactly the block they were asked for: read_block = block_height,
        # method = 'latest' for as_of 'latest', 'dump' for UTXO dump rows, 'state_at_height' otherwise.
        "002_i8core_fetch_contract_v2",
        """
        alter table balances add column if not exists method varchar;
        alter table balances add column if not exists read_block bigint;
        alter table balances add column if not exists run_id bigint;
        alter table balances add column if not exists note varchar;
        update balances set read_block = block_height where read_block is null;
        update balances b set method = case
                when b.as_of = 'latest' then 'latest'
                when n.adapter = 'utxo' and b.source like 'utxo-dump:%' then 'dump'
                when n.adapter in ('evm', 'utxo') then 'state_at_height'
            end
        from addresses a, networks n
        where b.method is null and a.snapshot_id = b.snapshot_id and a.row_no = b.row_no and n.network = a.network;
        create sequence if not exists run_ids start 1;
        create table if not exists runs (
            run_id               bigint not null,
            network              varchar not null,
            snapshot_id          integer not null,
            as_of                varchar not null,
            adapter              varchar,
            outcome              varchar not null,
            reason               varchar,
            source               varchar,
            blocks               bigint[],
            read_block_min       bigint,
            read_block_max       bigint,
            rows_planned         bigint not null default 0,
            reads                bigint not null default 0,
            rows_ok              bigint not null default 0,
            rows_error           bigint not null default 0,
            rows_state_at_height bigint not null default 0,
            rows_dump            bigint not null default 0,
            rows_replayed        bigint not null default 0,
            rows_latest          bigint not null default 0,
            notes                varchar,
            started_at           timestamptz not null,
            finished_at          timestamptz,
            seconds              double,
            primary key (run_id, network)
        );
        """,
    ),
    (
        # OKX's audit page (one per snapshot), its per-asset claims, and the zk proof bound to its merkleHash.
        "002_i7liab_audit_page_and_proof",
        """
        create table if not exists audits (
            snapshot_id    integer primary key,
            audit_id       varchar not null,
            merkle_hash    varchar,
            create_time    timestamptz,
            create_time_ms bigint,
            source_file    varchar not null,
            file_sha256    varchar not null,
            loaded_at      timestamptz not null default current_timestamp
        );
        create table if not exists audit_claims (
            snapshot_id            integer not null,
            audit_id               varchar not null,
            asset                  varchar not null,
            reserve                varchar,
            exchange_reserve       varchar,
            custody_reserve        varchar,
            capital_ratio          varchar,
            scale                  integer not null,
            reserve_units          hugeint,
            exchange_reserve_units hugeint,
            custody_reserve_units  hugeint,
            capital_ratio_value    decimal(38, 18),
            primary key (snapshot_id, asset)
        );
        create table if not exists proofs (
            snapshot_id        integer primary key,
            audit_id           varchar not null,
            source_file        varchar not null,
            file_sha256        varchar not null,
            round_num          bigint,
            root_hash          varchar not null,
            equity_sum         hugeint not null,
            debt_sum           hugeint not null,
            balance_sum        hugeint not null,
            public_inputs      varchar not null,
            verifier           varchar,
            verifier_status    varchar not null,
            verifier_exit_code integer,
            verifier_output    varchar,
            loaded_at          timestamptz not null default current_timestamp
        );
        """,
    ),
    (
        # Which public reference each token row's contract and decimals were checked against (data/coins.csv).
        "002_i7registry_coin_source",
        "alter table coins add column if not exists source varchar;",
    ),
    (
        # One archive is one publication (several members, one snapshot); every row keeps its member and
        # line; each address row keeps the registry facts it was ingested with (issue 7).
        "002_i7ingest_publications",
        """
        alter table snapshots add column if not exists published_at timestamptz;
        alter table snapshots add column if not exists version integer;
        alter table snapshots add column if not exists members varchar[];
        alter table addresses add column if not exists source_member varchar;
        alter table addresses add column if not exists line_no bigint;
        alter table addresses add column if not exists family varchar;
        alter table addresses add column if not exists contract varchar;
        alter table addresses add column if not exists decimals integer;
        alter table ingest_errors add column if not exists source_member varchar;
        alter table ingest_errors add column if not exists line_no bigint;
        alter table published_totals add column if not exists source_member varchar;
        alter table published_totals add column if not exists line_no bigint;
        alter table published_totals add column if not exists asset varchar;
        -- Rows loaded before this migration: the best record of their registry is the copy of it the
        -- database held until now (synced on every connect), so freeze that.
        update addresses set family = c.family, contract = c.contract, decimals = c.decimals
        from coins c where c.coin_key = addresses.coin and addresses.decimals is null and addresses.family is null;
        update addresses set line_no = row_no where line_no is null;
        update addresses set source_member = s.source_file from snapshots s
        where s.snapshot_id = addresses.snapshot_id and addresses.source_member is null;
        update ingest_errors set source_member = s.source_file from snapshots s
        where s.snapshot_id = ingest_errors.snapshot_id and ingest_errors.source_member is null;
        update published_totals set source_member = s.source_file from snapshots s
        where s.snapshot_id = published_totals.snapshot_id and published_totals.source_member is null;
        update ingest_errors set line_no = row_no where line_no is null;
        update published_totals set line_no = row_no where line_no is null;
        update published_totals set asset = replace(upper(coin), '(ALL)', '') where asset is null and upper(coin) like '%(ALL)';
        -- Each asset's scale (finest decimals among its coin keys) as the registry said at ingest.
        create table if not exists snapshot_asset_scales (
            snapshot_id integer not null,
            asset       varchar not null,
            scale       integer not null,
            primary key (snapshot_id, asset)
        );
        insert into snapshot_asset_scales
        select s.snapshot_id, c.asset, max(c.decimals)
        from snapshots s, coins c
        where c.asset <> '' and c.decimals is not null
          and s.snapshot_id not in (select snapshot_id from snapshot_asset_scales)
        group by s.snapshot_id, c.asset;
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
    (
        # Exchange plugins (issue 11): Binance's third-party custodian per row, and the form of a holding
        # (native / wrapped / bridged / staked / lent) from the exchange's coin map, stored at ingest.
        "003_i11exchanges_custodian_form",
        """
        alter table addresses add column if not exists custodian varchar;
        alter table addresses add column if not exists form varchar;
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
            "source": [c.source for c in reg.coins.values()],
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
        # by column name: other migrations may add columns to coins in any order
        append_arrow(con, "coins", coins)
        con.execute("delete from networks")
        append_arrow(con, "networks", nets)


def sync_exchange_settings(con: duckdb.DuckDBPyConnection) -> None:
    """Mirror ``data/exchanges.csv`` (each exchange's own tokens) so the "clean" USD views can join on it."""
    from indexer.exchanges import own_tokens_table

    with transaction(con):
        con.execute("delete from exchange_own_tokens")
        append_arrow(con, "exchange_own_tokens", own_tokens_table())


def view_files() -> list[Traversable]:
    """The view files in apply order (``NN_name.sql``), from the installed package or the checkout."""
    from indexer.resources import resource_dir

    return sorted((f for f in resource_dir("queries").iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    """Apply every ``queries/NN_name.sql`` in order; each is a ``create or replace`` statement."""
    for path in view_files():
        con.execute(path.read_text())



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
