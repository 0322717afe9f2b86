"""FIL balances after the snapshot epoch, from Lotus' ``Filecoin.StateGetActor``.

Why "the first tipset after": ``StateGetActor(addr, tsk)`` answers from the tipset's **parent
state**, i.e. the state before that tipset's messages run. The state *after* epoch H is therefore
the parent state of the first non-null tipset above H, which ``ChainGetTipSetAfterHeight(H + 1)``
returns (``ChainGetTipSetByHeight`` would look *back* across a null round and land on H itself,
one epoch too early). The adapter checks the tipset it got is above H. OKX's "Snapshot Height" for
FIL rows is the epoch (Filecoin's only height).

An actor that is not found in a state Lotus could load did not exist then: a real zero, with a
note. A gateway that refuses the lookback (``lookbacks of more than 24h0m0s are disallowed``) or
a node that lacks the state is refused up front in one sentence (an archival Lotus is needed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from chains.common.fetcher import HttpFetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FetchBlocked
from indexer.rpc import RpcError, TransportError

SYSTEM_ACTOR = "f00"  # exists in every state: the preflight's probe


def make_fetcher(network: Network, settings: NetworkSettings) -> FilecoinFetcher:
    return FilecoinFetcher(network, settings)


def atto_of(actor: Any) -> int:
    """``Balance`` of an actor: attoFIL as a decimal string."""
    value = actor.get("Balance") if isinstance(actor, dict) else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError(f"actor Balance is not an attoFIL string: {value!r}")


def _not_found(exc: RpcError) -> bool:
    return "actor not found" in exc.message.lower()


class FilecoinFetcher(HttpFetcher):
    """A BalanceFetcher for Filecoin (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        self._tipsets: dict[int, list[Any]] = {}  # epoch -> key of the tipset whose parent state is "after epoch"
        self._lock = asyncio.Lock()

    async def tip(self) -> int:
        head = await self.client.call("Filecoin.ChainHead")
        return int(head["Height"])

    async def state_after(self, epoch: int) -> list[Any]:
        """The key (CIDs) of the first non-null tipset above ``epoch``."""
        async with self._lock:
            if epoch not in self._tipsets:
                ts = await self.client.call("Filecoin.ChainGetTipSetAfterHeight", [epoch + 1, None])
                if int(ts["Height"]) <= epoch:
                    raise ValueError(f"the node answered tipset {ts['Height']} for 'after epoch {epoch}'")
                self._tipsets[epoch] = ts["Cids"]
            return self._tipsets[epoch]

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            tip = await self.tip()
            for epoch in sorted(b for b in blocks if b is not None):
                if epoch >= tip:
                    raise FetchBlocked(f"{name}: the state after epoch {epoch:,} does not exist yet (node head {tip:,})")
                tsk = await self.state_after(epoch)
                await self.client.call("Filecoin.StateGetActor", [SYSTEM_ACTOR, tsk])
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except RpcError as exc:
            raise FetchBlocked(f"{name}: the node cannot serve the state after the snapshot epoch ({exc.message}); an archival Lotus node is needed") from None

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _one(self, req: BalanceRequest) -> BalanceResult:
        src = self.client.source
        if req.contract:
            return BalanceResult(req, None, req.block, error="FIL tokens are not read by this adapter", source=src)
        try:
            if req.block is None:
                head = await self.client.call("Filecoin.ChainHead")
                tsk, epoch, method = head["Cids"], int(head["Height"]), "latest"
            else:
                tsk, epoch, method = await self.state_after(req.block), req.block, "state_at_height"
            actor = await self.client.call("Filecoin.StateGetActor", [req.address, tsk])
        except RpcError as exc:
            if _not_found(exc) and not isinstance(exc, TransportError):
                return BalanceResult(req, 0, req.block, source=src, method="state_at_height" if req.block is not None else "latest", note=f"actor did not exist after epoch {req.block}")
            return BalanceResult(req, None, req.block, error=f"StateGetActor failed: {exc.message}", source=src)
        except (ValueError, KeyError, TypeError) as exc:
            return BalanceResult(req, None, req.block, error=f"tipset lookup failed: {exc}", source=src)
        try:
            return BalanceResult(req, atto_of(actor), epoch, source=src, method=method)
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=str(exc), source=src)
