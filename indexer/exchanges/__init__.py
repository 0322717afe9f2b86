"""Exchanges as plugins (``base.ExchangePlugin``), found through the ``por.exchanges`` entry-point group,
and the per-exchange settings kept as data (``data/exchanges.csv``: which assets are the exchange's own token).

Why own tokens: analysts compare "clean" reserves (DefiLlama's term) that leave out the exchange's own token,
whose price the exchange itself largely sets (OKB for OKX, HT/HTX for HTX, BNB for Binance).
"""

from __future__ import annotations

import csv
from functools import cache

import pyarrow as pa

from indexer.resources import resource_dir

ENTRY_POINT_GROUP = "por.exchanges"
DEFAULT_EXCHANGE = "okx"  # what a file no other plugin recognises is read as (the core's own layouts)


@cache
def own_tokens() -> dict[str, tuple[str, ...]]:
    """exchange (lower case) -> its own tokens' asset names."""
    with (resource_dir("data") / "exchanges.csv").open(newline="") as f:
        return {
            row["exchange"].strip().lower(): tuple(t.strip().upper() for t in row["own_tokens"].split("|") if t.strip())
            for row in csv.DictReader(f)
        }


def own_tokens_table() -> pa.Table:
    pairs = [(ex, asset) for ex, assets in own_tokens().items() for asset in assets]
    return pa.table({"exchange": [p[0] for p in pairs], "asset": [p[1] for p in pairs]})


@cache
def _load():
    from indexer.exchanges.base import ExchangePlugin
    from indexer.plugins import load_entry_points

    found, errors = load_entry_points(ENTRY_POINT_GROUP, ExchangePlugin)
    return {plugin.name: plugin for plugin in found}, errors


def exchange_plugins() -> dict:
    """name -> ExchangePlugin, every installed exchange that loaded."""
    return _load()[0]


def exchange_errors() -> dict[str, str]:
    return _load()[1]


def exchange_plugin(name: str):
    """The plugin called ``name`` (case-insensitive); ValueError naming the installed ones otherwise."""
    found = exchange_plugins().get(name.strip().lower())
    if found is None:
        known = ", ".join(sorted(exchange_plugins())) or "none"
        broken = exchange_errors().get(name.strip().lower())
        raise ValueError(f"no exchange plugin {name!r} is installed (installed: {known})" + (f"; it failed to load: {broken}" if broken else ""))
    return found


def recognise(records: list[list[str]]):
    """The exchange whose files start like ``records``: the one specific plugin that claims them, else OKX."""
    claims = [p for name, p in sorted(exchange_plugins().items()) if name != DEFAULT_EXCHANGE and p.recognise(records)]
    if len(claims) == 1:
        return claims[0]
    if len(claims) > 1:
        raise ValueError("its header is claimed by several exchange plugins (" + ", ".join(p.name for p in claims) + "): name one with --exchange")
    return exchange_plugin(DEFAULT_EXCHANGE)


def exchange_registry(name: str | None):
    """The coin registry a snapshot of this exchange was read with (``data/coins.csv`` for OKX and unknown names)."""
    from indexer.registry import registry

    plugin = exchange_plugins().get((name or "").lower())
    return plugin.registry() if plugin is not None and plugin.registry is not None else registry()


@cache
def _schemes() -> dict:
    out = {}
    for plugin in exchange_plugins().values():
        out.update(plugin.schemes)
    return out


@cache
def _constants() -> dict:
    out = {}
    for plugin in exchange_plugins().values():
        out.update(plugin.constant_verdicts)
    return out


def scheme_for(family: str):
    """The verifier an exchange plugin registers for a row family (``HTX-EVM``, ...), or None."""
    return _schemes().get(family) if family else None


def constant_verdicts() -> dict:
    """family -> the one verdict every row of that family gets (an exchange that publishes no proof)."""
    return _constants()
