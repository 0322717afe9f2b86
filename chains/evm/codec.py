"""Pure calldata builders and answer decoders for EVM balance reads (no I/O, no eth_abi), and the address codec of
EVM accounts signed under OKX's own header (address type ETH: OKC's ``0x…`` and ``ex1…`` forms).

Why hand-rolled: the hot loop builds and decodes hundreds of thousands of
items; string concatenation and slicing are ~20x faster than a general ABI
library, and every layout here is fixed and small. Each function is checked
against eth_abi in tests/test_evm_fetch.py. Decoders are strict: any answer
that is not exactly the expected shape raises :class:`CodecError` instead of
producing a number.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files

from chains.common.encoding import bech32_encode
from chains.common.ethaddr import account_id, to_checksum
from chains.common.links import EIP55, ONE_CASE, okx_go_derived, signed_by
from indexer.plugins import SECP256K1, AddressCodec, AddressLink

ZERO_ADDRESS = "0x" + "00" * 20
# The BalanceReader is placed here by an eth_call state override (never deployed). The address is
# keccak256("por-indexer BalanceReader")[12:]: no precompile, system contract or deployment sits there.
READER_ADDRESS = "0xf8dd1740ba453a4f9acdc5433b556a889a2e195d"
MULTICALL3_ADDRESS = "0xca11bde05977b3631167028862be2a173976ca11"

SEL_BALANCE_OF = "70a08231"  # balanceOf(address)
SEL_GET_ETH_BALANCE = "4d2301cc"  # getEthBalance(address) on Multicall3
SEL_AGGREGATE3 = "82ad56cb"  # aggregate3((address,bool,bytes)[])

READER_STATUS = {
    1: "balanceOf reverted",
    2: "balanceOf returned fewer than 32 bytes (no data: not an ERC-20 balanceOf)",
    3: "no contract code at the token address",
}

_ADDR = re.compile(r"^0x[0-9a-fA-F]{40}$")
_ZERO_WORD = "0" * 64
_PAD24 = "0" * 24


class CodecError(ValueError):
    """An answer that does not have the exact shape we asked for."""


@cache
def reader_artifact() -> dict[str, object]:
    """The compiled BalanceReader, shipped as package data of ``chains.evm`` (found in a wheel too)."""
    return json.loads((files("chains.evm") / "balance_reader.json").read_text())


def reader_runtime() -> str:
    return str(reader_artifact()["runtime"])


def normalize_address(text: str) -> str:
    """Lower-case 0x address, or ValueError (checksums are not required: the row was signed, not typed)."""
    text = text.strip()
    if not _ADDR.match(text):
        raise ValueError(f"not an EVM address: {text[:60]!r}")
    return text.lower()


def _word_addr(addr: str) -> str:
    return _PAD24 + addr[2:]


def balance_of_data(holder: str) -> str:
    """``balanceOf(holder)`` calldata as 0x-hex; ``holder`` already normalised."""
    return "0x" + SEL_BALANCE_OF + _PAD24 + holder[2:]


def encode_reader_input(items: list[tuple[str, str]]) -> str:
    """BalanceReader input: 40-byte records token||holder (token "" = native), as 0x-hex."""
    return "0x" + "".join((token[2:] if token else "00" * 20) + holder[2:] for token, holder in items)


def decode_reader_output(result: str, n: int) -> list[tuple[int | None, int]]:
    """``n`` (value, status) pairs; value is None unless status == 0."""
    if not isinstance(result, str) or not result.startswith("0x"):
        raise CodecError("BalanceReader answer is not 0x-hex")
    body = result[2:]
    if len(body) != n * 66:
        raise CodecError(f"BalanceReader answer has {len(body) // 2} bytes, expected {n * 33} for {n} items")
    statuses = bytes.fromhex(body[n * 64 :])
    out: list[tuple[int | None, int]] = []
    for i, status in enumerate(statuses):
        out.append((int(body[i * 64 : i * 64 + 64], 16), 0) if status == 0 else (None, status))
    return out


def decode_uint256(result: str) -> int:
    """A single ``uint256`` return (``eth_call`` balanceOf / ``eth_getBalance`` quantity).

    Empty (``0x``) and short answers are errors, never zero.
    """
    if not isinstance(result, str) or not result.startswith("0x"):
        raise CodecError("answer is not 0x-hex")
    body = result[2:]
    if not body:
        raise CodecError("balanceOf returned no data (no contract at this address at this block, or not an ERC-20)")
    if len(body) < 64:
        raise CodecError(f"balanceOf returned {len(body) // 2} bytes, fewer than 32")
    return int(body[:64], 16)


def decode_quantity(result: str) -> int:
    """A JSON-RPC QUANTITY (``eth_getBalance``, ``eth_blockNumber``)."""
    if not isinstance(result, str) or not result.startswith("0x") or len(result) < 3:
        raise CodecError(f"not a JSON-RPC quantity: {str(result)[:40]!r}")
    return int(result, 16)


def encode_aggregate3(calls: list[tuple[str, bool, str]]) -> str:
    """``aggregate3(Call3[])`` calldata; each call is (target, allowFailure, callData 0x-hex).

    Layout: selector | offset(0x20) | n | n tuple offsets | tuples, each
    target | allowFailure | 0x60 | len | data padded to 32 bytes.
    """
    n = len(calls)
    heads: list[str] = []
    tails: list[str] = []
    offset = n * 32
    for target, allow, data in calls:
        raw = data[2:]
        length = len(raw) // 2
        padded = raw + "0" * ((-len(raw)) % 64)
        heads.append(f"{offset:064x}")
        tail = _word_addr(target) + f"{int(allow):064x}" + f"{0x60:064x}" + f"{length:064x}" + padded
        tails.append(tail)
        offset += len(tail) // 2
    return "0x" + SEL_AGGREGATE3 + f"{0x20:064x}" + f"{n:064x}" + "".join(heads) + "".join(tails)


def decode_aggregate3(result: str, n: int) -> list[tuple[bool, str]]:
    """``Result[]`` = (success, returnData) per call, bounds-checked against the answer's length."""
    if not isinstance(result, str) or not result.startswith("0x"):
        raise CodecError("aggregate3 answer is not 0x-hex")
    if result == "0x":
        raise CodecError("aggregate3 returned no data (no Multicall3 code at this block?)")
    try:
        b = bytes.fromhex(result[2:])
    except ValueError:
        raise CodecError("aggregate3 answer is not hex") from None

    def word(pos: int) -> int:
        if pos < 0 or pos + 32 > len(b):
            raise CodecError("aggregate3 answer is truncated")
        return int.from_bytes(b[pos : pos + 32], "big")

    base = word(0)
    count = word(base)
    if count != n:
        raise CodecError(f"aggregate3 returned {count} results for {n} calls")
    start = base + 32
    out: list[tuple[bool, str]] = []
    for i in range(n):
        t = start + word(start + 32 * i)
        success = word(t)
        if success > 1:
            raise CodecError("aggregate3 success flag is not a bool")
        d = t + word(t + 32)
        length = word(d)
        if d + 32 + length > len(b):
            raise CodecError("aggregate3 returnData runs past the answer")
        out.append((bool(success), "0x" + b[d + 32 : d + 32 + length].hex()))
    return out


# --- the address of a key under OKX's framed ECDSA (address type ETH) ----------------------------------------
def okx_framed_address(pub: bytes, claimed: str = "") -> str:
    """The account of a 65-byte key as OKX prints it: OKC's bech32 ``ex1…`` when the claim is in that form, else EIP-55."""
    account = account_id(pub)
    return bech32_encode("ex", account) if claimed[:2] == "ex" else to_checksum(account)


def check_okx_framed(claimed: str, pub: bytes) -> AddressLink:
    derived = okx_framed_address(pub, claimed)
    return signed_by(derived, claimed, EIP55 if derived[:2] == "0x" else ONE_CASE)


OKX_FRAMED_ADDRESS = AddressCodec(
    SECP256K1,
    check_okx_framed,
    address=lambda pub: "0x" + account_id(pub).hex(),
    variants={"okx-go": okx_go_derived(okx_framed_address)},
)
