"""Bitcoin-family chains: ownership signatures (verify.py) and balances via Bitcoin Core RPC (fetch.py)."""

from chains.utxo.fetch import make_fetcher
from chains.utxo.verify import sign_utxo, verify_utxo
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(
    name="utxo",
    verifiers={"UTXO": verify_utxo},
    signers={"UTXO": sign_utxo},
    adapter="utxo",
    make_fetcher=make_fetcher,
)
