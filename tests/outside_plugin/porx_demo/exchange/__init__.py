"""demoex: an invented exchange that publishes ``asset,address,height,amount,message,signature`` files.

What an exchange plugin declares: how it recognises its files, its layout, and its coin map (``coins.csv``,
package data), whose ``scheme`` column names the chain scheme its rows are signed with, by name.
"""

from __future__ import annotations

from indexer.models import Coin, Layout, Registry, first_header, header_names
from indexer.plugins import ExchangePlugin, package_csv, per_registry

HEADER = ("asset", "address", "height", "amount", "message", "signature")


def recognise(records: list[list[str]]) -> bool:
    return first_header(records) == HEADER


def layout(cells: list[str]) -> Layout | None:
    if header_names(cells) != HEADER:
        return None
    columns = {"coin": 0, "address": 1, "snapshot_height": 2, "amount": 3, "message": 4, "signature1": 5}
    return Layout("demoex6", columns, width=6, required=("coin", "address", "amount"), min_cells=6)


@per_registry
def demo_registry(core: Registry) -> Registry:
    """demoex's coin keys (its coin map) over the core's networks."""
    coins = {}
    for rec in package_csv(__name__, "coins.csv"):
        if rec["network"] not in core.networks:
            raise ValueError(f"coins.csv: {rec['coin_key']} names unknown network {rec['network']}")
        coins[rec["coin_key"]] = Coin(
            key=rec["coin_key"], asset=rec["asset"], network=rec["network"], family=rec["scheme"],
            address_type="", header="", decimals=int(rec["decimals"]),
        )
    return Registry(coins=coins, networks=core.networks, network_aliases=core.network_aliases)


plugin = ExchangePlugin(
    name="demoex",
    description="demoex: asset,address,height,amount,message,signature (an outside exchange plugin)",
    recognise=recognise,
    layout=layout,
    registry=demo_registry,
    own_tokens=("DMO",),
)
