"""The registry is part of the numbers: every token row in data/coins.csv is checked here.

A wrong contract or decimals gives a wrong reserve with no error, so each token row must
name the public reference it was checked against, and each identifier must have the shape
its chain gives it, decoded with the field's own libraries (eth-utils for EIP-55, base58
for Solana and Tron, pytoniq-core for TON), not only with ours.
"""

from __future__ import annotations

import csv
import hashlib
import re
from functools import partial
from pathlib import Path

import base58
import pytest
from eth_utils import is_checksum_address, to_checksum_address
from pytoniq_core import Address

from chains.common.encoding import b58check_decode, b58decode
from chains.common.ethaddr import to_checksum
from indexer.fetch.target import read_target
from indexer.models import Coin
from indexer.registry import load_registry, registry

ROOT = Path(__file__).resolve().parents[1]
REG = registry()


def token_rows() -> list[Coin]:
    """Rows that name a token: a contract, or an asset other than their network's native coin."""
    rows = []
    for coin in REG.coins.values():
        net = REG.networks.get(coin.network)
        if coin.contract or (net is not None and coin.asset and coin.asset != net.native_asset):
            rows.append(coin)
    return rows


def with_contract() -> list[Coin]:
    return [c for c in REG.coins.values() if c.contract]


def _ids(coins: list[Coin]) -> list[str]:
    return [c.key for c in coins]


# ---------------------------------------------------------------- the file itself
def test_the_file_has_a_source_column_and_unique_keys() -> None:
    with (ROOT / "data" / "coins.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames is not None and "source" in reader.fieldnames
        keys = [r["coin_key"] for r in reader]
    assert len(keys) == len(set(keys)) == len(REG.coins)


@pytest.mark.parametrize("coin", with_contract(), ids=_ids(with_contract()))
def test_every_contract_names_its_public_reference_and_decimals(coin: Coin) -> None:
    assert len(coin.source) >= 10 and "(" in coin.source, f"{coin.key}: source must name the document/URL it was checked against"
    assert coin.decimals is not None and 0 <= coin.decimals <= 24, coin.key
    assert coin.asset, coin.key


@pytest.mark.parametrize("coin", token_rows(), ids=_ids(token_rows()))
def test_a_token_row_is_either_confirmed_or_left_empty(coin: Coin) -> None:
    """An unconfirmed token keeps an empty contract (and then claims no source)."""
    assert coin.decimals is not None, coin.key
    if not coin.contract:
        assert not coin.source, f"{coin.key} names a source but no contract"


# ---------------------------------------------------------------- identifier shapes per chain
def _evm(coin: Coin) -> None:
    text = coin.contract
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", text), f"{coin.key}: {text!r} is not 20 bytes of hex"
    body = text[2:]
    if body != body.lower() and body != body.upper():
        assert is_checksum_address(text), f"{coin.key}: {text} fails its EIP-55 checksum"
    # our own encoder agrees with eth-utils on the same bytes
    assert to_checksum(bytes.fromhex(body)) == to_checksum_address(text)


def _solana(coin: Coin) -> None:
    raw = base58.b58decode(coin.contract)
    assert len(raw) == 32, f"{coin.key}: mint decodes to {len(raw)} bytes"
    assert b58decode(coin.contract) == raw  # our decoder agrees with the base58 package
    assert base58.b58encode(raw).decode() == coin.contract  # canonical text, no leading-zero tricks


def _tron(coin: Coin) -> None:
    raw = base58.b58decode_check(coin.contract)  # raises on a bad checksum
    assert len(raw) == 21 and raw[0] == 0x41, f"{coin.key}: not a mainnet TRON address"
    assert b58check_decode(coin.contract) == raw
    assert hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4] == base58.b58decode(coin.contract)[-4:]


def _ton(coin: Coin) -> None:
    addr = Address(coin.contract)  # checks the CRC16 of the user-friendly form
    assert addr.wc == 0 and len(addr.hash_part) == 32
    assert addr.to_str(is_user_friendly=True, is_bounceable=True, is_url_safe=True) == coin.contract


def _aptos(coin: Coin) -> None:
    if coin.asset == "APT":
        assert coin.contract == "0xa", f"{coin.key}: APT's paired fungible asset is the metadata object 0xa"
        return
    assert re.fullmatch(r"0x[0-9a-f]{64}", coin.contract), f"{coin.key}: FA metadata must be a full 32-byte address"


def _sui(coin: Coin) -> None:
    assert re.fullmatch(r"0x[0-9a-f]{64}::[a-z_][a-z0-9_]*::[A-Z][A-Za-z0-9_]*", coin.contract), coin.key


def _integer_id(coin: Coin) -> None:
    assert re.fullmatch(r"[1-9][0-9]*", coin.contract), f"{coin.key}: {coin.contract!r} is not an asset/property id"


def _eosio(coin: Coin) -> None:
    """An Antelope token: ``code:SYMBOL``, the code an account name (a-z, 1-5, dots; at most 12), the symbol 1-7 capitals."""
    code, sep, symbol = coin.contract.partition(":")
    assert sep and re.fullmatch(r"[a-z1-5.]{1,12}", code) and re.fullmatch(r"[A-Z]{1,7}", symbol), coin.key


SHAPES = {
    "SOL": _solana, "TRON": _tron, "TON": _ton, "APTOS": _aptos, "SUI": _sui, "BTC": _integer_id, "DOT": _integer_id,
    "ASSETHUB": _integer_id, "EOS": _eosio,
}  # fmt: skip


@pytest.mark.parametrize("coin", with_contract(), ids=_ids(with_contract()))
def test_every_contract_has_its_chains_shape(coin: Coin) -> None:
    net = REG.networks.get(coin.network)
    if net is not None and net.adapter == "evm":
        _evm(coin)
    elif coin.network in SHAPES:
        SHAPES[coin.network](coin)
    elif coin.family == "ALGO":
        _integer_id(coin)  # Algorand standard asset id
    else:
        pytest.fail(f"{coin.key}: no shape check for contracts on network {coin.network!r}; add one")


def test_the_checks_catch_a_bad_identifier() -> None:
    """The shape checks themselves fail on a one-character change (so they can fail)."""
    usdt = REG.coin("USDT-ERC20")
    i = next(i for i, ch in enumerate(usdt.contract) if i > 1 and ch.isalpha())
    bad_case = usdt.contract[:i] + usdt.contract[i].swapcase() + usdt.contract[i + 1 :]  # breaks EIP-55
    short_mint = REG.coin("USDT-SPL").contract[:-2]
    bad_tron = REG.coin("USDT-TRC20").contract[:-1] + "u"
    bad_ton = REG.coin("USDT-TON").contract[:-1] + "t"
    for check, coin in ((_evm, usdt), (_solana, REG.coin("USDT-SPL")), (_tron, REG.coin("USDT-TRC20")), (_ton, REG.coin("USDT-TON"))):
        check(coin)
    for check, coin in (
        (_evm, Coin(**{**_fields(usdt), "contract": bad_case})),
        (_solana, Coin(**{**_fields(usdt), "contract": short_mint})),
        (_tron, Coin(**{**_fields(usdt), "contract": bad_tron})),
        (_ton, Coin(**{**_fields(usdt), "contract": bad_ton})),
    ):
        with pytest.raises(Exception):
            check(coin)


def _fields(coin: Coin) -> dict:
    return {name: getattr(coin, name) for name in Coin.__slots__}


def test_one_contract_means_one_asset_and_one_decimals_per_network() -> None:
    seen: dict[tuple[str, str], Coin] = {}
    for coin in with_contract():
        key = (coin.network, coin.contract.lower() if coin.contract.startswith("0x") else coin.contract)
        other = seen.setdefault(key, coin)
        assert (other.asset, other.decimals) == (coin.asset, coin.decimals), (other.key, coin.key)


# ---------------------------------------------------------------- the values issue 7 names
@pytest.mark.parametrize(
    "key, contract, decimals",
    [
        ("USDT-OMNI", "31", 8),  # Omni property 31; 8 decimals, not OKX's API scale of 6
        ("USDT", "31", 8),
        ("USDG-ERC20", "0xe343167631d89B6Ffc58B88d6b7fB0228795491D", 6),
        ("USDG-XLAYER", "0x4ae46a509F6b1D9056937BA4500cb143933D2dc8", 6),
        ("USDG", "2u1tszSeqZ3qBWF3uNGPFc8TzMk2tdiwknnRMWGWjGWH", 6),
        ("USDT-APTOS", "0x357b0b74bc833e95a115ad22604854d6b0fca151cecd94111770e5d6ffc9dc2b", 6),
        ("USDC-APTOS", "0xbae207659db88bea0cbead6da0ed00aac12edcdda169e591cd41c94180b46f3b", 6),
        ("APTOS-FA", "0xa", 8),
        ("APTOS", "", 8),
        ("APT", "", 8),
        ("USDT-TON", "EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs", 6),
        ("USDT-TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", 6),
        ("USDC-TRC", "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", 6),
        ("USDT-ASSET_HUB", "1984", 6),
        ("USDC-ASSET_HUB", "1337", 6),
        ("USDC-XLAYER", "0xB6CEceAB302E2E4948951eE7843FC24E92933061", 6),  # Circle-issued native USDC
        ("USDT0-XLAYER", "0x779Ded0c9e1022225f8E0630b35a9b54bE713736", 6),  # USD₮0
        ("OKB-X1-USDC", "0x74b7F16337b8972027F6196A17a631aC6dE26d22", 6),  # bridged USDC (not Circle's)
        ("OKB-X1-USDT", "0x1E4a5963aBFD975d8c9021ce480b42188849D41d", 6),  # bridged USDT
    ],
)
def test_the_values_issue_7_names(key: str, contract: str, decimals: int) -> None:
    coin = REG.coin(key)
    assert coin is not None and (coin.contract, coin.decimals) == (contract, decimals), coin
    if contract:
        assert coin.source


def test_x_layer_has_native_and_bridged_stablecoins_side_by_side() -> None:
    xlayer = {(c.asset, c.contract.lower()) for c in with_contract() if c.network == "XLAYER"}
    assert {a for a, _ in xlayer} >= {"USDC", "USDT", "USDG", "ETH"}
    assert sum(1 for a, _ in xlayer if a == "USDC") == 2 and sum(1 for a, _ in xlayer if a == "USDT") == 2
    for key in ("X LAYER", "XLAYER", "OKB-X1", "X1", "OKB_X1"):  # however a file names the network
        assert REG.network(key).name == "XLAYER", key


def test_polygon_native_is_pol_and_matic_still_finds_polygon() -> None:
    poly = REG.network("POLYGON")
    assert poly.native_asset == "POL" and poly.native_decimals == 18
    assert REG.network("MATIC").name == "POLYGON" and REG.network("POL").name == "POLYGON"
    assert REG.coin("MATIC").network == "ETH" and REG.coin("MATIC").asset == "MATIC"  # the ERC-20 on Ethereum
    # a row naming Polygon's native coin by either symbol reads the native balance (18 decimals)
    resolve = partial(read_target, REG)
    for asset in ("POL", "MATIC", "matic"):
        assert resolve("POLYGON", asset, "POLYGON") == resolve("POLYGON", "POL", "POLYGON")
        assert (resolve("POLYGON", asset, "POLYGON").contract, resolve("POLYGON", asset, "POLYGON").decimals) == ("", 18)
    assert resolve("MATIC", "MATIC", "ETH").contract == REG.coin("MATIC").contract  # on Ethereum MATIC is a token
    assert resolve("PYUSD-ERC20", "MATIC", "ETH").contract == REG.coin("MATIC").contract


# ---------------------------------------------------------------- what fetching reads for each row
def fetchable_tokens() -> list[Coin]:
    return [c for c in token_rows() if c.network in REG.networks]  # rows on no registry network are never planned


@pytest.mark.parametrize("coin", fetchable_tokens(), ids=_ids(fetchable_tokens()))
def test_fetch_reads_the_registry_contract_or_says_it_has_none(coin: Coin) -> None:
    """A token row never falls back to the native balance: it reads its contract, or is an error."""
    target = read_target(REG, coin.key, coin.asset, coin.network)
    if coin.contract:
        assert (target.contract, target.decimals, target.error) == (coin.contract, coin.decimals, "")
    else:
        assert target.error == f"registry has no confirmed contract for {coin.key} on {coin.network}", target


# ---------------------------------------------------------------- loading and storing
def test_the_source_reaches_the_coins_table_also_in_an_old_database(tmp_path: Path) -> None:
    import duckdb

    from indexer import store

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))  # a database made before the source column existed
    con.execute("create table schema_migrations (name varchar primary key, applied_at timestamptz default current_timestamp)")
    con.execute(store.MIGRATIONS[0][1])
    con.execute("insert into schema_migrations (name) values (?)", [store.MIGRATIONS[0][0]])
    con.close()
    for _ in range(2):  # migrating twice is harmless
        con = store.connect(path)
        got = dict(con.execute("select coin_key, source from coins where contract <> ''").fetchall())
        total = con.execute("select count(*) from coins").fetchone()[0]
        con.close()
        assert total == len(REG.coins)
        assert got == {c.key: c.source for c in with_contract()}


def test_a_registry_without_the_column_still_loads(tmp_path: Path) -> None:
    """Third-party data dirs written before the column existed keep working (source = '')."""
    for name in ("networks.csv", "coins.csv"):
        text = (ROOT / "data" / name).read_text()
        if name == "coins.csv":
            lines = list(csv.reader(text.splitlines()))
            text = "\n".join(",".join(_quote(c) for c in row[:-1]) for row in lines) + "\n"
        (tmp_path / name).write_text(text)
    old = load_registry(tmp_path)
    assert old.coin("USDT-ERC20").contract == REG.coin("USDT-ERC20").contract and old.coin("USDT-ERC20").source == ""


def _quote(cell: str) -> str:
    return f'"{cell}"' if "," in cell or '"' in cell else cell


# ---------------------------------------------------------------- audit-file keys
V056 = {
    "address": "X-avax1v88xtvkfmas5467c0zcdhsdxv42nm8d0gjmp5q",
    "signature1": "0x80c84e2a993899f12882d4319061b8ce1d7319742e4939cc3d93caca349f3b0247f2a3d5f9bc5063a62d2cb168ca43d1cb788e5d7f7e1770fb04d71f7649ed501b",
    "message": "OKC_DTT_AUP2025",
    "pubkey": "022e6cb3bc597b11f64aa46b40a6c6aa4853557ef66b53c6a49a9540b25e0afe1b",
}


def test_okx_vector_v056_avax_x_verifies_through_ingest(tmp_path: Path) -> None:
    """OKX's own AVAX-X test vector (public-key path of the audit layout, SPEC §3.2) as an audit file row.

    The key is now a registry coin (asset AVAX), so the row is known, and strict verification
    proves both the signature under the published key and the X-chain address derived from it.
    """
    from indexer import store
    from indexer.ingest import ingest_file
    from indexer.verify import verify_snapshot

    v = V056
    header = "digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2"
    good = f"AVAX,AVAX-X,{v['address']},{v['signature1']},null,{v['message']},{v['pubkey']},,"
    wrong_key = good.replace(v["pubkey"], "03" + v["pubkey"][2:])  # the other point with that x
    other_address = good.replace(v["address"], v["address"][:-6] + "qqqqqq")
    path = tmp_path / "audit.csv"
    path.write_text("\n".join([header, good, wrong_key, other_address]) + "\n")
    con = store.connect(tmp_path / "por.duckdb")
    try:
        [report] = ingest_file(con, path)
        verify_snapshot(con, report.snapshot_id, workers=1, okx_compat=True, show_progress=False)
        rows = con.execute(
            "select a.coin, a.asset, a.coin_known, s.family, s.status, s.okx_status, s.reason"
            " from addresses a join signatures s using (snapshot_id, row_no) order by a.row_no"
        ).fetchall()
    finally:
        con.close()
    assert [r[:6] for r in rows] == [
        ("AVAX-X", "AVAX", True, "ECDSA", "verified", "verified"),
        ("AVAX-X", "AVAX", True, "ECDSA", "failed", "failed"),
        ("AVAX-X", "AVAX", True, "ECDSA", "signature_only", "verified"),  # key proven, address not derived from it
    ], rows


def test_audit_pairs_resolve_to_registry_keys_with_their_contracts(tmp_path: Path) -> None:
    """Audit rows name (asset, network); ingest stores the registry key whose contract a fetch will read."""
    from indexer import store
    from indexer.ingest import ingest_file

    header = "digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2"
    addr = "0x6a32bea6b4050763a6673202efde42ad87bec0b5"
    pairs = [
        ("USDC", "XLAYER", "OKB-X1-USDC"),  # bridged USDC: the key OKX's coin map names
        ("USDT", "X Layer", "OKB-X1-USDT"),
        ("USDG", "XLAYER", "USDG-XLAYER"),
        ("USDT", "APTOS", "USDT-APTOS"),
        ("USDT", "ASSET_HUB", "USDT-ASSET_HUB"),
        ("USDC", "ASSET_HUB", "USDC-ASSET_HUB"),
        ("USDG", "SOL", "USDG"),
        ("USDT", "BTC", "USDT"),  # Omni property 31 (USDT-OMNI is the same token)
        ("POL", "POLYGON", "POLYGON"),
    ]
    lines = [header] + [f"{a},{n},{addr},0x00,null,OKC_DTT_AUP2025,,," for a, n, _ in pairs]
    path = tmp_path / "audit.csv"
    path.write_text("\n".join(lines) + "\n")
    con = store.connect(tmp_path / "por.duckdb")
    try:
        ingest_file(con, path)
        got = con.execute(
            "select a.coin, a.network, c.contract from addresses a left join coins c on c.coin_key = a.coin order by a.row_no"
        ).fetchall()
    finally:
        con.close()
    assert [g[0] for g in got] == [want for _, _, want in pairs]
    for (coin, network, contract), (_, _, key) in zip(got, pairs):
        assert network == REG.coin(key).network and contract == REG.coin(key).contract


def test_omni_usdt_rows_are_never_read_as_bitcoin() -> None:
    """USDT on Bitcoin is Omni property 31: the UTXO reader refuses the property instead of summing BTC."""
    from chains.utxo.scripts import decode_scripts
    from chains.utxo.params import chain_params
    from indexer.models import BalanceRequest

    btc = REG.networks["BTC"]
    address = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    for key in ("USDT-OMNI", "USDT"):
        target = read_target(REG, key, "USDT", "BTC")
        assert (target.contract, target.decimals) == ("31", 8)
        requests = [BalanceRequest(address, target.contract, 800_000), BalanceRequest(address, "", 800_000)]
        groups, results = decode_scripts(btc, "main", chain_params("BTC"), requests, "test")
        assert results[0] is not None and results[0].base_units is None and "no token contracts" in results[0].error
        assert results[1] is None and sum(len(v) for v in groups[800_000].values()) == 1  # only the BTC read is planned
