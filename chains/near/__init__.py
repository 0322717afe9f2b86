"""NEAR: the implicit-account codec (address type NEAR) of OKX's framed ed25519 rows; no balance adapter."""

from chains.near.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="near", address_codecs={"NEAR": ADDRESS})
