"""Sia: OKX's framed ed25519 rows of type SC prove the signature only; no balance adapter."""

from chains.sia.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="sia", address_codecs={"SC": ADDRESS})
