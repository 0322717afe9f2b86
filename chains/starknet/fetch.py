"""Starknet balances at the snapshot block, by ``starknet_call`` of ``balanceOf`` with ``block_id``.

Why this shape: Starknet full nodes (pathfinder, juno) execute calls against the state of any
past block, so every balance is read at the snapshot block itself (``state_at_height``), many per
JSON-RPC batch. Native ETH is an ERC-20 on Starknet: a native request reads the ETH token
contract (``[networks.STARKNET.options] native_token`` overrides it). OKX's "Snapshot Height" for
Starknet rows is the Starknet block number.

Errors are per item: ``Contract not found`` (20), ``Contract error`` (40, a revert), and
``Block not found`` (24) are error rows with the node's message, never zeros. The preflight
refuses the network in one sentence when the endpoint is another chain or the block is beyond its tip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chains.common.fetcher import HttpFetcher
from chains.starknet import codec
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import load, pieces
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import RpcError, TransportError


def make_fetcher(network: Network, settings: NetworkSettings) -> StarknetFetcher:
    return StarknetFetcher(network, settings)


def _block_id(block: int | None) -> Any:
    return {"block_number": block} if block is not None else "latest"


class StarknetFetcher(HttpFetcher):
    """A BalanceFetcher for Starknet (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        opts = settings.options
        self.native_token = codec.account_felt(str(opts.get("native_token", codec.ETH_TOKEN)))
        self.chain_id = str(opts.get("chain_id", codec.MAINNET_CHAIN_ID))

    async def tip(self) -> int:
        return int(await self.client.call("starknet_blockNumber"))

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            chain = await self.client.call("starknet_chainId")
            if int(str(chain), 16) != int(self.chain_id, 16):
                raise FetchBlocked(f"{name}: the endpoint serves chain {chain}, not {self.chain_id} (set options.chain_id for a test network)")
            tip = await self.tip()
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except RpcError as exc:
            raise FetchBlocked(f"{name}: the node refused the preflight: {exc}") from None
        beyond = sorted(b for b in blocks if b is not None and b > tip)
        if beyond:
            raise FetchBlocked(f"{name}: block {beyond[0]:,} is beyond the node's tip {tip:,} (node still syncing, or wrong network)")

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: the preflight (chain id, tip), ``starknet_call``s in JSON-RPC batches of the
        client's ``batch_size`` (and the tip once for reads at the tip)."""
        latest = 1 if any(r.block is None for r in requests) else 0
        return FetchEstimate("state_at_height", (load("rpc", self.client, 2 + pieces(len(requests), self.client.batch_size) + latest),))

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        src = self.client.source
        out: list[BalanceResult | None] = [None] * len(requests)
        calls: list[tuple[str, list[Any]]] = []
        where: list[int] = []
        for i, req in enumerate(requests):
            try:
                account = codec.account_felt(req.address)
                token = codec.account_felt(req.contract) if req.contract else self.native_token
            except ValueError as exc:
                out[i] = BalanceResult(req, None, req.block, error=str(exc), source=src)
                continue
            call = {"contract_address": token, "entry_point_selector": codec.BALANCE_OF, "calldata": [account]}
            calls.append(("starknet_call", [call, _block_id(req.block)]))
            where.append(i)
        answers = await self.client.batch(calls) if calls else []
        tip: int | None = None
        if any(requests[i].block is None for i in where):
            tip = await self.tip()
        for i, answer in zip(where, answers):
            req = requests[i]
            block = req.block if req.block is not None else tip
            method = "state_at_height" if req.block is not None else "latest"
            if isinstance(answer, RpcError):
                detail = f" ({answer.data})" if answer.data else ""
                out[i] = BalanceResult(req, None, req.block, error=f"starknet_call failed: {answer.message}{detail}", source=src)
                continue
            try:
                out[i] = BalanceResult(req, codec.decode_u256(answer), block, source=src, method=method)
            except ValueError as exc:
                out[i] = BalanceResult(req, None, req.block, error=str(exc), source=src)
        return [r for r in out if r is not None]
