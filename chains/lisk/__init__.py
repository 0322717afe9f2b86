"""Lisk: OKX's framed ed25519 rows of type LSK prove the signature only; no balance adapter."""

from chains.lisk.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="lisk", address_codecs={"LSK": ADDRESS})
