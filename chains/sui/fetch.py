"""SUI and Sui coin balances at the snapshot checkpoint, through Sui's GraphQL RPC.

Why GraphQL: Sui's JSON-RPC has no historical balance read and is being switched off on full nodes;
GraphQL's ``checkpoint(sequenceNumber: N) { query { … } }`` answers any query "as if this checkpoint
were the latest", within the service's retention. Each request reads up to ``max_batch`` addresses
through GraphQL aliases (``a0: address(address: …) { balance(coinType: …) { totalBalance } }``), all
from that one checkpoint (``state_at_height``, ``read_block`` = the checkpoint). OKX's "Snapshot
Height" for Sui rows is the checkpoint sequence number (Sui has no blocks).

A checkpoint outside the service's retention answers ``null``: those rows are read at the latest
checkpoint and stored as ``latest`` with that reason, never as the snapshot value. ``totalBalance``
is a BigInt string; an address that never held the coin has ``totalBalance: "0"``.
USDC on Sui is a coin type (the registry's contract); native SUI is ``0x2::sui::SUI``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from chains.common.fetcher import HttpFetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FetchBlocked
from indexer.rpc import RpcError, TransportError

SUI = "0x2::sui::SUI"
DEFAULT_PER_QUERY = 50
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{1,64}$")


def make_fetcher(network: Network, settings: NetworkSettings) -> SuiFetcher:
    return SuiFetcher(network, settings)


def normalise_address(text: str) -> str:
    t = text.strip()
    if not _ADDRESS.match(t):
        raise ValueError(f"{text!r} is not a Sui address")
    return "0x" + t[2:].lower().rjust(64, "0")


def balances_query(items: Sequence[tuple[str, str]], checkpoint: int | None) -> str:
    """One GraphQL document reading ``(address, coin type)`` pairs, at a checkpoint or at the latest."""
    fields = "\n".join(
        f"    a{i}: address(address: {json.dumps(addr)}) {{ balance(coinType: {json.dumps(coin)}) {{ totalBalance }} }}" for i, (addr, coin) in enumerate(items)
    )
    if checkpoint is None:
        return f"query {{\n  checkpoint {{ sequenceNumber }}\n{fields}\n}}"
    return f"query {{\n  checkpoint(sequenceNumber: {int(checkpoint)}) {{\n    sequenceNumber\n    query {{\n{fields}\n    }}\n  }}\n}}"


class SuiFetcher(HttpFetcher):
    """A BalanceFetcher for Sui (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        self.per_query = int(settings.options.get("addresses_per_query", DEFAULT_PER_QUERY))

    async def _graphql(self, query: str) -> dict[str, Any]:
        answer = await self.client.rest("POST", "/graphql", {"query": query})
        if answer.get("errors"):
            raise RpcError("; ".join(str(e.get("message")) for e in answer["errors"])[:300])
        return answer["data"]

    async def tip(self) -> int:
        return int((await self._graphql("query { checkpoint { sequenceNumber } }"))["checkpoint"]["sequenceNumber"])

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            tip = await self.tip()
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except (RpcError, KeyError, TypeError) as exc:
            raise FetchBlocked(f"{name}: the GraphQL service refused the preflight ({exc})") from None
        beyond = sorted(b for b in blocks if b is not None and b > tip)
        if beyond:
            raise FetchBlocked(f"{name}: checkpoint {beyond[0]:,} is beyond the service's latest checkpoint {tip:,}")

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        src = self.client.source
        out: list[BalanceResult | None] = [None] * len(requests)
        by_block: dict[int | None, list[tuple[int, str, str]]] = {}
        for i, req in enumerate(requests):
            try:
                by_block.setdefault(req.block, []).append((i, normalise_address(req.address), req.contract or SUI))
            except ValueError as exc:
                out[i] = BalanceResult(req, None, req.block, error=str(exc), source=src)
        for block, items in by_block.items():
            for start in range(0, len(items), self.per_query):
                part = items[start : start + self.per_query]
                for i, result in zip((p[0] for p in part), await self._read(part, block, src, requests)):
                    out[i] = result
        return [r for r in out if r is not None]

    async def _read(self, part: list[tuple[int, str, str]], block: int | None, src: str, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        pairs = [(addr, coin) for _, addr, coin in part]
        note = ""
        try:
            data = await self._graphql(balances_query(pairs, block))
            if block is None:
                scope, read_at, method = data, int(data["checkpoint"]["sequenceNumber"]), "latest"
            elif data.get("checkpoint") is None or data["checkpoint"].get("query") is None:
                note = f"checkpoint {block:,} is outside the GraphQL service's retention: latest balance, not the snapshot's"
                data = await self._graphql(balances_query(pairs, None))
                scope, read_at, method = data, int(data["checkpoint"]["sequenceNumber"]), "latest"
            else:
                scope, read_at, method = data["checkpoint"]["query"], int(data["checkpoint"]["sequenceNumber"]), "state_at_height"
        except (RpcError, KeyError, TypeError, ValueError) as exc:
            return [BalanceResult(requests[i], None, block, error=f"GraphQL read failed: {exc}", source=src) for i, _, _ in part]
        results = []
        for n, (i, _, _) in enumerate(part):
            req = requests[i]
            node = scope.get(f"a{n}")
            total = ((node or {}).get("balance") or {}).get("totalBalance")
            if isinstance(total, str) and total.isdigit():
                results.append(BalanceResult(req, int(total), read_at, source=src, method=method, note=note))
            elif node is not None and node.get("balance") is None:
                results.append(BalanceResult(req, 0, read_at, source=src, method=method, note=note or "no balance of this coin type"))
            else:
                results.append(BalanceResult(req, None, block, error=f"GraphQL answer has no balance for this address: {node!r}"[:300], source=src))
        return results
