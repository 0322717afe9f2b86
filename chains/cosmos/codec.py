"""Cosmos SDK account addresses from a secp256k1 key: bech32 of the chain's prefix and the key's account bytes.

A standard Cosmos SDK chain's account is hash160 of the compressed key (Cosmos Hub, Celestia, Crypto.org, Dora
Factory, dYdX, Terra and Terra Classic); Injective's ``ethsecp256k1`` accounts are Ethereum's keccak(X‖Y)[12:]
instead. One codec per OKX address type; the case rule is bech32's (either case, never mixed).
"""

from __future__ import annotations

from collections.abc import Callable

from chains.common.encoding import bech32_encode
from chains.common.ethaddr import account_id
from chains.common.hashes import hash160
from chains.common.links import ONE_CASE, derived_codec
from chains.common.secp import compressed
from indexer.plugins import AddressCodec

# OKX address type -> bech32 prefix of a hash160(compressed key) account
HASH160_PREFIXES = {"ATOM": "cosmos", "TIA": "celestia", "CRO": "cro", "DORA": "dora", "DYDX": "dydx", "TERRA": "terra", "LUNC": "terra"}
# OKX address type -> bech32 prefix of a keccak (Ethereum-style) account
KECCAK_PREFIXES = {"INJ": "inj"}


def _hash160_account(pub: bytes) -> bytes:
    return hash160(compressed(pub))


def _codec(account: Callable[[bytes], bytes], prefix: str) -> AddressCodec:
    return derived_codec(lambda pub: bech32_encode(prefix, account(pub)), ONE_CASE)


ADDRESS_CODECS = {
    **{t: _codec(_hash160_account, p) for t, p in HASH160_PREFIXES.items()},
    **{t: _codec(account_id, p) for t, p in KECCAK_PREFIXES.items()},
}
