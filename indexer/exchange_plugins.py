"""The installed exchange plugins (``por.exchanges`` entry points) and what the core asks of them as a set.

The core names no exchange: a file is read by the one plugin whose ``recognise`` claims it, or by the
plugin the user names with ``--exchange``; a file no plugin claims is refused with the installed names.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from indexer.models import Registry, Verdict
from indexer.plugins import EXCHANGE_ENTRY_POINT_GROUP, ExchangePlugin, VerifyFn, load_entry_points
from indexer.registry import registry

ENTRY_POINT_GROUP = EXCHANGE_ENTRY_POINT_GROUP


@cache
def _load() -> tuple[dict[str, ExchangePlugin], dict[str, str]]:
    found, errors = load_entry_points(ENTRY_POINT_GROUP, ExchangePlugin)
    return {plugin.name: plugin for plugin in sorted(found, key=lambda p: p.name)}, errors


def exchange_plugins() -> dict[str, ExchangePlugin]:
    """name -> ExchangePlugin, every installed exchange that loaded."""
    return _load()[0]


def exchange_errors() -> dict[str, str]:
    return _load()[1]


def exchange_plugin(name: str) -> ExchangePlugin:
    """The plugin called ``name`` (case-insensitive); ValueError naming the installed ones otherwise."""
    found = exchange_plugins().get(name.strip().lower())
    if found is None:
        known = ", ".join(sorted(exchange_plugins())) or "none"
        broken = exchange_errors().get(name.strip().lower())
        raise ValueError(f"no exchange plugin {name!r} is installed (installed: {known})" + (f"; it failed to load: {broken}" if broken else ""))
    return found


def demo_plugin() -> ExchangePlugin:
    """The installed plugin whose synth writes ``por run``'s demo input (it declares ``demo=True``)."""
    for plugin in exchange_plugins().values():
        if plugin.demo and plugin.synth is not None:
            return plugin
    raise ValueError("no installed exchange plugin writes a demo publication: give por run a file")


def recognise(records: list[list[str]]) -> ExchangePlugin | None:
    """The one exchange plugin whose ``recognise`` claims files that start like ``records``, None when none does.

    Several claiming them is an error (the user names one with ``--exchange``). None claiming them means the file
    is no installed exchange's publication (or its exchange's plugin is missing): ingest then reads it with no
    layout at all, so it is refused, nothing loaded, with the reason the reader gives (empty, not text, unknown header).
    """
    claims = [p for _, p in sorted(exchange_plugins().items()) if p.recognise(records)]
    if len(claims) == 1:
        return claims[0]
    if len(claims) > 1:
        raise ValueError("its header is claimed by several exchange plugins (" + ", ".join(p.name for p in claims) + "): name one with --exchange")
    return None


def exchange_registry(name: str | None) -> Registry:
    """The coin registry a snapshot of this exchange was read with (the core registry for an unknown name)."""
    plugin = exchange_plugins().get((name or "").lower())
    return registry_of(plugin)


def registry_of(plugin: ExchangePlugin | None) -> Registry:
    return plugin.registry(registry()) if plugin is not None and plugin.registry is not None else registry()


def own_tokens() -> dict[str, tuple[str, ...]]:
    """exchange -> its own tokens' asset names (each plugin's ``own_tokens``).

    Why own tokens: analysts compare "clean" reserves (DefiLlama's term) that leave out the exchange's own
    token, whose price the exchange itself largely sets (OKB for OKX, HT/HTX for HTX, BNB for Binance).
    """
    return {name: tuple(t.upper() for t in p.own_tokens) for name, p in exchange_plugins().items()}


def own_tokens_table() -> pa.Table:
    pairs = [(ex, asset) for ex, assets in own_tokens().items() for asset in assets]
    return pa.table({"exchange": [p[0] for p in pairs], "asset": [p[1] for p in pairs]})


@cache
def _merged(field: str) -> dict:
    """One mapping field of every installed exchange plugin, merged (``schemes``, ``constant_verdicts``)."""
    out: dict = {}
    for plugin in exchange_plugins().values():
        out.update(getattr(plugin, field))
    return out


def scheme_for(family: str) -> VerifyFn | None:
    """The verifier an exchange plugin registers for a row family (``HTX-EVM``, ...), or None."""
    return _merged("schemes").get(family) if family else None


def constant_verdicts() -> dict[str, Verdict]:
    """family -> the one verdict every row of that family gets (an exchange that publishes no proof)."""
    return _merged("constant_verdicts")
