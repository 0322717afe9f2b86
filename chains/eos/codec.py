"""EOS / Vaulta: the pure half of the balance replay (no I/O).

Token names and quantities, what a Hyperion ``/v2/health`` says about its index, and the replay itself:
the net change of one account's balance of one token over a list of that contract's actions.

Which actions move a balance, from the contracts' own source:

* eosio.token (AntelopeIO/reference-contracts ``contracts/eosio.token/src/eosio.token.cpp``, commit
  c526479a48370981a1e9f0ac6b3bb0e4f737afa2): ``transfer`` subtracts from ``from`` and adds to ``to``
  (``from != to`` is enforced) and notifies both. ``issue`` and ``issuefixed`` credit the **issuer**
  (``add_balance(st.issuer, ...)``; older contracts then sent an inline ``transfer`` issuer → ``to``, a
  transfer like any other) and ``retire`` debits it (``sub_balance(st.issuer, ...)``), with no transfer
  and no notification: Hyperion lists them for the issuer because it authorises them. ``create`` and
  ``setmaxsupply`` touch only the stats row; ``open`` adds a zero row and ``close`` removes one.
* core.vaulta (VaultaFoundation/system-contracts ``contracts/core.vaulta/src/core.vaulta.cpp``, commit
  9edc8bcfd128f382ae11b88655d958d07f5230d2): ``init`` credits the contract with the whole supply;
  swaps are transfers both ways (``on_transfer``/``credit_eos_to`` send inline transfers);
  ``deposit``/``withdraw``/``unstaketorex``/``claimrewards`` only forward to the system contract.

Any other action of the token contract involving the account is treated as a possible balance change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

NATIVE = ("eosio.token", "EOS")
PAGE = 1000  # actions per page at most: Hyperion's shipped api.limits.get_actions (references/config.ref.json)
SERVER_DEFAULT_PAGE = 10  # get_actions.ts: size = limit || 10 (what a server that takes no limit returns)

NO_BALANCE_CHANGE = frozenset({"create", "open", "close", "setmaxsupply"})
NO_BALANCE_CHANGE_BY_CONTRACT = {"core.vaulta": frozenset({"deposit", "withdraw", "unstaketorex", "claimrewards"})}
CHANGES_WITHOUT_TRANSFER = {  # what the known ones do, for the error text
    "issue": "credits the issuer without a transfer",
    "issuefixed": "credits the issuer without a transfer",
    "retire": "debits the issuer without a transfer",
    "init": "credits the contract's own account with the whole supply",
}
_ASSET = re.compile(r"^-?\d+(?:\.\d+)? ([A-Z]{1,7})$")


class NotReplayable(Exception):
    """The account's balance changed after the snapshot by something other than a transfer."""


def token_of(contract: str) -> tuple[str, str]:
    """``""`` → (eosio.token, EOS); ``"core.vaulta:A"`` → (core.vaulta, A)."""
    if not contract:
        return NATIVE
    code, sep, symbol = contract.partition(":")
    if not sep or not code or not symbol:
        raise ValueError(f"EOS token contract must be written code:SYMBOL, not {contract!r}")
    return code, symbol


def is_token(contract: str) -> bool:
    """Whether ``token_of`` reads ``contract`` (a bad one is an error row, and costs no request)."""
    try:
        token_of(contract)
    except ValueError:
        return False
    return True


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


def may_touch(data: Any, symbol: str) -> bool:
    """Whether an action's data may concern ``symbol``: it names that symbol in an asset, or names no asset at
    all (then nothing says it does not). ``issue`` of another token of the same contract does not."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            m = _ASSET.match(value.strip())
            if m:
                found.add(m.group(1))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    return not found or symbol in found


def parties(action: dict[str, Any]) -> set[str]:
    """The accounts a get_actions document is listed for when ``account`` is asked: its authorisers
    (``act.authorization[].actor``) and the accounts that received it (``receipts[].receiver``, one per
    ``require_recipient``: a transfer's ``from`` and ``to``), as Hyperion's account filter matches them
    (eosrio/hyperion-history-api v4.0.7 ``src/api/routes/v2-history/get_actions/definitions.ts`` ``terms``:
    ``notified`` and ``act.authorization.actor``; the response drops ``notified`` but keeps the receipts).
    So a scan of a whole contract, split by these, gives each account the actions a per-account query lists."""
    act = action.get("act") or {}
    out = {str(a.get("actor")) for a in act.get("authorization") or () if isinstance(a, dict) and a.get("actor")}
    out.update(str(r.get("receiver")) for r in action.get("receipts") or () if isinstance(r, dict) and r.get("receiver"))
    out.update(str(n) for n in action.get("notified") or () if n)
    return out


@dataclass(frozen=True)
class Coverage:
    """What a Hyperion's ``/v2/health`` says about its index."""

    first: int  # first block whose actions are kept
    last: int  # last block indexed
    missing: int  # blocks absent between first and last
    page: int | None  # the get_actions limit it enforces (None: not reported; 0: it takes no limit)


def coverage_of(health: Any) -> Coverage:
    """Hyperion ``/v2/health`` (eosrio/hyperion-history-api v4.0.7, ``src/api/routes/v2/health/health.ts``): the
    Elasticsearch service's ``first_indexed_block``/``last_indexed_block``/``missing_blocks``; ``pruning``
    (auto-pruning keeps only the last ``max_retained_blocks``, and the first block it reports is cached from
    before any pruning); ``limits.get_actions`` (``get_actions.ts`` reads a missing one as 0: every ``limit``
    is refused)."""
    es = next((h for h in health.get("health", []) if isinstance(h, dict) and h.get("service") == "Elasticsearch"), None)
    if es is None:
        raise ValueError("history health has no Elasticsearch service")
    data = es.get("service_data")
    if not isinstance(data, dict) or "last_indexed_block" not in data:
        raise ValueError(f"history health: Elasticsearch status {es.get('status')!r} without index data")
    if "first_indexed_block" not in data or "missing_blocks" not in data:
        raise ValueError("history health does not say where its index starts or whether blocks are missing")
    last, first, missing = int(data["last_indexed_block"]), int(data["first_indexed_block"]), int(data["missing_blocks"])
    pruning = health.get("pruning")
    if isinstance(pruning, dict) and pruning.get("auto_pruning_enabled") and int(pruning.get("max_retained_blocks") or 0) > 0:
        first = max(first, last - int(pruning["max_retained_blocks"]) + 1)
    limits = health.get("limits")
    page = min(PAGE, int(limits.get("get_actions") or 0)) if isinstance(limits, dict) else None
    return Coverage(first, last, missing, page)


@dataclass(frozen=True)
class Replay:
    delta: int  # net inflow (in − out) in blocks (snapshot, H0]
    ambiguous: bool  # a transfer in (H0, H1]: the balance may or may not hold it
    undone: int  # transfers counted


def replay(actions: Iterable[dict[str, Any]], account: str, code: str, symbol: str, snapshot: int, h0: int, h1: int) -> Replay:
    """The change of ``account``'s ``code``/``symbol`` balance over Hyperion get_actions documents (each once).

    Raises :class:`NotReplayable` naming the action and transaction when an action other than a transfer
    may have changed it after ``snapshot``: a replay across it would be wrong (as TRON's
    ``DestroyedBlackFunds`` guard). Raises ValueError on a transfer without a ``quantity``.
    """
    delta, undone, ambiguous = 0, 0, False
    harmless = NO_BALANCE_CHANGE | NO_BALANCE_CHANGE_BY_CONTRACT.get(code, frozenset())
    for action in actions:
        block = int(action["block_num"])
        act = action["act"]
        if act.get("account") != code or not snapshot < block <= h1:
            continue
        name, data = act.get("name"), act.get("data") or {}
        if name == "transfer":
            quantity = data.get("quantity")  # the original string; Hyperion's float `amount` is never used
            if not isinstance(quantity, str):
                raise ValueError(f"transfer in transaction {action.get('trx_id')} has no quantity")
            frm, to = data.get("from"), data.get("to")
            if not quantity.strip().endswith(" " + symbol) or account not in (frm, to) or frm == to:
                continue  # another token of the contract, or the account only signed it
            if block > h0:
                ambiguous = True
                continue
            units = units_of(quantity, symbol)
            delta += units if to == account else -units
            undone += 1
        elif name not in harmless and may_touch(data, symbol):
            why = CHANGES_WITHOUT_TRANSFER.get(str(name), "is not a transfer and may change balances")
            raise NotReplayable(
                f"the balance changed without a transfer after block {snapshot:,}: {code}::{name} in transaction "
                f"{action.get('trx_id')} (block {block:,}) {why}, and {account} is party to it; a replay would be wrong"
            )
    return Replay(delta, ambiguous, undone)
