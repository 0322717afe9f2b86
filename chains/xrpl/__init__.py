"""XRP Ledger balances at a ledger index (rippled JSON-RPC ``account_info``), and the classic address codec of XRP
rows signed under OKX's header (found by the ``r…`` shape: OKX gives XRP no address type).
"""

from chains.xrpl.codec import ADDRESS
from chains.xrpl.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="xrpl",
    address_codecs={"XRP": ADDRESS},
    adapter="xrpl",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=(),
        block_reference=BlockReference.LEDGER_INDEX,
        max_batch=1,
        notes="account_info at ledger_index (full-history server for old ledgers); actNotFound at a held ledger = account did not exist = 0",
        needs='a full-history rippled server (complete_ledgers reaching the snapshot ledger)',
    ),
)
