"""ed25519 over a message's own UTF-8 bytes (no framing, no hashing), then the key -> address link.

Why here: wallets of several chains (Solana's ``signMessage``, Algorand's ``signBytes`` as HTX's checker
uses it) sign the bare message; only how the address encodes the key differs, and that lives in each
chain's address codec (``chains.solana.codec``, ``chains.algorand.codec``).
"""

from __future__ import annotations

import base64
import binascii

from chains.common.framed_ed25519 import libsodium_verify
from indexer.models import SignedRow, Verdict
from indexer.plugins import AddressCheck


def verify_raw(row: SignedRow, pub: bytes, link: AddressCheck) -> Verdict:
    """Base64 signature of the message's bytes by ``pub``, then the chain's strict ``link`` of the key to the address."""
    try:
        sig = base64.b64decode(row.signature1, validate=True)
    except (binascii.Error, ValueError):
        return Verdict("failed", "signature is not valid base64")
    if len(sig) != 64:
        return Verdict("failed", f"signature is {len(sig)} bytes, expected 64")
    if not libsodium_verify(pub, row.message.encode(), sig):
        return Verdict("failed", "ed25519 signature does not verify")
    status, reason = link(row.address, pub)
    return Verdict(status, reason)  # type: ignore[arg-type]
