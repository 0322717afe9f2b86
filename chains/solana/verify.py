"""Scheme ``solana-raw-message``: ed25519 over the message's UTF-8 bytes by the key the address is (base58)."""

from __future__ import annotations

from chains.common.encoding import b58decode, b58encode
from chains.common.raw_ed25519 import verify_raw
from indexer.models import Coin, SignedRow, Verdict


def verify_raw_message(row: SignedRow, coin: Coin) -> Verdict:
    """The address is base58 of the 32-byte key (HTX's checker, ``src/sdk/sol.js``)."""
    try:
        pub = b58decode(row.address)
    except ValueError:
        pub = b""
    if len(pub) != 32 or b58encode(pub) != row.address:
        return Verdict("failed", "address is not base58 of a 32-byte ed25519 key")
    return verify_raw(row, pub, "SOL")
