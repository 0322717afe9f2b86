"""Requests counted per network of a run, whichever of the adapter's clients sent them.

Why a context variable: an adapter may open several HTTP clients (the chain API, its history API, an
execution node, side chains) and the fetch runner knows none of them. Each network runs in its own
asyncio task; the runner sets a tally there (``tally_requests``) and ``indexer.rpc`` adds every request
sent inside that task, and inside the tasks it starts, to it. ``runs.requests`` is filled from it.
Kept apart from ``indexer.rpc`` so that ``indexer.runs`` can name it without importing aiohttp.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass
class RequestTally:
    requests: int = 0  # HTTP requests sent (each attempt, a JSON-RPC batch is one)
    rate_limited: int = 0  # of those, answered 429 (or a rate-limit error body)


_tally: contextvars.ContextVar[RequestTally | None] = contextvars.ContextVar("por_request_tally", default=None)


def tally_requests(tally: RequestTally) -> contextvars.Token[RequestTally | None]:
    """Count the requests of the current task (and of the tasks it starts) into ``tally``."""
    return _tally.set(tally)


def current_tally() -> RequestTally | None:
    return _tally.get()
