"""Balances of Bitcoin-family addresses at a height, from a Bitcoin Core–style node.

Why ``scantxoutset``: it is the only Core RPC that answers "what does this script
hold" without a wallet or an address index, and one call matches thousands of
``raw(<scriptPubKey>)`` descriptors in a single pass over the UTXO set — so chunks
are as large as the node accepts (``batch_size``, halved on 413 or timeout), never
one scan per address (OKX's tool) or tiny fixed chunks.

It answers at the node's tip only. A request at an older height is refused with
one sentence unless the user opted into ``rewind`` on a node dedicated to it:
then the block after the snapshot height is ``invalidateblock``-ed, the scans
run, and ``reconsiderblock`` restores the chain in a ``finally`` that also
survives cancellation (asyncio turns Ctrl-C into a cancellation of the run).

A UTXO dump (``[networks.X.options] utxo_dump``) replaces the node scan entirely: see dump.py.

Options (``[networks.X.options]``; ``por fetch --rewind`` / ``--utxo-dump FILE`` set them for
the named network): ``rewind`` (bool), ``utxo_dump`` (path), ``utxo_dump_height``,
``scan_timeout`` (seconds), ``chunk`` (descriptors per scan; ``batch_size`` wins),
``request_chunk`` (requests per pipeline call).

Every value is ``state_at_height`` (a scan at the tip that *is* the snapshot block, or after
the rewind) or ``dump``, with the height the node reported for the scan as ``block_height``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from chains.utxo.estimate import scan_estimate
from chains.utxo.params import ChainParams, chain_params
from chains.utxo.scripts import decode_scripts
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FeedHints, FetchBlocked, FetchEstimate

DEFAULT_CHUNK = 50_000  # descriptors per scan; BitMEX hit "413" above 60,000 on bitcoind (halved on 413 here)
REQUEST_CHUNK = 250_000  # requests per fetch() call the pipeline should send (each call ends in a commit)
DEFAULT_SCAN_TIMEOUT = 3_600.0  # seconds: a mainnet scan walks the whole UTXO set (minutes)
BUSY_WAIT = 0.2  # seconds between polls while another client's scan occupies the node
BUSY_POLLS = 3_000

_SCAN_LOCKS: dict[tuple[int, str], asyncio.Lock] = {}


def to_base_units(amount: Any, decimals: int) -> int:
    """Exact base units of a coin-unit JSON number parsed as Decimal (a float is refused: it may be inexact)."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"amount {amount!r} is not an exact number (parse JSON with parse_float=Decimal)")
    scaled = Decimal(amount).scaleb(decimals)
    if scaled != scaled.to_integral_value() or scaled < 0:
        raise ValueError(f"amount {amount} is not a whole number of base units")
    return int(scaled)


def _scan_lock(key: str) -> asyncio.Lock:
    """One scan per node at a time in this process (the node refuses a second one anyway)."""
    loop_key = (id(asyncio.get_running_loop()), key)
    lock = _SCAN_LOCKS.get(loop_key)
    if lock is None:
        lock = _SCAN_LOCKS[loop_key] = asyncio.Lock()
    return lock


@dataclasses.dataclass
class ScanStats:
    scans: int = 0
    descriptors: int = 0
    halvings: int = 0
    rewinds: int = 0


class RestoreError(RuntimeError):
    """The rewound node could not be put back on its original tip: the message says what to run."""


class ScanFetcher:
    """``scantxoutset`` over C's JsonRpcClient: three clients differing only in timeout/retries."""

    def __init__(self, network: Network, settings: Any) -> None:
        from indexer.rpc import JsonRpcClient

        self.network = network
        self.settings = settings
        opts = settings.options or {}
        scan_timeout = float(opts.get("scan_timeout", DEFAULT_SCAN_TIMEOUT))
        self.client = JsonRpcClient(settings, parse_float=Decimal)
        # invalidate/reconsider may reconnect many blocks: long timeout, retries kept (both are idempotent)
        self.slow = JsonRpcClient(dataclasses.replace(settings, timeout=scan_timeout), parse_float=Decimal)
        # a scan is never resent blindly: after a timeout the node may still be scanning (see _scan_chunk)
        self.scanner = JsonRpcClient(dataclasses.replace(settings, timeout=scan_timeout, retries=0), parse_float=Decimal)
        self.chunk = int(settings.batch_size or opts.get("chunk", DEFAULT_CHUNK))
        self.source = self.client.source
        self.rewind = bool(opts.get("rewind", False))
        # every scan is a pass over the whole UTXO set, so the pipeline should hand over big
        # batches, one at a time (a rewind is also paid once per fetch call)
        self.feed = FeedHints(request_chunk=int(opts.get("request_chunk", REQUEST_CHUNK)), workers=1)
        self._latest: set[int] = set()  # heights tip() reported: "--at latest" reads, answered at the tip
        self.tip_seen: int | None = None  # the tip the preflight read (whether a snapshot block needs a rewind)
        self.stats = ScanStats()
        self._chain: str | None = None
        self._params: ChainParams | None = None

    # -- protocol ------------------------------------------------------------

    async def preflight(self, blocks: set[int | None]) -> FeedHints:
        info = await self.client.call("getblockchaininfo")
        self._set_chain(info["chain"])
        tip = self.tip_seen = int(info["blocks"])
        name = self.network.name
        for block in sorted(b for b in blocks if b is not None and b not in self._latest):
            if block > tip:
                raise FetchBlocked(f"The {name} node is at height {tip}, below the snapshot height {block}: let it sync first.")
            if block < tip and not self.rewind:
                raise FetchBlocked(
                    f"The {name} node's tip is at height {tip}, not at the snapshot height {block}, and scantxoutset "
                    f"answers only at the tip: set rewind = true for a node dedicated to this, or pass a UTXO dump "
                    f"written with `dumptxoutset <file> rollback={block}`."
                )
            if block < tip:
                self._check_rewindable(info, block)
        return self.feed

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """The requests of the scans and rewinds ahead (``chains.utxo.estimate``); the scans' time is a note."""
        return scan_estimate(self, requests)

    async def tip(self) -> int:
        """The tip height; requests at a height reported here are "latest" reads, scanned at whatever the
        tip is by then and recorded at the height the scan really used (the tip may have moved on)."""
        height = int(await self.client.call("getblockcount"))
        self._latest.add(height)
        return height

    async def close(self) -> None:
        for c in (self.client, self.slow, self.scanner):
            await c.close()

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        if self._params is None:
            self._set_chain((await self.client.call("getblockchaininfo"))["chain"])
        assert self._params is not None and self._chain is not None
        groups, results = decode_scripts(self.network, self._chain, self._params, requests, self.source)
        for block, scripts in groups.items():
            async with _scan_lock(self.settings.rpc[0]):
                answers, note = await self._balances_at(block, list(scripts))
            for script, answer in answers.items():
                for i in scripts[script]:
                    if isinstance(answer, str):
                        results[i] = BalanceResult(requests[i], None, None, answer, self.source, method="state_at_height")
                    else:
                        height, units = answer
                        results[i] = BalanceResult(requests[i], units, height, "", self.source, method="state_at_height", note=note)
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    # -- heights -------------------------------------------------------------

    def _set_chain(self, chain: str) -> None:
        params = chain_params(self.network.name, chain)
        if params is None:
            raise FetchBlocked(f"No address parameters are known for {self.network.name} on the node's chain {chain!r}.")
        self._chain, self._params = chain, params

    def _check_rewindable(self, info: dict[str, Any], block: int) -> None:
        name = self.network.name
        if len(self.settings.rpc) != 1:
            raise FetchBlocked(f"rewind on {name} needs exactly one rpc endpoint (the node dedicated to it), not {len(self.settings.rpc)}.")
        if info.get("pruned") and block + 1 < int(info.get("pruneheight") or 0):
            raise FetchBlocked(f"The {name} node is pruned up to height {info['pruneheight']}, so it cannot rewind to {block}.")

    async def _balances_at(self, block: int | None, scripts: list[bytes]) -> tuple[dict[bytes, tuple[int, int] | str], str]:
        """Per-script answers and how they were read (the result's note)."""
        if block is None or block in self._latest:  # --at latest: whatever the tip is, recorded per chunk
            return await self._scan_all(scripts, expect=None), "scantxoutset at the tip"
        info = await self.client.call("getblockchaininfo")
        tip, tip_hash = int(info["blocks"]), info["bestblockhash"]
        if block == tip:
            return await self._scan_all(scripts, expect=(block, tip_hash)), "scantxoutset at the tip (= the snapshot block)"
        if block > tip or not self.rewind:
            await self.preflight({block})  # raises the one-sentence FetchBlocked
        self._check_rewindable(info, block)
        return await self._rewound(block, tip, tip_hash, scripts), "scantxoutset on the node rewound to the snapshot block"

    async def _rewound(self, block: int, tip: int, tip_hash: str, scripts: list[bytes]) -> dict[bytes, tuple[int, int] | str]:
        target_hash = await self.client.call("getblockhash", [block])
        after = await self.client.call("getblockhash", [block + 1])
        self.stats.rewinds += 1
        try:
            # the node may act on the call even if we never see the answer: restore in any case
            await self.slow.call("invalidateblock", [after])
            best = await self.client.call("getbestblockhash")
            if best != target_hash:
                raise FetchBlocked(
                    f"After invalidating block {block + 1} the {self.network.name} node's tip is {best}, not block "
                    f"{block} ({target_hash}): another branch took over, so nothing was scanned."
                )
            return await self._scan_all(scripts, expect=(block, target_hash))
        finally:
            await _uninterruptible(self._restore(after, tip, tip_hash))

    async def _restore(self, after: str, tip: int, tip_hash: str) -> None:
        """Abort our scan if one still runs, reconsider the block, and prove the old tip is back."""
        name = self.network.name
        try:
            try:
                await self.client.call("scantxoutset", ["abort"])
            except Exception:  # nothing running, or an old node: the reconsider below is what matters
                pass
            await self.slow.call("reconsiderblock", [after])
            height = int(await self.client.call("getblockcount"))
            back = await self.client.call("getblockhash", [tip]) if height >= tip else None
        except Exception as exc:
            raise RestoreError(
                f"The {name} node could not be restored after the rewind ({exc}); run `reconsiderblock {after}` on it."
            ) from exc
        if back != tip_hash:
            raise RestoreError(
                f"The {name} node is not back on its tip {tip_hash} (height {tip}) after `reconsiderblock {after}`; check it by hand."
            )

    # -- scanning ------------------------------------------------------------

    async def _scan_all(self, scripts: list[bytes], expect: tuple[int, str] | None) -> dict[bytes, tuple[int, int] | str]:
        """Scan in chunks of ``self.chunk``, halving (and keeping the smaller size) on 413 or timeout."""
        from indexer.rpc import RequestTooLarge, RpcError, RpcTimeout

        out: dict[bytes, tuple[int, int] | str] = {}
        pos = 0
        while pos < len(scripts):
            chunk = scripts[pos : pos + max(1, self.chunk)]
            try:
                res = await self._scan_chunk(chunk)
            except (RequestTooLarge, RpcTimeout) as exc:
                if isinstance(exc, RpcTimeout):
                    await self._abort_and_wait()
                if len(chunk) == 1:
                    out[chunk[0]] = f"scantxoutset failed even for one descriptor: {exc}"
                    pos += 1
                    continue
                self.chunk = max(1, len(chunk) // 2)
                self.stats.halvings += 1
                continue
            except RpcError as exc:
                for s in chunk:
                    out[s] = f"scantxoutset failed: {exc}"
                pos += len(chunk)
                continue
            out.update(self._tally(chunk, res, expect))
            pos += len(chunk)
        return out

    async def _scan_chunk(self, chunk: list[bytes]) -> dict[str, Any]:
        from indexer.rpc import RequestTooLarge, RpcError, RpcTimeout

        descriptors = [f"raw({s.hex()})" for s in chunk]
        for _ in range(BUSY_POLLS):
            try:
                self.stats.scans += 1
                self.stats.descriptors += len(chunk)
                return await self.scanner.call("scantxoutset", ["start", descriptors])
            except (RequestTooLarge, RpcTimeout):
                raise  # the caller halves (after aborting our own scan on a timeout)
            except RpcError:
                # Core runs one scan at a time and answers "Scan already in progress" (as an HTTP 500
                # before Core 28) when another client's scan holds the node: wait for it, else re-raise
                if not await self._scan_running():
                    raise
                await asyncio.sleep(BUSY_WAIT)
        raise RpcError("the node stayed busy with another scantxoutset")

    async def _scan_running(self) -> bool:
        try:
            return (await self.client.call("scantxoutset", ["status"])) is not None
        except Exception:
            return False

    async def _abort_and_wait(self) -> None:
        """After a client-side timeout the node is still scanning: stop it before the next try."""
        try:
            await self.client.call("scantxoutset", ["abort"])
        except Exception:
            pass
        for _ in range(BUSY_POLLS):
            if not await self._scan_running():
                return
            await asyncio.sleep(BUSY_WAIT)

    def _tally(self, chunk: list[bytes], res: Any, expect: tuple[int, str] | None) -> dict[bytes, tuple[int, int] | str]:
        """Per-script exact sums of one scan's unspents; every script of the chunk gets an answer."""
        name = self.network.name
        if not isinstance(res, dict) or res.get("success") is not True:
            return {s: f"scantxoutset did not complete: {str(res)[:200]}" for s in chunk}
        height, best = int(res["height"]), res["bestblock"]
        if expect is not None and (height, best) != expect:
            return {
                s: f"the {name} node answered at height {height} ({best}), not at {expect[0]} ({expect[1]}): its tip moved during the scan"
                for s in chunk
            }
        wanted = set(chunk)
        sums = dict.fromkeys(chunk, 0)
        for u in res.get("unspents", ()):
            script = bytes.fromhex(u["scriptPubKey"])
            if script not in wanted:
                return {s: f"scantxoutset returned an output for a script not asked for ({u['scriptPubKey']})" for s in chunk}
            try:
                sums[script] += to_base_units(u["amount"], self.network.native_decimals)
            except (TypeError, ValueError) as exc:
                return {s: f"scantxoutset amount unusable: {exc}" for s in chunk}
        return {s: (height, units) for s, units in sums.items()}


async def _uninterruptible(coro: Any) -> None:
    """Run ``coro`` to the end even if this task is cancelled meanwhile (Ctrl-C), then re-raise the cancel."""
    task = asyncio.ensure_future(coro)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done() and task.cancelled():
                raise
            cancelled = True
    task.result()
    if cancelled:
        raise asyncio.CancelledError
