"""Loads the network and coin registry from ``data/`` into typed objects, once.

The registry is data, not code: adding a coin key or a network is a line in
``data/coins.csv`` or ``data/networks.csv``, and reading a kind of row on another
network than the one it is published on (OKX's staking rows: ETH, read on the beacon
chain) is a line in ``data/fetch_routes.csv``.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path

from indexer.models import Coin, FetchRoute, Network, Registry
from indexer.plugins import ChainPlugin, plugins
from indexer.resources import resource_dir


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text else None


def load_registry(data_dir: Traversable | Path | None = None) -> Registry:
    """Read ``networks.csv``, ``coins.csv`` and ``fetch_routes.csv`` (the installed copy unless ``data_dir`` names another)."""
    data_dir = resource_dir("data") if data_dir is None else data_dir
    networks: dict[str, Network] = {}
    aliases: dict[str, str] = {}
    with (data_dir / "networks.csv").open(newline="") as f:
        for rec in csv.DictReader(f):
            names = tuple(a.strip().upper() for a in rec["aliases"].split("|") if a.strip())
            net = Network(
                name=rec["network"],
                adapter=rec["adapter"],
                chain_id=_int_or_none(rec["chain_id"]),
                native_asset=rec["native_asset"],
                native_decimals=int(rec["native_decimals"]),
                aliases=names,
                description=rec["description"],
                former_native=tuple(a.strip().upper() for a in (rec.get("former_native") or "").split("|") if a.strip()),
                sample_height=_int_or_none(rec.get("sample_height") or ""),
            )
            networks[net.name] = net
            for alias in (net.name, *names):
                aliases.setdefault(alias, net.name)
    coins: dict[str, Coin] = {}
    with (data_dir / "coins.csv").open(newline="") as f:
        for rec in csv.DictReader(f):
            if rec["network"] and rec["network"] not in networks:
                raise ValueError(f"coins.csv: {rec['coin_key']} names unknown network {rec['network']}")
            coins[rec["coin_key"]] = Coin(
                key=rec["coin_key"],
                asset=rec["asset"],
                network=rec["network"],
                family=rec["family"],
                address_type=rec["address_type"],
                header=rec["header"],
                decimals=_int_or_none(rec["decimals"]),
                contract=rec["contract"],
                source=(rec.get("source") or "").strip(),
            )
    return Registry(
        coins=coins, networks=networks, network_aliases=aliases, fetch_routes=_load_routes(data_dir, networks), synth_mix=_load_mix(data_dir, coins)
    )


def _load_mix(data_dir: Traversable | Path, coins: dict[str, Coin]) -> tuple[tuple[str, float], ...]:
    """``synth_mix.csv``: which coin keys a synthetic publication holds, and in what shares of its rows."""
    path = data_dir / "synth_mix.csv"
    if not path.is_file():
        return ()
    mix: dict[str, float] = {}
    with path.open(newline="") as f:
        for rec in csv.DictReader(f):
            key = rec["coin_key"].strip()
            if key not in coins:
                raise ValueError(f"synth_mix.csv: {key} is not a coin key of coins.csv")
            if key in mix:
                raise ValueError(f"synth_mix.csv: {key} is listed twice")
            mix[key] = float(rec["share"])  # a weight for choosing rows, never an amount
    return tuple(mix.items())


def _load_routes(data_dir: Traversable | Path, networks: dict[str, Network]) -> tuple[FetchRoute, ...]:
    """``fetch_routes.csv``; a data dir written before the file existed has no routes."""
    path = data_dir / "fetch_routes.csv"
    if not path.is_file():
        return ()
    routes: dict[tuple[str, str], FetchRoute] = {}
    with path.open(newline="") as f:
        for rec in csv.DictReader(f):
            route = FetchRoute(rec["row_type"].strip(), rec["network"].strip(), rec["fetch_network"].strip(), (rec.get("source") or "").strip())
            for name in (route.network, route.fetch_network):
                if name not in networks:
                    raise ValueError(f"fetch_routes.csv: {route.row_type} on {route.network} names unknown network {name}")
            if (route.row_type, route.network) in routes:
                raise ValueError(f"fetch_routes.csv: {route.row_type} on {route.network} is routed twice")
            routes[(route.row_type, route.network)] = route
    return tuple(routes.values())


@cache
def registry() -> Registry:
    """The process-wide registry (the data files are read once), with the networks installed chain plugins bring."""
    return with_plugin_networks(load_registry(), plugins())


def with_plugin_networks(reg: Registry, installed: tuple[ChainPlugin, ...]) -> Registry:
    """``reg`` plus each plugin's own network rows (``ChainPlugin.networks``) that ``networks.csv`` does not name.

    Why: a chain from another distribution cannot add rows to our ``data/``; its package declares them instead.
    """
    extra = [n for p in installed for n in p.networks if n.name not in reg.networks]
    if not extra:
        return reg
    networks = dict(reg.networks)
    aliases = dict(reg.network_aliases)
    for net in extra:
        networks.setdefault(net.name, net)
        for alias in (net.name, *net.aliases):
            aliases.setdefault(alias.upper(), net.name)
    return replace(reg, networks=networks, network_aliases=aliases)
