"""Liability files as exchange plugins' hooks (``ExchangePlugin.liability_files`` and ``proof_status``).

The core reads only the ``asset,amount`` CSV and dispatches audit pages; OKX's Merkle files and zk proof are
``exchanges.okx``'s formats (their own checks are tests/test_liabilities.py and tests/test_audit.py). Here: the
core knows none of them without the plugin, an exchange's own format is read and stored through the same hook, a
proof is bound and its verifier's refusal reported in the exchange's name, and the report's proof line is the
snapshot's exchange's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import indexer.audit as audit
import indexer.liabilities as liabilities
from indexer.exchange_plugins import exchange_plugins
from indexer.models import AuditPage, LiabilityError, LiabilityProof, LiabilityTotals, ProofCheck, ProofState
from indexer.plugins import ExchangePlugin, LiabilityFormat
from tests.conftest import shared_examples

ROOT = "ab" * 32


def _snapshot(con, exchange: str) -> None:
    con.execute(
        "insert into snapshots (snapshot_id, exchange, source_file, file_sha256, layout, row_count, error_count) "
        "values (1, ?, 'f', 'h', 'detail11', 0, 0)",
        [exchange],
    )


def _read_totals(path: Path, raw: bytes, doc: Any) -> LiabilityTotals | None:
    """demoex's totals file: ``DEMO-TOTALS`` then ``asset=amount`` lines."""
    lines = raw.decode().split()
    if not lines or lines[0] != "DEMO-TOTALS":
        return None
    return LiabilityTotals("demo-totals", dict(line.split("=") for line in lines[1:]))


def _read_proof(path: Path, raw: bytes, doc: Any) -> LiabilityProof | None:
    if not (isinstance(doc, dict) and "demo_proof" in doc):
        return None
    return LiabilityProof(doc["demo_proof"], 7, (5, 2), 5, 2, raw, str(path))


def _run(verifier: str, path: Path, proof: LiabilityProof, on_tick) -> ProofCheck:
    return ProofCheck("failed", verifier, 3, f"root {proof.root_hash} rejected")


DEMO = ExchangePlugin(
    name="demoex",
    description="a test exchange",
    recognise=lambda records: False,
    layout=lambda cells: None,
    audit_page=lambda doc: AuditPage("A1", ROOT, None, {"BTC": "1"}, {}) if isinstance(doc, dict) and "demo_page" in doc else None,
    liability_files=(
        LiabilityFormat("demo-proof", "a demo proof", _read_proof, find_verifier=lambda configured: "/bin/demo-verify", run_verifier=_run),
        LiabilityFormat("demo-totals", "a demo totals file", _read_totals),
    ),
    proof_status=lambda state: f"demo: page {state.audit_id}, proof {state.proof.status if state.proof else 'none'}",
)


@pytest.fixture
def only(monkeypatch):
    """Install exactly these exchange plugins for the core's liability code."""

    def install(*plugins: ExchangePlugin) -> None:
        found = {p.name: p for p in plugins}
        monkeypatch.setattr(liabilities, "exchange_plugins", lambda: found)
        monkeypatch.setattr(audit, "exchange_plugins", lambda: found)

    return install


def test_without_the_exchange_plugin_the_core_reads_no_merkle_file(con, only):
    only()  # no exchange installed: the core alone
    _snapshot(con, "okx")
    with pytest.raises(LiabilityError, match="no installed exchange plugin publishes JSON liabilities"):
        liabilities.read_liabilities(shared_examples() / "merkle_proof_file.json")
    with pytest.raises(LiabilityError, match="header 'asset,amount'"):  # the v2 tree is no CSV either
        liabilities.read_liabilities(shared_examples() / "full-liabilities-merkle-tree.txt")
    only(exchange_plugins()["okx"])  # the same files through OKX's formats
    assert liabilities.read_liabilities(shared_examples() / "merkle_proof_file.json").source == "merkle-v1"
    assert liabilities.read_liabilities(shared_examples() / "full-liabilities-merkle-tree.txt").source == "merkle-v2"


def test_an_exchange_format_is_read_and_stored_through_the_hook(con, only, tmp_path):
    only(DEMO)
    _snapshot(con, "demoex")
    path = tmp_path / "totals.txt"
    path.write_text("DEMO-TOTALS\nBTC=1.5\nETH=2\n")
    loaded = audit.load_liability_file(con, path, 1)
    assert (loaded.kind, loaded.message) == ("demo-totals", "snapshot 1: liabilities for BTC, ETH loaded from demo-totals")
    rows = con.execute("select asset, amount, source from liabilities order by asset").fetchall()
    assert rows == [("BTC", "1.5", "demo-totals:totals.txt"), ("ETH", "2", "demo-totals:totals.txt")]
    json_file = tmp_path / "other.json"
    json_file.write_text('{"foo": 1}')
    with pytest.raises(LiabilityError, match=r"^this JSON is not a demo totals file, a demo proof or an installed exchange's audit page \(demoex\)$"):
        audit.load_liability_file(con, json_file, 1)


def test_a_proof_is_bound_to_the_page_and_its_verifier_speaks_for_its_exchange(con, only, tmp_path):
    only(DEMO)
    _snapshot(con, "demoex")
    assert audit.proof_status(con, 1) == "demo: page None, proof none"
    proof = tmp_path / "proof.json"
    proof.write_text('{"demo_proof": "%s"}' % ("cd" * 32))
    with pytest.raises(LiabilityError, match="no audit page"):
        audit.load_liability_file(con, proof, 1)
    page = tmp_path / "page.json"
    page.write_text('{"demo_page": 1}')
    audit.load_liability_file(con, page, 1)
    with pytest.raises(LiabilityError, match=f"root hash {'cd' * 32} does not equal merkleHash {ROOT}"):
        audit.load_liability_file(con, proof, 1)
    proof.write_text('{"demo_proof": "%s"}' % ROOT)
    loaded = audit.load_liability_file(con, proof, 1)
    assert loaded.kind == "demo-proof" and loaded.check_failed == f"DEMOEX's verifier did not accept the proof (exit 3: root {ROOT} rejected)"
    stored = con.execute("select audit_id, root_hash, equity_sum, debt_sum, verifier, verifier_status from proofs").fetchall()
    assert stored == [("A1", ROOT, 5, 2, "/bin/demo-verify", "failed")]
    assert audit.proof_status(con, 1) == "demo: page A1, proof failed"


def test_an_exchange_without_a_proof_line_gets_the_core_s(con, only):
    only(ExchangePlugin(name="plain", description="", recognise=lambda r: False, layout=lambda c: None))
    _snapshot(con, "plain")
    assert audit.proof_status(con, 1) == "proof: no proof loaded"
    con.execute("insert into audits (snapshot_id, audit_id, source_file, file_sha256) values (1, 'P9', 'page.json', 'h')")
    assert audit.proof_status(con, 1) == "proof: no proof loaded (audit P9 page loaded)"


def test_okx_words_its_own_proof_line():
    okx = exchange_plugins()["okx"]
    assert okx.proof_status(ProofState(None, None)) == "proof: no audit page or zk proof loaded; zk verifier: not run"
    assert okx.proof_status(ProofState("7", ProofCheck("verified", "/x", 0, "Ok"), "7")) == "proof: root bound to audit 7 merkleHash; zk verifier: passed (Ok)"
