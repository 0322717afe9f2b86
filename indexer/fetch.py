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
* Identical reads (same address, contract and block) across rows are fetched once and
  shared; every row still gets its own ``balances`` row.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from indexer.config import ConfigError, NetworkSettings, PorConfig
from indexer.ingest.amounts import from_base_units
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FetchBlocked, fetcher_factory, plugin_errors
from indexer.registry import Registry, registry
from indexer.progress import NO_PROGRESS, Progress
from indexer.store import Reopening, as_handle, transaction, upsert_arrow

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
    method: str = ""
    blocks: list[int] = field(default_factory=list)
    source: str = ""
    seconds: float = 0.0


@dataclass
class FetchSummary:
    snapshot_id: int
    as_of: str
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
    def blocked(self) -> dict[str, str]:
        return {k: n.blocked for k, n in self.networks.items() if n.blocked}

    def __str__(self) -> str:
        lines = [
            f"fetch snapshot {self.snapshot_id} at {self.as_of}: {self.rows_ok:,} ok, {self.rows_error:,} errors"
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
    """Maps (coin key, asset, network) to what to read, with the registry's decimals; cached."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self.token_by_asset: dict[tuple[str, str], tuple[str, int | None]] = {}
        for c in reg.coins.values():
            if c.contract and c.network:
                self.token_by_asset.setdefault((c.asset.upper(), c.network), (c.contract, c.decimals))
        self.cache: dict[tuple[str, str, str], _Target] = {}

    def __call__(self, coin_key: str, asset: str, network: str) -> _Target:
        key = (coin_key, asset, network)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self._resolve(coin_key, asset, network)
        return hit

    def _resolve(self, coin_key: str, asset: str, network: str) -> _Target:
        net = self.reg.networks[network]
        coin = self.reg.coin(coin_key)
        same_net = coin is not None and coin.network == network
        if coin is not None and same_net and coin.contract:
            return _Target(coin.contract, coin.decimals)
        wanted = ((coin.asset if coin is not None and coin.asset else "") or asset).upper()
        if wanted == net.native_asset.upper():
            decimals = coin.decimals if coin is not None and same_net and coin.decimals is not None else net.native_decimals
            return _Target("", decimals)
        found = self.token_by_asset.get((wanted, network))
        if found:
            return _Target(found[0], found[1])
        return _Target("", None, f"registry has no contract for {coin_key} on {network}")


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
    rewind: bool = False,
    utxo_dump: Path | None = None,
    show_progress: bool = False,
    commit_chunk: int = COMMIT_CHUNK,
    progress: Progress | None = None,
) -> FetchSummary:
    """``fetch_snapshot`` for callers inside a running event loop (a notebook, an async service).

    ``con`` is an open connection (kept open) or a ``store.Reopening`` handle (the file is then
    opened per committed chunk, so readers get in between). Progress goes to ``progress``.
    """
    del show_progress  # progress is injected by the caller; kept so old call sites still work
    db = as_handle(con)
    started = time.monotonic()
    with db.connection() as c:  # the plan is read in one go; the file is then released until the first commit
        summary, work = _plan(c, config, snapshot_id, at=at, networks=networks, rewind=rewind, utxo_dump=utxo_dump, refresh=refresh)
    if work:
        runner = _Runner(db, summary.snapshot_id, at, _Resolver(registry()), progress or NO_PROGRESS, commit_chunk)
        await runner.run_all(work, summary)
    summary.seconds = time.monotonic() - started
    return summary


def _plan(con: duckdb.DuckDBPyConnection, config: PorConfig, snapshot_id: int | None, *, at: str, networks: list[str] | None,
          refresh: bool, rewind: bool, utxo_dump: Path | None) -> tuple[FetchSummary, dict[str, Any]]:  # fmt: skip
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

    counts = con.execute("select network, count(*) from addresses where snapshot_id = ? group by network order by network", [snapshot_id]).fetchall()
    utxo_targets = [n for n, _ in counts if (reg.networks.get(n) and reg.networks[n].adapter == "utxo") and (selected is None or n in selected)]
    if utxo_dump is not None and len(utxo_targets) > 1 and selected is None:
        raise FetchError(f"--utxo-dump is for one chain but the snapshot has {', '.join(utxo_targets)}: name it with --network")

    runnable: dict[str, tuple[Network, NetworkSettings, Any]] = {}
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
        settings = config.networks.get(name)
        if net.adapter == "utxo" and (rewind or utxo_dump is not None):
            settings = dataclasses.replace(settings or NetworkSettings(name=name), rewind=rewind or (settings.rewind if settings else False), utxo_dump=utxo_dump or (settings.utxo_dump if settings else None))
        if settings is None or (not settings.rpc and settings.utxo_dump is None):
            summary.skipped[name] = (count, "not configured in por.toml" if config.path else "not configured (no por.toml: pass --config or set POR_CONFIG)")
            continue
        runnable[name] = (net, settings, factory)

    if selected:
        for name in sorted(selected - {n for n, _ in counts}):
            summary.skipped[name] = (0, "the snapshot has no rows on this network")

    plans: dict[str, Any] = {}
    if runnable:
        plan_tbl = con.sql(
            """
            select a.network, a.row_no, a.coin, a.asset, a.address, a.snapshot_height
            from addresses a
            left join balances b on b.snapshot_id = a.snapshot_id and b.row_no = a.row_no and b.as_of = ?
            where a.snapshot_id = ? and list_contains(?, a.network)
              and (? or b.row_no is null or b.status <> 'ok')
            order by a.network, a.row_no
            """,
            params=[at, snapshot_id, sorted(runnable), refresh],
        ).to_arrow_table()
        cols = {c: plan_tbl.column(c).to_pylist() for c in plan_tbl.column_names}
        for i, net_name in enumerate(cols["network"]):
            plans.setdefault(net_name, []).append(i)
        rows_by_net = {
            name: [(cols["row_no"][i], cols["coin"][i], cols["asset"][i], cols["address"][i], cols["snapshot_height"][i]) for i in idx]
            for name, idx in plans.items()
        }
    else:
        rows_by_net = {}

    return summary, {name: (*runnable[name], rows_by_net[name]) for name in rows_by_net}


def network_status(config: PorConfig) -> list[dict[str, Any]]:
    """One row per registry network for ``por networks``: adapter, plugin state, configuration."""
    reg = registry()
    errors = plugin_errors()
    rows = []
    for net in reg.networks.values():
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
            if settings.utxo_dump:
                where.append(f"dump {settings.utxo_dump}")
            configured = ", ".join(where) or "yes (no endpoint)"
        rows.append(
            {
                "network": net.name,
                "adapter": net.adapter or "-",
                "plugin": plugin,
                "configured": configured,
                "chain_id": net.chain_id,
                "description": net.description,
            }
        )
    return rows


# ------------------------------------------------------------------------------------------------ running

class _Runner:
    def __init__(self, db: Any, snapshot_id: int, at: str, resolve: _Resolver, progress: Progress, commit_chunk: int) -> None:
        self.db = db
        self.snapshot_id = snapshot_id
        self.at = at
        self.resolve = resolve
        self.commit_chunk = max(1, commit_chunk)
        self.progress = progress

    async def run_all(self, work: dict[str, tuple[Network, NetworkSettings, Any, list[tuple]]], summary: FetchSummary) -> None:
        from indexer.rpc import run_session

        async with run_session():
            runs = [NetworkRun(network=name, adapter=w[0].adapter, rows=len(w[3])) for name, w in work.items()]
            for run in runs:
                summary.networks[run.network] = run
            await asyncio.gather(*(self._network(run, *work[run.network]) for run in runs))

    async def _network(self, run: NetworkRun, net: Network, settings: NetworkSettings, factory: Any, rows: list[tuple]) -> None:
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
                self._write_errors([(r[0], r[4] if self.at == "snapshot" else None) for r in rows], run.blocked, "", advance)
                return
            run.source = getattr(fetcher, "source", "")
            block_of: int | None = None
            if self.at == "latest":
                try:
                    block_of = await fetcher.tip()
                except Exception as exc:  # noqa: BLE001 - any failure here blocks the network, with its reason
                    run.blocked = f"{net.name}: could not read the current tip ({exc})"
                    self._write_errors([(r[0], None) for r in rows], run.blocked, run.source, advance)
                    return
            # what each row reads; rows that cannot be read are error rows right away
            reads: dict[tuple[str, str, int | None], list[tuple[int, int | None]]] = {}
            failed: list[tuple[int, str, int | None]] = []
            for row_no, coin, asset, address, height in rows:
                target = self.resolve(coin, asset, net.name)
                block = block_of if self.at == "latest" else height
                if target.error:
                    failed.append((row_no, target.error, block))
                elif block is None:
                    failed.append((row_no, "the file gives no snapshot height for this row", None))
                else:
                    # only hex (EVM) addresses are case-insensitive; base58/bech32-m text of other chains is not
                    addr = address.strip().lower() if net.adapter == "evm" else address.strip()
                    key = (addr, target.contract.lower(), block)
                    reads.setdefault(key, []).append((row_no, target.decimals))
            run.reads = len(reads)
            run.blocks = sorted({k[2] for k in reads if k[2] is not None})
            if failed:
                self._write(
                    [(r, b, None, None, "error", e, run.source) for r, e, b in failed],
                )
                advance(0, len(failed))
            if not reads:
                return
            try:
                await fetcher.preflight(set(run.blocks))
            except FetchBlocked as exc:
                run.blocked = str(exc)
                self._write_errors([(r, k[2]) for k, rr in reads.items() for r, _ in rr], run.blocked, run.source, advance)
                return
            keys = list(reads)
            queue: asyncio.Queue[list[tuple[str, str, int | None]]] = asyncio.Queue()
            # an adapter whose every call costs one pass over a whole data set (scantxoutset, a UTXO dump)
            # asks for bigger calls and fewer workers through ``request_chunk`` / ``workers``
            per_call = max(1, int(getattr(fetcher, "request_chunk", 0) or self.commit_chunk))
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
                        results = [BalanceResult(r, None, r.block, error=reason, source=run.source) for r in requests]
                    self._commit(chunk, results, reads, advance)

            await asyncio.gather(*(worker() for _ in range(max(1, int(getattr(fetcher, "workers", 0) or WORKERS)))))
            run.method = getattr(fetcher, "method", "")
            run.source = getattr(fetcher, "source", run.source)
        finally:
            run.seconds = time.monotonic() - t0
            self.progress.finish(net.name)
            if fetcher is not None:
                await fetcher.close()

    # -- writing ---------------------------------------------------------------

    def _commit(self, chunk: list[tuple[str, str, int | None]], results: list[BalanceResult], reads: dict, advance: Any) -> None:
        out = []
        n_ok = n_err = 0
        for key, res in zip(chunk, results):
            for row_no, decimals in reads[key]:
                if res.ok:
                    units = int(res.base_units)  # type: ignore[arg-type]
                    amount = from_base_units(units, decimals) if decimals is not None else None
                    if units > HUGEINT_MAX:
                        out.append((row_no, res.block_height, amount, None, "error", f"balance {units} base units exceeds the HUGEINT range; exact value kept in amount", res.source))
                        n_err += 1
                    else:
                        out.append((row_no, res.block_height, amount, str(units), "ok", None, res.source))
                        n_ok += 1
                else:
                    out.append((row_no, res.block_height, None, None, "error", res.error or "no balance returned", res.source))
                    n_err += 1
        self._write(out)
        advance(n_ok, n_err)

    def _write_errors(self, rows: list[tuple[int, int | None]], reason: str, source: str, advance: Any) -> None:
        """(row_no, block) pairs that share one reason (a blocked network): written in commit-sized chunks."""
        for start in range(0, len(rows), self.commit_chunk * 4):
            part = rows[start : start + self.commit_chunk * 4]
            self._write([(r, b, None, None, "error", reason, source) for r, b in part])
            advance(0, len(part))

    def _write(self, rows: list[tuple[int, int | None, str | None, str | None, str, str | None, str]]) -> None:
        """One chunk, one transaction: all of its rows land, or none do."""
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
                pa.array([r[2] for r in rows], pa.string()),
                pa.array([r[3] for r in rows], pa.string()),
                pa.array([r[4] for r in rows], pa.string()),
                pa.array([r[5] for r in rows], pa.string()),
                pa.array([r[6] or None for r in rows], pa.string()),
                pa.array([now] * n, pa.timestamp("us", tz="UTC")),
            ],
            schema=_BALANCE_SCHEMA,
        )
        with self.db.connection() as con, transaction(con):
            upsert_arrow(con, "balances", table, select=_CAST)
