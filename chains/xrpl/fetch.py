"""XRP balances at the snapshot ledger, from rippled's JSON-RPC ``account_info``.

Why this shape: rippled answers ``account_info`` for any ledger it still holds
(``complete_ledgers`` in ``server_info``), so the snapshot value is read directly
(``state_at_height``); nothing is replayed. OKX's "Snapshot Height" for XRP rows is
the ledger index (the only height the XRP Ledger has).

The traps, each handled explicitly:

* ``actNotFound`` at a ledger the server holds means the account did not exist in
  that ledger: a real zero, recorded with a note. It is accepted only when the answer
  names the requested ledger and says it is validated.
* ``lgrNotFound`` means the *server* lacks the ledger: an error row, never a zero.
  The preflight checks ``complete_ledgers`` first and refuses the network in one
  sentence when the snapshot ledger is not held (not a full-history server).
* ``slowDown``/``tooBusy`` (in a 200 body, or HTTP 429/503) are retried with backoff.
* Issued tokens (trust lines) are not among the assets read here: a token request is an error row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from chains.common.fetcher import HttpFetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import load
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import RpcError, TransportError

_TRANSIENT = {"slowDown", "tooBusy", "noNetwork", "noCurrent", "noClosed", "amendmentBlocked"}


def make_fetcher(network: Network, settings: NetworkSettings) -> XrplFetcher:
    return XrplFetcher(network, settings)


def parse_complete_ledgers(text: str) -> list[tuple[int, int]]:
    """``"32570-6595042,6595050-6595100"`` (or ``"empty"``) as inclusive ranges."""
    ranges = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part or part == "empty":
            continue
        lo, _, hi = part.partition("-")
        ranges.append((int(lo), int(hi or lo)))
    return ranges


def drops_of(account_data: Any) -> int:
    """The ``Balance`` field of an AccountRoot: XRP drops as a decimal string (never a float)."""
    value = account_data.get("Balance") if isinstance(account_data, dict) else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError(f"AccountRoot Balance is not a drops string: {value!r}")


class XrplFetcher(HttpFetcher):
    """A BalanceFetcher for the XRP Ledger (see indexer.plugins.BalanceFetcher)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)

    async def _rippled(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One rippled call; the ``result`` object, with transient rippled errors retried."""
        for attempt in range(self.settings.retries + 1):
            result = await self.client.call(method, [params])
            if not isinstance(result, dict):
                raise RpcError(f"{method} answered {type(result).__name__}, not an object")
            if result.get("status") == "error" and result.get("error") in _TRANSIENT and attempt < self.settings.retries:
                await asyncio.sleep(min(self.settings.backoff * 2**attempt, self.settings.backoff_max))
                continue
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def tip(self) -> int:
        result = await self._rippled("ledger", {"ledger_index": "validated"})
        if result.get("status") == "error":
            raise RpcError(f"ledger validated: {result.get('error')}: {result.get('error_message', '')}")
        return int(result["ledger_index"])

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            info = await self._rippled("server_info", {})
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except RpcError as exc:
            raise FetchBlocked(f"{name}: server_info failed: {exc}") from None
        complete = str((info.get("info") or {}).get("complete_ledgers", ""))
        ranges = parse_complete_ledgers(complete)
        for block in sorted(b for b in blocks if b is not None):
            if not any(lo <= block <= hi for lo, hi in ranges):
                raise FetchBlocked(
                    f"{name}: the server does not hold ledger {block:,} (complete_ledgers {complete or 'empty'});"
                    " a full-history rippled server is needed for the snapshot ledger"
                )

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests: ``server_info`` (preflight) and one ``account_info`` per XRP read (a token read is
        an error row without a request)."""
        reads = sum(1 for r in requests if not r.contract)
        return FetchEstimate("state_at_height", (load("rpc", self.client, 1 + reads),))

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _one(self, req: BalanceRequest) -> BalanceResult:
        src = self.client.source
        if req.contract:
            return BalanceResult(req, None, req.block, error=f"XRPL issued token {req.contract} is not read by this adapter", source=src)
        ledger: int | str = req.block if req.block is not None else "validated"
        try:
            result = await self._rippled("account_info", {"account": req.address, "ledger_index": ledger, "strict": True})
        except RpcError as exc:
            return BalanceResult(req, None, req.block, error=f"account_info failed: {exc}", source=src)
        got_ledger = result.get("ledger_index")
        method = "state_at_height" if req.block is not None else "latest"
        if result.get("status") == "error":
            code = result.get("error")
            if code == "actNotFound" and result.get("validated") is True and got_ledger is not None and (req.block is None or int(got_ledger) == req.block):
                return BalanceResult(req, 0, int(got_ledger), source=src, method=method, note=f"account did not exist at ledger {int(got_ledger):,}")
            if code == "lgrNotFound":
                return BalanceResult(req, None, req.block, error=f"the server does not hold ledger {ledger} (lgrNotFound)", source=src)
            return BalanceResult(req, None, req.block, error=f"account_info: {code}: {result.get('error_message', '')}".rstrip(": "), source=src)
        if got_ledger is None or (req.block is not None and int(got_ledger) != req.block):
            return BalanceResult(req, None, req.block, error=f"answer is for ledger {got_ledger}, not {ledger}", source=src)
        if result.get("validated") is not True:
            return BalanceResult(req, None, req.block, error=f"ledger {got_ledger} is not validated", source=src)
        try:
            drops = drops_of(result.get("account_data"))
        except ValueError as exc:
            return BalanceResult(req, None, req.block, error=str(exc), source=src)
        return BalanceResult(req, drops, int(got_ledger), source=src, method=method)
