"""Liability totals: plain CSV, OKX's Merkle v1 proof and v2 tree — and refusal of anything that does not check out."""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_DOWN, Decimal

import pytest

from exchanges.okx.merkle import verify_merkle_v1, verify_merkle_v2
from indexer.liabilities import LiabilityError, load_liabilities, read_liabilities
from tests.conftest import shared_examples


def _fmt(v: Decimal) -> str:
    return format(v.quantize(Decimal("0.00000001"), rounding=ROUND_DOWN).normalize(), "f")


def build_v1_proof() -> dict:
    """A 4-leaf tree built here from the format description, independently of the verifier."""
    leaves = []
    for i, bal in enumerate([("1", "2", "3.5"), ("0.1", "0", "0.00000001"), ("5", "6", "7"), ("0", "0.3", "1")]):
        balances = dict(zip(("BTC", "ETH", "USDT"), bal))
        nonce = f"{i:064x}"
        h = hashlib.sha256((nonce + json.dumps(balances, separators=(",", ":"))).encode()).hexdigest()
        leaves.append({"hash": h, "balances": balances, "nonce": nonce})

    def parent(l, r, height):
        tot = {a: Decimal(l["balances"][a]) + Decimal(r["balances"][a]) for a in ("BTC", "ETH", "USDT")}
        text = l["hash"] + r["hash"] + "".join(_fmt(tot[a]) for a in ("BTC", "ETH", "USDT")) + str(height)
        return {"hash": hashlib.sha256(text.encode()).hexdigest(), "balances": {a: _fmt(v) for a, v in tot.items()}}

    p01, p23 = parent(leaves[0], leaves[1], 2), parent(leaves[2], leaves[3], 2)
    root = parent(p01, p23, 3)
    me = dict(leaves[1], type=2, height=1)
    path = [
        dict(leaves[0], type=1, height=1),
        dict(p23, type=2, height=2),
        dict(root, type=3, height=3),
    ]
    return {"self": me, "path": path}


def test_v1_proof_built_here_verifies_and_gives_root_totals():
    assert verify_merkle_v1(build_v1_proof()) == {"BTC": "6.1", "ETH": "8.3", "USDT": "11.50000001"}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["self"]["balances"].update(USDT="0.00000002"),
        lambda d: d["path"][0].update(hash="0" * 64),
        lambda d: d["path"][1]["balances"].update(BTC="5.1"),
        lambda d: d["path"][2].update(hash="f" + d["path"][2]["hash"][1:]),
        lambda d: d["self"].update(nonce="1" * 64),
        lambda d: d["path"][0].update(type=2),
    ],
    ids=["leaf-balance", "sibling-hash", "sibling-balance", "root-hash", "nonce", "side"],
)
def test_v1_any_mutation_is_refused(mutate):
    proof = build_v1_proof()
    mutate(proof)
    with pytest.raises(LiabilityError):
        verify_merkle_v1(proof)


def test_okx_v1_and_v2_example_files():
    examples = shared_examples()
    v1 = read_liabilities(examples / "merkle_proof_file.json")
    assert v1.source == "merkle-v1"
    assert v1.amounts == {"BTC": "95088.55505656", "ETH": "939953.49090361", "USDT": "3137909428.88369702"}
    v2 = read_liabilities(examples / "full-liabilities-merkle-tree.txt")
    assert v2.source == "merkle-v2"
    assert v2.amounts == {"BTC": "0.00005", "ETH": "0.1", "USDT": "1.42045977"}


def test_v2_root_must_equal_sum_of_leaves():
    good = (
        'r,3,{"BTC":"3","ETH":"0","USDT":"1.5"}\n'
        'a,2,{"BTC":"3","ETH":"0","USDT":"1.5"}\n'
        'x,1,{"BTC":"1","ETH":"0","USDT":"0.5"}\n'
        'y,1,{"BTC":"2","ETH":"0","USDT":"1"}\n'
    )
    assert verify_merkle_v2(good) == {"BTC": "3", "ETH": "0", "USDT": "1.5"}
    with pytest.raises(LiabilityError, match="not the sum"):
        verify_merkle_v2(good.replace('"USDT":"1"}', '"USDT":"1.1"}'))
    with pytest.raises(LiabilityError, match="not one root"):
        verify_merkle_v2(good + 'z,3,{"BTC":"3","ETH":"0","USDT":"1.5"}\n')


def test_csv_loads_exactly_and_replaces_per_snapshot(con, tmp_path):
    con.execute("insert into snapshots (snapshot_id, exchange, source_file, file_sha256, layout, row_count, error_count) values (1, 'okx', 'f', 'h', 'detail11', 0, 0)")
    path = tmp_path / "liab.csv"
    path.write_text("asset,amount\nUSDT,123456789012.123456789\nbtc,1.5\n")
    load_liabilities(con, path, 1)
    path.write_text("asset,amount\nBTC,2\n")
    load_liabilities(con, path, 1)
    rows = con.execute("select asset, amount, base_units, scale from liabilities order by asset").fetchall()
    assert rows == [("BTC", "2", 200000000, 8), ("USDT", "123456789012.123456789", 123456789012123456789000000000, 18)]


@pytest.mark.parametrize(
    "text, match",
    [
        ("coin,value\nBTC,1\n", "header"),
        ("asset,amount\nBTC,1e3\n", "plain decimal"),
        ("asset,amount\nBTC,1\nBTC,2\n", "repeats"),
        ("asset,amount\n", "no rows"),
        ('{"foo": 1}', "not a Merkle"),
    ],
)
def test_bad_liability_files_are_refused_and_change_nothing(con, tmp_path, text, match):
    con.execute("insert into snapshots (snapshot_id, exchange, source_file, file_sha256, layout, row_count, error_count) values (1, 'okx', 'f', 'h', 'detail11', 0, 0)")
    path = tmp_path / "liab"
    path.write_text(text)
    with pytest.raises(LiabilityError, match=match):
        load_liabilities(con, path, 1)
    assert con.execute("select count(*) from liabilities").fetchall() == [(0,)]
