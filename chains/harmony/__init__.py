"""Harmony: the ``one1…`` address codec (type ONE) of OKX's framed ECDSA rows; no balance adapter."""

from chains.harmony.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="harmony", address_codecs={"ONE": ADDRESS})
