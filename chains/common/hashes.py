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
