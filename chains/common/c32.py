"""Stacks c32check addresses (``SP…``), encode only.

c32 is Crockford base32 of the big-endian integer, with one ``0`` per leading
zero byte; c32check appends sha256d(version ‖ data)[:4] before encoding.
"""

from __future__ import annotations

from chains.common.encoding import big_endian_encode
from chains.common.hashes import sha256d

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
