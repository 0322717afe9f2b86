"""EOS / Vaulta balances at the snapshot block: current ``get_currency_balance`` replayed back through the
account's token actions from a Hyperion history API.

Signatures: scheme ``eos-message`` (``verify.py``): the permission key signs; which account it controls is on-chain state.
"""

from chains.eos.fetch import make_fetcher
from chains.eos.verify import sign_eos, verify_eos, verify_eos_okx_go
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin, SignatureScheme

plugin = ChainPlugin(
    name="eos",
    schemes=(SignatureScheme("eos-message", verify_eos, family="EOS", variants={"okx-go": verify_eos_okx_go}, sign=sign_eos),),
    adapter="eos",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("replayed", "latest"),
        token_methods=("replayed", "latest"),
        block_reference=BlockReference.HEIGHT,
        max_batch=1,
        token_kind="eosio.token-style (code:symbol)",
        notes="get_currency_balance now, minus the account's Hyperion actions after the snapshot block (paged by block number); issue/retire after it: error; history not covering the blocks or no options.history_api: latest",
        needs='any chain API node (head only) plus a Hyperion v2 history API (options.history_api) whose index covers every block from the snapshot to the head: first_indexed_block, no missing_blocks, auto-pruning window',
    ),
)
