"""Aptos balances at a ledger version (REST ``/v1/view?ledger_version=``): APT and fungible assets.

Signatures are OKX's framed ed25519; the address codec of their type APTOS (auth keys) is codec.py's.
"""

from chains.aptos.codec import ADDRESS
from chains.aptos.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="aptos",
    address_codecs={"APTOS": ADDRESS},
    adapter="aptos",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=("state_at_height",),
        block_reference=BlockReference.VERSION_OF_HEIGHT,
        max_batch=1,
        token_kind="fungible_asset / coin type",
        notes="0x1::coin::balance<AptosCoin> (coin store + paired FA) and primary_fungible_store::balance at the block's last_version",
        needs="a full node or indexer API that has not pruned the snapshot's ledger versions (an archive/full-history node for old snapshots)",
    ),
)
