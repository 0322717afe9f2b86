"""Algorand: scheme ``algorand-raw-message`` (ed25519 over the message's bytes by the key the address encodes) and
the address codec (type ALGO) of OKX's framed ed25519 rows.

No balance adapter yet.
"""

from __future__ import annotations

from chains.algorand.codec import ADDRESS, address, check_address, decode
from chains.common.raw_ed25519 import verify_raw
from indexer.models import Coin, SignedRow, Verdict
from indexer.plugins import ChainPlugin, SignatureScheme


def verify_raw_message(row: SignedRow, coin: Coin) -> Verdict:
    """The key is the address's first 32 bytes (base32 of key ‖ SHA-512/256 checksum; HTX's ``src/sdk/algo.js``)."""
    pub = decode(row.address)
    if pub is None or address(pub) != row.address:
        return Verdict("failed", "address is not an Algorand address (base32 of key ‖ checksum)")
    return verify_raw(row, pub, check_address)


plugin = ChainPlugin(
    name="algorand", schemes=(SignatureScheme("algorand-raw-message", verify_raw_message),), address_codecs={"ALGO": ADDRESS}
)
