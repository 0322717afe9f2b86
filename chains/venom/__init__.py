"""Venom: OKX's framed ed25519 rows of type VENOM prove the signature only; no balance adapter."""

from chains.venom.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="venom", address_codecs={"VENOM": ADDRESS})
