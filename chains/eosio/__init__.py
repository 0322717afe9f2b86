"""EOS / Vaulta balances at the snapshot block: current ``get_currency_balance`` replayed back through the
account's token actions from a Hyperion history API.

EOS permission-key signatures live in ``chains.eos``; this plugin only reads balances.
"""

from chains.eosio.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="eosio",
    adapter="eos",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("replayed", "latest"),
        token_methods=("replayed", "latest"),
        block_reference=BlockReference.HEIGHT,
        max_batch=1,
        token_kind="eosio.token-style (code:symbol)",
        notes="get_currency_balance now, minus the account's Hyperion actions after the snapshot block (paged by block number); issue/retire after it: error; history not covering the blocks or no options.history_api: latest",
    ),
)
