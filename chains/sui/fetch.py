"""SUI and Sui coin balances at the snapshot checkpoint, through Sui's GraphQL RPC (``sui-indexer-alt-graphql``).

OKX's "Snapshot Height" for Sui rows is a checkpoint sequence number ``S`` (Sui has no blocks). Native SUI is the
coin type ``0x2::sui::SUI``; a token (USDC) is its coin type, the registry's contract.

How each value is obtained (``BalanceResult.method``):

* ``state_at_height``: ``checkpoint(sequenceNumber: S) { query { aN: address(…) { balance(coinType: …) {
  totalBalance } } } }``. Balances at a checkpoint come from the service's consistent store, which keeps a recent
  window only (``snapshots: 15000`` checkpoints by default, about an hour of mainnet). ``read_block`` = S.
* ``replayed``: outside that window the service answers each balance with the GraphQL *error* "Request is outside
  consistent range" (not ``null``). The value is then rebuilt as TRON's and Solana's are: the current balance,
  read at a checkpoint ``R`` the same answer names (``checkpoint { sequenceNumber query { … } }``), minus the
  address's balance changes of that coin type in every transaction with S < checkpoint <= R
  (``Query.transactions(filter: {affectedAddress, afterCheckpoint: S, beforeCheckpoint: R+1})`` asked *inside*
  ``checkpoint(sequenceNumber: R).query``, every page, and every page of each transaction's
  ``effects.balanceChanges``; each transaction's checkpoint is checked to lie in (S, R]). ``read_block`` = S,
  the note names R and how many changes were undone.
* ``latest``: the value at R with the reason, where the history is out of reach too. The service drops history
  older than its retention *silently* (the transactions list just starts later, a pruned transaction's
  ``balanceChanges`` is empty), so ``serviceConfig.availableRange`` of ``Query.transactions[affectedAddress]``
  and ``TransactionEffects.balanceChanges`` must reach back to S+1, checked before and again after the
  replay's reads. Also with ``replay = false``.

A failed read is an error row, never 0: a field error, ``balance: null`` (the service's "no checkpoint in
scope", not a zero: an address that never held the coin answers ``"0"``), a refused request.

Limits. The service refuses a request whose body is over ``max_query_payload_size`` (5,000 bytes by default,
the whole Content-Length), over 300 input nodes, 20 levels or its output-node estimate, and fails every field
past ``max_rich_queries`` (21) of its own request (each ``Address.balance`` and each ``Query.transactions`` is
one). The adapter reads those limits from ``serviceConfig`` (``Limits::default`` where the service does not
say), builds each document as a tree (``chains.sui.gql``) and packs as many aliases per request as fit: at most
21 balances per request, fewer where the measured body would pass 5,000 bytes. A refusal that names a lower
limit lowers it and the reads are sent again.

Options (``[networks.SUI.options]``): ``addresses_per_query`` (a further cap on aliases per request),
``replay`` (default true).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chains.common.fetcher import HttpFetcher
from chains.sui.gql import Field, body_size, depth, document, nodes, output_nodes
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, BalanceResult, Network
from chains.common.estimate import load
from indexer.plugins import FetchBlocked, FetchEstimate
from indexer.rpc import RpcError, TransportError

SUI = "0x2::sui::SUI"
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{1,64}$")
_OUT_OF_RANGE = re.compile(r"outside consistent range", re.I)
MAX_ADAPTATIONS = 4  # waves in a row without progress (refusals, rich-limit misses) before the reads are given up


def make_fetcher(network: Network, settings: NetworkSettings) -> SuiFetcher:
    return SuiFetcher(network, settings)


def normalise_address(text: str) -> str:
    t = text.strip()
    if not _ADDRESS.match(t):
        raise ValueError(f"{text!r} is not a Sui address")
    return "0x" + t[2:].lower().rjust(64, "0")


def canonical_coin(coin: str) -> str:
    """A coin type with each address written out to 64 hex digits, as ``MoveType.repr`` writes it."""
    return re.sub(r"0x([0-9a-fA-F]{1,64})(?=::)", lambda m: "0x" + m.group(1).lower().rjust(64, "0"), coin.strip())


@dataclass
class Limits:
    """The service's query limits; defaults are ``Limits::default`` of sui-indexer-alt-graphql (src/config.rs)."""

    payload: int = 5_000  # max_query_payload_size: bytes of the whole request body
    rich: int = 21  # max_rich_queries
    nodes: int = 300  # max_query_nodes
    depth: int = 20  # max_query_depth
    output: int = 1_000_000  # max_output_nodes
    tx_page: int = 50  # max_page_size of Query.transactions
    change_page: int = 50  # max_page_size of TransactionEffects.balanceChanges
    said: str = "Limits::default"  # where these numbers came from


@dataclass
class _Item:
    index: int  # into the fetch's requests
    address: str
    coin: str  # as asked (sent to the service)
    block: int | None

    @property
    def coin_key(self) -> str:
        return canonical_coin(self.coin)


@dataclass
class _Read:
    """One balance read: a value at checkpoint ``cp``, or why not."""

    value: int | None = None
    cp: int | None = None
    error: str = ""
    out_of_range: bool = False


@dataclass
class _History:
    """An address's balance changes (owner, canonical coin type, amount) in transactions with S < checkpoint <= R."""

    changes: list[tuple[str, str, int]] = field(default_factory=list)
    digests: set[str] = field(default_factory=set)
    cursor: str | None = None
    done: bool = False
    error: str = ""  # the service answered wrongly: an error row
    gone: str = ""  # the history is out of the service's reach: latest with this reason


class Refused(RpcError):
    """The service refused the whole request (``"data": null`` with its errors)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(str(e.get("message")) for e in errors)[:400])
        self.errors = errors


@dataclass
class _Answer:
    data: dict[str, Any]
    errors: list[dict[str, Any]]

    def error_at(self, alias: str) -> dict[str, Any] | None:
        """The first error whose path runs through ``alias``."""
        for e in self.errors:
            if alias in (e.get("path") or []):
                return e
        return None


def _code(err: dict[str, Any]) -> str:
    return str((err.get("extensions") or {}).get("code") or "")


def _message(err: dict[str, Any]) -> str:
    code = _code(err)
    return f"{err.get('message')}" + (f" ({code})" if code else "")


class SuiFetcher(HttpFetcher):
    """A BalanceFetcher for Sui (see indexer.plugins.BalanceFetcher and the module docstring)."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        super().__init__(network, settings)
        opts = settings.options
        self.per_query = int(opts.get("addresses_per_query") or 0)  # 0: only the service's limits
        self.replay = bool(opts.get("replay", True))
        self.limits = Limits()
        self._limits_read = False
        self._limits_lock = asyncio.Lock()
        self._balance_first: int | None = None  # the consistent range's first checkpoint, when last seen

    # -- protocol ------------------------------------------------------------------------------

    async def tip(self) -> int:
        answer = await self._post(document([Field("checkpoint", sel=(Field("sequenceNumber"),))]))
        return int(answer.data["checkpoint"]["sequenceNumber"])

    async def preflight(self, blocks: set[int | None]) -> None:
        name = self.network.name
        try:
            tip = await self.tip()
            await self._read_limits()
        except TransportError as exc:
            raise FetchBlocked(f"{name}: no endpoint answered ({exc})") from None
        except (RpcError, KeyError, TypeError, ValueError) as exc:
            raise FetchBlocked(f"{name}: the GraphQL service refused the preflight ({exc})") from None
        beyond = sorted(b for b in blocks if b is not None and b > tip)
        if beyond:
            raise FetchBlocked(f"{name}: checkpoint {beyond[0]:,} is beyond the service's latest checkpoint {tip:,}")

    async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate:
        """``fetch``'s requests, packed by the same ``_pack`` under the service's limits (``Limits::default`` until
        the preflight reads ``serviceConfig``; ``probe`` reads it): the preflight (tip, limits), per snapshot
        checkpoint the consistent range, then the balance documents. A checkpoint outside the consistent range is
        replayed instead (current balances, then each address's transactions): ``probe`` asks the range."""
        by_block: dict[int | None, list[_Item]] = {}
        for i, req in enumerate(requests):
            try:
                by_block.setdefault(req.block, []).append(_Item(i, normalise_address(req.address), req.contract or SUI, req.block))
            except ValueError:
                continue
        if probe:
            await self._read_limits()
            try:
                await self._ranges()
            except RpcError:
                pass
        n = 2
        replayed = 0
        for block, items in by_block.items():
            docs = len(self._pack(list(items), lambda part: self._balance_doc(part, block), lambda part: len(part)))
            if block is not None:
                n += 1  # the consistent range (a hint the first snapshot read asks)
                if self._balance_first is not None and block < self._balance_first:
                    replayed += len(items)
                    n += docs + len(self._pack(sorted({it.address for it in items}), lambda part: self._history_doc([(a, _History()) for a in part], block, block), lambda part: len(part))) + 2
                    continue
            n += docs
        unknown = "" if probe else "whether the snapshot checkpoint is inside the service's consistent range (--probe asks; outside it the values are replayed)"
        method = "replayed" if replayed else "state_at_height"
        return FetchEstimate(method, (load("rpc", self.client, n),), path="replay" if replayed else "", unknown=unknown)

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        src = self.client.source
        out: list[BalanceResult | None] = [None] * len(requests)
        by_block: dict[int | None, list[_Item]] = {}
        for i, req in enumerate(requests):
            try:
                by_block.setdefault(req.block, []).append(_Item(i, normalise_address(req.address), req.contract or SUI, req.block))
            except ValueError as exc:
                out[i] = BalanceResult(req, None, req.block, error=str(exc), source=src)
        try:
            await self._read_limits()
        except RpcError as exc:
            for items in by_block.values():
                for it in items:
                    out[it.index] = BalanceResult(requests[it.index], None, it.block, error=f"GraphQL read failed: {exc}", source=src)
            return [r for r in out if r is not None]
        for block, items in by_block.items():
            if block is None:
                await self._latest(items, requests, out)
            else:
                await self._snapshot(block, items, requests, out)
        return [r if r is not None else BalanceResult(requests[i], None, requests[i].block, error="internal: no result", source=src) for i, r in enumerate(out)]

    # -- the three ways -------------------------------------------------------------------------

    async def _snapshot(self, s: int, items: list[_Item], requests: Sequence[BalanceRequest], out: list[Any]) -> None:
        src = self.client.source
        if self._balance_first is None:
            try:
                await self._ranges()  # a hint only: the window moves on, the read's own answer decides
            except RpcError:
                pass
        first = self._balance_first
        if first is not None and s < first:
            await self._replay(s, items, requests, out)
            return
        reads = await self._balances(items, s)
        outside = []
        for it in items:
            r = reads[it.index]
            req = requests[it.index]
            if r.out_of_range:
                outside.append(it)
            elif r.value is None:
                out[it.index] = BalanceResult(req, None, s, error=r.error, source=src)
            elif r.cp != s:
                out[it.index] = BalanceResult(req, None, s, error=f"the service answered for checkpoint {r.cp}, not {s:,}", source=src)
            else:
                out[it.index] = BalanceResult(req, r.value, s, source=src, method="state_at_height")
        if outside:
            await self._replay(s, outside, requests, out)

    async def _latest(self, items: list[_Item], requests: Sequence[BalanceRequest], out: list[Any]) -> None:
        """``--at latest``: each value at the checkpoint its answer names."""
        src = self.client.source
        reads = await self._balances(items, None)
        for it in items:
            r = reads[it.index]
            req = requests[it.index]
            if r.value is None:
                out[it.index] = BalanceResult(req, None, it.block, error=r.error, source=src)
            else:
                out[it.index] = BalanceResult(req, r.value, r.cp, source=src, method="latest")

    async def _replay(self, s: int, items: list[_Item], requests: Sequence[BalanceRequest], out: list[Any]) -> None:
        """Current balances at R, then the history (S, R] undone (module docstring)."""
        src = self.client.source
        current = await self._balances(items, None)
        by_r: dict[int, list[_Item]] = {}
        for it in items:
            r = current[it.index]
            if r.value is None or r.cp is None:
                out[it.index] = BalanceResult(requests[it.index], None, s, error=r.error or "no current balance", source=src)
            else:
                by_r.setdefault(r.cp, []).append(it)
        if not by_r:
            return
        why = await self._history_gap(s)
        hists: dict[int, dict[str, _History]] = {}
        if not why:
            groups = list(by_r.items())
            done = await asyncio.gather(*(self._history(s, r_cp, sorted({it.address for it in group})) for r_cp, group in groups))
            hists = {r_cp: h for (r_cp, _), h in zip(groups, done)}
            why = await self._history_gap(s)  # the retention only moves forward: still reaching S+1 now means it did throughout
        for r_cp, group in by_r.items():
            hist = hists.get(r_cp, {})
            for it in group:
                req, cur = requests[it.index], current[it.index]
                assert cur.value is not None
                h = hist.get(it.address)
                if h is not None and h.error and not why:
                    out[it.index] = BalanceResult(req, None, s, error=f"history read failed: {h.error}", source=src)
                    continue
                reason = why or (h.gone if h else "")
                if reason or h is None:
                    note = f"checkpoint {s:,} is outside the service's consistent range and {reason}: current balance at checkpoint {r_cp:,}, not the snapshot's"
                    out[it.index] = BalanceResult(req, cur.value, r_cp, source=src, method="latest", note=note)
                    continue
                mine = [a for o, c, a in h.changes if o == it.address and c == it.coin_key]
                value = cur.value - sum(mine)
                if value < 0:
                    out[it.index] = BalanceResult(req, None, s, error=f"replay gives a negative balance ({value}): the history is incomplete", source=src)
                    continue
                note = f"balance at checkpoint {r_cp:,} with {len(mine)} later balance change(s) undone"
                out[it.index] = BalanceResult(req, value, s, source=src, method="replayed", note=note)

    # -- balances -------------------------------------------------------------------------------

    def _balance_doc(self, part: list[_Item], at: int | None) -> list[Field]:
        aliases = tuple(
            Field("address", (("address", it.address),), alias=f"a{n}", sel=(Field("balance", (("coinType", it.coin),), sel=(Field("totalBalance"),)),))
            for n, it in enumerate(part)
        )
        args = (("sequenceNumber", at),) if at is not None else ()
        return [Field("checkpoint", args, sel=(Field("sequenceNumber"), Field("query", sel=aliases)))]

    async def _balances(self, items: list[_Item], at: int | None) -> dict[int, _Read]:
        """Each item's balance at checkpoint ``at`` (None: the latest, named by the answer)."""
        got: dict[int, _Read] = {}

        def decode(part: list[_Item], answer: _Answer) -> list[_Item]:
            again = []
            cp_node = answer.data.get("checkpoint")
            if cp_node is None:
                for it in part:
                    got[it.index] = _Read(error=f"the service has no checkpoint {at:,}" if at is not None else "the service named no latest checkpoint")
                return again
            cp = int(cp_node["sequenceNumber"])
            scope = cp_node.get("query") or {}
            for n, it in enumerate(part):
                alias = f"a{n}"
                err = answer.error_at(alias)
                if err is not None and _code(err) == "RESOURCE_EXHAUSTED":
                    self._adapt([err], 0)
                    again.append(it)
                elif err is not None and _OUT_OF_RANGE.search(str(err.get("message"))):
                    got[it.index] = _Read(out_of_range=True, error=_message(err))
                elif err is not None:
                    got[it.index] = _Read(error=f"GraphQL error: {_message(err)}"[:300])
                else:
                    got[it.index] = _balance(scope.get(alias), cp)
            return again

        failed = await self._run(items, lambda part: self._balance_doc(part, at), lambda part: len(part), decode)
        for it, why in failed:
            got[it.index] = _Read(error=why)
        return got

    # -- history --------------------------------------------------------------------------------

    def _history_doc(self, part: list[tuple[str, _History]], s: int, r: int) -> list[Field]:
        lim = self.limits
        changes = _changes(lim.change_page)
        tx_nodes = Field("nodes", sel=(Field("digest"), Field("effects", sel=(Field("checkpoint", sel=(Field("sequenceNumber"),)), changes))))
        aliases = []
        for n, (addr, h) in enumerate(part):
            args: list[tuple[str, Any]] = [("first", lim.tx_page)]
            if h.cursor is not None:
                args.append(("after", h.cursor))
            args.append(("filter", {"affectedAddress": addr, "afterCheckpoint": s, "beforeCheckpoint": r + 1}))
            aliases.append(Field("transactions", tuple(args), alias=f"t{n}", page=lim.tx_page, sel=(_PAGE_INFO, tx_nodes)))
        return [Field("checkpoint", (("sequenceNumber", r),), sel=(Field("sequenceNumber"), Field("query", sel=tuple(aliases))))]

    def _more_changes_doc(self, part: list[tuple[str, str, str]], r: int) -> list[Field]:
        lim = self.limits
        aliases = tuple(
            Field("transactionEffects", (("digest", digest),), alias=f"e{n}", sel=(Field("checkpoint", sel=(Field("sequenceNumber"),)), _changes(lim.change_page, cursor)))
            for n, (_, digest, cursor) in enumerate(part)
        )
        return [Field("checkpoint", (("sequenceNumber", r),), sel=(Field("sequenceNumber"), Field("query", sel=aliases)))]

    async def _history(self, s: int, r: int, addresses: list[str]) -> dict[str, _History]:
        """Every balance change of each address in transactions with S < checkpoint <= R, read as of R."""
        hist = {a: _History() for a in addresses}
        more: list[tuple[str, str, str]] = []  # (address, digest, balanceChanges cursor) still to page

        def take_changes(h: _History, addr: str, digest: str, conn: Any) -> None:
            if not isinstance(conn, dict):
                h.gone = h.gone or f"the balance changes of transaction {digest} are not in the store"
                return
            for c in conn.get("nodes") or []:
                owner = ((c.get("owner") or {}).get("address")) or ""
                coin = ((c.get("coinType") or {}).get("repr")) or ""
                amount = c.get("amount")
                if not isinstance(amount, str) or not re.fullmatch(r"-?\d+", amount):
                    h.error = h.error or f"transaction {digest} has a balance change without an integer amount: {c!r}"[:300]
                    return
                if owner:
                    h.changes.append((owner.lower(), canonical_coin(coin), int(amount)))
            info = conn.get("pageInfo") or {}
            if info.get("hasNextPage"):
                if not info.get("endCursor"):
                    h.error = h.error or f"transaction {digest}: more balance changes announced without a cursor"
                else:
                    more.append((addr, digest, info["endCursor"]))

        def checked_cp(h: _History, digest: str, effects: Any) -> bool:
            cp_node = (effects or {}).get("checkpoint") if isinstance(effects, dict) else None
            if cp_node is None:
                h.gone = h.gone or f"transaction {digest} has no effects in the store"
                return False
            cp = int(cp_node["sequenceNumber"])
            if not s < cp <= r:
                h.error = h.error or f"the service listed transaction {digest} of checkpoint {cp:,}, outside ({s:,}, {r:,}]"
                return False
            return True

        def decode(part: list[tuple[str, _History]], answer: _Answer) -> list[tuple[str, _History]]:
            again = []
            scope = _scope_at(answer, r)
            for n, (addr, h) in enumerate(part):
                alias = f"t{n}"
                err = answer.error_at(alias)
                if err is not None and _code(err) == "RESOURCE_EXHAUSTED":
                    self._adapt([err], 0)
                    again.append(part[n])  # the same unit: not progress
                    continue
                conn = scope.get(alias) if scope is not None else None
                if err is not None or not isinstance(conn, dict):
                    h.error = f"GraphQL error: {_message(err)}"[:300] if err is not None else f"no transactions answered at checkpoint {r:,}"
                    continue
                for tx in conn.get("nodes") or []:
                    digest = str(tx.get("digest"))
                    if digest in h.digests:
                        h.error = f"the service listed transaction {digest} twice"
                        break
                    h.digests.add(digest)
                    effects = tx.get("effects")
                    if checked_cp(h, digest, effects):
                        take_changes(h, addr, digest, effects.get("balanceChanges"))
                info = conn.get("pageInfo") or {}
                if h.error or h.gone:
                    continue
                if info.get("hasNextPage"):
                    if not info.get("endCursor") or info["endCursor"] == h.cursor:
                        h.error = "the transactions list announced another page without a new cursor"
                    else:
                        h.cursor = info["endCursor"]
                        again.append((addr, h))
                else:
                    h.done = True
            return again

        failed = await self._run([(a, hist[a]) for a in addresses], lambda part: self._history_doc(part, s, r), lambda part: len(part), decode)
        for (addr, h), why in failed:
            h.error = h.error or why

        def decode_more(part: list[tuple[str, str, str]], answer: _Answer) -> list[tuple[str, str, str]]:
            scope = _scope_at(answer, r)
            for n, (addr, digest, _) in enumerate(part):
                h = hist[addr]
                err = answer.error_at(f"e{n}")
                node = scope.get(f"e{n}") if scope is not None else None
                if err is not None or not isinstance(node, dict):
                    h.error = h.error or (f"GraphQL error: {_message(err)}"[:300] if err is not None else f"transaction {digest}: no effects answered")
                elif checked_cp(h, digest, node):
                    take_changes(h, addr, digest, node.get("balanceChanges"))
            return []

        while more:
            batch, more[:] = list(more), []
            failed_more = await self._run(batch, lambda part: self._more_changes_doc(part, r), lambda part: 0, decode_more)
            for (addr, _, _), why in failed_more:
                hist[addr].error = hist[addr].error or why
        return hist

    async def _history_gap(self, s: int) -> str:
        """"" when the service's history reaches back to S+1 for both the transaction list and balance changes."""
        if not self.replay:
            return "replay is switched off (options.replay = false)"
        try:
            ranges = await self._ranges()
        except RpcError as exc:
            return f"the service does not say how far its history reaches ({exc})"
        firsts = [ranges.get("transactions"), ranges.get("balanceChanges")]
        if any(f is None for f in firsts):
            return "the service does not say how far its transaction history reaches"
        first = max(f for f in firsts if f is not None)
        if first > s + 1:
            return f"its transaction history (affectedAddress, balanceChanges) starts at checkpoint {first:,}, after it"
        return ""

    async def _ranges(self) -> dict[str, int | None]:
        """First retained checkpoint of each field the adapter reads (``serviceConfig.availableRange``)."""
        def rng(alias: str, type_: str, field_: str, filters: tuple[str, ...] = ()) -> Field:
            args: tuple[tuple[str, Any], ...] = (("type", type_), ("field", field_)) + ((("filters", list(filters)),) if filters else ())
            return Field("availableRange", args, alias=alias, sel=(Field("first", sel=(Field("sequenceNumber"),)),))

        doc = document([Field("serviceConfig", sel=(
            rng("balance", "Address", "balance"),
            rng("transactions", "Query", "transactions", ("affectedAddress",)),
            rng("balanceChanges", "TransactionEffects", "balanceChanges"),
        ))])
        answer = await self._post(doc)
        if answer.errors:
            raise RpcError("; ".join(_message(e) for e in answer.errors)[:300])
        cfg = answer.data.get("serviceConfig") or {}
        out: dict[str, int | None] = {}
        for key in ("balance", "transactions", "balanceChanges"):
            first = ((cfg.get(key) or {}).get("first") or {}).get("sequenceNumber")
            out[key] = int(first) if first is not None else None
        if out["balance"] is not None:
            self._balance_first = max(self._balance_first or 0, out["balance"])
        return out

    # -- requests within the service's limits ----------------------------------------------------

    async def _read_limits(self) -> None:
        """The service's own limits (``serviceConfig``); ``Limits::default`` where it does not say."""
        async with self._limits_lock:
            if self._limits_read:
                return
            doc = document([Field("serviceConfig", sel=(
                Field("maxQueryPayloadSize"), Field("maxRichQueries"), Field("maxQueryNodes"), Field("maxQueryDepth"), Field("maxOutputNodes"),
                Field("maxPageSize", (("type", "Query"), ("field", "transactions")), alias="txPage"),
                Field("maxPageSize", (("type", "TransactionEffects"), ("field", "balanceChanges")), alias="changePage"),
            ))])
            try:
                answer = await self._post(doc)
            except Refused:
                answer = _Answer({}, [])
            cfg = answer.data.get("serviceConfig") or {}
            said = {
                "payload": cfg.get("maxQueryPayloadSize"), "rich": cfg.get("maxRichQueries"), "nodes": cfg.get("maxQueryNodes"),
                "depth": cfg.get("maxQueryDepth"), "output": cfg.get("maxOutputNodes"), "tx_page": cfg.get("txPage"), "change_page": cfg.get("changePage"),
            }
            for k, v in said.items():
                if isinstance(v, int) and v > 0:
                    setattr(self.limits, k, v)
            if all(isinstance(v, int) for v in said.values()):
                self.limits.said = "serviceConfig"
            self._limits_read = True

    def _fits(self, fields: list[Field], rich: int, count: int) -> bool:
        lim = self.limits
        if self.per_query and count > self.per_query:
            return False
        return (
            rich <= lim.rich and body_size(document(fields)) <= lim.payload and nodes(fields) <= lim.nodes
            and depth(fields) <= lim.depth and output_nodes(fields) <= lim.output
        )

    def _adapt(self, errors: list[dict[str, Any]], sent: int) -> bool:
        """Lower a limit that a refusal names (the service's configuration is stricter than we assumed)."""
        lim, before = self.limits, (self.limits.payload, self.limits.rich, self.limits.nodes, self.limits.depth, self.limits.output, self.limits.tx_page, self.limits.change_page)
        for e in errors:
            msg = str(e.get("message", ""))
            if m := re.search(r"(?:Query payload too large: |Request too large )(\d+)B > (\d+)B", msg):
                actual, limit = int(m[1]), int(m[2])
                lim.payload = min(lim.payload, limit - max(0, actual - sent))  # the service may count bytes we do not see
            elif m := re.search(r"Exceeded the maximum number \((\d+)\) of queries", msg):
                lim.rich = min(lim.rich, int(m[1]))
            elif m := re.search(r"Query has over (\d+) nodes", msg):
                lim.nodes = min(lim.nodes, int(m[1]))
            elif m := re.search(r"Query nesting is over (\d+)", msg):
                lim.depth = min(lim.depth, int(m[1]))
            elif m := re.search(r"estimated to produce over (\d+) output nodes", msg):
                lim.output = min(lim.output, int(m[1]))
            elif m := re.search(r"Page size (?:is too large: \d+ > |of \d+ exceeds max of )(\d+)", msg):
                lim.tx_page = min(lim.tx_page, int(m[1]))
                lim.change_page = min(lim.change_page, int(m[1]))
        after = (lim.payload, lim.rich, lim.nodes, lim.depth, lim.output, lim.tx_page, lim.change_page)
        if after != before:
            lim.said = "lowered by the service's refusal"
        return after != before

    async def _run(
        self,
        units: list[Any],
        build: Callable[[list[Any]], list[Field]],
        rich_of: Callable[[list[Any]], int],
        decode: Callable[[list[Any], _Answer], list[Any]],
    ) -> list[tuple[Any, str]]:
        """Send ``units`` in as few requests as the limits allow, the requests of a wave concurrently.

        ``decode`` returns the units to send again (a field refused for the rich-query limit, a next page). A
        refused request whose refusal names a lower limit is packed again under it. Returns the units that could
        not be read, with why.
        """
        failed: list[tuple[Any, str]] = []
        queue = list(units)
        stalls = 0
        while queue:
            parts = self._pack(queue, build, rich_of)
            queue = []
            sendable = [p for p in parts if self._fits(build(p), rich_of(p), len(p))]
            for p in parts:
                if not any(p is q for q in sendable):
                    failed.append((p[0], f"a single read exceeds the service's query limits ({self.limits.said})"))
            answers = await asyncio.gather(*(self._send(build(p)) for p in sendable))
            progress = False
            for part, got in zip(sendable, answers):
                if isinstance(got, Refused):
                    doc = document(build(part))
                    if self._adapt(got.errors, body_size(doc)) or not self._fits(build(part), rich_of(part), len(part)):
                        queue.extend(part)
                    else:
                        failed.extend((u, f"the service refused the request: {got}"[:300]) for u in part)
                    continue
                if isinstance(got, Exception):
                    failed.extend((u, f"GraphQL read failed: {got}"[:300]) for u in part)
                    continue
                try:
                    again = decode(part, got)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    failed.extend((u, f"unexpected GraphQL answer: {type(exc).__name__}: {exc}"[:300]) for u in part)
                    continue
                if len(again) < len(part) or any(not any(a is u for u in part) for a in again):
                    progress = True
                queue.extend(again)
            stalls = 0 if progress else stalls + 1
            if queue and stalls > MAX_ADAPTATIONS:
                failed.extend((u, f"the service answered none of these reads within its limits ({self.limits.said})") for u in queue)
                break
        return failed

    def _pack(self, queue: list[Any], build: Callable[[list[Any]], list[Field]], rich_of: Callable[[list[Any]], int]) -> list[list[Any]]:
        """Each request takes the longest run of units whose document stays within every limit (a cost only
        grows with more units, so the longest run is found by doubling, then halving)."""

        def fits(part: list[Any]) -> bool:
            return self._fits(build(part), rich_of(part), len(part))

        parts: list[list[Any]] = []
        i = 0
        while i < len(queue):
            rest = len(queue) - i
            good, step, bad = 1, 1, 0
            while good < rest:
                size = min(rest, good + step)
                if not fits(queue[i : i + size]):
                    bad = size
                    break
                good, step = size, step * 2
            while bad - good > 1:
                mid = (good + bad) // 2
                if fits(queue[i : i + mid]):
                    good = mid
                else:
                    bad = mid
            parts.append(queue[i : i + good])
            i += good
        return parts

    async def _send(self, fields: list[Field]) -> _Answer | Exception:
        try:
            return await self._post(document(fields))
        except (RpcError, KeyError, TypeError, ValueError) as exc:
            return exc

    async def _post(self, doc: str) -> _Answer:
        answer = await self.client.rest("POST", "/graphql", {"query": doc})
        if not isinstance(answer, dict):
            raise RpcError(f"the GraphQL answer is not an object: {str(answer)[:120]}")
        errors = [e for e in (answer.get("errors") or []) if isinstance(e, dict)]
        if answer.get("data") is None:
            if errors:
                raise Refused(errors)
            raise RpcError("the GraphQL answer has neither data nor errors")
        if not isinstance(answer["data"], dict):
            raise RpcError("the GraphQL answer's data is not an object")
        return _Answer(answer["data"], errors)


_PAGE_INFO = Field("pageInfo", sel=(Field("hasNextPage"), Field("endCursor")))
_CHANGE_NODES = Field("nodes", sel=(Field("owner", sel=(Field("address"),)), Field("coinType", sel=(Field("repr"),)), Field("amount")))


def _changes(page: int, after: str | None = None) -> Field:
    """``balanceChanges`` of one transaction's effects: a page of (owner, coin type, signed amount)."""
    args: tuple[tuple[str, Any], ...] = (("first", page),) + ((("after", after),) if after else ())
    return Field("balanceChanges", args, page=page, sel=(_PAGE_INFO, _CHANGE_NODES))


def _scope_at(answer: _Answer, r: int) -> dict[str, Any] | None:
    """The ``query`` under ``checkpoint(sequenceNumber: r)``, or None when the service did not answer at r."""
    cp_node = answer.data.get("checkpoint")
    if not isinstance(cp_node, dict):
        return None
    if cp_node.get("sequenceNumber") is not None and int(cp_node["sequenceNumber"]) != r:
        return None
    scope = cp_node.get("query")
    return scope if isinstance(scope, dict) else None


def _balance(node: Any, cp: int) -> _Read:
    """One ``address { balance { totalBalance } }`` answer: a value, or why it is none (never a zero)."""
    if node is None:
        return _Read(error="the service answered null for this address")
    bal = node.get("balance")
    if bal is None:
        return _Read(error="balance is null: the service had no checkpoint in scope (null is not a zero balance)")
    total = bal.get("totalBalance")
    if isinstance(total, str) and total.isdigit():
        return _Read(value=int(total), cp=cp)
    return _Read(error=f"the balance has no integer totalBalance: {bal!r}"[:300])
