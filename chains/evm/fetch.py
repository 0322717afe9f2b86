"""EVM balances at a block, in bulk: native coin and ERC-20 ``balanceOf``.

Why this shape: one ``eth_call`` per chunk of hundreds of holders, all read
from the same block, is both the fastest and the only block-consistent way to
read balances. Methods, best first, chosen automatically per block and reported:

1. ``override`` — our BalanceReader's runtime code placed at an unused address
   with an eth_call state override (no deployment; any past block; per-item status).
2. ``multicall3`` — ``aggregate3`` with ``allowFailure`` + ``getEthBalance``, only
   where Multicall3 has code at that block.
3. ``batch`` — JSON-RPC batches of ``eth_getBalance`` / ``eth_call``.
4. ``single`` — one request per balance (concurrent, still rate limited).

``[networks.X.options] method = "override" | "multicall3" | "batch" | "single"`` forces one;
``chunk_size`` sets items per multi-read call (default ``batch_size`` or 500; halved
automatically on gas / size errors); ``check_chain_id = false`` skips the chain-id check.

A failure is always an error result with a reason, never a zero. Every result is
``method="state_at_height"`` with the read path (``override``, ``multicall3``, ``batch``,
``single``) as its ``note``. Addresses and contracts arrive as written in the file and the
registry; hex is case-insensitive, so this adapter lowercases them and reads each distinct
(block, token, holder) once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from chains.evm import codec
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import load, pieces
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import JsonRpcClient, RequestTooLarge, RpcError, RpcTimeout, TransportError

METHODS = ("override", "multicall3", "batch", "single")  # read paths (the result's note), best first
STATE = "state_at_height"  # the fetch-contract method of every value read here
DEFAULT_CHUNK = 500

# Answers that mean "this call was too big: send fewer items" rather than "this item is bad".
_SHRINK = re.compile(r"gas|too large|too big|response size|limit|timeout|timed out|aborted|exceed", re.I)
# Answers that mean "the node does not have state at that block" (pruned / non-archive / unknown block).
_NO_STATE = re.compile(
    r"missing trie node|header not found|state.*not available|not available.*state|historical state|"
    r"pruned|state histor|unknown block|block not found|no state|required historical|not found.*block|out ?of ?range",
    re.I,
)


def make_fetcher(network: Network, settings: NetworkSettings) -> EvmFetcher:
    if not settings.rpc:
        raise ValueError(f"[networks.{network.name}] has no rpc endpoint")
    return EvmFetcher(network, settings)


class EvmFetcher:
    """A BalanceFetcher for one EVM network (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        self.network = network
        self.settings = settings
        self.client = JsonRpcClient(settings)
        opts = settings.options
        forced = str(opts.get("method", "auto"))
        if forced not in ("auto", *METHODS):
            raise ValueError(f"[networks.{network.name}.options] method must be auto or one of {', '.join(METHODS)}")
        self.forced = None if forced == "auto" else forced
        self.chunk = int(opts.get("chunk_size") or settings.batch_size or DEFAULT_CHUNK)
        self.check_chain_id = bool(opts.get("check_chain_id", True))
        self.used: Counter[str] = Counter()  # method -> items read with it
        self.fallback_notes: list[str] = []  # why a better method was not used
        self._override_ok: bool | None = None
        self._method_at: dict[int | None, str] = {}
        self._lock = asyncio.Lock()

    # -- protocol -------------------------------------------------------------

    @property
    def source(self) -> str:
        return self.client.source

    @property
    def read_paths(self) -> str:
        """What was used, for logs and tests, e.g. ``override ×1,000 (chunk 500)``."""
        if not self.used:
            return self.forced or "auto"
        parts = ", ".join(f"{m} ×{n:,}" for m, n in self.used.most_common())
        note = f"; {'; '.join(dict.fromkeys(self.fallback_notes))}" if self.fallback_notes else ""
        return f"{parts} (chunk {self.chunk}){note}"

    async def tip(self) -> int:
        return codec.decode_quantity(await self.client.call("eth_blockNumber"))

    async def close(self) -> None:
        await self.client.close()

    async def preflight(self, blocks: set[int | None]) -> None:
        """One sentence per network if it cannot serve these blocks: wrong chain, behind, no state."""
        name = self.network.name
        try:
            if self.check_chain_id and self.network.chain_id is not None:
                chain = codec.decode_quantity(await self.client.call("eth_chainId"))
                if chain != self.network.chain_id:
                    raise FetchBlocked(
                        f"{name}: the endpoint serves chain id {chain}, but {name} is chain {self.network.chain_id}"
                        f" (set options.check_chain_id = false for a local test node)"
                    )
            tip = await self.tip()
            beyond = sorted(b for b in blocks if b is not None and b > tip)
            if beyond:
                raise FetchBlocked(f"{name}: block {beyond[0]:,} is beyond the node's tip {tip:,} (node still syncing, or wrong network)")
            heights = sorted(b for b in blocks if b is not None)
            for block in heights:
                try:
                    await self.client.call("eth_getBalance", [codec.ZERO_ADDRESS, hex(block)])
                except TransportError:
                    raise
                except RpcError as exc:
                    if _NO_STATE.search(exc.message):
                        raise FetchBlocked(f"{name}: the node has no state at block {block:,} (not an archive node, or pruned): {exc.message}") from None
                    raise FetchBlocked(f"{name}: the node cannot read balances at block {block:,}: {exc.message}") from None
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """The requests ``fetch`` makes: per block, one multi-read call per ``chunk`` distinct (token, holder) (one
        per ``batch_size`` in JSON-RPC batches, one per read single), plus the preflight (chain id, tip, one
        ``eth_getBalance`` per block) and the read-path probe (the state-override call, once). ``probe`` asks the
        node which path each block takes (the same probe ``fetch`` makes); without it the best path is assumed."""
        by_block: dict[int | None, set[tuple[str, str]]] = {}
        for req in requests:
            try:
                key = (codec.normalize_address(req.contract) if req.contract else "", codec.normalize_address(req.address))
            except ValueError:
                continue
            by_block.setdefault(req.block, set()).add(key)
        methods = {b: (await self._method_for(b) if probe else self.forced or METHODS[0]) for b in by_block}
        reads = 0
        for block, items in by_block.items():
            method = methods[block]
            size = 1 if method == "single" else self.chunk if method in ("override", "multicall3") else max(1, self.client.batch_size)
            reads += pieces(len(items), size)
        setup = (1 if self.check_chain_id and self.network.chain_id is not None else 0) + 1 + len(by_block)
        setup += 0 if self.forced or not by_block else 1  # the state-override probe (more where it is refused)
        used = sorted(set(methods.values())) or [self.forced or METHODS[0]]
        note = "; ".join(dict.fromkeys(self.fallback_notes))
        return FetchEstimate(STATE, (load("rpc", self.client, setup + reads),), path=", ".join(used), note=note)

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        out: list[BalanceResult | None] = [None] * len(requests)
        by_block: dict[int | None, list[tuple[int, str, str]]] = {}
        first: dict[tuple[int | None, str, str], int] = {}  # one read per distinct lowercased (block, token, holder)
        copies: list[tuple[int, int]] = []
        for i, req in enumerate(requests):
            try:
                holder = codec.normalize_address(req.address)
                token = codec.normalize_address(req.contract) if req.contract else ""
            except ValueError as exc:
                out[i] = BalanceResult(req, None, req.block, error=str(exc), source=self.source, method=STATE)
                continue
            seen = first.setdefault((req.block, token, holder), i)
            if seen != i:
                copies.append((i, seen))
                continue
            by_block.setdefault(req.block, []).append((i, token, holder))
        jobs = []
        for block, items in by_block.items():
            method = await self._method_for(block)
            size = self.chunk if method in ("override", "multicall3") else max(1, self.client.batch_size)
            for start in range(0, len(items), size):
                jobs.append(self._read(method, block, items[start : start + size], requests, out))
        await asyncio.gather(*jobs)
        for i, seen in copies:
            if out[seen] is not None:
                out[i] = dataclasses.replace(out[seen], request=requests[i])
        return [r if r is not None else BalanceResult(requests[i], None, requests[i].block, error="internal: no result", source=self.source, method=STATE) for i, r in enumerate(out)]

    # -- method choice --------------------------------------------------------

    async def _method_for(self, block: int | None) -> str:
        async with self._lock:
            if block in self._method_at:
                return self._method_at[block]
            method = self.forced or await self._probe(block)
            self._method_at[block] = method
            return method

    async def _probe(self, block: int | None) -> str:
        tag = _tag(block)
        if self._override_ok is None:
            try:
                res = await self.client.call("eth_call", self._reader_params([("", codec.ZERO_ADDRESS)], tag))
                codec.decode_reader_output(res, 1)
                self._override_ok = True
            except (RpcError, codec.CodecError) as exc:
                self._override_ok = False
                self.fallback_notes.append(f"state override unavailable: {_short(exc)}")
        if self._override_ok:
            return "override"
        try:
            code = await self.client.call("eth_getCode", [codec.MULTICALL3_ADDRESS, tag])
            if code not in ("0x", "0x0", None):
                res = await self.client.call("eth_call", [{"to": codec.MULTICALL3_ADDRESS, "data": _mc3_native_probe()}, tag])
                codec.decode_aggregate3(res, 1)
                return "multicall3"
            self.fallback_notes.append(f"no Multicall3 at block {block}")
        except (RpcError, codec.CodecError) as exc:
            self.fallback_notes.append(f"Multicall3 unusable: {_short(exc)}")
        try:
            answers = await self.client._send_batch([("eth_blockNumber", []), ("eth_chainId", [])])
            if not any(isinstance(a, RpcError) for a in answers):
                return "batch"
            self.fallback_notes.append("JSON-RPC batches refused")
        except RpcError as exc:
            self.fallback_notes.append(f"JSON-RPC batches unusable: {_short(exc)}")
        return "single"

    def _reader_params(self, items: list[tuple[str, str]], tag: str) -> list[Any]:
        runtime = codec.reader_runtime()
        call = {"to": codec.READER_ADDRESS, "data": codec.encode_reader_input(items)}
        return [call, tag, {codec.READER_ADDRESS: {"code": runtime}}]

    # -- the four read paths --------------------------------------------------

    async def _read(self, method: str, block: int | None, items: list[tuple[int, str, str]], requests: Sequence[BalanceRequest], out: list[Any]) -> None:
        if method in ("override", "multicall3"):
            await self._read_multi(method, block, items, requests, out)
        elif method == "batch":
            await self._read_batch(block, items, requests, out)
        else:
            await self._read_single(block, items, requests, out)

    async def _read_multi(self, method: str, block: int | None, items: list[tuple[int, str, str]], requests: Sequence[BalanceRequest], out: list[Any]) -> None:
        tag = _tag(block)
        pairs = [(token, holder) for _, token, holder in items]
        try:
            if method == "override":
                res = await self.client.call("eth_call", self._reader_params(pairs, tag))
                decoded = codec.decode_reader_output(res, len(pairs))
            else:
                calls = [
                    (token, True, codec.balance_of_data(holder)) if token else (codec.MULTICALL3_ADDRESS, True, _get_eth_balance_data(holder))
                    for token, holder in pairs
                ]
                res = await self.client.call("eth_call", [{"to": codec.MULTICALL3_ADDRESS, "data": codec.encode_aggregate3(calls)}, tag])
                decoded = [_mc3_item(ok, data) for ok, data in codec.decode_aggregate3(res, len(pairs))]
        except (RpcError, codec.CodecError) as exc:
            shrink = isinstance(exc, (RequestTooLarge, RpcTimeout)) or (isinstance(exc, RpcError) and bool(_SHRINK.search(exc.message)))
            if shrink and len(items) > 1:
                half = len(items) // 2
                self.chunk = max(1, min(self.chunk, half))
                await asyncio.gather(
                    self._read_multi(method, block, items[:half], requests, out),
                    self._read_multi(method, block, items[half:], requests, out),
                )
                return
            reason = f"{'BalanceReader' if method == 'override' else 'Multicall3'} eth_call failed: {_short(exc)}"
            for i, _, _ in items:
                out[i] = BalanceResult(requests[i], None, block, error=reason, source=self.source, method=STATE, note=method)
            return
        source = self.source
        for (i, token, _), (value, status) in zip(items, decoded):
            if value is not None:
                out[i] = BalanceResult(requests[i], value, block, source=source, method=STATE, note=method)
            else:
                what = status if isinstance(status, str) else codec.READER_STATUS.get(status, f"BalanceReader status {status}")
                out[i] = BalanceResult(requests[i], None, block, error=f"{what} at block {block}", source=source, method=STATE, note=method)
        self.used[method] += len(items)

    async def _read_batch(self, block: int | None, items: list[tuple[int, str, str]], requests: Sequence[BalanceRequest], out: list[Any]) -> None:
        tag = _tag(block)
        calls = [_single_call(token, holder, tag) for _, token, holder in items]
        try:
            answers = await self.client.batch(calls)
        except RpcError as exc:
            answers = [exc] * len(items)
        self._store(items, answers, block, requests, out, "batch")
        self.used["batch"] += len(items)

    async def _read_single(self, block: int | None, items: list[tuple[int, str, str]], requests: Sequence[BalanceRequest], out: list[Any]) -> None:
        tag = _tag(block)

        async def one(token: str, holder: str) -> Any:
            try:
                return await self.client.call(*_single_call(token, holder, tag))
            except RpcError as exc:
                return exc

        answers = await asyncio.gather(*(one(token, holder) for _, token, holder in items))
        self._store(items, answers, block, requests, out, "single")
        self.used["single"] += len(items)

    def _store(self, items: list[tuple[int, str, str]], answers: Sequence[Any], block: int | None, requests: Sequence[BalanceRequest], out: list[Any], path: str) -> None:
        source = self.source
        for (i, token, _), answer in zip(items, answers):
            if isinstance(answer, RpcError):
                what = "balanceOf" if token else "eth_getBalance"
                out[i] = BalanceResult(requests[i], None, block, error=f"{what} failed at block {block}: {_short(answer)}", source=source, method=STATE, note=path)
                continue
            try:
                value = codec.decode_uint256(answer) if token else codec.decode_quantity(answer)
            except codec.CodecError as exc:
                out[i] = BalanceResult(requests[i], None, block, error=f"{exc} at block {block}", source=source, method=STATE, note=path)
                continue
            out[i] = BalanceResult(requests[i], value, block, source=source, method=STATE, note=path)


def _tag(block: int | None) -> str:
    return "latest" if block is None else hex(block)


def _single_call(token: str, holder: str, tag: str) -> tuple[str, list[Any]]:
    if token:
        return "eth_call", [{"to": token, "data": codec.balance_of_data(holder)}, tag]
    return "eth_getBalance", [holder, tag]


def _get_eth_balance_data(holder: str) -> str:
    return "0x" + codec.SEL_GET_ETH_BALANCE + "0" * 24 + holder[2:]


def _mc3_native_probe() -> str:
    return codec.encode_aggregate3([(codec.MULTICALL3_ADDRESS, True, _get_eth_balance_data(codec.ZERO_ADDRESS))])


def _mc3_item(ok: bool, data: str) -> tuple[int | None, int | str]:
    if not ok:
        return None, "balanceOf reverted (Multicall3 reported failure)"
    try:
        return codec.decode_uint256(data), 0
    except codec.CodecError as exc:
        return None, str(exc)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:297] + "..."
