"""The plan: from SQL, the rows still to read, on which network, and what each reads.

Why SQL decides: the database is the run state. The plan is "rows of the snapshot with no good
``balances`` row for this ``as_of``" (no row, an ``error`` row, or a snapshot row whose value was not
obtained for the snapshot block), so a crash or Ctrl-C loses at most the chunks in flight and a re-run
picks up exactly what is missing.

The network a row is read on is its own, unless ``data/fetch_routes.csv`` routes its row type elsewhere
(OKX's staking rows: a validator key on ETH is read on BEACON). Networks that cannot be read (no adapter,
no installed plugin, no capabilities, not configured) are not touched and are reported with their counts
and the reason. Identical reads (same address, contract and block, as written) across rows are read once
and shared; every row still gets its own ``balances`` row.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from indexer import runs as run_table
from indexer.config import NetworkSettings, PorConfig
from indexer.errors import PorError
from indexer.fetch.summary import FetchSummary
from indexer.fetch.target import Target, read_target
from indexer.models import SNAPSHOT_METHODS, Network
from indexer.plugins import AdapterCapabilities, FetcherFactory, capabilities_for, fetcher_factory, plugin_errors
from indexer.registry import Registry, registry
from indexer.runs import NetworkRun
from indexer.store import transaction

NO_HEIGHT = "the file gives no snapshot height for this row"
ReadKey = tuple[str, str, int | None]  # one read: (address, contract, block asked), as written

# The snapshot's rows, each on the network its balance is read on (``routes``: the registry's fetch routes as a
# list of structs; the left join keeps every row, a routed one taking its route's network).
_ROUTED = """
    select coalesce(r.fetch_network, a.network) as network, a.* exclude (network)
    from addresses a
    left join (select unnest(?::struct(row_type varchar, network varchar, fetch_network varchar)[], recursive := true)) r
      on r.row_type = a.row_type and r.network = a.network
    where a.snapshot_id = ?
"""
# a snapshot row counts as done only with an ok value obtained *for* the snapshot block
_TO_READ = f"""
    with a as ({_ROUTED})
    select a.network, a.row_no, a.coin, a.asset, a.address, a.snapshot_height, a.contract, a.decimals
    from a
    left join balances b on b.snapshot_id = a.snapshot_id and b.row_no = a.row_no and b.as_of = ?
    where list_contains(?, a.network)
      and (? or b.row_no is null or b.status <> 'ok'
           or (b.as_of = 'snapshot' and not list_contains(?, coalesce(b.method, ''))))
    order by a.network, a.row_no
"""


class FetchError(PorError):
    """The fetch cannot start (bad arguments); one sentence for the user."""


@dataclass(frozen=True)
class Reader:
    """A network that can be read: its adapter's factory and capabilities, and its settings as the run uses them."""

    net: Network
    settings: NetworkSettings
    factory: FetcherFactory
    caps: AdapterCapabilities


@dataclass
class Selection:
    """What SQL chose: the summary (with the skipped networks), the readable networks and their rows to read."""

    summary: FetchSummary
    exchange: str | None  # snapshots.exchange: whose coin keys the rows use
    readers: dict[str, Reader]  # networks with rows to read
    rows: pa.Table | None  # their rows, ordered by network and row_no (the columns of ``_TO_READ``)


@dataclass
class NetworkPlan:
    """One network's work. ``block`` None in a key or a row is ``--at latest``: the tip, known only once read."""

    reader: Reader
    rows: list[tuple[int, int | None]] = field(default_factory=list)  # (row_no, block asked) of every planned row
    reads: dict[ReadKey, list[tuple[int, int | None]]] = field(default_factory=dict)  # read -> [(row_no, decimals)]
    failed: list[tuple[int, str, int | None]] = field(default_factory=list)  # (row_no, reason, block): error rows

    def at_tip(self, tip: int) -> tuple[dict[ReadKey, list[tuple[int, int | None]]], list[tuple[int, str, int | None]]]:
        """``reads`` and ``failed`` of an ``--at latest`` plan, at the tip just read."""
        return {(a, c, tip): rows for (a, c, _), rows in self.reads.items()}, [(r, e, tip) for r, e, _ in self.failed]


def select(
    con: duckdb.DuckDBPyConnection,
    config: PorConfig,
    snapshot_id: int | None,
    *,
    at: str,
    networks: Sequence[str] | None,
    refresh: bool,
    adapter_options: Mapping[str, Mapping[str, Any]] | None,
    record: bool = True,
) -> Selection:
    """What to fetch, from SQL; records the ``runs`` rows of the networks that are skipped (``record=False``: writes
    nothing, for ``por plan`` on a read-only database)."""
    if at not in ("snapshot", "latest"):
        raise FetchError(f"--at must be snapshot or latest, not {at!r}")
    if snapshot_id is None:
        snapshot_id = con.execute("select max(snapshot_id) from snapshots").fetchone()[0]  # type: ignore[index]
        if snapshot_id is None:
            raise FetchError("the database holds no snapshot yet: run `por ingest` first")
    elif not con.execute("select 1 from snapshots where snapshot_id = ?", [snapshot_id]).fetchall():
        raise FetchError(f"snapshot {snapshot_id} does not exist")
    reg = registry()  # networks and fetch routes (coin keys: the exchange's registry, in ``network_plans``)
    selected = canonical_networks(reg, networks)
    summary = FetchSummary(snapshot_id=snapshot_id, as_of=at)
    routes = [{"row_type": r.row_type, "network": r.network, "fetch_network": r.fetch_network} for r in reg.fetch_routes]

    counts = con.execute(f"select network, count(*) from ({_ROUTED}) group by all order by network", [routes, snapshot_id]).fetchall()
    extra = _command_line_options(reg, counts, selected, adapter_options)
    runnable: dict[str, Reader] = {}
    for name, count in counts:
        if selected is not None and name not in selected:
            continue
        reader = _reader(reg, config, name, extra)
        if isinstance(reader, str):
            summary.skipped[name] = (count, reader)
        else:
            runnable[name] = reader
    if selected:
        for name in sorted(selected - {n for n, _ in counts}):
            summary.skipped[name] = (0, "the snapshot has no rows on this network")

    rows = None
    readers: dict[str, Reader] = {}
    if runnable:
        rows = con.sql(_TO_READ, params=[routes, snapshot_id, at, sorted(runnable), refresh, list(SNAPSHOT_METHODS)]).to_arrow_table()
        readers = {name: runnable[name] for name in sorted(pc.unique(rows.column("network")).to_pylist())}
    if record and (readers or summary.skipped):
        summary.run_id = run_table.new_run_id(con)
        with transaction(con):
            for name, (count, why) in summary.skipped.items():
                adapter = reg.networks[name].adapter if name in reg.networks else ""
                run_table.record_start(con, summary.run_id, snapshot_id, at, NetworkRun(network=name, adapter=adapter, rows=count), "skipped", why)
    exchange = con.execute("select exchange from snapshots where snapshot_id = ?", [snapshot_id]).fetchone()[0]  # type: ignore[index]
    return Selection(summary, exchange, readers, rows)


def network_plans(selection: Selection, coins: Registry) -> dict[str, NetworkPlan]:
    """Each readable network's rows turned into reads: the target of each row (``read_target`` with the facts stored
    at ingest), rows that cannot be read as failed, identical reads shared. ``coins``: the snapshot's exchange's
    registry."""
    plans = {name: NetworkPlan(reader) for name, reader in selection.readers.items()}
    if selection.rows is None:
        return plans
    snapshot = selection.summary.as_of == "snapshot"
    cols = [selection.rows.column(c).to_pylist() for c in ("network", "row_no", "coin", "asset", "address", "snapshot_height", "contract", "decimals")]
    targets: dict[tuple[str, str, str, str | None, int | None], Target] = {}
    for network, row_no, coin, asset, address, height, contract, decimals in zip(*cols):
        plan = plans[network]
        key = (coin, asset, network, contract, decimals)
        target = targets.get(key)
        if target is None:
            target = targets[key] = read_target(coins, *key)
        block = height if snapshot else None
        plan.rows.append((row_no, block))
        if target.error:
            plan.failed.append((row_no, target.error, block))
        elif snapshot and block is None:
            plan.failed.append((row_no, NO_HEIGHT, None))
        else:
            # as written: only the adapter knows whether its addresses and contracts are case-insensitive
            plan.reads.setdefault((address.strip(), target.contract, block), []).append((row_no, target.decimals))
    return plans


def canonical_networks(reg: Registry, names: Sequence[str] | None) -> set[str] | None:
    """The registry names of the networks the user asked for (None: all); FetchError with a hint for an unknown one."""
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


def _command_line_options(
    reg: Registry, counts: list[tuple[str, int]], selected: set[str] | None, adapter_options: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Command-line options per adapter; FetchError when they would reach several networks nobody named (such
    options name one chain's node or file)."""
    extra = {adapter: dict(opts) for adapter, opts in (adapter_options or {}).items() if opts}
    for adapter, opts in extra.items():
        targets = [n for n, _ in counts if n in reg.networks and reg.networks[n].adapter == adapter and (selected is None or n in selected)]
        if selected is None and len(targets) > 1:
            raise FetchError(
                f"the command-line option(s) {', '.join(sorted(opts))} of the {adapter} adapter are for one network, "
                f"but the snapshot has {', '.join(targets)}: name it with --network"
            )
    return extra


def _reader(reg: Registry, config: PorConfig, name: str, extra: dict[str, dict[str, Any]]) -> Reader | str:
    """How network ``name`` is read, or the sentence saying why it is not."""
    net = reg.networks.get(name)
    if net is None or not net.adapter:
        return "no balance adapter exists for this network yet"
    factory = fetcher_factory(net.adapter)
    if factory is None:
        why = plugin_errors().get(net.adapter)
        return f"the {net.adapter} adapter plugin failed to load: {why}" if why else f"no installed plugin provides the {net.adapter} adapter"
    caps = capabilities_for(net.adapter)
    if caps is None:
        return f"the {net.adapter} adapter declares no capabilities (fetch contract v2), so its values cannot be classified"
    settings = config.networks.get(name)
    if net.adapter in extra:
        base = settings or NetworkSettings(name=name)
        settings = dataclasses.replace(base, options={**base.options, **extra[net.adapter]})
    if settings is None or (not settings.rpc and not settings.options):
        return "not configured in por.toml" if config.path else "not configured (no por.toml: pass --config or set POR_CONFIG)"
    return Reader(net, _with_network_options(settings, caps, config), factory, caps)


def _with_network_options(settings: NetworkSettings, caps: AdapterCapabilities, config: PorConfig) -> NetworkSettings:
    """``settings`` with each option the adapter fills from another configured network, where the user left it unset."""
    filled = {
        option: config.networks[source]
        for option, source in caps.options_from_networks.items()
        if option not in settings.options and source in config.networks
    }
    return dataclasses.replace(settings, options={**settings.options, **filled}) if filled else settings
