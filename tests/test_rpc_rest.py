"""``JsonRpcClient.rest``: plain HTTP JSON calls with the same retries, failover and error typing.

The server answers the way REST chain APIs really do: TronGrid's HTTP 200 ``{"Error": "request rate
exceeded…"}``, Aptos' HTTP 410 JSON error body, a 503 from a load balancer.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from indexer.config import NetworkSettings
from indexer.rpc import HttpError, JsonRpcClient, RateLimited, run_session


def serve(app: web.Application):
    async def start():
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner, f"http://127.0.0.1:{port}"

    return start


def test_rest_get_post_retries_and_typed_errors() -> None:
    hits = {"rate": 0, "flaky": 0}

    async def rate(request: web.Request) -> web.Response:
        hits["rate"] += 1
        if hits["rate"] <= 2:  # TronGrid: HTTP 200 with an Error text
            return web.json_response({"Error": "request rate exceeded the allowed_rps(10), and the query server is suspended for 5 s"})
        body = await request.json()
        return web.json_response({"balance": 1_000_001, "echo": body})

    async def flaky(request: web.Request) -> web.Response:
        hits["flaky"] += 1
        if hits["flaky"] == 1:
            return web.Response(status=503, text="<html>busy</html>")
        return web.json_response({"ledger_version": "123", "q": request.query.get("ledger_version")})

    async def gone(request: web.Request) -> web.Response:
        return web.json_response(
            {"message": "Ledger version(1) has been pruned", "error_code": "version_pruned", "vm_error_code": None}, status=410
        )

    app = web.Application()
    app.router.add_post("/wallet/getaccount", rate)
    app.router.add_get("/v1", flaky)
    app.router.add_post("/v1/view", gone)

    async def main():
        runner, url = await serve(app)()
        try:
            async with run_session():
                s = NetworkSettings(name="TRON", rpc=[url], backoff=0.01, backoff_max=0.02, timeout=5.0, retries=3)
                c = JsonRpcClient(s)
                acct = await c.rest("POST", "/wallet/getaccount", {"address": "T..."})
                info = await c.rest("get", "v1", params={"ledger_version": 7})
                with pytest.raises(HttpError) as err:
                    await c.rest("POST", "/v1/view", {"function": "0x1::coin::balance"})
                s2 = NetworkSettings(name="TRON", rpc=[url], backoff=0.01, backoff_max=0.02, timeout=5.0, retries=0, rate_limit_retries=0)
                hits["rate"] = 0
                with pytest.raises(RateLimited):
                    await JsonRpcClient(s2).rest("POST", "/wallet/getaccount", {})
                return acct, info, err.value, c.stats
        finally:
            await runner.cleanup()

    acct, info, err, stats = asyncio.run(main())
    assert acct == {"balance": 1_000_001, "echo": {"address": "T..."}}
    assert hits["rate"] == 1  # the second client gave up after its one try
    assert info == {"ledger_version": "123", "q": "7"}
    assert err.status == 410 and err.body["error_code"] == "version_pruned"
    assert "pruned" in str(err)
    assert stats.requests == 2 + 1 + 2 + 1  # two rate-limited tries + 1, one 503 + 1, one 410
