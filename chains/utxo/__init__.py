"""Bitcoin-family chains: ownership signatures (verify.py) and balances via Bitcoin Core RPC (fetch.py)."""

from chains.utxo.factory import make_fetcher
from chains.utxo.fetch import REQUEST_CHUNK
from chains.utxo.verify import sign_utxo, verify_utxo, verify_utxo_okx_go
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin, FeedHints, SignatureScheme

plugin = ChainPlugin(
    name="utxo",
    schemes=(
        SignatureScheme(
            "bitcoin-signed-message", verify_utxo, family="UTXO", variants={"okx-go": verify_utxo_okx_go}, sign=sign_utxo
        ),
    ),
    adapter="utxo",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height", "dump"),
        token_methods=(),
        block_reference=BlockReference.HEIGHT,
        max_batch=0,
        notes="scantxoutset at the tip (= snapshot height, or options.rewind on a dedicated node); or a dumptxoutset file (options.utxo_dump)",
        feed=FeedHints(request_chunk=REQUEST_CHUNK, workers=1),
        needs='a Bitcoin Core node whose tip is the snapshot height (or options.rewind on a dedicated node), or a dumptxoutset file written at that height (Core >= 30: rollback=)',
    ),
)
