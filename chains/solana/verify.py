"""Scheme ``solana-raw-message``: ed25519 over the message's UTF-8 bytes by the key the address is (base58)."""

from __future__ import annotations

import base64

from nacl.signing import SigningKey

from chains.common.encoding import b58decode, b58encode
from chains.common.hashes import sha256
from chains.common.raw_ed25519 import verify_raw
from chains.solana.codec import check_address
from indexer.models import Coin, SignedRow, Verdict


def verify_raw_message(row: SignedRow, coin: Coin) -> Verdict:
    """The address is base58 of the 32-byte key (HTX's checker, ``src/sdk/sol.js``)."""
    try:
        pub = b58decode(row.address)
    except ValueError:
        pub = b""
    if len(pub) != 32 or b58encode(pub) != row.address:
        return Verdict("failed", "address is not base58 of a 32-byte ed25519 key")
    return verify_raw(row, pub, check_address)


def sign_raw_message(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    """A fresh key's row for ``solana-raw-message``: base58 key as the address, base64 signature."""
    sk = SigningKey(sha256(b"solana-raw-message/" + seed))
    return {"address": b58encode(bytes(sk.verify_key)), "signature1": base64.b64encode(sk.sign(message.encode()).signature).decode()}
