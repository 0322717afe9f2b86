"""Plans balance reads from SQL, runs each network's adapter, and commits results in chunks.

Why this shape: the database is the run state. The plan is "rows of the
snapshot with no good ``balances`` row for this ``as_of``", so a crash or
Ctrl-C loses at most the chunks in flight and a re-run picks up exactly what is
missing; ``balances`` has a primary key and results go in with ``upsert_arrow``,
so no row is ever written twice.

Decisions a nightly reconciliation job relies on:

* **Error rows are retried.** A re-run fetches rows with no balance row *and* rows whose
  last attempt ended in ``status = 'error'`` (a transient outage must heal itself on the
  next night); ``ok`` rows are kept unless ``refresh=True``.
* **A blocked network is written as error rows**, each carrying the one-sentence reason
  (block beyond the tip, no state at that block, wrong chain…), never as zeros. The
  database itself then says why those reserves are unchecked, even when the run's log is
  lost, and coverage views count them; the next run retries them.
* Rows of networks that are not configured, or have no installed adapter, are not
  touched (no row is written) and are reported in the summary with their counts.
* Identical reads (same address, contract and block, as written) across rows are fetched once
  and shared; every row still gets its own ``balances`` row. Address and contract text is passed
  to adapters exactly as the registry and the file write it: only an adapter knows whether its
  chain's addresses are case-insensitive (EVM lowercases inside its own adapter; base58, bech32-m
  and TON text must not be folded).
* **``as_of`` is what was asked, ``method``/``read_block`` what was got.** Each ok result must say
  how its value was obtained (``BalanceResult.method``); one that does not is an error row naming
  the adapter (the runner never guesses it from the declared methods). A snapshot request answered
  with ``method='latest'`` is stored as an ``ok`` row with the adapter's note, is never counted in a
  snapshot figure by the views, and is planned again on the next run. A snapshot value without a
  block, or valid at a block after the one asked (for every adapter whose ``BlockReference`` counts
  on the asked block's counter: height, slot, ledger index, masterchain seqno, epoch, checkpoint),
  becomes an error row: a value read at the wrong height is never stored as the snapshot value.
  ``judge`` is that rule, as a pure function.
* Every run has a ``run_id``; the ``runs`` table (indexer/runs.py) holds one row per run and
  network with what the summary prints, updated with every committed chunk.
* Adapter-specific settings reach adapters only through ``NetworkSettings.options``; command-line
  flags such as ``--rewind`` arrive here as ``adapter_options`` and are merged into the options of
  the named network.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from indexer import runs as run_table
from indexer.config import ConfigError, NetworkSettings, PorConfig
from indexer.ingest.amounts import from_base_units
from indexer.models import FETCH_METHODS, SNAPSHOT_METHODS, BalanceRequest, BalanceResult, Network
from indexer.plugins import AdapterCapabilities, BlockReference, FeedHints, FetchBlocked, capabilities_for, fetcher_factory, plugin_errors
from indexer.registry import Registry, registry
from indexer.progress import NO_PROGRESS, Progress
from indexer.store import Reopening, as_handle, transaction, upsert_arrow

# The network a row's balance is read on. Staking rows (12-column layout) publish a validator's BLS public key
# as the address and the execution block as the height: their ETH is on the beacon chain, read by the beacon
# adapter at the slot of that block, not by an execution-layer account read on ETH.
STAKING_ROW_TYPES = ("Native ETH Staking", "Eigenlayer Staking")
FETCH_NETWORK = (
    "case when a.row_type in ("
    + ", ".join(f"'{t}'" for t in STAKING_ROW_TYPES)
    + ") and a.network = 'ETH' then 'BEACON' else a.network end"
)

COMMIT_CHUNK = 5_000  # unique reads per committed chunk: the most a crash can lose per worker
WORKERS = 3  # chunks in flight per network (overlaps one chunk's write with the next ones' reads)
HUGEINT_MAX = 2**127 - 1

_BALANCE_SCHEMA = pa.schema(
    [
        ("snapshot_id", pa.int32()),
        ("row_no", pa.int64()),
        ("as_of", pa.string()),
        ("block_height", pa.int64()),
        ("amount", pa.string()),
        ("base_units", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("source", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("method", pa.string()),
        ("read_block", pa.int64()),
        ("run_id", pa.int64()),
        ("note", pa.string()),
    ]
)
_CAST = "* replace (cast(base_units as hugeint) as base_units)"


class FetchError(ValueError):
    """The fetch cannot start (bad arguments); one sentence for the user."""


@dataclass
class NetworkRun:
    """What happened on one network during a run."""

    network: str
    adapter: str
    rows: int = 0  # rows planned
    reads: int = 0  # unique (address, contract, block) reads
    ok: int = 0
    errors: int = 0
    blocked: str = ""  # the FetchBlocked sentence, if any
    methods: Counter[str] = field(default_factory=Counter)  # ok rows by balances.method
    notes: Counter[str] = field(default_factory=Counter)  # ok rows by the adapter's note (its read path, fallbacks)
    blocks: list[int] = field(default_factory=list)  # blocks asked for
    read_min: int | None = None  # range of the blocks the values are valid at (balances.read_block)
    read_max: int | None = None
    source: str = ""
    seconds: float = 0.0
    outcome: str = "running"  # see indexer/runs.py

    @property
    def method(self) -> str:
        """How the values were obtained, for the summary: ``state_at_height ×12 (override ×12)``."""
        parts = ", ".join(f"{m} ×{n:,}" for m, n in self.methods.most_common())
        notes = ", ".join(f"{note} ×{n:,}" for note, n in self.notes.most_common(3))
        return f"{parts} ({notes})" if parts and notes else parts

    def saw_read_block(self, block: int | None) -> None:
        if block is not None:
            self.read_min = block if self.read_min is None else min(self.read_min, block)
            self.read_max = block if self.read_max is None else max(self.read_max, block)


@dataclass
class FetchSummary:
    snapshot_id: int
    as_of: str
    run_id: int | None = None  # runs.run_id / balances.run_id (None: nothing was recorded)
    networks: dict[str, NetworkRun] = field(default_factory=dict)
    skipped: dict[str, tuple[int, str]] = field(default_factory=dict)  # network -> (rows, why not fetched)
    seconds: float = 0.0

    @property
    def rows_ok(self) -> int:
        return sum(n.ok for n in self.networks.values())

    @property
    def rows_error(self) -> int:
        return sum(n.errors for n in self.networks.values())

    @property
    def rows_latest_proxy(self) -> int:
        """Snapshot rows that got only a current value (stored, never counted as the snapshot's)."""
        return sum(n.methods["latest"] for n in self.networks.values()) if self.as_of == "snapshot" else 0

    @property
    def blocked(self) -> dict[str, str]:
        return {k: n.blocked for k, n in self.networks.items() if n.blocked}

    def __str__(self) -> str:
        proxies = f" ({self.rows_latest_proxy:,} only at the current state, not counted as the snapshot's)" if self.rows_latest_proxy else ""
        run = f" (run {self.run_id})" if self.run_id is not None else ""
        lines = [
            f"fetch snapshot {self.snapshot_id} at {self.as_of}{run}: {self.rows_ok:,} ok{proxies}, {self.rows_error:,} errors"
            f" in {self.seconds:.1f} s"
        ]
        for n in self.networks.values():
            if n.blocked:
                lines.append(f"  {n.network}: BLOCKED, {n.rows:,} rows recorded as errors: {n.blocked}")
                continue
            blocks = ", ".join(f"{b:,}" for b in n.blocks[:5]) + (" …" if len(n.blocks) > 5 else "")
            rate = f", {n.rows / n.seconds:,.0f} rows/s" if n.seconds > 0 and n.rows else ""
            lines.append(
                f"  {n.network}: {n.ok:,} ok, {n.errors:,} errors of {n.rows:,} rows ({n.reads:,} reads) at block {blocks or '-'}"
                f" via {n.method or '-'} from {n.source or '-'}{rate}"
            )
            if self.as_of == "snapshot" and n.methods["latest"]:
                lines.append(f"    {n.network}: {n.methods['latest']:,} rows hold only the current value (method latest): retried on the next run")
        for net, (count, why) in sorted(self.skipped.items()):
            lines.append(f"  {net}: {count:,} rows not fetched: {why}")
        if not self.networks and not self.skipped:
            lines.append("  nothing to do: every row already has a balance (use --refresh to refetch)")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ planning

@dataclass(frozen=True)
class _Target:
    contract: str  # "" = native coin
    decimals: int | None
    error: str = ""


class _Resolver:
    """Maps a row to what to read and the decimals to store it with; cached.

    A row keeps the registry facts it was ingested with (``addresses.contract``/``decimals``): a token
    row is read from the contract and at the decimals stored with it, so a later registry fix cannot
    rescale or re-point an old snapshot. Rows without stored facts (unknown coins, an audit row whose
    coin key belongs to another network) resolve through today's registry. A token row ingested
    while the registry had no contract may use today's contract only if today's decimals are the
    ones stored, so its base units still mean what the published amount meant.
    """

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        # (asset, network) -> the registry's token(s) of that asset there. Two different contracts for one pair
        # (X Layer's bridged USDT and USD₮0) leave a row naming only the pair unresolved: a guessed contract
        # would be a wrong reserve.
        tokens: dict[tuple[str, str], dict[str, tuple[str, int | None]]] = {}
        for c in reg.coins.values():
            if c.contract and c.network:
                tokens.setdefault((c.asset.upper(), c.network), {}).setdefault(c.contract.lower(), (c.contract, c.decimals, c.key))
        self.token_by_asset: dict[tuple[str, str], list[tuple[str, int | None, str]]] = {k: list(v.values()) for k, v in tokens.items()}
        self.cache: dict[tuple[str, str, str], _Target] = {}

    def __call__(self, coin_key: str, asset: str, network: str, stored_contract: str | None = None, stored_decimals: int | None = None) -> _Target:
        key = (coin_key, asset, network, stored_contract, stored_decimals)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self._resolve_stored(coin_key, asset, network, stored_contract, stored_decimals)
        return hit

    def _resolve_stored(self, coin_key: str, asset: str, network: str, contract: str | None, decimals: int | None) -> _Target:
        coin = self.reg.coin(coin_key)
        if coin is not None and coin.form not in ("", "native") and not contract and not coin.contract:
            # a wrapped/bridged/staked/lent holding (stETH, WBTC) is a token: never read as the native coin
            return _Target("", None, f"registry has no confirmed contract for {coin_key} ({coin.form} {coin.asset}) on {network}")
        if decimals is None or coin is None or coin.network != network:
            return self._resolve(coin_key, asset, network)
        if contract:
            return _Target(contract, decimals)
        if self.reg.networks[network].is_native((coin.asset or asset).upper()):
            return _Target("", decimals)
        today = self._resolve(coin_key, asset, network)
        if today.error or today.decimals == decimals:
            return today
        return _Target("", None, f"{coin_key} was ingested with {decimals} decimals and no contract; today's registry says {today.decimals}: re-ingest the file")

    def _resolve(self, coin_key: str, asset: str, network: str) -> _Target:
        net = self.reg.networks[network]
        coin = self.reg.coin(coin_key)
        same_net = coin is not None and coin.network == network
        if coin is not None and same_net and coin.contract:
            return _Target(coin.contract, coin.decimals)
        wanted = ((coin.asset if coin is not None and coin.asset else "") or asset).upper()
        if net.is_native(wanted):
            decimals = coin.decimals if coin is not None and same_net and coin.decimals is not None else net.native_decimals
            return _Target("", decimals)
        found = self.token_by_asset.get((wanted, network), [])
        if len(found) == 1:
            return _Target(found[0][0], found[0][1])
        if found:
            keys = ", ".join(sorted(f[2] for f in found))
            return _Target("", None, f"{coin_key} on {network} is ambiguous: the registry has {len(found)} {wanted} tokens there ({keys}) and the row does not say which")
        return _Target("", None, f"registry has no confirmed contract for {coin_key} on {network}")


def _canonical_networks(reg: Registry, names: Sequence[str] | None) -> set[str] | None:
    if not names:
        return None
    out = set()
    for name in names:
        net = reg.network(name)
        if net is None:
            close = difflib.get_close_matches(name.upper(), sorted(set(reg.networks) | set(reg.network_aliases)), n=4, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise FetchError(f"unknown network {name!r}{hint}")
        out.add(net.name)
    return out


# ------------------------------------------------------------------------------------------------ public API

def fetch_snapshot(
    con: duckdb.DuckDBPyConnection | Reopening,
    config: PorConfig,
    snapshot_id: int | None = None,
    **kwargs: Any,
) -> FetchSummary:
    """Fetch every missing balance of a snapshot (see the module docstring); not inside a running event loop."""
    return asyncio.run(fetch_snapshot_async(con, config, snapshot_id, **kwargs))


async def fetch_snapshot_async(
    con: duckdb.DuckDBPyConnection | Reopening,
    config: PorConfig,
    snapshot_id: int | None = None,
    *,
    at: str = "snapshot",
    networks: list[str] | None = None,
    refresh: bool = False,
    adapter_options: Mapping[str, Mapping[str, Any]] | None = None,
    show_progress: bool = False,
    commit_chunk: int = COMMIT_CHUNK,
    progress: Progress | None = None,
) -> FetchSummary:
    """``fetch_snapshot`` for callers inside a running event loop (a notebook, an async service).

    ``con`` is an open connection (kept open) or a ``store.Reopening`` handle (the file is then
    opened per committed chunk, so readers get in between). Progress goes to ``progress``.

    ``adapter_options`` are options given on the command line per adapter name (``por fetch
    --rewind`` gives ``{"utxo": {"rewind": True}}``), merged over ``[networks.X.options]`` of the
    networks named in ``networks``; with none named, of the snapshot's only network served by that
    adapter (several: FetchError asking for ``--network``, since such options name one chain's node
    or file).
    """
    del show_progress  # progress is injected by the caller; kept so old call sites still work
    db = as_handle(con)
    started = time.monotonic()
    with db.connection() as c:  # the plan is read in one go; the file is then released until the first commit
        summary, work = _plan(c, config, snapshot_id, at=at, networks=networks, refresh=refresh, adapter_options=adapter_options)
        exchange = c.execute("select exchange from snapshots where snapshot_id = ?", [summary.snapshot_id]).fetchone()[0]
    if work:
        from indexer.exchanges import exchange_registry

        # the coin keys as the snapshot's exchange writes them (HTX's ``stETH``, Binance's pairs); OKX: data/coins.csv
        resolver = _Resolver(exchange_registry(exchange))
        runner = _Runner(db, summary.snapshot_id, at, summary.run_id, resolver, progress or NO_PROGRESS, commit_chunk)  # type: ignore[arg-type]
        await runner.run_all(work, summary)
    summary.seconds = time.monotonic() - started
    return summary


def _plan(
    con: duckdb.DuckDBPyConnection,
    config: PorConfig,
    snapshot_id: int | None,
    *,
    at: str,
    networks: list[str] | None,
    refresh: bool,
    adapter_options: Mapping[str, Mapping[str, Any]] | None,
) -> tuple[FetchSummary, dict[str, Any]]:
    """What to fetch, from SQL; records the runs of networks that are skipped."""
    if at not in ("snapshot", "latest"):
        raise FetchError(f"--at must be snapshot or latest, not {at!r}")
    if snapshot_id is None:
        snapshot_id = con.execute("select max(snapshot_id) from snapshots").fetchone()[0]  # type: ignore[index]
        if snapshot_id is None:
            raise FetchError("the database holds no snapshot yet: run `por ingest` first")
    elif not con.execute("select 1 from snapshots where snapshot_id = ?", [snapshot_id]).fetchall():
        raise FetchError(f"snapshot {snapshot_id} does not exist")
    reg = registry()
    selected = _canonical_networks(reg, networks)
    summary = FetchSummary(snapshot_id=snapshot_id, as_of=at)

    counts = con.execute(
        f"select {FETCH_NETWORK} as network, count(*) from addresses a where snapshot_id = ? group by all order by network", [snapshot_id]
    ).fetchall()
    extra = {adapter: dict(opts) for adapter, opts in (adapter_options or {}).items() if opts}
    for adapter, opts in extra.items():
        targets = [n for n, _ in counts if n in reg.networks and reg.networks[n].adapter == adapter and (selected is None or n in selected)]
        if selected is None and len(targets) > 1:
            raise FetchError(
                f"the command-line option(s) {', '.join(sorted(opts))} of the {adapter} adapter are for one network, "
                f"but the snapshot has {', '.join(targets)}: name it with --network"
            )

    runnable: dict[str, tuple[Network, NetworkSettings, Any, AdapterCapabilities]] = {}
    for name, count in counts:
        if selected is not None and name not in selected:
            continue
        net = reg.networks.get(name)
        if net is None or not net.adapter:
            summary.skipped[name] = (count, "no balance adapter exists for this network yet")
            continue
        factory = fetcher_factory(net.adapter)
        if factory is None:
            why = plugin_errors().get(net.adapter)
            summary.skipped[name] = (count, f"the {net.adapter} adapter plugin failed to load: {why}" if why else f"no installed plugin provides the {net.adapter} adapter")
            continue
        caps = capabilities_for(net.adapter)
        if caps is None:
            summary.skipped[name] = (count, f"the {net.adapter} adapter declares no capabilities (fetch contract v2), so its values cannot be classified")
            continue
        settings = config.networks.get(name)
        if net.adapter in extra:
            base = settings or NetworkSettings(name=name)
            settings = dataclasses.replace(base, options={**base.options, **extra[net.adapter]})
        if settings is None or (not settings.rpc and not settings.options):
            summary.skipped[name] = (count, "not configured in por.toml" if config.path else "not configured (no por.toml: pass --config or set POR_CONFIG)")
            continue
        runnable[name] = (net, _with_network_options(settings, caps, config), factory, caps)

    if selected:
        for name in sorted(selected - {n for n, _ in counts}):
            summary.skipped[name] = (0, "the snapshot has no rows on this network")

    rows_by_net: dict[str, list[tuple]] = {}
    if runnable:
        # a snapshot row counts as done only with an ok value obtained *for* the snapshot block
        plan_tbl = con.sql(
            """
            select a.network, a.row_no, a.coin, a.asset, a.address, a.snapshot_height, a.contract, a.decimals
            from (select {FETCH_NETWORK} as network, a.* exclude (network) from addresses a) a
            left join balances b on b.snapshot_id = a.snapshot_id and b.row_no = a.row_no and b.as_of = ?
            where a.snapshot_id = ? and list_contains(?, a.network)
              and (? or b.row_no is null or b.status <> 'ok'
                   or (b.as_of = 'snapshot' and not list_contains(?, coalesce(b.method, ''))))
            order by a.network, a.row_no
            """.replace("{FETCH_NETWORK}", FETCH_NETWORK),
            params=[at, snapshot_id, sorted(runnable), refresh, list(SNAPSHOT_METHODS)],
        ).to_arrow_table()
        cols = {c: plan_tbl.column(c).to_pylist() for c in plan_tbl.column_names}
        plans: dict[str, list[int]] = {}
        for i, net_name in enumerate(cols["network"]):
            plans.setdefault(net_name, []).append(i)
        rows_by_net = {
            name: [
                (cols["row_no"][i], cols["coin"][i], cols["asset"][i], cols["address"][i], cols["snapshot_height"][i], cols["contract"][i], cols["decimals"][i])
                for i in idx
            ]
            for name, idx in plans.items()
        }

    work = {name: runnable[name] for name in rows_by_net}
    if work or summary.skipped:
        summary.run_id = run_table.new_run_id(con)
        with transaction(con):
            for name, (count, why) in summary.skipped.items():
                run_table.record_start(con, summary.run_id, snapshot_id, at, NetworkRun(network=name, adapter=(reg.networks[name].adapter if name in reg.networks else ""), rows=count), "skipped", why)
    return summary, {name: (*work[name], rows_by_net[name]) for name in work}


def _with_network_options(settings: NetworkSettings, caps: AdapterCapabilities, config: PorConfig) -> NetworkSettings:
    """``settings`` with each option the adapter fills from another configured network, where the user left it unset."""
    filled = {
        option: config.networks[source]
        for option, source in caps.options_from_networks.items()
        if option not in settings.options and source in config.networks
    }
    return dataclasses.replace(settings, options={**settings.options, **filled}) if filled else settings


def network_status(config: PorConfig) -> list[dict[str, Any]]:
    """One row per registry network for ``por networks``: adapter, its declared methods, plugin state, configuration."""
    reg = registry()
    errors = plugin_errors()
    rows = []
    for net in reg.networks.values():
        caps = capabilities_for(net.adapter) if net.adapter else None
        if not net.adapter:
            plugin = "-"
        elif fetcher_factory(net.adapter) is not None:
            plugin = "installed"
        elif net.adapter in errors:
            plugin = f"failed to load: {errors[net.adapter]}"
        else:
            plugin = "not installed"
        settings = config.networks.get(net.name)
        if settings is None:
            configured = "no"
        else:
            where = [settings.endpoint_label(i) for i in range(len(settings.rpc))]
            if settings.options:
                where.append(f"options: {', '.join(sorted(settings.options))}")
            configured = ", ".join(where) or "yes (no endpoint)"
        rows.append(
            {
                "network": net.name,
                "adapter": net.adapter or "-",
                "plugin": plugin,
                "native_methods": ", ".join(caps.native_methods) if caps else "-",
                "token_methods": (", ".join(caps.token_methods) or "no tokens") if caps else "-",
                "block_reference": caps.block_reference.label if caps else "-",
                "configured": configured,
                "chain_id": net.chain_id,
                "description": net.description,
            }
        )
    return rows


# ------------------------------------------------------------------------------------------------ judging

class Judgement(NamedTuple):
    """What the runner stores for one result: ``error`` None = an ``ok`` row."""

    method: str | None
    error: str | None
    note: str | None


def judge(at: str, reference: BlockReference, asked: int | None, res: BalanceResult, adapter: str) -> Judgement:
    """The adapter's word on one read, checked against what was asked (a pure function: see the table test).

    * An ok value must say how it was obtained (``BalanceResult.method``): a value without one is an error
      row naming the adapter. The runner never fills it in from the adapter's declared methods, because a
      guess there would let a current value pass as the snapshot's.
    * A value obtained for the snapshot block (``SNAPSHOT_METHODS``) must name the block it is valid at,
      and, where the adapter's block reference counts on the same counter as the asked block (height,
      slot, ledger index, masterchain seqno, epoch, checkpoint), that block may not be after the snapshot
      block: a value read at the wrong height is never stored as the snapshot value.
    * With ``at="latest"`` every value is stored as ``latest``, whatever the adapter read it with.
    """
    if res.method and res.method not in FETCH_METHODS:
        return Judgement(None, f"the {adapter} adapter reported an unknown method {res.method!r} (known: {', '.join(FETCH_METHODS)})", None)
    method = "latest" if at == "latest" else (res.method or None)
    note = res.note or None
    if not res.ok:
        return Judgement(method, res.error or "no balance returned", note)
    if not res.method:
        return Judgement(None, f"the {adapter} adapter returned a value without saying how it was obtained (no method): not stored", note)
    if at == "snapshot" and method in SNAPSHOT_METHODS:
        if res.block_height is None:
            return Judgement(method, f"the adapter gave a {method} value without the block it is valid at: not stored as the snapshot value", note)
        if reference.comparable and asked is not None and res.block_height > asked:
            return Judgement(
                method,
                f"the value is valid at {reference.label} {res.block_height:,}, after the snapshot {reference.label} {asked:,}: "
                "not stored as the snapshot value",
                note,
            )
    if at == "snapshot" and method == "latest" and note is None:
        note = "only the current state could be read; not the snapshot value"
    if int(res.base_units) < 0:  # type: ignore[arg-type]
        return Judgement(method, f"the adapter returned a negative balance {res.base_units}", note)
    return Judgement(method, None, note)


# ------------------------------------------------------------------------------------------------ running

# one balances row before it becomes Arrow:
# (row_no, block asked, read_block, amount, base_units, status, error, source, method, note)
_Row = tuple[int, int | None, int | None, str | None, str | None, str, str | None, str, str | None, str | None]


class _Runner:
    def __init__(self, db: Any, snapshot_id: int, at: str, run_id: int, resolve: _Resolver, progress: Progress, commit_chunk: int) -> None:
        self.db = db  # store.Reopening or a held connection: the file is taken per committed chunk
        self.snapshot_id = snapshot_id
        self.at = at
        self.run_id = run_id
        self.resolve = resolve
        self.commit_chunk = max(1, commit_chunk)
        self.progress = progress

    async def run_all(self, work: dict[str, tuple[Network, NetworkSettings, Any, AdapterCapabilities, list[tuple]]], summary: FetchSummary) -> None:
        from indexer.rpc import run_session

        runs = [NetworkRun(network=name, adapter=w[0].adapter, rows=len(w[4])) for name, w in work.items()]
        with self.db.connection() as con, transaction(con):
            for run in runs:
                summary.networks[run.network] = run
                run_table.record_start(con, self.run_id, self.snapshot_id, self.at, run)
        async with run_session():
            await asyncio.gather(*(self._recorded(run, *work[run.network]) for run in runs))

    async def _recorded(self, run: NetworkRun, *args: Any) -> None:
        """``_network`` with its ``runs`` row finished whatever happens (Ctrl-C arrives as a cancellation)."""
        try:
            await self._network(run, *args)
            run.outcome = "blocked" if run.blocked else ("errors" if run.errors else "ok")
        except (asyncio.CancelledError, KeyboardInterrupt):
            run.outcome = "interrupted"
            raise
        except Exception as exc:  # a bug or a database error: say so on the row, then let it surface
            run.outcome = "failed"
            run.blocked = run.blocked or f"{type(exc).__name__}: {exc}"
            raise
        finally:
            with self.db.connection() as con:
                run_table.record_finish(con, self.run_id, run, run.outcome)

    async def _network(self, run: NetworkRun, net: Network, settings: NetworkSettings, factory: Any, caps: AdapterCapabilities, rows: list[tuple]) -> None:
        t0 = time.monotonic()
        self.progress.start(net.name, len(rows))

        def advance(n_ok: int, n_err: int) -> None:
            run.ok += n_ok
            run.errors += n_err
            self.progress.advance(net.name, n_ok + n_err, n_err)

        fetcher = None
        try:
            try:
                fetcher = factory(net, settings)
            except (ValueError, ConfigError) as exc:
                run.blocked = f"{net.name}: {exc}"
                self._write_errors(run, [(r[0], r[4] if self.at == "snapshot" else None) for r in rows], run.blocked, "", advance)
                return
            run.source = fetcher.source
            block_of: int | None = None
            if self.at == "latest":
                try:
                    block_of = await fetcher.tip()
                except Exception as exc:  # noqa: BLE001 - any failure here blocks the network, with its reason
                    run.blocked = f"{net.name}: could not read the current tip ({exc})"
                    self._write_errors(run, [(r[0], None) for r in rows], run.blocked, run.source, advance)
                    return
            # what each row reads; rows that cannot be read are error rows right away
            reads: dict[tuple[str, str, int | None], list[tuple[int, int | None]]] = {}
            failed: list[tuple[int, str, int | None]] = []
            for row_no, coin, asset, address, height, contract, decimals in rows:
                target = self.resolve(coin, asset, net.name, contract, decimals)
                block = block_of if self.at == "latest" else height
                if target.error:
                    failed.append((row_no, target.error, block))
                elif block is None:
                    failed.append((row_no, "the file gives no snapshot height for this row", None))
                else:
                    # as written: only the adapter knows whether its addresses and contracts are case-insensitive
                    key = (address.strip(), target.contract, block)
                    reads.setdefault(key, []).append((row_no, target.decimals))
            run.reads = len(reads)
            run.blocks = sorted({k[2] for k in reads if k[2] is not None})
            if failed:
                self._write(run, [(r, b, None, None, None, "error", e, run.source, None, None) for r, e, b in failed], Counter())
                advance(0, len(failed))
            if not reads:
                return
            try:
                hints = await fetcher.preflight(set(run.blocks))
            except FetchBlocked as exc:
                run.blocked = str(exc)
                self._write_errors(run, [(r, k[2]) for k, rr in reads.items() for r, _ in rr], run.blocked, run.source, advance)
                return
            feed = hints if isinstance(hints, FeedHints) else FeedHints()
            per_call = max(1, feed.request_chunk or caps.feed.request_chunk or self.commit_chunk)
            workers = max(1, feed.workers or caps.feed.workers or WORKERS)
            keys = list(reads)
            queue: asyncio.Queue[list[tuple[str, str, int | None]]] = asyncio.Queue()
            for start in range(0, len(keys), per_call):
                queue.put_nowait(keys[start : start + per_call])

            async def worker() -> None:
                while not queue.empty():
                    chunk = queue.get_nowait()
                    requests = [BalanceRequest(address=a, contract=c, block=b) for a, c, b in chunk]
                    try:
                        results = await fetcher.fetch(requests)
                        if len(results) != len(requests):
                            raise RuntimeError(f"adapter returned {len(results)} results for {len(requests)} requests")
                    except (FetchBlocked, Exception) as exc:  # noqa: BLE001 - an adapter failure becomes error rows, not a crash
                        reason = f"{net.name} adapter failed: {type(exc).__name__}: {exc}"
                        results = [BalanceResult(r, None, None, error=reason, source=run.source) for r in requests]
                    self._commit(run, caps, chunk, results, reads, advance)

            await asyncio.gather(*(worker() for _ in range(workers)))
            run.source = fetcher.source
        finally:
            run.seconds = time.monotonic() - t0
            self.progress.finish(net.name)
            if fetcher is not None:
                await fetcher.close()

    # -- writing ---------------------------------------------------------------

    def _commit(self, run: NetworkRun, caps: AdapterCapabilities, chunk: list[tuple[str, str, int | None]], results: list[BalanceResult], reads: dict, advance: Any) -> None:
        out: list[_Row] = []
        methods: Counter[str] = Counter()
        n_ok = n_err = 0
        for key, res in zip(chunk, results):
            method, error, note = judge(self.at, caps.block_reference, key[2], res, run.adapter)
            asked = key[2]
            for row_no, decimals in reads[key]:
                if error is None:
                    units = int(res.base_units)  # type: ignore[arg-type]
                    amount = from_base_units(units, decimals) if decimals is not None else None
                    if units > HUGEINT_MAX:
                        out.append((row_no, asked, res.block_height, amount, None, "error", f"balance {units} base units exceeds the HUGEINT range; exact value kept in amount", res.source, method, note))
                        n_err += 1
                        continue
                    out.append((row_no, asked, res.block_height, amount, str(units), "ok", None, res.source, method, note))
                    methods[method] += 1  # type: ignore[index]
                    if note:
                        run.notes[note] += 1
                    run.saw_read_block(res.block_height)
                    n_ok += 1
                else:
                    out.append((row_no, asked, res.block_height, None, None, "error", error, res.source, method, note))
                    n_err += 1
        self._write(run, out, methods)
        run.methods.update(methods)
        advance(n_ok, n_err)

    def _write_errors(self, run: NetworkRun, rows: list[tuple[int, int | None]], reason: str, source: str, advance: Any) -> None:
        """(row_no, block) pairs that share one reason (a blocked network): written in commit-sized chunks."""
        for start in range(0, len(rows), self.commit_chunk * 4):
            part = rows[start : start + self.commit_chunk * 4]
            self._write(run, [(r, b, None, None, None, "error", reason, source, None, None) for r, b in part], Counter())
            advance(0, len(part))

    def _write(self, run: NetworkRun, rows: list[_Row], methods: Counter[str]) -> None:
        """One chunk, one transaction: all of its rows and the run's counts land, or none do."""
        if not rows:
            return
        now = datetime.now(timezone.utc)
        n = len(rows)
        table = pa.Table.from_arrays(
            [
                pa.array([self.snapshot_id] * n, pa.int32()),
                pa.array([r[0] for r in rows], pa.int64()),
                pa.array([self.at] * n, pa.string()),
                pa.array([r[1] for r in rows], pa.int64()),
                pa.array([r[3] for r in rows], pa.string()),
                pa.array([r[4] for r in rows], pa.string()),
                pa.array([r[5] for r in rows], pa.string()),
                pa.array([r[6] for r in rows], pa.string()),
                pa.array([r[7] or None for r in rows], pa.string()),
                pa.array([now] * n, pa.timestamp("us", tz="UTC")),
                pa.array([r[8] for r in rows], pa.string()),
                pa.array([r[2] for r in rows], pa.int64()),
                pa.array([self.run_id] * n, pa.int64()),
                pa.array([r[9] for r in rows], pa.string()),
            ],
            schema=_BALANCE_SCHEMA,
        )
        n_ok = sum(1 for r in rows if r[5] == "ok")
        with self.db.connection() as con, transaction(con):
            upsert_arrow(con, "balances", table, select=_CAST)
            run_table.add_counts(con, self.run_id, run.network, n_ok, n - n_ok, methods)
