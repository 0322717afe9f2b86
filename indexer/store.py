"""The DuckDB store: schema migrations, the SQL views, and bulk writes through Arrow.

Everything a run knows lives here as ordinary tables, so resuming is a query:
rows that have no ``signatures``/``balances`` row yet are the work left to do.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb
import pyarrow as pa

from indexer.errors import PorError

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
        # per-exchange "own token" list. Idempotent DDL: 002_i7ingest_publications adds the same column.
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
    (
        # The SQL text of the views the database holds (a digest), so a writer re-creates them only when they changed.
        "004_i11_view_digest",
        "create table if not exists view_digest (digest varchar not null)",
    ),
    (
        # Issue 16: a single-key row is verified by the one signature its address needs; a second signature that
        # proves nothing is recorded apart (same_key | other_key | unreadable), never a failure. Strict UTXO verdicts
        # stored under the old rule that failed on a signature cell are removed, so the next `por verify` re-judges
        # them (their OKX-compatible verdict comes back with `--okx-compat`); every other verdict stays.
        "005_i16okxstrict_extra_signature",
        """
        alter table signatures add column if not exists extra_signature varchar;
        delete from signatures
        where family = 'UTXO' and status = 'failed' and extra_signature is null
          and (reason like 'signature1: %' or reason like 'signature2: %' or reason like 'address mismatch: signature%');
        """,
    ),
    (
        # Bad and incomplete files (issue 16): the duplicate check compares content (line ends normalised, see
        # indexer/ingest/content.py), not bytes; a per-coin-key summary total names the keys that are the same
        # holding (HTX's USDT-ERC20 / USDT-ETH); an exchange that rounds each detail amount (HTX) is recorded,
        # so published_totals_check allows half a unit of each row's last digit. NULL for snapshots from before.
        "006_i16badfiles_content_and_summary_check",
        """
        alter table snapshots add column if not exists content_sha256 varchar;
        alter table snapshots add column if not exists amounts_rounded boolean;
        alter table published_totals add column if not exists covers varchar[];
        """,
    ),
    (
        # Issue 18: the HTTP requests a run made per network (every service its adapter read: chain API, history
        # API, execution node), and how many were answered 429, so a plan's prediction can be set beside them.
        "007_i18_runs_requests",
        """
        alter table runs add column if not exists requests bigint;
        alter table runs add column if not exists rate_limited bigint;
        """,
    ),
]


def db_path(path: str | os.PathLike[str] | None) -> str:
    """The database to use: the flag, else ``POR_DB``, else ``por.duckdb`` here."""
    return str(path or os.environ.get("POR_DB") or DEFAULT_DB)


class StoreError(PorError):
    """The database cannot be opened or used as asked; one sentence saying what to do.

    The DuckDB exception, when there is one, is the ``__cause__`` (shown by ``por --debug``).
    """


class DatabaseBusy(StoreError):
    """Another process held the file's lock for longer than we were willing to wait."""


def _env_seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


# How long a command waits for another process's lock. Long writers (verify, fetch) release the file
# between committed chunks, so a reader waits at most about one chunk; a writer waits for readers to finish.
READ_WAIT = _env_seconds("POR_LOCK_WAIT", 60.0)
WRITE_WAIT = _env_seconds("POR_WRITE_LOCK_WAIT", 600.0)
_RETRY_SECONDS = 0.02
HOLD_SECONDS = 1.0  # a long writer keeps the file across chunks at most this long, then lets readers in
READER_GAP = 3 * _RETRY_SECONDS  # ... and waits this long before taking it again, so a retrying reader gets a turn
_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


def por_version() -> str:
    try:
        from importlib.metadata import version

        return version("por-indexer")
    except Exception:  # noqa: BLE001 - running from a source tree without metadata
        return "unknown"


def connect(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    migrate_schema: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open the database; a writer brings its schema up to date and (re)applies the views.

    Read-only opens never create a file (a missing database is a ``StoreError``), take only a
    shared lock, and work on read-only files and directories. Both wait up to ``wait`` seconds
    for another process's lock (telling ``on_wait`` once), then fail with one sentence.
    A database whose schema is newer than this ``por`` is refused before anything is written.
    """
    target = db_path(path)
    con = open_raw(target, read_only=read_only, wait=wait, on_wait=on_wait)
    try:
        if read_only:
            check_schema(con, target, required=True)
        elif migrate_schema:
            migrate(con, target)
    except BaseException:
        con.close()
        raise
    return con


def open_raw(
    path: str, *, read_only: bool = False, wait: float | None = None, on_wait: Callable[[str], None] | None = None
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` with one-sentence errors and a bounded wait for a lock another process holds."""
    memory = path == ":memory:" or path.startswith(":memory:")
    if not memory:
        file = Path(path)
        if read_only and not file.exists():
            raise StoreError(f"there is no database at {path}: run `por ingest FILE --db {path}` first, or pass --db")
        if not read_only and not file.parent.exists():
            raise StoreError(f"the directory {file.parent} does not exist: create it or pass another --db")
        if file.is_dir():
            raise StoreError(f"{path} is a directory, not a database file: pass a file path with --db")
    budget = (READ_WAIT if read_only else WRITE_WAIT) if wait is None else wait
    deadline = time.monotonic() + budget
    told = False
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only)
            # DuckDB's own progress bar would print into por's output (a CSV on stdout, our own progress display).
            con.execute("set enable_progress_bar = false")
            return con
        except duckdb.Error as exc:
            text = str(exc)
            lock = "lock" in text.lower() and "conflicting" in text.lower()
            if lock and time.monotonic() < deadline:
                if not told and on_wait is not None:
                    holder = _LOCK_HOLDER.search(text)
                    who = f"process {holder.group(1)}" if holder else "another process"
                    on_wait(f"{path} is in use by {who}; waiting up to {budget:.0f} s for it to release the file")
                    told = True
                time.sleep(_RETRY_SECONDS)
                continue
            raise translate_error(exc, path, read_only=read_only, waited=budget) from exc


def translate_error(exc: BaseException, path: str, *, read_only: bool = False, waited: float = 0.0) -> StoreError:
    """One sentence with what to do, for the DuckDB errors a user can meet when opening a database."""
    text = str(exc)
    low = text.lower()
    if "lock" in low and "conflicting" in low:
        holder = _LOCK_HOLDER.search(text)
        who = f"process {holder.group(1)}" if holder else "another process"
        return DatabaseBusy(
            f"{path} is locked by {who}, which did not release it within {waited:.0f} s: wait for it to finish "
            "(or raise POR_LOCK_WAIT), or work on a copy of the file"
        )
    if "permission denied" in low or "read-only file system" in low:
        if read_only:
            return StoreError(f"{path} cannot be read (permission denied): ask for read access or copy the file")
        return StoreError(
            f"{path} cannot be opened for writing (permission denied): read-only commands (report, sql, networks) "
            "work on it, or copy it somewhere writable"
        )
    if "not a valid duckdb database" in low or "unable to read" in low and "header" in low:
        return StoreError(f"{path} is not a DuckDB database: pass the right file with --db")
    if "version number" in low or "storage version" in low:
        return StoreError(f"{path} was written by an incompatible DuckDB version: open it with the DuckDB version that wrote it")
    if "no such file or directory" in low:
        return StoreError(f"{path} or its directory does not exist: check the --db path")
    return StoreError(f"{path} could not be opened as a DuckDB database (run with --debug for DuckDB's message)")


def schema_state(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]] | None:
    """(migrations recorded in the database that this por does not know, known ones not applied yet).

    None for a database without ``schema_migrations`` (empty, or not made by por). The recorded
    migration names are the schema version: append-only and named, so branches never collide.
    """
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where database_name = current_database()").fetchall()}
    if "schema_migrations" not in tables:
        return None
    applied = [r[0] for r in con.execute("select name from schema_migrations order by name").fetchall()]
    known = [name for name, _ in MIGRATIONS]
    unknown = [n for n in applied if n not in known]
    pending = [n for n in known if n not in applied]
    return unknown, pending


def check_schema(con: duckdb.DuckDBPyConnection, path: str = "", *, required: bool = False) -> list[str]:
    """Refuse a database written by a newer por (one sentence); return the migrations still pending."""
    state = schema_state(con)
    if state is None:
        if required:
            raise StoreError(f"{path or 'the database'} holds no por data (no schema_migrations table): check the --db path")
        return [name for name, _ in MIGRATIONS]
    unknown, pending = state
    if unknown:
        written_by = ""
        cols = {r[0] for r in con.execute("select column_name from duckdb_columns() where table_name = 'schema_migrations' and database_name = current_database()").fetchall()}
        if "por_version" in cols:
            found = con.execute("select max(por_version) from schema_migrations where name = ?", [unknown[-1]]).fetchall()[0]
            if found and found[0]:
                written_by = f" by por {found[0]}"
        raise StoreError(
            f"{path or 'the database'} was written{written_by} with a newer schema ({', '.join(unknown)}) than this "
            f"por {por_version()} knows: upgrade por (pip install -U por-indexer) to use it"
        )
    return pending


def migrate(con: duckdb.DuckDBPyConnection, path: str = "") -> None:
    """Bring the schema up to date, the registry mirror and the views, all in one transaction.

    A database from a newer por is refused before anything is touched, so its views are never
    rewritten with older SQL; a failure half-way leaves an older database exactly as it was.
    """
    with transaction(con):
        con.execute(
            "create table if not exists schema_migrations (name varchar primary key, applied_at timestamptz default current_timestamp)"
        )
        con.execute("alter table schema_migrations add column if not exists por_version varchar")
        pending = set(check_schema(con, path))
        version = por_version()
        for name, sql in MIGRATIONS:
            if name not in pending:
                continue
            con.execute(sql)
            con.execute("insert into schema_migrations (name, por_version) values (?, ?)", [name, version])
        _sync_registry(con)
        _sync_exchange_settings(con)
        apply_views(con, force=bool(pending))


class Reopening:
    """A database handle that holds DuckDB's file lock only while work is being written.

    DuckDB lets one process write a file and nobody else open it meanwhile. Long writers
    (``verify``, ``fetch``) take the file per unit of work through ``connection()``; the file
    stays open across units that follow each other within ``hold`` seconds (a fetch commits
    many small chunks a second, and reopening costs a checkpoint each time) and is closed
    as soon as it has been idle for ``hold`` seconds, so readers (``por report``, ``por sql``,
    a notebook) get in between. Call ``close()`` when done.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, wait: float | None = None, on_wait: Callable[[str], None] | None = None, hold: float = HOLD_SECONDS
    ) -> None:
        self.path = db_path(path)
        self.wait = wait
        self.hold = hold
        self.opens = 0
        self._told = False
        self._on_wait = on_wait
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opened = 0.0
        self._released = -READER_GAP
        self._mutex = threading.RLock()
        self._timer: threading.Timer | None = None

    def on_wait(self, message: str) -> None:
        """Tell the caller about a wait once per run, not once per chunk."""
        if self._on_wait is not None and not self._told:
            self._told = True
            self._on_wait(message)

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._mutex:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._con is None:
                gap = self._released + READER_GAP - time.monotonic()
                if gap > 0:  # we just let go after holding the file ``hold`` seconds: give a waiting reader its turn
                    time.sleep(gap)
                self._con = open_raw(self.path, wait=self.wait, on_wait=self.on_wait)
                self._opened = time.monotonic()
                self.opens += 1
            try:
                with _interrupts_as_keyboard():
                    yield self._con
            finally:
                held = time.monotonic() - self._opened
                if held >= self.hold:
                    self._close()
                    self._released = time.monotonic()
                else:  # keep it for the next unit, but never longer than ``hold`` idle
                    self._timer = threading.Timer(self.hold, self._close_idle)
                    self._timer.daemon = True
                    self._timer.start()

    def _close_idle(self) -> None:
        with self._mutex:
            self._close()

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def close(self) -> None:
        with self._mutex:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._close()


class _Held:
    """The same interface over a connection the caller owns (kept open, never closed here).

    One DuckDB connection refuses a second call while one is running ("connection is busy"), so units of
    work from two threads (the fetch runner commits on a writer thread) take turns, as ``Reopening``'s do."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._mutex = threading.RLock()

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._mutex, _interrupts_as_keyboard():
            yield self.con


@contextmanager
def _interrupts_as_keyboard() -> Iterator[None]:
    """Ctrl-C during a DuckDB query surfaces as ``RuntimeError: Query interrupted``: make it the KeyboardInterrupt it is."""
    try:
        yield
    except (RuntimeError, duckdb.Error) as exc:
        if "interrupted" in str(exc).lower():
            raise KeyboardInterrupt(str(exc)) from exc
        raise


def as_handle(con_or_handle: "duckdb.DuckDBPyConnection | Reopening") -> "Reopening | _Held":
    """Library functions accept an open connection (kept open) or a ``Reopening`` handle."""
    if isinstance(con_or_handle, duckdb.DuckDBPyConnection):
        return _Held(con_or_handle)
    return con_or_handle


def sync_registry(con: duckdb.DuckDBPyConnection) -> None:
    """Mirror the registry into the database so views can join on decimals and assets."""
    with transaction(con):
        _sync_registry(con)


def _sync_registry(con: duckdb.DuckDBPyConnection) -> None:
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
    con.execute("delete from coins")
    # by column name: other migrations may add columns to coins in any order
    append_arrow(con, "coins", coins)
    con.execute("delete from networks")
    append_arrow(con, "networks", nets)


def _sync_exchange_settings(con: duckdb.DuckDBPyConnection) -> None:
    """Mirror each exchange plugin's ``own_tokens`` so the "clean" USD views can join on it
    (inside the caller's transaction)."""
    from indexer.exchange_plugins import own_tokens_table

    con.execute("delete from exchange_own_tokens")
    append_arrow(con, "exchange_own_tokens", own_tokens_table())


def view_files() -> list[Traversable]:
    """The view files in apply order (``NN_name.sql``), from the installed package or the checkout."""
    from indexer.resources import resource_dir

    return sorted((f for f in resource_dir("queries").iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)


def apply_views(con: duckdb.DuckDBPyConnection, *, force: bool = True) -> None:
    """Apply every ``queries/NN_name.sql`` in order; each is a ``create or replace`` statement.

    Unless ``force``, nothing is done when the database already holds these very texts (their digest is
    stored): re-creating ~30 views costs ~0.2 s, on every command that writes.
    """
    texts = [(path.name, path.read_text()) for path in view_files()]
    digest = hashlib.sha256("".join(f"{name}\0{text}\0" for name, text in texts).encode()).hexdigest()
    if not force and con.execute("select count(*) from view_digest where digest = ?", [digest]).fetchall()[0][0]:
        return
    for _, text in texts:
        con.execute(text)
    con.execute("delete from view_digest")
    con.execute("insert into view_digest values (?)", [digest])



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
    with registered(con, f"_arrow_{table}", data) as name:
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in data.column_names)  # quoted: e.g. prices."at"
        verb = "insert or replace" if replace else "insert"
        con.execute(f"{verb} into {table} ({cols}) select {select} from {name}")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: object) -> Iterator[str]:
    """``data`` (an Arrow table or stream) visible to SQL as ``name`` inside the block.

    Why not a plain ``finally: unregister``: unregistering is a statement, and in a transaction that
    a failed statement or a Ctrl-C has aborted it fails too ("Current transaction is aborted"),
    replacing the error that matters (the interrupt, the bad row). Then the name is left to the
    rollback that follows and to the next ``register`` of it, which replaces it.
    """
    con.register(name, data)
    try:
        yield name
    except BaseException:
        try:
            con.unregister(name)
        except duckdb.TransactionException:
            pass  # the transaction is aborted: the error being raised is the one to report
        raise
    con.unregister(name)


def upsert_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table | pa.RecordBatch, *, select: str = "*") -> None:
    """``append_arrow`` that replaces rows with the same primary key (idempotent re-runs)."""
    append_arrow(con, table, data, select=select, replace=True)
