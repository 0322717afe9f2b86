"""KLY: OKX's framed ed25519 rows of type KLY prove the signature only; no balance adapter."""

from chains.kly.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="kly", address_codecs={"KLY": ADDRESS})
