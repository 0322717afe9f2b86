"""NULS: the NULS 2.0 address codec (type NULS) of OKX's framed ECDSA rows; no balance adapter."""

from chains.nuls.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="nuls", address_codecs={"NULS": ADDRESS})
