"""Harmony addresses from a secp256k1 key (address type ONE): bech32 ``one1…`` of the Ethereum-style account."""

from __future__ import annotations

from chains.common.encoding import bech32_encode
from chains.common.ethaddr import account_id
from chains.common.links import ONE_CASE, derived_codec


def address(pub: bytes) -> str:
    return bech32_encode("one", account_id(pub))


ADDRESS = derived_codec(address, ONE_CASE)
