"""SS58 addresses (Substrate): a network prefix, the 32-byte account id and a blake2b checksum, in base58.

Shared by the Substrate family's address codec (``chains.polkadot.codec``) and its balance adapter, which
reads the account id of any prefix.
"""

from __future__ import annotations

import hashlib

from chains.common.encoding import b58decode, b58encode


def _checksum(body: bytes) -> bytes:
    return hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2]


def ss58_prefix(ident: int) -> bytes:
    if ident < 64:
        return bytes([ident])
    return bytes([((ident & 0xFC) >> 2) | 0x40, (ident >> 8) | ((ident & 3) << 6)])


def ss58_address(pub: bytes, ident: int) -> str:
    body = ss58_prefix(ident) + pub
    return b58encode(body + _checksum(body))


def ss58_decode(text: str) -> tuple[bytes, bytes]:
    """(prefix bytes, 32-byte account id); ValueError on a bad checksum or shape."""
    raw = b58decode(text)
    plen = 1 if raw and raw[0] < 64 else 2
    if len(raw) != plen + 32 + 2 or raw[0] >= 128:
        raise ValueError("not a 32-byte SS58 address")
    if _checksum(raw[:-2]) != raw[-2:]:
        raise ValueError("SS58 checksum mismatch")
    return raw[:plen], raw[plen:-2]
