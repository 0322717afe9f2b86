"""Hash functions by name, bound once to the fastest available backend."""

from __future__ import annotations

import hashlib

import sha3  # safe-pysha3: C keccak, ~6x eth_hash's default pycryptodome backend

_keccak = sha3.keccak_256
_sha256 = hashlib.sha256


def keccak256(data: bytes) -> bytes:
    return _keccak(data).digest()


def sha256(data: bytes) -> bytes:
    return _sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    return _sha256(_sha256(data).digest()).digest()


def sha3_256(data: bytes) -> bytes:
    return hashlib.sha3_256(data).digest()


def ripemd160(data: bytes) -> bytes:
    try:
        return hashlib.new("ripemd160", data).digest()
    except ValueError:  # OpenSSL 3 builds without the legacy provider
        from Crypto.Hash import RIPEMD160

        return RIPEMD160.new(data).digest()


def hash160(data: bytes) -> bytes:
    return ripemd160(_sha256(data).digest())


def blake2b(data: bytes, size: int) -> bytes:
    return hashlib.blake2b(data, digest_size=size).digest()


def _crc16_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC16_TABLE = _crc16_table()


def crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM (poly 0x1021, init 0), table-driven: TON and Stellar checksums."""
    crc = 0
    table = _CRC16_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc
