"""Stacks: the c32check address codec (type STX) of OKX's framed ECDSA rows; no balance adapter."""

from chains.stacks.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="stacks", address_codecs={"STX": ADDRESS})
