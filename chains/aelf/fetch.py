"""ELF (and other MultiToken symbols) on aelf, read with ``MultiToken.GetBalance``: current state only.

Why ``latest``: an aelf node executes read-only calls against its best chain state; it has no
parameter for a past height, and no public transfer-history API with a documented shape was found
to replay from. So every value is stored as ``latest`` with ``read_block`` = the best chain height at
the read and a note, and the views never count it as the snapshot's (it shows beside it).

The call is a protobuf ``Transaction`` (to the Token contract, method ``GetBalance``, params
``GetBalanceInput``) signed with a throwaway key (aelf checks a signature even on read-only calls),
posted hex-encoded to ``/api/blockChain/executeTransaction``; the answer is the hex of
``GetBalanceOutput``, which must echo the symbol and owner asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

from coincurve import PrivateKey

from chains.common.fetcher import HttpFetcher
from chains.aelf import codec
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FetchBlocked
from indexer.rpc import RpcError, TransportError

TOKEN_CONTRACT_NAME = "AElf.ContractNames.Token"
NATIVE_SYMBOL = "ELF"


def make_fetcher(network: Network, settings: NetworkSettings) -> AelfFetcher:
    return AelfFetcher(network, settings)


class AelfFetcher(HttpFetcher):
    """A BalanceFetcher for aelf (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        self.retries = settings.retries
        self.key = PrivateKey()  # signs read-only calls only; never holds anything
        self.sender = codec.address_of_pubkey(self.key.public_key.format(compressed=False))
        configured = settings.options.get("token_contract")
        self.token: bytes | None = codec.address_bytes(str(configured)) if configured else None

    async def _status(self) -> dict:
        return await self.client.rest("GET", "/api/blockChain/chainStatus")

    async def tip(self) -> int:
        return int((await self._status())["BestChainHeight"])

    async def _token_contract(self) -> bytes:
        if self.token is None:
            name_hash = hashlib.sha256(TOKEN_CONTRACT_NAME.encode()).hexdigest()
            found = await self.client.rest("GET", "/api/blockChain/contractAddressByName", params={"contractNameHash": name_hash}, text=True)
            self.token = codec.address_bytes(found.strip().strip('"'))
        return self.token

    async def preflight(self, blocks: set[int | None]) -> None:
        try:
            await self._status()
            await self._token_contract()
        except TransportError as exc:
            raise FetchBlocked(f"{self.network.name}: no endpoint answered ({exc})") from None
        except (RpcError, ValueError, KeyError) as exc:
            raise FetchBlocked(f"{self.network.name}: cannot find the Token contract ({exc})") from None

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        try:
            status = await self._status()
            height, ref_hash = int(status["BestChainHeight"]), bytes.fromhex(status["BestChainHash"])
            token = await self._token_contract()
        except (RpcError, ValueError, KeyError, TypeError) as exc:
            return [BalanceResult(r, None, r.block, error=f"chain status failed: {exc}", source=self.client.source) for r in requests]
        return list(await asyncio.gather(*(self._one(r, token, height, ref_hash[:4]) for r in requests)))

    async def _one(self, req: BalanceRequest, token: bytes, height: int, prefix: bytes) -> BalanceResult:
        src = self.client.source
        symbol = req.contract or NATIVE_SYMBOL
        try:
            owner = codec.address_bytes(req.address)
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=str(exc), source=src)
        unsigned = codec.transaction(self.sender, token, height, prefix, "GetBalance", codec.get_balance_input(symbol, owner))
        signed = codec.transaction(self.sender, token, height, prefix, "GetBalance", codec.get_balance_input(symbol, owner), self.key.sign_recoverable(unsigned))
        for attempt in range(self.retries + 1):
            try:
                answer = await self.client.rest("POST", "/api/blockChain/executeTransaction", {"RawTransaction": signed.hex()}, text=True)
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
