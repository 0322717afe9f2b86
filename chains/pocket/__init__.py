"""Pocket Network: OKX's framed ed25519 rows of type POKT prove the signature only; no balance adapter."""

from chains.pocket.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="pocket", address_codecs={"POKT": ADDRESS})
