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

from chains.tron import codec
from chains.tron.codec import CodecError
from indexer.models import BalanceRequest
from indexer.plugins import FetchEstimate, ServiceLoad
from indexer.rpc import RpcError

# ``f`` below is the ``chains.tron.fetch.TronFetcher`` asking (typed Any: fetch imports this module, not the reverse).
TronFetcher = Any

PAGE = 200  # TronGrid's page cap (TRON-US/trongrid README.md: "limit ... Default 20. Max 200")
# The runner's default reads per fetch call (indexer.fetch.run.COMMIT_CHUNK; a plugin may not import the runner):
# each later call extends the scan by the blocks elapsed, about one page per event name.
CALL_READS = 5_000
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
    """Count the requests for ``requests`` (every read of the run), choose each token's replay path, keep it."""
    replays: dict[str, set[str]] = {}  # contract -> holders replayed
    first_block: dict[str, int] = {}
    currents: dict[str, int] = {}
    trx_at = 0
    for r in requests:
        try:
            holder, contract = codec.to_hex41(r.address), codec.to_hex41(r.contract) if r.contract else ""
        except ValueError:
            continue  # an error row, no request
        if not contract and r.block is not None and f._history_ok is not False:
            trx_at += 1
            continue
        currents[contract] = currents.get(contract, 0) + 1
        if contract and r.block is not None and f.history is not None:
            replays.setdefault(contract, set()).add(holder)
            first_block[contract] = min(first_block.get(contract, r.block), r.block)
    calls = max(1, math.ceil(len(requests) / CALL_READS))
    node = trx_at + sum(math.ceil(n / f.chunk) if f.multicall else n for n in currents.values()) + 2 * calls + len({r.block for r in requests})
    history, notes, unknown, chosen = 0, [], [], []
    f.whole_set.clear()
    for contract, holders in replays.items():
        name = codec.to_base58(contract)
        history += calls  # the history API's confirmed height, checked about once per fetch call
        history += calls  # the guard's scan of the token's other events: about a page per name and call
        expected: int | None = None
        if probe:
            try:
                history += 1
                expected, how = await _probe(f, contract, first_block[contract])
            except (RpcError, CodecError, ValueError) as exc:
                unknown.append(f"{name}: Transfer events could not be counted ({str(exc)[:120]})")
        else:
            unknown.append(f"{name}: Transfer events after the snapshot (probe to count them)")
        scan, pages = choose(len(holders), expected, calls)
        if scan:
            f.whole_set.add(contract)
            history += pages
            chosen.append(SCAN)
            notes.append(f"{name}: {SCAN} ({pages:,} pages for {expected:,} transfers, {how}) instead of {len(holders):,} holder queries")
        else:
            history += len(holders)
            chosen.append(PER_HOLDER)
            why = "event count unknown" if expected is None else f"{pages:,} event pages for ~{expected:,} transfers, {how}"
            notes.append(f"{name}: {PER_HOLDER} ({len(holders):,} holder queries at least; {why})")
    path = " + ".join(dict.fromkeys(chosen))
    f.path = "; ".join(notes)
    services = [ServiceLoad("rpc", node, f.settings.rps, f.settings.concurrency)]
    if f.history is not None:
        hs = f.history.settings
        services.append(ServiceLoad("history", history, hs.rps, hs.concurrency))
    method = "replayed" if replays else "state_at_height" if trx_at else "latest"
    return FetchEstimate(method=method, services=tuple(services), path=path, note="; ".join(notes), unknown="; ".join(unknown))
