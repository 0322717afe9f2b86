"""NULS 2.0 account addresses from a secp256k1 public key (address type NULS under OKX's framed ECDSA).

Why: OKX's current tool derives the NULS address from the key it recovers from
the signature (the public mirror's ``common/verify.go``, ``GenerateNULSAddress``);
before mid-2026 NULS rows could only be checked against a published key.

Layout (NULS 2.0 ``AddressTool``): body = chain id (2 bytes, little-endian;
mainnet 1) ‖ address type (1 byte; 1 = ordinary account) ‖ hash160(compressed
key); the address is the chain prefix (``NULS`` on mainnet), one separator
letter (the prefix length's letter of a-z..., so ``d`` after four characters),
then base58 of body ‖ one checksum byte, the XOR of every body byte. There is
no double-SHA checksum: base58 here is plain base58.
"""

from __future__ import annotations

import string
from functools import reduce

from chains.common.encoding import b58decode, b58encode
from chains.common.hashes import hash160
from chains.common.links import EXACT, derived_codec
from chains.common.secp import compressed

MAINNET_CHAIN_ID = 1
ACCOUNT_TYPE = 1
MAINNET_PREFIX = "NULS"


def _separator(prefix: str) -> str:
    return string.ascii_letters[len(prefix) - 1]


def _xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def nuls_address(compressed_pub: bytes, chain_id: int = MAINNET_CHAIN_ID, prefix: str = MAINNET_PREFIX, address_type: int = ACCOUNT_TYPE) -> str:
    if len(compressed_pub) != 33 or compressed_pub[0] not in (2, 3):
        raise ValueError("a NULS address hashes a 33-byte compressed public key")
    body = chain_id.to_bytes(2, "little") + bytes([address_type]) + hash160(compressed_pub)
    return prefix + _separator(prefix) + b58encode(body + bytes([_xor(body)]))


def nuls_decode(address: str, prefix: str = MAINNET_PREFIX) -> tuple[int, int, bytes]:
    """(chain id, address type, hash160) of an address with this prefix; ValueError on any malformation."""
    head = prefix + _separator(prefix)
    if not address.startswith(head):
        raise ValueError(f"address does not start with {head!r}")
    raw = b58decode(address[len(head) :])
    if len(raw) != 24:
        raise ValueError(f"address body is {len(raw)} bytes, expected 24")
    if _xor(raw[:-1]) != raw[-1]:
        raise ValueError("XOR checksum mismatch")
    return int.from_bytes(raw[:2], "little"), raw[2], raw[3:23]


def address(pub: bytes) -> str:
    """The mainnet account address of a 65-byte key (hashed in its compressed form)."""
    return nuls_address(compressed(pub))


ADDRESS = derived_codec(address, EXACT)
