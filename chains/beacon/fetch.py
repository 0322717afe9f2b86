"""Validator balances at the snapshot: the standard Beacon API at the slot of the snapshot block.

Why this shape: OKX's staking rows give an *execution-layer* block height, but a validator's ETH
lives in the beacon state. Each execution block after the Merge is the payload of exactly one
beacon block, whose slot is ``(timestamp - genesis_time) / SECONDS_PER_SLOT``. The adapter reads the
block's timestamp from an execution node, computes the slot, and **checks** it: the beacon block at
that slot must carry that execution block number. Then ``GET /eth/v1/beacon/states/{slot}/validators?id=<pubkey>,…``
reads many validators per request from that one state (``state_at_height``; ``read_block`` is the slot).

The execution node is ``[networks.BEACON.options] execution_rpc``: a URL, or the ``NetworkSettings`` of the
``[networks.ETH]`` endpoint passed in its place (so one ETH node serves both, with its failover, headers and
credentials: the runner passes it when ``execution_rpc`` is not set, as the plugin's capabilities ask); with
neither the fetcher cannot start and says so. A URL is another service with its own limit: ``execution_rps`` and
``execution_concurrency`` pace it (default the beacon node's); the ETH network's settings bring its own pace,
and the HTTP layer's per-URL pacer keeps the two networks' requests to one node within that node's limit together.

Rules a reserve figure depends on:

* Balances are Gwei strings; stored in wei (× 10⁹) so they sum with ETH at 18 decimals.
* **Pending deposits are counted.** From Electra on, a deposit (and the excess balance moved out when a
  validator switches to compounding) waits in the state's ``pending_deposits`` and is *not* in the
  validator's ``balance`` until the epoch processing applies it. For a key already in the registry it is
  applied unconditionally (``apply_pending_deposit``: ``increase_balance``, no signature check), so it is
  the validator's ETH: the value is ``balance`` plus the key's pending deposits, and the row's note says how
  much of it was pending. For a key *not* in the registry the deposit becomes a validator only if its BLS
  signature is valid (else it is dropped and the ETH is gone), which this read does not check: that row is
  an **error** naming the pending amount, never a zero and never a value that may not exist. A state before
  Electra has no pending deposits (the fork comes from the beacon block's ``version``); an Electra state whose
  ``pending_deposits`` cannot be read makes its rows errors, since its balances alone may be short.
* A public key absent from the state's validator registry with nothing pending is an **error** row
  ("not in the registry at slot …"), never a zero.
* ``id`` takes at most 64 keys per request (beacon-APIs ``maxItems``; 414 above it): ``ids_per_request`` is
  capped there.
* A node that cannot serve the state (not an archive node: 404 "State not found") is refused
  up front in one sentence.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Sequence


from chains.common.fetcher import HttpFetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import load, pieces
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import HttpError, JsonRpcClient, RpcError, TransportError

GWEI = 10**9
_PUBKEY = re.compile(r"^0x[0-9a-f]{96}$")
DEFAULT_IDS_PER_REQUEST = 30  # 30 keys keep the query string near 3 KB: under every server's URL limit
MAX_IDS_PER_REQUEST = 64  # beacon-APIs apis/beacon/states/validators.yaml: id maxItems 64, 414 above it
PRE_ELECTRA = frozenset({"phase0", "altair", "bellatrix", "capella", "deneb"})  # forks whose states have no pending_deposits


def make_fetcher(network: Network, settings: NetworkSettings) -> BeaconFetcher:
    return BeaconFetcher(network, settings)


def normalise_pubkey(text: str) -> str:
    """A validator key as the Beacon API prints it (0x + 96 lowercase hex); ValueError otherwise."""
    t = text.strip().lower()
    if not t.startswith("0x"):
        t = "0x" + t
    if not _PUBKEY.match(t):
        raise ValueError(f"{text!r} is not a 48-byte BLS validator public key")
    return t


def execution_settings(settings: NetworkSettings) -> NetworkSettings:
    """How to reach the execution node: ``options.execution_rpc`` as a URL, or as the ETH network's settings."""
    execution = settings.options.get("execution_rpc")
    if isinstance(execution, NetworkSettings):
        return execution
    if isinstance(execution, str) and execution:
        # another service with its own limit: its own pace and requests in flight (default the beacon node's)
        opts = settings.options
        rps = opts.get("execution_rps", settings.rps)
        concurrency = int(opts.get("execution_concurrency", settings.concurrency))
        return dataclasses.replace(
            settings, name=f"{settings.name}-execution", rpc=[execution], headers={}, auth=None,
            rps=float(rps) if rps else None, concurrency=max(1, concurrency), options={},
        )
    raise ValueError(
        "no execution node: configure [networks.ETH], or set [networks.BEACON.options] execution_rpc to the execution node"
        " that maps the snapshot block to its slot"
    )


def slot_of(timestamp: int, genesis_time: int, seconds_per_slot: int) -> int:
    """The slot whose start time is ``timestamp`` (every post-Merge execution block has one)."""
    offset = timestamp - genesis_time
    if offset < 0 or offset % seconds_per_slot:
        raise ValueError(f"timestamp {timestamp} is not a slot boundary after genesis {genesis_time} (pre-Merge block?)")
    return offset // seconds_per_slot


class BeaconFetcher(HttpFetcher):
    """A BalanceFetcher for validator balances (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        opts = settings.options
        self.execution = JsonRpcClient(execution_settings(settings))
        self.ids_per_request = int(opts.get("ids_per_request", DEFAULT_IDS_PER_REQUEST))
        if not 1 <= self.ids_per_request <= MAX_IDS_PER_REQUEST:
            raise ValueError(f"[networks.BEACON.options] ids_per_request must be 1 to {MAX_IDS_PER_REQUEST} (the Beacon API's limit), not {self.ids_per_request}")
        self.genesis_time: int | None = int(opts["genesis_time"]) if "genesis_time" in opts else None
        self.seconds_per_slot: int | None = int(opts["seconds_per_slot"]) if "seconds_per_slot" in opts else None
        self.slots: dict[int, int] = {}  # execution block -> verified slot
        self.forks: dict[int, str] = {}  # slot -> the fork of its beacon block (``version``)
        self._pending: dict[int, dict[str, tuple[int, int]]] = {}  # slot -> pubkey -> (deposits, Gwei) in its state
        self._pending_lock = asyncio.Lock()  # the list is the whole queue: read once per slot, not once per worker

    async def close(self) -> None:
        await super().close()
        await self.execution.close()

    async def _chain_params(self) -> tuple[int, int]:
        if self.genesis_time is None:
            genesis = await self.client.rest("GET", "/eth/v1/beacon/genesis")
            self.genesis_time = int(genesis["data"]["genesis_time"])
        if self.seconds_per_slot is None:
            spec = await self.client.rest("GET", "/eth/v1/config/spec")
            self.seconds_per_slot = int(spec["data"].get("SECONDS_PER_SLOT", 12))
        return self.genesis_time, self.seconds_per_slot

    async def slot_for_block(self, block: int) -> int:
        """The slot of execution block ``block``, checked against the beacon block at that slot."""
        if block in self.slots:
            return self.slots[block]
        genesis, per_slot = await self._chain_params()
        header = await self.execution.call("eth_getBlockByNumber", [hex(block), False])
        if not header:
            raise ValueError(f"the execution node has no block {block:,}")
        slot = slot_of(int(header["timestamp"], 16), genesis, per_slot)
        beacon = await self.client.rest("GET", f"/eth/v2/beacon/blocks/{slot}")
        payload = beacon["data"]["message"]["body"].get("execution_payload") or {}
        if int(payload.get("block_number", -1)) != block:
            raise ValueError(f"the beacon block at slot {slot:,} carries execution block {payload.get('block_number')}, not {block:,}")
        self.forks[slot] = str(beacon["version"])
        self.slots[block] = slot
        return slot

    async def pending_deposits(self, slot: int) -> dict[str, tuple[int, int]]:
        """Per public key, the deposits waiting in the state at ``slot`` and their Gwei (none before Electra)."""
        async with self._pending_lock:
            if slot not in self._pending:
                self._pending[slot] = await self._read_pending(slot)
            return self._pending[slot]

    async def _read_pending(self, slot: int) -> dict[str, tuple[int, int]]:
        fork = self.forks.get(slot)
        if fork is None:
            raise ValueError(f"the fork of slot {slot:,} is unknown")
        found: dict[str, tuple[int, int]] = {}
        if fork not in PRE_ELECTRA:
            answer = await self.client.rest("GET", f"/eth/v1/beacon/states/{slot}/pending_deposits")
            for item in answer["data"]:
                key = str(item["pubkey"]).lower()
                count, gwei = found.get(key, (0, 0))
                found[key] = (count + 1, gwei + int(item["amount"]))
        return found

    async def tip(self) -> int:
        head = await self.client.rest("GET", "/eth/v2/beacon/blocks/head")
        return int(head["data"]["message"]["body"]["execution_payload"]["block_number"])

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        for block in sorted(b for b in blocks if b is not None):
            try:
                slot = await self.slot_for_block(block)
                await self.client.rest("GET", f"/eth/v1/beacon/states/{slot}/finality_checkpoints")
            except HttpError as exc:
                raise FetchBlocked(f"{name}: the beacon node cannot serve the state of block {block:,} ({exc}); an archive beacon node is needed") from None
            except TransportError as exc:
                raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                raise FetchBlocked(f"{name}: cannot map block {block:,} to its beacon slot: {exc}") from None

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: on the beacon node the chain parameters (genesis, spec: unless set in options), per
        block the beacon block at its slot, the finality checkpoints (preflight), the pending deposits (post-Electra
        states; assumed) and one validators query per ``ids_per_request`` keys; on the execution node one block
        header per block (the head's block at the tip instead)."""
        by_block: dict[int | None, set[str]] = {}
        for r in requests:
            if r.contract:
                continue
            try:
                by_block.setdefault(r.block, set()).add(normalise_pubkey(r.address))
            except ValueError:
                continue
        blocks = [b for b in by_block if b is not None]
        beacon = (self.genesis_time is None) + (self.seconds_per_slot is None) if blocks else 0
        beacon += 3 * len(blocks) + (2 if None in by_block else 0)
        beacon += sum(pieces(len(keys), self.ids_per_request) for keys in by_block.values())
        services = (load("beacon", self.client, beacon), load("execution", self.execution, len(blocks)))
        return FetchEstimate("state_at_height", services, note="pending deposits counted as one request per block (none before Electra)")

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        src = self.client.source
        out: list[BalanceResult | None] = [None] * len(requests)
        by_block: dict[int | None, dict[str, list[int]]] = {}
        for i, req in enumerate(requests):
            if req.contract:
                out[i] = BalanceResult(req, None, req.block, error="the beacon chain holds no tokens", source=src)
                continue
            try:
                key = normalise_pubkey(req.address)
            except ValueError as exc:
                out[i] = BalanceResult(req, None, req.block, error=str(exc), source=src)
                continue
            by_block.setdefault(req.block, {}).setdefault(key, []).append(i)
        for block, keys in by_block.items():
            try:
                slot = await self._head_slot() if block is None else await self.slot_for_block(block)
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                for idx in keys.values():
                    for i in idx:
                        out[i] = BalanceResult(requests[i], None, block, error=f"cannot map block {block} to its slot: {exc}", source=src)
                continue
            try:
                pending = await self.pending_deposits(slot)
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                for idx in keys.values():
                    for i in idx:
                        why = f"cannot read the pending deposits of the state at slot {slot:,} (its balances alone may miss them): {exc}"
                        out[i] = BalanceResult(requests[i], None, block, error=why, source=src)
                continue
            found: dict[str, int] = {}
            failed: dict[str, str] = {}
            names = list(keys)
            for start in range(0, len(names), self.ids_per_request):
                part = names[start : start + self.ids_per_request]
                try:
                    answer = await self.client.rest("GET", f"/eth/v1/beacon/states/{slot}/validators", params={"id": ",".join(part)})
                    for item in answer["data"]:
                        found[item["validator"]["pubkey"].lower()] = int(item["balance"]) * GWEI
                except (RpcError, KeyError, TypeError, ValueError) as exc:
                    for k in part:
                        failed[k] = f"validators query failed: {exc}"
            method = "state_at_height" if block is not None else "latest"
            for key, idx in keys.items():
                count, gwei = pending.get(key, (0, 0))
                for i in idx:
                    req = requests[i]
                    if key in found:
                        note = f"includes {count} pending deposit(s) of {gwei:,} Gwei not yet in the validator's balance (state pending_deposits at slot {slot:,})" if count else ""
                        out[i] = BalanceResult(req, found[key] + gwei * GWEI, slot, source=src, method=method, note=note)
                    elif key in failed:
                        out[i] = BalanceResult(req, None, block, error=failed[key], source=src)
                    elif count:
                        why = (
                            f"validator not in the registry at slot {slot:,}; {count} pending deposit(s) of {gwei:,} Gwei wait in the state's pending_deposits"
                            " and become a validator only if the deposit signature is valid: not counted"
                        )
                        out[i] = BalanceResult(req, None, block, error=why, source=src)
                    else:
                        out[i] = BalanceResult(req, None, block, error=f"validator not in the registry at slot {slot:,} and no deposit pending for it (not a validator key?)", source=src)
        return [r for r in out if r is not None]

    async def _head_slot(self) -> int:
        head = await self.client.rest("GET", "/eth/v2/beacon/blocks/head")
        slot = int(head["data"]["message"]["slot"])
        self.forks[slot] = str(head["version"])
        return slot
