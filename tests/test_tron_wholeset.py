"""TRC-20 replay's two paths: one history query per holder, or one scan of the token's Transfer events for all.

``estimate`` (chains/tron/estimate.py) chooses from the plan's counts, with ``probe`` from the token's event
density read off the first page of its Transfer events; both paths must give the same rows, and the guard against
balance changes without a Transfer must hold on either. Expected values come from the stub's scenario.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib

from chains.tron import codec
from chains.tron.estimate import PER_HOLDER, SCAN, choose, expected_transfers
from chains.tron.fetch import make_fetcher
from indexer.models import BalanceRequest
from indexer.rpc import run_session
from tests.fixtures.tron_node import Scenario, Token, TronNode, hex41
from tests.test_tron_events import O, U, tether
from tests.test_tron_fetch import SNAP, TRON, USDT, A, C, addr, requests_for, scenario, settings, truth


def go(node: TronNode, reqs: list[BalanceRequest], *, probe: bool | None, scan: bool | None = None) -> tuple[list, object, object]:
    """Fetch ``reqs`` as the runner will: preflight, ``estimate`` with every read (unless ``probe`` is None: a runner
    that never calls it), then the fetch. ``scan`` forces the path afterwards (to compare both on one token)."""

    async def run() -> tuple[list, object, object]:
        async with run_session():
            f = make_fetcher(TRON, settings(node.url, history=node.url, history_lag_checks=0))
            await f.preflight({r.block for r in reqs})
            est = None if probe is None else await f.estimate(reqs, probe=probe)
            if scan is not None:
                f.whole_set = {U} if scan else set()
            half = len(reqs) // 2  # two fetch calls, as the runner's chunks: the scan is extended, never re-read
            return await f.fetch(reqs[:half]) + await f.fetch(reqs[half:]), est, f

    return asyncio.run(run())


def row(r) -> tuple:
    return (r.request, r.base_units, r.block_height, r.method, r.error, r.note)


def holders(n: int, tag: str) -> list[str]:
    return [addr(f"{tag}{i}") for i in range(n)]


def token_scenario(quiet_holders: int, busy_transfers: int) -> Scenario:
    """A token with ``quiet_holders`` holders who each receive one transfer after the snapshot, and
    ``busy_transfers`` more between two strangers spread over the window (head 1000, solidified 981)."""
    s = Scenario(head=1000)
    tok = s.tokens[U] = Token("USDT")
    for i, h in enumerate(holders(quiet_holders, "q")):
        tok.minted[hex41(h)] = 1_000_000 + i
        s.transfer(U, SNAP + 1 + i % 300, addr("faucet"), h, 7 + i)
    x, y = addr("stranger x"), addr("stranger y")
    tok.minted[hex41(x)] = 10**15
    for i in range(busy_transfers):
        s.transfer(U, SNAP + 1 + i * 380 // max(1, busy_transfers), x, y, 1 + i)
    return s


# ------------------------------------------------------------------------------------------ pure rule

def test_the_rule_counts_pages_against_holders() -> None:
    assert choose(10, None, 1) == (False, 0)  # no probe: per-holder
    assert choose(10, 1_000, 1) == (True, 5)  # 5 pages < 10 holder queries
    assert choose(5, 1_000, 1) == (False, 5)  # a tie keeps per-holder
    assert choose(10, 1_000, 6) == (False, 10)  # each later fetch call costs the scan a page
    assert choose(100_000, 60_000_000, 20)[0] is False  # USDT-TRC20's month: 300,000 pages
    assert choose(100_000, 20_000, 20) == (True, 119)


def test_the_event_count_is_read_off_the_first_page() -> None:
    def page(stamps: list[int]) -> list[codec.ContractEvent]:
        return [codec.ContractEvent(f"t{i}", 1, ts, "Transfer", ()) for i, ts in enumerate(stamps)]

    assert expected_transfers(page([5, 4, 3]), False, 10**9) == 3  # no cursor: the page is the whole count
    # 200 events over 60 s, a window of one hour: 60 times as many
    assert expected_transfers(page([10**6 + 60_000 - i * 300 for i in range(200)]), True, 3_600_000) == math_ceil(200 * 3_600_000 / 59_700)
    # 200 events in one block: a block's time at least, never a division by zero
    assert expected_transfers(page([7] * 200), True, 30_000) == 2_000


def math_ceil(x: float) -> int:
    return -int(-x // 1)


# ------------------------------------------------------------------------------------------ against the stub

def test_both_paths_give_identical_rows_on_the_same_data() -> None:
    """The full scenario (a hot wallet over several pages, a transfer to oneself, an account created after the
    snapshot, unconfirmed transfers, an Approval, a reverting token, TRX rows): every row equal on both paths."""
    s = scenario()
    reqs = requests_for() + [BalanceRequest(C, USDT, 700), BalanceRequest(A, USDT, 900)]
    with TronNode(s) as n:
        before, _, fa = go(n, reqs, probe=None)
        per_account = n.counts["trongrid"]
        n.counts.clear()
        after, est, fb = go(n, reqs, probe=True)
        assert est.path == SCAN and fb.whole_set == {U}, est
        assert n.counts["trongrid"] == 0 and n.counts["contract_events:Transfer"] >= 2  # the probe, the scan, its extension
    assert fa.whole_set == set() and per_account >= 8
    assert [row(r) for r in after] == [row(r) for r in before]
    for r in after:
        if r.request.contract == USDT:
            assert r.ok and r.method == "replayed" and r.base_units == truth(s, r.request.address, USDT, r.request.block), r
    assert sum(r.ok for r in after) == sum(r.ok for r in before) >= 14


def test_a_busy_token_keeps_per_holder_and_a_quiet_one_takes_the_scan() -> None:
    busy, quiet = token_scenario(3, 5_000), token_scenario(60, 0)
    for s, want, who in ((busy, PER_HOLDER, holders(3, "q")), (quiet, SCAN, holders(60, "q"))):
        reqs = [BalanceRequest(h, USDT, SNAP) for h in who]
        with TronNode(s) as n:
            results, est, f = go(n, reqs, probe=True)
            per_account, transfer_pages = n.counts["trongrid"], n.counts["contract_events:Transfer"]
        assert est.path == want and (U in f.whole_set) == (want == SCAN), est
        assert [r.base_units for r in results] == [truth(s, h, USDT, SNAP) for h in who]
        assert all(r.method == "replayed" for r in results)
        history = next(x for x in est.services if x.name == "history")
        if want == SCAN:
            assert per_account == 0 and 2 <= transfer_pages <= 3  # probe + one page + the second call's extension
            assert history.requests < len(who), est
        else:
            assert per_account == len(who) and transfer_pages == 1  # the probe only
            assert "5,0" in est.note or "4,9" in est.note or "pages" in est.note  # it says what it counted
    assert "instead of 60 holder queries" in f.path  # the run summary says which path and why


def test_without_a_probe_the_count_is_unknown_and_per_holder_stays() -> None:
    s = token_scenario(60, 0)
    who = holders(60, "q")
    with TronNode(s) as n:
        results, est, f = go(n, [BalanceRequest(h, USDT, SNAP) for h in who], probe=False)
        assert n.counts["trongrid"] == 60 and n.counts["contract_events:Transfer"] == 0
    assert est.path == PER_HOLDER and f.whole_set == set() and "Transfer events" in est.unknown
    assert [r.base_units for r in results] == [truth(s, h, USDT, SNAP) for h in who]


def test_the_guard_holds_on_the_scan_path() -> None:
    """DestroyedBlackFunds and the owner's Issue stop the replay with an error row on the scan path as on the other."""
    s = tether()
    destroy = s.destroy_black_funds(U, 660, C)
    issue = s.issue(U, 640, 5_000)
    reqs = requests_for() + [BalanceRequest(O, USDT, SNAP)]
    with TronNode(s) as n:
        before, _, _ = go(n, reqs, probe=None)
        after, est, _ = go(n, reqs, probe=True)
    assert est.path == SCAN
    assert [row(r) for r in after] == [row(r) for r in before]
    rows = {r.request.address: r for r in after if r.request.contract == USDT}
    assert not rows[C].ok and destroy in rows[C].error and "without a Transfer" in rows[C].error
    assert not rows[O].ok and issue in rows[O].error
    assert rows[A].ok and rows[A].base_units == truth(s, A, USDT, SNAP)


def test_a_malformed_transfer_event_is_an_error_row_never_a_value() -> None:
    """A Transfer whose party is no address cannot be applied: the scan fails and every replayed row says so."""
    s = token_scenario(5, 0)
    tok = s.tokens[U]
    frm = tok.transfers[0][1]
    tok.others.append((SNAP + 3, "Transfer", [("from", "address", frm), ("to", "uint256", 12345), ("value", "uint256", 1)], hashlib.sha256(b"bad").hexdigest()))
    who = holders(5, "q")
    with TronNode(s) as n:
        results, _, _ = go(n, [BalanceRequest(h, USDT, SNAP) for h in who], probe=False, scan=True)
    assert all(not r.ok and "non-address party" in r.error for r in results), results


def test_scan_transfers_match_the_per_account_rows_tronGrid_lists() -> None:
    """The event row and the per-account history row of one transfer give the same Transfer."""
    s = token_scenario(1, 0)
    h = holders(1, "q")[0]
    with TronNode(s) as n:
        async def both():
            async with run_session():
                f = make_fetcher(TRON, settings(n.url, history=n.url))
                hist = await f._history(hex41(h), U, 0, 2**62)
                f.whole_set = {U}
                events = await f._scan_event_pages(U, 0, 2**62, "Transfer")
                return hist, [codec.transfer_of_event(e) for e in events]

        hist, scanned = asyncio.run(both())
    assert hist == scanned and len(hist) == 1 and dataclasses.asdict(hist[0])["recipient"] == hex41(h)
