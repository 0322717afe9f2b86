"""NEAR account ids from an ed25519 key (address type NEAR).

An implicit account is named by the 64 lower-case hex digits of its key; a named account (``alice.near``) is bound
to its access keys by on-chain state, which no row can show.
"""

from __future__ import annotations

import re

from indexer.plugins import ED25519, AddressCodec, AddressLink

_IMPLICIT = re.compile(r"[0-9a-f]{64}")


def check_address(claimed: str, pub: bytes) -> AddressLink:
    if _IMPLICIT.fullmatch(claimed):
        if claimed == pub.hex():
            return "verified", "NEAR implicit account = hex(public key); access keys can change on-chain"
        return "failed", "implicit NEAR account is not hex(public key)"
    return "signature_only", "named NEAR account: its access keys are on-chain state, not derivable from the key"


ADDRESS = AddressCodec(ED25519, check_address, address=bytes.hex)
