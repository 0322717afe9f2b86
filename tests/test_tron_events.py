"""TRC-20 balances that change without a Transfer: the replay must refuse them, never store a wrong value.

Tether's TetherToken (USDT-TRC20) moves balances with ``issue``/``redeem`` (the owner, ``Issue``/``Redeem``
events) and ``destroyBlackFunds`` (a blacklisted holder, ``DestroyedBlackFunds(address,uint256)``), none of
which emits a ``Transfer``. The stub's token really changes the balances and emits those events, TronGrid's
``/v1/contracts/{c}/events`` serves them; expected values come from the scenario, never written by hand.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from aiohttp import web
from eth_abi import encode as abi_encode
from tronpy.keys import to_hex_address

from chains.tron import codec
from indexer.models import BalanceRequest
from tests.fixtures.tron_node import RATE_LIMIT_TEXT, TronNode, block_ts, hex41
from tests.test_tron_fetch import SNAP, USDT, A, C, D, E, F, addr, requests_for, run, scenario, settings, truth

O = addr("owner")  # Tether's owner account: issue/redeem land here
U = hex41(USDT)


def tether(**kw: object):
    s = scenario(**kw)
    s.tokens[U].owner = hex41(O)
    s.tokens[U].minted[hex41(O)] = 10**12
    return s


def names_scanned(s) -> list[str]:
    """The events the fetcher asks TronGrid for by name: the token's on-chain ABI minus those that move no balance."""
    return [n for n in s.tokens[U].abi_events() if n not in codec.HARMLESS_EVENTS]


def usdt_rows(results: list) -> dict[str, object]:
    return {r.request.address: r for r in results if r.request.contract == USDT}


def naive_replay(s, holder: str, read_block: int) -> int:
    """What the replay computed before this guard: the current balance minus the later transfers only."""
    inflow = 0
    for b, frm, to, value, _ in s.tokens[U].transfers:
        if SNAP < b <= read_block:
            inflow += (value if to == hex41(holder) else 0) - (value if frm == hex41(holder) else 0)
    return truth(s, holder, USDT, read_block) - inflow


# ------------------------------------------------------------------------------------------ pure codec

def test_event_rows_decode_as_trongrid_writes_them() -> None:
    holder, other = hex41(C), hex41(A)
    page = {
        "success": True,
        "meta": {"at": 1, "page_size": 2, "fingerprint": "next"},
        "data": [
            {
                "block_number": 620, "block_timestamp": block_ts(620), "contract_address": USDT, "event_index": 0,
                "event_name": "DestroyedBlackFunds", "transaction_id": "t1",
                "result": {"0": "0x" + holder[2:], "1": "5000", "_blackListedUser": "0x" + holder[2:], "_balance": "5000"},
                "result_type": {"_blackListedUser": "address", "_balance": "uint256"},
            },
            {
                "block_number": 700, "block_timestamp": block_ts(700), "contract_address": USDT, "event_index": 0,
                "event_name": "Issue", "transaction_id": "t2", "result": {"0": "7", "amount": "7"}, "result_type": {"amount": "uint256"},
            },
        ],
    }
    events, fp = codec.parse_events_page(page)
    assert fp == "next" and [(e.name, e.block, e.txid) for e in events] == [("DestroyedBlackFunds", 620, "t1"), ("Issue", 700, "t2")]
    # the address argument, in the 0x form TronGrid writes, is the same account tronpy derives from base58
    assert codec.event_addresses(events[0]) == {to_hex_address(C).lower()} == {holder}
    assert "DestroyedBlackFunds in transaction t1" in codec.balance_event_reason(events[0], holder, None)
    assert codec.balance_event_reason(events[0], other, None) == ""
    assert "owner" in codec.balance_event_reason(events[1], other, other) and codec.balance_event_reason(events[1], holder, other) == ""
    assert "could not be read" in codec.balance_event_reason(events[1], holder, None)
    # a 42-digit amount that happens to read as 41-hex is not an address when result_type says uint256
    amount = "41" + "1" * 40
    typed = codec.ContractEvent("t3", 1, 1, "Mint", (("0", amount), ("value", amount)), (("value", "uint256"),))
    assert codec.event_addresses(typed) == set()
    untyped = codec.ContractEvent("t4", 1, 1, "Seize", (("0", "0x" + holder[2:]),))
    assert "Seize in transaction t4" in codec.balance_event_reason(untyped, holder, None)
    for name in ("Transfer", "Approval", "AddedBlackList", "RemovedBlackList"):
        assert codec.balance_event_reason(codec.ContractEvent("t", 1, 1, name, (("0", "0x" + holder[2:]),)), holder, holder) == ""
    assert "every balance" in codec.balance_event_reason(codec.ContractEvent("t5", 1, 1, "Deprecate", (("0", "0x" + "99" * 20),)), holder, None)
    assert codec.decode_address_word(abi_encode(["address"], ["0x" + other[2:]])) == other
    with pytest.raises(codec.CodecError):
        codec.decode_address_word("ff" * 32)
    with pytest.raises(codec.CodecError, match="rate exceeded"):
        codec.parse_events_page({"Error": RATE_LIMIT_TEXT})
    with pytest.raises(codec.CodecError, match="not a success page"):
        codec.parse_events_page({"success": False, "error": "invalid contract address", "statusCode": 400})
    del page["data"][0]["block_number"]
    with pytest.raises(codec.CodecError, match="malformed"):
        codec.parse_events_page(page)


# ------------------------------------------------------------------------------------------ against the stub

def test_destroyed_black_funds_after_the_snapshot_is_an_error_not_a_wrong_value() -> None:
    s = tether()
    s.blacklist(U, 610, C)
    destroy = s.destroy_black_funds(U, 660, C)  # after C sent 2.5M at 650
    s.blacklist(U, 630, A)  # blacklisting alone moves nothing: A stays exact
    reqs = requests_for() + [BalanceRequest(C, USDT, 700)]  # a later snapshot block: the destroy is before it
    assert 0 < naive_replay(s, C, s.solid) != truth(s, C, USDT, SNAP)  # without the guard: a plausible, wrong value
    with TronNode(s) as n:
        results, _ = run(settings(n.url, history=n.url), reqs)
    rows = usdt_rows(results[:12])
    bad = rows[C]
    assert not bad.ok and bad.base_units is None
    assert "DestroyedBlackFunds" in bad.error and destroy in bad.error and "without a Transfer" in bad.error
    for who in (A, D, E, F):
        assert rows[who].ok and rows[who].base_units == truth(s, who, USDT, SNAP), rows[who]
    later = results[12]
    assert later.ok and later.method == "replayed" and later.base_units == truth(s, C, USDT, 700) != truth(s, C, USDT, SNAP)
    assert all(r.ok for r in results if not r.request.contract)  # TRX rows are untouched by token events


def test_owner_issue_and_redeem_refuse_the_owner_row_only() -> None:
    s = tether()
    issued = s.issue(U, 700, 5_000_000)
    redeemed = s.redeem(U, 760, 1_000_000)
    reqs = requests_for() + [BalanceRequest(O, USDT, SNAP)]
    with TronNode(s) as n:
        results, _ = run(settings(n.url, history=n.url), reqs)
        owner_calls = n.counts["owner_calls"]
    owner_row = results[-1]
    assert not owner_row.ok and owner_row.base_units is None
    assert ("Issue" in owner_row.error and issued in owner_row.error) or ("Redeem" in owner_row.error and redeemed in owner_row.error)
    assert owner_calls == 1  # owner() read once per token
    for r in results[:-1]:
        assert r.ok and r.base_units == truth(s, r.request.address, r.request.contract, SNAP), r


def test_events_before_the_snapshot_or_after_the_block_read_do_not_matter() -> None:
    s = tether()
    s.issue(U, 300, 9_000_000)  # before the snapshot
    s.redeem(U, SNAP, 1_000)  # in the snapshot block itself: already in the snapshot's balance
    s.destroy_black_funds(U, 400, E)
    s.issue(U, 990, 1)  # after the solidified block: not confirmed, not in the block read
    reqs = requests_for() + [BalanceRequest(O, USDT, SNAP)]
    with TronNode(s) as n:
        results, _ = run(settings(n.url, history=n.url), reqs)
    assert [r.base_units for r in results] == [truth(s, r.request.address, r.request.contract, SNAP) for r in results]
    assert truth(s, O, USDT, SNAP) != truth(s, O, USDT, s.head)


def test_an_event_after_this_rows_read_block_but_inside_the_shared_scan_is_ignored() -> None:
    """Chunks read at different solidified blocks share one scan; each row looks only up to its own read block."""

    class Advancing(TronNode):
        async def triggerconstantcontract(self, request: web.Request) -> web.Response:
            answer = await super().triggerconstantcontract(request)
            self.s.head += 10  # the next chunk is read 10 blocks later
            return answer

    s = tether()
    destroy = s.destroy_black_funds(U, 985, C)  # after C's read block (981), before A's (991)
    with Advancing(s) as n:
        st = settings(n.url, history=n.url, chunk_size=1)
        st.concurrency = 1  # chunks go out in order: C first
        results, f = run(st, [BalanceRequest(C, USDT, SNAP), BalanceRequest(A, USDT, SNAP)])
        scans = n.counts["contract_events"]
    assert [r.block_height for r in results] == [SNAP, SNAP] and all(r.ok for r in results), results
    assert [r.base_units for r in results] == [truth(s, C, USDT, SNAP), truth(s, A, USDT, SNAP)]
    assert "read at solidified block 981" in results[0].note or "block 981" in results[0].note
    assert any(e.txid == destroy for e in f._scans[U].events) and scans == f.event_requests  # the scan did see it
    # scanned (one page per event name) up to the solidified block while the balances were read, then extended
    # once by the blocks the reads moved on
    assert scans == 2 * len(names_scanned(s)) and f._scans[U].hi == block_ts(991)


def test_unknown_events_naming_the_holder_refuse_and_a_deprecation_refuses_all() -> None:
    s = tether()
    seized = s.emit(U, 640, "Seized", [("victim", "address", hex41(A)), ("amount", "uint256", 1)], (A, -1))
    s.emit(U, 650, "Params", [("feeBasisPoints", "uint256", 2), ("maxFee", "uint256", 3)])  # no address: harmless
    with TronNode(s) as n:
        results, _ = run(settings(n.url, history=n.url), requests_for())
    rows = usdt_rows(results)
    assert not rows[A].ok and "Seized" in rows[A].error and seized in rows[A].error
    assert all(rows[w].ok and rows[w].base_units == truth(s, w, USDT, SNAP) for w in (C, D, E, F))
    s = tether()
    s.emit(U, 700, "Deprecate", [("newAddress", "address", hex41(addr("upgraded")))])
    with TronNode(s) as n:
        results, _ = run(settings(n.url, history=n.url), requests_for())
    assert all(not r.ok and "Deprecate" in r.error for r in usdt_rows(results).values())


def test_issue_on_a_token_without_owner_refuses_every_row() -> None:
    s = tether()
    s.tokens[U].owner = ""  # owner() reverts
    s.tokens[U].changes.append((700, hex41(O), 5))
    s.tokens[U].others.append((700, "Issue", [("amount", "uint256", 5)], "cd" * 32))
    with TronNode(s) as n:
        results, _ = run(settings(n.url, history=n.url), requests_for())
    assert all(not r.ok and "owner() could not be read" in r.error for r in usdt_rows(results).values())


def test_one_events_scan_serves_every_holder() -> None:
    def count(extra: int) -> tuple[int, int]:
        s = tether()
        many = [addr(f"holder{i}") for i in range(extra)]
        for i, h in enumerate(many):
            s.tokens[U].minted[hex41(h)] = 1_000 + i
        s.issue(U, 700, 5)
        reqs = requests_for() + [BalanceRequest(h, USDT, SNAP) for h in many]
        with TronNode(s) as n:
            results, f = run(settings(n.url, history=n.url, chunk_size=7), reqs)
            assert [r.base_units for r in results] == [truth(s, r.request.address, r.request.contract, SNAP) for r in results]
            assert n.counts["contract_events"] == f.event_requests == len(names_scanned(s))  # one page per name
            return n.counts["contract_events"], len(reqs)

    few, many = count(0), count(300)
    assert few[0] == many[0] >= 2 and many[1] > few[1] * 10  # one scan, whatever the holder count


def test_scan_cache_extends_only_the_new_part_across_calls() -> None:
    s = tether()

    async def go(n: TronNode):
        from chains.tron.fetch import make_fetcher
        from indexer.rpc import run_session
        from tests.test_tron_fetch import TRON

        async with run_session():
            f = make_fetcher(TRON, settings(n.url, history=n.url))
            first = await f.fetch([BalanceRequest(A, USDT, SNAP)])
            before = n.counts["contract_events"]
            n.s.head += 30
            n.s.destroy_black_funds(U, n.s.solid - 5, A)
            second = await f.fetch([BalanceRequest(A, USDT, SNAP), BalanceRequest(C, USDT, SNAP)])
            return first, second, before, n.counts["contract_events"] - before

    with TronNode(s) as n:
        first, second, before, added = asyncio.run(go(n))
    assert first[0].ok and first[0].base_units == truth(s, A, USDT, SNAP)
    assert not second[0].ok and "DestroyedBlackFunds" in second[0].error  # now read after the destroy
    assert second[1].ok and second[1].base_units == truth(s, C, USDT, SNAP)
    assert before >= 1 and added == len(names_scanned(s))  # only the 30 new blocks were scanned, one request per name


@pytest.mark.parametrize(
    "failure, expect",
    [
        (({"Error": "class org.tron.core.exception.TronException : the event query server is unavailable"}, 200), "event query server is unavailable"),
        (({"success": False, "error": "invalid contract address", "statusCode": 400}, 400), "400"),
        ("loop", "same page cursor twice"),
    ],
)
def test_a_failing_events_api_gives_error_rows(failure: object, expect: str) -> None:
    s = tether()
    if failure == "loop":
        s.events_loop = True
        s.tokens[U].abi = False  # a whole scan: hundreds of Transfers, so more than one page and a cursor to loop on
    else:
        s.events_error = failure  # type: ignore[assignment]
    with TronNode(s) as n:
        results, _ = run(settings(n.url, history=n.url), requests_for())
        calls = n.counts["contract_events"]
    tokens = usdt_rows(results)
    assert all(not r.ok and r.base_units is None and "token events" in r.error and expect in r.error for r in tokens.values()), tokens
    assert all(r.ok for r in results if not r.request.contract)
    assert calls <= 8  # one failing scan per run, not one per holder (a 400 may be retried by the HTTP layer)


def test_the_scan_asks_by_event_name_so_transfer_volume_costs_nothing() -> None:
    """Mainnet USDT emits millions of Transfers a day: the scan asks only for the ABI's other events, by name."""
    quiet, busy = tether(), tether()
    for i in range(3_000):  # 15 pages of Transfers an unfiltered scan would read
        busy.transfer(U, 600 + i % 300, hex41(C), hex41(addr(f"payee{i}")), 1)
    destroy = busy.destroy_black_funds(U, 700, D)
    counts = []
    for s in (quiet, busy):
        with TronNode(s) as n:
            results, f = run(settings(n.url, history=n.url), requests_for())
            counts.append((n.counts["contract_events"], n.counts["contract_events_by_name"], n.counts["getcontract"]))
    assert counts[0] == counts[1] == (len(names_scanned(busy)),) * 2 + (1,)
    rows = usdt_rows(results)
    assert not rows[D].ok and destroy in rows[D].error
    assert rows[C].ok and rows[C].base_units == truth(busy, C, USDT, SNAP)


def test_a_token_without_an_abi_on_chain_is_scanned_whole() -> None:
    s = tether()
    s.tokens[U].abi = False  # never published, or cleared by ClearABIContract
    destroy = s.destroy_black_funds(U, 700, D)
    with TronNode(s) as n:
        results, f = run(settings(n.url, history=n.url), requests_for())
        unnamed = n.counts["contract_events"] - n.counts["contract_events_by_name"]
    in_window = sum(1 for b, *_ in s.tokens[U].transfers + s.tokens[U].approvals + s.tokens[U].others if SNAP < b <= s.solid)
    assert unnamed == f.event_requests == math.ceil(in_window / 200) and n.counts["contract_events_by_name"] == 0
    rows = usdt_rows(results)
    assert not rows[D].ok and destroy in rows[D].error
    assert any("scanned whole" in note for note in f.notes)


def test_abi_event_names_read_from_getcontract_as_java_tron_writes_it() -> None:
    body = {
        "contract_address": "41a614f803b6fd780986a42c78ec9c7f77e6ded13c", "name": "TetherToken",
        "abi": {"entrys": [
            {"constant": True, "name": "balanceOf", "inputs": [{"name": "who", "type": "address"}], "outputs": [{"type": "uint256"}], "type": "Function", "stateMutability": "View"},
            {"inputs": [{"name": "amount", "type": "uint256"}], "name": "Issue", "type": "Event"},
            {"inputs": [{"indexed": True, "name": "from", "type": "address"}, {"indexed": True, "name": "to", "type": "address"}, {"name": "value", "type": "uint256"}], "name": "Transfer", "type": "Event"},
            {"inputs": [{"name": "_blackListedUser", "type": "address"}, {"name": "_balance", "type": "uint256"}], "name": "DestroyedBlackFunds", "type": "Event"},
        ]},
    }  # fmt: skip
    assert codec.parse_abi_events(body) == ["Issue", "Transfer", "DestroyedBlackFunds"]
    assert codec.parse_abi_events({"contract_address": "41aa", "abi": {}}) is None  # no ABI on chain
    no_transfer = {"abi": {"entrys": [{"name": "Issue", "type": "Event"}]}}
    assert codec.parse_abi_events(no_transfer) is None  # not a whole TRC-20 ABI: scan everything
    with pytest.raises(codec.CodecError, match="Invalid address"):
        codec.parse_abi_events({"Error": "class java.lang.IllegalArgumentException : Invalid address"})
