"""Avalanche X-, P- and C-Chain bech32 addresses (``X-avax1…``) of secp256k1 keys: the chain letter, ``-``, then
bech32 ``avax`` of hash160(compressed key); case-sensitive as a whole (the chain letter is upper case).

OKX gives AVAX-X rows no address type, so the codec is found by the claim's shape, for rows whose public key is
published. (C-Chain ``0x`` accounts are EVM rows.)
"""

from __future__ import annotations

from chains.common.encoding import bech32_encode
from chains.common.hashes import hash160
from chains.common.links import EXACT, signed_by
from chains.common.secp import compressed
from indexer.plugins import SECP256K1, AddressCodec, AddressLink

CHAIN_PREFIXES = ("X-", "P-", "C-")


def chain_address(pub: bytes, chain: str = "X-") -> str:
    return chain + bech32_encode("avax", hash160(compressed(pub)))


def is_chain_address(claimed: str) -> bool:
    return claimed[:2] in CHAIN_PREFIXES and claimed[2:7] == "avax1"


def check_address(claimed: str, pub: bytes) -> AddressLink:
    return signed_by(chain_address(pub, claimed[:2] if claimed[:2] in CHAIN_PREFIXES else "X-"), claimed, EXACT)


ADDRESS = AddressCodec(SECP256K1, check_address, address=chain_address, shape=is_chain_address)
