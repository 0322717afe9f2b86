"""TRON balances for a snapshot block: TRX from the node's balance history, TRC-20 by replay.

Why two methods. java-tron can answer a past TRX balance (``/wallet/getaccountbalance`` with the
block's number and hash) but only on nodes started with ``storage.balance.history.lookup``; a node
without it answers a *silent* 0 for any block. No node keeps contract state by block, so a TRC-20
balance at the snapshot is rebuilt: the current balance, read in bulk, minus the account's transfers
of that token after the snapshot block (TronGrid's ``/v1/accounts/{a}/transactions/trc20``).

How each value is obtained (``BalanceResult.method``):

* TRX, node with balance history → ``state_at_height`` (``read_block`` = the snapshot block; the
  answer's ``block_identifier`` may name an earlier block, the last change: that is correct).
* TRX, node without it → ``latest`` (the liquid balance at a solidified block, ``read_block`` = that
  block) with the reason in ``note``. Detected once per run before any TRX value is used: a funded
  account's balance at the head block must equal ``/wallet/getaccount``'s, and at a block before the
  account was created it must be 0 (a node that ignores the block fails that).
* TRC-20 → current balances at a **solidified** block through the Multicall ``aggregate`` via
  ``/walletsolidity/triggerconstantcontract`` (its ``blockNumber`` names the block read; one call
  per ``chunk_size`` holders; a chunk that reverts is read again one ``balanceOf`` per holder, so
  a reverting token is an error row for that item only), then ``replayed`` with confirmed
  (= solidified) transfers in ``(snapshot block, read block]``, both halves bound by the read
  block's timestamp. Without ``history_api`` the value is ``latest`` with the reason.
  Where the exact read block is unknown (single calls), it lies between the solidified heads read
  before and after; a transfer of that account inside that window makes the value ambiguous, and
  the item is an error (retried on the next run), never a guess.
  Balances also change **without a Transfer** (Tether's ``issue``/``redeem`` credit/debit ``owner()``,
  ``destroyBlackFunds`` zeroes a blacklisted holder): the token's own events in the replay window are
  read once per token (``/v1/contracts/{c}/events``, one scan covering every row's window, cached across
  calls), and a row whose holder such an event touched is an error naming the event and transaction
  (see ``codec.balance_event_reason``), never a value.

Options (``[networks.TRON.options]``): ``history_api`` (TronGrid base URL, ``${VAR}`` allowed),
``history_api_key`` (sent as ``TRON-PRO-API-KEY``; ``${VAR}``), ``history_rps`` and ``history_concurrency``
(TronGrid's own pace and requests in flight: its limit is not the node's; default the network's), ``multicall``
(address, or ``""`` for single calls), ``chunk_size`` (holders per aggregate, default 200),
``history_probe`` (a funded account to test the node's balance history with), ``history_lag_checks`` /
``history_lag_wait`` (how long to wait for the history API to index the block read; 0 checks = trust it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from chains.tron import codec
from chains.tron.codec import BlockRef, CodecError
from chains.tron.estimate import estimate
from indexer.config import ConfigError, NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import JsonRpcClient, RequestTooLarge, RpcError, RpcTimeout, TransportError

DEFAULT_CHUNK = 200
LAG_CHECKS = 5  # times the history API's confirmed height is checked before a replay gives up (0 = trust it)
LAG_WAIT = 3.0  # seconds between those checks (one TRON block)
PROBE_CANDIDATES = 20  # holders of a chunk tried as the funded account of the balance-history check
PAGE_LIMIT = 200  # TronGrid's maximum page size
BLOCK_MS = 3000  # TRON produces a block every 3 s
_SHRINK = re.compile(r"timeout|energy|too large|too big|out of time|exceed", re.I)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def make_fetcher(network: Network, settings: NetworkSettings) -> TronFetcher:
    return TronFetcher(network, settings)


async def _grid_pages(client: JsonRpcClient, path: str, params: dict[str, Any], parse: Callable[[Any], tuple[list, str]]) -> AsyncIterator[list]:
    """The pages of one TronGrid query, following ``meta.fingerprint``; a cursor seen twice is an error, never a loop."""
    seen: set[str] = set()
    while True:
        page, fingerprint = parse(await client.rest("GET", path, params=params))
        yield page
        if not fingerprint:
            return
        if fingerprint in seen:
            raise CodecError("TronGrid returned the same page cursor twice")
        seen.add(fingerprint)
        params = {**params, "fingerprint": fingerprint}


@dataclasses.dataclass
class _EventScan:
    """A token's events with lo <= block_timestamp <= hi, as far as scanned (grown, never re-read).

    ``events`` are those that may move a balance without a Transfer (the guard's); ``transfers`` the token's
    Transfers by party, kept only on the whole-set path (``TronFetcher.whole_set``).
    """

    lo: int
    hi: int
    events: list[codec.ContractEvent]
    with_transfers: bool  # its pages asked for Transfers too (every window of it: see merge)
    transfers: dict[str, list[codec.Transfer]] = dataclasses.field(default_factory=dict)

    def add(self, found: list[codec.ContractEvent]) -> None:
        for e in found:
            if e.name != "Transfer":
                self.events.append(e)
                continue
            t = codec.transfer_of_event(e)
            for party in {t.sender, t.recipient}:
                self.transfers.setdefault(party, []).append(t)

    def merge(self, other: _EventScan) -> None:
        """Take in the scan of a window next to this one."""
        self.lo, self.hi = min(self.lo, other.lo), max(self.hi, other.hi)
        self.with_transfers = self.with_transfers and other.with_transfers  # a window without them taints the whole
        self.events.extend(other.events)
        for party, ts in other.transfers.items():
            self.transfers.setdefault(party, []).extend(ts)


@dataclasses.dataclass
class _Current:
    """A current balance and the solidified block range it was read in (lo == hi when exact)."""

    value: int | None
    lo: int
    hi: int
    error: str = ""


class TronFetcher:
    """A BalanceFetcher for TRON (see indexer.plugins.BalanceFetcher and the module docstring)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        self.network = network
        self.settings = settings
        self.client = JsonRpcClient(settings)
        opts = settings.options
        self.multicall = str(opts.get("multicall", codec.MULTICALL) or "")
        if self.multicall:
            codec.to_hex41(self.multicall)  # ValueError: the runner reports the bad option
        self.chunk = max(1, int(opts.get("chunk_size") or DEFAULT_CHUNK))
        self.probe = str(opts.get("history_probe", "") or "")
        if self.probe:
            codec.to_hex41(self.probe)  # ValueError: the runner reports the bad option
        self.history = self._history_client(opts)
        # The token events scan pages sequentially; on the history client it would queue each page behind
        # thousands of per-account requests and hold every replay of its token until the last one. Its own
        # client (one request in flight) shares the endpoints, so their rate limit (history_rps) still holds jointly.
        self.events_api: JsonRpcClient | None = None
        if self.history is not None:
            self.events_api = JsonRpcClient(dataclasses.replace(self.history.settings, concurrency=1))
            self.events_api.endpoints = self.history.endpoints
        self.used: Counter[str] = Counter()
        self.notes: list[str] = []
        self.replayed_accounts = 0
        self.replay_requests = 0
        self._blocks: dict[int, BlockRef] = {}
        self._history_ok: bool | None = None  # None = not checked yet
        self._history_reason = ""
        self._probe_lock = asyncio.Lock()
        self._multicall_ok = bool(self.multicall)
        self._indexed = -1  # highest block the history API has confirmed events for (as far as we know)
        self._index_lock = asyncio.Lock()
        self.lag_checks = max(0, int(opts.get("history_lag_checks", LAG_CHECKS)))
        self.lag_wait = float(opts.get("history_lag_wait", LAG_WAIT))
        self.event_requests = 0  # TronGrid /v1/contracts/{c}/events pages read
        self._scans: dict[str, _EventScan] = {}
        self._scan_failed: dict[tuple[str, int, int], str] = {}  # one failing scan is not repeated for every row
        self._scan_hint: dict[str, tuple[int, int]] = {}  # contract -> (lowest snapshot block, highest read block) asked
        self._scan_locks: dict[str, asyncio.Lock] = {}
        self._owners: dict[str, str | None] = {}  # contract -> owner() (None: the token has none / it reverts)
        self._abi_events: dict[str, list[str] | None] = {}  # contract -> event names of its on-chain ABI
        # Tokens replayed from one scan of their Transfer events instead of one history query per holder: chosen by
        # ``estimate`` (chains.tron.estimate) from the plan's counts, for the whole run. Empty until it is called.
        self.whole_set: set[str] = set()
        self.path = ""  # the path estimate chose, in words ("" until it is called)

    # -- configuration ----------------------------------------------------------------

    def _history_client(self, opts: dict[str, Any]) -> JsonRpcClient | None:
        url = opts.get("history_api")
        if not url:
            return None
        secrets = list(self.settings.secrets)
        url = _expand(str(url), secrets)
        headers = {}
        if opts.get("history_api_key"):
            headers["TRON-PRO-API-KEY"] = _expand(str(opts["history_api_key"]), secrets)
        rps = opts.get("history_rps", self.settings.rps)
        hs = dataclasses.replace(
            self.settings, name=f"{self.network.name}-history", rpc=[url], headers=headers, auth=None,
            rps=float(rps) if rps else None, concurrency=max(1, int(opts.get("history_concurrency", self.settings.concurrency))),
            secrets=tuple(s for s in secrets if s), options={},
        )
        return JsonRpcClient(hs)

    # -- protocol ---------------------------------------------------------------------

    @property
    def source(self) -> str:
        return self.client.source

    @property
    def method(self) -> str:
        """What was used, for the run summary."""
        parts = ", ".join(f"{m} ×{n:,}" for m, n in self.used.most_common()) or "-"
        if self.replayed_accounts:
            parts += f"; replay {self.replay_requests / self.replayed_accounts:.2f} history requests per account"
        if self.event_requests:
            parts += f", {self.event_requests:,} token event request(s)"
        if self.path:
            parts += f"; {self.path}"
        notes = "; ".join(dict.fromkeys(self.notes))
        return parts + (f"; {notes}" if notes else "")

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """The requests this run will make for ``requests``, and the replay path chosen for each token (kept for the
        whole run): see ``chains.tron.estimate``."""
        return await estimate(self, requests, probe=probe)

    async def tip(self) -> int:
        """The solidified head: confirmed history (the replay) reaches exactly that far."""
        return (await self._now()).number

    async def close(self) -> None:
        await self.client.close()

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            solid = await self._now()
            for block in sorted(b for b in blocks if b is not None):
                if block > solid.number:
                    raise FetchBlocked(f"{name}: block {block:,} is beyond the node's solidified block {solid.number:,} (node still syncing, or wrong network)")
                if await self._block(block) is None:
                    raise FetchBlocked(f"{name}: the node does not have block {block:,} (a lite full node without old blocks, or another network)")
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except (RpcError, CodecError) as exc:
            raise FetchBlocked(f"{name}: the node cannot describe the snapshot blocks: {_short(exc)}") from None

    async def event_scans(self, contracts: set[str]) -> dict[str, int | None]:
        """Per token, the event scans its guard makes (one per balance-moving event of its ABI; None: unreadable)."""
        scans: dict[str, int | None] = {}
        for c in contracts:
            try:
                names = await self._event_names(self._contract(c))
            except (RpcError, CodecError, ValueError):
                names = None
            scans[c] = None if names is None else sum(1 for n in names if n not in codec.HARMLESS_EVENTS)
        return scans

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        out: list[BalanceResult | None] = [None] * len(requests)
        native_at: list[tuple[int, str]] = []  # (index, holder) read with getaccountbalance
        current: dict[str, list[tuple[int, str]]] = {}  # contract ("" = TRX) -> (index, holder)
        for i, req in enumerate(requests):
            try:
                holder = codec.to_hex41(req.address)
                contract = self._contract(req.contract) if req.contract else ""
            except ValueError as exc:
                out[i] = self._error(req, str(exc))
                continue
            if not contract and req.block is not None:
                native_at.append((i, holder))
            else:
                current.setdefault(contract, []).append((i, holder))
        if native_at:
            unverified = await self._check_history([h for _, h in native_at])
            if self._history_ok is False:
                current.setdefault("", []).extend(native_at)
                native_at = []
            elif self._history_ok is None:  # not proven either way: no value rather than a possible silent zero
                for i, _ in native_at:
                    out[i] = self._error(requests[i], unverified)
                native_at = []
        # The node serves both halves; its TRX-at-a-block reads (one per account) would queue ahead of the few
        # bulk current reads the TRC-20 replay needs first and leave TronGrid, another service with its own
        # limit, idle until they end. So the bulk reads go first, then both services work side by side.
        currents_read = asyncio.Event()
        await asyncio.gather(
            self._natives_at(native_at, requests, out, after=currents_read), self._current_and_replay(current, requests, out, currents_read)
        )
        return [r if r is not None else self._error(requests[i], "internal: no result") for i, r in enumerate(out)]

    # -- TRX at a block ---------------------------------------------------------------

    async def _natives_at(self, items: list[tuple[int, str]], requests: Sequence[BalanceRequest], out: list[Any], after: asyncio.Event | None = None) -> None:
        if items and after is not None:
            await after.wait()
        async def one(i: int, holder: str) -> None:
            req = requests[i]
            block = req.block
            assert block is not None
            try:
                ref = await self._block(block)
                if ref is None:
                    out[i] = self._error(req, f"the node does not have block {block:,}")
                    return
                sun, named = await self._balance_at(holder, ref)
            except (RpcError, CodecError) as exc:
                out[i] = self._error(req, f"getaccountbalance failed at block {block:,}: {_short(exc)}")
                return
            if named > block:
                out[i] = self._error(req, f"getaccountbalance answered for block {named:,}, after the requested {block:,}")
                return
            out[i] = BalanceResult(req, sun, block, source=self.source, method="state_at_height")

        await asyncio.gather(*(one(i, h) for i, h in items))
        self.used["getaccountbalance"] += len(items)

    async def _balance_at(self, holder: str, ref: BlockRef) -> tuple[int, int]:
        body = await self.client.rest(
            "POST", "/wallet/getaccountbalance",
            {"account_identifier": {"address": codec.to_base58(holder)}, "block_identifier": {"hash": ref.hash, "number": ref.number}, "visible": True},
        )
        return codec.parse_account_balance(body)

    async def _check_history(self, candidates: list[str]) -> str:
        """Does the node really keep balance history? (A node without it answers 0 for any block.)

        Decided once per run from the first funded account found (``history_probe``, the holders
        asked for, the head block's producer); while no funded account was found the question stays
        open and the TRX items are errors with the returned reason (retried on the next run).
        """
        async with self._probe_lock:
            if self._history_ok is not None:
                return ""
            ok, reason = await self._probe_history(([codec.to_hex41(self.probe)] if self.probe else []) + candidates[:PROBE_CANDIDATES])
            self._history_ok = ok
            if ok is False:
                self._history_reason = f"{self.network.name}: {reason}: TRX values are current (latest), not the snapshot's"
                self.notes.append(self._history_reason)
            return f"{self.network.name}: {reason}" if ok is None else ""

    async def _probe_history(self, accounts: list[str]) -> tuple[bool | None, str]:
        try:
            head_body = await self.client.rest("POST", "/wallet/getnowblock", {})
            witness = ((head_body.get("block_header") or {}).get("raw_data") or {}).get("witness_address") if isinstance(head_body, dict) else None
            if witness:
                accounts = accounts + [codec.to_hex41(witness)]  # a block producer's account: it exists, usually funded
            for account in dict.fromkeys(accounts):
                before = codec.parse_account(await self.client.rest("POST", "/wallet/getaccount", {"address": codec.to_base58(account), "visible": True}))
                if before.balance <= 0:
                    continue
                head = codec.parse_block(await self.client.rest("POST", "/wallet/getnowblock", {}))
                if head is None:
                    return None, "the node returned no head block; retried on the next run"
                at_head, _ = await self._balance_at(account, head)
                after = codec.parse_account(await self.client.rest("POST", "/wallet/getaccount", {"address": codec.to_base58(account), "visible": True}))
                if after.balance != before.balance:
                    continue  # it moved while we looked: try another account
                if at_head == 0:
                    return False, (
                        f"the node answers 0 at its head block {head.number:,} for {codec.to_base58(account)}, which holds {before.balance:,} sun"
                        " (balance history is not enabled: storage.balance.history.lookup)"
                    )
                if at_head != before.balance:
                    continue
                if before.create_time:
                    # a node that ignores the block would also answer the current balance before the account existed
                    back = math.ceil((head.timestamp - int(before.create_time)) / BLOCK_MS) + 2
                    earlier = await self._block(head.number - back) if head.number - back > 0 else None
                    if earlier is not None and earlier.timestamp < int(before.create_time):
                        then, _ = await self._balance_at(account, earlier)
                        if then != 0:
                            return False, f"the node answers {then:,} sun for {codec.to_base58(account)} at block {earlier.number:,}, before the account existed (it ignores the block asked)"
                return True, ""
        except (RpcError, CodecError, ValueError) as exc:
            return None, f"could not test the node's balance history ({_short(exc)}); retried on the next run"
        return None, (
            "could not test the node's balance history: none of the probed accounts holds TRX now"
            " (set options.history_probe to a funded account); retried on the next run"
        )

    # -- current balances and the replay ------------------------------------------------

    async def _current_and_replay(
        self, groups: dict[str, list[tuple[int, str]]], requests: Sequence[BalanceRequest], out: list[Any], currents_read: asyncio.Event | None = None
    ) -> None:
        try:
            await self._current_and_replay_inner(groups, requests, out, currents_read)
        finally:
            if currents_read is not None:
                currents_read.set()

    async def _current_and_replay_inner(
        self, groups: dict[str, list[tuple[int, str]]], requests: Sequence[BalanceRequest], out: list[Any], currents_read: asyncio.Event | None
    ) -> None:
        if not groups:
            return
        try:
            s0 = (await self._now()).number
        except (RpcError, CodecError) as exc:
            for items in groups.values():
                for i, _ in items:
                    out[i] = self._error(requests[i], f"could not read the solidified block: {_short(exc)}")
            return
        got: dict[int, _Current] = {}
        jobs = []
        for contract, items in groups.items():
            for start in range(0, len(items), self.chunk):
                jobs.append(self._read_current(contract, items[start : start + self.chunk], got, s0))
            snapshots = [requests[i].block for i, _ in items if requests[i].block is not None]
            if contract and self.history is not None and snapshots and min(snapshots) < s0:
                jobs.append(self._prefetch_events(contract, min(snapshots), s0))
        await asyncio.gather(*jobs)
        try:
            s1 = (await self._now()).number
        except (RpcError, CodecError):
            s1 = None
        replays = []
        for contract, items in groups.items():
            for i, holder in items:
                req = requests[i]
                cur = got[i]
                if cur.lo == -1:  # single call: somewhere between the solidified heads before and after
                    if s1 is None:
                        out[i] = self._error(req, "could not read the solidified block after the balance read")
                        continue
                    cur.lo, cur.hi = s0, s1
                if cur.value is None:
                    out[i] = BalanceResult(req, None, cur.hi, error=cur.error, source=self.source)
                elif not contract and req.block is not None:  # TRX on a node without balance history
                    out[i] = BalanceResult(req, cur.value, cur.hi, source=self.source, method="latest", note=self._history_reason)
                elif req.block is None:
                    out[i] = BalanceResult(req, cur.value, cur.hi, source=self.source, method="latest", note=f"current balance at solidified block {cur.hi:,}")
                elif self.history is None:
                    out[i] = BalanceResult(
                        req, cur.value, cur.hi, source=self.source, method="latest",
                        note=f"no history_api configured for TRC-20 replay: current balance at solidified block {cur.hi:,}, not the snapshot's",
                    )
                else:
                    lo, hi = self._scan_hint.get(contract, (req.block, cur.hi))
                    self._scan_hint[contract] = (min(lo, req.block), max(hi, cur.hi))
                    replays.append(self._replay(req, holder, contract, cur, out, i))
        if currents_read is not None:
            currents_read.set()  # the node's per-account reads may go now, beside the replay on the history API
        await asyncio.gather(*replays)

    async def _read_current(self, contract: str, items: list[tuple[int, str]], got: dict[int, _Current], s0: int) -> None:
        if self._multicall_ok:
            calls = [(contract or self.multicall, codec.balance_of_data(h) if contract else codec.get_balance_data(h)) for _, h in items]
            try:
                answer = codec.parse_constant_call(await self._trigger(self.multicall, codec.AGGREGATE_SIGNATURE, codec.encode_aggregate(calls)))
                if answer.ok:
                    block, datas = codec.decode_aggregate(answer.data.hex(), len(items))
                    if block < s0:
                        raise CodecError(f"aggregate read block {block:,}, older than the solidified block {s0:,} seen before it")
                    for (i, _), data in zip(items, datas):
                        try:
                            got[i] = _Current(codec.decode_uint256(data), block, block)
                        except CodecError as exc:
                            got[i] = _Current(None, block, block, f"{exc} (solidified block {block:,})")
                    self.used["multicall"] += len(items)
                    return
                if not answer.data and _SHRINK.search(answer.error) and len(items) > 1:
                    await self._halve(contract, items, got, s0)
                    return
                if not answer.data:  # refused, not reverted: no multicall contract there
                    self._multicall_ok = False
                    self.notes.append(f"multicall {self.multicall} unusable ({answer.error[:120]}): one call per holder")
            except (RequestTooLarge, RpcTimeout) as exc:
                if len(items) > 1:
                    await self._halve(contract, items, got, s0)
                    return
                self._fail(items, got, f"aggregate failed: {_short(exc)}")
                return
            except (RpcError, CodecError) as exc:
                self._fail(items, got, f"aggregate failed: {_short(exc)}")
                return
        await self._read_single(contract, items, got)

    async def _halve(self, contract: str, items: list[tuple[int, str]], got: dict[int, _Current], s0: int) -> None:
        half = len(items) // 2
        self.chunk = max(1, min(self.chunk, half))
        await asyncio.gather(self._read_current(contract, items[:half], got, s0), self._read_current(contract, items[half:], got, s0))

    async def _read_single(self, contract: str, items: list[tuple[int, str]], got: dict[int, _Current]) -> None:
        async def one(i: int, holder: str) -> None:
            try:
                if contract:
                    answer = codec.parse_constant_call(await self._trigger(contract, codec.BALANCE_OF_SIGNATURE, codec.balance_of_parameter(holder)))
                    if not answer.ok:
                        got[i] = _Current(None, -1, -1, f"balanceOf {answer.error}")
                        return
                    got[i] = _Current(codec.decode_uint256(answer.data), -1, -1)
                else:
                    acct = codec.parse_account(await self.client.rest("POST", "/walletsolidity/getaccount", {"address": codec.to_base58(holder), "visible": True}))
                    got[i] = _Current(acct.balance, -1, -1)
            except (RpcError, CodecError) as exc:
                got[i] = _Current(None, -1, -1, f"{'balanceOf' if contract else 'getaccount'} failed: {_short(exc)}")

        await asyncio.gather(*(one(i, h) for i, h in items))
        self.used["single"] += len(items)

    async def _replay(self, req: BalanceRequest, holder: str, contract: str, cur: _Current, out: list[Any], i: int) -> None:
        block = req.block
        assert block is not None and self.history is not None and cur.value is not None
        try:
            ref, lo, hi = await self._block(block), await self._block(cur.lo), await self._block(cur.hi)
            if ref is None or lo is None or hi is None:
                raise CodecError(f"the node lacks block {block if ref is None else cur.lo if lo is None else cur.hi}")
            if block > cur.lo:
                raise CodecError(f"the current balance was read at block {cur.lo:,}, before the snapshot block {block:,}")
            behind = await self._history_reaches(cur.hi)
            if behind:
                raise CodecError(behind)
            events, owner = await self._events(contract, block, cur.hi)
            if contract in self.whole_set:  # the token's one scan holds every holder's transfers (see estimate)
                transfers = self._scanned_transfers(holder, contract, ref.timestamp + 1, hi.timestamp)
            else:
                transfers = await self._history(holder, contract, ref.timestamp + 1, hi.timestamp)
        except (RpcError, CodecError) as exc:
            out[i] = BalanceResult(req, None, block, error=f"TRC-20 history unavailable: {_short(exc)}", source=self.source)
            return
        for event in events:
            why = codec.balance_event_reason(event, holder, owner)
            if why:
                out[i] = BalanceResult(
                    req, None, block, source=self.source,
                    error=f"the balance changed without a Transfer after block {block:,}: {why}; a replay would be wrong",
                )
                return
        moving = [t for t in transfers if lo.timestamp < t.timestamp <= hi.timestamp]
        if moving:
            out[i] = BalanceResult(
                req, None, block, source=self.source,
                error=f"the balance changed between solidified blocks {cur.lo:,} and {cur.hi:,} while it was read ({len(moving)} transfer(s)); retry",
            )
            return
        value = cur.value - codec.net_inflow(transfers, holder)
        if value < 0:
            out[i] = BalanceResult(req, None, block, source=self.source, error=f"replay gives a negative balance ({value}): the transfer history is incomplete")
            return
        where = f"block {cur.hi:,}" if cur.lo == cur.hi else f"blocks {cur.lo:,}..{cur.hi:,}"
        out[i] = BalanceResult(
            req, value, block, source=self.source, method="replayed",
            note=f"balance at solidified {where} with {len(transfers)} later transfer(s) undone",
        )

    async def _history_reaches(self, block: int) -> str:
        """"" when the history API has indexed confirmed events up to ``block``, else why not.

        The replay trusts TronGrid to list every transfer up to the block the balance was read at;
        an indexer that lags the node would silently miss the newest ones. TronGrid's latest confirmed
        events name the block it has reached (on mainnet every block has events); it is waited for
        ``history_lag_checks`` times, ``history_lag_wait`` s apart.
        """
        if self.lag_checks == 0 or self._indexed >= block:
            return ""
        assert self.history is not None
        async with self._index_lock:
            for attempt in range(self.lag_checks):
                if self._indexed >= block:
                    return ""
                if attempt:
                    await asyncio.sleep(self.lag_wait)
                body = await self.history.rest("GET", "/v1/blocks/latest/events", params={"only_confirmed": "true"})
                self._indexed = max(self._indexed, codec.parse_latest_events(body))
        if self._indexed >= block:
            return ""
        return f"the history API has confirmed events only up to block {self._indexed:,}, the balance was read at block {block:,}; retried on the next run"

    async def _history(self, holder: str, contract: str, min_ts: int, max_ts: int) -> list[codec.Transfer]:
        """Every confirmed Transfer of ``contract`` touching ``holder`` with min_ts <= block_timestamp <= max_ts."""
        assert self.history is not None
        path = f"/v1/accounts/{codec.to_base58(holder)}/transactions/trc20"
        params: dict[str, Any] = {
            "only_confirmed": "true", "limit": PAGE_LIMIT, "contract_address": codec.to_base58(contract),
            "min_timestamp": min_ts, "max_timestamp": max_ts,
        }
        transfers: list[codec.Transfer] = []
        self.replayed_accounts += 1
        async for page in _grid_pages(self.history, path, params, lambda body: codec.parse_trc20_page(body, contract)):
            self.replay_requests += 1
            transfers.extend(t for t in page if min_ts <= t.timestamp <= max_ts)
        return transfers

    def _scanned_transfers(self, holder: str, contract: str, min_ts: int, max_ts: int) -> list[codec.Transfer]:
        """``holder``'s Transfers of ``contract`` with min_ts <= block_timestamp <= max_ts, from the token's scan
        (which ``_events`` has just made cover that window): the rows ``_history`` would have listed."""
        scan = self._scans[contract]
        if not scan.with_transfers:  # an empty list here would store the current balance as the snapshot's
            raise CodecError("internal: the token's event scan was made without its Transfers")
        if not (scan.lo <= min_ts and max_ts <= scan.hi):
            raise CodecError(f"internal: the token's event scan covers {scan.lo}..{scan.hi}, not {min_ts}..{max_ts}")
        return [t for t in scan.transfers.get(holder, ()) if min_ts <= t.timestamp <= max_ts]

    async def _events(self, contract: str, block: int, hi: int) -> tuple[list[codec.ContractEvent], str | None]:
        """The token's events in blocks (block, hi], and its owner() when an Issue/Redeem is among them.

        One scan serves every row: it covers the union of the windows asked in this run
        (``_scan_hint``) and is only ever extended, so thousands of holders cost one paged scan.
        """
        assert self.history is not None
        lo_b, hi_b = self._scan_hint.get(contract, (block, hi))
        lo_b, hi_b = min(lo_b, block), max(hi_b, hi)
        async with self._scan_locks.setdefault(contract, asyncio.Lock()):
            first, last = await self._block(lo_b), await self._block(hi_b)
            if first is None or last is None:
                raise CodecError(f"the node lacks block {lo_b if first is None else hi_b}")
            lo_ts, hi_ts = first.timestamp + 1, last.timestamp
            scan = self._scans.get(contract)
            missing = [(lo_ts, hi_ts)] if scan is None else [
                w for w in ((lo_ts, scan.lo - 1), (scan.hi + 1, hi_ts)) if w[0] <= w[1]
            ]
            if missing:
                failed = self._scan_failed.get((contract, lo_ts, hi_ts))
                if failed:
                    raise CodecError(failed)
                behind = await self._history_reaches(hi_b)
                if behind:
                    raise CodecError(behind)
                try:
                    fresh = _EventScan(lo_ts, hi_ts, [], contract in self.whole_set)  # nothing joins the scan before every page is read and applied
                    fresh.add([e for lo, hi_w in missing for e in await self._scan_events(contract, lo, hi_w)])
                except (RpcError, CodecError) as exc:
                    reason = f"token events of {codec.to_base58(contract)}: {_short(exc)}"
                    self._scan_failed[(contract, lo_ts, hi_ts)] = reason
                    raise CodecError(reason) from None
                if scan is None:
                    scan = self._scans[contract] = fresh
                else:
                    scan.merge(fresh)
            mine = [e for e in scan.events if block < e.block <= hi]
            owner = None
            if any(e.name in codec.OWNER_EVENTS for e in mine):
                owner = await self._owner(contract)
        return mine, owner

    async def _prefetch_events(self, contract: str, lo: int, hi: int) -> None:
        """Scan the token's events up to the solidified block while the balances are read, not after:
        the replays then find the scan done (or only extend it by the few blocks the reads moved on)."""
        old = self._scan_hint.get(contract, (lo, hi))
        self._scan_hint[contract] = (min(old[0], lo), max(old[1], hi))
        try:
            await self._events(contract, lo, hi)
        except (RpcError, CodecError):
            pass  # recorded in _scan_failed; each replayed row reports it

    async def _scan_events(self, contract: str, min_ts: int, max_ts: int) -> list[codec.ContractEvent]:
        """The confirmed events of ``contract`` with min_ts <= block_timestamp <= max_ts that may move a
        balance without a Transfer (TronGrid, paged).

        Asked by name, one name at a time, for every event the token's on-chain ABI declares except those
        that move no balance: on mainnet USDT emits millions of Transfers a day, which an unfiltered scan would
        page through 200 at a time, while its other events are a handful. A token whose ABI cannot list its
        events (none on chain, cleared) is scanned whole.
        """
        names = await self._event_names(contract)
        if names is None:
            return await self._scan_event_pages(contract, min_ts, max_ts, None)
        wanted = [n for n in names if n not in codec.HARMLESS_EVENTS]
        if contract in self.whole_set:
            wanted.append("Transfer")  # the whole-set path: every holder's transfers come from this scan
        out: list[codec.ContractEvent] = []
        for name in wanted:
            out.extend(await self._scan_event_pages(contract, min_ts, max_ts, name))
        return out

    async def _scan_event_pages(self, contract: str, min_ts: int, max_ts: int, name: str | None) -> list[codec.ContractEvent]:
        assert self.events_api is not None
        path = f"/v1/contracts/{codec.to_base58(contract)}/events"
        params: dict[str, Any] = {
            "only_confirmed": "true", "limit": PAGE_LIMIT, "min_block_timestamp": min_ts, "max_block_timestamp": max_ts,
        }
        if name is not None:
            params["event_name"] = name
        out: list[codec.ContractEvent] = []
        transfers = contract in self.whole_set
        async for page in _grid_pages(self.events_api, path, params, codec.parse_events_page):
            self.event_requests += 1
            out.extend(
                e for e in page
                if min_ts <= e.timestamp <= max_ts and name in (None, e.name) and (not codec.moves_no_balance(e) or (transfers and e.name == "Transfer"))
            )
        return out

    async def _event_names(self, contract: str) -> list[str] | None:
        """The event names of the token's on-chain ABI (``/wallet/getcontract``, read once per token), or None."""
        if contract not in self._abi_events:
            body = await self.client.rest("POST", "/wallet/getcontract", {"value": codec.to_base58(contract), "visible": True})
            self._abi_events[contract] = codec.parse_abi_events(body)
            if self._abi_events[contract] is None:
                self.notes.append(f"{codec.to_base58(contract)} has no event list on chain: its events are scanned whole")
        return self._abi_events[contract]

    async def _owner(self, contract: str) -> str | None:
        """The token's ``owner()`` (read once per token); None when the token has no such function."""
        if contract not in self._owners:
            answer = codec.parse_constant_call(await self._trigger(contract, "owner()", ""))
            self._owners[contract] = codec.decode_address_word(answer.data) if answer.ok and answer.data else None
        return self._owners[contract]

    # -- small helpers -------------------------------------------------------------------

    async def _trigger(self, contract: str, selector: str, parameter: str) -> Any:
        return await self.client.rest(
            "POST", "/walletsolidity/triggerconstantcontract",
            {"owner_address": codec.to_base58(self.multicall or contract), "contract_address": codec.to_base58(contract),
             "function_selector": selector, "parameter": parameter, "visible": True},
        )

    async def _now(self) -> BlockRef:
        ref = codec.parse_block(await self.client.rest("POST", "/walletsolidity/getnowblock", {}))
        if ref is None:
            raise CodecError("the node returned no solidified block")
        self._blocks.setdefault(ref.number, ref)
        return ref

    async def _block(self, number: int) -> BlockRef | None:
        hit = self._blocks.get(number)
        if hit is None:
            hit = codec.parse_block(await self.client.rest("POST", "/wallet/getblockbynum", {"num": number}))
            if hit is not None:
                if hit.number != number:
                    raise CodecError(f"asked for block {number:,}, got {hit.number:,}")
                self._blocks[number] = hit
        return hit

    def _contract(self, text: str) -> str:
        return codec.to_hex41(text)  # the runner hands contracts over exactly as the registry writes them

    def _fail(self, items: list[tuple[int, str]], got: dict[int, _Current], reason: str) -> None:
        for i, _ in items:
            got[i] = _Current(None, -1, -1, reason)

    def _error(self, req: BalanceRequest, reason: str) -> BalanceResult:
        return BalanceResult(req, None, req.block, error=reason, source=self.source)


def _expand(value: str, secrets: list[str]) -> str:
    """``${VAR}`` from the environment (recorded as a secret, so it is redacted everywhere)."""

    def one(m: re.Match[str]) -> str:
        var = m.group(1)
        if var not in os.environ:
            raise ConfigError(f"[networks.TRON.options] needs environment variable {var}, which is not set")
        secrets.append(os.environ[var])
        return os.environ[var]

    return _VAR.sub(one, value)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:297] + "..."
