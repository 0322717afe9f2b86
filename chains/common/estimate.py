"""What every adapter's ``estimate`` shares: a service's load from the client that will send its requests.

Why from the client: the rate and concurrency a service runs at are the ones its client was built with
(``history_rps``, ``history_concurrency``, the network's ``rps``), so ``por plan`` shows what the run will use,
not a second reading of ``por.toml`` that could disagree with it.
"""

from __future__ import annotations

import math

from indexer.plugins import ServiceLoad
from indexer.rpc import JsonRpcClient


def load(name: str, client: JsonRpcClient | None, requests: int) -> ServiceLoad:
    """``requests`` on ``client``'s service (its configured ``rps`` and ``concurrency``)."""
    if client is None:
        return ServiceLoad(name, requests)
    return ServiceLoad(name, requests, client.settings.rps, client.settings.concurrency)


def pieces(n: int, size: int) -> int:
    """How many requests ``n`` items take at ``size`` per request (the ``range(0, n, size)`` of a fetch)."""
    return math.ceil(n / max(1, size)) if n > 0 else 0


def heights(requests) -> list[int]:  # type: ignore[no-untyped-def]
    """The distinct snapshot blocks asked (what a preflight checks one by one)."""
    return sorted({r.block for r in requests if r.block is not None})
