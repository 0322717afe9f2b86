"""Stellar (and Pi Network, on the same StrKeys): the address codec of OKX's framed ed25519 rows; no balance adapter."""

from chains.stellar.codec import ADDRESS, TYPES
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="stellar", address_codecs=dict.fromkeys(TYPES, ADDRESS))
