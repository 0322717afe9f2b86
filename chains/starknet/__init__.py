"""Starknet balances at a block: ``starknet_call`` of the ETH (or any) token's ``balanceOf``.

Row signatures: scheme ``starknet-typed-data`` (``verify.py``).
"""

from chains.starknet.fetch import make_fetcher
from chains.starknet.verify import sign_stark, verify_stark, verify_stark_okx_go
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin, SignatureScheme

plugin = ChainPlugin(
    name="starknet",
    schemes=(
        SignatureScheme(
            "starknet-typed-data", verify_stark, family="STARK", variants={"okx-go": verify_stark_okx_go}, sign=sign_stark
        ),
    ),
    adapter="starknet",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=("state_at_height",),
        block_reference=BlockReference.HEIGHT,
        token_kind="erc20 (Cairo)",
        notes="starknet_call balanceOf with block_id {block_number}; ETH itself is an ERC-20 contract; u256 as (low, high) felts",
        needs='a full node with state at old blocks (starknet_call with block_id; pathfinder/juno archive mode)',
    ),
)
