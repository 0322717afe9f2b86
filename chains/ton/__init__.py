"""TON balances at a masterchain seqno (toncenter v2 HTTP API): TON and jettons (USDT on TON).

Signatures are OKX's framed ed25519; the address codec of their type TON (standard wallets) is codec.py's.
"""

from chains.ton.codec import ADDRESS
from chains.ton.fetch import make_fetcher
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin

plugin = ChainPlugin(
    name="ton",
    address_codecs={"TON": ADDRESS},
    adapter="ton",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height", "latest"),
        token_methods=("state_at_height", "latest"),
        block_reference=BlockReference.MASTERCHAIN_SEQNO,
        max_batch=1,
        token_kind="jetton",
        notes=(
            "getAddressInformation and runGetMethod (get_wallet_address, get_wallet_data) with seqno, each answer's block_id"
            " proving the block; needs archival liteservers and ton-http-api >= v2.0.53 (older ones ignore seqno: latest)"
        ),
        needs='archival liteservers behind ton-http-api >= v2.0.53 (older releases ignore seqno)',
    ),
)
