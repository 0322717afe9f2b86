"""EOS replay's two paths: one Hyperion query per account, or one scan of the token contract's actions for all.

``estimate`` (chains/eos/estimate.py) chooses from the plan's counts, with ``probe`` from Hyperion's own count of
the contract's actions (``total``, exact up to 10,000); both paths must give the same rows, and the guard against
balances changed without a transfer (issue, retire, init) must hold on either. Expected values come from the stub.
"""

from __future__ import annotations

import asyncio
import re

from chains.eos.estimate import PER_ACCOUNT, SCAN, choose
from chains.eos.fetch import EosFetcher
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from tests.fixtures.eos_node import EosScenario, eos_node
from tests.test_eos_fetch import ISSUER, MANY, NEW, OKX, RECEIVER, SNAP, minting_scenario, scenario, settings


def go(sc: EosScenario, reqs: list[BalanceRequest], *, probe: bool | None, scan: set[str] | None = None, between=None) -> tuple[list, object, EosFetcher, int]:
    """Fetch as the runner will: ``estimate`` with every read first (unless ``probe`` is None), then two fetch calls.
    ``scan`` forces the path afterwards. Returns the results, the estimate, the fetcher and the get_actions count."""

    async def run() -> tuple[list, object, EosFetcher]:
        async with run_session():
            f = EosFetcher(registry().networks["EOS"], settings(node.url))
            est = None if probe is None else await f.estimate(reqs, probe=probe)
            if scan is not None:
                f.whole_set = set(scan)
            half = len(reqs) // 2
            first = await f.fetch(reqs[:half])
            if between is not None:
                between()  # the chain moves on between two fetch calls
            return first + await f.fetch(reqs[half:]), est, f

    before = len(sc.history_queries)
    with eos_node(sc) as node:
        results, est, f = asyncio.run(run())
    return results, est, f, len(sc.history_queries) - before


def row(r) -> tuple:
    return (r.request, r.base_units, r.block_height, r.method, r.error, r.note)


def token_scenario(quiet: int, busy: int) -> tuple[EosScenario, list[str]]:
    """``quiet`` accounts with one transfer each after the snapshot, and ``busy`` transfers between two others."""
    sc = EosScenario(head=40_000)
    who = [f"quiet{i:07d}" for i in range(quiet)]
    for i, a in enumerate(who):
        sc.opening[(a, "eosio.token", "EOS")] = 10_0000 + i
        sc.transfers.append((SNAP + 1 + i, "eosio.token", "faucet111111", a, "0.0100 EOS"))
    sc.opening[("busyfrom1111", "eosio.token", "EOS")] = 10**12
    sc.transfers += [(SNAP + 1 + i * 30_000 // max(1, busy), "eosio.token", "busyfrom1111", "busyto111111", "0.0001 EOS") for i in range(busy)]
    return sc, who


# ------------------------------------------------------------------------------------------ pure rule

def test_the_rule_counts_requests_against_accounts() -> None:
    assert choose(10, None, 1000, 1) == (False, 0)
    assert choose(10, 5_000, 1000, 1) == (True, 5)
    assert choose(5, 5_000, 1000, 1) == (False, 5)  # a tie keeps per-account
    assert choose(10, 5_000, 1000, 4) == (False, 11)  # a page and a health read per later call
    assert choose(20_000, 30_000_000, 1000, 10)[0] is False  # eosio.token's month: 30,000 pages


# ------------------------------------------------------------------------------------------ against the stub

def test_both_paths_give_identical_rows_on_the_same_data() -> None:
    """An account with 1,200 actions after the snapshot (two pages), one created after it, 24 others, a Vaulta
    token: every row equal on both paths, and the scan path asks Hyperion far less."""
    reqs = [BalanceRequest(OKX, "", SNAP), BalanceRequest(OKX, "core.vaulta:A", SNAP), BalanceRequest(NEW, "", SNAP)]
    reqs += [BalanceRequest(a, "", SNAP) for a in MANY] + [BalanceRequest(OKX, "", 8_500), BalanceRequest(OKX, "", None)]
    sc = scenario()
    before, _, _, per_account = go(sc, reqs, probe=None)
    after, est, f, scanned = go(sc, reqs, probe=True)
    assert f.whole_set == {"eosio.token"} and SCAN in est.path and PER_ACCOUNT in est.path, est  # core.vaulta: 1 account
    assert [row(r) for r in after] == [row(r) for r in before]
    for r in after[:-1]:
        code, symbol = ("core.vaulta", "A") if r.request.contract else ("eosio.token", "EOS")
        assert r.method == "replayed" and r.base_units == sc.balance(r.request.address, code, symbol, r.request.block), r
    assert per_account >= 28 and scanned <= 8, (per_account, scanned)  # probes, 2 scan pages, an extension, Vaulta's own
    history = next(s for s in est.services if s.name == "history")
    assert history.requests < per_account


def test_a_busy_contract_keeps_per_account_and_a_quiet_one_takes_the_scan() -> None:
    busy, busy_who = token_scenario(3, 12_000)  # past Hyperion's exact count: narrowed
    quiet, quiet_who = token_scenario(40, 0)
    for sc, who, want in ((busy, busy_who, PER_ACCOUNT), (quiet, quiet_who, SCAN)):
        reqs = [BalanceRequest(a, "", SNAP) for a in who]
        results, est, f, asked = go(sc, reqs, probe=True)
        assert est.path == want and ("eosio.token" in f.whole_set) == (want == SCAN), est
        assert [r.base_units for r in results] == [sc.balance(a, "eosio.token", "EOS", SNAP) for a in who]
        assert all(r.method == "replayed" for r in results)
        if want == SCAN:
            assert asked <= 3 and "instead of 40 account queries" in f.path
        else:
            assert "in 6.25% of the range" in est.note, est.note  # past 10,000: counted on a narrower range
            counted = int(re.search(r"~([\d,]+) actions", est.note).group(1).replace(",", ""))
            assert 10_000 < counted < 15_000, est.note  # 12,040 in the range, extrapolated from its first 1/16
            probes = [q for q in sc.history_queries if "account" not in q]
            assert len(probes) == asked - len(who) and 2 <= len(probes) <= 4  # probes only; then one query per account


def test_without_a_probe_the_count_is_unknown_and_per_account_stays() -> None:
    sc, who = token_scenario(40, 0)
    results, est, f, asked = go(sc, [BalanceRequest(a, "", SNAP) for a in who], probe=False)
    assert est.path == PER_ACCOUNT and f.whole_set == set() and "probe to count" in est.unknown and asked == 40
    assert [r.base_units for r in results] == [sc.balance(a, "eosio.token", "EOS", SNAP) for a in who]


def test_the_guard_holds_on_the_scan_path() -> None:
    """issue, retire and core.vaulta::init after the snapshot stop the replay with the same error row on both paths;
    a co-signer, an old issue's recipient and another token's retire are untouched."""
    sc = minting_scenario()
    reqs = [
        BalanceRequest("eosio", "", SNAP), BalanceRequest(ISSUER, "eosio.token:XYZ", SNAP), BalanceRequest("core.vaulta", "core.vaulta:A", SNAP),
        BalanceRequest(RECEIVER, "", SNAP), BalanceRequest(ISSUER, "", SNAP), BalanceRequest(OKX, "", SNAP),
    ]
    before, _, _, _ = go(sc, reqs, probe=None)
    after, _, f, _ = go(sc, reqs, probe=None, scan={"eosio.token", "core.vaulta"})
    assert [row(r) for r in after] == [row(r) for r in before]
    issuer_eos, retirer, vaulta, receiver, issuer_other, okx = after
    assert issuer_eos.base_units is None and "eosio.token::issue in transaction" in issuer_eos.error and "(block 6,100)" in issuer_eos.error
    assert retirer.base_units is None and "eosio.token::retire" in retirer.error
    assert vaulta.base_units is None and "core.vaulta::init" in vaulta.error
    assert (receiver.base_units, issuer_other.base_units, okx.method) == (0, 3_0000, "replayed")


def test_history_that_cannot_cover_the_snapshot_gives_the_same_latest_rows() -> None:
    """Coverage is checked per snapshot block on the scan path too: an old snapshot outside the index is latest,
    a newer one in the same call is replayed."""
    sc = scenario()
    sc.first_indexed = 6_000
    reqs = [BalanceRequest(OKX, "", SNAP), BalanceRequest(OKX, "", 8_500), BalanceRequest(MANY[0], "", 8_500)]
    before, _, _, _ = go(sc, reqs, probe=None)
    after, _, _, _ = go(sc, reqs, probe=None, scan={"eosio.token"})
    assert [row(r) for r in after] == [row(r) for r in before]
    assert after[0].method == "latest" and "keeps actions only from block 6,000" in after[0].note
    assert after[1].method == after[2].method == "replayed"


def test_the_scan_is_extended_for_a_later_call_never_read_again() -> None:
    """Between two fetch calls the chain moves on and the second call's accounts receive transfers: the scan is
    extended by the new blocks only, and those transfers are undone as a per-account query would."""
    reqs = [BalanceRequest(a, "", SNAP) for a in MANY]

    def make() -> tuple[EosScenario, object]:
        sc = scenario()

        def move() -> None:
            start = sc.head
            sc.head += 100
            for i, a in enumerate(MANY[12:]):
                sc.transfers.append((start + 1 + i, "eosio.token", "faucet111111", a, f"0.{i + 1:04d} EOS"))

        return sc, move

    sc, move = make()
    before, _, _, _ = go(sc, reqs, probe=None, between=move)
    sc, move = make()
    after, _, _, _ = go(sc, reqs, probe=None, scan={"eosio.token"}, between=move)
    assert [row(r) for r in after] == [row(r) for r in before]
    assert all(r.method == "replayed" and r.base_units == sc.balance(r.request.address, "eosio.token", "EOS", SNAP) for r in after)
    scans = [q for q in sc.history_queries if "account" not in q]
    windows = [(int(q["after"]), int(q["before"])) for q in scans]
    assert windows[0][0] == SNAP + 1 and all(a1 <= a2 for (a1, _), (a2, _) in zip(windows, windows[1:])), windows  # paged up, never back
    assert windows[-1] == (sc.head - 99, sc.head) and [w for w in windows if w[1] == sc.head] == [windows[-1]], windows  # the extension
