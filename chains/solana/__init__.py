"""Solana: SOL and SPL token (Token, Token-2022) balances at the snapshot slot by replaying each
account's transaction metadata (fetch.py over the pure decoders in codec.py).

Signatures: scheme ``solana-raw-message`` (verify.py), and the address codec of OKX's framed ed25519 rows (type SOL)."""

from chains.solana.codec import ADDRESS
from chains.solana.fetch import make_fetcher
from chains.solana.verify import sign_raw_message, verify_raw_message
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin, SignatureScheme

plugin = ChainPlugin(
    name="solana",
    schemes=(SignatureScheme("solana-raw-message", verify_raw_message, sign=sign_raw_message),),
    address_codecs={"SOL": ADDRESS},
    adapter="solana",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("replayed", "latest"),
        token_methods=("replayed", "latest"),
        block_reference=BlockReference.SLOT,
        max_batch=100,
        token_kind="spl",
        notes="current values by getMultipleAccounts/getTokenAccountsByOwner, replayed to the snapshot slot from transaction metadata",
        needs='an RPC with full transaction history back to the snapshot slot (getSignaturesForAddress + getTransaction; many providers keep only recent slots)',
    ),
)
