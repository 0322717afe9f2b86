"""Signed-message header constants and preimages shared by the secp256k1 account families (SPEC §2.1).

The bytes are exact: a header off by one byte changes every digest, so they are
spelled once here and the tests assemble their own copies from the SPEC text.
"""

from __future__ import annotations

from chains.common.encoding import varstr

ETH32 = b"\x19Ethereum Signed Message:\n32"
TRON32 = b"\x19TRON Signed Message:\n32"
TRON_V2_PREFIX = b"\x19TRON Signed Message:\n"
ETH_PREFIX = b"\x19Ethereum Signed Message:\n"  # EIP-191 personal_sign: prefix ‖ decimal length ‖ message
OKX = b"OKX Signed Message:\n"


def okx_preimage(message: str) -> bytes:
    """``varstr(OKX header) ‖ varstr(message)``: hashed with keccak (OKX-ECDSA) or sha256 (EOS)."""
    return varstr(OKX) + varstr(message.encode())


def eip191_preimage(message: bytes) -> bytes:
    """``personal_sign``'s preimage of the message itself (EIP-191 version 0x45): prefix ‖ len ‖ message."""
    return ETH_PREFIX + str(len(message)).encode() + message
