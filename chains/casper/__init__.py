"""Casper: the account codec (type CSPR) of OKX's framed ed25519 rows; no balance adapter."""

from chains.casper.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="casper", address_codecs={"CSPR": ADDRESS})
