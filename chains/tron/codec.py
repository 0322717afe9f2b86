"""Pure TRON codecs: addresses, the ABI words of ``balanceOf`` and the Multicall ``aggregate``,
and decoders for java-tron's and TronGrid's JSON answers. No I/O.

Why hand-rolled (like ``chains/evm/codec.py``): the layouts are fixed and small, and the
hot path builds and decodes tens of thousands of items. Every function is cross-checked
against ``tronpy``/``eth_abi`` on the same bytes in ``tests/test_tron_fetch.py``.

Decoders are strict: an answer that is not exactly the expected shape raises
:class:`CodecError`, never yields a number. One java-tron habit is decoded on purpose:
its protobuf-to-JSON printer **omits fields that hold their default value**, so an
existing account with 0 sun has no ``balance`` key, and ``getaccountbalance`` for a
block where the account held nothing answers only ``block_identifier``. That absence is
a 0, but only inside an otherwise well-formed answer; ``{}`` means "no such account/block".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from chains.common.encoding import b58check_decode, b58check_encode
from chains.evm.codec import SEL_BALANCE_OF, SEL_GET_ETH_BALANCE, CodecError

__all__ = [
    "CodecError",
    "MULTICALL",
    "BlockRef",
    "ConstantCall",
    "Transfer",
    "to_hex41",
    "to_base58",
    "account20",
    "balance_of_parameter",
    "balance_of_data",
    "get_balance_data",
    "encode_aggregate",
    "decode_aggregate",
    "decode_uint256",
    "tron_error",
    "parse_block",
    "parse_account",
    "parse_account_balance",
    "parse_constant_call",
    "parse_trc20_page",
    "parse_latest_events",
    "net_inflow",
    "ContractEvent",
    "parse_events_page",
    "event_addresses",
    "decode_address_word",
    "balance_event_reason",
    "moves_no_balance",
    "parse_abi_events",
]

VERSION = 0x41
# Multicall v1 on TRON mainnet (bolpol/tron-multicall ``contracts/tron-multicall.sol``, the address the
# DefiLlama SDK uses): ``aggregate((address,bytes)[]) returns (uint256 blockNumber, bytes[] returnData)``,
# reverting as a whole when any call fails, plus ``getEthBalance(address)`` = the account's liquid sun.
MULTICALL = "TGXuuKAb4bnrn137u39EKbYzKNXvdCes98"
AGGREGATE_SIGNATURE = "aggregate((address,bytes)[])"
BALANCE_OF_SIGNATURE = "balanceOf(address)"


# ------------------------------------------------------------------------------------------ addresses

def to_hex41(address: str) -> str:
    """``41`` + 40 hex digits for a base58check ``T…`` address or a 41-prefixed hex one; ValueError otherwise."""
    text = address.strip()
    if len(text) == 42 and text[:2] == "41":
        try:
            bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"{address!r} is not a TRON address") from None
        return text.lower()
    if len(text) == 44 and text[:4].lower() == "0x41":
        return to_hex41(text[2:])
    try:
        payload = b58check_decode(text)
    except ValueError as exc:
        raise ValueError(f"{address!r} is not a TRON address ({exc})") from None
    if len(payload) != 21 or payload[0] != VERSION:
        raise ValueError(f"{address!r} is not a TRON address (version 0x41, 20 bytes)")
    return payload.hex()


def to_base58(address: str | bytes) -> str:
    """The ``T…`` form of a 41-hex address or of the 20 account bytes."""
    if isinstance(address, bytes):
        if len(address) != 20:
            raise ValueError("a TRON account is 20 bytes")
        return b58check_encode(bytes([VERSION]) + address)
    return b58check_encode(bytes.fromhex(to_hex41(address)))


def account20(address: str) -> bytes:
    """The 20 bytes the TVM sees (an ABI ``address`` word drops the 0x41 prefix)."""
    return bytes.fromhex(to_hex41(address)[2:])


# ------------------------------------------------------------------------------------------ ABI

def balance_of_parameter(holder: str) -> str:
    """The ``parameter`` of ``triggerconstantcontract`` for ``balanceOf(address)``: one 32-byte word."""
    return "0" * 24 + account20(holder).hex()


def balance_of_data(holder: str) -> bytes:
    """Full calldata (selector + word) of ``balanceOf(holder)``, for a call inside the multicall."""
    return bytes.fromhex(SEL_BALANCE_OF + balance_of_parameter(holder))


def get_balance_data(holder: str) -> bytes:
    """Calldata of the multicall's own ``getEthBalance(holder)``: the account's liquid TRX in sun."""
    return bytes.fromhex(SEL_GET_ETH_BALANCE + balance_of_parameter(holder))


def encode_aggregate(calls: list[tuple[str, bytes]]) -> str:
    """The ``parameter`` (no selector) of ``aggregate((address,bytes)[])``; calls are (target, calldata).

    Layout: offset(0x20) | n | n tuple offsets | tuples, each target word | 0x40 | len | data padded.
    """
    n = len(calls)
    heads: list[str] = []
    tails: list[str] = []
    offset = n * 32
    for target, data in calls:
        padded = data.hex() + "00" * ((-len(data)) % 32)
        tail = "0" * 24 + account20(target).hex() + f"{0x40:064x}" + f"{len(data):064x}" + padded
        heads.append(f"{offset:064x}")
        tails.append(tail)
        offset += len(tail) // 2
    return f"{0x20:064x}" + f"{n:064x}" + "".join(heads) + "".join(tails)


def decode_aggregate(result: str, n: int) -> tuple[int, list[bytes]]:
    """``(blockNumber, returnData[])`` of ``aggregate``, bounds-checked against the answer's length."""
    try:
        b = bytes.fromhex(result)
    except (TypeError, ValueError):
        raise CodecError("aggregate answer is not hex") from None
    if not b:
        raise CodecError("aggregate returned no data (no multicall contract at that address?)")

    def word(pos: int) -> int:
        if pos < 0 or pos + 32 > len(b):
            raise CodecError("aggregate answer is truncated")
        return int.from_bytes(b[pos : pos + 32], "big")

    block = word(0)
    base = word(32)
    count = word(base)
    if count != n:
        raise CodecError(f"aggregate returned {count} results for {n} calls")
    start = base + 32
    out: list[bytes] = []
    for i in range(n):
        d = start + word(start + 32 * i)
        length = word(d)
        if d + 32 + length > len(b):
            raise CodecError("aggregate returnData runs past the answer")
        out.append(b[d + 32 : d + 32 + length])
    return block, out


def decode_uint256(data: bytes | str) -> int:
    """One ``uint256`` return; empty or short data is an error (not a TRC-20 / no contract), never 0."""
    raw = bytes.fromhex(data) if isinstance(data, str) else data
    if not raw:
        raise CodecError("balanceOf returned no data (no contract at this address, or not a TRC-20)")
    if len(raw) < 32:
        raise CodecError(f"balanceOf returned {len(raw)} bytes, fewer than 32")
    return int.from_bytes(raw[:32], "big")


def revert_reason(data: bytes) -> str:
    """The text of a Solidity ``Error(string)`` revert, or a short hex of other revert data."""
    if data[:4] == bytes.fromhex("08c379a0") and len(data) >= 68:
        length = int.from_bytes(data[36:68], "big")
        text = data[68 : 68 + length].decode("utf-8", "replace")
        return text
    return data[:32].hex() if data else ""


# ------------------------------------------------------------------------------------------ answers

def tron_error(body: Any) -> str | None:
    """The node's error text when an HTTP 200 answer is java-tron's ``{"Error": "class …: …"}``."""
    if isinstance(body, dict) and isinstance(body.get("Error"), str):
        return body["Error"]
    return None


@dataclass(frozen=True, slots=True)
class BlockRef:
    number: int
    hash: str  # blockID, 64 hex
    timestamp: int  # ms


def parse_block(body: Any) -> BlockRef | None:
    """``getblockbynum`` / ``getnowblock``: None for ``{}`` (no such block); CodecError for anything else."""
    if body == {}:
        return None
    err = tron_error(body)
    if err:
        raise CodecError(err)
    try:
        raw = body["block_header"]["raw_data"]
        number = int(raw.get("number", 0))
        ts = int(raw["timestamp"])
        block_id = body["blockID"]
    except (KeyError, TypeError, ValueError):
        raise CodecError("block answer lacks blockID / block_header.raw_data") from None
    if not isinstance(block_id, str) or len(block_id) != 64 or int(block_id[:16], 16) != number:
        raise CodecError(f"blockID {block_id!r} does not name block {number}")
    return BlockRef(number, block_id, ts)


@dataclass(frozen=True, slots=True)
class AccountState:
    exists: bool
    balance: int  # liquid sun (staked TRX is in frozenV2, not here)
    create_time: int | None  # ms


def parse_account(body: Any) -> AccountState:
    """``getaccount``: ``{}`` = no such account (balance 0, and the caller says so)."""
    if body == {}:
        return AccountState(False, 0, None)
    err = tron_error(body)
    if err:
        raise CodecError(err)
    if not isinstance(body, dict) or "address" not in body:
        raise CodecError("getaccount answer has no address")
    return AccountState(True, _int_field(body, "balance"), body.get("create_time"))


def parse_account_balance(body: Any) -> tuple[int, int]:
    """``getaccountbalance``: (sun, number of the block the answer names: the last change at or before the one asked)."""
    err = tron_error(body)
    if err:
        raise CodecError(err)
    if not isinstance(body, dict) or not isinstance(body.get("block_identifier"), dict):
        raise CodecError("getaccountbalance answer has no block_identifier")
    number = body["block_identifier"].get("number", 0)
    if not isinstance(number, int):
        raise CodecError("getaccountbalance block_identifier.number is not an integer")
    return _int_field(body, "balance"), number


@dataclass(frozen=True, slots=True)
class ConstantCall:
    ok: bool
    data: bytes  # constant_result[0]
    error: str = ""  # revert reason or the node's refusal


def parse_constant_call(body: Any) -> ConstantCall:
    """``triggerconstantcontract``: success with data, a revert (TVM ``REVERT``), or a refusal.

    A revert answers ``result.message = "REVERT opcode executed"`` and ``transaction.ret[0].ret =
    "FAILED"``, with the revert data in ``constant_result``; a refusal (no contract, bad parameter)
    answers ``result.code`` such as ``CONTRACT_VALIDATE_ERROR`` with a message.
    """
    err = tron_error(body)
    if err:
        return ConstantCall(False, b"", err)
    if not isinstance(body, dict) or not isinstance(body.get("result"), dict):
        raise CodecError("triggerconstantcontract answer has no result object")
    result = body["result"]
    try:
        data = bytes.fromhex((body.get("constant_result") or [""])[0])
    except (TypeError, ValueError):
        raise CodecError("constant_result is not hex") from None
    rets = ((body.get("transaction") or {}).get("ret") or [{}])
    failed = any(isinstance(r, dict) and r.get("ret") == "FAILED" for r in rets)
    message = str(result.get("message", ""))
    if failed or "REVERT" in message.upper():
        reason = revert_reason(data)
        return ConstantCall(False, data, f"reverted ({message or 'FAILED'}{': ' + reason if reason else ''})")
    if result.get("code") and result.get("code") != "SUCCESS" or result.get("result") is not True:
        return ConstantCall(False, b"", f"{result.get('code', 'refused')}: {message}".strip(": "))
    return ConstantCall(True, data)


@dataclass(frozen=True, slots=True)
class Transfer:
    txid: str
    timestamp: int  # block_timestamp, ms
    sender: str
    recipient: str
    value: int


def parse_trc20_page(body: Any, contract: str) -> tuple[list[Transfer], str]:
    """One TronGrid ``/v1/accounts/{a}/transactions/trc20`` page: (Transfer rows of ``contract``, next fingerprint or "").

    Rows of other types (``Approval``) or other tokens are skipped; values are decimal strings
    (parsed as exact integers, never floats).
    """
    err = tron_error(body)
    if err:
        raise CodecError(err)
    if not isinstance(body, dict) or body.get("success") is not True or not isinstance(body.get("data"), list):
        raise CodecError(f"TronGrid answer is not a success page: {str(body)[:200]}")
    want = to_hex41(contract)
    out: list[Transfer] = []
    for row in body["data"]:
        try:
            if row.get("type", "Transfer") != "Transfer":
                continue
            if to_hex41(row["token_info"]["address"]) != want:
                continue
            value = row["value"]
            if isinstance(value, float):
                raise CodecError("TronGrid value is a float: refusing a rounded amount")
            amount = int(Decimal(str(value)))
            if amount < 0 or Decimal(str(value)) != amount:
                raise CodecError(f"TronGrid value {value!r} is not a base-unit integer")
            out.append(Transfer(str(row["transaction_id"]), int(row["block_timestamp"]), to_hex41(row["from"]), to_hex41(row["to"]), amount))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, CodecError):
                raise
            raise CodecError(f"TronGrid row is malformed ({type(exc).__name__}: {exc})") from None
    meta = body.get("meta") or {}
    fingerprint = meta.get("fingerprint") or ""
    return out, str(fingerprint)


def parse_latest_events(body: Any) -> int:
    """TronGrid ``/v1/blocks/latest/events?only_confirmed=true``: the block its confirmed index has reached (-1 if none)."""
    err = tron_error(body)
    if err:
        raise CodecError(err)
    if not isinstance(body, dict) or body.get("success") is not True or not isinstance(body.get("data"), list):
        raise CodecError(f"TronGrid answer is not a success page: {str(body)[:200]}")
    numbers = [row.get("block_number") for row in body["data"] if isinstance(row, dict)]
    if any(not isinstance(n, int) or isinstance(n, bool) for n in numbers):
        raise CodecError("TronGrid event row without an integer block_number")
    return max(numbers, default=-1)


def net_inflow(transfers: list[Transfer], account: str) -> int:
    """Received minus sent by ``account`` over the transfers (a transfer to oneself nets 0)."""
    me = to_hex41(account)
    total = 0
    for t in transfers:
        if t.recipient == me:
            total += t.value
        if t.sender == me:
            total -= t.value
    return total


def _int_field(body: dict[str, Any], key: str) -> int:
    value = body.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CodecError(f"{key} is not an integer: {value!r}")
    return value


# ------------------------------------------------------------------------------------------ contract events

# Tether's TetherToken (Ethereum ``TetherToken.sol``, the same contract on TRON as USDT-TRC20) changes
# balances without a ``Transfer``: ``issue``/``redeem`` credit/debit ``owner`` and emit ``Issue(uint256)`` /
# ``Redeem(uint256)`` (no address argument), ``destroyBlackFunds`` zeroes a holder and emits
# ``DestroyedBlackFunds(address,uint256)``. ``Deprecate(address)`` hands every balance over to another
# contract (``balanceOf`` forwards there), so no replay across it is valid for anyone.
OWNER_EVENTS = frozenset({"Issue", "Redeem"})
CONTRACT_WIDE_EVENTS = frozenset({"Deprecate"})
# Events that name a holder but do not move its balance (blacklisting only freezes it; Transfer is replayed).
HARMLESS_EVENTS = frozenset({"Transfer", "Approval", "AddedBlackList", "RemovedBlackList"})


@dataclass(frozen=True, slots=True)
class ContractEvent:
    txid: str
    block: int
    timestamp: int  # block_timestamp, ms
    name: str
    args: tuple[tuple[str, str], ...]  # (argument name or position, value as TronGrid wrote it)
    types: tuple[tuple[str, str], ...] = ()  # result_type: (argument name, solidity type)
    addresses: frozenset[str] | None = None  # event_addresses(), computed once when parsed


def moves_no_balance(event: ContractEvent) -> bool:
    """True for events that never stand for a balance change the replay misses (Transfer is replayed itself).

    The scan keeps only the others, so thousands of holders are checked against a handful of events.
    """
    return event.name in HARMLESS_EVENTS


def parse_abi_events(body: Any) -> list[str] | None:
    """The event names a ``/wallet/getcontract`` answer's on-chain ABI declares, or None when it cannot list them.

    java-tron keeps a contract's ABI beside its code (``abi.entrys``, ``type: "Event"``); a deployer may leave
    it empty or clear it (``ClearABIContract``). An ABI without a ``Transfer`` event is not a TRC-20's whole
    ABI either: None, and the caller scans every event instead of trusting the list.
    """
    err = tron_error(body)
    if err:
        raise CodecError(err)
    if not isinstance(body, dict):
        raise CodecError(f"getcontract answer is not an object: {str(body)[:200]}")
    entries = (body.get("abi") or {}).get("entrys") if isinstance(body.get("abi") or {}, dict) else None
    if not isinstance(entries, list):
        return None
    names = [str(e["name"]) for e in entries if isinstance(e, dict) and str(e.get("type", "")).lower() == "event" and e.get("name")]
    return list(dict.fromkeys(names)) if "Transfer" in names else None


def parse_events_page(body: Any) -> tuple[list[ContractEvent], str]:
    """One TronGrid ``/v1/contracts/{c}/events`` page: (events, next fingerprint or "").

    ``result`` holds every argument twice, by position (``"0"``) and by name (``"_balance"``);
    both are kept, so a check on "any argument" sees each value whatever the ABI called it.
    """
    err = tron_error(body)
    if err:
        raise CodecError(err)
    if not isinstance(body, dict) or body.get("success") is not True or not isinstance(body.get("data"), list):
        raise CodecError(f"TronGrid answer is not a success page: {str(body)[:200]}")
    out: list[ContractEvent] = []
    for row in body["data"]:
        try:
            result = row.get("result") or {}
            types = row.get("result_type") or {}
            if not isinstance(result, dict) or not isinstance(types, dict):
                raise TypeError("result is not an object")
            number, ts = row["block_number"], row["block_timestamp"]
            if any(isinstance(v, bool) or not isinstance(v, int) for v in (number, ts)):
                raise TypeError("block_number/block_timestamp are not integers")
            event = ContractEvent(
                str(row["transaction_id"]), number, ts, str(row["event_name"]),
                tuple((str(k), str(v)) for k, v in result.items()), tuple((str(k), str(v)) for k, v in types.items()),
            )
            out.append(event if moves_no_balance(event) else replace(event, addresses=frozenset(event_addresses(event))))
        except (KeyError, TypeError, AttributeError) as exc:
            raise CodecError(f"TronGrid event row is malformed ({type(exc).__name__}: {exc})") from None
    meta = body.get("meta") or {}
    return out, str(meta.get("fingerprint") or "")


def _as_address(value: str) -> str | None:
    """An event argument as 41-hex if it is an address in any form TronGrid writes (0x + 40 hex, 41 + 40 hex, T…)."""
    text = value.strip()
    if len(text) == 42 and text[:2].lower() == "0x":
        try:
            bytes.fromhex(text[2:])
        except ValueError:
            return None
        return "41" + text[2:].lower()
    if len(text) in (42, 44) or (len(text) == 34 and text[:1] == "T"):
        try:
            return to_hex41(text)
        except ValueError:
            return None
    return None


def event_addresses(event: ContractEvent) -> set[str]:
    """Every argument of the event that reads as an address (41-hex).

    Where ``result_type`` declares an argument (by name, or by position in declaration order) as a
    non-address type, it is skipped: a 42-digit decimal amount is not an address. An argument without
    a declared type is read as an address if it looks like one (a false match costs an error row, never a value).
    """
    if event.addresses is not None:
        return set(event.addresses)
    declared = dict(event.types)
    order = list(declared.values())
    found: set[str] = set()
    for key, value in event.args:
        kind = declared.get(key)
        if kind is None and key.isdigit() and int(key) < len(order):
            kind = order[int(key)]
        if kind is not None and kind != "address":
            continue
        a = _as_address(value)
        if a is not None:
            found.add(a)
    return found


def balance_event_reason(event: ContractEvent, holder: str, owner: str | None) -> str:
    """Why ``event`` may have changed ``holder``'s balance without a Transfer ("" when it cannot have).

    ``owner`` is the token's ``owner()`` (41-hex), ``None`` when it could not be read: then an
    Issue/Redeem could be anyone's and counts against every holder. Unknown events count when an
    argument names the holder (conservative: a rename of ``DestroyedBlackFunds`` is still caught).
    """
    where = f"{event.name} in transaction {event.txid} (block {event.block:,})"
    if event.name in CONTRACT_WIDE_EVENTS:
        return f"{where} moved every balance of the token"
    if event.name in OWNER_EVENTS:
        if owner is None:
            return f"{where} changed the owner's balance, and the token's owner() could not be read"
        return f"{where} changed the owner's balance" if owner == holder else ""
    if event.name in HARMLESS_EVENTS:
        return ""
    return f"{where} names the holder and may have changed its balance" if holder in event_addresses(event) else ""


def transfer_of_event(event: ContractEvent) -> Transfer:
    """A ``Transfer(address,address,uint256)`` row of ``/v1/contracts/{c}/events`` as the Transfer the per-holder
    history (``/v1/accounts/{a}/transactions/trc20``) lists for it, so both replay paths undo the same rows.

    Read by position (``"0"``, ``"1"``, ``"2"``): TronGrid writes every argument by position and by name, and the
    names differ between tokens (TetherToken ``from``/``to``/``value``, OpenZeppelin-era ``_from``/``_to``/``_value``).
    """
    args = dict(event.args)
    try:
        frm, to, value = args["0"], args["1"], args["2"]
    except KeyError:
        raise CodecError(f"Transfer event in transaction {event.txid} lacks a positional argument") from None
    sender, recipient = _as_address(frm), _as_address(to)
    if sender is None or recipient is None:
        raise CodecError(f"Transfer event in transaction {event.txid} has a non-address party ({frm!r}, {to!r})")
    if not value.isdigit():
        raise CodecError(f"Transfer event in transaction {event.txid} has value {value!r}, not a base-unit integer")
    return Transfer(event.txid, event.timestamp, sender, recipient, int(value))


def decode_address_word(data: bytes | str) -> str:
    """An ABI ``address`` return word (``owner()``) as 41-hex; the top 12 bytes must be zero."""
    raw = bytes.fromhex(data) if isinstance(data, str) else data
    if len(raw) != 32 or any(raw[:12]):
        raise CodecError(f"not an ABI address word: {raw.hex()[:80]}")
    return "41" + raw[12:].hex()
