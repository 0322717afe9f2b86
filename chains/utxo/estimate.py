"""The requests a ``scantxoutset`` run will make (``ScanFetcher.estimate``), counted from the fetch's own steps.

Why its own count: the core's generic estimate (reads ÷ ``max_batch``) knows nothing of the node calls around each
scan, nor of the rewind a past height needs (invalidate the next block, check the new tip, scan, reconsider, prove
the old tip is back). And why the time stays a note: every scan walks the node's whole UTXO set, minutes on a
mainnet node whatever the number of descriptors, so a request count cannot say how long it takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chains.common.estimate import load, pieces
from chains.utxo.scripts import decode_scripts
from indexer.models import BalanceRequest
from indexer.plugins import FetchEstimate

# ``f`` below is the ``chains.utxo.fetch.ScanFetcher`` asking (typed Any: fetch imports this module, not the reverse).
ScanFetcher = Any

# what a rewound scan adds (``ScanFetcher._rewound`` and ``_restore``): getblockhash of the block and of the next one,
# invalidateblock, getbestblockhash; then scantxoutset abort, reconsiderblock, getblockcount, getblockhash of the tip
REWIND_REQUESTS = 8
SCAN_TIME = "each scantxoutset walks the node's whole UTXO set (minutes on a mainnet node): not in this time"


def scan_estimate(f: ScanFetcher, requests: Sequence[BalanceRequest]) -> FetchEstimate:
    """The preflight's getblockchaininfo; per fetch call and snapshot block a getblockchaininfo, a rewind where the
    block is below the tip (``rewind``; unknown tip: counted as a rewind), and one scan per ``chunk`` scripts."""
    per_call = max(1, f.feed.request_chunk)
    node, scans = 1, 0
    for start in range(0, len(requests), per_call):
        for block, scripts in _scripts_by_block(f, requests[start : start + per_call]).items():
            scans += pieces(scripts, f.chunk)
            if block is None or block in f._latest:
                continue  # --at latest: scanned at whatever the tip is
            node += 1
            if f.rewind and (f.tip_seen is None or block < f.tip_seen):
                node += REWIND_REQUESTS
    path = "rewind + scantxoutset" if f.rewind else "scantxoutset at the tip"
    return FetchEstimate("state_at_height", (load("rpc", f.client, node + scans),), path=path, unknown=SCAN_TIME)


def _scripts_by_block(f: ScanFetcher, requests: Sequence[BalanceRequest]) -> dict[int | None, int]:
    """Distinct scripts to scan per block, as ``fetch`` decodes them (an address that does not decode is an error
    row, never scanned); before the preflight has read the node's chain, distinct addresses stand in for them."""
    if f._params is not None and f._chain is not None:
        groups, _ = decode_scripts(f.network, f._chain, f._params, requests, f.source)
        return {block: len(scripts) for block, scripts in groups.items()}
    by_block: dict[int | None, set[str]] = {}
    for r in requests:
        by_block.setdefault(r.block, set()).add(r.address)
    return {block: len(addresses) for block, addresses in by_block.items()}
