"""Ethereum beacon chain: the ETH of the staking rows (``Native ETH Staking``, ``Eigenlayer Staking``),
whose address is a validator public key, read from the standard Beacon API at the snapshot's slot.

BLS ownership signatures (BETH): scheme ``bls-deposit`` (``verify.py``).
"""

from chains.beacon.fetch import make_fetcher
from chains.beacon.verify import sign_beth, verify_beth, verify_beth_okx_go
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin, SignatureScheme

plugin = ChainPlugin(
    name="beacon",
    schemes=(SignatureScheme("bls-deposit", verify_beth, family="BETH", variants={"okx-go": verify_beth_okx_go}, sign=sign_beth),),
    adapter="beacon",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height",),
        token_methods=(),
        block_reference=BlockReference.SLOT_OF_EXECUTION_BLOCK,
        max_batch=64,  # beacon-APIs validators.yaml: id maxItems 64
        options_from_networks={"execution_rpc": "ETH"},  # no execution_rpc: the configured [networks.ETH]
        notes=(
            "/eth/v1/beacon/states/{slot}/validators?id=… (64 keys at most) plus the state's pending_deposits (Electra) at the slot"
            " of the snapshot block; Gwei -> wei; execution node: options.execution_rpc, else [networks.ETH]; needs an archive beacon node"
        ),
        needs="an archive beacon node (states at old slots, incl. Electra pending_deposits) and an execution node ([networks.ETH] or options.execution_rpc) with the block's header",
    ),
)
