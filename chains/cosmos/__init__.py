"""The Cosmos SDK chains OKX signs under its own header (ATOM, TIA, CRO, DORA, DYDX, TERRA, LUNC, INJ): their
bech32 address codecs. No balance adapter."""

from chains.cosmos.codec import ADDRESS_CODECS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="cosmos", address_codecs=ADDRESS_CODECS)
