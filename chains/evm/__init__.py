"""EVM networks: ownership signatures (verify.py), balances at a block via eth_call (fetch.py), and the address
codec of EVM accounts that OKX signs under its own header (type ETH: OKC; codec.py)."""

from chains.evm.codec import OKX_FRAMED_ADDRESS
from chains.evm.fetch import make_fetcher
from chains.evm.verify import sign_evm, verify_evm, verify_evm_okx_go, sign_keccak_or_eip191, verify_keccak_or_eip191
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin, SignatureScheme

plugin = ChainPlugin(
    name="evm",
    schemes=(
        SignatureScheme("eip191", verify_evm, family="EVM", variants={"okx-go": verify_evm_okx_go}, sign=sign_evm),
        SignatureScheme("evm-keccak-or-eip191", verify_keccak_or_eip191, sign=sign_keccak_or_eip191),
    ),
    address_codecs={"ETH": OKX_FRAMED_ADDRESS},
    adapter="evm",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=("state_at_height",),
        block_reference=BlockReference.HEIGHT,
        max_batch=0,
        token_kind="erc20",
        notes="eth_call at the block (archive node): BalanceReader via state override, else Multicall3, JSON-RPC batches, single calls",
        needs='an archive node (eth_call at the snapshot block; full nodes keep ~128 recent blocks); state overrides or Multicall3 for batched reads',
    ),
)
