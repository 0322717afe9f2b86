"""EVM networks: ownership signatures (verify.py) and balances at a block via eth_call (fetch.py)."""

from chains.evm.fetch import make_fetcher
from chains.evm.verify import sign_evm, verify_evm
from indexer.plugins import ChainPlugin

plugin = ChainPlugin(
    name="evm",
    verifiers={"EVM": verify_evm},
    signers={"EVM": sign_evm},
    adapter="evm",
    make_fetcher=make_fetcher,
)
