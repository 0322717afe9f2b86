"""Lisk: address type LSK, whose address the row cannot tie to its key (why: ``REASON``)."""

from __future__ import annotations

from chains.common.links import not_derivable
from indexer.plugins import ED25519, AddressCodec

REASON = "Lisk address derivation is not implemented"
ADDRESS = AddressCodec(ED25519, not_derivable(REASON))
