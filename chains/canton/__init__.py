"""Canton: OKX's framed ed25519 rows of type CC_CANTON prove the signature only; no balance adapter."""

from chains.canton.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="canton", address_codecs={"CC_CANTON": ADDRESS})
