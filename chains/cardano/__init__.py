"""Cardano: the Shelley address codec (address type ADA) of OKX's framed ed25519 rows; no balance adapter."""

from chains.cardano.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="cardano", address_codecs={"ADA": ADDRESS})
