"""Validator balances for the staking rows: a real anvil for the execution block's timestamp, a Beacon API stub
for the consensus state. The slot is derived from the timestamp and checked against the beacon block's payload."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from chains.beacon.fetch import BeaconFetcher, normalise_pubkey, slot_of
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import Anvil, insert_snapshot
from tests.fixtures.beacon_node import BeaconScenario, PendingDeposit, beacon_node
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import resume_after_kill

GENESIS = 1_700_000_000
KEYS = [f"0x{i:02x}" + "ab" * 47 for i in range(70)]


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[Anvil, BeaconScenario, int]]:
    """Execution block N mined at the start of slot 5000; the beacon chain knows it as that slot's payload."""
    with Anvil("--chain-id", "1", "--timestamp", str(GENESIS)) as node:
        node.rpc("evm_setNextBlockTimestamp", [GENESIS + 12 * 5000])
        block = node.mine()
        node.rpc("evm_setNextBlockTimestamp", [GENESIS + 12 * 5003 + 5])  # not a slot boundary
        odd = node.mine()
        sc = BeaconScenario(genesis_time=GENESIS, payloads={5000: block, 5001: block + 100, 5100: odd, 5200: odd + 50}, oldest_state=4000, head=5200)
        for i, key in enumerate(KEYS):
            sc.validators[key] = [(100, 32_000_000_000 + i), (5001, 1)]  # changes right after the snapshot slot
        sc.validators[KEYS[0]] = [(100, 31_999_999_999), (4990, 32_012_345_678)]
        sc.validators["0x" + "cd" * 48] = [(5050, 32_000_000_000)]  # activated after the snapshot
        yield node, sc, block


def settings(beacon_url: str, execution_url: str, **kw: object) -> NetworkSettings:
    return NetworkSettings(name="BEACON", rpc=[beacon_url], backoff=0.01, backoff_max=0.02, options={"execution_rpc": execution_url, "ids_per_request": 16}, **kw)  # type: ignore[arg-type]


def test_pubkeys_and_slots() -> None:
    assert normalise_pubkey(KEYS[1].upper().replace("0X", "0x")) == KEYS[1]
    assert normalise_pubkey(KEYS[1][2:]) == KEYS[1]
    for bad in ("0x1234", "0x" + "zz" * 48, "0x" + "ab" * 20):
        with pytest.raises(ValueError):
            normalise_pubkey(bad)
    assert slot_of(GENESIS + 12 * 7, GENESIS, 12) == 7
    with pytest.raises(ValueError):
        slot_of(GENESIS + 13, GENESIS, 12)


def test_balances_at_the_slot_of_the_snapshot_block(chain) -> None:
    node, sc, block = chain
    with beacon_node(sc) as beacon:

        async def go():
            async with run_session():
                f = BeaconFetcher(registry().networks["BEACON"], settings(beacon.url, node.url))
                got = await f.fetch(
                    [BalanceRequest(k, "", block) for k in KEYS[:3]]
                    + [BalanceRequest("0x" + "cd" * 48, "", block), BalanceRequest("0x12", "", block), BalanceRequest(KEYS[1], "", None)]
                )
                with pytest.raises(ValueError, match="not a slot boundary"):
                    await f.slot_for_block(block + 1)
                return got

        got = asyncio.run(go())
    a, b, c, late, bad, latest = got
    assert (a.base_units, a.block_height, a.method) == (32_012_345_678 * 10**9, 5000, "state_at_height")
    assert (b.base_units, c.base_units) == (32_000_000_001 * 10**9, 32_000_000_002 * 10**9)
    assert not late.ok and late.base_units is None and "not in the registry at slot 5,000" in late.error  # never a zero
    assert not bad.ok and "BLS" in bad.error
    assert (latest.base_units, latest.block_height, latest.method) == (10**9, 5200, "latest")


def rows(block: int) -> list[tuple[str, str, str, str, int | None]]:
    return [("ETH", "ETH", "BEACON", k, block) for k in KEYS]


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(chain, tmp_path: Path) -> None:
    node, sc, block = chain
    with beacon_node(sc) as beacon, FaultyProxy(beacon.url, share=0.3, seed=3, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows(block))
        cfg = PorConfig(networks={"BEACON": settings(proxy.url, node.url, retries=6)}, path=Path("por.toml"))
        summary = fetch_snapshot(con, cfg, sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert summary.networks["BEACON"].errors == 0
        got = dict(con.execute("select row_no, cast(base_units as varchar) from balances where snapshot_id = ? and status = 'ok'", [sid]).fetchall())
        assert got == {n: str(sc.balance(k, 5000) * 10**9) for n, k in enumerate(KEYS, start=1)}
        amounts = con.execute("select amount from balances where row_no = 2").fetchone()[0]
        assert amounts == "32.000000001"  # Gwei -> ETH at 18 decimals, exact
        requests = beacon.counts["requests"]
    assert requests < len(KEYS) // 2  # batched: 70 keys in 5 validators queries (+ genesis, spec, block, checkpoint)


def test_a_pruned_beacon_node_is_refused_in_one_sentence(chain, tmp_path: Path) -> None:
    node, sc, block = chain
    pruned = BeaconScenario(genesis_time=GENESIS, payloads=sc.payloads, validators=sc.validators, oldest_state=5100, head=5200)
    with beacon_node(pruned) as beacon:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows(block)[:4])
        summary = fetch_snapshot(con, PorConfig(networks={"BEACON": settings(beacon.url, node.url)}, path=Path("por.toml")), sid, show_progress=False)
    assert "archive beacon node is needed" in summary.networks["BEACON"].blocked
    assert con.execute("select count(*) from balances where status = 'error' and base_units is null").fetchone()[0] == 4


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(chain, tmp_path: Path) -> None:
    node, sc, block = chain
    opts = {"execution_rpc": node.url, "ids_per_request": 4}
    cfg = lambda url: PorConfig(networks={"BEACON": NetworkSettings(name="BEACON", rpc=[url], options=opts)}, path=Path("por.toml"))  # noqa: E731
    con, sid = resume_after_kill(tmp_path, "BEACON", rows(block), lambda: beacon_node(sc), cfg, after_requests=9, options=lambda url: opts)
    got = dict(con.execute("select row_no, cast(base_units as varchar) from balances where snapshot_id = ? and status = 'ok'", [sid]).fetchall())
    assert got == {n: str(sc.balance(k, 5000) * 10**9) for n, k in enumerate(KEYS, start=1)}


def test_staking_rows_published_on_eth_are_read_on_the_beacon_chain(chain, tmp_path: Path) -> None:
    """OKX's 12-column staking rows name network ETH but publish a validator key: the runner reads them with the beacon adapter."""
    node, sc, block = chain
    with beacon_node(sc) as beacon:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, [("ETH", "ETH", "ETH", k, block) for k in KEYS[:3]] + [("ETH", "ETH", "ETH", "0x" + "11" * 20, block)])
        con.execute("update addresses set row_type = 'Native ETH Staking' where row_no in (1, 2)")
        con.execute("update addresses set row_type = 'Eigenlayer Staking' where row_no = 3")
        con.execute("update addresses set row_type = 'Non Staking' where row_no = 4")
        summary = fetch_snapshot(con, PorConfig(networks={"BEACON": settings(beacon.url, node.url)}, path=Path("por.toml")), sid, show_progress=False)
    got = dict(con.execute("select row_no, cast(base_units as varchar) from balances where snapshot_id = ? and status = 'ok'", [sid]).fetchall())
    assert got == {n: str(sc.balance(k, 5000) * 10**9) for n, k in enumerate(KEYS[:3], start=1)}
    assert summary.skipped["ETH"][0] == 1  # the ordinary ETH row stays on ETH (not configured here)


def fetch(beacon_url: str, execution: object, requests: list[BalanceRequest], **options: object):
    async def go():
        async with run_session():
            f = BeaconFetcher(registry().networks["BEACON"], NetworkSettings(name="BEACON", rpc=[beacon_url], backoff=0.01, options={"execution_rpc": execution, **options}))
            try:
                return await f.fetch(requests)
            finally:
                await f.close()

    return asyncio.run(go())


def with_pending(sc: BeaconScenario, **kw: object) -> BeaconScenario:
    """The chain's history plus Electra deposits that wait in the state at the snapshot slot 5000."""
    out = BeaconScenario(genesis_time=GENESIS, payloads=sc.payloads, validators=dict(sc.validators), oldest_state=4000, head=5200, **kw)  # type: ignore[arg-type]
    out.pending = [
        PendingDeposit(KEYS[5], 2_000_000_000, queued=4990, applied=5001),  # a top-up, credited after the snapshot
        PendingDeposit(KEYS[6], 1_000_000_000, queued=4995),
        PendingDeposit(KEYS[6], 500_000_000, queued=4999),
        PendingDeposit(KEYS[7], 7, queued=4000, applied=4990),  # credited before the snapshot: in the balance already
        PendingDeposit("0x" + "ee" * 48, 32_000_000_000, queued=4998),  # a new key: a validator only if its signature is valid
    ]
    return out


def test_pending_deposits_are_counted_and_a_new_key_with_only_a_deposit_is_an_error(chain) -> None:
    """After Electra a top-up waits in the state's pending_deposits, not in ``balance``: counted, with a note."""
    node, sc, block = chain
    with beacon_node(with_pending(sc)) as beacon:
        five, six, seven, new, eight = fetch(beacon.url, node.url, [BalanceRequest(k, "", block) for k in (KEYS[5], KEYS[6], KEYS[7], "0x" + "ee" * 48, KEYS[8])])
    assert (five.base_units, five.method) == ((sc.balance(KEYS[5], 5000) + 2_000_000_000) * 10**9, "state_at_height")
    assert "1 pending deposit(s) of 2,000,000,000 Gwei" in five.note
    assert six.base_units == (sc.balance(KEYS[6], 5000) + 1_500_000_000) * 10**9 and "2 pending deposit(s)" in six.note
    assert (seven.base_units, seven.note) == (sc.balance(KEYS[7], 5000) * 10**9, "")  # no longer pending at the snapshot slot
    assert (eight.base_units, eight.note) == (sc.balance(KEYS[8], 5000) * 10**9, "")
    assert not new.ok and new.base_units is None and "32,000,000,000 Gwei" in new.error and "signature" in new.error


def test_a_state_before_electra_has_no_pending_deposits_to_ask_for(chain) -> None:
    """A Deneb state answers pending_deposits with 400: the adapter must not ask, and must not fail its rows."""
    node, sc, block = chain
    with beacon_node(with_pending(sc, electra_slot=6000)) as beacon:
        got = fetch(beacon.url, node.url, [BalanceRequest(k, "", block) for k in KEYS[:8]])
        asked = beacon.counts["requests"]
    assert [r.base_units for r in got] == [sc.balance(k, 5000) * 10**9 for k in KEYS[:8]]
    assert all(r.ok and not r.note for r in got)
    assert asked == 4  # genesis, spec, the block, one validators query: pending_deposits was not asked


def test_the_validator_id_limit_of_the_beacon_api_is_kept(chain) -> None:
    """beacon-APIs: ``id`` maxItems 64, 414 above it: 64 per request works, 65 is refused before any request."""
    node, sc, block = chain
    with beacon_node(sc) as beacon:
        got = fetch(beacon.url, node.url, [BalanceRequest(k, "", block) for k in KEYS], ids_per_request=64)
        assert [r.base_units for r in got] == [sc.balance(k, 5000) * 10**9 for k in KEYS]
        with pytest.raises(ValueError, match="1 to 64"):
            fetch(beacon.url, node.url, [], ids_per_request=65)


def test_the_execution_node_can_be_the_eth_networks_settings(chain) -> None:
    """``execution_rpc`` may carry the [networks.ETH] settings themselves (their endpoints, headers, credentials)."""
    node, sc, block = chain
    eth = NetworkSettings(name="ETH", rpc=["http://127.0.0.1:9", node.url], backoff=0.01, retries=3)  # the first endpoint is down: failover
    with beacon_node(sc) as beacon:
        [got] = fetch(beacon.url, eth, [BalanceRequest(KEYS[2], "", block)])
    assert (got.base_units, got.block_height) == (sc.balance(KEYS[2], 5000) * 10**9, 5000)
    with pytest.raises(ValueError, match="no execution node: configure \\[networks.ETH\\], or set .* execution_rpc"):
        BeaconFetcher(registry().networks["BEACON"], NetworkSettings(name="BEACON", rpc=["http://127.0.0.1:9"]))


def test_without_execution_rpc_the_runner_uses_the_eth_network(chain, tmp_path: Path) -> None:
    node, sc, block = chain
    with beacon_node(sc) as beacon:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows(block)[:3])
        cfg = PorConfig(networks={"BEACON": NetworkSettings(name="BEACON", rpc=[beacon.url]), "ETH": NetworkSettings(name="ETH", rpc=[node.url])}, path=Path("por.toml"))
        summary = fetch_snapshot(con, cfg, sid, show_progress=False)
    assert summary.networks["BEACON"].blocked == ""
    got = dict(con.execute("select row_no, cast(base_units as varchar) from balances where snapshot_id = ? and status = 'ok'", [sid]).fetchall())
    assert got == {n: str(sc.balance(k, 5000) * 10**9) for n, k in enumerate(KEYS[:3], start=1)}


def test_estimate_counts_the_requests_the_fetch_makes(chain, tmp_path: Path) -> None:
    """``por plan``'s count for BEACON (both services) equals what a fault-free fetch sends (the HTTP layer's tally)."""
    from indexer.fetch import COMMIT_CHUNK
    from indexer.fetch.estimate import forecast_snapshot

    node, sc, block = chain
    with beacon_node(sc) as beacon:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows(block))
        cfg = PorConfig(networks={"BEACON": settings(beacon.url, node.url)}, path=Path("por.toml"))
        plan = asyncio.run(forecast_snapshot(con, cfg, sid, at="snapshot", probe=False, commit_chunk=COMMIT_CHUNK))
        summary = fetch_snapshot(con, cfg, sid, show_progress=False)
    [f] = plan.networks
    assert not f.generic and {s.name for s in f.services} == {"beacon", "execution"}
    assert f.requests == summary.networks["BEACON"].http.requests > 0
