"""Sui balances at the snapshot checkpoint through a GraphQL stub that executes real GraphQL with the service's
limits and error bodies (tests/fixtures/sui_graphql.py): inside the consistent range, replayed outside it,
latest where the history is out of reach too."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chains.sui.fetch import SUI, SuiFetcher, _History, _Item, normalise_address
from chains.sui.gql import body_size, document
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import resume_after_kill
from tests.fixtures.resume import stored_balances as stored  # row_no -> base units, all ok
from tests.fixtures.sui_graphql import SuiLimits, SuiScenario, SuiTx, sui_node

SNAP = 40_000
IN_RANGE_TIP = 50_000  # consistent range 35,001..50,000: the snapshot is inside
LATER_TIP = 60_000  # consistent range 45,001..60,000: the snapshot is outside, history reaches back
USDC = "0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC"
HOLDER = normalise_address("0x" + "5a" * 32)
BUSY = normalise_address("0x" + "b5" * 32)
MANY = [normalise_address(hex(0x7000 + i)) for i in range(60)]


def scenario(**kw: object) -> SuiScenario:
    sc = SuiScenario(**kw)  # type: ignore[arg-type]
    sc.history[(HOLDER, SUI)] = [(100, 5 * 10**9), (39_000, 123_456_789_012_345), (45_000, 1)]
    sc.history[(HOLDER, USDC)] = [(100, 10**6), (40_000, 77_000_001)]  # a change *at* the snapshot checkpoint
    for i, a in enumerate(MANY):
        sc.history[(a, SUI)] = [(10, 10**9 + i), (41_000, 10**9 + 2 * i)]
    # 120 transactions after the snapshot: three pages of 50
    sc.history[(BUSY, SUI)] = [(5, 7 * 10**9)] + [(SNAP + 1 + k, 7 * 10**9 + k + 1) for k in range(120)]
    # one transaction with 60 balance changes: MANY[55]'s is on the second page of balanceChanges
    sc.transactions.append(SuiTx(41_500, [(a, SUI, -(i + 1)) for i, a in enumerate(MANY)]))
    # a transfer between two rows: MANY[1] never held USDC at the snapshot
    sc.transactions.append(SuiTx(42_000, [(HOLDER, USDC, -1_000), (MANY[1], USDC, 1_000)], sender=HOLDER))
    return sc


def fetch(url: str, reqs: list[BalanceRequest], **options: object):
    async def go():
        async with run_session():
            opts = {"addresses_per_query": 16, **options}
            f = SuiFetcher(registry().networks["SUI"], NetworkSettings(name="SUI", rpc=[url], backoff=0.01, options=opts))
            return await f.fetch(reqs)

    return asyncio.run(go())


def test_documents_are_valid_against_the_schema() -> None:
    from graphql import build_schema, validate
    from graphql.language import parse

    from tests.fixtures.sui_graphql import SDL

    schema = build_schema(SDL)
    f = SuiFetcher(registry().networks["SUI"], NetworkSettings(name="SUI", rpc=["http://127.0.0.1:1"]))
    items = [_Item(0, HOLDER, SUI, SNAP), _Item(1, MANY[0], USDC, SNAP)]
    h = _History(cursor="MTIz")
    docs = [
        document(f._balance_doc(items, SNAP)),
        document(f._balance_doc(items, None)),
        document(f._history_doc([(HOLDER, _History()), (BUSY, h)], SNAP, LATER_TIP)),
        document(f._more_changes_doc([(HOLDER, "DIGEST", "MQ==")], LATER_TIP)),
    ]
    for doc in docs:
        assert validate(schema, parse(doc)) == [], doc


def test_values_at_the_snapshot_checkpoint_inside_the_consistent_range() -> None:
    sc = scenario(tip=IN_RANGE_TIP)
    with sui_node(sc) as node:
        sui, usdc, never, bad, latest = fetch(
            node.url,
            [BalanceRequest(HOLDER, "", SNAP), BalanceRequest(HOLDER, USDC, SNAP), BalanceRequest(MANY[0], USDC, SNAP), BalanceRequest("zz", "", SNAP), BalanceRequest(HOLDER, "", None)],
        )
    assert (sui.base_units, sui.block_height, sui.method) == (123_456_789_012_345, SNAP, "state_at_height")
    assert (usdc.base_units, usdc.method) == (77_000_001, "state_at_height")
    assert never.ok and never.base_units == 0 and never.method == "state_at_height"  # never held: the service says "0"
    assert not bad.ok and bad.base_units is None
    assert (latest.base_units, latest.block_height, latest.method) == (1, IN_RANGE_TIP, "latest")


def test_requests_stay_within_the_default_rich_query_and_payload_limits() -> None:
    """61 SUI rows and 60 USDC rows, no cap of our own: every request within 21 balances and 5,000 bytes."""
    sc = scenario(tip=IN_RANGE_TIP)
    reqs = [BalanceRequest(a, "", SNAP) for a in [HOLDER, *MANY]] + [BalanceRequest(a, USDC, SNAP) for a in MANY]
    with sui_node(sc) as node:
        got = fetch(node.url, reqs, addresses_per_query=0)
    assert [r.base_units for r in got] == [sc.balance(r.address, r.contract or SUI, SNAP) for r in reqs]
    assert all(r.method == "state_at_height" for r in got)
    assert sc.refusals == []
    assert max(n for n, _ in sc.log) <= SuiLimits().max_query_payload_size
    assert max(r for _, r in sc.log) <= SuiLimits().max_rich_queries
    assert len([r for _, r in sc.log if r]) <= 7  # 121 balances: ceil(121 / 21) = 6, and one USDC batch may split on bytes


def test_a_stricter_service_is_followed_from_its_service_config() -> None:
    sc = scenario(tip=IN_RANGE_TIP, limits=SuiLimits(max_query_payload_size=1_500, max_rich_queries=4))
    reqs = [BalanceRequest(a, USDC, SNAP) for a in MANY[:20]]
    with sui_node(sc) as node:
        got = fetch(node.url, reqs, addresses_per_query=0)
    assert all(r.ok and r.method == "state_at_height" for r in got), [r.error for r in got if not r.ok]
    assert sc.refusals == []
    assert max(n for n, _ in sc.log) <= 1_500 and max(r for _, r in sc.log) <= 4


def test_limits_lowered_by_the_services_own_refusals() -> None:
    """A deployment without ``maxRichQueries`` in its schema: Limits::default is assumed, and the service's
    refusals (payload too large, RESOURCE_EXHAUSTED) bring the batches down to what it accepts."""
    sc = scenario(tip=IN_RANGE_TIP, limits=SuiLimits(max_query_payload_size=2_000, max_rich_queries=6), schema_without=("maxRichQueries",))
    reqs = [BalanceRequest(a, "", SNAP) for a in MANY[:30]]
    with sui_node(sc) as node:
        got = fetch(node.url, reqs, addresses_per_query=0)
    assert [r.base_units for r in got] == [sc.balance(a, SUI, SNAP) for a in MANY[:30]]
    assert any("Query payload too large" in m for m in sc.refusals)  # it did hit the real refusal first


def test_a_null_balance_is_an_error_not_a_zero() -> None:
    sc = scenario(tip=IN_RANGE_TIP, no_checkpoint_scope=True)
    with sui_node(sc) as node:
        (r,) = fetch(node.url, [BalanceRequest(HOLDER, "", SNAP)])
    assert not r.ok and r.base_units is None and "null" in r.error


def expected_at_snap(sc: SuiScenario, reqs: list[BalanceRequest]) -> list[int]:
    return [sc.balance(r.address, r.contract or SUI, SNAP) for r in reqs]


def test_outside_the_consistent_range_values_are_replayed() -> None:
    sc = scenario(tip=LATER_TIP)
    reqs = [
        BalanceRequest(HOLDER, "", SNAP), BalanceRequest(HOLDER, USDC, SNAP), BalanceRequest(BUSY, "", SNAP),
        BalanceRequest(MANY[55], "", SNAP), BalanceRequest(MANY[1], USDC, SNAP), BalanceRequest(MANY[3], "", SNAP),
    ]
    with sui_node(sc) as node:
        got = fetch(node.url, reqs)
    assert [r.base_units for r in got] == expected_at_snap(sc, reqs)
    assert [r.base_units for r in got] == [123_456_789_012_345, 77_000_001, 7 * 10**9, 10**9 + 55, 0, 10**9 + 3]
    assert all(r.method == "replayed" and r.block_height == SNAP for r in got), [(r.method, r.error) for r in got]
    assert f"balance at checkpoint {LATER_TIP:,} with 120 later balance change(s) undone" == got[2].note
    assert sc.refusals == [] and max(r for _, r in sc.log) <= 21 and max(n for n, _ in sc.log) <= 5_000


def test_the_range_moving_past_the_snapshot_between_hint_and_read_falls_back_to_replay() -> None:
    """availableRange said the checkpoint was still kept; by the time of the read the window had moved on and the
    service answers "Request is outside consistent range" per balance: those rows are replayed, not errors."""
    edge = LATER_TIP - 15_000 + 1  # the oldest checkpoint kept when the adapter looks

    def chain_moves_on(sc: SuiScenario, query: str) -> None:
        if f"checkpoint(sequenceNumber: {edge})" in query and "balance(" in query:
            sc.tip = max(sc.tip, LATER_TIP + 10)

    sc = scenario(tip=LATER_TIP, before_request=chain_moves_on)
    sc.transactions.append(SuiTx(LATER_TIP + 5, [(HOLDER, SUI, 42)]))
    with sui_node(sc) as node:
        sui, usdc = fetch(node.url, [BalanceRequest(HOLDER, "", edge), BalanceRequest(HOLDER, USDC, edge)])
    assert (sui.method, sui.base_units, sui.block_height) == ("replayed", sc.balance(HOLDER, SUI, edge), edge), sui.error
    assert (usdc.method, usdc.base_units) == ("replayed", sc.balance(HOLDER, USDC, edge)), usdc.error


def test_replay_undoes_only_what_happened_up_to_the_checkpoint_read() -> None:
    """The chain moves while we read: the current balance is read at R, and only changes up to R are undone."""
    sc = scenario(tip=LATER_TIP, tip_step=1)
    for k in range(1, 40):  # a deposit to HOLDER in each of the next checkpoints
        sc.transactions.append(SuiTx(LATER_TIP + k, [(HOLDER, SUI, 1_000 * k)]))
    with sui_node(sc) as node:
        (r,) = fetch(node.url, [BalanceRequest(HOLDER, "", SNAP)])
    assert (r.base_units, r.method, r.block_height) == (123_456_789_012_345, "replayed", SNAP), r.error


def test_history_out_of_reach_is_latest_with_the_reason() -> None:
    for knob in ({"tx_first": SNAP + 2}, {"changes_first": SNAP + 2}):
        sc = scenario(tip=LATER_TIP, **knob)  # the service would silently list only part of the window
        with sui_node(sc) as node:
            sui, usdc = fetch(node.url, [BalanceRequest(HOLDER, "", SNAP), BalanceRequest(HOLDER, USDC, SNAP)])
        assert (sui.method, sui.base_units, sui.block_height) == ("latest", 1, LATER_TIP), knob
        assert (usdc.method, usdc.base_units) == ("latest", 77_000_001 - 1_000)
        assert f"starts at checkpoint {SNAP + 2:,}" in sui.note and "outside the service's consistent range" in sui.note


def test_history_pruned_while_it_is_read_is_latest() -> None:
    """The retention passes the snapshot between the range check and the history read: the list silently loses
    BUSY's first transaction after the snapshot, so the range is checked again after reading."""

    def prune_on_first_history_read(sc: SuiScenario, query: str) -> None:
        if "transactions(" in query:
            sc.tx_first = max(sc.tx_first, SNAP + 2)

    sc = scenario(tip=LATER_TIP, before_request=prune_on_first_history_read)
    with sui_node(sc) as node:
        (r,) = fetch(node.url, [BalanceRequest(BUSY, "", SNAP)])
    assert (r.method, r.block_height) == ("latest", LATER_TIP) and f"starts at checkpoint {SNAP + 2:,}" in r.note


def test_history_reaching_exactly_the_window_is_replayed() -> None:
    sc = scenario(tip=LATER_TIP, tx_first=SNAP + 1, changes_first=SNAP + 1)
    with sui_node(sc) as node:
        (r,) = fetch(node.url, [BalanceRequest(HOLDER, "", SNAP)])
    assert (r.method, r.base_units) == ("replayed", 123_456_789_012_345)


def test_replay_switched_off_is_latest() -> None:
    sc = scenario(tip=LATER_TIP)
    with sui_node(sc) as node:
        (r,) = fetch(node.url, [BalanceRequest(HOLDER, "", SNAP)], replay=False)
    assert (r.method, r.base_units, r.block_height) == ("latest", 1, LATER_TIP) and "replay is switched off" in r.note


def rows() -> list[tuple[str, str, str, str, int | None]]:
    return [("SUI", "SUI", "SUI", HOLDER, SNAP), ("SUI", "SUI", "SUI", BUSY, SNAP)] + [("SUI", "SUI", "SUI", a, SNAP) for a in MANY]


def expected(sc: SuiScenario) -> dict[int, str]:
    return {n: str(sc.balance(r[3], SUI, SNAP)) for n, r in enumerate(rows(), start=1)}


def cfg(url: str) -> PorConfig:
    return PorConfig(networks={"SUI": NetworkSettings(name="SUI", rpc=[url], backoff=0.01, backoff_max=0.02, retries=6, options={"addresses_per_query": 8})}, path=Path("por.toml"))


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    for tip, method in ((IN_RANGE_TIP, "state_at_height"), (LATER_TIP, "replayed")):
        sc = scenario(tip=tip)
        with sui_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=7, faults=("drop", "429", "500", "malformed")) as proxy:
            con = connect(tmp_path / f"por{tip}.duckdb")
            sid = insert_snapshot(con, rows())
            fetch_snapshot(con, cfg(proxy.url), sid, show_progress=False)
            assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
            assert stored(con, sid) == expected(sc)
            assert {m for (m,) in con.execute("select distinct method from balances").fetchall()} == {method}
            assert con.execute("select amount from balances where row_no = 1").fetchone()[0] == "123456.789012345"


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario(tip=LATER_TIP)
    options = lambda url: {"addresses_per_query": 2}  # noqa: E731
    con, sid = resume_after_kill(tmp_path, "SUI", rows(), lambda: sui_node(sc), cfg, after_requests=40, latency=0.05, options=options)
    assert stored(con, sid) == expected(sc)


def test_the_fifty_address_query_of_before_is_over_the_payload_limit() -> None:
    """What the issue measured: 50 aliases in one document are 7.7 KB, over the 5,000 bytes a default service takes."""
    f = SuiFetcher(registry().networks["SUI"], NetworkSettings(name="SUI", rpc=["http://127.0.0.1:1"]))
    doc = document(f._balance_doc([_Item(i, a, SUI, SNAP) for i, a in enumerate(MANY[:50])], SNAP))
    assert body_size(doc) > SuiLimits().max_query_payload_size
