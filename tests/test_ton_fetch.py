"""TON and USDT-on-TON balances at the snapshot masterchain block against a toncenter v2 stub."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytoniq_core import Address, Cell, begin_cell

from chains.common.toncells import friendly, parse_address
from chains.ton import codec
from chains.ton.fetch import TonFetcher
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
from tests.fixtures.toncenter import TonScenario, toncenter

SNAP = 50_000
MASTER = "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs"
OWNERS = [friendly(bytes([i + 1]) * 32, bounceable=False) for i in range(30)]


def raw(a: str) -> str:
    return codec.raw_form(parse_address(a))


def scenario(**kw: object) -> TonScenario:
    sc = TonScenario(master=MASTER, **kw)  # type: ignore[arg-type]
    for i, o in enumerate(OWNERS):
        sc.ton[raw(o)] = [(100, 10**9 * (i + 1)), (55_000, 5)]
        sc.jettons[raw(o)] = [(200, 1_000_000 + i), (50_001, 0)]
    sc.jettons.pop(raw(OWNERS[1]))  # never had a jetton wallet
    sc.jettons[raw(OWNERS[2])] = [(52_000, 9)]  # deployed after the snapshot
    return sc


def test_address_cells_against_pytoniq_core() -> None:
    for text in (MASTER, OWNERS[0], "-1:" + "ab" * 32):
        ours = codec.address_boc(parse_address(text))
        theirs = begin_cell().store_address(Address(text)).end_cell()
        assert Cell.one_from_boc(ours).hash == theirs.hash  # same cell, bit for bit
        assert codec.raw_form(codec.address_from_boc(theirs.to_boc())) == Address(text).to_str(is_user_friendly=False)
    cell = begin_cell().store_uint(5, 8).end_cell()
    try:
        codec.address_from_boc(cell.to_boc())
    except ValueError:
        pass
    else:
        raise AssertionError("an 8-bit cell was read as an address")


def fetch(url: str, reqs: list[BalanceRequest]):
    async def go():
        async with run_session():
            return await TonFetcher(registry().networks["TON"], NetworkSettings(name="TON", rpc=[url], backoff=0.01)).fetch(reqs)

    return asyncio.run(go())


def test_values_at_the_snapshot_block() -> None:
    with toncenter(scenario()) as node:
        ton, usdt, none, later, bad, latest = fetch(
            node.url,
            [
                BalanceRequest(OWNERS[0], "", SNAP),
                BalanceRequest(OWNERS[0], MASTER, SNAP),
                BalanceRequest(OWNERS[1], MASTER, SNAP),
                BalanceRequest(OWNERS[2], MASTER, SNAP),
                BalanceRequest("EQbad", "", SNAP),
                BalanceRequest(OWNERS[0], "", None),
            ],
        )
    assert (ton.base_units, ton.block_height, ton.method) == (10**9, SNAP, "state_at_height")
    assert (usdt.base_units, usdt.method) == (1_000_000, "state_at_height")
    assert none.ok and none.base_units == 0 and "not deployed" in none.note
    assert later.ok and later.base_units == 0
    assert not bad.ok and bad.base_units is None
    assert (latest.base_units, latest.block_height) == (5, 60_000)


def test_an_old_toncenter_that_ignores_seqno_gives_latest_with_the_block_it_read() -> None:
    """ton-http-api before v2.0.53 answers the current state whatever ``seqno`` says: stored as latest, never as the snapshot's."""
    for version, jetton_reason in (((2, 0, 52), "at masterchain block 60,000, not 50,000"), ((2, 0, 41), "names no masterchain block")):
        with toncenter(scenario(version=version)) as node:
            ton, usdt, none = fetch(node.url, [BalanceRequest(OWNERS[0], "", SNAP), BalanceRequest(OWNERS[0], MASTER, SNAP), BalanceRequest(OWNERS[1], MASTER, SNAP)])
        assert (ton.base_units, ton.block_height, ton.method) == (5, 60_000, "latest")  # the tip's value, not 10**9
        assert "at masterchain block 60,000, not 50,000" in ton.note and "v2.0.53" in ton.note
        assert (usdt.base_units, usdt.method) == (0, "latest") and jetton_reason in usdt.note
        assert none.ok and none.method == "latest" and "not deployed" in none.note
    with toncenter(scenario(version=(2, 0, 53))) as node:  # the first release that reads seqno
        ton, usdt = fetch(node.url, [BalanceRequest(OWNERS[0], "", SNAP), BalanceRequest(OWNERS[0], MASTER, SNAP)])
    assert (ton.base_units, ton.method, usdt.base_units, usdt.method) == (10**9, "state_at_height", 1_000_000, "state_at_height")


def test_an_old_toncenter_stores_latest_proxies_that_no_snapshot_figure_counts(tmp_path: Path) -> None:
    with toncenter(scenario(version=(2, 0, 52))) as node:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows()[:6])
        summary = fetch_snapshot(con, cfg(node.url), sid, show_progress=False)
    assert summary.networks["TON"].methods == {"latest": 6} and summary.rows_latest_proxy == 6
    got = con.execute("select status, method, read_block, note from balances where snapshot_id = ? order by row_no", [sid]).fetchall()
    assert {(s, m, b) for s, m, b, _ in got} == {("ok", "latest", 60_000)}
    assert all("ignores seqno" in n for *_, n in got)
    assert con.execute("select status, count(*) from reconciliation where snapshot_id = ? group by all", [sid]).fetchall() == [("latest_only", 6)]


def test_exit_code_minus_14_is_out_of_gas_an_error_never_a_balance() -> None:
    """-14 is ~out_of_gas (its stack holds the gas consumed); only -13 (no code: not deployed) reads as 0."""
    sc = scenario()
    sc.out_of_gas.add(raw(OWNERS[3]))
    with toncenter(sc) as node:
        gas, undeployed = fetch(node.url, [BalanceRequest(OWNERS[3], MASTER, SNAP), BalanceRequest(OWNERS[2], MASTER, SNAP)])
    assert not gas.ok and gas.base_units is None and "out of gas" in gas.error and "-14" in gas.error
    assert (undeployed.base_units, undeployed.method) == (0, "state_at_height") and "exit code -13" in undeployed.note


def rows() -> list[tuple[str, str, str, str, int | None]]:
    out = []
    for o in OWNERS:
        out += [("TONCOIN-NEW", "TON", "TON", o, SNAP), ("USDT-TON", "USDT", "TON", o, SNAP)]
    return out


def expected(sc: TonScenario) -> dict[int, str]:
    out = {}
    for n, (coin, _, _, owner, _) in enumerate(rows(), start=1):
        history = sc.ton if coin.startswith("TON") else sc.jettons
        out[n] = str(sc._at(history.get(raw(owner)), SNAP) or 0)
    return out


def cfg(url: str) -> PorConfig:
    return PorConfig(networks={"TON": NetworkSettings(name="TON", rpc=[url], backoff=0.01, backoff_max=0.02, retries=6)}, path=Path("por.toml"))


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    with toncenter(sc) as node, FaultyProxy(node.url, share=0.3, seed=11, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        fetch_snapshot(con, cfg(proxy.url), sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert stored(con, sid) == expected(sc)


def test_a_block_outside_the_archive_is_refused_in_one_sentence(tmp_path: Path) -> None:
    with toncenter(scenario(oldest=55_000)) as node:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows()[:4])
        summary = fetch_snapshot(con, PorConfig(networks={"TON": NetworkSettings(name="TON", rpc=[node.url], backoff=0.01, backoff_max=0.02, retries=1)}, path=Path("por.toml")), sid, show_progress=False)
    assert "archival liteservers are needed" in summary.networks["TON"].blocked
    assert con.execute("select count(*) from balances where status = 'error' and base_units is null").fetchone()[0] == 4


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario()
    con, sid = resume_after_kill(tmp_path, "TON", rows(), lambda: toncenter(sc), cfg, after_requests=20, commit_chunk=3)
    assert stored(con, sid) == expected(sc)
