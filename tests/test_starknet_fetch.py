"""Starknet balances at the snapshot block against a Starknet JSON-RPC stub (spec v0.7 shapes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chains.starknet import codec
from chains.starknet.fetch import StarknetFetcher
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import resume_after_kill, stored_balances
from tests.fixtures.starknet_node import StarknetScenario, starknet_node

SNAP = 700
HOLDER = "0x0213c67ed78bc280887234fe5ed5e77272465317978ae86c25a71531d9332a2d"
BIG = 2**130 + 12345  # needs the high limb (beyond HUGEINT: only the adapter test reads it)
LARGE = 2**100 + 12345
REVERTS = "0x0123"


def scenario() -> StarknetScenario:
    sc = StarknetScenario(reverting={int(REVERTS, 16)})
    sc.set(codec.ETH_TOKEN, HOLDER, [(10, 5 * 10**18), (650, LARGE), (800, 1)])
    sc.set(codec.ETH_TOKEN, hex(0xB16), [(650, BIG)])
    sc.set(codec.STRK_TOKEN, HOLDER, [(10, 77)])
    for i in range(40):
        sc.set(codec.ETH_TOKEN, hex(0x1000 + i), [(100, 10**15 + i), (701, 0)])
    return sc


def test_codec_selector_felts_and_u256() -> None:
    # the documented balanceOf selector (starknet_keccak), and the rules of felts and u256 limbs
    assert codec.BALANCE_OF == "0x2e4263afad30923c891518314c3c95dbe830a16874e8abc5777a9a20b54c76e"
    assert codec.decode_u256(["0x3039", "0x4"]) == BIG
    assert codec.account_felt("0x00ab") == "0xab"
    for bad in ("ab", "0x", hex(2**251)):
        with pytest.raises(ValueError):
            codec.account_felt(bad)
    for bad in (["0x1"], ["0x1", hex(2**128)], ["0x1", "zz"]):
        with pytest.raises(ValueError):
            codec.decode_u256(bad)


def fetch(url: str, reqs: list[BalanceRequest]):
    async def go():
        async with run_session():
            f = StarknetFetcher(registry().networks["STARKNET"], NetworkSettings(name="STARKNET", rpc=[url], backoff=0.01, batch_size=8))
            return await f.fetch(reqs)

    return asyncio.run(go())


def test_values_at_the_snapshot_block_and_errors_per_item() -> None:
    with starknet_node(scenario()) as node:
        native, strk, reverts, absent, future, bad, latest = fetch(
            node.url,
            [
                BalanceRequest(hex(0xB16), "", SNAP),
                BalanceRequest(HOLDER, codec.STRK_TOKEN, SNAP),
                BalanceRequest(HOLDER, REVERTS, SNAP),
                BalanceRequest(HOLDER, "0x0999", SNAP),
                BalanceRequest(HOLDER, "", 5_000),
                BalanceRequest("not-a-felt", "", SNAP),
                BalanceRequest(HOLDER, "", None),
            ],
        )
    assert (native.base_units, native.block_height, native.method) == (BIG, SNAP, "state_at_height")
    assert strk.base_units == 77
    assert not reverts.ok and "Contract error" in reverts.error and reverts.base_units is None
    assert not absent.ok and "Contract not found" in absent.error
    assert not future.ok and "Block not found" in future.error
    assert not bad.ok and "felt" in bad.error
    assert (latest.base_units, latest.block_height, latest.method) == (1, 1_000, "latest")


def rows() -> list[tuple[str, str, str, str, int | None]]:
    return [("STARKNET-ETH", "ETH", "STARKNET", HOLDER, SNAP)] + [("STARKNET-ETH", "ETH", "STARKNET", hex(0x1000 + i), SNAP) for i in range(40)]


def cfg(url: str) -> PorConfig:
    return PorConfig(networks={"STARKNET": NetworkSettings(name="STARKNET", rpc=[url], backoff=0.01, backoff_max=0.02, retries=6, batch_size=4)}, path=Path("por.toml"))


def stored(con, sid: int) -> dict[int, int]:
    return {row: int(units) for row, units in stored_balances(con, sid).items()}


def expected(sc: StarknetScenario) -> dict[int, int]:
    return {n: sc.balance(codec.ETH_TOKEN, r[3], SNAP) for n, r in enumerate(rows(), start=1)}


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    with starknet_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=4, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        summary = fetch_snapshot(con, cfg(proxy.url), sid, show_progress=False)
        assert summary.networks["STARKNET"].errors == 0
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert stored(con, sid) == expected(sc)
        assert expected(sc)[1] == LARGE


def test_wrong_chain_is_refused_in_one_sentence(tmp_path: Path) -> None:
    sc = scenario()
    sc.chain_id = "0x534e5f5345504f4c4941"  # SN_SEPOLIA
    with starknet_node(sc) as node:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows()[:2])
        summary = fetch_snapshot(con, cfg(node.url), sid, show_progress=False)
    assert "serves chain 0x534e5f5345504f4c4941" in summary.networks["STARKNET"].blocked
    assert con.execute("select count(*) from balances where status = 'error' and base_units is null").fetchone()[0] == 2


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario()
    con, sid = resume_after_kill(tmp_path, "STARKNET", rows(), lambda: starknet_node(sc), cfg, after_requests=6, commit_chunk=2)
    assert stored(con, sid) == expected(sc)
