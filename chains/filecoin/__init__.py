"""Filecoin balances at an epoch (Lotus JSON-RPC ``Filecoin.StateGetActor`` at a tipset), and the f1 address codec
(type FIL) of OKX's framed ECDSA rows; f410 rows are EVM (``chains.evm``).
"""

from chains.filecoin.codec import ADDRESS
from chains.filecoin.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="filecoin",
    address_codecs={"FIL": ADDRESS},
    adapter="filecoin",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=(),
        block_reference=BlockReference.EPOCH,
        notes=(
            "StateGetActor at the first tipset above the epoch: its parent state is the state after the epoch's messages"
            " (options.epoch_state = before: the first tipset at or above it); null rounds skipped; needs an archival Lotus"
        ),
        needs='an archival Lotus node (StateGetActor at old tipsets; public gateways refuse lookbacks over about a day)',
    ),
)
