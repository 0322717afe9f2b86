"""HTX's token keys: the contracts in ``exchanges/htx/coins.csv`` are the ones the public registries name, and
a key is read from its contract only when the contract's balance is the amount HTX states.

The confirmed values are written out here (not read back from the file), so a typo in the map fails; the
shapes are checked with eth-utils and base58 beside our own codecs (``tests/test_registry_integrity.py``).
End to end, a synthetic HTX file is ingested and fetched against two anvils (Ethereum and BNB Smart Chain
chain ids) whose registry addresses run a test token whose balances move after the snapshot block.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from indexer.registry import registry
from indexer.config import NetworkSettings, PorConfig
from indexer.plugins import package_csv
from exchanges.htx import htx_registry
from indexer.fetch import fetch_snapshot
from indexer.fetch.target import read_target
from indexer.ingest import ingest_file
from tests.fixtures.anvil import Anvil, erc20_balance, test_contracts
from tests.test_exchanges import htx_file, tron_row
from tests.test_registry_integrity import _evm, _tron

# key -> (network, contract, decimals), each checked against the two public sources its row cites
CONFIRMED = {
    "WBTC-ERC20": ("ETH", "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599", 8),
    "BBTC-ERC20": ("ETH", "0x9BE89D2a4cd102D8Fecc6BF9dA793be995C22541", 8),
    "STETH": ("ETH", "0xae7ab96520DE3A18E5e111B5EaAb095312D7fE84", 18),
    "HT-ETH": ("ETH", "0x6f259637dcD74C767781E37Bc6133cd6A68aa161", 18),
    "HTX-ERC20": ("ETH", "0x61EC85aB89377db65762E234C946b5c25A56E99e", 18),
    "HTX-TRC20": ("TRON", "TUPM7K8REVzD2UdV4R5fe5M8XbnR2DdoJ6", 18),
    "TRX-ERC20": ("ETH", "0x50327c6c5a14DCaDE707ABad2E27eB517df87AB5", 6),
    "WLFI": ("ETH", "0xdA5e1988097297dCdc1f90D4dFE7909e847CBeF6", 18),
    "USDT-BEP20": ("BSC", "0x55d398326f99059fF775485246999027B3197955", 18),
    "BEP20-USDC": ("BSC", "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d", 18),
    "USDT-AETHUSDT": ("ETH", "0x23878914EFE38d27C4D67Ab83ed1b93A74D4086a", 6),
    "ERC20-AETHUSDC": ("ETH", "0x98C23E9d8f34FEFb1B7BD6a91B7FF122F4e16F5c", 6),
    "STUSDT-TRC20": ("TRON", "TThzxNRLrW2Brp9DcTQU8i4Wd9udCWEdZ3", 18),
}
# keys whose stated amount is the underlying of a receipt: never read, whatever the file says
RECEIPTS = {"JUSDT-TRC20", "JWBTC-TRC20", "STEAK-USDC", "JSTRX"}
# a repository path read at a commit: "owner/repo some/path @<40 hex>"
CITED = re.compile(r"[\w.-]+/[\w.-]+ \S+ @[0-9a-f]{40}")


def rows() -> dict[str, dict[str, str]]:
    return {r["coin_key"].upper(): r for r in package_csv("exchanges.htx", "coins.csv")}


def test_confirmed_contracts_and_decimals_are_the_cited_ones():
    reg, file_rows = htx_registry(registry()), rows()
    got = {k: (c.network, c.contract, c.decimals) for k, c in reg.coins.items() if c.contract and not file_rows[k]["registry_coin"]}
    assert got == CONFIRMED
    for key, (_network, _contract, decimals) in CONFIRMED.items():
        source = reg.coins[key].source
        assert len(CITED.findall(source)) >= 1 + (key != "STETH"), f"{key}: name the repository, path and commit of two sources"
        assert f"{decimals} decimals" in source or f", {decimals})" in source, f"{key}: the source must show {decimals} decimals"
    # the values the brief asked for, spelled out
    assert reg.coin("wBTC-ERC20").decimals == 8 and reg.coin("USDT-BEP20").decimals == 18 and reg.coin("USDT-aEthUSDT").decimals == 6


@pytest.mark.parametrize("key", sorted(CONFIRMED))
def test_contract_shapes_are_valid_for_their_chain(key):
    coin = htx_registry(registry()).coins[key]
    (_tron if coin.network == "TRON" else _evm)(coin)
    assert coin.network in htx_registry(registry()).networks


def test_unconfirmed_and_networkless_keys_are_never_fetchable():
    reg = htx_registry(registry())
    for key in ("AETH", "BTC-TRC20", "TRX-SOL", "BETH"):
        assert reg.coins[key].contract == "" and not reg.coins[key].source, key
        assert "not confirmed" in rows()[key]["note"], key
    for key in ("ETH-BTTC", "USDT-BTTC", "BETH-HECO", "USDT-XPL"):  # BTTC, Heco, Plasma: not in data/networks.csv
        assert reg.coins[key].network == "" and reg.coins[key].contract == "", key
    resolve = partial(read_target, reg)
    assert "no confirmed contract" in resolve("BTC-TRC20", "BTC", "TRON", "", 8).error


def test_a_receipt_is_never_read_even_with_a_contract():
    reg = htx_registry(registry())
    file_rows = rows()
    assert {k for k, r in file_rows.items() if r["balance_of"] == "receipt"} == RECEIPTS
    assert file_rows["JUSDT-TRC20"]["contract"] == "TXJgMdjVX5dKiQaUi9QobwNxtSQaFqccvd"  # confirmed, kept in the file
    resolve = partial(read_target, reg)
    for key in RECEIPTS:
        coin = reg.coins[key]
        assert coin.contract == "" and coin.source == "" and coin.form in ("lent", "staked"), key
        target = resolve(key, coin.asset, coin.network, None, coin.decimals)
        assert target.contract == "" and target.decimals is None and "no confirmed contract" in target.error, key


def test_the_map_refuses_a_contract_that_does_not_say_what_its_balance_is(monkeypatch):
    """The rule is in the code, not only in today's rows: an aToken marked as a receipt is not read either."""
    import exchanges.htx as htx

    original = package_csv("exchanges.htx", "coins.csv")

    def with_row(**change: str):
        return lambda *where: [({**r, **change} if r["coin_key"] == "USDT-aEthUSDT" else r) for r in original]

    monkeypatch.setattr(htx, "package_csv", with_row(balance_of="receipt"))
    coin = htx.htx_registry.__wrapped__(registry()).coins["USDT-AETHUSDT"]
    assert coin.contract == "" and "no confirmed contract" in read_target(htx.htx_registry.__wrapped__(registry()), "USDT-AETHUSDT", "USDT", "ETH", None, 6).error
    for bad in ("", "1:1"):
        monkeypatch.setattr(htx, "package_csv", with_row(balance_of=bad))
        with pytest.raises(ValueError, match="USDT-aEthUSDT has balance_of"):
            htx.htx_registry.__wrapped__(registry())


# ------------------------------------------------------------------------------------------ end to end on anvil
MINT = "0x40c10f19"  # TestToken.mint(address,uint256)


def _mint(node: Anvil, token: str, to: str, value: int) -> None:
    from eth_abi import encode

    node.send({"from": node.accounts[0], "to": token, "data": MINT + encode(["address", "uint256"], [to, value]).hex(), "gas": 200_000})


class Chain:
    """One anvil whose registry token addresses run TestToken; ``mint`` before and after the snapshot block."""

    def __init__(self, chain_id: int, tokens: list[str]) -> None:
        self.node = Anvil("--chain-id", str(chain_id))
        for token in tokens:
            self.node.set_code(token, test_contracts()["TestToken"]["runtime"])
        self.snapshot = 0


@pytest.fixture(scope="module")
def chains() -> Iterator[tuple[Chain, Chain]]:
    reg = htx_registry(registry())
    eth = Chain(1, [reg.coins["WBTC-ERC20"].contract, reg.coins["USDT-AETHUSDT"].contract])
    bsc = Chain(56, [reg.coins["USDT-BEP20"].contract])
    try:
        yield eth, bsc
    finally:
        eth.node.stop()
        bsc.node.stop()


HOLDER = "0x00000000000000000000000000000000000A11cE"
OTHER = "0x0000000000000000000000000000000000000b0B"


def test_an_htx_file_is_read_through_the_contracts_in_the_map_at_the_snapshot_height(con, tmp_path: Path, chains):
    eth, bsc = chains
    reg = htx_registry(registry())
    wbtc, aeth_usdt, bsc_usd = reg.coins["WBTC-ERC20"].contract, reg.coins["USDT-AETHUSDT"].contract, reg.coins["USDT-BEP20"].contract
    _mint(eth.node, wbtc, HOLDER, 50_000_000)  # 0.5 WBTC
    _mint(eth.node, aeth_usdt, HOLDER, 10_000_001)  # 10.000001 aEthUSDT
    _mint(bsc.node, bsc_usd, OTHER, 1234_500000000000000001)  # 1234.500000000000000001 USDT (18 decimals)
    eth.snapshot, bsc.snapshot = eth.node.block_number(), bsc.node.block_number()
    # history moves on after the snapshot: a read at the tip would differ
    _mint(eth.node, wbtc, HOLDER, 7)
    _mint(eth.node, aeth_usdt, HOLDER, 7)
    _mint(bsc.node, bsc_usd, OTHER, 7)
    e, b = str(eth.snapshot), str(bsc.snapshot)
    detail = [
        ("wBTC-ERC20", HOLDER, e, "0.5", "-", "-"),
        ("USDT-BEP20", OTHER, b, "1234.500000000000000001", "-", "-"),
        ("USDT-aEthUSDT", HOLDER, e, "10.000001", "-", "-"),
        ("STEAK-USDC", HOLDER, e, "7", "-", "-"),  # a vault-share receipt: never read
        ("jUSDT-TRC20", tron_row(9, False)[0], "79736938", "5", "-", "-"),  # TRON: not configured here
    ]
    [report] = ingest_file(con, htx_file(tmp_path, detail, f"WBTC-ERC20,{e},0.5"))
    assert report.exchange == "htx" and report.errors == 0
    stored = dict(con.execute("select coin, contract from addresses").fetchall())
    assert stored["WBTC-ERC20"] == wbtc and stored["USDT-BEP20"] == bsc_usd and not stored["JUSDT-TRC20"]

    settings = {"ETH": eth.node.url, "BSC": bsc.node.url}
    config = PorConfig(networks={n: NetworkSettings(name=n, rpc=[u], backoff=0.01) for n, u in settings.items()}, path=Path("por.toml"))
    summary = fetch_snapshot(con, config, report.snapshot_id, show_progress=False)
    assert "TRON" in summary.skipped
    got = {
        coin: rest
        for coin, *rest in con.execute(
            "select a.coin, b.status, cast(b.base_units as varchar), b.amount, b.block_height, b.error"
            " from balances b join addresses a using (snapshot_id, row_no) where b.as_of = 'snapshot'"
        ).fetchall()
    }
    want = {
        "WBTC-ERC20": erc20_balance(eth.node, wbtc, HOLDER, eth.snapshot),
        "USDT-AETHUSDT": erc20_balance(eth.node, aeth_usdt, HOLDER, eth.snapshot),
        "USDT-BEP20": erc20_balance(bsc.node, bsc_usd, OTHER, bsc.snapshot),
    }
    assert want == {"WBTC-ERC20": 50_000_000, "USDT-AETHUSDT": 10_000_001, "USDT-BEP20": 1234_500000000000000001}
    assert got["WBTC-ERC20"][:4] == ["ok", "50000000", "0.5", eth.snapshot]
    assert got["USDT-AETHUSDT"][:4] == ["ok", "10000001", "10.000001", eth.snapshot]
    assert got["USDT-BEP20"][:4] == ["ok", "1234500000000000000001", "1234.500000000000000001", bsc.snapshot]
    status, units, amount, _block, error = got["STEAK-USDC"]
    assert (status, units, amount) == ("error", None, None) and "no confirmed contract" in error
    assert "JUSDT-TRC20" not in got
    # what HTX claims equals what the chain says, per key
    claimed = dict(con.execute("select coin, cast(published_base_units as varchar) from addresses").fetchall())
    assert {k: claimed[k] for k in want} == {k: str(v) for k, v in want.items()}

