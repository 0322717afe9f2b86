"""Flow: the signer's id (type FLOW) of OKX's framed ECDSA rows; Flow addresses are not derivable. No balance adapter."""

from chains.flow.codec import ADDRESS
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(name="flow", address_codecs={"FLOW": ADDRESS})
