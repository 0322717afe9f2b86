"""ed25519 over a message's own UTF-8 bytes (no framing, no hashing), then the key -> address link.

Why here: wallets of several chains (Solana's ``signMessage``, Algorand's ``signBytes`` as HTX's checker
uses it) sign the bare message; only how the address encodes the key differs, and that lives in each
chain's package (``chains.solana``, ``chains.algorand``).
"""

from __future__ import annotations

import base64
import binascii

from chains.common import ed25519_addresses
from chains.common.framed_ed25519 import libsodium_verify
from indexer.models import SignedRow, Verdict


def verify_raw(row: SignedRow, pub: bytes, address_type: str) -> Verdict:
    """Base64 signature of the message's bytes by ``pub``, then the strict ``address_type`` link to the address."""
    try:
        sig = base64.b64decode(row.signature1, validate=True)
    except (binascii.Error, ValueError):
        return Verdict("failed", "signature is not valid base64")
    if len(sig) != 64:
        return Verdict("failed", f"signature is {len(sig)} bytes, expected 64")
    if not libsodium_verify(pub, row.message.encode(), sig):
        return Verdict("failed", "ed25519 signature does not verify")
    status, reason = ed25519_addresses.check(address_type, row.address, pub)
    return Verdict(status, reason)  # type: ignore[arg-type]
