"""ICON addresses from a secp256k1 key (address type ICX): ``hx`` + the last 20 bytes of sha3-256(X‖Y), in hex."""

from __future__ import annotations

from chains.common.hashes import sha3_256
from chains.common.links import ONE_CASE, derived_codec


def address(pub: bytes) -> str:
    return "hx" + sha3_256(pub[1:])[-20:].hex()


ADDRESS = derived_codec(address, ONE_CASE)
