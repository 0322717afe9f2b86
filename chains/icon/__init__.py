"""ICON: the ``hx…`` address codec (type ICX) of OKX's framed ECDSA rows; no balance adapter."""

from chains.icon.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="icon", address_codecs={"ICX": ADDRESS})
