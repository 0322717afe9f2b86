"""What a row is read from: the registry facts stored with it at ingest, not today's registry."""

from __future__ import annotations

from indexer.fetch import _Resolver
from indexer.registry import registry

USDT = registry().coin("USDT-ERC20")


def test_a_token_row_reads_the_contract_and_decimals_it_was_ingested_with() -> None:
    resolve = _Resolver(registry())
    old = resolve("USDT-ERC20", "USDT", "ETH", "0x" + "ab" * 20, 6)
    assert (old.contract, old.decimals, old.error) == ("0x" + "ab" * 20, 6, "")  # not today's contract
    assert resolve("USDT-ERC20", "USDT", "ETH", None, None).contract == USDT.contract  # no stored facts: today's registry
    native = resolve("ETH", "ETH", "ETH", "", 18)
    assert (native.contract, native.decimals) == ("", 18)


def test_a_token_ingested_without_a_contract_uses_todays_only_at_the_same_decimals() -> None:
    resolve = _Resolver(registry())
    same = resolve("USDT-ERC20", "USDT", "ETH", "", USDT.decimals)
    assert (same.contract, same.decimals) == (USDT.contract, USDT.decimals)
    changed = resolve("USDT-ERC20", "USDT", "ETH", "", 18)
    assert changed.error and "re-ingest" in changed.error and changed.decimals is None  # never read as the native coin


def test_a_row_naming_only_an_asset_and_a_network_with_two_tokens_of_it_is_not_guessed() -> None:
    """X Layer has bridged USDT (OKB-X1-USDT) and USD₮0 (USDT0-XLAYER): a row that says only "USDT on X Layer"
    (OKX's network-keyed rows) gets an error naming both, never the first contract the registry lists."""
    reg = registry()
    resolve = _Resolver(reg)
    ambiguous = resolve("USDT", "USDT", "XLAYER", None, None)
    assert ambiguous.contract == "" and ambiguous.decimals is None
    assert "ambiguous" in ambiguous.error and "OKB-X1-USDT" in ambiguous.error and "USDT0-XLAYER" in ambiguous.error
    one = resolve("BABYDOGE", "BABYDOGE", "BSC", None, None)  # one BABYDOGE token on BSC: that one
    assert (one.contract, one.decimals, one.error) == (reg.coin("BABYDOGE-BSC").contract, 9, "")
