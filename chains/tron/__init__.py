"""TRON: TRX ownership signatures (``verify``) and the balance adapter (``fetch``, ``codec``).

The fetcher module is imported only when a fetcher is built, so ``por --help`` and the
signature workers never load the HTTP stack.
"""

from __future__ import annotations

from typing import Any

from chains.tron.verify import sign_message_or_hash, sign_tron, tron_address, tron_digests, verify_message_or_hash, verify_tron, verify_tron_okx_go
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin, SignatureScheme

__all__ = ["sign_tron", "tron_address", "tron_digests", "verify_tron", "plugin", "make_fetcher"]


def make_fetcher(network: Any, settings: Any) -> Any:
    from chains.tron.fetch import make_fetcher as factory

    return factory(network, settings)


plugin = ChainPlugin(
    name="tron",
    schemes=(
        SignatureScheme("tron-message", verify_tron, family="TRX", variants={"okx-go": verify_tron_okx_go}, sign=sign_tron),
        SignatureScheme("tron-message-or-hash", verify_message_or_hash, sign=sign_message_or_hash),
    ),
    adapter="tron",
    make_fetcher=make_fetcher,
    capabilities=AdapterCapabilities(
        native_methods=("state_at_height", "latest"),
        token_methods=("replayed", "latest"),
        block_reference=BlockReference.HEIGHT,
        max_batch=0,
        token_kind="trc20",
        notes="TRX via getaccountbalance (node with balance history); TRC-20 read in bulk at a solidified block, replayed back over TronGrid transfers",
        needs='TRX: a java-tron node started with storage.balance.history.lookup = true since before the snapshot; TRC-20: a TronGrid-compatible history API (options.history_api) covering the snapshot to now',
    ),
)
