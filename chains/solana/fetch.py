"""Solana balances (SOL and SPL tokens, Token and Token-2022) at the snapshot slot, by replay.

Why replay: no Solana RPC method reads account state at a past slot (``minContextSlot`` is only a
floor). What the chain does keep is each transaction's metadata: every account's lamports and token
balances before and after it. So the value at slot ``s`` is

* the current value, when no transaction touched the account after ``s`` (its newest signature is at
  or before ``s``; the signature list is read *after* the current value, so nothing can slip between);
* else the ``postBalances`` / ``postTokenBalances`` entry of the last transaction at or before ``s``;
* else (every transaction of the account is after ``s``: it did not exist yet) zero, checked against
  the ``preBalances`` / ``preTokenBalances`` of its oldest transaction, which must say zero too.

Token balances are the sum over the owner's token accounts for the mint: those that exist now
(``getTokenAccountsByOwner`` with the mint filter, which Agave resolves to the mint's program, Token
or Token-2022) plus those that appear with this owner in the token balances of the owner's own
transactions after ``s`` (an account closed or handed to another owner since: its owner signed that).
Each is replayed on its own signatures (a wallet's list does not show transfers that only touch its
token accounts), and counts only if the metadata at ``s`` names this owner and mint. A token row whose
address is itself an account of the Token or Token-2022 program (a token account, not the wallet that
owns it) is an error result saying so: read as an owner it would own nothing and replay to a false 0.

``read_block`` is ``s`` for replayed values (the slot the replay is anchored at: OKX's SOL "Snapshot
Height" is a slot, see docs/adapters.md). Where history cannot be had (``-32011`` no history on this node,
``-32001``/``-32004``/``-32007``/``-32009`` pruned or skipped, ``-32015`` version, a ledger that starts
after ``s``) the current value is returned as ``method="latest"`` with the reason in ``note``: never
as the snapshot's. Every other failure is an error result, never a zero.

Options (``[networks.SOL.options]``): ``accounts_per_call`` (getMultipleAccounts keys per call, ≤ 100,
halved automatically on ``-32602 Too many inputs``), ``calls_per_batch`` (JSON-RPC calls per HTTP
batch, default ``batch_size`` or 100; getMultipleAccounts at most 10 per batch), ``signatures_page`` (≤ 1000), ``commitment`` (default
``finalized``), ``replay = false`` (store current values as ``latest`` without trying history).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chains.solana import codec
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import heights, load, pieces
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import JsonRpcClient, RpcError, TransportError

MAX_ACCOUNTS_PER_CALL = 100
DEFAULT_CALLS_PER_BATCH = 100
ACCOUNT_CALLS_PER_BATCH = 10  # getMultipleAccounts calls per HTTP batch: 1,000 accounts per request
# The node cannot give the history a replay needs (CHAINS.md: Solana error codes).
HISTORY_GONE = {
    -32011: "transaction history is not available from this node",
    -32001: "the block was cleaned up from the node's ledger",
    -32004: "the block is not available for that slot",
    -32007: "the slot was skipped, or is missing after a jump to a recent snapshot",
    -32009: "the slot was skipped, or is missing in long-term storage",
    -32015: "the transaction version is not supported",
}
_TOO_MANY_INPUTS = re.compile(r"too many inputs", re.I)


class HistoryUnavailable(Exception):
    """The replay cannot be completed on this node; the value falls back to ``latest`` with this reason."""


class ReplayError(Exception):
    """The history is there but contradicts itself (or the request): an error result, never a value."""


def make_fetcher(network: Network, settings: NetworkSettings) -> SolanaFetcher:
    return SolanaFetcher(network, settings)


@dataclass(frozen=True)
class _Window:
    """An address's signatures after the snapshot slot (newest first) and the first one at or before it."""

    after: tuple[dict[str, Any], ...]
    boundary: dict[str, Any] | None  # None: the list ended before reaching the slot


@dataclass(frozen=True)
class _Current:
    value: int
    slot: int  # the context slot the node read it at
    program: str = ""  # the account's owner program ("" = no such account)
    space: int | None = None  # its data length, where the node says (Agave's ``space``)


class SolanaFetcher:
    """A BalanceFetcher for Solana (see indexer.plugins.BalanceFetcher and the module docstring)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        self.network = network
        self.settings = settings
        self.client = JsonRpcClient(settings)
        opts = settings.options
        self.per_call = max(1, min(MAX_ACCOUNTS_PER_CALL, int(opts.get("accounts_per_call", MAX_ACCOUNTS_PER_CALL))))
        self.calls_per_batch = max(1, int(opts.get("calls_per_batch") or settings.batch_size or DEFAULT_CALLS_PER_BATCH))
        self.sig_page = max(1, min(1000, int(opts.get("signatures_page", 1000))))
        self.commitment = str(opts.get("commitment", "finalized"))
        self.replay = bool(opts.get("replay", True))
        self.used: Counter[str] = Counter()  # method -> results
        self.stats: Counter[str] = Counter()  # replay cost: accounts, signature pages, transactions
        self.notes: list[str] = []
        self._history_note = "" if self.replay else "replay switched off ([networks.X.options] replay = false): current values"
        self._latest_tip: int | None = None
        self._tx_cache: dict[str, asyncio.Future[Any]] = {}
        self._batcher: _CallBatcher | None = None

    # -- protocol -------------------------------------------------------------------------------

    @property
    def source(self) -> str:
        return self.client.source

    @property
    def method(self) -> str:
        """What was used, for the run summary, e.g. ``replayed ×9,800, latest ×200 (…)``."""
        if not self.used:
            return "replayed" if self.replay else "latest"
        parts = ", ".join(f"{m} ×{n:,}" for m, n in self.used.most_common())
        cost = ""
        if self.stats["replayed_accounts"]:
            per = (self.stats["signature_requests"] + self.stats["transaction_requests"]) / self.stats["replayed_accounts"]
            cost = f"; replay {per:.2f} requests per account"
        note = f"; {'; '.join(dict.fromkeys(self.notes))}" if self.notes else ""
        return f"{parts}{cost}{note}"

    async def tip(self) -> int:
        self._latest_tip = int(await self.client.call("getSlot", [{"commitment": self.commitment}]))
        return self._latest_tip

    async def close(self) -> None:
        await self.client.close()

    async def preflight(self, blocks: set[int | None]) -> None:
        """Refuse slots beyond the node's tip; find out, once, whether history reaches the snapshot slots."""
        name = self.network.name
        slots = sorted(b for b in blocks if b is not None)
        try:
            tip = int(await self.client.call("getSlot", [{"commitment": self.commitment}]))
            beyond = [s for s in slots if s > tip]
            if beyond:
                raise FetchBlocked(f"{name}: slot {beyond[0]:,} is beyond the node's {self.commitment} slot {tip:,} (node behind, or wrong network)")
            if not self.replay or not slots or (self._latest_tip is not None and slots[0] >= self._latest_tip):
                return
            try:
                first = int(await self.client.call("getFirstAvailableBlock"))
            except TransportError:
                raise
            except RpcError:
                first = None
            if first is not None and first > slots[0]:
                self._history_note = f"the node's ledger starts at slot {first:,}, after the snapshot slot {slots[0]:,}: no replay, current values"
                return
            try:
                await self.client.call("getSignaturesForAddress", [codec.SYSTEM_PROGRAM, {"limit": 1, "commitment": self.commitment}])
            except TransportError:
                raise
            except RpcError as exc:
                why = HISTORY_GONE.get(exc.code or 0, f"the node refuses getSignaturesForAddress: {exc.message}")
                self._history_note = f"{why} ({exc.code}): current values"
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: the preflight (slot; first available block and a history probe when replaying),
        the current values (``getMultipleAccounts`` of ``per_call`` keys, ``ACCOUNT_CALLS_PER_BATCH`` calls per
        HTTP batch; ``getTokenAccountsByOwner`` in batches of ``calls_per_batch``), then one signature page per
        account and slot, sent in batches of ``calls_per_batch`` (the call batcher joins the replays' calls). The
        transactions read for accounts that moved after the snapshot are not known before the run."""
        natives = {r.address for r in requests if not r.contract}
        tokens = {(r.address, r.contract) for r in requests if r.contract}
        owners = natives | {o for o, _ in tokens}
        slots = heights(requests)
        replay = self.replay and bool(slots)
        n = 1 + (2 if replay else 0)
        n += pieces(pieces(len(owners), self.per_call), min(self.calls_per_batch, ACCOUNT_CALLS_PER_BATCH))
        n += pieces(len(tokens), self.calls_per_batch)
        unknown = ""
        if replay:
            windows = {(r.address, r.block) for r in requests if r.block is not None}
            n += pieces(len(windows), self.calls_per_batch)
            unknown = "the transactions of accounts that moved after the snapshot (one getTransaction each, batched)"
        return FetchEstimate("replayed" if replay else "latest", (load("rpc", self.client, n),), unknown=unknown)

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        results: list[BalanceResult | None] = [None] * len(requests)
        natives: dict[str, list[int]] = {}
        tokens: dict[tuple[str, str], list[int]] = {}
        for i, req in enumerate(requests):
            if not codec.is_address(req.address):
                results[i] = self._error(req, f"{req.address!r} is not a Solana address (base58 of 32 bytes)")
            elif req.contract and not codec.is_address(req.contract):
                results[i] = self._error(req, f"mint {req.contract!r} is not a Solana address")
            elif req.contract:
                tokens.setdefault((req.address, req.contract), []).append(i)
            else:
                natives.setdefault(req.address, []).append(i)

        # 1. current values, in bulk (read before any signature list, see the module docstring); the token
        #    owners' own accounts come in the same getMultipleAccounts pass, to tell a wallet from a token account
        owners = list(dict.fromkeys([*natives, *(owner for owner, _ in tokens)]))
        native_now, token_now = await asyncio.gather(self._current_natives(owners), self._current_tokens(list(tokens)))
        for (owner, _mint), idx in list(tokens.items()):
            why = _not_an_owner(owner, native_now.get(owner))
            if why:
                for i in idx:
                    results[i] = self._error(requests[i], why)
                del tokens[(owner, _mint)]

        # 2. per request: latest, or replayed to its slot. Signature lists are shared by the requests of
        #    this call only: each must be read after the current values it vouches for (read in step 1)
        windows: dict[tuple[str, int], asyncio.Future[_Window | BaseException]] = {}
        replays: list[tuple[int, Any]] = []
        for address, idx in natives.items():
            now = native_now[address]
            for i in idx:
                replays.append((i, self._resolve_native(requests[i], now, windows)))
        for key, idx in tokens.items():
            now = token_now[key]
            for i in idx:
                replays.append((i, self._resolve_token(requests[i], now, windows)))
        done = await asyncio.gather(*(c for _, c in replays))
        for (i, _), res in zip(replays, done):
            results[i] = res
        out = [r if r is not None else self._error(requests[i], "no result") for i, r in enumerate(results)]
        for r in out:
            if r.ok:
                self.used[r.method] += 1
        return out

    # -- current state --------------------------------------------------------------------------

    async def _current_natives(self, addresses: list[str]) -> dict[str, _Current | BaseException]:
        """Lamports and owner program of every address with ``getMultipleAccounts`` (≤ 100 keys per call, many
        calls per HTTP batch); a missing account is 0. Halves the keys per call when the node says ``Too many inputs``."""
        out: dict[str, _Current | BaseException] = {}
        pending = list(addresses)
        while pending:
            size = self.per_call
            chunks = [pending[i : i + size] for i in range(0, len(pending), size)]
            calls = [("getMultipleAccounts", [chunk, {"encoding": "base64", "commitment": self.commitment, "dataSlice": {"offset": 0, "length": 0}}]) for chunk in chunks]
            answers = await self._batch(calls, min(self.calls_per_batch, ACCOUNT_CALLS_PER_BATCH))
            retry: list[str] = []
            for chunk, ans in zip(chunks, answers):
                if isinstance(ans, RpcError) and _TOO_MANY_INPUTS.search(ans.message) and size > 1:
                    retry.extend(chunk)
                    continue
                if isinstance(ans, BaseException):
                    for a in chunk:
                        out[a] = ans
                    continue
                try:
                    slot = int(ans["context"]["slot"])
                    values = ans["value"]
                    if len(values) != len(chunk):
                        raise ValueError(f"{len(values)} accounts for {len(chunk)} keys")
                    for a, acc in zip(chunk, values):
                        out[a] = _Current(0, slot) if acc is None else _Current(int(acc["lamports"]), slot, str(acc["owner"]), acc.get("space"))
                except (KeyError, TypeError, ValueError) as exc:
                    for a in chunk:
                        out[a] = ReplayError(f"malformed getMultipleAccounts answer: {exc}")
            if retry:
                self.per_call = max(1, size // 2)
                self.notes.append(f"node allows fewer than {size} keys per getMultipleAccounts: {self.per_call}")
            pending = retry
        return out

    async def _current_tokens(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[dict[str, int], int] | BaseException]:
        """Each owner's live token accounts for the mint (Token or Token-2022: the node picks the
        mint's program), decoded from their bytes and checked to name this owner and mint."""
        calls = [("getTokenAccountsByOwner", [owner, {"mint": mint}, {"encoding": "base64", "commitment": self.commitment}]) for owner, mint in keys]
        answers = await self._batch(calls)
        out: dict[tuple[str, str], Any] = {}
        for (owner, mint), ans in zip(keys, answers):
            if isinstance(ans, BaseException):
                out[(owner, mint)] = ans
                continue
            try:
                owner_b, mint_b = codec.pubkey_bytes(owner), codec.pubkey_bytes(mint)
                accounts: dict[str, int] = {}
                for entry in ans["value"]:
                    acct_mint, acct_owner, amount, _state, _ext = codec.token_account_fields(codec.account_data(entry["account"]))
                    if acct_owner != owner_b or acct_mint != mint_b:
                        acct = codec.decode_token_account(codec.account_data(entry["account"]))
                        raise ValueError(f"token account {entry['pubkey']} belongs to {acct.owner} for {acct.mint}")
                    accounts[entry["pubkey"]] = amount
                out[(owner, mint)] = (accounts, int(ans["context"]["slot"]))
            except (KeyError, TypeError, ValueError) as exc:
                out[(owner, mint)] = ReplayError(f"malformed getTokenAccountsByOwner answer: {exc}")
        return out

    # -- one request ------------------------------------------------------------------------------

    def _is_latest(self, req: BalanceRequest) -> bool:
        return req.block is None or (self._latest_tip is not None and req.block >= self._latest_tip)

    async def _resolve_native(self, req: BalanceRequest, now: _Current | BaseException, windows: dict) -> BalanceResult:
        if isinstance(now, BaseException):
            return self._error(req, _why(now))
        if self._is_latest(req):
            return self._ok(req, now.value, now.slot, "latest")
        if self._history_note:
            return self._ok(req, now.value, now.slot, "latest", self._history_note)
        s = int(req.block)  # type: ignore[arg-type]
        try:
            value = await self._native_at(req.address, s, now, windows)
        except HistoryUnavailable as exc:
            return self._ok(req, now.value, now.slot, "latest", f"{exc}: current value")
        except (ReplayError, RpcError, ValueError, KeyError, TypeError) as exc:  # malformed history is an error row, not a crash
            return self._error(req, _why(exc))
        return self._ok(req, value, s, "replayed")

    async def _resolve_token(self, req: BalanceRequest, now: Any, windows: dict) -> BalanceResult:
        if isinstance(now, BaseException):
            return self._error(req, _why(now))
        accounts, slot = now
        current = sum(accounts.values())
        if self._is_latest(req):
            return self._ok(req, current, slot, "latest")
        if self._history_note:
            return self._ok(req, current, slot, "latest", self._history_note)
        s = int(req.block)  # type: ignore[arg-type]
        try:
            value = await self._token_at(req.address, req.contract, s, accounts, slot, windows)
        except HistoryUnavailable as exc:
            return self._ok(req, current, slot, "latest", f"{exc}: current value")
        except (ReplayError, RpcError, ValueError, KeyError, TypeError) as exc:  # malformed history is an error row, not a crash
            return self._error(req, _why(exc))
        return self._ok(req, value, s, "replayed")

    async def _native_at(self, address: str, s: int, now: _Current, windows: dict) -> int:
        self.stats["replayed_accounts"] += 1
        window = await self._window(address, s, windows)
        if not window.after and (window.boundary is None or now.slot >= s or window.boundary["slot"] <= now.slot):
            return now.value  # untouched since the snapshot (and since the current read, if that was earlier)
        if window.boundary is not None:
            tx = await self._transaction(window.boundary["signature"])
            value = codec.lamports_in(tx, address, post=True)
            if value is None:
                raise ReplayError(f"transaction {window.boundary['signature']} is listed for {address} but does not name it")
            return value
        oldest = window.after[-1]["signature"]
        tx = await self._transaction(oldest)
        before = codec.lamports_in(tx, address, post=False)
        if before:
            raise ReplayError(f"the history of {address} ends at a transaction after slot {s:,} that found {before} lamports already there: incomplete history")
        return 0

    async def _token_at(self, owner: str, mint: str, s: int, accounts: dict[str, int], now_slot: int, windows: dict) -> int:
        # token accounts this owner had for the mint at some point after s, from the owner's own transactions
        window = await self._window(owner, s, windows)
        candidates = set(accounts)
        if window.after:
            txs = await asyncio.gather(*(self._transaction(e["signature"]) for e in window.after))
            for tx in txs:
                for tb in (*codec.token_balances(tx, post=False), *codec.token_balances(tx, post=True)):
                    if tb.mint == mint and tb.owner == owner:
                        candidates.add(tb.account)
        values = await asyncio.gather(*(self._token_account_at(acct, owner, mint, s, accounts.get(acct), now_slot, windows) for acct in sorted(candidates)))
        return sum(values)

    async def _token_account_at(self, account: str, owner: str, mint: str, s: int, now: int | None, now_slot: int, windows: dict) -> int:
        self.stats["replayed_accounts"] += 1
        window = await self._window(account, s, windows)
        if not window.after and (window.boundary is None or now_slot >= s or window.boundary["slot"] <= now_slot):
            if now is None:
                raise ReplayError(f"token account {account} was seen with {owner} after slot {s:,} but has no signature after it")
            return now
        if window.boundary is not None:
            tx = await self._transaction(window.boundary["signature"])
            tb = codec.token_amount_in(tx, account, post=True)
            if tb is None or tb.mint != mint or (tb.owner and tb.owner != owner):
                return 0  # closed, not yet a token account, or another owner's at s
            return tb.amount
        oldest = window.after[-1]["signature"]
        tx = await self._transaction(oldest)
        tb = codec.token_amount_in(tx, account, post=False)
        if tb is not None and tb.amount:
            raise ReplayError(f"the history of token account {account} ends at a transaction after slot {s:,} that found {tb.amount} units already there: incomplete history")
        return 0

    # -- history, batched and cached ------------------------------------------------------------------

    async def _window(self, address: str, s: int, windows: dict) -> _Window:
        """Cached per (address, slot) in ``windows`` (one ``fetch`` call), in flight too: a wallet's SOL
        row and its token rows share one list."""
        key = (address, s)
        fut = windows.get(key)
        if fut is None:
            fut = windows[key] = asyncio.ensure_future(self._fetch_window(address, s))
        hit = await asyncio.shield(fut)
        if isinstance(hit, BaseException):
            raise hit
        return hit

    async def _fetch_window(self, address: str, s: int) -> _Window | BaseException:
        """Pages ``getSignaturesForAddress`` (newest first) back to the first signature at or before ``s``."""
        after: list[dict[str, Any]] = []
        before: str | None = None
        while True:
            config: dict[str, Any] = {"limit": self.sig_page, "commitment": self.commitment}
            if before:
                config["before"] = before
            self.stats["signature_requests"] += 1
            try:
                page = await self._call("getSignaturesForAddress", [address, config])
            except HistoryUnavailable as exc:
                return exc
            except RpcError as exc:
                return exc
            if not isinstance(page, list):
                return ReplayError(f"getSignaturesForAddress answered {type(page).__name__}, not a list")
            for entry in page:
                slot = int(entry["slot"])
                if after and slot > int(after[-1]["slot"]):
                    return ReplayError(f"signatures of {address} are not newest first ({slot} after {after[-1]['slot']})")
                if slot <= s:
                    return _Window(tuple(after), entry)
                after.append(entry)
            if len(page) < self.sig_page:
                return _Window(tuple(after), None)
            before = page[-1]["signature"]

    async def _transaction(self, signature: str) -> Any:
        """``getTransaction`` (json, v0 allowed), cached per signature, in flight too."""
        fut = self._tx_cache.get(signature)
        if fut is None:
            fut = self._tx_cache[signature] = asyncio.ensure_future(self._fetch_transaction(signature))
        try:
            hit = await asyncio.shield(fut)
        except BaseException:
            if self._tx_cache.get(signature) is fut:  # a transport failure is not the transaction's answer: ask again next time
                del self._tx_cache[signature]
            raise
        if isinstance(hit, BaseException):
            raise hit
        return hit

    async def _fetch_transaction(self, signature: str) -> Any:
        self.stats["transaction_requests"] += 1
        try:
            tx = await self._call("getTransaction", [signature, {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": self.commitment}])
        except (HistoryUnavailable, RpcError) as exc:
            return exc
        if tx is None:
            return HistoryUnavailable(f"the node no longer has transaction {signature}")
        if not isinstance(tx, dict) or not tx.get("meta"):
            return ReplayError(f"transaction {signature} comes without status metadata")
        return tx

    async def _call(self, method: str, params: list[Any]) -> Any:
        """One call, sent in a JSON-RPC batch with the calls made in the same loop turn (replays of
        many accounts advance in step, so their calls share HTTP requests); the history error codes
        become :class:`HistoryUnavailable`."""
        if self._batcher is None:
            self._batcher = _CallBatcher(self.client, self.calls_per_batch)
        try:
            return await self._batcher.call(method, params)
        except TransportError:
            raise
        except RpcError as exc:
            if exc.code in HISTORY_GONE:
                raise HistoryUnavailable(f"{HISTORY_GONE[exc.code]} ({exc.code}: {exc.message})") from None
            raise

    async def _batch(self, calls: list[tuple[str, list[Any]]], per_batch: int = 0) -> list[Any]:
        """Calls as JSON-RPC batches of ``calls_per_batch``, concurrently; one answer or RpcError per call."""
        size = per_batch or self.calls_per_batch
        groups = [calls[i : i + size] for i in range(0, len(calls), size)]
        answers = await asyncio.gather(*(self.client.batch(g) for g in groups))
        return [a for group in answers for a in group]

    # -- results ----------------------------------------------------------------------------------

    def _ok(self, req: BalanceRequest, value: int, slot: int, method: str, note: str = "") -> BalanceResult:
        if note:
            self.notes.append(note)
        return BalanceResult(req, value, slot, source=self.source, method=method, note=note)

    def _error(self, req: BalanceRequest, reason: str) -> BalanceResult:
        return BalanceResult(req, None, req.block, error=reason, source=self.source)


class _CallBatcher:
    """Collects single calls made in the same event-loop turn into JSON-RPC batches of ``size``."""

    def __init__(self, client: JsonRpcClient, size: int) -> None:
        self.client = client
        self.size = size
        self.queue: list[tuple[str, list[Any], asyncio.Future[Any]]] = []
        self.scheduled: asyncio.Handle | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def call(self, method: str, params: list[Any]) -> Any:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self.queue.append((method, params, fut))
        if len(self.queue) >= self.size:
            self._flush()
        elif self.scheduled is None:
            self.scheduled = loop.call_soon(self._flush)
        return await fut

    def _flush(self) -> None:
        if self.scheduled is not None:
            self.scheduled.cancel()
            self.scheduled = None
        batch, self.queue = self.queue, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _send(self, batch: list[tuple[str, list[Any], asyncio.Future[Any]]]) -> None:
        try:
            answers = await self.client.batch([(m, p) for m, p, _ in batch])
        except BaseException as exc:  # noqa: BLE001 - every waiting call gets the failure
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, _, fut), ans in zip(batch, answers):
            if fut.done():
                continue
            if isinstance(ans, BaseException):
                fut.set_exception(ans)
            else:
                fut.set_result(ans)


def _not_an_owner(address: str, now: _Current | BaseException | None) -> str:
    """Why a token row's address cannot own token accounts, or "" when it can (or could not be read: the
    token read then says what failed). An account of the Token or Token-2022 program is a token account
    (or a mint): its tokens are the owner's, and asked as an owner it would own nothing, a false 0."""
    if not isinstance(now, _Current) or now.program not in codec.TOKEN_PROGRAMS:
        return ""
    program = "Token-2022" if now.program == codec.TOKEN_2022_PROGRAM else "Token"
    what = "a mint" if now.space == codec.MINT_LEN else "a token account"
    return (
        f"{address} is {what} of the {program} program, not a wallet that owns token accounts: the row must give the "
        "owner's address (read as an owner it would hold nothing, never counted as 0)"
    )


def _why(exc: BaseException) -> str:
    if isinstance(exc, (KeyError, TypeError, ValueError)):
        return f"malformed answer from the node ({type(exc).__name__}: {exc})"
    return str(exc) or type(exc).__name__

