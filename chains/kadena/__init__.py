"""Kadena: the principal-account codec (type KDA) of OKX's framed ed25519 rows; no balance adapter."""

from chains.kadena.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="kadena", address_codecs={"KDA": ADDRESS})
