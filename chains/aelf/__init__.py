"""aelf balances: ``MultiToken.GetBalance`` through the node's HTTP API (current state only), and the address codec
(type ELF) of OKX's framed ECDSA rows.
"""

from chains.aelf.codec import ADDRESS
from chains.aelf.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="aelf",
    address_codecs={"ELF": ADDRESS},
    adapter="aelf",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("latest",),
        token_methods=("latest",),
        block_reference=BlockReference.HEIGHT,
        max_batch=1,
        token_kind="MultiToken symbol",
        notes=(
            "executeTransaction of MultiToken.GetBalance (protobuf) at the best chain height: current state, stored as latest;"
            " an address is read on its own chain (ELF_…_tDVV: options.chains.tDVV), never on another chain's node"
        ),
        needs='no snapshot value can be read: aelf nodes keep no state by height and no history API is known (values are latest); a node per chain for side-chain addresses (options.chains)',
    ),
)
