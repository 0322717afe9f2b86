"""Hedera: OKX's framed ed25519 rows of type HBAR prove the signature only; no balance adapter."""

from chains.hedera.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="hedera", address_codecs={"HBAR": ADDRESS})
