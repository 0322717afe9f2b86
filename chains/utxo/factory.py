"""The UTXO balance fetcher for one network: a UTXO dump reader when ``options.utxo_dump`` is set, else Bitcoin
Core's ``scantxoutset`` (``fetch.py``).

Why a module of its own: the dump reader and the scan fetcher share the script decoding (``scripts.py``) and
nothing else, so neither imports the other and the choice between them lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chains.utxo.dump import DumpFetcher
from chains.utxo.fetch import ScanFetcher
from indexer.models import Network


def make_fetcher(network: Network, settings: Any) -> Any:
    """A dump reader when ``options.utxo_dump`` is set (no node time), else the ``scantxoutset`` fetcher."""
    opts = settings.options or {}
    rewind = opts.get("rewind", False)
    if not isinstance(rewind, bool):
        raise ValueError(f"[networks.{network.name}.options] rewind must be true or false, not {rewind!r}")
    dump = opts.get("utxo_dump")
    if dump is not None and not isinstance(dump, (str, Path)):
        raise ValueError(f"[networks.{network.name}.options] utxo_dump must be a file path, not {dump!r}")
    if dump:
        return DumpFetcher(network, settings)
    if not settings.rpc:
        raise ValueError(f"[networks.{network.name}] has no rpc endpoint and no options.utxo_dump file")
    return ScanFetcher(network, settings)
