"""The rows of ``por networks``: each registry network with its adapter, declared methods, plugin state and
configuration, so a user sees before fetching which networks can be read, how, and why not."""

from __future__ import annotations

from typing import Any

from indexer.config import PorConfig
from indexer.plugins import capabilities_for, fetcher_factory, plugin_errors
from indexer.registry import registry


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
                "needs": (caps.needs or "-") if caps else "-",
                "configured": configured,
                "chain_id": net.chain_id,
                "description": net.description,
            }
        )
    return rows
