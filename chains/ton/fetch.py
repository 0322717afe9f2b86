"""TON and jetton balances at the snapshot masterchain block, through toncenter's v2 HTTP API.

Why this shape: toncenter v2 (backed by liteservers) answers ``getAddressBalance`` and
``runGetMethod`` for the state at a given masterchain ``seqno``; with archival liteservers that is
any past block (``state_at_height``, ``read_block`` = the seqno). OKX's "Snapshot Height" for TON rows
is the masterchain seqno (the height toncenter and explorers show for TON).

Jettons (USDT on TON): the owner's jetton wallet is asked from the jetton master with
``get_wallet_address(owner)`` *at the same seqno*, then its ``get_wallet_data`` gives the balance
(``stack[0]``). A jetton wallet that is not deployed at that block (exit code -13, uninitialised
account) holds nothing: 0, with a note. A block the liteservers no longer have
(``LITE_SERVER_UNKNOWN … not in db``) is refused up front in one sentence.
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
from indexer.plugins import FetchBlocked
from indexer.rpc import RpcError, TransportError

UNINITIALISED = (-13, -14)
_NOT_IN_ARCHIVE = re.compile(r"LITE_SERVER_UNKNOWN|not in db|not applied", re.I)  # exit codes of a get-method on an account without code


def make_fetcher(network: Network, settings: NetworkSettings) -> TonFetcher:
    return TonFetcher(network, settings)


def _result(answer: Any) -> Any:
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        error = answer.get("error") if isinstance(answer, dict) else answer
        raise RpcError(f"toncenter: {error}")
    return answer["result"]


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
                _result(await self.client.rest("GET", "/api/v2/getAddressBalance", params={"address": "-1:" + "5" * 64, "seqno": seqno}))
        except RpcError as exc:
            # toncenter answers a liteserver's "block is not in db" as HTTP 500: not transient, whatever the status says
            if isinstance(exc, TransportError) and not _NOT_IN_ARCHIVE.search(str(exc)):
                raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
            raise FetchBlocked(f"{name}: the API cannot read the state at the snapshot block ({exc.message}); archival liteservers are needed") from None

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _run(self, address: str, method: str, stack: list[Any], seqno: int) -> dict[str, Any]:
        body = {"address": address, "method": method, "stack": stack, "seqno": seqno}
        return _result(await self.client.rest("POST", "/api/v2/runGetMethod", body))

    async def _one(self, req: BalanceRequest) -> BalanceResult:
        src = self.client.source
        try:
            owner = codec.parse_address(req.address.strip())
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=f"not a TON address: {exc}", source=src)
        try:
            seqno, method = (req.block, "state_at_height") if req.block is not None else (await self.tip(), "latest")
            if not req.contract:
                value = _result(await self.client.rest("GET", "/api/v2/getAddressBalance", params={"address": codec.raw_form(owner), "seqno": seqno}))
                return BalanceResult(req, int(str(value)), seqno, source=src, method=method)
            slice_arg = base64.b64encode(codec.address_boc(owner)).decode()
            found = await self._run(req.contract, "get_wallet_address", [["tvm.Slice", slice_arg]], seqno)
            if found.get("exit_code") != 0:
                return BalanceResult(req, None, req.block, error=f"jetton master get_wallet_address exit code {found.get('exit_code')}", source=src)
            wallet = codec.address_from_boc(base64.b64decode(found["stack"][0][1]["bytes"]))
            data = await self._run(codec.raw_form(wallet), "get_wallet_data", [], seqno)
            if data.get("exit_code") in UNINITIALISED:
                return BalanceResult(req, 0, seqno, source=src, method=method, note="jetton wallet not deployed at that block")
            if data.get("exit_code") != 0:
                return BalanceResult(req, None, req.block, error=f"get_wallet_data exit code {data.get('exit_code')}", source=src)
            kind, value = data["stack"][0]
            if kind != "num":
                raise ValueError(f"get_wallet_data stack[0] is {kind}, not num")
            return BalanceResult(req, int(value, 16), seqno, source=src, method=method)
        except (RpcError, KeyError, TypeError, ValueError, IndexError) as exc:
            return BalanceResult(req, None, req.block, error=f"TON read failed: {exc}", source=src)
