"""Tezos: the tz1 address codec (types TEZOS, XTZ) of OKX's framed ed25519 rows; no balance adapter."""

from chains.tezos.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="tezos", address_codecs={"TEZOS": ADDRESS, "XTZ": ADDRESS})
