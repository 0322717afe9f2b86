"""Sui balances at a checkpoint through Sui's GraphQL RPC: ``checkpoint(sequenceNumber).query`` inside the service's
consistent range, else the current balance replayed back over the address's transactions' balance changes.

Signatures are OKX's framed ed25519; the address codec of their type SUI is codec.py's.
"""

from chains.sui.codec import ADDRESS
from chains.sui.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="sui",
    address_codecs={"SUI": ADDRESS},
    adapter="sui",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height", "replayed", "latest"),
        token_methods=("state_at_height", "replayed", "latest"),
        block_reference=BlockReference.CHECKPOINT,
        max_batch=21,
        token_kind="coin type",
        notes=(
            "GraphQL checkpoint(sequenceNumber).query balances inside the consistent range (15,000 checkpoints by default),"
            " up to 21 per request within 5,000 bytes; older: current balance minus later balanceChanges (replayed);"
            " history pruned too: latest"
        ),
        needs="inside the GraphQL service's consistent range (15,000 checkpoints by default, about an hour): nothing more; older: transactions by address and balanceChanges retained back to the snapshot checkpoint",
    ),
)
