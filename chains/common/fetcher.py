"""What every HTTP balance adapter shares: one client on the network's endpoints, its source label, close.

The protocol-specific parts (preflight, tip, fetch) stay in each adapter; this base only removes the
three lines each of them would otherwise write again.
"""

from __future__ import annotations

from indexer.config import NetworkSettings
from indexer.models import Network
from indexer.rpc import JsonRpcClient


class HttpFetcher:
    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        self.network = network
        self.settings = settings
        self.client = JsonRpcClient(settings)

    @property
    def source(self) -> str:
        """The endpoint label recorded in ``balances.source`` (never a URL with credentials)."""
        return self.client.source

    async def close(self) -> None:
        await self.client.close()
