"""Starknet balances at a block: ``starknet_call`` of the ETH (or any) token's ``balanceOf``.

Starknet row signatures (typed data) live in ``chains.stark``; this plugin only reads balances.
"""

from chains.starknet.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="starknet",
    adapter="starknet",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=("state_at_height",),
        block_reference=BlockReference.HEIGHT,
        token_kind="erc20 (Cairo)",
        notes="starknet_call balanceOf with block_id {block_number}; ETH itself is an ERC-20 contract; u256 as (low, high) felts",
    ),
)
