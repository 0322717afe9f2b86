"""OKX's audit page (SPEC §6.4) and the zk proof's sum_proof_data.json (SPEC §6.2), written here by hand.

The verifier tests run a small executable written by the test that behaves like
zk-por-cli's ``main`` (its output lines, its exit codes, its wait for Enter): they
test our runner and how we read its verdict, not the cryptography.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import sys
import zipfile
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from exchanges.okx.proof import GOLDILOCKS_P, find_verifier, parse_sum_proof, root_hash_hex
from indexer.audit import load_liability_file, proof_status
from indexer.models import PROOF_NOT_VERIFIED as NOT_INSTALLED, percent_to_ratio
from exchanges.okx.audit import parse_audit_page
from indexer.ingest import ingest_file
from indexer.liabilities import LiabilityError
from tests.test_views import FILE, ROW, put_balance

# public_inputs: [0] equity (> 2^53: a float would lose it), [1] debt, [2..6] root; element 2 is >= p (non-canonical).
EQUITY = 2**63 + 12345
DEBT = 1000
ROOT_ELEMENTS = [2**64 - 1, 1, 2**53 + 1, 0x0123456789ABCDEF]
# by hand: 2^64-1 mod p = 2^32-2 -> fe ff ff ff 00 00 00 00; 1; 2^53+1 = 0x0020000000000001; 0x0123456789abcdef; each LE
ROOT = "feffffff00000000" "0100000000000000" "0100000000002000" "efcdab8967452301"
OTHER_ROOT = "ab" * 32
AUDIT_ID = "508399035"

# ETH and USDT match the FILE of test_views (ETH published 3.75, USDT 15.5); BTC is owed but not in the file;
# SOL is only claimed (no liability).
PAGE = {
    "auditId": AUDIT_ID,
    "merkleHash": ROOT,
    "createTime": 1767225600000,  # 2026-01-01T00:00:00Z
    "capitalRatio": {"ETH": "199.99%", "USDT": "129.03%", "BTC": "105%", "SOL": "100%"},
    "liabilityBalances": {
        "ETH": "2.5",
        "USDT": "15.5000000000000000000001",  # 22 decimals: more than USDT's 18 (OKC20) can hold
        "BTC": "100000.1234567890123456789012",
    },
    "reserveBalances": {"ETH": "5", "USDT": "20", "BTC": "105000.5", "SOL": "7"},
    "exchangeReserveBalances": {"ETH": "3.75", "USDT": "15.5", "BTC": "100000", "SOL": "7"},
    "custodyReserveBalances": {"ETH": "1.25", "USDT": "4.5", "BTC": "5000.5", "SOL": "0"},
    "reserveCurrencies": ["ETH", "USDT", "BTC", "SOL"],
    "liabilityCurrencies": ["ETH", "USDT", "BTC"],
}


def proof_doc(root_elements=ROOT_ELEMENTS, equity=EQUITY, debt=DEBT) -> dict:
    """The serde shape of zk-por-core's Proof: general, root_vd_digest, proof{proof, public_inputs}."""
    return {
        "general": {"round_num": int(AUDIT_ID), "recursion_branchout_num": 64, "batch_size": 1024, "token_num": 200},
        "root_vd_digest": {"elements": [11, 12, 13, 14]},
        "proof": {"proof": {"wires_cap": [], "opening_proof": {}}, "public_inputs": [equity, debt, *root_elements]},
    }


@pytest.fixture
def snap(con, tmp_path):
    path = tmp_path / "por.csv"
    path.write_text(FILE)
    [report] = ingest_file(con, path)
    return report.snapshot_id


def write_json(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc))
    return path


def counts(con) -> tuple:
    return tuple(con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in ("audits", "audit_claims", "proofs", "liabilities"))


# ------------------------------------------------------------------------------------------ the page
def test_root_hash_is_canonical_little_endian_hex():
    assert root_hash_hex(ROOT_ELEMENTS) == ROOT
    canonical = [e % GOLDILOCKS_P for e in ROOT_ELEMENTS]
    assert root_hash_hex(ROOT_ELEMENTS) == struct.pack("<4Q", *canonical).hex()  # the same bytes, independently packed
    assert len(ROOT) == 64


@pytest.mark.parametrize("text, ratio", [("105%", "1.05"), ("99.5%", "0.995"), ("100%", "1"), (" 129.03 %", "1.2903"), ("0.01%", "0.0001")])
def test_percent_to_exact_ratio(text, ratio):
    assert percent_to_ratio(text) == ratio


@pytest.mark.parametrize("text", ["1.05", "105", "-5%", "1e2%", "abc%", "1.0000000000000000001%"])
def test_percent_refuses_what_is_not_an_exact_percentage(text):
    with pytest.raises(LiabilityError):
        percent_to_ratio(text)


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "wrapped"])
def test_audit_page_loads_exact_liabilities_and_claims(con, snap, tmp_path, wrapped):
    path = write_json(tmp_path / "audit.json", {"audit": PAGE} if wrapped else PAGE)
    loaded = load_liability_file(con, path, snap)
    assert loaded.kind == "okx-audit"
    rows = {r[0]: r[1:] for r in con.execute("select asset, amount, base_units, scale, source from liabilities where snapshot_id = ?", [snap]).fetchall()}
    assert rows == {
        "ETH": ("2.5", 2_500_000_000_000_000_000, 18, "okx-audit:audit.json"),
        "USDT": ("15.5000000000000000000001", 155_000_000_000_000_000_000_001, 22, "okx-audit:audit.json"),
        "BTC": ("100000.1234567890123456789012", 1_000_001_234_567_890_123_456_789_012, 22, "okx-audit:audit.json"),
    }
    claims = {
        r[0]: r[1:]
        for r in con.execute(
            """select asset, reserve, exchange_reserve, custody_reserve, capital_ratio, scale,
                      reserve_units, exchange_reserve_units, custody_reserve_units, capital_ratio_value, audit_id
               from audit_claims where snapshot_id = ?""",
            [snap],
        ).fetchall()
    }
    assert claims["BTC"] == ("105000.5", "100000", "5000.5", "105%", 8, 10_500_050_000_000, 10_000_000_000_000, 500_050_000_000, Decimal("1.05"), AUDIT_ID)
    assert claims["ETH"][4:] == (18, 5 * 10**18, 3_750_000_000_000_000_000, 1_250_000_000_000_000_000, Decimal("1.9999"), AUDIT_ID)
    assert claims["SOL"][0] == "7" and claims["SOL"][2] == "0" and claims["SOL"][7] == 0  # a written zero stays a zero
    audit = con.execute("select audit_id, merkle_hash, create_time, create_time_ms, source_file from audits").fetchall()
    assert audit == [(AUDIT_ID, ROOT, datetime(2026, 1, 1, tzinfo=timezone.utc), 1767225600000, str(path))]


def test_json_numbers_on_the_page_keep_every_digit(con, snap, tmp_path):
    text = json.dumps(PAGE).replace('"100000.1234567890123456789012"', "100000.1234567890123456789012")
    path = tmp_path / "numbers.json"
    path.write_text(text)
    load_liability_file(con, path, snap)
    assert con.execute("select amount, base_units from liabilities where asset = 'BTC'").fetchall() == [
        ("100000.1234567890123456789012", 1_000_001_234_567_890_123_456_789_012)
    ]


def test_reserve_ratios_read_claims_against_the_chain(con, snap, tmp_path):
    """Hand-checked: ETH on chain 1.5 (one of three rows fetched), custody 1.25, liabilities 2.5."""
    put_balance(con, snap, ROW["0xaaaa"], "snapshot", 1_500_000_000_000_000_000, 100)
    load_liability_file(con, write_json(tmp_path / "audit.json", PAGE), snap)
    rows = {r["asset"]: r for r in _dicts(con, "select * from reserve_ratios where snapshot_id = ?", snap)}
    eth, usdt, btc, sol = rows["ETH"], rows["USDT"], rows["BTC"], rows["SOL"]
    assert eth["claimed_reserves"] == Decimal("5") and eth["claimed_custody_reserves"] == Decimal("1.25")
    assert eth["claimed_exchange_reserves"] == Decimal("3.75")
    assert eth["ratio_claimed"] == Decimal("1.9999")
    assert eth["ratio_onchain"] == Decimal("0.6")  # 1.5 / 2.5: existing meaning unchanged
    assert eth["ratio_onchain_with_custody"] == Decimal("1.1")  # (1.5 + 1.25) / 2.5
    assert eth["ratio_published"] == Decimal("1.5")  # 3.75 / 2.5
    assert (eth["liabilities_units"], eth["liabilities_scale"], eth["audit_id"]) == (2_500_000_000_000_000_000, 18, AUDIT_ID)
    # USDT: nothing fetched, so no on-chain figure and no on-chain-with-custody ratio (NULL, not the custody alone)
    assert usdt["onchain_reserves"] is None and usdt["ratio_onchain_with_custody"] is None
    assert usdt["claimed_custody_reserves"] == Decimal("4.5") and usdt["ratio_claimed"] == Decimal("1.2903")
    assert usdt["liabilities_units"] == 155_000_000_000_000_000_000_001 and usdt["liabilities_scale"] == 22
    assert usdt["ratio_published"] == Decimal("0.999999999999999999")  # 15.5 / 15.5000000000000000000001, truncated at 18 decimals
    # BTC: owed and claimed, but not in the file: published 0, on-chain unknown
    assert btc["published_reserves"] == 0 and btc["onchain_reserves"] is None and btc["ratio_onchain_with_custody"] is None
    assert (btc["claimed_reserves_units"], btc["claimed_custody_reserves_units"], btc["claims_scale"]) == (10_500_050_000_000, 500_050_000_000, 8)
    # SOL: claimed only
    assert sol["liabilities"] is None and sol["ratio_published"] is None and sol["claimed_reserves"] == Decimal("7")
    assert sol["ratio_claimed"] == Decimal("1")


def test_without_a_page_the_new_columns_are_null(con, snap):
    con.execute("insert into liabilities values (?, 'ETH', '3', 3000, 3, 'test')", [snap])
    [eth] = _dicts(con, "select * from reserve_ratios where snapshot_id = ? and asset = 'ETH'", snap)
    for col in ("claimed_reserves", "claimed_exchange_reserves", "claimed_custody_reserves", "ratio_claimed", "ratio_onchain_with_custody", "audit_id"):
        assert eth[col] is None, col
    assert eth["ratio_published"] == Decimal("1.25")


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda p: p["liabilityBalances"].update(BTC="1e5"), "not a plain non-negative decimal"),
        (lambda p: p["liabilityBalances"].update(BTC="-1"), "not a plain non-negative decimal"),
        (lambda p: p["capitalRatio"].update(ETH="1.05"), "not a percentage"),
        (lambda p: p["liabilityBalances"].update(BTC="200000000000000000.1234567890123456789012"), "too large"),
        (lambda p: p["custodyReserveBalances"].update(BTC="200000000000000000.1234567890123456789012"), "too large"),
        (lambda p: p.update(liabilityBalances={}), "liabilityBalances"),
        (lambda p: p.update(createTime="yesterday"), "createTime"),
        (lambda p: p.update(merkleHash=123), "merkleHash"),
    ],
    ids=["exponent", "negative", "ratio-not-percent", "liability-overflow", "claim-overflow", "no-liabilities", "create-time", "merkle-type"],
)
def test_a_bad_page_is_refused_and_changes_nothing(con, snap, tmp_path, mutate, match):
    load_liability_file(con, write_json(tmp_path / "good.json", PAGE), snap)
    before = counts(con), con.execute("select * from audit_claims order by asset").fetchall()
    page = json.loads(json.dumps(PAGE))
    mutate(page)
    bad = write_json(tmp_path / "bad.json", page)
    with pytest.raises(LiabilityError, match=match):
        load_liability_file(con, bad, snap)
    assert (counts(con), con.execute("select * from audit_claims order by asset").fetchall()) == before


def test_a_new_page_replaces_the_old_one_and_unbinds_a_proof_with_another_root(con, snap, tmp_path):
    load_liability_file(con, write_json(tmp_path / "audit.json", PAGE), snap)
    load_liability_file(con, write_json(tmp_path / "sum_proof_data.json", proof_doc()), snap)
    con.execute("insert into liabilities values (?, 'XRP', '9', 9, 0, 'csv:other.csv')", [snap])
    newer = dict(PAGE, auditId="600000001", merkleHash=OTHER_ROOT, liabilityBalances={"ETH": "2.75"}, capitalRatio={"ETH": "150%"})
    loaded = load_liability_file(con, write_json(tmp_path / "audit2.json", newer), snap)
    assert ROOT in loaded.message  # says which proof was removed
    liab = con.execute("select asset, amount, source from liabilities order by asset").fetchall()
    assert liab == [("ETH", "2.75", "okx-audit:audit2.json"), ("XRP", "9", "csv:other.csv")]  # the old page's BTC/USDT are gone
    assert con.execute("select audit_id, merkle_hash from audits").fetchall() == [("600000001", OTHER_ROOT)]
    assert con.execute("select count(*) from proofs").fetchall() == [(0,)]
    assert con.execute("select distinct audit_id from audit_claims").fetchall() == [("600000001",)]


# ------------------------------------------------------------------------------------------ the proof
def test_proof_parses_u64_inputs_exactly():
    doc = json.loads(json.dumps(proof_doc()))
    proof = parse_sum_proof(doc)
    assert proof.equity_sum == EQUITY and float(EQUITY) != EQUITY  # beyond a double's 53 bits
    assert (proof.debt_sum, proof.balance_sum, proof.root_hash, proof.round_num) == (DEBT, EQUITY - DEBT, ROOT, int(AUDIT_ID))


@pytest.mark.parametrize("bad", [1.5, -1, 2**64, "7", True])
def test_proof_refuses_inputs_that_are_not_u64(bad):
    doc = proof_doc()
    doc["proof"]["public_inputs"][3] = bad
    with pytest.raises(LiabilityError, match="public_inputs"):
        parse_sum_proof(doc)


def _load_page_and(con, snap, tmp_path, proof_file: Path, **kw):
    load_liability_file(con, write_json(tmp_path / "audit.json", PAGE), snap)
    return load_liability_file(con, proof_file, snap, **kw)


def test_proof_bound_to_the_page_without_verifier(con, snap, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))  # no zk-por-cli anywhere
    loaded = _load_page_and(con, snap, tmp_path, write_json(tmp_path / "sum_proof_data.json", proof_doc()))
    assert loaded.kind == "zk-proof" and loaded.check_failed is None
    row = con.execute(
        "select audit_id, root_hash, equity_sum, debt_sum, balance_sum, round_num, verifier, verifier_status, verifier_exit_code from proofs"
    ).fetchall()
    assert row == [(AUDIT_ID, ROOT, EQUITY, DEBT, EQUITY - DEBT, int(AUDIT_ID), None, NOT_INSTALLED, None)]
    assert json.loads(con.execute("select public_inputs from proofs").fetchall()[0][0]) == [EQUITY, DEBT, *ROOT_ELEMENTS]
    assert proof_status(con, snap) == f"proof: root bound to audit {AUDIT_ID} merkleHash; zk verifier: not installed"


def test_proof_whose_root_differs_is_refused_with_both_values(con, snap, tmp_path):
    other = proof_doc(root_elements=[1, 2, 3, 4])
    with pytest.raises(LiabilityError) as err:
        _load_page_and(con, snap, tmp_path, write_json(tmp_path / "sum_proof_data.json", other))
    assert root_hash_hex([1, 2, 3, 4]) in str(err.value) and ROOT in str(err.value)
    assert con.execute("select count(*) from proofs").fetchall() == [(0,)]
    assert proof_status(con, snap).startswith(f"proof: audit {AUDIT_ID} page loaded, no zk proof loaded")


def test_proof_without_a_page_is_refused(con, snap, tmp_path):
    with pytest.raises(LiabilityError, match="no audit page"):
        load_liability_file(con, write_json(tmp_path / "sum_proof_data.json", proof_doc()), snap)
    assert counts(con) == (0, 0, 0, 0)
    assert proof_status(con, snap) == "proof: no audit page or zk proof loaded; zk verifier: not run"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_proof_from_the_zip(con, snap, tmp_path):
    z = _zip(tmp_path / f"por_{AUDIT_ID}_proof_data.zip", {f"por_{AUDIT_ID}_proof_data/sum_proof_data.json": json.dumps(proof_doc()).encode()})
    _load_page_and(con, snap, tmp_path, z, verifier_setting=None)
    assert con.execute("select root_hash, equity_sum, source_file from proofs").fetchall() == [
        (ROOT, EQUITY, f"{z}!por_{AUDIT_ID}_proof_data/sum_proof_data.json")
    ]
    empty = _zip(tmp_path / "empty.zip", {"readme.txt": b"x"})
    with pytest.raises(LiabilityError, match="exactly one sum_proof_data.json"):
        load_liability_file(con, empty, snap)


# ------------------------------------------------------------------------------------------ OKX's verifier (a stand-in)
FAKE_VERIFIER = r'''#!{python}
"""Behaves like zk-por-cli's main for verify-global: prints, reports Ok/Err, waits for Enter (panics on EOF)."""
import json, sys
mode = {mode!r}
log = {log!r}
args = sys.argv[1:]
if args[:2] != ["verify-global", "--proof-path"] or len(args) != 3:
    print("error: unexpected arguments", args, file=sys.stderr); sys.exit(2)
with open(args[2]) as fh:
    proof = json.load(fh)
with open(log, "w") as fh:
    json.dump({{"path": args[2], "inputs": proof["proof"]["public_inputs"]}}, fh)
round_num = proof["general"]["round_num"]
print(f"start to reconstruct the circuit with 3 recursive levels for round {{round_num}}", flush=True)
if mode == "panic":
    print("thread 'main' panicked at crates/zk-por-cli/src/verifier.rs:182:9:", file=sys.stderr)
    print("The recursion_branchout_num is not configured to be equal to 64", file=sys.stderr)
    sys.exit(101)
if mode == "ok":
    print(f"successfully verify the global proof for round {{round_num}}, total exchange users' equity is 1, debt is 0, exchange liability is 1")
    print("Execution result: Ok(()), duration: 1.234s")
else:
    print(f"fail to verify the global proof for round {{round_num}}, total exchange users' equity is 1, debt is 0, exchange liability is 1")
    print("Execution result: Err(InvalidProof), duration: 1.234s")
print("Press Enter to quit...", flush=True)
if not sys.stdin.buffer.read(1):
    print("thread 'main' panicked at crates/zk-por-cli/src/main.rs:131:40: called `Result::unwrap()` on an `Err` value: UnexpectedEof", file=sys.stderr)
    sys.exit(101)
sys.exit(0)
'''


def fake_verifier(directory: Path, mode: str, name: str = "zk-por-cli") -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    exe, log = directory / name, directory / f"{name}.{mode}.log"
    exe.write_text(FAKE_VERIFIER.format(python=sys.executable, mode=mode, log=str(log)))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return exe, log


@pytest.mark.parametrize(
    "mode, status, code, line",
    [
        ("ok", "verified", 0, "Execution result: Ok(()), duration: 1.234s"),
        ("invalid", "failed", 0, "Execution result: Err(InvalidProof), duration: 1.234s"),  # zk-por-cli exits 0 on Err
        ("panic", "failed", 101, "The recursion_branchout_num is not configured to be equal to 64"),
    ],
)
def test_verifier_on_path_runs_and_its_verdict_is_stored(con, snap, tmp_path, monkeypatch, mode, status, code, line):
    exe, log = fake_verifier(tmp_path / "bin", mode)
    monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}{os.environ['PATH']}")
    assert find_verifier(None) == str(exe)
    ticks: list[float] = []
    proof_file = write_json(tmp_path / "sum_proof_data.json", proof_doc())
    loaded = _load_page_and(con, snap, tmp_path, proof_file, on_tick=ticks.append)
    assert con.execute("select verifier, verifier_status, verifier_exit_code, verifier_output from proofs").fetchall() == [(str(exe), status, code, line)]
    assert json.loads(log.read_text()) == {"path": str(proof_file), "inputs": [EQUITY, DEBT, *ROOT_ELEMENTS]}
    assert (loaded.check_failed is None) == (status == "verified")
    if status == "verified":
        assert proof_status(con, snap).endswith(f"zk verifier: passed ({line})")
    else:
        assert f"zk verifier: FAILED (exit {code}: {line})" in proof_status(con, snap)


def test_configured_verifier_runs_on_the_file_extracted_from_the_zip(con, snap, tmp_path):
    exe, log = fake_verifier(tmp_path / "opt", "ok", name="zk_STARK_Validator_v2")
    z = _zip(tmp_path / f"por_{AUDIT_ID}_proof_data.zip", {"sum_proof_data.json": json.dumps(proof_doc()).encode()})
    _load_page_and(con, snap, tmp_path, z, verifier_setting=str(exe))
    seen = json.loads(log.read_text())
    assert Path(seen["path"]).name == "sum_proof_data.json" and seen["inputs"][0] == EQUITY
    assert not Path(seen["path"]).exists()  # the extracted copy is cleaned up
    assert con.execute("select verifier_status from proofs").fetchall() == [("verified",)]
    with pytest.raises(LiabilityError, match="not an executable"):
        load_liability_file(con, z, snap, verifier_setting=str(tmp_path / "missing"))


def _dicts(con, sql, *params):
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# ------------------------------------------------------------------------------------------ the command line
def test_cli_page_proof_and_report(tmp_path):
    from tests.test_cli import por

    db = str(tmp_path / "x.duckdb")
    (tmp_path / "por.csv").write_text(FILE)
    assert por("ingest", str(tmp_path / "por.csv"), "--db", db).returncode == 0
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))  # zk-por-cli is not installed
    page = por("liabilities", str(write_json(tmp_path / "audit.json", {"audit": PAGE})), "--db", db, env=env, cwd=tmp_path)
    assert page.returncode == 0, page.stderr
    assert f"audit {AUDIT_ID} loaded: liabilities for 3 assets, OKX's claims for 4 assets" in page.stdout

    wrong_file = write_json(tmp_path / "other_proof.json", proof_doc(root_elements=[5, 6, 7, 8]))
    wrong = por("liabilities", str(wrong_file), "--db", db, env=env, cwd=tmp_path)
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1
    assert root_hash_hex([5, 6, 7, 8]) in wrong.stderr and ROOT in wrong.stderr and "refused" in wrong.stderr

    proof = por("liabilities", str(write_json(tmp_path / "sum_proof_data.json", proof_doc())), "--db", db, env=env, cwd=tmp_path)
    assert proof.returncode == 0, proof.stderr
    assert f"proof root {ROOT} bound to audit {AUDIT_ID}" in proof.stdout and NOT_INSTALLED in proof.stdout
    assert f"equity_sum {EQUITY}, debt_sum {DEBT}" in proof.stdout

    table = por("report", "--db", db, cwd=tmp_path)
    assert table.returncode == 0 and f"proof: root bound to audit {AUDIT_ID} merkleHash; zk verifier: not installed" in table.stdout
    as_json = por("report", "--db", db, "--format", "json", cwd=tmp_path)
    rows = {r["asset"]: r for r in json.loads(as_json.stdout)}  # the status line goes to stderr, stdout stays JSON
    assert "zk verifier: not installed" in as_json.stderr
    assert (rows["ETH"]["claimed_reserves"], rows["ETH"]["claimed_custody_reserves"], rows["ETH"]["ratio_claimed"]) == ("5", "1.25", "1.9999")
    assert rows["USDT"]["ratio_onchain_with_custody"] is None and rows["BTC"]["liabilities"] == "100000.123456789012345679"


def test_cli_runs_the_configured_verifier_and_exits_1_when_it_says_no(tmp_path):
    from tests.test_cli import por

    db = str(tmp_path / "x.duckdb")
    (tmp_path / "por.csv").write_text(FILE)
    por("ingest", str(tmp_path / "por.csv"), "--db", db)
    exe, _log = fake_verifier(tmp_path / "opt", "invalid")
    cfg = tmp_path / "por.toml"
    cfg.write_text(f'[proof]\nverifier = "{exe}"\n')
    assert por("liabilities", str(write_json(tmp_path / "audit.json", PAGE)), "--db", db).returncode == 0
    result = por("liabilities", str(write_json(tmp_path / "sum_proof_data.json", proof_doc())), "--db", db, "--config", str(cfg))
    assert result.returncode == 1, result.stderr
    assert "did not accept the proof (exit 0: Execution result: Err(InvalidProof)" in result.stderr
    report = por("report", "--db", db)
    assert "zk verifier: FAILED (exit 0: Execution result: Err(InvalidProof), duration: 1.234s)" in report.stdout


def test_config_names_the_verifier():
    from indexer.config import ConfigError, parse_config

    assert parse_config({"proof": {"verifier": "/opt/zk-por-cli"}}, env={}).proof_verifier == "/opt/zk-por-cli"
    assert parse_config({}, env={}).proof_verifier is None
    with pytest.raises(ConfigError, match=r"\[proof\] takes only verifier"):
        parse_config({"proof": {"verifer": "/x"}}, env={})
