"""The Internet Computer: OKX's framed ed25519 rows of type ICP prove the signature only; no balance adapter."""

from chains.icp.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="icp", address_codecs={"ICP": ADDRESS})
