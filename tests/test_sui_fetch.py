"""Sui balances at the snapshot checkpoint through a GraphQL stub that executes real GraphQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chains.sui.fetch import SUI, SuiFetcher, balances_query, normalise_address
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
from tests.fixtures.sui_graphql import SuiScenario, sui_node

SNAP = 40_000
USDC = "0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC"
HOLDER = normalise_address("0x" + "5a" * 32)
MANY = [normalise_address(hex(0x7000 + i)) for i in range(60)]


def scenario(**kw: object) -> SuiScenario:
    sc = SuiScenario(**kw)  # type: ignore[arg-type]
    sc.history[(HOLDER, SUI)] = [(100, 5 * 10**9), (39_000, 123_456_789_012_345), (45_000, 1)]
    sc.history[(HOLDER, USDC)] = [(100, 10**6), (40_000, 77_000_001)]
    for i, a in enumerate(MANY):
        sc.history[(a, SUI)] = [(10, 10**9 + i), (41_000, 0)]
    return sc


def fetch(url: str, reqs: list[BalanceRequest]):
    async def go():
        async with run_session():
            f = SuiFetcher(registry().networks["SUI"], NetworkSettings(name="SUI", rpc=[url], backoff=0.01, options={"addresses_per_query": 16}))
            return await f.fetch(reqs)

    return asyncio.run(go())


def test_query_document_is_valid_graphql() -> None:
    from graphql import build_schema, validate
    from graphql.language import parse

    from tests.fixtures.sui_graphql import SDL

    schema = build_schema(SDL)
    for cp in (None, 5):
        assert validate(schema, parse(balances_query([(HOLDER, SUI), (MANY[0], USDC)], cp))) == []


def test_values_at_the_snapshot_checkpoint() -> None:
    with sui_node(scenario()) as node:
        sui, usdc, never, bad, latest = fetch(
            node.url,
            [BalanceRequest(HOLDER, "", SNAP), BalanceRequest(HOLDER, USDC, SNAP), BalanceRequest(MANY[0], USDC, SNAP), BalanceRequest("zz", "", SNAP), BalanceRequest(HOLDER, "", None)],
        )
    assert (sui.base_units, sui.block_height, sui.method) == (123_456_789_012_345, SNAP, "state_at_height")
    assert (usdc.base_units, usdc.method) == (77_000_001, "state_at_height")
    assert never.ok and never.base_units == 0
    assert not bad.ok and bad.base_units is None
    assert (latest.base_units, latest.block_height, latest.method) == (1, 50_000, "latest")


def test_outside_retention_is_latest_with_the_reason() -> None:
    with sui_node(scenario(oldest=45_000)) as node:
        (sui,) = fetch(node.url, [BalanceRequest(HOLDER, "", SNAP)])
    assert sui.method == "latest" and sui.base_units == 1 and sui.block_height == 50_000 and "outside the GraphQL service's retention" in sui.note


def rows() -> list[tuple[str, str, str, str, int | None]]:
    return [("SUI", "SUI", "SUI", HOLDER, SNAP)] + [("SUI", "SUI", "SUI", a, SNAP) for a in MANY]


def expected(sc: SuiScenario) -> dict[int, str]:
    return {n: str(sc.balance(r[3], SUI, SNAP)) for n, r in enumerate(rows(), start=1)}


def cfg(url: str) -> PorConfig:
    return PorConfig(networks={"SUI": NetworkSettings(name="SUI", rpc=[url], backoff=0.01, backoff_max=0.02, retries=6, options={"addresses_per_query": 8})}, path=Path("por.toml"))


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    with sui_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=7, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        fetch_snapshot(con, cfg(proxy.url), sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert stored(con, sid) == expected(sc)
        assert node.counts["requests"] < len(rows())  # many addresses per GraphQL request
        assert con.execute("select amount from balances where row_no = 1").fetchone()[0] == "123456.789012345"


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario()
    options = lambda url: {"addresses_per_query": 2}  # noqa: E731
    con, sid = resume_after_kill(tmp_path, "SUI", rows(), lambda: sui_node(sc), cfg, after_requests=14, latency=0.05, options=options)
    assert stored(con, sid) == expected(sc)
