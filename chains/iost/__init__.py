"""IOST: OKX's framed ed25519 rows of type IOST prove the signature only; no balance adapter."""

from chains.iost.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="iost", address_codecs={"IOST": ADDRESS})
