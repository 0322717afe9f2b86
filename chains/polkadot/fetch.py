"""DOT (and Asset Hub assets) at the snapshot block, from Substrate storage at the block's hash.

Why this shape: a Substrate archive node answers ``state_queryStorageAt([keys], blockHash)`` for
any block it keeps, so hundreds of ``System.Account`` entries are read from the snapshot block in
one call (``state_at_height``). An absent entry is an account with nothing in it: 0. The balance
counted is ``free + reserved`` (everything the account owns; ``frozen`` is a lock on part of it).

The Asset Hub migration: on 2025-11-04 DOT balances moved from the relay chain to Asset Hub
(Nova Wallet's migration FAQ; Kusama did the same on 2025-10-07). After it, a relay-chain
``System.Account`` read returns an *empty* account with no error, so a relay read at such a block
would silently give zeros. The adapter reads the block's ``Timestamp.Now`` first and refuses relay
blocks from the migration on, in one sentence. Asset Hub is its own network (``ASSETHUB``, the
``ASSET-HUB`` coin keys) with its own block numbers and endpoint; its tokens (USDT 1984, USDC 1337)
are read from ``Assets.Account`` with the registry's asset id as the contract.

Options (``[networks.X.options]``): ``chain = "relay" | "asset_hub"`` (default by network name),
``asset_hub_migration_at`` (ms since the epoch), ``keys_per_query`` (default 500).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chains.common.fetcher import HttpFetcher
from chains.polkadot import codec
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import heights, load, pieces
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import RpcError, TransportError

MIGRATION_AT_MS = 1_762_214_400_000  # 2025-11-04T00:00:00Z: DOT balances move to Asset Hub
KUSAMA_MIGRATION_AT_MS = 1_759_795_200_000  # 2025-10-07T00:00:00Z: KSM balances move to Kusama Asset Hub
DEFAULT_KEYS_PER_QUERY = 500


def make_fetcher(network: Network, settings: NetworkSettings) -> PolkadotFetcher:
    return PolkadotFetcher(network, settings)


class PolkadotFetcher(HttpFetcher):
    """A BalanceFetcher for a Substrate chain (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        opts = settings.options
        default_chain = "asset_hub" if "HUB" in network.name.upper() else "relay"
        self.chain = str(opts.get("chain", default_chain))
        if self.chain not in ("relay", "asset_hub"):
            raise ValueError(f"[networks.{network.name}.options] chain must be relay or asset_hub")
        default_at = KUSAMA_MIGRATION_AT_MS if network.name.upper() == "KSM" else MIGRATION_AT_MS
        self.migration_at = int(opts.get("asset_hub_migration_at", default_at))
        self.keys_per_query = int(opts.get("keys_per_query", DEFAULT_KEYS_PER_QUERY))
        self._hashes: dict[int, str] = {}

    async def _finalized(self) -> tuple[int, str]:
        head = await self.client.call("chain_getFinalizedHead")
        header = await self.client.call("chain_getHeader", [head])
        return int(header["number"], 16), head

    async def tip(self) -> int:
        return (await self._finalized())[0]

    async def block_hash(self, number: int) -> str:
        if number not in self._hashes:
            found = await self.client.call("chain_getBlockHash", [number])
            if not found:
                raise ValueError(f"the node has no block {number:,}")
            self._hashes[number] = found
        return self._hashes[number]

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        for number in sorted(b for b in blocks if b is not None):
            try:
                block = await self.block_hash(number)
                moment = await self.client.call("state_getStorage", ["0x" + codec.TIMESTAMP_NOW.hex(), block])
            except TransportError as exc:
                raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
            except RpcError as exc:
                raise FetchBlocked(f"{name}: the node cannot serve the state of block {number:,} ({exc.message}); an archive node is needed") from None
            except ValueError as exc:
                raise FetchBlocked(f"{name}: {exc} (beyond its tip, or wrong chain)") from None
            if self.chain == "relay" and moment and codec.decode_moment(moment) >= self.migration_at:
                raise FetchBlocked(
                    f"{name}: block {number:,} is after the Asset Hub migration, when balances left the relay chain;"
                    " a relay read would give empty accounts: read these rows from Asset Hub at its own block height"
                )

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: the preflight (per block its hash and timestamp), then per block one
        ``state_queryStorageAt`` per ``keys_per_query`` distinct storage keys (the finalized head first at the tip)."""
        by_block: dict[int | None, set[tuple[str, str]]] = {}
        for r in requests:
            by_block.setdefault(r.block, set()).add((r.address, r.contract))
        n = 2 * len(heights(requests)) + sum(pieces(len(keys), self.keys_per_query) for keys in by_block.values())
        n += 2 if None in by_block else 0
        return FetchEstimate("state_at_height", (load("rpc", self.client, n),))

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        src = self.client.source
        out: list[BalanceResult | None] = [None] * len(requests)
        by_block: dict[int | None, list[tuple[int, str, bool]]] = {}
        for i, req in enumerate(requests):
            try:
                who = codec.account_id(req.address)
                if req.contract:
                    if self.chain != "asset_hub":
                        raise ValueError(f"asset {req.contract} lives on Asset Hub, not the relay chain")
                    key, is_asset = codec.assets_account_key(int(req.contract), who), True
                else:
                    key, is_asset = codec.system_account_key(who), False
            except ValueError as exc:
                out[i] = BalanceResult(req, None, req.block, error=f"{exc}", source=src)
                continue
            by_block.setdefault(req.block, []).append((i, key, is_asset))
        for number, items in by_block.items():
            try:
                if number is None:
                    read_at, block = await self._finalized()
                else:
                    read_at, block = number, await self.block_hash(number)
                values: dict[str, Any] = {}
                keys = sorted({k for _, k, _ in items})
                for start in range(0, len(keys), self.keys_per_query):
                    answer = await self.client.call("state_queryStorageAt", [keys[start : start + self.keys_per_query], block])
                    for change_set in answer:
                        for key, value in change_set["changes"]:
                            values[key] = value
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                for i, _, _ in items:
                    out[i] = BalanceResult(requests[i], None, number, error=f"storage read failed: {exc}", source=src)
                continue
            method = "state_at_height" if number is not None else "latest"
            for i, key, is_asset in items:
                req = requests[i]
                if key not in values:
                    out[i] = BalanceResult(req, None, number, error="the node's answer lacks this storage key", source=src)
                    continue
                value = values[key]
                try:
                    if value is None:
                        units = 0  # no entry: an account with nothing in it
                    elif is_asset:
                        units = codec.decode_asset_balance(value)
                    else:
                        free, reserved, _frozen, _flags = codec.decode_account_info(value)
                        units = free + reserved
                except ValueError as exc:
                    out[i] = BalanceResult(req, None, number, error=str(exc), source=src)
                    continue
                out[i] = BalanceResult(req, units, read_at, source=src, method=method)
        return [r for r in out if r is not None]
