"""FIL balances at the snapshot epoch, against a Lotus-shaped stub with null rounds.

Epoch 2000 is the snapshot; 2001 and 2002 are null rounds, so the state after 2000 is the parent
state of tipset 2003. A balance set by epoch 2000's messages must be seen by the default read (after the
epoch's messages) and not by ``epoch_state = "before"``; one set at 2003 by neither.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chains.filecoin.fetch import FilecoinFetcher
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.plugins import FetchBlocked
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.lotus_node import LotusScenario, lotus_node
from tests.fixtures.resume import resume_after_kill
from tests.fixtures.resume import stored_balances as stored  # row_no -> base units, all ok

SNAP = 2_000
A = "f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za"
B = "f3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlss4a"


def scenario(**kw: object) -> LotusScenario:
    sc = LotusScenario(null_rounds={2001, 2002}, **kw)  # type: ignore[arg-type]
    sc.history = {
        A: [(100, 5 * 10**18), (SNAP, 123_456_789_012_345_678_901), (2003, 1)],  # set by the snapshot epoch itself, then after it
        B: [(1500, 42)],
    }
    for i in range(30):
        sc.history[f"f0{1000 + i}"] = [(10, 10**18 + i), (2500, 0)]
    return sc


def fetch(url: str, reqs: list[BalanceRequest], **options: object):
    async def go():
        async with run_session():
            f = FilecoinFetcher(registry().networks["FIL"], NetworkSettings(name="FIL", rpc=[url], backoff=0.01, options=options))
            return await f.fetch(reqs)

    return asyncio.run(go())


def test_state_after_the_snapshot_epoch_across_null_rounds() -> None:
    with lotus_node(scenario()) as node:
        a, b, absent, bad, latest = fetch(
            node.url,
            [BalanceRequest(A, "", SNAP), BalanceRequest(B, "", SNAP), BalanceRequest("f1nobodyhomeyet", "", SNAP), BalanceRequest("x1bad", "", SNAP), BalanceRequest(A, "", None)],
        )
    assert (a.base_units, a.block_height, a.method) == (123_456_789_012_345_678_901, SNAP, "state_at_height")
    assert b.base_units == 42
    assert absent.ok and absent.base_units == 0 and "did not exist" in absent.note
    assert not bad.ok and bad.base_units is None and "invalid address" in bad.error
    assert (latest.base_units, latest.block_height, latest.method) == (1, 3_000, "latest")


def test_before_and_after_the_epochs_messages_differ_and_the_option_chooses() -> None:
    """Epoch 2000's own message moved A's balance: "after" sees it (the default), "before" does not."""
    with lotus_node(scenario()) as node:
        after, after_null = fetch(node.url, [BalanceRequest(A, "", SNAP), BalanceRequest(A, "", SNAP + 1)])
        before, before_null, before_b = fetch(node.url, [BalanceRequest(A, "", SNAP), BalanceRequest(A, "", SNAP + 1), BalanceRequest(B, "", SNAP)], epoch_state="before")

        async def usual_tooling() -> int:
            """StateGetActor at ChainGetTipSetByHeight(2001): a null round looks back to tipset 2000, before its messages."""
            async with run_session():
                f = FilecoinFetcher(registry().networks["FIL"], NetworkSettings(name="FIL", rpc=[node.url], backoff=0.01))
                ts = await f.client.call("Filecoin.ChainGetTipSetByHeight", [SNAP + 1, None])
                return int((await f.client.call("Filecoin.StateGetActor", [A, ts["Cids"]]))["Balance"])

        by_height = asyncio.run(usual_tooling())
    assert (after.base_units, after.block_height, after.method, after.note) == (123_456_789_012_345_678_901, SNAP, "state_at_height", "")
    assert (before.base_units, before.block_height, before.method) == (5 * 10**18, SNAP, "state_at_height")
    assert "before the epoch's messages" in before.note and before_b.base_units == 42
    # a null round has no messages: before and after it are both the state after epoch 2000
    assert after_null.base_units == before_null.base_units == 123_456_789_012_345_678_901
    assert by_height == 5 * 10**18  # one epoch early: why neither read uses ChainGetTipSetByHeight


def test_the_epoch_state_option_is_checked_and_the_head_is_readable_only_before_its_messages() -> None:
    with pytest.raises(ValueError, match="epoch_state"):
        FilecoinFetcher(registry().networks["FIL"], NetworkSettings(name="FIL", rpc=["http://127.0.0.1:9"], options={"epoch_state": "at"}))
    with lotus_node(scenario()) as node:

        async def preflight(**options: object) -> None:
            async with run_session():
                await FilecoinFetcher(registry().networks["FIL"], NetworkSettings(name="FIL", rpc=[node.url], backoff=0.01, options=options)).preflight({3_000})

        asyncio.run(preflight(epoch_state="before"))  # the head's parent state exists
        with pytest.raises(FetchBlocked, match="after epoch 3,000's messages does not exist yet"):
            asyncio.run(preflight())


def rows() -> list[tuple[str, str, str, str, int | None]]:
    return [("FIL", "FIL", "FIL", A, SNAP), ("FIL", "FIL", "FIL", B, SNAP)] + [("FIL", "FIL", "FIL", f"f0{1000 + i}", SNAP) for i in range(30)]


def expected(sc: LotusScenario) -> dict[int, str]:
    return {n: str(sc.balance_after(r[3], SNAP)) for n, r in enumerate(rows(), start=1)}


def cfg(url: str) -> PorConfig:
    return PorConfig(networks={"FIL": NetworkSettings(name="FIL", rpc=[url], backoff=0.01, backoff_max=0.02, retries=6)}, path=Path("por.toml"))


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    with lotus_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=5, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        fetch_snapshot(con, cfg(proxy.url), sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert stored(con, sid) == expected(sc)
        assert con.execute("select amount from balances where row_no = 1").fetchone()[0] == "123.456789012345678901"


def test_a_gateway_that_refuses_the_lookback_is_refused_in_one_sentence(tmp_path: Path) -> None:
    with lotus_node(scenario(lookback_limit=500)) as node:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows()[:3])
        summary = fetch_snapshot(con, cfg(node.url), sid, show_progress=False)
    assert "lookbacks of more than 24h0m0s are disallowed" in summary.networks["FIL"].blocked
    assert "archival Lotus" in summary.networks["FIL"].blocked
    assert con.execute("select count(*) from balances where status = 'error' and base_units is null").fetchone()[0] == 3


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario()
    con, sid = resume_after_kill(tmp_path, "FIL", rows(), lambda: lotus_node(sc), cfg, after_requests=14, commit_chunk=3)
    assert stored(con, sid) == expected(sc)
