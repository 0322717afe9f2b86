"""Each adapter's ``estimate`` against a real fetch on its protocol stub, requests counted by the HTTP layer.

Why exact here: the stubs answer every read at once (no 429, no fault), so the requests a fetch makes are the
adapter's protocol alone, and the estimate counts them from the same constants and chunking ``fetch`` uses. A
changed chunk size, an extra preflight call or a per-read call where a batch was meant shows up as a difference.
(EVM, TRON and Solana are checked the same way inside the 20k rehearsal: tests/test_rehearsal.py.)
"""

from __future__ import annotations

import asyncio

import pytest

from indexer.fetch import COMMIT_CHUNK, fetch_snapshot
from indexer.fetch.estimate import forecast_snapshot, service_seconds
from indexer.plugins import ServiceLoad
from tests.test_fetch_all_networks import NETWORKS, serving, synth_snapshot


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    """The predicted requests per network (``por plan``'s forecast) and those the fetch then made."""
    con, sid, rows = synth_snapshot(tmp_path_factory.mktemp("plan"))
    with serving(rows) as cfg:
        plan = asyncio.run(forecast_snapshot(con, cfg, sid, at="snapshot", probe=False, commit_chunk=COMMIT_CHUNK))
        summary = fetch_snapshot(con, cfg, sid, show_progress=False)
    con.close()
    return {f.network: f for f in plan.networks}, {n: r.http.requests for n, r in summary.networks.items()}


@pytest.mark.parametrize("network", NETWORKS)
def test_estimate_counts_the_requests_the_fetch_makes(counted, network) -> None:
    predicted, actual = counted
    f = predicted[network]
    assert not f.generic, f"{network} has its own estimate"
    assert actual[network] > 0
    assert f.requests == actual[network], (network, [(s.name, s.requests) for s in f.services], actual[network])


def test_time_is_the_rate_or_the_round_trips_whichever_binds() -> None:
    assert service_seconds(ServiceLoad("rpc", 1000, rps=10.0, concurrency=8), 0.05) == 100.0  # paced: 1000 / 10
    assert service_seconds(ServiceLoad("rpc", 1000, rps=None, concurrency=8), 0.08) == 10.0  # 1000 × 0.08 / 8
    assert service_seconds(ServiceLoad("rpc", 1000, rps=1000.0, concurrency=1), 0.05) == 50.0  # round trips bind
