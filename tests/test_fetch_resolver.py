"""What a row is read from: the registry facts stored with it at ingest, not today's registry."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.fetch.target import read_target
from indexer.registry import registry
from indexer.store import connect
from tests.fixtures.anvil import Anvil, erc20_balance, insert_snapshot, test_contracts, token_slot

USDT = registry().coin("USDT-ERC20")


def test_a_token_row_reads_the_contract_and_decimals_it_was_ingested_with() -> None:
    resolve = partial(read_target, registry())
    old = resolve("USDT-ERC20", "USDT", "ETH", "0x" + "ab" * 20, 6)
    assert (old.contract, old.decimals, old.error) == ("0x" + "ab" * 20, 6, "")  # not today's contract
    assert resolve("USDT-ERC20", "USDT", "ETH", None, None).contract == USDT.contract  # no stored facts: today's registry
    native = resolve("ETH", "ETH", "ETH", "", 18)
    assert (native.contract, native.decimals) == ("", 18)


def test_a_token_ingested_without_a_contract_uses_todays_only_at_the_same_decimals() -> None:
    resolve = partial(read_target, registry())
    same = resolve("USDT-ERC20", "USDT", "ETH", "", USDT.decimals)
    assert (same.contract, same.decimals) == (USDT.contract, USDT.decimals)
    changed = resolve("USDT-ERC20", "USDT", "ETH", "", 18)
    assert changed.error and "re-ingest" in changed.error and changed.decimals is None  # never read as the native coin


def test_a_row_naming_only_an_asset_and_a_network_with_two_tokens_of_it_is_not_guessed() -> None:
    """X Layer has bridged USDT (OKB-X1-USDT) and USD₮0 (USDT0-XLAYER): a row that says only "USDT on X Layer"
    (OKX's network-keyed rows) gets an error naming both, never the first contract the registry lists."""
    reg = registry()
    resolve = partial(read_target, reg)
    ambiguous = resolve("USDT", "USDT", "XLAYER", None, None)
    assert ambiguous.contract == "" and ambiguous.decimals is None
    assert "ambiguous" in ambiguous.error and "OKB-X1-USDT" in ambiguous.error and "USDT0-XLAYER" in ambiguous.error
    one = resolve("BABYDOGE", "BABYDOGE", "BSC", None, None)  # one BABYDOGE token on BSC: that one
    assert (one.contract, one.decimals, one.error) == (reg.coin("BABYDOGE-BSC").contract, 9, "")


def test_a_fetch_reads_each_row_from_the_contract_and_at_the_decimals_stored_with_it(tmp_path: Path) -> None:
    """End to end on anvil: the plan passes the facts frozen at ingest (``addresses.contract``/``decimals``) to the
    target, so a row stored with another contract is read there and scaled by its own decimals."""
    token, holder = "0x" + "77" * 20, "0x" + "42" * 20
    with Anvil("--chain-id", "1") as node:
        node.set_code(token, test_contracts()["TestToken"]["runtime"])
        node.set_storage(token, token_slot(holder), 123_456_789)
        block = node.mine()
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, [("USDT-ERC20", "USDT", "ETH", holder, block)] * 2)
        con.execute("update addresses set contract = ?, decimals = 8 where row_no = 1", [token])
        fetch_snapshot(con, PorConfig(networks={"ETH": NetworkSettings(name="ETH", rpc=[node.url], backoff=0.01)}, path=Path("por.toml")), sid)
        assert erc20_balance(node, token, holder, block) == 123_456_789
    got = {r[0]: r[1:] for r in con.execute("select row_no, status, cast(base_units as varchar), amount from balances where snapshot_id = ?", [sid]).fetchall()}
    assert got[1] == ("ok", "123456789", "1.23456789")
    # row 2 kept today's facts: USDT's own contract, which has no code on this chain: an error row, never a 0
    assert got[2][0] == "error" and got[2][1] is None
