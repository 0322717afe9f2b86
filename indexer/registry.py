"""Loads the network and coin registry from ``data/`` into typed objects, once.

The registry is data, not code: adding a coin key or a network is a line in
``data/coins.csv`` or ``data/networks.csv``, and reading a kind of row on another
network than the one it is published on (OKX's staking rows: ETH, read on the beacon
chain) is a line in ``data/fetch_routes.csv``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources.abc import Traversable
from pathlib import Path

from indexer.models import Coin, Network
from indexer.resources import resource_dir


@dataclass(frozen=True)
class FetchRoute:
    """Rows of ``row_type`` published on ``network`` hold a balance that lives on ``fetch_network``.

    A row's network says whose coin it is; where its balance can be read is another fact when the
    address is not an account of that chain (a validator key on ETH is read on BEACON).
    """

    row_type: str
    network: str
    fetch_network: str
    source: str = ""  # the public reference that says so


@dataclass(frozen=True)
class Registry:
    coins: dict[str, Coin]
    networks: dict[str, Network]
    network_aliases: dict[str, str]
    fetch_routes: tuple[FetchRoute, ...] = ()

    @cached_property
    def _tokens(self) -> dict[tuple[str, str], list[Coin]]:
        tokens: dict[tuple[str, str], dict[str, Coin]] = {}
        for c in self.coins.values():
            if c.contract and c.network:
                tokens.setdefault((c.asset.upper(), c.network), {}).setdefault(c.contract.lower(), c)
        return {k: list(v.values()) for k, v in tokens.items()}

    def tokens(self, asset: str, network: str) -> list[Coin]:
        """The registry's tokens of ``asset`` (upper case) on ``network``: one coin per contract (case-insensitive),
        the first key that names it. Several mean the pair alone does not say which token (X Layer's bridged USDT
        and USD₮0)."""
        return self._tokens.get((asset, network), [])

    def coin(self, key: str) -> Coin | None:
        """Look a coin key up the way OKX does: upper-cased, falling back to the exact text."""
        return self.coins.get(key.upper()) or self.coins.get(key)

    def network(self, name: str) -> Network | None:
        canonical = self.network_aliases.get(name.strip().upper())
        return self.networks.get(canonical) if canonical else None

    def resolve_network(self, coin_key: str, published_network: str) -> str:
        """The row's network: the coin key decides; the file's column is a fallback."""
        coin = self.coin(coin_key)
        if coin and coin.network:
            return coin.network
        found = self.network(published_network) if published_network else None
        if found:
            return found.name
        return (published_network or coin_key).strip().upper()

    def asset_of(self, coin_key: str, fallback: str = "") -> str:
        coin = self.coin(coin_key)
        if coin and coin.asset:
            return coin.asset
        return fallback.strip().upper()


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
    return Registry(coins=coins, networks=networks, network_aliases=aliases, fetch_routes=_load_routes(data_dir, networks))


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
    """The process-wide registry (the data files are read once)."""
    return load_registry()
