"""EOS / Vaulta token balances at the snapshot block, by replaying the account's transfers.

Why replay: the EOS chain API reads balances only at the head (``get_currency_balance`` has no
block parameter). The snapshot value is rebuilt as *current balance − what came in since + what
went out since*, every step taken from chain data: the transfers of that token contract and symbol
after the snapshot block, from a Hyperion history API (``[networks.EOS.options] history_api``).

Exactness rules:

* Amounts are the transfers' ``quantity`` strings (``"1.2345 EOS"``), parsed exactly; Hyperion's
  float ``amount`` field is never used. Actions are de-duplicated by ``global_sequence``.
* The balance is read between two ``get_info`` calls (heads H0 ≤ H1). Transfers up to H0 are in the
  balance, transfers after H1 are not; one inside (H0, H1] is ambiguous, so that account is read again.
  The history must be indexed up to H1 (Hyperion ``/v2/health``), else the account is re-read later.
* Without a history API, or when it fails, the value is stored as ``latest`` with the reason,
  never as the snapshot value.

Native EOS is ``eosio.token``/``EOS`` (4 decimals); a registry contract ``code:SYMBOL`` (e.g.
Vaulta's ``core.vaulta:A``) reads that token. OKX's "Snapshot Height" for EOS rows is the block number.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from chains.common.fetcher import HttpFetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import FetchBlocked
from indexer.rpc import JsonRpcClient, RpcError, TransportError

NATIVE = ("eosio.token", "EOS")
PAGE = 1000
ATTEMPTS = 3


def make_fetcher(network: Network, settings: NetworkSettings) -> EosFetcher:
    return EosFetcher(network, settings)


def token_of(contract: str) -> tuple[str, str]:
    """``""`` → (eosio.token, EOS); ``"core.vaulta:A"`` → (core.vaulta, A)."""
    if not contract:
        return NATIVE
    code, sep, symbol = contract.partition(":")
    if not sep or not code or not symbol:
        raise ValueError(f"EOS token contract must be written code:SYMBOL, not {contract!r}")
    return code, symbol


def units_of(quantity: str, symbol: str) -> int:
    """``"12.3400 EOS"`` → 123400 (base units at the precision the quantity is written with)."""
    amount, _, sym = quantity.strip().partition(" ")
    if sym != symbol:
        raise ValueError(f"quantity {quantity!r} is not in {symbol}")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ValueError(f"quantity {quantity!r} is not a number") from None
    places = len(amount.partition(".")[2])
    return int(value.scaleb(places))


class EosFetcher(HttpFetcher):
    """A BalanceFetcher for EOS / Vaulta (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        history = settings.options.get("history_api")
        self.history = JsonRpcClient(dataclasses.replace(settings, rpc=[str(history)])) if history else None
        self._block_time: dict[int, str] = {}

    async def _head(self) -> int:
        return int((await self.client.rest("POST", "/v1/chain/get_info", {}))["head_block_num"])

    async def tip(self) -> int:
        return await self._head()

    async def _time_of(self, block: int) -> str:
        if block not in self._block_time:
            found = await self.client.rest("POST", "/v1/chain/get_block", {"block_num_or_id": block})
            self._block_time[block] = str(found["timestamp"])
        return self._block_time[block]

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            head = await self._head()
            for block in sorted(b for b in blocks if b is not None):
                if block > head:
                    raise FetchBlocked(f"{name}: block {block:,} is beyond the chain head {head:,}")
                await self._time_of(block)
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except RpcError as exc:
            raise FetchBlocked(f"{name}: the chain API refused the preflight ({exc})") from None

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _balance(self, account: str, code: str, symbol: str) -> int:
        rows = await self.client.rest("POST", "/v1/chain/get_currency_balance", {"code": code, "account": account, "symbol": symbol})
        if not isinstance(rows, list):
            raise ValueError(f"get_currency_balance answered {rows!r}")
        return sum(units_of(q, symbol) for q in rows)  # [] = no balance row: 0

    async def _one(self, req: BalanceRequest) -> BalanceResult:
        src = self.client.source
        try:
            code, symbol = token_of(req.contract)
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=str(exc), source=src)
        why_latest = ""
        for _ in range(ATTEMPTS):
            try:
                h0 = await self._head()
                current = await self._balance(req.address, code, symbol)
                h1 = await self._head()
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                return BalanceResult(req, None, req.block, error=f"get_currency_balance failed: {exc}", source=src)
            if req.block is None:
                return BalanceResult(req, current, h0, source=src, method="latest")
            if self.history is None:
                why_latest = "no history_api configured: current balance, not the snapshot's"
                break
            try:
                delta, ambiguous = await self._replay(req.address, code, symbol, req.block, h0, h1)
            except (RpcError, ValueError, KeyError, TypeError) as exc:
                why_latest = f"history unavailable ({exc}): current balance, not the snapshot's"
                break
            if ambiguous:
                continue  # a transfer landed while the balance was read: read again
            snapshot = current - delta
            if snapshot < 0:
                return BalanceResult(req, None, req.block, error=f"replay gives a negative balance ({snapshot}): history incomplete", source=src)
            return BalanceResult(req, snapshot, req.block, source=src, method="replayed")
        else:
            why_latest = "transfers kept landing while the balance was read: current balance, not the snapshot's"
        return BalanceResult(req, current, h0, source=src, method="latest", note=why_latest)

    async def _replay(self, account: str, code: str, symbol: str, snapshot: int, h0: int, h1: int) -> tuple[int, bool]:
        """Net inflow (in − out) after ``snapshot`` up to H0, and whether any transfer sits in (H0, H1]."""
        assert self.history is not None
        health = await self.history.rest("GET", "/v2/health")
        indexed = _last_indexed(health)
        if indexed < h1:
            raise ValueError(f"history indexed only to block {indexed:,}, the balance was read at {h1:,}")
        after = await self._time_of(snapshot)
        seen: set[int] = set()
        delta = 0
        ambiguous = False
        skip = 0
        while True:
            page = await self.history.rest(
                "GET",
                "/v2/history/get_actions",
                params={"account": account, "filter": f"{code}:transfer", "after": after, "sort": "asc", "limit": PAGE, "skip": skip},
            )
            actions = page.get("actions") or []
            for action in actions:
                seq = int(action["global_sequence"])
                block = int(action["block_num"])
                act = action["act"]
                if seq in seen or block <= snapshot or act.get("account") != code or act.get("name") != "transfer":
                    continue
                seen.add(seq)
                data = act["data"]
                quantity = str(data.get("quantity", ""))
                if not quantity.endswith(" " + symbol):
                    continue
                if block > h1:
                    continue
                if block > h0:
                    ambiguous = True
                    continue
                units = units_of(quantity, symbol)
                if data.get("to") == account and data.get("from") != account:
                    delta += units
                elif data.get("from") == account and data.get("to") != account:
                    delta -= units
            if len(actions) < PAGE:
                return delta, ambiguous
            skip += len(actions)


def _last_indexed(health: Any) -> int:
    """Hyperion ``/v2/health``: the Elasticsearch service's ``last_indexed_block``."""
    for item in health.get("health", []):
        if item.get("service") == "Elasticsearch":
            return int(item["service_data"]["last_indexed_block"])
    raise ValueError("history health has no Elasticsearch last_indexed_block")
