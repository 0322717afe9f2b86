"""EOS / Vaulta balances at the snapshot block by replay, against a nodeos + Hyperion stub.

Scenario: snapshot block 5,000; transfers before and after it in and out (including more than one
history page), an account created after the snapshot, a Vaulta ``A`` token balance, and a head that
moves while balances are read. Then Hyperion's own limits (tests/fixtures/eos_node.py cites them): a
busy account with more than 10,000 actions to replay, a snapshot older than the 90-day ascending window,
a server in another time zone, a smaller page limit; balances changed without a transfer (``issue``,
``retire``, ``core.vaulta::init``); and history that cannot cover the replay (starts late, pruned, gaps).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from chains.eos.codec import may_touch, token_of, units_of
from chains.eos.fetch import EosFetcher
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.eos_node import MAX_SKIP, EosScenario, eos_node
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import resume_after_kill
from tests.fixtures.resume import stored_balances as stored  # row_no -> base units, all ok

SNAP = 5_000
OKX = "okbwallet1tr"
NEW = "newaccount12"
MANY = [f"acct{i:08d}" for i in range(24)]


def scenario(**kw: object) -> EosScenario:
    sc = EosScenario(**kw)  # type: ignore[arg-type]
    sc.opening[(OKX, "eosio.token", "EOS")] = 1_000_000_0000
    sc.opening[(OKX, "core.vaulta", "A")] = 5_0000
    sc.transfers += [(100, "eosio.token", "someone11111", OKX, "10.5000 EOS"), (SNAP, "eosio.token", OKX, "someone11111", "0.0001 EOS")]
    # 1,200 small inflows after the snapshot: more than one history page
    sc.transfers += [(SNAP + 1 + i, "eosio.token", "faucet111111", OKX, "0.0100 EOS") for i in range(1_200)]
    sc.transfers += [(7_000, "eosio.token", OKX, "binance11111", "250.0000 EOS"), (7_001, "core.vaulta", "swap11111111", OKX, "3.0000 A")]
    sc.transfers += [(8_000, "eosio.token", "someone11111", NEW, "1.0000 EOS")]
    for i, a in enumerate(MANY):
        sc.opening[(a, "eosio.token", "EOS")] = 100_0000 + i
        sc.transfers.append((9_000, "eosio.token", a, "someone11111", "1.0000 EOS"))
    return sc


def test_quantities_and_tokens() -> None:
    assert units_of("12.3400 EOS", "EOS") == 123_400
    assert units_of("0.0001 A", "A") == 1
    assert token_of("") == ("eosio.token", "EOS") and token_of("core.vaulta:A") == ("core.vaulta", "A")
    for q, s in (("1.0000 EOS", "A"), ("x EOS", "EOS")):
        try:
            units_of(q, s)
        except ValueError:
            continue
        raise AssertionError(f"{q} accepted")


def settings(url: str, history: str | None = "same", options: dict | None = None, **kw: object) -> NetworkSettings:
    opts = {"history_api": url if history == "same" else history, "history_lag_checks": 2, "history_lag_wait": 0.01} if history else {}
    return NetworkSettings(name="EOS", rpc=[url], backoff=0.01, backoff_max=0.02, options={**opts, **(options or {})}, **kw)  # type: ignore[arg-type]


def fetch(url: str, reqs: list[BalanceRequest], history: str | None = "same", options: dict | None = None, **kw: object):
    async def go():
        async with run_session():
            return await EosFetcher(registry().networks["EOS"], settings(url, history, options, **kw)).fetch(reqs)

    return asyncio.run(go())


def test_replayed_values_at_the_snapshot_block() -> None:
    sc = scenario(head_advance=1)
    with eos_node(sc) as node:
        eos, a_token, new, latest = fetch(node.url, [BalanceRequest(OKX, "", SNAP), BalanceRequest(OKX, "core.vaulta:A", SNAP), BalanceRequest(NEW, "", SNAP), BalanceRequest(OKX, "", None)])
    assert (eos.base_units, eos.block_height, eos.method) == (sc.balance(OKX, "eosio.token", "EOS", SNAP), SNAP, "replayed")
    assert eos.base_units == 1_000_000_0000 + 10_5000 - 1
    assert (a_token.base_units, a_token.method) == (5_0000, "replayed")
    assert (new.base_units, new.method) == (0, "replayed")
    assert latest.method == "latest" and latest.base_units == sc.balance(OKX, "eosio.token", "EOS", sc.head)


def test_a_transfer_landing_while_the_balance_is_read_makes_it_read_again() -> None:
    sc = scenario(head_advance=1)
    start = sc.head
    # get_info moves the head one block per call: the balance is read at start+1 (H0), then H1 = start+2
    sc.transfers.append((start + 2, "eosio.token", "faucet111111", OKX, "9.0000 EOS"))
    with eos_node(sc) as node:
        (eos,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)])
    assert (eos.method, eos.base_units) == ("replayed", sc.balance(OKX, "eosio.token", "EOS", SNAP))
    assert sc.head > start + 2  # it was read again after the transfer


def test_without_history_the_value_is_latest_and_says_so() -> None:
    sc = scenario()
    with eos_node(sc) as node:
        (eos,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)], history=None)
        (lagging,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)])
    assert eos.method == "latest" and "no history_api" in eos.note and eos.base_units == sc.balance(OKX, "eosio.token", "EOS", sc.head)
    assert lagging.method == "replayed"
    sc.indexed_lag = 50
    with eos_node(sc) as node:
        (behind,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)])
    assert behind.method == "latest" and "indexed only to block" in behind.note


def rows() -> list[tuple[str, str, str, str, int | None]]:
    return [("EOS", "EOS", "EOS", OKX, SNAP), ("EOS", "EOS", "EOS", NEW, SNAP)] + [("EOS", "EOS", "EOS", a, SNAP) for a in MANY]


def expected(sc: EosScenario) -> dict[int, str]:
    return {n: str(sc.balance(r[3], "eosio.token", "EOS", SNAP)) for n, r in enumerate(rows(), start=1)}


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    with eos_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=6, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        cfg = PorConfig(networks={"EOS": settings(proxy.url, retries=6)}, path=Path("por.toml"))
        summary = fetch_snapshot(con, cfg, sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert "eosio.token: one action scan" in str(summary)  # the path chosen from the counts, said in the summary
        assert stored(con, sid) == expected(sc)
        assert con.execute("select amount from balances where row_no = 1").fetchone()[0] == "1000010.4999"


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario()
    cfg = lambda url: PorConfig(networks={"EOS": settings(url)}, path=Path("por.toml"))  # noqa: E731
    options = lambda url: {"history_api": url}  # noqa: E731
    con, sid = resume_after_kill(tmp_path, "EOS", rows(), lambda: eos_node(sc), cfg, after_requests=20, commit_chunk=3, options=options)
    assert stored(con, sid) == expected(sc)


# -- Hyperion's limits ----------------------------------------------------------------------------------

BUSY = "busyexchange"
CROWDED = "crowdedacct1"


def busy_scenario() -> EosScenario:
    """BUSY: 13,000 actions after the snapshot, more than skip can reach (10,000 + one page). 2,500 of them in
    one block (more than a page: that block is walked with skip), then 7 per block so that page boundaries fall
    inside blocks; amounts differ, so an action lost or counted twice changes the result."""
    sc = EosScenario(head=10_000)
    sc.opening[(BUSY, "eosio.token", "EOS")] = 50_000_0000
    sc.transfers.append((SNAP, "eosio.token", "faucet111111", BUSY, "7.0000 EOS"))  # in the snapshot: not undone
    for i in range(2_500):
        sc.transfers.append((SNAP + 1, "eosio.token", "faucet111111", BUSY, f"0.{i % 97 + 1:04d} EOS"))
    for i in range(10_500):
        frm, to = (BUSY, "payee1111111") if i % 3 == 0 else ("faucet111111", BUSY)
        sc.transfers.append((SNAP + 2 + i // 7, "eosio.token", frm, to, f"0.{i % 89 + 1:04d} EOS"))
    return sc


def no_dates(sc: EosScenario) -> None:
    """Every get_actions the adapter sent bounded its search by block numbers, with skip within Hyperion's limit."""
    assert sc.history_queries
    for q in sc.history_queries:
        assert q["sort"] == "asc" and q["after"].isdigit() and q["before"].isdigit(), q
        assert int(q.get("skip", 0)) <= MAX_SKIP and int(q["limit"]) <= 1000


def test_a_busy_account_replays_past_10000_actions_by_block_cursor() -> None:
    sc = busy_scenario()
    with eos_node(sc) as node:
        (busy,) = fetch(node.url, [BalanceRequest(BUSY, "", SNAP)])
    assert (busy.method, busy.error) == ("replayed", ""), busy.note
    assert busy.base_units == sc.balance(BUSY, "eosio.token", "EOS", SNAP) == 50_007_0000
    assert "13,000 later transfer(s)" in busy.note  # each action once
    no_dates(sc)
    assert any(int(q.get("skip", 0)) > 0 for q in sc.history_queries)  # the 2,500-action block was walked


def test_more_actions_in_one_block_than_skip_reaches_is_said_not_guessed() -> None:
    sc = EosScenario(head=10_000)
    sc.opening[(CROWDED, "eosio.token", "EOS")] = 1_0000
    sc.transfers += [(SNAP + 10, "eosio.token", "faucet111111", CROWDED, "0.0001 EOS")] * (MAX_SKIP + 1_500)
    with eos_node(sc) as node:
        (crowded,) = fetch(node.url, [BalanceRequest(CROWDED, "", SNAP)])
    assert crowded.method == "latest" and "cannot page them" in crowded.note
    no_dates(sc)


def old_scenario() -> EosScenario:
    """The head ~116 days after genesis, the snapshot ~110 days before the head: outside the 90-day asc window."""
    sc = EosScenario(head=20_000_000)
    sc.opening[(OKX, "eosio.token", "EOS")] = 1_000_0000
    sc.transfers += [(999_000, "eosio.token", "someone11111", OKX, "1.0000 EOS"), (1_000_001, "eosio.token", OKX, "someone11111", "2.5000 EOS")]
    sc.transfers += [(5_000_000 + i, "eosio.token", "faucet111111", OKX, "0.3000 EOS") for i in range(1_500)]
    sc.transfers += [(19_999_000, "eosio.token", OKX, "binance11111", "100.0000 EOS")]
    return sc


def test_a_snapshot_older_than_the_90_day_window_still_replays() -> None:
    sc = old_scenario()
    with eos_node(sc) as node:
        (old,) = fetch(node.url, [BalanceRequest(OKX, "", 1_000_000)])
    assert (old.method, old.block_height, old.error) == ("replayed", 1_000_000, ""), old.note
    assert old.base_units == sc.balance(OKX, "eosio.token", "EOS", 1_000_000) == 1_001_0000
    no_dates(sc)


@pytest.mark.parametrize("offset", [-3, 0, 9])
def test_the_servers_time_zone_does_not_change_the_replay(offset: int) -> None:
    sc = scenario(tz=timezone(timedelta(hours=offset)))
    with eos_node(sc) as node:
        eos, a_token = fetch(node.url, [BalanceRequest(OKX, "", SNAP), BalanceRequest(OKX, "core.vaulta:A", SNAP)])
    assert (eos.method, eos.base_units) == ("replayed", sc.balance(OKX, "eosio.token", "EOS", SNAP))
    assert (a_token.method, a_token.base_units) == ("replayed", 5_0000)
    no_dates(sc)


def test_the_page_size_follows_the_servers_limit() -> None:
    for reported in (True, False):  # from /v2/health's limits, or from the 400 "limit too big, maximum: N"
        sc = scenario(get_actions_limit=250, health_limits=reported)
        with eos_node(sc) as node:
            (eos,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)])
        assert (eos.method, eos.base_units) == ("replayed", sc.balance(OKX, "eosio.token", "EOS", SNAP)), (reported, eos.note)
        limits = [q["limit"] for q in sc.history_queries]
        assert limits == ["250"] * len(limits) if reported else limits == ["1000"] + ["250"] * (len(limits) - 1), limits


# -- balances changed without a transfer ---------------------------------------------------------------

ISSUER = "xyzissuer111"
RECEIVER = "receiver1111"


def minting_scenario() -> EosScenario:
    """eosio issues EOS after the snapshot (current contract: to itself) and, old style, to RECEIVER with the
    inline transfer; ISSUER retires XYZ after the snapshot; core.vaulta credits itself its supply (init);
    OKX opens and closes rows and co-signs a transfer between two others (no balance change of its own);
    ISSUER issued XYZ before the snapshot."""
    sc = scenario()
    sc.opening[("eosio", "eosio.token", "EOS")] = 1_000_000_0000
    sc.opening[(ISSUER, "eosio.token", "EOS")] = 3_0000
    sc.issue(100, "eosio.token", ISSUER, "1000.0000 XYZ")
    sc.transfers.append((6_000, "eosio.token", ISSUER, "someone11111", "1.0000 EOS"))
    sc.issue(6_100, "eosio.token", "eosio", "100.0000 EOS")
    sc.issue(6_200, "eosio.token", "eosio", "5.0000 EOS", to=RECEIVER)
    sc.retire(6_300, "eosio.token", ISSUER, "10.0000 XYZ")
    sc.init_supply(6_400, "core.vaulta", "2100000000.0000 A")
    sc.other(6_500, "eosio.token", "open", {"owner": OKX, "symbol": "4,XYZ", "ram_payer": OKX}, OKX)
    sc.other(6_600, "eosio.token", "close", {"owner": OKX, "symbol": "4,XYZ"}, OKX)
    sc.cosigned_transfer(6_700, "eosio.token", "someone11111", "binance11111", "4.0000 EOS", cosigner=OKX)
    return sc


def test_issue_retire_and_init_stop_the_replay_with_an_error_naming_the_action() -> None:
    sc = minting_scenario()
    trx = {a.name: a.trx for _, a in reversed(sc.ordered()) if a.name in ("issue", "retire", "init") and a.block > SNAP}
    reqs = [
        BalanceRequest("eosio", "", SNAP),
        BalanceRequest(ISSUER, "eosio.token:XYZ", SNAP),
        BalanceRequest("core.vaulta", "core.vaulta:A", SNAP),
        BalanceRequest(RECEIVER, "", SNAP),
        BalanceRequest(ISSUER, "", SNAP),
        BalanceRequest(OKX, "", SNAP),
    ]
    with eos_node(sc) as node:
        issuer_eos, retirer, vaulta, receiver, issuer_other, okx = fetch(node.url, reqs)
    assert issuer_eos.base_units is None and "eosio.token::issue in transaction" in issuer_eos.error and "credits the issuer" in issuer_eos.error
    assert f"eosio.token::issue in transaction {trx['issue']} (block 6,100)" in issuer_eos.error  # the first one
    assert retirer.base_units is None and f"eosio.token::retire in transaction {trx['retire']} (block 6,300)" in retirer.error
    assert vaulta.base_units is None and "core.vaulta::init" in vaulta.error
    # the old issue's recipient got an inline transfer; another token's retire and open/close change nothing
    assert (receiver.method, receiver.base_units) == ("replayed", 0)
    assert (issuer_other.method, issuer_other.base_units) == ("replayed", 3_0000)
    assert (okx.method, okx.base_units) == ("replayed", sc.balance(OKX, "eosio.token", "EOS", SNAP))


def test_an_issue_or_retire_up_to_the_snapshot_block_needs_no_stop() -> None:
    sc = minting_scenario()
    with eos_node(sc) as node:
        (issuer_xyz,) = fetch(node.url, [BalanceRequest(ISSUER, "eosio.token:XYZ", 6_300)])
    assert (issuer_xyz.method, issuer_xyz.base_units) == ("replayed", sc.balance(ISSUER, "eosio.token", "XYZ", 6_300)) == ("replayed", 990_0000)


def test_which_action_data_concerns_the_symbol() -> None:
    assert may_touch({"to": "eosio", "quantity": "1.0000 EOS", "memo": ""}, "EOS")
    assert not may_touch({"to": "x", "quantity": "1.0000 XYZ"}, "EOS")
    assert may_touch({"owner": "x", "amount": 5}, "EOS")  # names no asset: cannot be ruled out
    assert may_touch({"nested": [{"q": "2.5000 A"}]}, "A")


# -- history coverage --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"first_indexed": SNAP + 2}, "keeps actions only from block 5,002"),
        ({"max_retained_blocks": 4_000}, "keeps actions only from block 6,001"),
        ({"missing": {6_000}}, "misses 1 block(s)"),
        ({"indexed_lag": 50}, "indexed only to block"),
    ],
)
def test_history_that_cannot_cover_the_replay_gives_latest_with_the_reason(change: dict, why: str) -> None:
    sc = scenario(**change)
    with eos_node(sc) as node:
        (eos,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)])
    assert eos.method == "latest" and why in eos.note, eos.note
    assert eos.base_units == sc.balance(OKX, "eosio.token", "EOS", sc.head)


def test_an_index_catching_up_is_waited_for() -> None:
    sc = scenario(indexed_lag=3, lag_catch_up=1)
    with eos_node(sc) as node:
        (eos,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)], options={"history_lag_checks": 5})
    assert (eos.method, eos.base_units) == ("replayed", sc.balance(OKX, "eosio.token", "EOS", SNAP))


def test_the_history_api_is_its_own_client_without_the_nodes_credentials() -> None:
    sc = scenario()
    with eos_node(sc) as node:
        (eos,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)], options={"history_rps": 50}, headers={"X-Node-Key": "k"}, rps=500)
        fetcher = EosFetcher(registry().networks["EOS"], settings(node.url, options={"history_rps": 50}, rps=500))
    assert eos.method == "replayed"
    assert sc.history_headers and not any("x-node-key" in h for h in sc.history_headers)
    assert fetcher.history is not None and fetcher.history.settings.rps == 50 and fetcher.client.settings.rps == 500
