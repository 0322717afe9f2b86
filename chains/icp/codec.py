"""The Internet Computer: address type ICP, whose address the row cannot tie to its key (why: ``REASON``)."""

from __future__ import annotations

from chains.common.links import not_derivable
from indexer.plugins import ED25519, AddressCodec

REASON = "ICP account identifiers hash a principal and subaccount; not derivable from the row"
ADDRESS = AddressCodec(ED25519, not_derivable(REASON))
