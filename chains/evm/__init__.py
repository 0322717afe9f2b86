"""EVM networks: ownership signatures (verify.py) and balances at a block via eth_call (fetch.py)."""

from chains.evm.fetch import make_fetcher
from chains.evm.verify import sign_evm, verify_evm
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="evm",
    verifiers={"EVM": verify_evm},
    signers={"EVM": sign_evm},
    adapter="evm",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=("state_at_height",),
        block_reference=BlockReference.HEIGHT,
        max_batch=0,
        token_kind="erc20",
        notes="eth_call at the block (archive node): BalanceReader via state override, else Multicall3, JSON-RPC batches, single calls",
    ),
)
