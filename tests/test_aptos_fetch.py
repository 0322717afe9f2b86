"""Aptos balances at the snapshot block's last version against an Aptos REST stub.

Scenario: snapshot block 600 (versions 6000-6009). A migrated account holds APT partly in its coin
store and partly in its paired fungible store (the peer that reads only the coin store under-counts);
USDT is a fungible asset; balances change after the snapshot; one account never held APT.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chains.aptos.fetch import AptosFetcher, normalise_address, view_payload
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.aptos_node import APT, APT_FA, AptosScenario, aptos_node
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import resume_after_kill
from tests.fixtures.resume import stored_balances as stored  # row_no -> base units, all ok

SNAP = 600
USDT = "0x357b0b74bc833e95a115ad22604854d6b0fca151cecd94111770e5d6ffc9dc2b"
OWNER = normalise_address("0x" + "1f" * 32)
NEWBIE = normalise_address("0xbeef")
MANY = [normalise_address(hex(0x5000 + i)) for i in range(30)]


def scenario(**kw: object) -> AptosScenario:
    sc = AptosScenario(**kw)  # type: ignore[arg-type]
    sc.coin_store[(OWNER, APT)] = [(100, 7_00000000), (6005, 3_00000000), (6500, 1)]
    sc.fa_store[(OWNER, APT_FA)] = [(5000, 12_34567890)]  # the paired FA store
    sc.fa_store[(OWNER, USDT)] = [(200, 1_000_000), (6009, 2_500_000_123), (6010, 0)]  # last change in the snapshot block's last version
    for i, a in enumerate(MANY):
        sc.coin_store[(a, APT)] = [(10, 10**8 + i), (7000, 5)]
    return sc


def test_addresses_and_view_payloads() -> None:
    assert normalise_address("0xA") == APT_FA
    for bad in ("abc", "0x" + "1" * 65, "0xzz"):
        with pytest.raises(ValueError):
            normalise_address(bad)
    assert view_payload(OWNER, "")["function"] == "0x1::coin::balance"
    assert view_payload(OWNER, "0x1::aptos_coin::AptosCoin")["type_arguments"] == [APT]
    fa = view_payload(OWNER, "0xa")
    assert fa["function"] == "0x1::primary_fungible_store::balance" and fa["arguments"] == [OWNER, APT_FA]


def fetch(url: str, reqs: list[BalanceRequest]):
    async def go():
        async with run_session():
            f = AptosFetcher(registry().networks["APTOS"], NetworkSettings(name="APTOS", rpc=[url], backoff=0.01))
            return await f.fetch(reqs)

    return asyncio.run(go())


def test_values_at_the_snapshot_block() -> None:
    with aptos_node(scenario()) as node:
        apt, usdt, newbie_apt, newbie_usdt, bad, latest = fetch(
            node.url,
            [
                BalanceRequest(OWNER, "", SNAP),
                BalanceRequest(OWNER, USDT, SNAP),
                BalanceRequest(NEWBIE, "", SNAP),
                BalanceRequest(NEWBIE, USDT, SNAP),
                BalanceRequest("not-hex", "", SNAP),
                BalanceRequest(OWNER, "", None),
            ],
        )
    assert (apt.base_units, apt.block_height, apt.method) == (3_00000000 + 12_34567890, 6009, "state_at_height")  # coin store + paired FA
    assert usdt.base_units == 2_500_000_123
    assert newbie_apt.ok and newbie_apt.base_units == 0 and "no CoinStore" in newbie_apt.note
    assert newbie_usdt.ok and newbie_usdt.base_units == 0
    assert not bad.ok and bad.base_units is None
    assert (latest.base_units, latest.block_height, latest.method) == (1 + 12_34567890, 10_009, "latest")


def rows() -> list[tuple[str, str, str, str, int | None]]:
    out = [("APTOS", "APT", "APTOS", OWNER, SNAP), ("USDT-APTOS", "USDT", "APTOS", OWNER, SNAP)]
    return out + [("APTOS", "APT", "APTOS", a, SNAP) for a in MANY]


def cfg(url: str) -> PorConfig:
    return PorConfig(networks={"APTOS": NetworkSettings(name="APTOS", rpc=[url], backoff=0.01, backoff_max=0.02, retries=6)}, path=Path("por.toml"))


def expected(sc: AptosScenario) -> dict[int, str]:
    v = sc.last_version(SNAP)
    out = {1: str(sc.coin_balance(OWNER, APT, v)), 2: str(sc.fa_balance(OWNER, USDT, v))}
    out.update({n: str(sc.coin_balance(a, APT, v)) for n, a in enumerate(MANY, start=3)})
    return out


@pytest.fixture(autouse=True)
def usdt_registry(monkeypatch):
    """USDT-APTOS's FA metadata comes from the registry; pin it here so the test does not depend on the data file's state."""
    from dataclasses import replace

    reg = registry()
    coin = reg.coins.get("USDT-APTOS")
    if coin is not None and coin.contract != USDT:
        monkeypatch.setitem(reg.coins, "USDT-APTOS", replace(coin, contract=USDT))


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    with aptos_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=8, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        fetch_snapshot(con, cfg(proxy.url), sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert stored(con, sid) == expected(sc)
        assert con.execute("select amount from balances where row_no = 2").fetchone()[0] == "2500.000123"


def test_a_pruned_node_is_refused_naming_what_it_keeps(tmp_path: Path) -> None:
    with aptos_node(scenario(oldest_block=700)) as node:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows()[:3])
        summary = fetch_snapshot(con, cfg(node.url), sid, show_progress=False)
    blocked = summary.networks["APTOS"].blocked
    assert "has been pruned" in blocked and "oldest block kept: 700" in blocked and "oldest version 7,000" in blocked
    assert con.execute("select count(*) from balances where status = 'error' and base_units is null").fetchone()[0] == 3


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario()
    con, sid = resume_after_kill(tmp_path, "APTOS", rows(), lambda: aptos_node(sc), cfg, after_requests=12, commit_chunk=3)
    assert stored(con, sid) == expected(sc)
