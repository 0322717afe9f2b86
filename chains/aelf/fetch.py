"""ELF (and other MultiToken symbols) on aelf, read with ``MultiToken.GetBalance``: current state only.

Why ``latest``: an aelf node executes read-only calls against its best chain state; it has no
parameter for a past height, and no public transfer-history API with a documented shape was found
to replay from. So every value is stored as ``latest`` with ``read_block`` = the best chain height at
the read and a note, and the views never count it as the snapshot's (it shows beside it).

**Every address is read on its own chain.** aelf is a main chain (``AELF``) and side chains (``tDVV``, …);
the same 32 bytes are a different account on each, and a node answers ``GetBalance`` for any owner, so
a side-chain address asked on the main chain's node gives a real-looking 0. The chain is the address's
suffix (``ELF_<base58>_tDVV``); the node says which chain it serves (``chainStatus.ChainId``). An address
of the configured node's chain (or naming none) is read there; one of another chain is read on that
chain's node from ``[networks.ELF.options] chains = { tDVV = "https://…" }`` (whose ``ChainId`` is
checked); with no such node it is an **error** row saying which chain it needs, never a 0.

The call is a protobuf ``Transaction`` (to the Token contract, method ``GetBalance``, params
``GetBalanceInput``) signed with a throwaway key (aelf checks a signature even on read-only calls),
posted hex-encoded to ``/api/blockChain/executeTransaction``; the answer is the hex of
``GetBalanceOutput``, which must echo the symbol and owner asked for.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from coincurve import PrivateKey

from chains.common.fetcher import HttpFetcher
from chains.aelf import codec
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import load
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import JsonRpcClient, RpcError, TransportError

TOKEN_CONTRACT_NAME = "AElf.ContractNames.Token"
NATIVE_SYMBOL = "ELF"


def make_fetcher(network: Network, settings: NetworkSettings) -> AelfFetcher:
    return AelfFetcher(network, settings)


@dataclass
class Chain:
    """One aelf chain's node: its client, the ChainId it must report (None: whatever the main node serves), its Token contract."""

    client: JsonRpcClient
    expected: str | None = None
    token: bytes | None = None


class AelfFetcher(HttpFetcher):
    """A BalanceFetcher for aelf (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        self.retries = settings.retries
        self.key = PrivateKey()  # signs read-only calls only; never holds anything
        self.sender = codec.address_of_pubkey(self.key.public_key.format(compressed=False))
        configured = settings.options.get("token_contract")
        self.main = Chain(self.client, None, codec.address_bytes(str(configured)) if configured else None)
        chains = settings.options.get("chains") or {}
        if not isinstance(chains, Mapping):
            raise ValueError('[networks.ELF.options] chains must be a table of chain id to node URL, e.g. { tDVV = "https://…" }')
        self.others: dict[str, Chain] = {}
        for chain_id, url in chains.items():
            if not codec.is_chain_id(str(chain_id)) or not isinstance(url, str) or not url:
                raise ValueError(f"[networks.ELF.options] chains: {chain_id!r} = {url!r} is not a 4-character aelf chain id and a node URL")
            self.others[str(chain_id)] = Chain(JsonRpcClient(dataclasses.replace(settings, rpc=[url], headers={}, auth=None)), str(chain_id))

    async def close(self) -> None:
        await super().close()
        for chain in self.others.values():
            await chain.client.close()

    async def _status(self, chain: Chain | None = None) -> dict:
        chain = chain or self.main
        status = await chain.client.rest("GET", "/api/blockChain/chainStatus")
        if chain.expected is not None and status.get("ChainId") != chain.expected:
            raise ValueError(f"the node configured for chain {chain.expected} serves chain {status.get('ChainId')}")
        return status

    async def tip(self) -> int:
        return int((await self._status())["BestChainHeight"])

    async def _token_contract(self, chain: Chain | None = None) -> bytes:
        chain = chain or self.main
        if chain.token is None:
            name_hash = hashlib.sha256(TOKEN_CONTRACT_NAME.encode()).hexdigest()
            found = await chain.client.rest("GET", "/api/blockChain/contractAddressByName", params={"contractNameHash": name_hash}, text=True)
            chain.token = codec.address_bytes(found.strip().strip('"'))
        return chain.token

    async def preflight(self, blocks: set[int | None]) -> None:
        try:
            await self._status()
            await self._token_contract()
        except TransportError as exc:
            raise FetchBlocked(f"{self.network.name}: no endpoint answered ({exc})") from None
        except (RpcError, ValueError, KeyError) as exc:
            raise FetchBlocked(f"{self.network.name}: cannot find the Token contract ({exc})") from None

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: the preflight (chain status, the Token contract's address), the main chain's status
        per ``fetch`` call (one here: the runner's calls are counted by the core's chunking, not known here), one
        ``GetBalance`` per read; a side chain's node adds its status and Token contract."""
        sides: set[str] = set()
        for r in requests:
            try:
                _, chain_id = codec.parse_address(r.address)
            except ValueError:
                continue
            if chain_id and chain_id in self.others:
                sides.add(chain_id)
        services = [load("rpc", self.client, 2 + 1 + len(requests))]
        if sides:
            services.append(load("side chains", None, 2 * len(sides)))
        return FetchEstimate("latest", tuple(services), note="aelf serves current state only: values are latest, not the snapshot's")

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        src = self.client.source
        out: list[BalanceResult | None] = [None] * len(requests)
        try:
            main_status = await self._status()
            main_id = str(main_status["ChainId"])
        except (RpcError, ValueError, KeyError, TypeError) as exc:
            return [BalanceResult(r, None, r.block, error=f"chain status failed: {exc}", source=src) for r in requests]
        groups: dict[str, list[tuple[int, bytes]]] = {}
        for i, req in enumerate(requests):
            try:
                owner, chain_id = codec.parse_address(req.address)
            except ValueError as exc:
                out[i] = BalanceResult(req, None, req.block, error=str(exc), source=src)
                continue
            chain_id = chain_id or main_id
            if chain_id != main_id and chain_id not in self.others:
                why = (
                    f"the address is on aelf chain {chain_id} but the node serves chain {main_id}, where it would read as a real-looking 0:"
                    f' set [networks.ELF.options] chains = {{ {chain_id} = "<its node URL>" }}'
                )
                out[i] = BalanceResult(req, None, req.block, error=why, source=src)
                continue
            groups.setdefault(chain_id, []).append((i, owner))
        for chain_id, items in groups.items():
            chain = self.main if chain_id == main_id else self.others[chain_id]
            status = main_status if chain is self.main else None
            for i, result in zip([i for i, _ in items], await self._read(chain, [(requests[i], owner) for i, owner in items], status)):
                out[i] = result
        return [r for r in out if r is not None]

    async def _read(self, chain: Chain, items: list[tuple[BalanceRequest, bytes]], status: dict | None = None) -> list[BalanceResult]:
        """Every item on one chain's node, at that node's best height (``status``: its chainStatus, if already read)."""
        try:
            status = status or await self._status(chain)
            height, ref_hash = int(status["BestChainHeight"]), bytes.fromhex(status["BestChainHash"])
            token = await self._token_contract(chain)
        except (RpcError, ValueError, KeyError, TypeError) as exc:
            return [BalanceResult(r, None, r.block, error=f"chain status failed: {exc}", source=chain.client.source) for r, _ in items]
        return list(await asyncio.gather(*(self._one(chain.client, r, owner, token, height, ref_hash[:4]) for r, owner in items)))

    async def _one(self, client: JsonRpcClient, req: BalanceRequest, owner: bytes, token: bytes, height: int, prefix: bytes) -> BalanceResult:
        src = client.source
        symbol = req.contract or NATIVE_SYMBOL
        unsigned = codec.transaction(self.sender, token, height, prefix, "GetBalance", codec.get_balance_input(symbol, owner))
        signed = codec.transaction(self.sender, token, height, prefix, "GetBalance", codec.get_balance_input(symbol, owner), self.key.sign_recoverable(unsigned))
        for attempt in range(self.retries + 1):
            try:
                answer = await client.rest("POST", "/api/blockChain/executeTransaction", {"RawTransaction": signed.hex()}, text=True)
            except RpcError as exc:
                return BalanceResult(req, None, req.block, error=f"GetBalance failed: {exc}", source=src)
            try:
                # a bare-hex answer has no JSON framing to catch a cut body: a strict parse that must echo the
                # symbol and owner does, and a damaged answer is asked again
                units = codec.decode_get_balance_output(bytes.fromhex(answer.strip().strip('"')), symbol, owner)
                break
            except ValueError as exc:
                if attempt == self.retries:
                    return BalanceResult(req, None, req.block, error=f"GetBalance failed: {exc}", source=src)
        note = "" if req.block is None else "aelf serves current state only (no history API configured): current balance, not the snapshot's"
        return BalanceResult(req, units, height, source=src, method="latest", note=note)
