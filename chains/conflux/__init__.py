"""Conflux: the CIP-37 address codec (type CFX) of OKX's framed ECDSA rows; no balance adapter."""

from chains.conflux.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="conflux", address_codecs={"CFX": ADDRESS})
