"""EOS: the requests a run will make, and the replay path chosen from the plan's counts (``estimate``).

Why two paths. A value at the snapshot is the current balance minus the account's token actions since. They come
either from Hyperion's per-account ``get_actions`` (``account=…&filter=code:*``: at least one request per account)
or from **one** scan of the token contract's actions over the whole block range (``filter=code:*`` without an
account, paged by block number as the per-account query is, up to ``api.limits.get_actions`` = 1,000 a page),
split by party. Which is cheaper depends on how busy the contract is: ``eosio.token`` carries every EOS transfer
(hundreds of thousands a day), a small token a handful. So:

* without ``probe`` the action count is unknown: per-account (today's behaviour), and ``unknown`` says so;
* with ``probe``, Hyperion counts them: a ``get_actions`` answer carries ``total`` ({value, relation}), exact up
  to 10,000 (``track_total_hits``, eosrio/hyperion-history-api v4.0.7 ``src/api/helpers/functions.ts``
  ``getTrackTotalHits``), ``relation: "gte"`` beyond. One ``limit=1`` query over the range gives the count; past
  10,000, the same query over the first 1/16, 1/256, ... of the range until one is exact, extrapolated. The scan
  is chosen when its pages (plus a page and a ``/v2/health`` per later fetch call extending it) are fewer than
  the accounts to replay.

The choice is kept by the fetcher (``EosFetcher.whole_set``) for the whole run; both paths give identical values
(``tests/test_eos_wholeset.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from chains.eos.codec import SERVER_DEFAULT_PAGE, is_token, token_of
from indexer.models import BalanceRequest
from chains.common.estimate import load
from indexer.plugins import CALL_READS, FetchEstimate
from indexer.rpc import RpcError

EXACT_UP_TO = 10_000  # Hyperion's track_total_hits: ``total.value`` is exact below it
NARROWINGS = 3  # probes of a narrower range when the count is past EXACT_UP_TO (1/16, 1/256, 1/4096 of it)
PER_ACCOUNT = "per-account history"
SCAN = "one action scan"

# ``f`` below is the ``chains.eos.fetch.EosFetcher`` asking (typed Any: fetch imports this module, not the reverse).
EosFetcher = Any


def choose(accounts: int, expected_actions: int | None, page: int, calls: int) -> tuple[bool, int]:
    """(scan?, the scan's expected Hyperion requests) for one contract: scan when fewer than one query per account;
    an unknown count (no probe) keeps per-account."""
    if expected_actions is None:
        return False, 0
    requests = max(1, math.ceil(expected_actions / max(1, page))) + 2 * max(0, calls - 1)
    return requests < accounts, requests


async def _count(f: EosFetcher, code: str, first: int, last: int) -> tuple[int, str, int]:
    """(expected actions of ``code`` in blocks [first, last], how it was found, probes made)."""
    assert f.history is not None
    lo, hi, probes = first, last, 0
    while True:
        params = {"filter": f"{code}:*", "sort": "asc", "after": str(lo), "before": str(hi), "limit": "1"}
        answer = await f.history.rest("GET", "/v2/history/get_actions", params=params)
        probes += 1
        total = answer.get("total") if isinstance(answer, dict) else None
        if not isinstance(total, dict) or not isinstance(total.get("value"), int):
            raise ValueError(f"get_actions answered without a total: {str(answer)[:200]}")
        exact = total.get("relation", "eq") == "eq"
        share = (hi - lo + 1) / (last - first + 1)
        if exact or probes > NARROWINGS or hi == lo:
            n = math.ceil(total["value"] / share)
            how = f"{total['value']:,} counted" if share == 1 and exact else f"{total['value']:,}{'' if exact else '+'} in {share:.2%} of the range"
            return n, how, probes
        hi = lo + max(0, (hi - lo + 1) // 16 - 1)


async def estimate(f: EosFetcher, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
    """Count the requests for ``requests`` (every read of the run), choose each contract's replay path, keep it."""
    accounts: dict[str, set[str]] = {}
    first_block: dict[str, int] = {}
    replays = 0
    for r in requests:
        try:
            code, _ = token_of(r.contract)
        except ValueError:
            continue
        if r.block is not None and f.history is not None:
            replays += 1
            accounts.setdefault(code, set()).add(r.address)
            first_block[code] = min(first_block.get(code, r.block), r.block)
    calls = max(1, math.ceil(len(requests) / CALL_READS))
    f.whole_set.clear()
    history, notes, unknown, chosen = 0, [], [], []
    head = 0
    # the preflight's chain head; the run's own probe (the runner asks with ``probe``): the head, the history's health
    # (read once, then shared with the fetch: counted below per call) and one count per contract (more where
    # Hyperion's total is past EXACT_UP_TO: counted as they happen)
    chain = 1 + (1 if accounts else 0)
    history += len(accounts)
    if probe and accounts:
        try:
            head = await f._head()
            await f._read_coverage(head)  # the page size the server enforces
        except (RpcError, ValueError, KeyError, TypeError) as exc:
            unknown.append(f"the chain head or the history's health could not be read ({str(exc)[:120]})")
    page = f.page or SERVER_DEFAULT_PAGE
    for code, who in accounts.items():
        expected: int | None = None
        how = ""
        if probe and head:
            try:
                expected, how, probes = await _count(f, code, first_block[code] + 1, head)
                history += probes - 1
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                unknown.append(f"{code}: its actions could not be counted ({str(exc)[:120]})")
        elif not probe:
            unknown.append(f"{code}: its actions after the snapshot (probe to count them)")
        scan, cost = choose(len(who), expected, page, calls)
        if scan:
            f.whole_set.add(code)
            history += cost
            chosen.append(SCAN)
            notes.append(f"{code}: {SCAN} (~{cost:,} requests for ~{expected:,} actions, {how}) instead of {len(who):,} account queries")
        else:
            history += len(who)
            chosen.append(PER_ACCOUNT)
            why = "action count unknown" if expected is None else f"~{cost:,} scan requests for ~{expected:,} actions, {how}"
            notes.append(f"{code}: {PER_ACCOUNT} ({len(who):,} account queries at least; {why})")
    f.path = "; ".join(notes)
    # the chain API: get_currency_balance per row, and two get_info around each (per row per-account, per call scanned)
    if accounts:
        history += calls  # /v2/health (one cache for every contract), read again when a call reads past its last answer
    # the chain API: get_currency_balance per row, with two get_info around each on the per-account path and around
    # each ``bracket`` of rows on the one-scan path (per contract and call)
    scanned: dict[str, int] = {}
    for r in requests:
        if not is_token(r.contract):
            continue
        code = token_of(r.contract)[0]
        if code in f.whole_set and r.block is not None:
            scanned[code] = scanned.get(code, 0) + 1
            chain += 1
        else:
            chain += 3
    chain += sum(2 * math.ceil(n / f.bracket) + 2 * (calls - 1) for n in scanned.values())
    services = [load("rpc", f.client, chain)] + ([load("history", f.history, history)] if f.history is not None else [])
    return FetchEstimate(
        method="replayed" if replays else "latest", services=tuple(services), path=" + ".join(dict.fromkeys(chosen)),
        note="; ".join(notes), unknown="; ".join(unknown),
    )

