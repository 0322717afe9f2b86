"""Avalanche: the X/P/C-Chain bech32 address codec of OKX's framed ECDSA rows (AVAX-X, by the claim's shape)."""

from chains.avalanche.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="avalanche", address_codecs={"AVAX-X": ADDRESS})
