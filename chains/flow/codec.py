"""Flow (address type FLOW under OKX's framed ECDSA): OKX names the signer by the key's Ethereum-style account.

Flow account addresses are assigned on-chain, not derived from keys, so matching that id only names the signer:
the strict verdict is signature-only, and a row whose key is published leaves the address unproven.
"""

from __future__ import annotations

from chains.common.ethaddr import account_id, to_checksum
from chains.common.links import EIP55, okx_go_derived, signed_by
from indexer.plugins import SECP256K1, AddressCodec, AddressLink

NOT_DERIVED = "key matches the Ethereum-style id OKX derives; Flow account addresses are assigned on-chain, not derived from keys"


def okx_id(pub: bytes, claimed: str = "") -> str:
    return to_checksum(account_id(pub))


def check_address(claimed: str, pub: bytes) -> AddressLink:
    status, reason = signed_by(okx_id(pub), claimed, EIP55)
    return ("signature_only", NOT_DERIVED) if status == "verified" else (status, reason)


ADDRESS = AddressCodec(SECP256K1, check_address, address=okx_id, variants={"okx-go": okx_go_derived(okx_id)}, derivable=False)
