"""Aptos balances at the snapshot, through view functions evaluated at a ledger version.

Why these calls: since the fungible-asset migration, APT may sit in an account's ``CoinStore``
**and** in its paired primary fungible store (metadata ``0xa``); ``0x1::coin::balance<AptosCoin>``
sums both, while reading either alone under-counts (the best open peer reads 0 for migrated
accounts this way). USDT and USDC on Aptos are fungible assets only: their registry "contract" is
the FA metadata address, read with ``0x1::primary_fungible_store::balance``. A registry contract
that is a Move type (``0x…::module::Name``) is read with ``coin::balance<T>``.

Heights: OKX's "Snapshot Height" for Aptos rows is taken as a **block height** (the published APT
heights are far below the ledger version at the same dates: versions grow several times faster
than blocks); it is mapped to the block's ``last_version`` via ``/v1/blocks/by_height/{h}``, the
state after the whole block. ``[networks.APTOS.options] height_is = "version"`` reads the number as
a ledger version instead. ``read_block`` stores the ledger version read.

Errors: a pruned version (HTTP 410 ``version_pruned``/``block_pruned``) is refused up front,
naming the oldest block/version the node keeps; a view that aborts is an error row, except the
coin store's "not published" abort, which is the account holding no such coin at that version (0).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from chains.common.fetcher import HttpFetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import heights, load
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import HttpError, RpcError, TransportError

APT_COIN = "0x1::aptos_coin::AptosCoin"
_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{1,64}$")
_MOVE_TYPE = re.compile(r"^0x[0-9a-fA-F]{1,64}::[A-Za-z_][A-Za-z0-9_]*::[A-Za-z_][A-Za-z0-9_]*$")
_NOT_PUBLISHED = re.compile(r"ECOIN_STORE_NOT_PUBLISHED", re.I)


def make_fetcher(network: Network, settings: NetworkSettings) -> AptosFetcher:
    return AptosFetcher(network, settings)


def normalise_address(text: str) -> str:
    """An account address as 0x + 64 lowercase hex (AIP-40 long form); ValueError otherwise."""
    t = text.strip()
    if not _HEX_ADDRESS.match(t):
        raise ValueError(f"{text!r} is not an Aptos account address")
    return "0x" + t[2:].lower().rjust(64, "0")


def view_payload(owner: str, contract: str) -> dict[str, Any]:
    """The ``/v1/view`` body for one balance: native APT, a coin type, or an FA metadata address."""
    if not contract:
        return {"function": "0x1::coin::balance", "type_arguments": [APT_COIN], "arguments": [owner]}
    if _MOVE_TYPE.match(contract):
        return {"function": "0x1::coin::balance", "type_arguments": [contract], "arguments": [owner]}
    return {
        "function": "0x1::primary_fungible_store::balance",
        "type_arguments": ["0x1::fungible_asset::Metadata"],
        "arguments": [owner, normalise_address(contract)],
    }


def u64_of(answer: Any) -> int:
    """A view's ``["<u64>"]`` answer (Move u64/u128 come back as decimal strings)."""
    if isinstance(answer, list) and len(answer) == 1 and isinstance(answer[0], str) and answer[0].isdigit():
        return int(answer[0])
    raise ValueError(f"view answered {answer!r}, not [\"<integer>\"]")


class AptosFetcher(HttpFetcher):
    """A BalanceFetcher for Aptos (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        height_is = str(settings.options.get("height_is", "block"))
        if height_is not in ("block", "version"):
            raise ValueError("[networks.APTOS.options] height_is must be block or version")
        self.height_is = height_is
        self._versions: dict[int, int] = {}
        self._lock = asyncio.Lock()

    async def _index(self) -> dict[str, Any]:
        return await self.client.rest("GET", "/v1")

    async def tip(self) -> int:
        info = await self._index()
        return int(info["block_height"] if self.height_is == "block" else info["ledger_version"])

    async def version_of(self, height: int) -> int:
        """The ledger version holding the state after ``height`` (a block height, or a version)."""
        if self.height_is == "version":
            return height
        async with self._lock:
            if height not in self._versions:
                block = await self.client.rest("GET", f"/v1/blocks/by_height/{height}")
                self._versions[height] = int(block["last_version"])
            return self._versions[height]

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            info = await self._index()
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except RpcError as exc:
            raise FetchBlocked(f"{name}: the node's index failed: {exc}") from None
        key, oldest_key = ("block_height", "oldest_block_height") if self.height_is == "block" else ("ledger_version", "oldest_ledger_version")
        tip, oldest = int(info[key]), int(info[oldest_key])
        what = "block" if self.height_is == "block" else "version"
        for h in sorted(b for b in blocks if b is not None):
            if h > tip:
                raise FetchBlocked(f"{name}: {what} {h:,} is beyond the node's tip {tip:,}")
            if h < oldest:
                raise FetchBlocked(
                    f"{name}: {what} {h:,} has been pruned on this node (oldest {what} kept: {oldest:,}; oldest version {int(info['oldest_ledger_version']):,}); a node with full history is needed"
                )
            try:
                await self.version_of(h)
            except HttpError as exc:
                raise FetchBlocked(f"{name}: cannot map block {h:,} to a ledger version ({exc})") from None

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: the preflight (the node's index, each block's ledger version where heights are
        blocks), one ``/v1/view`` per read (and the index again per read at the tip)."""
        blocks = heights(requests)
        latest = sum(1 for r in requests if r.block is None)
        setup = 1 + (len(blocks) if self.height_is == "block" else 0)
        method = "state_at_height" if len(requests) > latest else "latest"
        return FetchEstimate(method, (load("rpc", self.client, setup + len(requests) + latest),))

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _one(self, req: BalanceRequest) -> BalanceResult:
        src = self.client.source
        try:
            body = view_payload(normalise_address(req.address), req.contract)
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=str(exc), source=src)
        version: int | None = None
        try:
            if req.block is None:
                version, method = int((await self._index())["ledger_version"]), "latest"
            else:
                version, method = await self.version_of(req.block), "state_at_height"
            answer = await self.client.rest("POST", "/v1/view", body, params={"ledger_version": version})
        except HttpError as exc:
            if version is not None and exc.status == 400 and _NOT_PUBLISHED.search(str(exc.body)):
                return BalanceResult(req, 0, version, source=src, method=method, note="no CoinStore for this coin at that version")
            return BalanceResult(req, None, req.block, error=f"view failed: {exc.message}", source=src)
        except (RpcError, KeyError, TypeError, ValueError) as exc:
            return BalanceResult(req, None, req.block, error=f"view failed: {exc}", source=src)
        try:
            return BalanceResult(req, u64_of(answer), version, source=src, method=method)
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=str(exc), source=src)
