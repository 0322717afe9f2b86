"""Every endpoint paced on its own, behind a provider that answers 429 past its limit (tests/fixtures/shaping_proxy.py).

What a run must do against rate-limited services: hold each endpoint to its own limit (a history API is another
service than the chain's node, with its own limit), share one endpoint's pace between every client that sends to
it, honour ``Retry-After`` for the whole endpoint, slow down on a 429 when no limit was configured, and never turn
a 429 into an error row.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.rpc import JsonRpcClient, run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.eos_node import EosScenario, eos_node
from tests.fixtures.shaping_proxy import ShapingProxy
from tests.fixtures.stub_server import StubServer

SNAP = 5_000


def eos_world(n: int) -> tuple[EosScenario, list[str]]:
    # The proxy in front is the limit. A busy token (more pages of actions after the snapshot than accounts, at a
    # server's page of 10) keeps the per-account path: one history query per account is the load paced here.
    sc = EosScenario(head=SNAP + 50, rate_limit_rpm=None, get_actions_limit=10)
    accounts = [f"pace{i:08d}"[:12] for i in range(n)]
    for i, a in enumerate(accounts):
        sc.opening[(a, "eosio.token", "EOS")] = 10_0000 + i
        sc.transfers.append((SNAP + 3, "eosio.token", "someone11111", a, "0.0007 EOS"))
    for i in range(12 * n):
        sc.transfers.append((SNAP + 4 + i % 40, "eosio.token", "someone11111", "otherone1111", "0.0001 EOS"))
    return sc, accounts


def run_eos(tmp: Path, chain_url: str, history_url: str, accounts: list[str], **options: object):
    con = connect(tmp / "por.duckdb")
    sid = insert_snapshot(con, [("EOS", "EOS", "EOS", a, SNAP) for a in accounts])
    opts = {"history_api": history_url, "history_lag_checks": 1, "history_lag_wait": 0.01, **options}
    cfg = PorConfig(networks={"EOS": NetworkSettings(name="EOS", rpc=[chain_url], rps=50, concurrency=16, backoff=0.05, timeout=5, options=opts)}, path=Path("por.toml"))
    summary = fetch_snapshot(con, cfg, sid)
    rows = dict(con.execute("select status, count(*) from balances where snapshot_id = ? group by all", [sid]).fetchall())
    summary.networks["EOS"].recorded = con.execute("select requests, rate_limited from runs where network = 'EOS'").fetchone()  # type: ignore[attr-defined]
    return summary.networks["EOS"], rows


def test_hyperion_paced_at_its_own_limit_draws_no_429_and_costs_no_row(tmp_path: Path) -> None:
    """The issue's case: Hyperion limited to 10 req/s behind 50 ms while the chain API allows 50 req/s.
    With ``history_rps`` its client keeps to 10/s: every row is read and at most a stray 429 is drawn."""
    sc, accounts = eos_world(60)
    with eos_node(sc) as node, ShapingProxy(node.url, rps=50, latency=0.05) as chain, ShapingProxy(node.url, rps=10, latency=0.05, style="fastify") as hyperion:
        run, rows = run_eos(tmp_path, chain.url, hyperion.url, accounts, history_rps=10, history_concurrency=4)
    assert rows == {"ok": 60} and run.errors == 0
    assert hyperion.counts["forwarded"] >= 60  # one history page per account at least
    assert hyperion.counts["429"] <= 2, hyperion.counts
    # runs records every request the network's clients sent, chain API and history API together
    assert run.recorded == (chain.counts["requests"] + hyperion.counts["requests"], hyperion.counts["429"] + chain.counts["429"])


def test_a_429_slows_the_endpoint_and_never_costs_a_row(tmp_path: Path) -> None:
    """No history_rps configured (the history client would run at the chain's 50/s): the 429s the
    10/s Hyperion answers slow its client down (Retry-After, then a lower rate) and every row is still read."""
    sc, accounts = eos_world(60)
    with eos_node(sc) as node, ShapingProxy(node.url, rps=50, latency=0.05) as chain, ShapingProxy(node.url, rps=10, latency=0.05, style="fastify") as hyperion:
        run, rows = run_eos(tmp_path, chain.url, hyperion.url, accounts)
    assert rows == {"ok": 60} and run.errors == 0
    # bounded: the endpoint slows down after a refusal instead of hammering the limit (60+ requests in all)
    assert 1 <= hyperion.counts["429"] <= 25, hyperion.counts
    assert run.recorded == (chain.counts["requests"] + hyperion.counts["requests"], hyperion.counts["429"] + chain.counts["429"])


def test_clients_of_one_url_share_its_pace() -> None:
    """Two clients on one endpoint (the UTXO adapter keeps three on its node; TRON's event scan and its
    history share TronGrid): together they keep to the endpoint's limit, so the provider refuses nothing."""

    async def go(url: str) -> None:
        async with run_session():
            s = NetworkSettings(name="X", rpc=[url], rps=8, concurrency=8, backoff=0.01, timeout=5)
            a, b = JsonRpcClient(s), JsonRpcClient(s)
            await asyncio.gather(*(c.rest("GET", "/ping") for c in (a, b) for _ in range(20)))

    with _echo() as stub, ShapingProxy(stub.url, rps=8, latency=0.01) as proxy:
        t0 = time.monotonic()
        asyncio.run(go(proxy.url))
        elapsed = time.monotonic() - t0
    assert proxy.counts["forwarded"] == 40 and proxy.counts["429"] == 0, proxy.counts
    assert elapsed >= (40 - 8) / 8 * 0.95  # a burst of 8, then 8/s for the other 32


def test_retry_after_holds_the_whole_endpoint() -> None:
    """A 429 with ``Retry-After: 2`` holds every request to that endpoint for 2 s, not only the refused one."""

    async def go(url: str) -> None:
        async with run_session():
            c = JsonRpcClient(NetworkSettings(name="X", rpc=[url], concurrency=8, backoff=0.01, timeout=5))
            await asyncio.gather(*(c.rest("GET", "/ping") for _ in range(12)))

    # 4 requests admitted at once, then one every second: the fifth request is refused with Retry-After 1-2 s
    with _echo() as stub, ShapingProxy(stub.url, rps=1, burst=4, latency=0.0) as proxy:
        asyncio.run(go(proxy.url))
    assert proxy.counts["forwarded"] == 12
    first = proxy.refusals[0]
    after = [t for t in proxy.arrivals if t > first]
    # whatever was refused together with the first, nothing arrives again before the first Retry-After (≥ 1 s) ends
    retried = [t for t in after if t - first > 0.05]
    assert retried and min(retried) - first >= 0.95
    assert proxy.counts["429"] <= 12  # each request refused at most about once: no hammering during the hold


def _echo() -> StubServer:
    from aiohttp import web

    async def ping(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    def app() -> web.Application:
        a = web.Application()
        a.router.add_get("/ping", ping)
        return a

    return StubServer(app)


def test_tron_reads_its_node_and_trongrid_side_by_side(tmp_path: Path) -> None:
    """TRON's two services each at their own limit at once: the TRC-20 replay's requests to TronGrid start while
    the node still reads TRX at the snapshot block (one request per account), not after them, so the network
    takes as long as its slower service, not the sum of both."""
    import hashlib

    from indexer.registry import registry
    from tests.fixtures.rehearsal import tron_node
    from tests.fixtures.tron_node import b58

    usdt = registry().coin("USDT-TRC20").contract  # type: ignore[union-attr]
    height = 66_000_000
    holders = [b58("41" + hashlib.sha256(f"pace {i}".encode()).hexdigest()[:40]) for i in range(220)]
    rows = [("TRX", a, height, "", 10**6 + i) for i, a in enumerate(holders[:200])] + [("USDT-TRC20", a, height, usdt, 10**7 + i) for i, a in enumerate(holders[200:])]
    with tron_node(rows) as node, ShapingProxy(node.url, rps=50, latency=0.01) as chain, ShapingProxy(node.url, rps=50, latency=0.01, style="trongrid") as grid:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, [("TRX" if not c else "USDT-TRC20", "TRX" if not c else "USDT", "TRON", a, h) for _, a, h, c, _ in rows])
        opts = {"history_api": grid.url, "history_rps": 50, "history_lag_checks": 1, "history_lag_wait": 0.01, "history_probe": "TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs"}
        cfg = PorConfig(networks={"TRON": NetworkSettings(name="TRON", rpc=[chain.url], rps=50, backoff=0.05, timeout=5, options=opts)}, path=Path("por.toml"))
        summary = fetch_snapshot(con, cfg, sid)
    assert (summary.networks["TRON"].ok, summary.networks["TRON"].errors) == (220, 0)
    assert chain.counts["429"] == grid.counts["429"] == 0
    # 200 TRX reads at 50/s keep the node busy for ~4 s; the 20 holders' replay on TronGrid (per holder or the one
    # event scan, whichever the counts chose) runs meanwhile: its requests arrive before the node is done, not after
    node_done = max(chain.arrivals)
    early = sum(1 for t in grid.arrivals if t < node_done - 1.0)
    assert len(grid.arrivals) >= 5 and early >= len(grid.arrivals) - 2, (early, len(grid.arrivals), node_done - min(chain.arrivals))

