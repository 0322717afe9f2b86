"""Stacks c32check addresses (``SP…``), encode only; the address codec of type STX under OKX's framed ECDSA.

c32 is Crockford base32 of the big-endian integer, with one ``0`` per leading
zero byte; c32check appends sha256d(version ‖ data)[:4] before encoding.
"""

from __future__ import annotations

from chains.common.encoding import big_endian_encode
from chains.common.hashes import hash160, sha256d
from chains.common.links import ONE_CASE, derived_codec

C32_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

STACKS_MAINNET_SINGLESIG = 22  # "SP"
STACKS_MAINNET_MULTISIG = 20  # "SM"


def c32_encode(data: bytes) -> str:
    return big_endian_encode(data, C32_ALPHABET)


def c32check_encode(version: int, data: bytes) -> str:
    checksum = sha256d(bytes([version]) + data)[:4]
    return C32_ALPHABET[version] + c32_encode(data + checksum)


def stacks_address(version: int, hash160_: bytes) -> str:
    return "S" + c32check_encode(version, hash160_)


def address(pub: bytes) -> str:
    """The mainnet single-signature address of a 65-byte key: c32check of hash160(uncompressed key)."""
    return stacks_address(STACKS_MAINNET_SINGLESIG, hash160(pub))


ADDRESS = derived_codec(address, ONE_CASE)
