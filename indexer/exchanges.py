"""Per-exchange settings kept as data (``data/exchanges.csv``): which assets are the exchange's own token.

Why: analysts compare "clean" reserves (DefiLlama's term) that leave out the exchange's own token,
whose price the exchange itself largely sets (OKB for OKX, HT/HTX for HTX, BNB for Binance).
"""

from __future__ import annotations

import csv
from functools import cache

import pyarrow as pa

from indexer.resources import resource_dir


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
