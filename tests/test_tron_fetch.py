"""The TRON balance adapter: the pure codec against tronpy/eth_abi on the same bytes, then the
fetcher against a protocol-faithful java-tron + TronGrid stub driven by a recorded scenario.

The scenario moves balances before and after the snapshot block, creates accounts after it, has a
token that reverts, a hot wallet whose history spans several TronGrid pages, transfers after the
solidified block (unconfirmed: neither half may see them) and Approval rows TronGrid lists beside
transfers. Expected values are computed from the scenario's events, never written by hand.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator

import pytest
from eth_abi import encode as abi_encode
from tronpy.abi import trx_abi
from tronpy.keys import to_base58check_address, to_hex_address

from chains.tron import codec
from chains.tron.fetch import TronFetcher, make_fetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest
from indexer.plugins import BlockReference, FetchBlocked, capabilities_for, fetcher_factory
from indexer.registry import registry
from indexer.rpc import run_session
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.tron_node import RATE_LIMIT_TEXT, WITNESS, Scenario, Token, TronNode, block_id, block_ts, hex41

TRON = registry().networks["TRON"]
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDC = "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8"
SNAP = 600


def addr(name: str) -> str:
    return to_base58check_address("41" + hashlib.sha256(name.encode()).hexdigest()[:40])


A, C, D, E, F, G = (addr(n) for n in "ACDEFG")


def scenario(**kw: object) -> Scenario:
    """Head 1000, solidified 981, snapshot block 600."""
    s = Scenario(head=1000, **kw)  # type: ignore[arg-type]
    s.trx = {
        hex41(A): [(100, 5_000_000), (550, 7_000_000), (700, 1_000_000)],  # changes before and after the snapshot
        hex41(C): [(200, 42)],
        hex41(D): [(800, 9_000_000)],  # created after the snapshot
        hex41(F): [(50, 123_456_789), (620, 123_000_000)],
        hex41(G): [(10, 0), (400, 2_000_000), (590, 0)],  # emptied just before the snapshot
        WITNESS: [(1, 32_000_000)],
    }
    s.tokens = {hex41(USDT): Token("USDT", minted={hex41(A): 10_000_000, hex41(C): 3_000_000, hex41(F): 5_000_000_000}), hex41(USDC): Token("USDC", kind="revert")}
    s.transfer(hex41(USDT), 500, A, C, 1_000_000)  # before
    s.transfer(hex41(USDT), SNAP, A, C, 7)  # in the snapshot block itself: counted at the snapshot
    s.transfer(hex41(USDT), 650, C, A, 2_500_000)  # after
    s.transfer(hex41(USDT), 800, A, D, 300_000)  # after; D did not exist at the snapshot
    s.transfer(hex41(USDT), 990, A, D, 5)  # after the solidified block: unconfirmed, in neither half
    s.transfer(hex41(USDT), 700, A, A, 11)  # to itself
    for i in range(450):  # a hot wallet: three TronGrid pages after the snapshot
        s.transfer(hex41(USDT), 601 + i % 380, F, E if i % 3 else C, 1_000 + i)
    s.tokens[hex41(USDT)].approvals.append((700, hex41(A), hex41(C), 10**12, "ab" * 32))  # not a transfer
    return s


def truth(s: Scenario, address: str, contract: str, block: int) -> int:
    if contract:
        return s.token_balance(hex41(contract), hex41(address), block)
    bal, _ = s.trx_at(hex41(address), block)
    return bal or 0


def requests_for(block: int | None = SNAP) -> list[BalanceRequest]:
    return [BalanceRequest(a, c, block) for a in (A, C, D, E, F, G) for c in ("", USDT)]


def settings(url: str, history: str | None = None, **options: object) -> NetworkSettings:
    opts = dict(options)
    if history:
        opts["history_api"] = history
    return NetworkSettings(name="TRON", rpc=[url], backoff=0.01, backoff_max=0.05, timeout=5.0, options=opts)


def run(s: NetworkSettings, reqs: list[BalanceRequest], preflight: bool = True) -> tuple[list, TronFetcher]:
    async def go():
        async with run_session():
            f = make_fetcher(TRON, s)
            if preflight:
                await f.preflight({r.block for r in reqs})
            return await f.fetch(reqs), f

    return asyncio.run(go())


@pytest.fixture(scope="module")
def node() -> Iterator[TronNode]:
    with TronNode(scenario()) as n:
        yield n


# ------------------------------------------------------------------------------------------ pure codec

def test_addresses_match_tronpy() -> None:
    for i in range(200):
        raw = hashlib.sha256(i.to_bytes(4, "big")).digest()[:20]
        if i == 0:
            raw = b"\0" * 20  # the zero address: leading 1s in base58
        b58 = to_base58check_address("41" + raw.hex())
        assert codec.to_base58(raw) == codec.to_base58("41" + raw.hex()) == b58
        assert codec.to_hex41(b58) == to_hex_address(b58).lower() == "41" + raw.hex()
        assert codec.account20(b58) == raw
    assert codec.to_base58(codec.to_hex41(USDT)) == USDT
    for bad in ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "0x" + "11" * 20, "tr7nhqjekqxgtci8q8zy4pl8otszgjlj6t", "42" + "00" * 20, ""):
        with pytest.raises(ValueError):
            codec.to_hex41(bad)


def test_abi_words_match_tronpy_and_eth_abi() -> None:
    assert codec.balance_of_parameter(A) == trx_abi.encode(["address"], [A]).hex()
    assert codec.balance_of_data(A) == bytes.fromhex("70a08231") + trx_abi.encode(["address"], [A])
    calls = [(USDT, codec.balance_of_data(A)), (codec.MULTICALL, codec.get_balance_data(C)), (USDC, b"\x01" * 33), (D, b"")]
    assert codec.encode_aggregate(calls) == trx_abi.encode(["(address,bytes)[]"], [calls]).hex()
    assert codec.encode_aggregate([]) == trx_abi.encode(["(address,bytes)[]"], [[]]).hex()
    datas = [(2**256 - 1).to_bytes(32, "big"), b"", b"\x07" * 40]
    answer = abi_encode(["uint256", "bytes[]"], [981, datas]).hex()
    assert codec.decode_aggregate(answer, 3) == (981, datas)
    with pytest.raises(codec.CodecError, match="3 results for 2"):
        codec.decode_aggregate(answer, 2)
    with pytest.raises(codec.CodecError, match="truncated|runs past"):
        codec.decode_aggregate(answer[:-64], 3)
    with pytest.raises(codec.CodecError, match="no data"):
        codec.decode_aggregate("", 1)
    assert codec.decode_uint256(datas[0]) == 2**256 - 1
    for bad in (b"", b"\x01" * 31):
        with pytest.raises(codec.CodecError):
            codec.decode_uint256(bad)


def test_answer_decoders_follow_java_tron_json() -> None:
    assert codec.parse_account({}) == codec.AccountState(False, 0, None)
    assert codec.parse_account({"address": A, "create_time": 1}).balance == 0  # zero fields are omitted
    assert codec.parse_account({"address": A, "balance": 12}).balance == 12
    with pytest.raises(codec.CodecError, match="IllegalArgument"):
        codec.parse_account({"Error": "class java.lang.IllegalArgumentException : bad"})
    with pytest.raises(codec.CodecError):
        codec.parse_account({"address": A, "balance": 1.5})
    assert codec.parse_account_balance({"block_identifier": {"hash": block_id(5), "number": 5}}) == (0, 5)
    assert codec.parse_account_balance({"balance": 9, "block_identifier": {"hash": block_id(3), "number": 3}}) == (9, 3)
    with pytest.raises(codec.CodecError):
        codec.parse_account_balance({})
    ref = codec.parse_block({"blockID": block_id(7), "block_header": {"raw_data": {"number": 7, "timestamp": block_ts(7)}}})
    assert ref == codec.BlockRef(7, block_id(7), block_ts(7))
    assert codec.parse_block({}) is None
    with pytest.raises(codec.CodecError, match="does not name"):
        codec.parse_block({"blockID": block_id(8), "block_header": {"raw_data": {"number": 7, "timestamp": 1}}})
    revert = {"result": {"result": True, "message": "REVERT opcode executed"}, "constant_result": ["08c379a0" + abi_encode(["string"], ["Pausable: paused"]).hex()], "transaction": {"ret": [{"ret": "FAILED"}]}}
    got = codec.parse_constant_call(revert)
    assert not got.ok and "Pausable: paused" in got.error and "REVERT" in got.error
    refused = codec.parse_constant_call({"result": {"code": "CONTRACT_VALIDATE_ERROR", "message": "No contract or not a smart contract"}})
    assert not refused.ok and not refused.data and "CONTRACT_VALIDATE_ERROR" in refused.error
    ok = codec.parse_constant_call({"result": {"result": True}, "constant_result": ["00" * 31 + "05"], "transaction": {"ret": [{}]}})
    assert ok.ok and codec.decode_uint256(ok.data) == 5
    page = {
        "success": True,
        "meta": {"at": 1, "page_size": 3, "fingerprint": "abc"},
        "data": [
            {"transaction_id": "t1", "token_info": {"address": USDT}, "block_timestamp": 5, "from": A, "to": C, "type": "Transfer", "value": "100000000000000000000000"},
            {"transaction_id": "t2", "token_info": {"address": USDT}, "block_timestamp": 5, "from": A, "to": C, "type": "Approval", "value": "1"},
            {"transaction_id": "t3", "token_info": {"address": USDC}, "block_timestamp": 5, "from": A, "to": C, "type": "Transfer", "value": "1"},
        ],
    }
    transfers, fp = codec.parse_trc20_page(page, USDT)
    assert fp == "abc" and [t.txid for t in transfers] == ["t1"] and transfers[0].value == 10**23
    assert codec.net_inflow(transfers, A) == -(10**23) and codec.net_inflow(transfers, C) == 10**23
    with pytest.raises(codec.CodecError, match="rate exceeded"):
        codec.parse_trc20_page({"Error": RATE_LIMIT_TEXT}, USDT)
    page["data"][0]["value"] = 1.0
    with pytest.raises(codec.CodecError, match="float"):
        codec.parse_trc20_page(page, USDT)


def test_plugin_declares_its_capabilities() -> None:
    caps = capabilities_for("tron")
    assert caps is not None and caps.native_methods == ("state_at_height", "latest") and caps.token_methods == ("replayed", "latest")
    assert caps.block_reference is BlockReference.HEIGHT and fetcher_factory("tron") is not None


# ------------------------------------------------------------------------------------------ against the stub

def test_snapshot_values_state_at_height_and_replayed(node: TronNode) -> None:
    s = node.s
    reqs = requests_for() + [BalanceRequest(A, USDC, SNAP), BalanceRequest(A, D, SNAP)]  # a reverting token; an account with no code
    results, f = run(settings(node.url, history=node.url, chunk_size=5), reqs)
    for r in results[:12]:
        assert r.ok, (r.request, r.error)
        assert r.base_units == truth(s, r.request.address, r.request.contract, SNAP), r.request
        assert r.block_height == SNAP
        assert r.method == ("replayed" if r.request.contract else "state_at_height")
    assert "Pausable: paused" in results[12].error and results[12].base_units is None
    assert "no data" in results[13].error and results[13].base_units is None
    # the history really moved, so a read at the wrong block would have failed above
    for a in (A, F):
        assert truth(s, a, USDT, SNAP) != truth(s, a, USDT, s.solid) and truth(s, a, "", SNAP) != truth(s, a, "", s.solid)
    assert truth(s, D, "", SNAP) == 0 and truth(s, D, USDT, SNAP) == 0 and truth(s, D, USDT, s.solid) > 0
    assert truth(s, A, USDT, s.solid) != truth(s, A, USDT, s.head)  # the unconfirmed transfer is not in either half
    assert f.used["multicall"] >= 6 and f.used["getaccountbalance"] == 6
    assert f.replayed_accounts == 6 and f.replay_requests == 6 + 2 + 1  # F: 450 transfers on three pages; E: 300 on two
    assert "replay" in f.method


def test_no_balance_history_node_gives_latest_never_snapshot_zeros() -> None:
    with TronNode(scenario(history=False)) as n:
        results, f = run(settings(n.url, history=n.url), requests_for())
    natives = [r for r in results if not r.request.contract]
    assert all(r.ok and r.method == "latest" and r.block_height == n.s.solid for r in natives)
    assert all("balance history is not enabled" in r.note for r in natives)
    assert [r.base_units for r in natives] == [truth(n.s, r.request.address, "", n.s.solid) for r in natives]
    assert any(truth(n.s, r.request.address, "", SNAP) != r.base_units for r in natives)
    tokens = [r for r in results if r.request.contract]
    assert all(r.method == "replayed" and r.base_units == truth(n.s, r.request.address, USDT, SNAP) for r in tokens)
    assert "balance history" in f.method


def test_a_node_that_ignores_the_block_is_refused_too() -> None:
    class Ignoring(TronNode):
        async def getaccountbalance(self, request):  # type: ignore[no-untyped-def]
            from aiohttp import web

            body = await request.json()
            bal, _ = self.s.trx_at(hex41(body["account_identifier"]["address"]), self.s.head)
            return web.json_response({"balance": bal or 0, "block_identifier": body["block_identifier"]})

    with Ignoring(scenario()) as n:
        results, _ = run(settings(n.url), [BalanceRequest(A, "", SNAP)])
    assert results[0].method == "latest" and "before the account existed" in results[0].note


def test_unverifiable_balance_history_gives_errors_until_a_funded_account_is_probed() -> None:
    s = scenario(history=False)
    del s.trx[WITNESS]  # nobody funded among the probed accounts: the question stays open
    with TronNode(s) as n:
        results, _ = run(settings(n.url), [BalanceRequest(E, "", SNAP), BalanceRequest(G, "", SNAP)])
        assert all(not r.ok and "could not test the node's balance history" in r.error for r in results)
        results, _ = run(settings(n.url, history_probe=F), [BalanceRequest(E, "", SNAP), BalanceRequest(G, "", SNAP)])
        assert all(r.ok and r.method == "latest" and "not enabled" in r.note for r in results)


def test_without_history_api_tokens_are_latest_with_the_reason(node: TronNode) -> None:
    results, _ = run(settings(node.url), [BalanceRequest(A, USDT, SNAP), BalanceRequest(A, "", SNAP)])
    assert results[0].method == "latest" and "no history_api" in results[0].note
    assert results[0].base_units == truth(node.s, A, USDT, node.s.solid) and results[0].block_height == node.s.solid
    assert results[1].method == "state_at_height"


def test_single_calls_without_multicall_and_halving_on_cpu_timeouts() -> None:
    with TronNode(scenario(multicall=False)) as n:
        results, f = run(settings(n.url, history=n.url), requests_for())
        assert [r.base_units for r in results] == [truth(n.s, r.request.address, r.request.contract, SNAP) for r in results]
        assert f.used["single"] == 6 and "unusable" in f.method
    with TronNode(scenario(max_calls=2)) as n:
        results, f = run(settings(n.url, history=n.url, chunk_size=6), requests_for())
        assert [r.base_units for r in results] == [truth(n.s, r.request.address, r.request.contract, SNAP) for r in results]
        assert f.chunk <= 2 and f.used["multicall"] == 6


def test_both_halves_bind_to_the_block_the_multicall_read() -> None:
    """The solidified head moves during the run: the replay is bounded by the block the read saw."""

    class Moving(TronNode):
        async def getnowblock(self, request):  # type: ignore[no-untyped-def]
            answer = await super().getnowblock(request)
            self.s.head += 7
            return answer

    def busy(**kw: object) -> Scenario:
        s = scenario(**kw)
        for b in range(960, 1300):  # F keeps paying every block while the run goes on
            s.transfer(hex41(USDT), b, F, E, 1)
        return s

    with Moving(busy()) as n:
        results, _ = run(settings(n.url, history=n.url), requests_for())
        assert [r.base_units for r in results] == [truth(n.s, r.request.address, r.request.contract, SNAP) for r in results]
        assert all(r.ok for r in results)
    with Moving(busy(multicall=False)) as n:  # single calls: only the window between two heads is known
        results, _ = run(settings(n.url, history=n.url), requests_for())
        for r in results:  # exact, or refused because that account moved inside the window: never a guess
            if r.ok:
                assert r.base_units == truth(n.s, r.request.address, r.request.contract, SNAP), r
            else:
                assert r.request.contract and "changed between solidified blocks" in r.error, r
        assert any(not r.ok for r in results if r.request.address == F)  # F pays every block


def test_rate_limits_and_api_key_reach_trongrid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRONGRID_KEY", "k-123-secret")
    with TronNode(scenario(rate_limit_every=3)) as n:
        results, _ = run(settings(n.url, history=n.url, history_api_key="${TRONGRID_KEY}"), requests_for())
        assert n.counts["trongrid_rate_limited"] > 0
        assert n.api_keys == {"k-123-secret": n.counts["trongrid"]}
    assert [r.base_units for r in results] == [truth(n.s, r.request.address, r.request.contract, SNAP) for r in results]


def test_replay_waits_for_the_history_index_to_reach_the_block_read() -> None:
    class CatchingUp(TronNode):
        async def latest_events(self, request):  # type: ignore[no-untyped-def]
            answer = await super().latest_events(request)
            self.s.grid_lag = max(0, self.s.grid_lag - 2)
            return answer

    with TronNode(scenario(grid_lag=3)) as n:  # an indexer that stays behind: no replay on a partial history
        results, _ = run(settings(n.url, history=n.url, history_lag_checks=2, history_lag_wait=0.01), [BalanceRequest(A, USDT, SNAP)])
        assert not results[0].ok and "confirmed events only up to block 978, the balance was read at block 981" in results[0].error
    with CatchingUp(scenario(grid_lag=3)) as n:
        results, _ = run(settings(n.url, history=n.url, history_lag_checks=3, history_lag_wait=0.01), requests_for())
        assert [r.base_units for r in results] == [truth(n.s, r.request.address, r.request.contract, SNAP) for r in results]
        assert n.counts["latest_events"] == 3  # 978, 980, 981: checked until it caught up, then remembered


def test_history_failures_are_errors_not_latest() -> None:
    with TronNode(scenario()) as n:
        results, _ = run(settings(n.url, history=n.url + "/nothing-here"), [BalanceRequest(A, USDT, SNAP)])
    assert not results[0].ok and "TRC-20 history unavailable" in results[0].error and "404" in results[0].error


def test_preflight_refuses_blocks_the_node_cannot_serve(node: TronNode) -> None:
    with pytest.raises(FetchBlocked, match="beyond the node's solidified block 981"):
        run(settings(node.url), [BalanceRequest(A, "", 990)])
    with TronNode(scenario(oldest_block=700)) as lite:
        with pytest.raises(FetchBlocked, match="does not have block 600"):
            run(settings(lite.url), [BalanceRequest(A, "", SNAP)])
    results, _ = run(settings(node.url), [BalanceRequest("not-an-address", "", SNAP), BalanceRequest(A, "TXYZ", SNAP)])
    assert all(not r.ok and "not a TRON address" in r.error for r in results)


def test_latest_reads_and_a_case_damaged_contract(node: TronNode) -> None:
    results, _ = run(settings(node.url), [BalanceRequest(A, USDT, None), BalanceRequest(F, "", None), BalanceRequest(A, USDT.lower(), None)], preflight=False)
    assert [r.method for r in results[:2]] == ["latest", "latest"]
    assert [r.base_units for r in results[:2]] == [truth(node.s, A, USDT, node.s.solid), truth(node.s, F, "", node.s.solid)]
    assert not results[2].ok and results[2].base_units is None  # base58 is case-sensitive: a lowercased contract is not the token


def test_faulty_transport_still_gives_exact_answers() -> None:
    with TronNode(scenario()) as n, FaultyProxy(n.url, share=0.3, seed=5, delay=0.4, max_consecutive=2) as proxy:
        s = settings(proxy.url, history=proxy.url, chunk_size=4)
        s.timeout, s.retries = 0.3, 6
        results, _ = run(s, requests_for())
        faults = sum(v for k, v in proxy.counts.items() if k != "requests")
    assert faults > 0
    assert [r.base_units for r in results] == [truth(n.s, r.request.address, r.request.contract, SNAP) for r in results]
