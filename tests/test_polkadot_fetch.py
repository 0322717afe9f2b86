"""DOT and Asset Hub balances at the snapshot block against a Substrate RPC stub.

Storage values are encoded by scalecodec (the field's SCALE library) and keys are cross-checked
with xxhash, so the adapter's decoder and key builder meet independent encodings.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import xxhash
from scalecodec.base import RuntimeConfiguration
from scalecodec.type_registry import load_type_registry_preset

from chains.common.ss58 import ss58_address
from chains.polkadot import codec
from chains.polkadot.fetch import MIGRATION_AT_MS, PolkadotFetcher
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest, Network
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import resume_after_kill
from tests.fixtures.resume import stored_balances as stored  # row_no -> base units, all ok
from tests.fixtures.substrate_node import SubstrateScenario, substrate_node

SNAP = 1_500
RC = RuntimeConfiguration()
RC.update_type_registry(load_type_registry_preset("legacy"))
KEYS = [bytes([i + 1]) * 32 for i in range(40)]
ADDRS = [ss58_address(k, 0) for k in KEYS]


def twox128(text: str) -> bytes:
    b = text.encode()
    return xxhash.xxh64(b, seed=0).intdigest().to_bytes(8, "little") + xxhash.xxh64(b, seed=1).intdigest().to_bytes(8, "little")


def account_info(free: int, reserved: int, frozen: int = 0) -> str:
    return RC.create_scale_object("(u32, u32, u32, u32, u128, u128, u128, u128)").encode((3, 1, 1, 0, free, reserved, frozen, 2**127)).to_hex()


def asset_account(balance: int) -> str:
    return RC.create_scale_object("(u128, u8, u8)").encode((balance, 0, 0)).to_hex()


def moment(ms: int) -> str:
    return RC.create_scale_object("u64").encode(ms).to_hex()


def test_storage_keys_and_scale_values_against_the_field_libraries() -> None:
    assert codec.SYSTEM_ACCOUNT == twox128("System") + twox128("Account")
    assert codec.ASSETS_ACCOUNT == twox128("Assets") + twox128("Account")
    assert codec.TIMESTAMP_NOW == twox128("Timestamp") + twox128("Now")
    encoded = account_info(12345678901234567890, 7, 3)
    decoded = RC.create_scale_object("AccountInfo", data=__import__("scalecodec").ScaleBytes(encoded)).decode()
    assert codec.decode_account_info(encoded)[:3] == (decoded["data"]["free"], decoded["data"]["reserved"], decoded["data"]["misc_frozen"])
    legacy = RC.create_scale_object("(u32, u32, u32, u128, u128, u128, u128)").encode((1, 0, 1, 5, 6, 0, 0)).to_hex()  # before `sufficients`
    assert codec.decode_account_info(legacy)[:2] == (5, 6)
    with pytest.raises(ValueError):
        codec.decode_account_info("0x" + "00" * 40)
    assert codec.decode_asset_balance(asset_account(2**100 + 1)) == 2**100 + 1
    assert codec.account_id(ADDRS[0]) == KEYS[0]


def relay_scenario(**kw: object) -> SubstrateScenario:
    sc = SubstrateScenario(**kw)  # type: ignore[arg-type]
    sc.storage["0x" + codec.TIMESTAMP_NOW.hex()] = [(0, moment(MIGRATION_AT_MS - 10**9)), (1_900, moment(MIGRATION_AT_MS + 6000))]
    for i, key in enumerate(KEYS):
        sc.storage[codec.system_account_key(key)] = [(100, account_info(10**10 + i, 5 * 10**10)), (1_600, account_info(1, 0))]
    sc.storage[codec.system_account_key(KEYS[1])] = [(100, account_info(7, 0)), (1_400, None)]  # reaped before the snapshot
    return sc


def fetcher(url: str, name: str = "DOT") -> PolkadotFetcher:
    net = Network(name=name, adapter="polkadot", chain_id=None, native_asset="DOT", native_decimals=10)
    return PolkadotFetcher(net, NetworkSettings(name=name, rpc=[url], backoff=0.01, options={"keys_per_query": 16}))


def test_relay_balances_at_the_snapshot_and_the_migration_guard() -> None:
    with substrate_node(relay_scenario()) as node:

        async def go():
            async with run_session():
                f = fetcher(node.url)
                got = await f.fetch([BalanceRequest(ADDRS[0], "", SNAP), BalanceRequest(ADDRS[1], "", SNAP), BalanceRequest(ADDRS[0], "1984", SNAP), BalanceRequest("5bad", "", SNAP)])
                with pytest.raises(Exception, match="after the Asset Hub migration"):
                    await f.preflight({1_950})
                await f.preflight({SNAP})
                return got

        a, reaped, token, bad = asyncio.run(go())
    assert (a.base_units, a.block_height, a.method) == (10**10 + 5 * 10**10, SNAP, "state_at_height")  # free + reserved
    assert reaped.ok and reaped.base_units == 0
    assert not token.ok and "Asset Hub" in token.error
    assert not bad.ok and bad.base_units is None


def test_asset_hub_native_and_assets() -> None:
    sc = SubstrateScenario(head=9_000)
    sc.storage[codec.system_account_key(KEYS[0])] = [(10, account_info(3 * 10**10, 0))]
    sc.storage[codec.assets_account_key(1984, KEYS[0])] = [(10, asset_account(5_000_000)), (8_001, asset_account(123_456_789_012))]
    with substrate_node(sc) as node:

        async def go():
            async with run_session():
                f = fetcher(node.url, "ASSETHUB")
                return await f.fetch([BalanceRequest(ADDRS[0], "", 8_500), BalanceRequest(ADDRS[0], "1984", 8_500), BalanceRequest(ADDRS[2], "1337", 8_500)])

        dot, usdt, usdc = asyncio.run(go())
    assert (dot.base_units, usdt.base_units, usdc.base_units) == (3 * 10**10, 123_456_789_012, 0)


def rows() -> list[tuple[str, str, str, str, int | None]]:
    return [("DOT", "DOT", "DOT", a, SNAP) for a in ADDRS]


def cfg(url: str) -> PorConfig:
    return PorConfig(networks={"DOT": NetworkSettings(name="DOT", rpc=[url], backoff=0.01, backoff_max=0.02, retries=6, options={"keys_per_query": 8})}, path=Path("por.toml"))


def expected() -> dict[int, str]:
    return {n: "0" if n == 2 else str(10**10 + (n - 1) + 5 * 10**10) for n in range(1, len(ADDRS) + 1)}


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    with substrate_node(relay_scenario()) as node, FaultyProxy(node.url, share=0.3, seed=2, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        fetch_snapshot(con, cfg(proxy.url), sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert stored(con, sid) == expected()
        assert con.execute("select amount from balances where row_no = 1").fetchone()[0] == "6"


def test_a_pruned_node_is_refused_in_one_sentence(tmp_path: Path) -> None:
    with substrate_node(relay_scenario(oldest_state=1_800)) as node:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows()[:3])
        summary = fetch_snapshot(con, cfg(node.url), sid, show_progress=False)
    assert "State already discarded" in summary.networks["DOT"].blocked and "archive node" in summary.networks["DOT"].blocked
    assert con.execute("select count(*) from balances where status = 'error' and base_units is null").fetchone()[0] == 3


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    options = lambda url: {"keys_per_query": 3}  # noqa: E731
    con, sid = resume_after_kill(tmp_path, "DOT", rows(), lambda: substrate_node(relay_scenario()), cfg, after_requests=6, commit_chunk=3, options=options)
    assert stored(con, sid) == expected()
