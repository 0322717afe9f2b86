"""MultiversX (formerly Elrond): the address codec (types EGLD, ERD) of OKX's framed ed25519 rows; no balance adapter."""

from chains.multiversx.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="multiversx", address_codecs={"EGLD": ADDRESS, "ERD": ADDRESS})
