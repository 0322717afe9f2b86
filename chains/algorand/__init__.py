"""Algorand: scheme ``algorand-raw-message`` (ed25519 over the message's bytes by the key the address encodes).

No balance adapter yet; the OKX-framed ed25519 rows of ALGO are the ``okx-framed-ed25519`` scheme's.
"""

from __future__ import annotations

import base64
import binascii

from chains.common.ed25519_addresses import algorand_address
from chains.common.raw_ed25519 import verify_raw
from indexer.models import Coin, SignedRow, Verdict
from indexer.plugins import ChainPlugin, SignatureScheme


def verify_raw_message(row: SignedRow, coin: Coin) -> Verdict:
    """The key is the address's first 32 bytes (base32 of key ‖ SHA-512/256 checksum; HTX's ``src/sdk/algo.js``)."""
    try:
        raw = base64.b32decode(row.address + "=" * (-len(row.address) % 8))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 36 or algorand_address(raw[:32]) != row.address:
        return Verdict("failed", "address is not an Algorand address (base32 of key ‖ checksum)")
    return verify_raw(row, raw[:32], "ALGO")


plugin = ChainPlugin(name="algorand", schemes=(SignatureScheme("algorand-raw-message", verify_raw_message),))
