"""Where a row is read is registry data (``data/fetch_routes.csv``): a route added to a copy of the registry moves
rows to another network's adapter, end to end on a real anvil and a real DuckDB file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot, plan
from indexer.registry import Registry, load_registry, registry
from indexer.store import connect
from tests.fixtures.anvil import Anvil, insert_snapshot

ROOT = Path(__file__).resolve().parents[1]


def registry_copy(tmp_path: Path, *routes: str) -> Registry:
    """The shipped registry with ``routes`` (CSV lines) appended to its fetch_routes.csv."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    with (data / "fetch_routes.csv").open("a") as f:
        f.writelines(line + "\n" for line in routes)
    return load_registry(data)


def test_the_shipped_routes_read_staking_rows_on_the_beacon_chain() -> None:
    routes = {(r.row_type, r.network): r for r in registry().fetch_routes}
    assert set(routes) == {("Native ETH Staking", "ETH"), ("Eigenlayer Staking", "ETH")}
    assert all(r.fetch_network == "BEACON" and "okx_por_staking_example.csv" in r.source for r in routes.values())


def test_a_route_naming_an_unknown_network_or_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="names unknown network NOWHERE"):
        registry_copy(tmp_path / "a", "Bridged,ARBITRUM,NOWHERE,")
    with pytest.raises(ValueError, match="Native ETH Staking on ETH is routed twice"):
        registry_copy(tmp_path / "b", "Native ETH Staking,ETH,ARBITRUM,")


def test_a_route_added_in_a_registry_copy_changes_where_rows_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows published on ARBITRUM (not configured); a route for one row type sends that row to ETH (an anvil)."""
    copy = registry_copy(tmp_path, "Bridged Test,ARBITRUM,ETH,a test route")
    with Anvil("--chain-id", "1") as node:
        holder = "0x" + "42" * 20
        node.set_balance(holder, 123_456_789)
        block = node.mine()
        node.mine()  # anvil_setBalance writes the head's state: change it only once the snapshot block is not the head
        node.set_balance(holder, 1)  # after the snapshot block: a read at the wrong height would see it
        node.mine()
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, [("ETH", "ETH", "ARBITRUM", holder, block), ("ETH", "ETH", "ARBITRUM", holder, block)])
        con.execute("update addresses set row_type = case row_no when 1 then 'Bridged Test' else 'Non Staking' end")
        cfg = PorConfig(networks={"ETH": NetworkSettings(name="ETH", rpc=[node.url], backoff=0.01)}, path=Path("por.toml"))

        # the shipped registry: both rows stay on ARBITRUM, which is not configured
        shipped = fetch_snapshot(con, cfg, sid)
        assert shipped.networks == {} and shipped.skipped == {"ARBITRUM": (2, "not configured in por.toml")}

        monkeypatch.setattr(plan, "registry", lambda: copy)  # the registry data, not the code, is what changes
        routed = fetch_snapshot(con, cfg, sid)
        assert set(routed.networks) == {"ETH"} and routed.networks["ETH"].ok == 1
        assert routed.skipped == {"ARBITRUM": (1, "not configured in por.toml")}
        got = con.execute("select row_no, status, cast(base_units as varchar), source from balances where snapshot_id = ?", [sid]).fetchall()
        assert got == [(1, "ok", "123456789", routed.networks["ETH"].source)] and node.balance(holder, block) == 123_456_789
        assert f"127.0.0.1:{node.port}" in routed.networks["ETH"].source  # read on the ETH node
