"""Polkadot relay chain and Asset Hub balances at a block hash (Substrate storage reads).

Signatures are OKX's framed ed25519; codec.py holds the SS58 address codecs of the Substrate chains OKX signs for
(Polkadot, Asset Hub, Kusama, Enjin, Phala, Clover, Avail, Shiden, Centrifuge, Efinity, Karura, Acala, Astar):
one family, the Polkadot SDK, whose addresses differ only in their SS58 network id.
"""

from chains.polkadot.codec import ADDRESS_CODECS
from chains.polkadot.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="polkadot",
    address_codecs=ADDRESS_CODECS,
    adapter="polkadot",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=("state_at_height",),
        block_reference=BlockReference.HEIGHT,
        max_batch=500,
        token_kind="Assets pallet id (Asset Hub)",
        notes="state_queryStorageAt of System.Account (free + reserved) and Assets.Account at the block hash; relay DOT refused after the Asset Hub migration",
        needs="an archive node (state at the block hash; pruned nodes keep 256 blocks); Asset Hub's node for DOT after its 2025-11-04 migration",
    ),
)
