"""TRON: the requests a run will make, and the TRC-20 replay path chosen from the plan's counts (``estimate``).

Why two paths. A TRC-20 value at the snapshot is the current balance minus the holder's transfers since. They
come either from TronGrid's per-account history (``/v1/accounts/{a}/transactions/trc20``: at least one request
per holder) or from **one** paged scan of the token's ``Transfer`` events over the whole window
(``/v1/contracts/{c}/events?event_name=Transfer``: 200 events a page, TronGrid's cap), every holder's net change
applied at once. Which is cheaper depends on how busy the token is, which only the provider knows: USDT-TRC20
moves tens of millions of transfers a month (hundreds of thousands of pages, more than any exchange has holders),
a quiet token a few hundred. So:

* without ``probe`` the event count is unknown: per-holder (today's behaviour, never worse than one request a
  holder), and ``unknown`` says what was not counted;
* with ``probe``, one request per token, the first page of its Transfer events over the window (newest first,
  TronGrid's default order): a page without a cursor is the whole count; otherwise 200 events over the
  page's block-timestamp span give the density, extrapolated over the window. The scan is chosen when its
  expected pages (plus one page per later fetch call extending it) are fewer than the holders to replay.

The choice is kept by the fetcher (``TronFetcher.whole_set``) for the whole run; both paths give identical
values (``tests/test_tron_wholeset.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from chains.common.estimate import heights, load, pieces
from chains.tron import codec
from chains.tron.codec import CodecError
from indexer.models import BalanceRequest
from indexer.plugins import CALL_READS, FetchEstimate
from indexer.rpc import RpcError

# ``f`` below is the ``chains.tron.fetch.TronFetcher`` asking (typed Any: fetch imports this module, not the reverse).
TronFetcher = Any

PAGE = 200  # TronGrid's page cap (TRON-US/trongrid README.md: "limit ... Default 20. Max 200")
PER_HOLDER = "per-holder history"
SCAN = "one event scan"


def choose(holders: int, expected_events: int | None, calls: int) -> tuple[bool, int]:
    """(scan?, the scan's expected TronGrid pages) for one token: scan when its pages are fewer than one query per
    holder; an unknown event count (no probe) keeps per-holder."""
    if expected_events is None:
        return False, 0
    pages = max(1, math.ceil(expected_events / PAGE)) + max(0, calls - 1)
    return pages < holders, pages


def expected_transfers(page: list[codec.ContractEvent], more: bool, window_ms: int) -> int:
    """The Transfer events expected over a window of ``window_ms`` from its first page (newest first)."""
    if not more:
        return len(page)
    stamps = [e.timestamp for e in page]
    span = max(max(stamps) - min(stamps), 3000) if stamps else 3000  # one block at least: 200 events in one block
    return max(len(page), math.ceil(len(page) * window_ms / span))


async def _probe(f: TronFetcher, contract: str, lo_block: int) -> tuple[int, str]:
    """(expected Transfers of ``contract`` after block ``lo_block`` up to the solidified head, how it was found)."""
    assert f.events_api is not None
    first, now = await f._block(lo_block), await f._now()
    if first is None:
        raise CodecError(f"the node lacks block {lo_block:,}")
    lo_ts, hi_ts = first.timestamp + 1, now.timestamp
    if hi_ts < lo_ts:
        return 0, "no block after the snapshot"
    params: dict[str, Any] = {"only_confirmed": "true", "limit": PAGE, "event_name": "Transfer", "min_block_timestamp": lo_ts, "max_block_timestamp": hi_ts}
    body = await f.events_api.rest("GET", f"/v1/contracts/{codec.to_base58(contract)}/events", params=params)
    f.event_requests += 1
    page, fingerprint = codec.parse_events_page(body)
    page = [e for e in page if e.name == "Transfer" and lo_ts <= e.timestamp <= hi_ts]
    n = expected_transfers(page, bool(fingerprint), hi_ts - lo_ts + 1)
    how = f"{len(page)} on the only page" if not fingerprint else f"~{n:,} from the first page's {len(page)} over its time span"
    return n, how


async def estimate(f: TronFetcher, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
    """Count the requests for ``requests`` (every read of the run), choose each token's replay path, keep it.

    The per-holder count (``per_holder_estimate``) is the yardstick; a token that takes the scan trades its holder
    queries for the scan's pages. ``probe`` also reads each token's ABI, so its guard's event scans are counted."""
    replays: dict[str, set[str]] = {}  # contract -> holders replayed
    first_block: dict[str, int] = {}
    for r in requests:
        if not (r.contract and r.block is not None and f.history is not None):
            continue
        try:
            contract, holder = codec.to_hex41(r.contract), codec.to_hex41(r.address)
        except ValueError:
            continue  # an error row, no request
        replays.setdefault(contract, set()).add(holder)
        first_block[contract] = min(first_block.get(contract, r.block), r.block)
    scans = await f.event_scans({r.contract for r in requests if r.contract}) if probe and replays else {}
    base = per_holder_estimate(f, requests, scans)
    node, history = (base.services[0].requests, base.services[1].requests if len(base.services) > 1 else 0)
    calls = max(1, math.ceil(len(requests) / CALL_READS))
    notes, unknown, chosen = [], [base.unknown] if base.unknown else [], []
    f.whole_set.clear()
    for contract, holders in replays.items():
        name = codec.to_base58(contract)
        expected: int | None = None
        how = ""
        # the probe, made by ``por plan --probe`` and by every run (the runner asks with ``probe``): one page of the
        # token's Transfer events, the snapshot block's header and the solidified head
        history += 1
        node += 2
        if probe:
            try:
                expected, how = await _probe(f, contract, first_block[contract])
            except (RpcError, CodecError, ValueError) as exc:
                unknown.append(f"{name}: Transfer events could not be counted ({str(exc)[:120]})")
        else:
            unknown.append(f"{name}: Transfer events after the snapshot (probe to count them)")
        scan, pages = choose(len(holders), expected, calls)
        if scan:
            f.whole_set.add(contract)
            history += pages - len(holders)
            chosen.append(SCAN)
            notes.append(f"{name}: {SCAN} ({pages:,} pages for {expected:,} transfers, {how}) instead of {len(holders):,} holder queries")
        else:
            chosen.append(PER_HOLDER)
            why = "event count unknown" if expected is None else f"{pages:,} event pages for ~{expected:,} transfers, {how}"
            notes.append(f"{name}: {PER_HOLDER} ({len(holders):,} holder queries at least; {why})")
    f.path = "; ".join(notes)
    services = [load("rpc", f.client, node)] + ([load("history", f.history, history)] if f.history is not None else [])
    return FetchEstimate(
        method=base.method, services=tuple(services), path=" + ".join(dict.fromkeys(chosen)) or base.path,
        note="; ".join(notes), unknown="; ".join(unknown),
    )


# what ``_probe_history`` asks: getnowblock, getaccount, getnowblock, getaccountbalance, getaccount for the first funded
# account, then the block before it existed and the balance there (where the account says when it was created)
HISTORY_PROBE_REQUESTS = 7


def per_holder_estimate(f: TronFetcher, requests: Sequence[BalanceRequest], event_scans: dict[str, int | None]) -> FetchEstimate:
    """Today's path, counted from ``fetch``: on the node, the preflight (solidified head, each snapshot block),
    the balance-history check and one ``getaccountbalance`` per TRX row at a block, the bulk current reads
    (``chunk`` holders per aggregate, per token and TRX, between two solidified heads) and per token its ABI and
    the solidified block's header; on TronGrid, the indexed-height check, one transfer-history query per TRC-20
    holder (one page each: a holder with more than ``PAGE_LIMIT`` transfers since the snapshot costs more) and
    per token one events scan per balance-moving event of its ABI (``event_scans``: counted by ``--probe``, else
    one). Kept apart so a whole-set path can be chosen beside it (the per-holder count is its yardstick)."""
    natives_at = 0
    current: dict[str, int] = {}
    replayed = 0
    for r in requests:
        if not r.contract and r.block is not None:
            natives_at += 1
        else:
            current[r.contract] = current.get(r.contract, 0) + 1
            if r.contract and r.block is not None:
                replayed += 1
    blocks = heights(requests)
    node = 1 + len(blocks)  # preflight
    if natives_at:
        node += HISTORY_PROBE_REQUESTS + natives_at
    tokens = [c for c in current if c]
    if current:
        node += 2 + sum(pieces(n, f.chunk) for n in current.values())  # solidified heads around the bulk reads
    grid = 0
    unknown = ""
    if replayed and f.history is not None:
        node += 2 * len(tokens)  # the token's ABI (getcontract) and the solidified block's header
        grid += 1 + replayed  # the indexed height, then one history query per holder
        for c in tokens:
            scans = event_scans.get(c)
            grid += 1 if scans is None else scans
        if any(event_scans.get(c) is None for c in tokens):
            unknown = "the token events scan counted as one request per token (--probe reads each token's ABI)"
    services = (load("rpc", f.client, node),) + ((load("history", f.history, grid),) if f.history is not None else ())
    method = "replayed" if replayed and f.history is not None else "state_at_height" if natives_at else "latest"
    path = "per-holder history" if replayed and f.history is not None else ""
    return FetchEstimate(method, services, path=path, unknown=unknown)
