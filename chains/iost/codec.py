"""IOST: address type IOST, whose address the row cannot tie to its key (why: ``REASON``)."""

from __future__ import annotations

from chains.common.links import not_derivable
from indexer.plugins import ED25519, AddressCodec

REASON = "IOST account names are bound to keys on-chain"
ADDRESS = AddressCodec(ED25519, not_derivable(REASON))
