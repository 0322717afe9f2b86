"""Sui balances at a checkpoint through Sui's GraphQL RPC (``checkpoint(sequenceNumber).query``).

Sui ed25519 signatures live in ``chains.ed25519``; this plugin only reads balances.
"""

from chains.sui.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="sui",
    adapter="sui",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height", "latest"),
        token_methods=("state_at_height", "latest"),
        block_reference=BlockReference.CHECKPOINT,
        max_batch=50,
        token_kind="coin type",
        notes="GraphQL checkpoint(sequenceNumber).query { address { balance(coinType) } }, many addresses per query; outside retention: latest",
    ),
)
