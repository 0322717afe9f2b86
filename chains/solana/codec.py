"""Pure Solana codecs: an account's address from its ed25519 key, and decoders of addresses, SPL Token / Token-2022 accounts, transaction-meta balances.

Why hand-written: each is a few lines over a fixed layout, the fetch hot path decodes tens of
thousands of accounts, and the tests cross-check every function against ``solders`` (the Rust
SDK's own types) on the same bytes. No network access here; ``fetch.py`` does the I/O.

Layouts (spl-token ``state.rs``, spl-token-2022 ``extension/mod.rs``):

* token account, 165 bytes: mint 0..32, owner 32..64, amount u64 LE 64..72, delegate
  COption 72..108, state u8 at 108 (0 uninitialized, 1 initialized, 2 frozen), is_native COption
  109..121, delegated_amount 121..129, close_authority COption 129..165;
* Token-2022 adds, only when extensions exist, one AccountType byte at 165 (1 = mint, 2 = account)
  followed by TLV entries (u16 LE type, u16 LE length, value). A Token-2022 mint with extensions
  is padded to 165 bytes before its AccountType byte, so the length alone never tells the two
  apart: the AccountType byte does.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chains.common.encoding import b58decode, b58encode
from chains.common.links import VERIFIED, okx_go_candidates
from indexer.plugins import ED25519, AddressCodec, AddressLink

TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
TOKEN_PROGRAMS = (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)
SYSTEM_PROGRAM = "11111111111111111111111111111111"

TOKEN_ACCOUNT_LEN = 165
MINT_LEN = 82  # spl-token state.rs: Mint::LEN (a Token-2022 mint with extensions is longer)
_ACCOUNT_TYPE_ACCOUNT = 2
_STATE_UNINITIALIZED = 0


@lru_cache(maxsize=1 << 17)
def pubkey_bytes(text: str) -> bytes:
    """The 32 bytes of a base58 address; ValueError unless it is exactly the canonical text of 32 bytes.
    Cached: a run checks the same owners and mints many times, and base58 is big-integer arithmetic."""
    raw = b58decode(text)
    if len(raw) != 32:
        raise ValueError(f"a Solana address is 32 bytes, {text!r} decodes to {len(raw)}")
    if b58encode(raw) != text:
        raise ValueError(f"{text!r} is not the canonical base58 text of its bytes")
    return raw


def is_address(text: str) -> bool:
    try:
        pubkey_bytes(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class TokenAccount:
    """The fields of an SPL token account that a balance needs."""

    mint: str
    owner: str
    amount: int
    state: int  # 1 initialized, 2 frozen
    extensions: tuple[int, ...] = ()  # Token-2022 extension type ids, in TLV order


def decode_token_account(data: bytes) -> TokenAccount:
    """Decode Token or Token-2022 account bytes; ValueError for anything that is not an initialized account.

    Token-2022 extensions are walked (type ids returned) so that a mint or a malformed TLV area is
    refused rather than read as an account.
    """
    mint, owner, amount, state, extensions = token_account_fields(data)
    return TokenAccount(mint=b58encode(mint), owner=b58encode(owner), amount=amount, state=state, extensions=extensions)


def token_account_fields(data: bytes) -> tuple[bytes, bytes, int, int, tuple[int, ...]]:
    """(mint bytes, owner bytes, amount, state, extension ids) of token account bytes, checked as
    :func:`decode_token_account` checks them, without base58 text (the hot path compares bytes)."""
    n = len(data)
    if n < TOKEN_ACCOUNT_LEN:
        raise ValueError(f"token account data is {n} bytes, at least {TOKEN_ACCOUNT_LEN} expected")
    extensions: tuple[int, ...] = ()
    if n > TOKEN_ACCOUNT_LEN:
        if data[TOKEN_ACCOUNT_LEN] != _ACCOUNT_TYPE_ACCOUNT:
            raise ValueError(f"Token-2022 account type byte is {data[TOKEN_ACCOUNT_LEN]}, not 2 (account)")
        extensions = tuple(_tlv_types(data, TOKEN_ACCOUNT_LEN + 1))
    state = data[108]
    if state == _STATE_UNINITIALIZED or state > 2:
        raise ValueError(f"token account state {state} is not initialized/frozen")
    return data[0:32], data[32:64], int.from_bytes(data[64:72], "little"), state, extensions


def _tlv_types(data: bytes, start: int) -> Iterable[int]:
    i = start
    n = len(data)
    while i + 4 <= n:
        ext_type = int.from_bytes(data[i : i + 2], "little")
        length = int.from_bytes(data[i + 2 : i + 4], "little")
        if ext_type == 0:  # Uninitialized: the rest is zero padding
            return
        if i + 4 + length > n:
            raise ValueError(f"Token-2022 extension {ext_type} runs past the end of the account ({i + 4 + length} > {n})")
        yield ext_type
        i += 4 + length
    if i != n and any(data[i:]):
        raise ValueError("Token-2022 extension area ends in a partial TLV header")


def account_data(account: Mapping[str, Any]) -> bytes:
    """The raw bytes of an RPC account object requested with ``"encoding": "base64"``."""
    data = account.get("data")
    if isinstance(data, list) and len(data) == 2 and data[1] == "base64":
        return base64.b64decode(data[0], validate=True)
    raise ValueError(f"account data is not base64-encoded: {str(data)[:60]}")


# --------------------------------------------------------------------------- transaction metadata


def message_keys(tx: Mapping[str, Any]) -> list[str]:
    """All account addresses of a ``getTransaction`` (encoding ``json``) answer, in the order
    ``meta.preBalances``/``postBalances`` and ``accountIndex`` use: the message's static keys, then
    the addresses loaded from lookup tables (writable, then readonly)."""
    message = tx["transaction"]["message"]
    keys = [k if isinstance(k, str) else k["pubkey"] for k in message["accountKeys"]]
    loaded = (tx.get("meta") or {}).get("loadedAddresses") or {}
    return keys + list(loaded.get("writable") or []) + list(loaded.get("readonly") or [])


def lamports_in(tx: Mapping[str, Any], address: str, *, post: bool = True) -> int | None:
    """The address's lamports after (``post``) or before the transaction; None if it is not one of its accounts."""
    meta = tx.get("meta")
    if not meta:
        raise ValueError("transaction has no status metadata")
    keys = message_keys(tx)
    balances = meta["postBalances" if post else "preBalances"]
    if len(balances) != len(keys):
        raise ValueError(f"{len(balances)} balances for {len(keys)} account keys")
    try:
        i = keys.index(address)
    except ValueError:
        return None
    return int(balances[i])


@dataclass(frozen=True, slots=True)
class TokenBalance:
    """One ``pre/postTokenBalances`` entry with its account resolved to an address."""

    account: str
    mint: str
    owner: str  # "" when the node's metadata predates the owner field
    amount: int


def token_balances(tx: Mapping[str, Any], *, post: bool = True) -> list[TokenBalance]:
    """The token balances recorded in a transaction's metadata (amounts as exact integers from the
    ``uiTokenAmount.amount`` string; the float ``uiAmount`` is never read)."""
    meta = tx.get("meta")
    if not meta:
        raise ValueError("transaction has no status metadata")
    entries = meta.get("postTokenBalances" if post else "preTokenBalances")
    if entries is None:
        raise ValueError("transaction metadata has no token balances (node too old to record them)")
    keys = message_keys(tx)
    out = []
    for e in entries:
        idx = int(e["accountIndex"])
        if not 0 <= idx < len(keys):
            raise ValueError(f"token balance accountIndex {idx} outside the {len(keys)} account keys")
        amount = e["uiTokenAmount"]["amount"]
        if not isinstance(amount, str) or not amount.isdigit():
            raise ValueError(f"token amount {amount!r} is not a decimal integer string")
        out.append(TokenBalance(account=keys[idx], mint=e["mint"], owner=e.get("owner") or "", amount=int(amount)))
    return out


def token_amount_in(tx: Mapping[str, Any], account: str, *, post: bool = True) -> TokenBalance | None:
    """The token balance entry of ``account`` after (or before) the transaction; None when the
    metadata has none (the account was not an initialized token account at that point)."""
    for tb in token_balances(tx, post=post):
        if tb.account == account:
            return tb
    return None


# --- the address of a key (address type SOL) ---------------------------------------------------------------
def check_address(claimed: str, pub: bytes) -> AddressLink:
    """A system account's address is its ed25519 key in base58; base58 is case-sensitive, so the text must match."""
    if claimed == b58encode(pub):
        return VERIFIED
    return "failed", "address is not base58(public key)"


ADDRESS = AddressCodec(
    ED25519, check_address, address=b58encode, variants={"okx-go": okx_go_candidates(lambda pub: [b58encode(pub)])}
)
