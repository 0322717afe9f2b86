"""FIL balances at the snapshot epoch, from Lotus' ``Filecoin.StateGetActor``.

**What "the balance at epoch H" means here: the state after epoch H's messages** (the same meaning as
"the state at block H" on the other chains: block H applied). Option ``[networks.FIL.options]
epoch_state = "before"`` reads the state before them instead. Evidence (filecoin-project/lotus at b835fab702eb):

* ``StateGetActor(addr, tsk)`` answers from the tipset's **parent state**: ``node/impl/full/state.go``
  calls ``StateManager.LoadActor``, which loads ``ParentState(ts)`` = ``ts.ParentState()``
  (``chain/stmgr/read.go``);
* a block's ``ParentStateRoot`` is the state *after executing its parent tipset's messages*: consensus
  checks it equals ``TipSetState(parent)`` (``chain/consensus/common.go``);
* ``ChainGetTipSetByHeight(H)`` and ``ChainGetTipSetAfterHeight(H)`` return the tipset at H, and for a null
  round H the one before it (``ByHeight``) or the one after it (``AfterHeight``): ``ChainStore.GetTipsetByHeight``
  with ``prev`` true/false (``chain/store/store.go``).

So the state **after** H's messages is the parent state of the first non-null tipset above H:
``ChainGetTipSetAfterHeight(H + 1)``, checked to be above H. The state **before** H's messages is the parent
state of the first non-null tipset at or above H: ``ChainGetTipSetAfterHeight(H)``, checked to be at or above
H. The usual ``StateGetActor`` at ``ChainGetTipSetByHeight(H)`` gives the "before" state when H has a tipset,
but when H is a null round it lands on the tipset *below* H and gives the state before *that* tipset's
messages: earlier than either meaning, which is why neither read uses it. OKX's "Snapshot Height" for FIL
rows is the epoch (Filecoin's only height).

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
from chains.common.estimate import heights, load
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import RpcError, TransportError

SYSTEM_ACTOR = "f00"  # exists in every state: the preflight's probe
EPOCH_STATES = ("after", "before")  # options.epoch_state: after H's messages (default) or before them


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
        self.epoch_state = str(settings.options.get("epoch_state", "after"))
        if self.epoch_state not in EPOCH_STATES:
            raise ValueError(f'[networks.FIL.options] epoch_state must be "after" (the state after the epoch\'s messages) or "before", not {self.epoch_state!r}')
        self.after = self.epoch_state == "after"
        self.note = "" if self.after else "state before the epoch's messages (options.epoch_state = before)"
        self._tipsets: dict[int, list[Any]] = {}  # epoch -> key of the tipset whose parent state is the chosen state
        self._lock = asyncio.Lock()

    async def tip(self) -> int:
        head = await self.client.call("Filecoin.ChainHead")
        return int(head["Height"])

    async def state_at(self, epoch: int) -> list[Any]:
        """The key (CIDs) of the first non-null tipset above ``epoch`` ("after"), or at or above it ("before")."""
        async with self._lock:
            if epoch not in self._tipsets:
                lowest = epoch + 1 if self.after else epoch
                ts = await self.client.call("Filecoin.ChainGetTipSetAfterHeight", [lowest, None])
                if int(ts["Height"]) < lowest:
                    raise ValueError(f"the node answered tipset {ts['Height']} for the first tipset at or above {lowest}")
                self._tipsets[epoch] = ts["Cids"]
            return self._tipsets[epoch]

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            tip = await self.tip()
            for epoch in sorted(b for b in blocks if b is not None):
                if epoch >= tip if self.after else epoch > tip:
                    raise FetchBlocked(f"{name}: the state {self.epoch_state} epoch {epoch:,}'s messages does not exist yet (node head {tip:,})")
                tsk = await self.state_at(epoch)
                await self.client.call("Filecoin.StateGetActor", [SYSTEM_ACTOR, tsk])
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except RpcError as exc:
            raise FetchBlocked(f"{name}: the node cannot serve the state at the snapshot epoch ({exc.message}); an archival Lotus node is needed") from None

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: the preflight (head; per epoch its tipset and a probe actor), one ``StateGetActor``
        per FIL read (and the head per read at the tip)."""
        reads = [r for r in requests if not r.contract]
        latest = sum(1 for r in reads if r.block is None)
        setup = 1 + 2 * len(heights(requests))
        return FetchEstimate("state_at_height", (load("rpc", self.client, setup + len(reads) + latest),))

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
                tsk, epoch, method = await self.state_at(req.block), req.block, "state_at_height"
            actor = await self.client.call("Filecoin.StateGetActor", [req.address, tsk])
        except RpcError as exc:
            if _not_found(exc) and not isinstance(exc, TransportError):
                when = "at the head" if req.block is None else f"{self.epoch_state} epoch {req.block}'s messages"
                return BalanceResult(req, 0, req.block, source=src, method="state_at_height" if req.block is not None else "latest", note=f"actor did not exist {when}")
            return BalanceResult(req, None, req.block, error=f"StateGetActor failed: {exc.message}", source=src)
        except (ValueError, KeyError, TypeError) as exc:
            return BalanceResult(req, None, req.block, error=f"tipset lookup failed: {exc}", source=src)
        try:
            return BalanceResult(req, atto_of(actor), epoch, source=src, method=method, note=self.note if req.block is not None else "")
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=str(exc), source=src)
