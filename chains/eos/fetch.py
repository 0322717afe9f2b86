"""EOS / Vaulta token balances at the snapshot block, by replaying the account's token actions.

Why replay: the EOS chain API reads balances only at the head (``get_currency_balance`` has no
block parameter). The snapshot value is rebuilt as *current balance − what came in since + what
went out since*, every step taken from chain data: the token contract's actions that involve the
account after the snapshot block, from a Hyperion history API (``[networks.EOS.options] history_api``).

How Hyperion is read, and why (eosrio/hyperion-history-api v4.0.7,
``src/api/routes/v2-history/get_actions/functions.ts``):

* **By block number, never by date.** ``sort=asc`` with an ISO ``after`` older than
  ``max_asc_window_days`` (default 90) is refused, and a zone-less ISO date (nodeos block times have
  no zone) is parsed in the *server's* local time. A block-number ``after``/``before`` is exempt from
  the window and means the same everywhere.
* **A block cursor, not ``skip``.** ``skip`` above 10,000 is refused. Each page asks for the actions in
  blocks [cursor, H1]; results come sorted by ``global_sequence``, which grows with the block, so every
  block below the page's last one is complete and the next page starts at that last block (re-read
  actions are dropped by ``global_sequence``). Only when one block alone fills a page is ``skip``
  used, inside that block.
* **Page size** is the server's ``api.limits.get_actions`` as ``/v2/health`` reports it (at most
  1,000); a server that refuses the size ("limit too big, maximum: N") is followed.
* **Coverage** (``/v2/health``): the index must reach H1 (waited for, ``history_lag_checks`` ×
  ``history_lag_wait``), start at or before the block after the snapshot (``first_indexed_block``, and
  the auto-pruning window ``pruning.max_retained_blocks``), and have no missing blocks. Otherwise the
  value is ``latest`` with the reason, never the snapshot value.

Exactness rules:

* Amounts are the transfers' ``quantity`` strings (``"1.2345 EOS"``), parsed exactly; Hyperion's
  float ``amount`` field is never used.
* The balance is read between two ``get_info`` calls (heads H0 ≤ H1). Transfers up to H0 are in the
  balance, transfers after H1 are not; one inside (H0, H1] is ambiguous, so that account is read again.
* **Balances change without a transfer** (eosio.token ``issue``/``issuefixed``/``retire``, Vaulta's
  ``core.vaulta::init``: see ``chains.eos.codec``). Such an action, or any other action of the token
  contract not known to leave balances alone, involving the account after the snapshot makes that row an
  error naming the action and transaction (as TRON's ``DestroyedBlackFunds`` guard does), never a value.

Native EOS is ``eosio.token``/``EOS`` (4 decimals); a registry contract ``code:SYMBOL`` (e.g.
Vaulta's ``core.vaulta:A``) reads that token. OKX's "Snapshot Height" for EOS rows is the block number.

Options (``[networks.EOS.options]``): ``history_api`` (Hyperion base URL), ``history_rps`` (its own
request rate; default the network's ``rps``: Hyperion limits each client, ``rate_limit_rpm`` 1000 by
default), ``history_concurrency`` (its requests in flight; default the network's ``concurrency``),
``history_lag_checks`` / ``history_lag_wait``. The network's headers and auth go to the chain
API only, never to the history API.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from chains.common.fetcher import HttpFetcher
from chains.eos.codec import PAGE, SERVER_DEFAULT_PAGE, Coverage, NotReplayable, coverage_of, is_token, parties, replay, token_of, units_of
from chains.eos.estimate import estimate
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import HttpError, JsonRpcClient, RpcError, TransportError

MAX_SKIP = 10_000  # functions.ts getSkipLimit: "skip is above maximum internal limit: 10000"
ATTEMPTS = 3
LAG_CHECKS = 5  # times /v2/health is read while the index catches up with the block the balance was read at
LAG_WAIT = 1.0  # seconds between those reads (two EOS blocks)
_LIMIT_TOO_BIG = re.compile(r"limit too big, maximum: (\d+)")


def make_fetcher(network: Network, settings: NetworkSettings) -> EosFetcher:
    return EosFetcher(network, settings)


class EosFetcher(HttpFetcher):
    """A BalanceFetcher for EOS / Vaulta (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        opts = settings.options
        self.history = self._history_client(opts)
        self.lag_checks = int(opts.get("history_lag_checks", LAG_CHECKS))
        self.lag_wait = float(opts.get("history_lag_wait", LAG_WAIT))
        self.page = PAGE  # 0: the server takes no limit (it answers 10 per page)
        self.bracket = max(1, settings.concurrency)  # rows read between two chain heads on the one-scan path
        self._coverage: Coverage | None = None
        self._coverage_lock = asyncio.Lock()
        # Token contracts replayed from one scan of all their actions instead of one history query per account:
        # chosen by ``estimate`` (chains.eos.estimate) from the plan's counts, for the whole run; empty until then.
        self.whole_set: set[str] = set()
        self.path = ""  # the path estimate chose, in words
        self._scans: dict[str, _Scan] = {}
        self._scan_locks: dict[str, asyncio.Lock] = {}

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """The requests this run will make for ``requests`` and the replay path chosen per token contract (kept for
        the whole run): see ``chains.eos.estimate``."""
        return await estimate(self, requests, probe=probe)

    def _history_client(self, opts: dict[str, Any]) -> JsonRpcClient | None:
        """Hyperion is its own service with its own rate limit: its own client, rate and no chain credentials."""
        url = opts.get("history_api")
        if not url:
            return None
        rps = opts.get("history_rps", self.settings.rps)
        hs = dataclasses.replace(
            self.settings, name=f"{self.network.name}-history", rpc=[str(url)], headers={}, auth=None,
            rps=float(rps) if rps else None, concurrency=max(1, int(opts.get("history_concurrency", self.settings.concurrency))),
            options={},
        )
        return JsonRpcClient(hs)

    async def _head(self) -> int:
        return int((await self.client.rest("POST", "/v1/chain/get_info", {}))["head_block_num"])

    async def tip(self) -> int:
        return await self._head()

    async def preflight(self, blocks: set[int | None]) -> None:
        """The chain API must answer and every snapshot block must be at or below its head. No block is read:
        the replay needs the block numbers only, so a node that keeps no old blocks will do."""
        name = self.network.name
        try:
            head = await self._head()
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except RpcError as exc:
            raise FetchBlocked(f"{name}: the chain API refused the preflight ({exc})") from None
        for block in sorted(b for b in blocks if b is not None):
            if block > head:
                raise FetchBlocked(f"{name}: block {block:,} is beyond the chain head {head:,}")

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        whole: dict[str, list[int]] = {}  # contract account -> indexes replayed from its one scan
        single: list[int] = []
        for i, r in enumerate(requests):
            code = token_of(r.contract)[0] if is_token(r.contract) else ""
            if code in self.whole_set and r.block is not None and self.history is not None:
                whole.setdefault(code, []).append(i)
            else:
                single.append(i)
        out: list[BalanceResult | None] = [None] * len(requests)
        singles = asyncio.gather(*(self._one(requests[i]) for i in single))
        groups = asyncio.gather(*(self._whole(code, [requests[i] for i in idx]) for code, idx in whole.items()))
        done, grouped = await asyncio.gather(singles, groups)
        for i, r in zip(single, done):
            out[i] = r
        for idx, results in zip(whole.values(), grouped):
            for i, r in zip(idx, results):
                out[i] = r
        return [r if r is not None else BalanceResult(requests[i], None, requests[i].block, error="internal: no result", source=self.client.source) for i, r in enumerate(out)]

    async def _balance(self, account: str, code: str, symbol: str) -> int:
        rows = await self.client.rest("POST", "/v1/chain/get_currency_balance", {"code": code, "account": account, "symbol": symbol})
        if not isinstance(rows, list):
            raise ValueError(f"get_currency_balance answered {rows!r}")
        return sum(units_of(q, symbol) for q in rows)  # [] = no balance row: 0

    async def _one(self, req: BalanceRequest) -> BalanceResult:
        src = self.client.source
        try:
            code, symbol = token_of(req.contract)
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=str(exc), source=src)
        why_latest = ""
        for _ in range(ATTEMPTS):
            try:
                h0 = await self._head()
                current = await self._balance(req.address, code, symbol)
                h1 = await self._head()
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                return BalanceResult(req, None, req.block, error=f"get_currency_balance failed: {exc}", source=src)
            if req.block is None:
                return BalanceResult(req, current, h0, source=src, method="latest")
            if self.history is None:
                why_latest = "no history_api configured: current balance, not the snapshot's"
                break
            try:
                delta, ambiguous, undone = await self._replay(req.address, code, symbol, req.block, h0, h1)
            except NotReplayable as exc:
                return BalanceResult(req, None, req.block, error=str(exc), source=src)
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                why_latest = f"history unavailable ({exc}): current balance, not the snapshot's"
                break
            if ambiguous:
                continue  # a transfer landed while the balance was read: read again
            snapshot = current - delta
            if snapshot < 0:
                return BalanceResult(req, None, req.block, error=f"replay gives a negative balance ({snapshot}): history incomplete", source=src)
            note = f"balance at head block {h0:,} with {undone:,} later transfer(s) undone"
            return BalanceResult(req, snapshot, req.block, source=src, method="replayed", note=note)
        else:
            why_latest = "transfers kept landing while the balance was read: current balance, not the snapshot's"
        return BalanceResult(req, current, h0, source=src, method="latest", note=why_latest)

    # -- the whole-set path: one scan of the token contract's actions for every account -------------------

    async def _whole(self, code: str, reqs: list[BalanceRequest]) -> list[BalanceResult]:
        """``_one`` for many rows of one token contract: the balances read between two heads shared by all, the
        replay's actions taken from one scan of the contract (extended, never re-read) split by party. Same values,
        notes and errors as ``_one``; a row whose balance moved while it was read is read again, as there."""
        src = self.client.source
        out: dict[int, BalanceResult] = {}
        pending = list(range(len(reqs)))
        current: dict[int, int] = {}
        heads: dict[int, tuple[int, int]] = {}  # row -> the heads around its own balance read (h0, h1)
        for _ in range(ATTEMPTS):
            groups = [pending[k : k + self.bracket] for k in range(0, len(pending), self.bracket)]
            for group, found in zip(groups, await asyncio.gather(*(self._bracketed(reqs, g) for g in groups))):
                for i, value in zip(group, found):
                    if isinstance(value, str):
                        out[i] = BalanceResult(reqs[i], None, reqs[i].block, error=value, source=src)
                    else:
                        current[i], heads[i] = value
            pending = [i for i in pending if i not in out]
            if not pending:
                break
            h1 = max(heads[i][1] for i in pending)
            uncovered: dict[int, str] = {}
            for snapshot in sorted({reqs[i].block for i in pending}):  # each row's own coverage check, as in _one
                try:
                    await self._covered(snapshot, h1)
                except (RpcError, ValueError, KeyError, TypeError) as exc:
                    uncovered.update({i: str(exc) for i in pending if reqs[i].block == snapshot})
            covered = [i for i in pending if i not in uncovered]
            by_party: dict[str, list[dict[str, Any]]] = {}
            if covered:
                try:
                    by_party = await self._scanned(code, min(reqs[i].block for i in covered) + 1, h1)
                except (RpcError, ValueError, KeyError, TypeError) as exc:
                    uncovered.update({i: str(exc) for i in covered})
            again = []
            for i in pending:
                req = reqs[i]
                h0, h1_row = heads[i]
                if i in uncovered:
                    why = f"history unavailable ({uncovered[i]}): current balance, not the snapshot's"
                    out[i] = BalanceResult(req, current[i], h0, source=src, method="latest", note=why)
                    continue
                _, symbol = token_of(req.contract)
                try:
                    r = replay(by_party.get(req.address, ()), req.address, code, symbol, req.block, h0, h1_row)
                except NotReplayable as exc:
                    out[i] = BalanceResult(req, None, req.block, error=str(exc), source=src)
                    continue
                except (ValueError, KeyError, TypeError) as exc:
                    why = f"history unavailable ({exc}): current balance, not the snapshot's"
                    out[i] = BalanceResult(req, current[i], h0, source=src, method="latest", note=why)
                    continue
                if r.ambiguous:
                    again.append(i)  # a transfer landed while the balance was read: read again
                    continue
                snapshot_value = current[i] - r.delta
                if snapshot_value < 0:
                    out[i] = BalanceResult(req, None, req.block, error=f"replay gives a negative balance ({snapshot_value}): history incomplete", source=src)
                    continue
                note = f"balance at head block {h0:,} with {r.undone:,} later transfer(s) undone"
                out[i] = BalanceResult(req, snapshot_value, req.block, source=src, method="replayed", note=note)
            pending = again
            if not pending:
                break
        why = "transfers kept landing while the balance was read: current balance, not the snapshot's"
        for i in pending:
            out[i] = BalanceResult(reqs[i], current[i], heads[i][0], source=src, method="latest", note=why)
        return [out[i] for i in range(len(reqs))]

    async def _bracketed(self, reqs: list[BalanceRequest], group: list[int]) -> list[tuple[int, tuple[int, int]] | str]:
        """The balances of a few rows read together between two chain heads: (units, (h0, h1)) or the error text.

        Why a few (``bracket``, the network's concurrency), not all: a transfer between h0 and h1 makes a row's
        replay ambiguous (read again), so the window must stay as short as one round of reads, as ``_one``'s is;
        one window over thousands of reads would leave a busy account ambiguous on every attempt."""
        try:
            h0 = await self._head()
            read = await asyncio.gather(*(self._balance_or_error(reqs[i]) for i in group))
            h1 = await self._head()
        except (RpcError, ValueError, KeyError, TypeError) as exc:
            return [f"get_currency_balance failed: {exc}"] * len(group)
        return [value if isinstance(value, str) else (value, (h0, h1)) for value in read]

    async def _balance_or_error(self, req: BalanceRequest) -> int | str:
        code, symbol = token_of(req.contract)
        try:
            return await self._balance(req.address, code, symbol)
        except (RpcError, ValueError, KeyError, TypeError) as exc:
            return f"get_currency_balance failed: {exc}"

    async def _scanned(self, code: str, first: int, last: int) -> dict[str, list[dict[str, Any]]]:
        """Every action of ``code`` in blocks [first, last] by party (``codec.parties``), from one scan of the contract
        grown at either end as later calls ask for more, never read twice. Nothing joins it unless whole."""
        async with self._scan_locks.setdefault(code, asyncio.Lock()):
            scan = self._scans.get(code)
            windows = [(first, last)] if scan is None else [w for w in ((first, scan.first - 1), (scan.last + 1, last)) if w[0] <= w[1]]
            fresh = _Scan(first if scan is None else min(first, scan.first), last if scan is None else max(last, scan.last), {})
            for lo, hi in windows:
                async for action in self._actions(None, code, lo, hi):
                    for party in parties(action):
                        fresh.by_party.setdefault(party, []).append(action)
            if scan is None:
                self._scans[code] = scan = fresh
            else:
                scan.first, scan.last = fresh.first, fresh.last
                for party, actions in fresh.by_party.items():
                    mine = scan.by_party.setdefault(party, [])
                    mine.extend(actions)
                    mine.sort(key=lambda a: int(a["global_sequence"]))  # an older window may have been added
            return scan.by_party

    # -- the replay -------------------------------------------------------------------------------------

    async def _replay(self, account: str, code: str, symbol: str, snapshot: int, h0: int, h1: int) -> tuple[int, bool, int]:
        """Net inflow (in − out) in blocks (snapshot, H0], whether a transfer sits in (H0, H1], and how many
        transfers were undone. Raises NotReplayable when a non-transfer action changed the balance."""
        await self._covered(snapshot, h1)
        actions = [a async for a in self._actions(account, code, snapshot + 1, h1)]
        r = replay(actions, account, code, symbol, snapshot, h0, h1)
        return r.delta, r.ambiguous, r.undone

    async def _covered(self, snapshot: int, h1: int) -> Coverage:
        """The history's coverage once it has indexed block H1; ValueError (→ ``latest``) when it cannot serve
        every action in (snapshot, H1]."""
        assert self.history is not None
        cov = await self._read_coverage(h1)
        for _ in range(self.lag_checks):
            if cov.last >= h1:
                break
            await asyncio.sleep(self.lag_wait)
            cov = await self._read_coverage(h1)
        if cov.last < h1:
            raise ValueError(f"history indexed only to block {cov.last:,}, the balance was read at {h1:,}")
        if cov.first > snapshot + 1:
            raise ValueError(f"history keeps actions only from block {cov.first:,}, the replay needs them from block {snapshot + 1:,}")
        if cov.missing > 0:
            raise ValueError(f"history index misses {cov.missing:,} block(s) (health missing_blocks), so no replay can be shown complete")
        return cov

    async def _read_coverage(self, h1: int) -> Coverage:
        """``/v2/health``, read again only when the last answer did not reach ``h1`` (one request for many rows)."""
        assert self.history is not None
        async with self._coverage_lock:
            if self._coverage is None or self._coverage.last < h1:
                self._coverage = coverage_of(await self.history.rest("GET", "/v2/health"))
                if self._coverage.page is not None:
                    self.page = self._coverage.page
            return self._coverage

    async def _actions(self, account: str | None, code: str, first: int, last: int) -> AsyncIterator[dict[str, Any]]:
        """Every action of ``code`` involving ``account`` (None: every one) in blocks [first, last], once each, paged by block."""
        seen: set[int] = set()

        def fresh(page: list[dict[str, Any]]) -> list[dict[str, Any]]:
            out = [a for a in page if int(a["global_sequence"]) not in seen]
            seen.update(int(a["global_sequence"]) for a in out)
            return out

        cursor = first
        while cursor <= last:
            page, size = await self._page(account, code, cursor, last, 0)
            for a in fresh(page):
                yield a
            if len(page) < size:
                return
            top = int(page[-1]["block_num"])
            if top > cursor:
                cursor = top  # blocks below `top` are complete; `top` may continue on the next page
                continue
            skip = size  # one block fills the page: walk that block alone
            while True:
                if skip > MAX_SKIP:
                    raise ValueError(f"more than {MAX_SKIP:,} actions of {account or code} in block {cursor:,}: Hyperion cannot page them")
                page, size = await self._page(account, code, cursor, cursor, skip)
                for a in fresh(page):
                    yield a
                if len(page) < size:
                    break
                skip += size
            cursor += 1

    async def _page(self, account: str | None, code: str, after: int, before: int, skip: int) -> tuple[list[dict[str, Any]], int]:
        """One get_actions page in blocks [after, before], ascending by ``global_sequence`` (checked), and the
        page size asked (a page shorter than that is the last)."""
        assert self.history is not None
        for _ in range(3):
            limit = self.page  # what this request asks: another task may change self.page while it waits
            params = {"filter": f"{code}:*", "sort": "asc", "after": str(after), "before": str(before)}
            if account is not None:
                params = {"account": account, **params}
            if limit:
                params["limit"] = str(limit)
            if skip:
                params["skip"] = str(skip)
            try:
                answer = await self.history.rest("GET", "/v2/history/get_actions", params=params)
            except HttpError as exc:
                message = str(exc.body.get("message", "")) if isinstance(exc.body, dict) else ""
                m = _LIMIT_TOO_BIG.search(message)
                if exc.status == 400 and m and min(PAGE, int(m.group(1))) != limit:
                    self.page = min(PAGE, int(m.group(1)))
                    continue
                if message:  # Hyperion's reason, not only fastify's "Bad Request"
                    raise ValueError(f"get_actions refused (HTTP {exc.status}): {message}") from None
                raise
            actions = answer.get("actions") if isinstance(answer, dict) else None
            if not isinstance(actions, list):
                raise ValueError(f"get_actions answered without actions: {str(answer)[:200]}")
            keys = [(int(a["global_sequence"]), int(a["block_num"])) for a in actions]
            if any(k1[0] >= k2[0] or k1[1] > k2[1] for k1, k2 in zip(keys, keys[1:])):
                raise ValueError("get_actions answered out of global_sequence order: paging by block would lose actions")
            return actions, limit or SERVER_DEFAULT_PAGE
        raise ValueError("get_actions kept refusing the page size")


@dataclasses.dataclass
class _Scan:
    """A token contract's actions in blocks [first, last], by party (``codec.parties``)."""

    first: int
    last: int
    by_party: dict[str, list[dict[str, Any]]]

