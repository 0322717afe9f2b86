"""Network-keyed dispatch: the row's Network cell chooses the scheme, as OKX's current tool does (SPEC §2.0).

Vectors are OKX's own (the public mirror of its repository, copied into
tests/fixtures/okx_mirror_vectors.json with repository, commit and path): its
network-table samples, its EVM and ECDSA test signatures keyed by network names
(``BSC``, ``OKB-X1``, ``OKC``), and its current example file. USDG on
``ETH_ROBINHOOD`` has no vector there, so fresh keys are signed by eth-account.
Rows keyed the old way (coin keys, no usable Network cell) must keep verifying.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from indexer import store
from indexer.ingest import ingest_file
from indexer.models import SignedRow
from exchanges.okx.networks import load_schemes, normalize, scheme_of, schemes
from indexer.plugins import verifier_for
from indexer.registry import registry
from indexer.verify import verify_row, verify_row_compat, verify_snapshot

ROOT = Path(__file__).resolve().parents[1]
MIRROR = json.loads((ROOT / "tests" / "fixtures" / "okx_mirror_vectors.json").read_text())
MIRROR_COMMIT = MIRROR["evm"]["source"]["commit"]
HEADER_12 = "coin,Type,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key,EOA1,EOA2"
PASS = ("verified", "signature_only")


def mutate_hex(text: str, at: int = -10) -> str:
    """The same cell with one hex digit changed: still well-formed, a different signature."""
    i = at % len(text)
    return text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1 :]


def row(coin: str, network: str, address: str, message: str, signature: str, **cells) -> SignedRow:
    return SignedRow(row_no=1, coin=coin, address=address, message=message, signature1=signature, network=network, **cells)


# ---------------------------------------------------------------- the table
def test_the_table_agrees_with_okx_network_test_samples() -> None:
    """OKX's own network_test.go cases: scheme, address type and header per network spelling."""
    samples = MIRROR["network_table_samples"]
    for network, family in samples["scheme"]:
        assert scheme_of(network) is not None and scheme_of(network).family == family, network
    assert scheme_of(samples["unknown"]) is None  # unknown: the coin key decides (OKX's tool fails such rows)
    for network, address_type in samples["address_type"]:
        assert scheme_of(network).address_type == address_type, network
    for network, header in samples["header"]:
        if network != samples["unknown"]:
            assert scheme_of(network).header == header, network


def test_normalisation_is_okx_s() -> None:
    assert normalize("  eth-arbitrum ") == "ETH_ARBITRUM"
    for spelling in ("OKB-X1", "okb_x1", " Okb-X1\t"):
        assert scheme_of(spelling) is scheme_of("OKB_X1")
    assert scheme_of("") is None


def test_every_row_names_its_source_and_a_scheme_we_run() -> None:
    from indexer.plugins import SECP256K1, address_codec
    from chains.utxo.params import HEADERS, PARAMS

    with (ROOT / "exchanges" / "okx" / "networks.csv").open(newline="") as f:
        records = list(csv.DictReader(f))
    assert len(records) == len(schemes()) >= 200
    pub = bytes.fromhex("04" + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" + "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
    for s in schemes().values():
        assert s.source.startswith("Benzayb014/proof-of-reserves@") and s.source.endswith(":common/network.go"), s
        assert len(s.source.split("@")[1].split(":")[0]) == 40, s.source  # a full commit id
        assert verifier_for(s.family) is not None, s
        if s.family == "UTXO":
            assert s.address_type in PARAMS and s.header in HEADERS, s
        elif s.family == "EVM":
            assert (s.address_type, s.header) in {("ETH", "ETH32"), ("FIL", "ETH32"), ("LAT", "ETH32")}, s
        elif s.family == "ECDSA":
            assert s.header == "OKX"
            codec = address_codec(s.address_type, SECP256K1)  # '' = no derivation (noted)
            assert s.address_type == "" or (codec is not None and codec.address is not None and codec.address(pub)), s
            assert bool(s.address_type) or s.note, s
        elif s.family == "ED25519":
            assert s.header == "OKX", s  # address types without a derivation are checked signature-only
        elif s.family == "TRX":
            assert (s.address_type, s.header) == ("TRX", "TRON32")
    assert scheme_of("ETH_ROBINHOOD").source.split("@")[1].startswith("732764f55ae0")  # the USDG-on-Robinhood commit


def test_a_table_written_unnormalised_or_twice_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "exchanges" / "okx" / "networks.csv").read_text()
    (tmp_path / "networks.csv").write_text(text + "BSC,EVM,ETH,ETH32,x,\n")
    with pytest.raises(ValueError, match="twice"):
        load_schemes(tmp_path)
    (tmp_path / "networks.csv").write_text(text + "eth-new,EVM,ETH,ETH32,x,\n")
    with pytest.raises(ValueError, match="normalised"):
        load_schemes(tmp_path)


# ---------------------------------------------------------------- rows keyed by network
# (mirror network, a coin column that alone would not select the right scheme, the old coin key of that row)
NEW_WAY = {"BSC": ("BABYDOGE", "BABYDOGE-BSC"), "OKB-X1": ("USDT", "OKB-X1-USDT"), "OKC": ("OKB", "OKB-OKC20")}


def _mirror_rows(network: str) -> list[dict]:
    return [r for group in ("evm", "ecdsa") for r in MIRROR[group]["rows"] if r["network"] == network]


@pytest.mark.parametrize("network", sorted(NEW_WAY))
def test_rows_keyed_by_network_verify(network: str) -> None:
    coin, old_key = NEW_WAY[network]
    vectors = _mirror_rows(network)
    assert vectors
    for v in vectors:
        for spelling in (network, network.lower(), network.replace("-", "_")):
            r = row(coin, spelling, v["address"], v["message"], v["signature"])
            family, strict = verify_row(r, "okx")
            assert family == scheme_of(network).family
            assert strict.status == "verified", (spelling, strict)
            assert verify_row_compat(r, "okx")[1].status == "verified", spelling
            bad = replace(r, signature1=mutate_hex(v["signature"]))
            assert verify_row(bad, "okx")[1].status == "failed" and verify_row_compat(bad, "okx")[1].status == "failed"
            assert verify_row(replace(r, message=v["message"] + "!"), "okx")[1].status == "failed"
        # the coin column alone selects another scheme (or none): the Network cell is what proves the row
        assert verify_row(row(coin, "", v["address"], v["message"], v["signature"]), "okx")[1].status != "verified"
        # keyed the old way (coin key, no Network cell) the same signature still verifies
        old = row(old_key, "", v["address"], v["message"], v["signature"])
        assert verify_row(old, "okx")[1].status == "verified" and verify_row_compat(old, "okx")[1].status == "verified"


def test_a_known_coin_on_another_network_says_so() -> None:
    v = _mirror_rows("OKB-X1")[0]
    strict = verify_row(row("USDT", "OKB-X1", v["address"], v["message"], v["signature"]), "okx")[1]
    assert strict.status == "verified"
    assert "Network cell" in strict.reason and "UTXO" in strict.reason  # USDT alone is the Omni (UTXO) coin


@pytest.mark.parametrize("group", ["evm", "ecdsa"])
def test_every_mirror_signature_verifies_under_its_network(group: str) -> None:
    """OKX's crypto_test.go passes network names to Verify*; so do these rows (unknown coin column)."""
    for v in MIRROR[group]["rows"]:
        r = row("SOMECOIN", v["network"], v["address"], v["message"], v["signature"])
        family, strict = verify_row(r, "okx")
        assert family == group.upper() and strict.status == "verified", (v, strict)
        assert verify_row_compat(r, "okx")[1].status == "verified", v
        assert verify_row(replace(r, signature1=mutate_hex(v["signature"])), "okx")[1].status == "failed", v


def test_a_family_stored_at_ingest_keeps_an_old_snapshot_on_its_scheme() -> None:
    v = _mirror_rows("OKB-X1")[0]
    r = row("USDT", "OKB-X1", v["address"], v["message"], v["signature"])
    assert verify_row(replace(r, family="EVM"), "okx")[0] == "EVM"
    assert verify_row(replace(r, family="UTXO"), "okx")[0] == "UTXO"  # ingested before network dispatch: judged as then


def test_another_exchange_s_scheme_is_never_replaced_by_the_network() -> None:
    v = _mirror_rows("OKC")[0]
    family, _ = verify_row(row("OKB", "OKC", v["address"], v["message"], v["signature"], family="HTX-EVM"), "okx")
    assert family == "HTX-EVM"


def test_an_unknown_network_falls_back_to_the_coin_key() -> None:
    v = _mirror_rows("BSC")[0]
    r = row("BABYDOGE-BSC", "BEP20-ISH", v["address"], v["message"], v["signature"])
    assert verify_row(r, "okx") == ("EVM", verify_row(replace(r, network=""), "okx")[1])
    assert verify_row(r, "okx")[1].status == "verified"


# ---------------------------------------------------------------- USDG on ETH_ROBINHOOD
def _evm_signed(seed: bytes, message: str) -> tuple[str, str]:
    acct = Account.from_key(keccak(seed))
    sig = acct.sign_message(encode_defunct(primitive=keccak(message.encode()))).signature
    return acct.address, "0x" + bytes(sig).hex()


def test_usdg_on_eth_robinhood() -> None:
    reg = registry()
    coin = reg.coin("USDG-ROBINHOOD-D168")
    assert (coin.asset, coin.family, coin.decimals, coin.network) == ("USDG", "EVM", 6, "ROBINHOOD")
    assert coin.contract.lower().endswith("d168")  # OKX's key names the contract's last bytes
    assert reg.network("ETH_ROBINHOOD").chain_id == 4663 and reg.network("eth-robinhood").native_asset == "ETH"
    assert reg.resolve_network("USDG-ROBINHOOD-D168", "ETH_ROBINHOOD") == "ROBINHOOD"
    address, signature = _evm_signed(b"usdg-robinhood", "I am an OKX address")
    for coin_cell, network in (("USDG-ROBINHOOD-D168", "ETH_ROBINHOOD"), ("USDG", "ETH-ROBINHOOD"), ("USDG-ROBINHOOD-D168", "")):
        r = row(coin_cell, network, address.lower(), "I am an OKX address", signature)
        family, verdict = verify_row(r, "okx")
        assert family == "EVM" and verdict.status == "verified", (coin_cell, network, verdict)
        assert verify_row_compat(r, "okx")[1].status == "verified"
        assert verify_row(replace(r, signature1=mutate_hex(signature)), "okx")[1].status == "failed"
    # USDG alone is the Solana token (ed25519): without the network the EVM signature proves nothing
    assert verify_row(row("USDG", "", address, "I am an OKX address", signature), "okx")[1].status == "failed"


# ---------------------------------------------------------------- files, end to end
def _ingest_and_verify(tmp_path: Path, text: str) -> list[tuple]:
    path = tmp_path / "okx_por.csv"
    path.write_text(text)
    con = store.connect(tmp_path / "por.duckdb")
    try:
        [report] = ingest_file(con, path)
        assert report.errors == 0
        verify_snapshot(con, report.snapshot_id, workers=1, okx_compat=True)
        return con.execute(
            "select a.coin, a.network_published, a.family, s.family, s.status, s.okx_status, s.reason"
            " from addresses a join signatures s using (snapshot_id, row_no) order by a.row_no"
        ).fetchall()
    finally:
        con.close()


def test_a_network_keyed_file_ingests_and_verifies(tmp_path: Path) -> None:
    usdg_address, usdg_sig = _evm_signed(b"usdg-file", "I am an OKX address")
    lines = ["coin,amount", "USDT,3", "", HEADER_12]  # the two USDT rows below (1.5 each): the summary adds up
    expected = []
    for network, (coin, _old) in sorted(NEW_WAY.items()):
        v = _mirror_rows(network)[0]
        lines.append(f"{coin},Non Staking,{network},1,{v['address']},1,{v['message']},{v['signature']},,,,")
        expected.append((coin, scheme_of(network).family, "verified"))
        lines.append(f"{coin},Non Staking,{network},1,{v['address']},1,{v['message']},{mutate_hex(v['signature'])},,,,")
        expected.append((coin, scheme_of(network).family, "failed"))
    lines.append(f"USDG,Non Staking,ETH_ROBINHOOD,1,{usdg_address},1,I am an OKX address,{usdg_sig},,,,")
    expected.append(("USDG", "EVM", "verified"))
    rows = _ingest_and_verify(tmp_path, "\n".join(lines) + "\n")
    for (coin, family, status), got in zip(expected, rows, strict=True):
        assert got[2] == family and got[3] == family, got  # stored family = the network's
        assert got[4] == status and got[5] == status, got


def test_okx_current_example_file_gets_the_verdicts_okx_proves(tmp_path: Path) -> None:
    """The example file of OKX's current repository: its tool passes every row, and so does our OKX-compatible verdict.

    It holds a BIP-322 taproot row and three Cardano base-address rows (new in that code). Strictly,
    every row is proven too: the two P2PKH rows carry an unrelated constant signature2 (SPEC §1.1b),
    recorded apart as an extra signature, never a failure.
    """
    lines = MIRROR["example_file"]["lines"]
    rows = _ingest_and_verify(tmp_path, "\n".join(lines) + "\n")
    detail = [line for line in lines[lines.index("") + 2 :] if line]
    assert len(rows) == len(detail) == 13
    assert [r[5] for r in rows] == ["verified"] * 13, rows
    # strictly nothing fails: owner-mode rows (staking, contracts, Aptos) prove the signature, not the address
    assert {r[4] for r in rows} == {"verified", "signature_only"}, rows
    assert [r[4] for r in rows if r[0] in ("BTC", "ADA", "USDT-TON")] == ["verified"] * 7, rows
    for line, got in zip(detail, rows):
        cells = line.split(",")
        if cells[0] == "ADA" or cells[4].startswith("bc1p"):
            assert got[4] == "verified", got
        if cells[4].startswith("bc1p"):
            assert "BIP-322" in got[6]
        elif cells[0] == "BTC":  # the constant signature2 is recorded apart, naming the unrelated key's address
            assert "1WDMcjSMY3nzP9PCWtEjnyzej1UmLhaur" in got[6], got
    assert {r[3] for r in rows} == {"EVM", "UTXO", "ED25519"}
    assert MIRROR["example_file"]["source"]["commit"] == MIRROR_COMMIT


def test_a_network_keyed_row_is_stored_on_its_network_with_that_network_s_coin(tmp_path: Path) -> None:
    """The balance of ``USDT`` on ``OKB-X1`` is on X Layer: the row must not keep the key's own chain (Omni on BTC).

    One registry coin of the asset on the named network: the row takes its key, contract and decimals. Several
    (X Layer has bridged USDT and USD₮0): no contract is guessed, and the fetch records an error row. A row whose
    Network cell agrees with its key, or names no registry network, keeps its key.
    """
    reg = registry()
    lines = ["coin,amount", "USDT,3", "", HEADER_12]  # the two USDT rows below (1.5 each): the summary adds up
    cases = [("BABYDOGE", "BSC"), ("OKB", "OKC"), ("USDT", "OKB-X1"), ("OKB", "OKB-X1"), ("USDT-TRC20", "TRON"), ("BTC", "NOT-A-CHAIN")]
    for coin, network in cases:
        lines.append(f"{coin},Non Staking,{network},1,0x0000000000000000000000000000000000000001,1.5,m,00,,,,")
    path = tmp_path / "okx_por.csv"
    path.write_text("\n".join(lines) + "\n")
    con = store.connect(tmp_path / "por.duckdb")
    try:
        ingest_file(con, path)
        got = con.execute("select coin, network, contract, decimals, coin_known from addresses order by row_no").fetchall()
    finally:
        con.close()
    babydoge, okb_okc, usdt_x1, okb_x1, usdt_trc20, btc = got
    assert babydoge == ("BABYDOGE-BSC", "BSC", reg.coin("BABYDOGE-BSC").contract, 9, True)
    assert okb_okc[:2] == ("OKB-OKC20", "OKC") and okb_okc[4] is True
    assert usdt_x1 == ("USDT", "XLAYER", None, None, False)  # ambiguous: never Omni's contract 31 at 8 decimals
    assert okb_x1 == ("OKB-X1", "XLAYER", "", 18, True)  # the native coin of X Layer (its key agrees with the cell)
    assert usdt_trc20[:2] == ("USDT-TRC20", "TRON") and usdt_trc20[4] is True
    assert btc[:2] == ("BTC", "BTC") and btc[4] is True  # an unknown Network cell: the key decides
