"""Filecoin address strings for secp256k1 keys (f1) and delegated Ethereum accounts (f410f / f0).

Both the OKX-ECDSA verifier (``FIL``: f1) and the EVM verifier (``FIL-EVM``: f410f)
print a key this way, so the codec lives here once.
"""

from __future__ import annotations

from chains.common.encoding import base32_nopad
from chains.common.hashes import blake2b

_MASKED_ID_PREFIX = b"\xff" + b"\0" * 11


def f1_address(uncompressed: bytes) -> str:
    """Protocol-1 address: payload = blake2b-160 of the whole 65-byte key, checksum blake2b-32."""
    payload = blake2b(uncompressed, 20)
    return "f1" + base32_nopad(payload + blake2b(b"\x01" + payload, 4))


def f4_eth_address(account: bytes) -> str:
    """Delegated (f410f) form of a 20-byte Ethereum account; a masked-ID account becomes ``f0<id>``."""
    if account[:12] == _MASKED_ID_PREFIX:
        return "f0" + str(int.from_bytes(account[12:], "big"))
    return "f410f" + base32_nopad(account + blake2b(b"\x04\x0a" + account, 4))
