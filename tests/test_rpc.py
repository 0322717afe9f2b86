"""The shared JSON-RPC client against a real anvil, directly and behind a faulty proxy."""

from __future__ import annotations

import asyncio
import time

import pytest

from indexer.config import NetworkSettings
from indexer.rpc import ConnectionFailed, JsonRpcClient, RateLimited, RpcError, TransportError, run_session
from tests.fixtures.anvil import Anvil, anvil, free_port  # noqa: F401  (fixture)
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.litecoind import litecoind  # noqa: F401  (fixture)


def settings(*urls: str, **kw: object) -> NetworkSettings:
    base = dict(name="ETH", rpc=list(urls), backoff=0.01, backoff_max=0.05, timeout=5.0)
    base.update(kw)
    return NetworkSettings(**base)  # type: ignore[arg-type]


def run(coro_fn, s: NetworkSettings):
    async def main():
        async with run_session():
            client = JsonRpcClient(s)
            return await coro_fn(client), client

    return asyncio.run(main())


def balance_calls(anvil: Anvil, n: int) -> list[tuple[str, list]]:
    return [("eth_getBalance", [f"0x{i:040x}", "latest"]) for i in range(1, n + 1)]


def test_call_and_typed_json_rpc_error(anvil: Anvil) -> None:
    async def go(c: JsonRpcClient):
        chain = await c.call("eth_chainId")
        with pytest.raises(RpcError) as err:
            await c.call("no_such_method", [])
        assert not isinstance(err.value, TransportError)  # deterministic: not retried
        return chain, err.value

    (chain, err), client = run(go, settings(anvil.url))
    assert chain == anvil.rpc("eth_chainId")
    assert err.code is not None and client.stats.requests == 2


def test_batch_in_order_with_per_item_errors_and_chunking(anvil: Anvil) -> None:
    for i in (3, 17, 40):
        anvil.set_balance(f"0x{i:040x}", 10**18 + i)
    calls = balance_calls(anvil, 50)
    calls.insert(10, ("eth_getBalance", ["0xnot-an-address", "latest"]))

    async def go(c: JsonRpcClient):
        return await c.batch(calls)

    results, client = run(go, settings(anvil.url, batch_size=7))
    assert len(results) == 51
    assert isinstance(results[10], RpcError) and not isinstance(results[10], TransportError)
    good = [r for k, r in enumerate(results) if k != 10]
    assert [int(r, 16) for r in good] == [anvil.balance(f"0x{i:040x}") for i in range(1, 51)]
    assert client.stats.requests == 8  # ceil(51 / 7)


def test_batch_halves_on_413_and_keeps_the_smaller_size(anvil: Anvil) -> None:
    calls = balance_calls(anvil, 40)
    with FaultyProxy(anvil.url, max_batch=6) as proxy:
        results, client = run(lambda c: c.batch(calls), settings(proxy.url, batch_size=40))
    assert [int(r, 16) for r in results] == [anvil.balance(f"0x{i:040x}") for i in range(1, 41)]
    assert client.batch_size <= 6 and client.stats.halvings >= 1 and proxy.counts["413"] >= 1


def test_faults_are_retried_to_exact_answers(anvil: Anvil) -> None:
    for i in range(1, 121):
        anvil.set_balance(f"0x{i:040x}", 7 * i + 10**15)
    calls = balance_calls(anvil, 120)
    expected = [anvil.balance(f"0x{i:040x}") for i in range(1, 121)]

    async def go(c: JsonRpcClient):
        batched = await c.batch(calls)
        singles = await asyncio.gather(*(c.call(m, p) for m, p in calls[:40]))
        return batched, singles

    with FaultyProxy(anvil.url, share=0.4, seed=7, delay=0.5, max_consecutive=3) as proxy:
        (batched, singles), client = run(go, settings(proxy.url, batch_size=10, timeout=0.25, retries=5))
    assert [int(r, 16) for r in batched] == expected
    assert [int(r, 16) for r in singles] == expected[:40]
    injected = {k: v for k, v in proxy.counts.items() if k != "requests"}
    assert set(injected) >= {"drop", "delay", "429", "500", "malformed", "partial_batch"}, injected
    assert client.stats.retries >= sum(injected.values())


def test_failover_to_the_next_endpoint(anvil: Anvil) -> None:
    dead = f"http://127.0.0.1:{free_port()}"

    async def go(c: JsonRpcClient):
        return await c.call("eth_chainId"), c.source

    (chain, source), client = run(go, settings(dead, anvil.url, retries=2))
    assert chain == anvil.rpc("eth_chainId")
    assert source == f"127.0.0.1:{anvil.port}" and client.stats.failovers == 1


def test_retry_budget_exhausted_raises_typed_error_without_secrets(anvil: Anvil) -> None:
    with FaultyProxy(anvil.url, share=1.0, faults=("429",), max_consecutive=99, max_faults=99) as proxy:
        s = settings(proxy.url, retries=2, rate_limit_retries=4)
        with pytest.raises(RateLimited):
            run(lambda c: c.call("eth_chainId"), s)
        assert proxy.counts["429"] == 5  # a 429 spends its own budget (first try + 4), not the faults' (2)
    port = free_port()
    s = settings(f"http://alice:hunter2-SECRET@127.0.0.1:{port}/v2/${'{'}KEY{'}'}", retries=1)
    s.secrets = ("hunter2-SECRET",)
    with pytest.raises(ConnectionFailed) as err:
        run(lambda c: c.call("eth_chainId"), s)
    assert "SECRET" not in str(err.value) and str(err.value).startswith(f"127.0.0.1:{port}")


def test_rate_limit_holds_requests_per_second(anvil: Anvil) -> None:
    async def go(c: JsonRpcClient):
        t0 = time.monotonic()
        await asyncio.gather(*(c.call("eth_blockNumber") for _ in range(10)))
        return time.monotonic() - t0

    elapsed, _ = run(go, settings(anvil.url, rps=5.0))
    # a burst of 5, then 5 more at 5/s: at least ~1 s must pass (a lower bound, not a speed limit)
    assert elapsed >= 0.9


def test_bitcoin_core_http_500_error_body_is_the_nodes_answer_not_a_retry(litecoind) -> None:
    """Core < 28 answers RPC errors with HTTP 500 + a JSON-RPC error: surface code and message, once."""
    from indexer.config import Auth
    from tests.fixtures.litecoind import PASSWORD, USER

    async def go(c: JsonRpcClient):
        with pytest.raises(RpcError) as err:
            await c.call("getblockhash", [10**6])
        return err.value

    err, client = run(go, settings(litecoind.url, auth=Auth(USER, PASSWORD), retries=3))
    assert not isinstance(err, TransportError)
    assert err.code == -8 and "out of range" in str(err).lower()
    assert client.stats.requests == 1
