"""TON and jetton balances at the snapshot masterchain block, through toncenter's v2 HTTP API (ton-http-api).

Why this shape: ton-http-api (backed by liteservers) answers ``getAddressInformation`` and ``runGetMethod``
for the state at a given masterchain ``seqno``; with archival liteservers that is any past block. OKX's
"Snapshot Height" for TON rows is the masterchain seqno (the height toncenter and explorers show for TON).

**The height is proven, never assumed.** ``seqno`` exists only from ton-http-api v2.0.53; an older deployment
ignores it (FastAPI drops parameters a handler does not declare) and answers with the *current* state, with
nothing in the answer saying so except the block it was read at. So native balances come from
``getAddressInformation`` (not ``getAddressBalance``, whose bare number names no block): its ``block_id`` is the
masterchain block tonlib proved the state against. Get-method answers carry the same ``block_id`` (ton-http-api
v2.0.42+). A value is ``state_at_height`` only when that block is the one asked; otherwise it is stored as
``latest`` (never counted as the snapshot's) with the reason: the block that was read, or that the answer names
none.

Jettons (USDT on TON): the owner's jetton wallet is asked from the jetton master with
``get_wallet_address(owner)`` *at the same seqno*, then its ``get_wallet_data`` gives the balance
(``stack[0]``). Exit codes are TVM's ``~vm.run()``: **-13** is a VM that cannot start because the account has
no code (the jetton wallet is not deployed at that block): it holds nothing, 0 with a note. **-14** is *out of
gas* (its stack holds the gas consumed, not a balance): an error row, like every other non-zero exit code. A
block the liteservers no longer have (``LITE_SERVER_UNKNOWN … not in db``) is refused up front in one sentence.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Sequence
from typing import Any

from chains.common.fetcher import HttpFetcher
from chains.ton import codec
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import heights, load
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import RpcError, TransportError

NOT_DEPLOYED = -13  # ~Excno::fatal: the account has no code, the VM cannot start
OUT_OF_GAS = -14  # ~Excno::out_of_gas: an error, whatever the stack holds
_NOT_IN_ARCHIVE = re.compile(r"LITE_SERVER_UNKNOWN|not in db|not applied", re.I)
PROBE = "-1:" + "5" * 64  # any account: the preflight asks only whether the block can be read


def make_fetcher(network: Network, settings: NetworkSettings) -> TonFetcher:
    return TonFetcher(network, settings)


def _result(answer: Any) -> Any:
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        error = answer.get("error") if isinstance(answer, dict) else answer
        raise RpcError(f"toncenter: {error}")
    return answer["result"]


def read_seqno(result: Any) -> int | None:
    """The masterchain seqno an answer says it was read at (``block_id`` of workchain -1), or None."""
    block = result.get("block_id") if isinstance(result, dict) else None
    if not isinstance(block, dict) or block.get("workchain") != -1 or not isinstance(block.get("seqno"), int):
        return None
    return block["seqno"]


def unproven(asked: int, got: int | None, what: str) -> str:
    """Why a value is not the snapshot's: the one sentence stored as the row's note."""
    if got is None:
        return f"toncenter's {what} answer names no masterchain block, so seqno {asked:,} cannot be proven (ton-http-api before v2.0.42?): current value, not the snapshot's"
    return f"toncenter answered {what} at masterchain block {got:,}, not {asked:,} (ton-http-api before v2.0.53 ignores seqno): current value, not the snapshot's"


class TonFetcher(HttpFetcher):
    """A BalanceFetcher for TON (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)

    async def tip(self) -> int:
        info = _result(await self.client.rest("GET", "/api/v2/getMasterchainInfo"))
        return int(info["last"]["seqno"])

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            tip = await self.tip()
            for seqno in sorted(b for b in blocks if b is not None):
                if seqno > tip:
                    raise FetchBlocked(f"{name}: masterchain block {seqno:,} is beyond the tip {tip:,}")
                _result(await self.client.rest("GET", "/api/v2/getAddressInformation", params={"address": PROBE, "seqno": seqno}))
        except RpcError as exc:
            # toncenter answers a liteserver's "block is not in db" as HTTP 500: not transient, whatever the status says
            if isinstance(exc, TransportError) and not _NOT_IN_ARCHIVE.search(str(exc)):
                raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
            raise FetchBlocked(f"{name}: the API cannot read the state at the snapshot block ({exc.message}); archival liteservers are needed") from None

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: the preflight (tip, one probe read per block), one ``getAddressInformation`` per
        TON read and two get-methods per jetton read (``get_wallet_address`` at the master, ``get_wallet_data``)."""
        jettons = sum(1 for r in requests if r.contract)
        setup = 1 + len(heights(requests))
        return FetchEstimate("state_at_height", (load("rpc", self.client, setup + (len(requests) - jettons) + 2 * jettons),))

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _run(self, address: str, method: str, stack: list[Any], seqno: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"address": address, "method": method, "stack": stack}
        if seqno is not None:
            body["seqno"] = seqno
        return _result(await self.client.rest("POST", "/api/v2/runGetMethod", body))

    def _judged(self, req: BalanceRequest, units: int, reads: list[tuple[str, Any]], note: str = "") -> BalanceResult:
        """The value with the method its answers prove: ``state_at_height`` only if every answer names the asked block."""
        src = self.client.source
        got = [(what, read_seqno(r)) for what, r in reads]
        last = got[-1][1]
        if req.block is None:
            return BalanceResult(req, units, last, source=src, method="latest", note=note)
        for what, seqno in got:
            if seqno != req.block:
                why = unproven(req.block, seqno, what)
                return BalanceResult(req, units, last, source=src, method="latest", note=f"{why}; {note}" if note else why)
        return BalanceResult(req, units, req.block, source=src, method="state_at_height", note=note)

    async def _one(self, req: BalanceRequest) -> BalanceResult:
        src = self.client.source
        try:
            owner = codec.parse_address(req.address.strip())
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=f"not a TON address: {exc}", source=src)
        seqno = req.block
        try:
            if not req.contract:
                params: dict[str, Any] = {"address": codec.raw_form(owner), "seqno": seqno}
                info = _result(await self.client.rest("GET", "/api/v2/getAddressInformation", params=params))
                return self._judged(req, int(str(info["balance"])), [("getAddressInformation", info)])
            slice_arg = base64.b64encode(codec.address_boc(owner)).decode()
            found = await self._run(req.contract, "get_wallet_address", [["tvm.Slice", slice_arg]], seqno)
            if found.get("exit_code") != 0:
                return BalanceResult(req, None, req.block, error=f"jetton master get_wallet_address exit code {found.get('exit_code')}", source=src)
            wallet = codec.address_from_boc(base64.b64decode(found["stack"][0][1]["bytes"]))
            data = await self._run(codec.raw_form(wallet), "get_wallet_data", [], seqno)
            reads = [("get_wallet_address", found), ("get_wallet_data", data)]
            code = data.get("exit_code")
            if code == NOT_DEPLOYED:
                return self._judged(req, 0, reads, note="jetton wallet not deployed at that block (get_wallet_data exit code -13)")
            if code == OUT_OF_GAS:
                return BalanceResult(req, None, req.block, error="get_wallet_data ran out of gas (exit code -14): no balance read", source=src)
            if code != 0:
                return BalanceResult(req, None, req.block, error=f"get_wallet_data exit code {code}", source=src)
            kind, value = data["stack"][0]
            if kind != "num":
                raise ValueError(f"get_wallet_data stack[0] is {kind}, not num")
            return self._judged(req, int(value, 16), reads)
        except (RpcError, KeyError, TypeError, ValueError, IndexError) as exc:
            return BalanceResult(req, None, req.block, error=f"TON read failed: {exc}", source=src)
