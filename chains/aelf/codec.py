"""Pure aelf codecs: addresses (and a key's, address type ELF under OKX's framed ECDSA), the protobuf ``Transaction`` for a read-only call, ``GetBalance`` in and out.

Field numbers from aelf's ``types.proto`` (as shipped in aelf-sdk): ``Transaction`` = from_address 1,
to_address 2, ref_block_number 3 (int64), ref_block_prefix 4, method_name 5, params 6, signature 10000;
``Address``/``Hash`` = value 1; ``GetBalanceInput`` = symbol 1, owner 2; ``GetBalanceOutput`` = symbol 1,
owner 2, balance 3 (int64). The tests check these bytes against the protobuf library.
"""

from __future__ import annotations

import hashlib
import re

from chains.common.encoding import b58check_decode, b58check_encode
from chains.common.links import EXACT, derived_codec


# A chain id as text: 3 bytes in plain base58, 4 characters (AElfProject/AElf src/AElf.Types/Helper/ChainHelper.cs:
# ConvertChainIdToBase58); "AELF" is the main chain, "tDVV" and "tDVW" side chains.
_CHAIN_ID = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{4}$")


def parse_address(text: str) -> tuple[bytes, str | None]:
    """An aelf address and the chain it names: ``ELF_<base58check>_tDVV`` → (32 bytes, "tDVV").

    The formatted form is ``<primary token symbol>_<base58check>_<ChainId>`` (AElfProject/aelf-sdk.py
    ``src/aelf/client.py``, ``get_formatted_address``); ``<base58check>_<ChainId>`` names the chain too; a bare
    ``<base58check>`` (or ``ELF_<base58check>``) names none. The same 32 bytes are a different account on each
    chain, so the chain is part of the address.
    """
    parts = text.strip().split("_")
    chain: str | None = None
    if len(parts) == 3:
        core, chain = parts[1], parts[2]
    elif len(parts) == 2 and len(parts[1]) < len(parts[0]):
        core, chain = parts
    elif len(parts) == 2:
        core = parts[1]  # a symbol prefix without a chain
    elif len(parts) == 1:
        core = parts[0]
    else:
        raise ValueError(f"{text!r} is not an aelf address")
    if chain is not None and not _CHAIN_ID.match(chain):
        raise ValueError(f"{text!r} ends in {chain!r}, not a 4-character aelf chain id")
    raw = b58check_decode(core)
    if len(raw) != 32:
        raise ValueError(f"aelf address decodes to {len(raw)} bytes, not 32")
    return raw, chain


def is_chain_id(text: str) -> bool:
    return bool(_CHAIN_ID.match(text))


def address_bytes(text: str) -> bytes:
    """``ELF_<base58check>_AELF``, ``<base58check>_tDVV`` or bare base58check → the 32-byte address."""
    return parse_address(text)[0]


def address_text(raw: bytes) -> str:
    return b58check_encode(raw)


def address_of_pubkey(uncompressed: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(uncompressed).digest()).digest()


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64  # int64 negatives are ten-byte varints
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, wire: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire) + payload


def _bytes_field(number: int, value: bytes) -> bytes:
    return _field(number, 2, _varint(len(value)) + value) if value else b""


def _message(value: bytes) -> bytes:
    """An ``Address``/``Hash`` sub-message: ``{value = 1}``."""
    return _bytes_field(1, value)


def get_balance_input(symbol: str, owner: bytes) -> bytes:
    return _bytes_field(1, symbol.encode()) + _field(2, 2, _varint(len(_message(owner))) + _message(owner))


def transaction(sender: bytes, to: bytes, ref_block_number: int, ref_block_prefix: bytes, method: str, params: bytes, signature: bytes = b"") -> bytes:
    body = (
        _field(1, 2, _varint(len(_message(sender))) + _message(sender))
        + _field(2, 2, _varint(len(_message(to))) + _message(to))
        + (_field(3, 0, _varint(ref_block_number)) if ref_block_number else b"")
        + _bytes_field(4, ref_block_prefix)
        + _bytes_field(5, method.encode())
        + _bytes_field(6, params)
    )
    return body + _bytes_field(10000, signature)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated or overlong varint")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def fields(data: bytes) -> dict[int, bytes | int]:
    """A flat protobuf message: field number → varint value or length-delimited bytes (strict: no truncation)."""
    out: dict[int, bytes | int] = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            out[number], pos = _read_varint(data, pos)
        elif wire == 2:
            size, pos = _read_varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated length-delimited field")
            out[number], pos = data[pos : pos + size], pos + size
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return out


def decode_get_balance_output(data: bytes, symbol: str, owner: bytes) -> int:
    """The ``balance`` of a ``GetBalanceOutput`` that echoes the requested symbol and owner (int64; absent = 0 in proto3)."""
    f = fields(data)
    if f.get(1) != symbol.encode():
        raise ValueError(f"GetBalance answered for symbol {f.get(1)!r}, not {symbol}")
    echoed = f.get(2)
    if not isinstance(echoed, bytes) or fields(echoed).get(1) != owner:
        raise ValueError("GetBalance answered for another owner")
    balance = f.get(3, 0)
    if not isinstance(balance, int) or balance >= 1 << 63:
        raise ValueError(f"GetBalance balance is not a non-negative int64: {balance!r}")
    return balance


def key_address(pub: bytes) -> str:
    """The address of a 65-byte uncompressed key as text: base58check(sha256d(key)), case-sensitive."""
    return address_text(address_of_pubkey(pub))


ADDRESS = derived_codec(key_address, EXACT)
