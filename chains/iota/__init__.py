"""IOTA (Rebased and Stardust): the address codec (types IOTA, IOTA_NEW, IOTA_STARDUST) of OKX's framed ed25519 rows."""

from chains.iota.codec import REBASED, STARDUST
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="iota", address_codecs={"IOTA": REBASED, "IOTA_NEW": REBASED, "IOTA_STARDUST": STARDUST})
