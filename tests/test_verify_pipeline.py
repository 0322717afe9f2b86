"""The verify pipeline through a real DuckDB file: dispatch, worker processes, resumability.

Rows are real signatures made by the UTXO plugin's signer (coincurve), plus rows that
must fail or be unsupported, so every status the pipeline writes is checked against an
outcome known in advance.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from chains.utxo.verify import sign_utxo
from indexer import store
from indexer.models import SignedRow, Verdict
from indexer.registry import registry
from indexer.verify import _run, verify_row, verify_row_compat, verify_snapshot

REPO = Path(__file__).resolve().parents[1]
MESSAGE = "I am an OKX address"
COLUMNS = ("coin", "address", "message", "signature1", "signature2", "script_or_pubkey", "eoa1", "eoa2")


def _signed(coin_key: str, seed: bytes) -> dict[str, str]:
    cells = sign_utxo(registry().coin(coin_key), MESSAGE, seed)
    return {"coin": coin_key, "message": MESSAGE, **cells}


def _rows(n_good: int) -> tuple[list[dict[str, str]], dict[int, str]]:
    """Rows plus the strict status each must get (row_no -> status)."""
    rows: list[dict[str, str]] = []
    expect: dict[int, str] = {}
    coins = ["BTC", "BTC", "BTC", "LTC", "DOGE", "DASH", "BCH", "ZEC", "RVN", "QTUM", "DGB", "BTG", "BSV", "BCD"]
    for i in range(n_good):
        rows.append(_signed(coins[i % len(coins)], b"pipeline-%d" % i))
        expect[len(rows)] = "verified"
    a, b = _signed("BTC", b"other-a"), _signed("BTC", b"other-b")
    rows.append({**a, "address": b["address"], "script_or_pubkey": b["script_or_pubkey"]})  # someone else's address
    expect[len(rows)] = "failed"
    rows.append({**a, "signature1": "not base64!"})
    expect[len(rows)] = "failed"
    rows.append({**a, "coin": "NOPE"})  # not in the registry
    expect[len(rows)] = "unsupported"
    rows.append({**a, "coin": "USDT-ALGO"})  # a family with no scheme at all
    expect[len(rows)] = "unsupported"
    rows.append({**a, "signature1": "", "signature2": ""})
    expect[len(rows)] = "failed"
    return rows, expect


def _make_db(path: Path, rows: list[dict[str, str]], layout: str = "por12") -> None:
    con = store.connect(path)
    con.execute(
        "insert into snapshots (snapshot_id, exchange, source_file, file_sha256, layout, row_count, error_count) values (1, 'okx', 'test', 'x', ?, ?, 0)",
        [layout, len(rows)],
    )
    reg = registry()
    table = pa.table(
        {
            "snapshot_id": pa.array([1] * len(rows), pa.int32()),
            "row_no": pa.array(range(1, len(rows) + 1), pa.int64()),
            "asset": [(reg.coin(r["coin"]).asset if reg.coin(r["coin"]) else r["coin"]) for r in rows],
            "network": [(reg.coin(r["coin"]).network if reg.coin(r["coin"]) else "") for r in rows],
            "coin_known": [reg.coin(r["coin"]) is not None for r in rows],
            **{c: [r.get(c, "") or None for r in rows] for c in COLUMNS},
        }
    )
    store.append_arrow(con, "addresses", table)
    con.close()


def _results(path: Path) -> dict[int, tuple]:
    con = store.connect(path)
    try:
        got = con.execute("select row_no, family, status, reason, okx_status, okx_reason from signatures where snapshot_id = 1").fetchall()
        dupes = con.execute("select count(*) - count(distinct row_no) from signatures").fetchone()[0]
    finally:
        con.close()
    assert dupes == 0
    return {r[0]: r[1:] for r in got}


def test_verify_snapshot_with_two_workers(tmp_path: Path) -> None:
    rows, expect = _rows(60)
    db = tmp_path / "por.duckdb"
    _make_db(db, rows)
    con = store.connect(db)
    summary = verify_snapshot(con, None, workers=2, okx_compat=True, show_progress=False)
    con.close()
    assert summary.rows_done == len(rows)
    assert not summary.interrupted
    got = _results(db)
    assert {k: v[1] for k, v in got.items()} == expect
    assert summary.by_status == {s: list(expect.values()).count(s) for s in set(expect.values())}
    assert summary.by_family["UTXO"]["verified"] == 60
    # OKX's own verdicts: the generated rows pass there too, except real P2WPKH (classed P2WSH by
    # OKX, quirk §3.11.3); a wrong address fails.
    p2wpkh = {k for k, r in enumerate(rows, 1) if r["address"].startswith("bc1q") and len(r["address"]) == 42}
    assert p2wpkh, "the BTC mix should hold a P2WPKH row"
    assert all(got[k][3] == ("failed" if k in p2wpkh else "verified") for k, s in expect.items() if s == "verified")
    assert got[61][3] == "failed" and "recovers key" in got[61][2]  # someone else's address and script
    assert got[63][1] == "unsupported" and "not in the registry" in got[63][2]
    assert got[63][3] == "failed" and got[63][4] == "invalid coin name"
    assert got[64][2].startswith("OKX publishes no signature scheme")


def test_rerun_is_idempotent_and_resume_finishes(tmp_path: Path) -> None:
    rows, expect = _rows(40)
    db = tmp_path / "por.duckdb"
    _make_db(db, rows)
    con = store.connect(db)
    first = verify_snapshot(con, 1, workers=2, show_progress=False, limit=17)
    assert first.rows_done == 17
    assert sum(first.by_status.values()) == 17
    second = verify_snapshot(con, 1, workers=2, show_progress=False)
    assert second.rows_done == len(rows) - 17
    third = verify_snapshot(con, 1, workers=2, show_progress=False)
    assert third.rows_done == 0
    con.close()
    got = _results(db)
    assert {k: v[1] for k, v in got.items()} == expect
    assert all(v[3] is None for v in got.values())  # no --okx-compat: OKX verdicts not computed
    # --okx-compat later fills in exactly the missing OKX verdicts, strict ones unchanged
    con = store.connect(db)
    fourth = verify_snapshot(con, 1, workers=1, okx_compat=True, show_progress=False)
    con.close()
    assert fourth.rows_done == len(rows)
    again = _results(db)
    assert {k: v[:3] for k, v in again.items()} == {k: v[:3] for k, v in got.items()}
    assert all(v[3] in ("verified", "failed", "unsupported") for v in again.values())


_CHILD = textwrap.dedent(
    """
    import sys
    import indexer.verify as v
    from indexer import store

    v.BATCH_ROWS = 200
    v.COMMIT_ROWS = 400
    flush = v._ChunkWriter.flush
    def announced(self):
        had = bool(self.pending)
        flush(self)
        if had:
            print("committed", self.rows, flush=True)
    v._ChunkWriter.flush = announced
    con = store.connect(sys.argv[1])
    v.verify_snapshot(con, 1, workers=2, show_progress=False)
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("how", ["sigint", "sigkill"])
def test_interrupted_run_keeps_commits_and_resumes(tmp_path: Path, how: str) -> None:
    rows, expect = _rows(100)
    rows = rows[:100] * 120  # 12,000 valid rows: seconds of work, so the run is still going when stopped
    db = tmp_path / "por.duckdb"
    _make_db(db, rows)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    line = child.stdout.readline()
    assert line.startswith("committed"), child.stderr.read()
    if how == "sigint":
        os.kill(child.pid, signal.SIGINT)  # the main process only, as a terminal's Ctrl-C reaches it first
    else:
        os.killpg(child.pid, signal.SIGKILL)  # the whole group: parent and its workers die mid-chunk
    try:
        out, err = child.communicate(timeout=300)  # a deadlock guard, not a speed check: the run takes seconds
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail("the interrupted verify never exited (a lock left held by the interrupt?)")
    assert "done" not in out, "the run finished before it could be interrupted"
    assert child.returncode != 0
    if how == "sigint":
        assert "KeyboardInterrupt" in err
    kept = _results(db)
    assert 400 <= len(kept) < len(rows)
    assert {v[1] for v in kept.values()} == {"verified"}
    con = store.connect(db)
    rest = verify_snapshot(con, 1, workers=2, show_progress=False)
    con.close()
    assert rest.rows_done == len(rows) - len(kept)
    final = _results(db)
    assert len(final) == len(rows)
    assert {v[1] for v in final.values()} == {"verified"}


def test_audit_rows_with_unknown_network_fall_back_to_ecdsa() -> None:
    # (AVAX-X, the example this test used, is a registry key now: OKX's vector V056; see test_registry_integrity.py)
    row = SignedRow(row_no=1, coin="NOT-A-NETWORK", address="X-avax1...", message=MESSAGE, signature1="0x00", audit=True)
    family, _ = verify_row(row, "okx")
    assert family == "ECDSA"  # what OKX's audit verifier does with an unknown network
    family, verdict = verify_row(row, "htx")  # OKX's rule (its plugin's audit_unknown_coin), not the core's
    assert family == "" and verdict.status == "unsupported"
    family, verdict = verify_row(SignedRow(row_no=1, coin="NOT-A-NETWORK", address="x", message=MESSAGE, signature1="0x00"), "okx")
    assert family == "" and verdict.status == "unsupported"


def test_blacklisted_coins_are_skipped_by_okx_only_outside_audit_files() -> None:
    row = SignedRow(row_no=1, coin="EOS", address="okbwallet1tr", message=MESSAGE, signature1="SIG_K1_x")
    assert verify_row_compat(row, "okx")[1].status == "unsupported"
    audit_row = SignedRow(row_no=1, coin="EOS", address="okbwallet1tr", message=MESSAGE, signature1="SIG_K1_x", audit=True)
    assert verify_row_compat(audit_row, "okx")[1].status != "unsupported" or "blacklist" not in verify_row_compat(audit_row, "okx")[1].reason


def test_a_verifier_exception_becomes_a_failed_verdict() -> None:
    def explodes(row, coin):
        raise RuntimeError("boom")

    coin = registry().coin("BTC")
    row = SignedRow(row_no=1, coin="BTC", address="1x", message=MESSAGE, signature1="x")
    verdict = _run(explodes, row, coin)
    assert verdict == Verdict("failed", "verifier error: RuntimeError: boom")


def test_literal_null_in_an_eoa_cell_fails_only_the_okx_compatible_verdict(tmp_path):
    """SPEC §1.5/§3.11.10: OKX's tool treats `null` in EOA columns as an address; we treat it as empty."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    from chains.common.hashes import keccak256
    from indexer.ingest import ingest_file
    from indexer.store import connect
    from indexer.verify import verify_snapshot

    acct = Account.from_key(b"\x11" * 32)
    msg = "I am an OKX address"
    sig = acct.sign_message(encode_defunct(primitive=keccak256(msg.encode()))).signature.hex()
    sig = sig if sig.startswith("0x") else "0x" + sig
    path = tmp_path / "f.csv"
    path.write_text(
        "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2\n"
        f"ETH,ETH,1,{acct.address},1,{msg},{sig},,,null,\n"
        f"ETH,ETH,1,{acct.address},1,{msg},{sig},,,,\n"
    )
    con = connect(tmp_path / "db.duckdb")
    [report] = ingest_file(con, path)
    verify_snapshot(con, report.snapshot_id, workers=1, okx_compat=True, show_progress=False)
    rows = con.execute("select row_no, status, okx_status from signatures order by row_no").fetchall()
    assert rows == [(2, "verified", "failed"), (3, "verified", "verified")]
    assert con.execute("select row_no from signature_disagreements").fetchall() == [(2,)]
