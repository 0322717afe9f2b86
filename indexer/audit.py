"""An exchange's audit page and its proof of liabilities (both read by its plugin): exact liabilities and claims per
asset, and the proof bound to the page.

Why this module exists: an exchange may publish per-asset liabilities only on its audit page (OKX since 2024, as a
JSON object of decimal strings with up to 22 decimals), and beside it a proof of the liabilities' sum whose public
statement carries the root hash of the liability tree. The page's merkle hash is the only link between the two, so
a proof is accepted only when its root equals the merkle hash of the page loaded for the same snapshot; anything
else is refused before a row is written. Reading the page and the proof, and running the proof's verifier, are the
exchange plugin's (``audit_page``, ``liability_files``); binding, storing and dispatching are here.

Binding to a snapshot: a page is loaded for one snapshot (``--snapshot``,
default the latest) and is that snapshot's only page: loading another replaces
it, its claims, the liabilities an earlier page wrote, and drops a proof bound
to a different root. A proof is loaded for a snapshot that already has a page.

A proof's verifier runs when it is installed (``[proof] verifier`` or the exchange's default on PATH) and what it
said is stored; otherwise ``not verified (verifier not installed)``. We never call a proof verified without running it.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from indexer.ingest.amounts import split_decimal
from indexer.models import PROOF_NOT_VERIFIED, AuditPage, LiabilityProof, ProofCheck, ProofState
from indexer.liabilities import (
    LiabilityError,
    hugeint_units,
    liability_table,
    load_liabilities,
    read_exchange_file,
    replace_liabilities,
    sniff_json,
    snapshot_scales,
)
from indexer.exchange_plugins import exchange_plugins
from indexer.plugins import ExchangePlugin, LiabilityFormat
from indexer.store import append_arrow, transaction


# ------------------------------------------------------------------------------------------ the audit page
_CLAIM_PARTS = ("reserve", "exchange_reserve", "custody_reserve")  # a Claim's amounts, in audit_claims' columns


def _claims_table(con: duckdb.DuckDBPyConnection, snapshot_id: int, page: AuditPage) -> pa.Table:
    """One row per asset; one scale per row (the asset's, or more where more digits are written) so the parts add up."""
    scales = snapshot_scales(con, snapshot_id)
    cols: dict[str, list] = {k: [] for k in ("asset", "reserve", "exchange_reserve", "custody_reserve", "capital_ratio", "scale",
                                             "reserve_units", "exchange_reserve_units", "custody_reserve_units", "capital_ratio_value")}
    for asset, claim in page.claims.items():
        texts = {k: getattr(claim, k) for k in _CLAIM_PARTS}
        digits = [len(split_decimal(t)[1].rstrip("0")) for t in texts.values() if t is not None]
        scale = max([scales.get(asset) or 0, *digits])
        cols["asset"].append(asset)
        cols["capital_ratio"].append(claim.capital_ratio)
        cols["capital_ratio_value"].append(claim.ratio)
        cols["scale"].append(scale)
        for k, t in texts.items():
            cols[k].append(t)
            cols[f"{k}_units"].append(None if t is None else str(hugeint_units(t, scale, f"{k}.{asset}")))
    n = len(cols["asset"])
    return pa.table(
        {
            "snapshot_id": pa.array([snapshot_id] * n, pa.int32()),
            "audit_id": [page.audit_id] * n,
            **{k: (pa.array(v, pa.int32()) if k == "scale" else pa.array(v, pa.string())) for k, v in cols.items()},
        }
    )


def normalize_hash(text: str | None) -> str:
    """Hex for comparison: trimmed, lower case, without ``0x``."""
    t = (text or "").strip().lower()
    return t[2:] if t.startswith("0x") else t


@dataclass(frozen=True)
class AuditLoad:
    page: AuditPage
    dropped_proof: str | None  # root of a proof that no longer matches the page and was removed


def load_audit_page(
    con: duckdb.DuckDBPyConnection, path: Path, snapshot_id: int, doc: Any = None, *, page: AuditPage | None = None, source_prefix: str = "audit"
) -> AuditLoad:
    """Make this page the snapshot's page: its liabilities, claims and audit row, all in one transaction.

    ``page`` is an exchange plugin's reading of the JSON; without it the installed plugins are asked which of
    them wrote the page. ``source_prefix`` names the exchange's page in ``liabilities.source``.
    """
    raw = Path(path).read_bytes()
    if page is None:
        found = _exchange_page(sniff_json(raw) if doc is None else doc)
        if found is None:
            raise LiabilityError("this JSON is no installed exchange plugin's audit page")
        plugin, page = found
        source_prefix = _page_source(plugin)
    source = f"{source_prefix}:{Path(path).name}"
    liabilities = liability_table(con, snapshot_id, page.liabilities, source)
    claims = _claims_table(con, snapshot_id, page)
    audit = pa.table(
        {
            "snapshot_id": pa.array([snapshot_id], pa.int32()),
            "audit_id": [page.audit_id],
            "merkle_hash": pa.array([page.merkle_hash], pa.string()),
            "create_time": pa.array([page.create_time], pa.timestamp("ms", tz="UTC")),
            "create_time_ms": pa.array([page.create_time_ms], pa.int64()),
            "source_file": [str(path)],
            "file_sha256": [hashlib.sha256(raw).hexdigest()],
        }
    )
    units = "* replace ({})".format(
        ", ".join(f"cast({c} as hugeint) as {c}" for c in ("reserve_units", "exchange_reserve_units", "custody_reserve_units"))
        + ", cast(capital_ratio_value as decimal(38, 18)) as capital_ratio_value"
    )
    with transaction(con):
        stale = con.execute("select root_hash from proofs where snapshot_id = ?", [snapshot_id]).fetchall()
        dropped = stale[0][0] if stale and normalize_hash(stale[0][0]) != normalize_hash(page.merkle_hash) else None
        if dropped is not None:
            con.execute("delete from proofs where snapshot_id = ?", [snapshot_id])
        # the earlier page's liabilities go too, also for assets this page does not list
        con.execute("delete from liabilities where snapshot_id = ? and source similar to ?", [snapshot_id, "[a-z0-9_]+-audit:.*"])
        replace_liabilities(con, snapshot_id, liabilities)
        con.execute("delete from audit_claims where snapshot_id = ?", [snapshot_id])
        if claims.num_rows:
            append_arrow(con, "audit_claims", claims, select=units)
        con.execute("delete from audits where snapshot_id = ?", [snapshot_id])
        append_arrow(con, "audits", audit)
        if dropped is None:
            con.execute("update proofs set audit_id = ? where snapshot_id = ?", [page.audit_id, snapshot_id])
    return AuditLoad(page, dropped)


# ------------------------------------------------------------------------------------------ loading a proof
@dataclass(frozen=True)
class ProofLoad:
    proof: LiabilityProof
    audit_id: str
    verdict: ProofCheck


def load_proof(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    snapshot_id: int,
    proof: LiabilityProof,
    fmt: LiabilityFormat,
    *,
    verifier_setting: str | None = None,
    on_tick: Callable[[float], None] | None = None,
) -> ProofLoad:
    """Bind the proof's root to the snapshot's audit page, run the format's verifier if one is installed, store one row.

    Refused (nothing written) when the snapshot has no page, the page has no
    merkle hash, or the root differs from it: both values are in the sentence.
    """
    verifier = fmt.find_verifier(verifier_setting) if fmt.find_verifier is not None else None
    page = con.execute("select audit_id, merkle_hash from audits where snapshot_id = ?", [snapshot_id]).fetchall()
    if not page:
        raise LiabilityError(f"snapshot {snapshot_id} has no audit page to bind the proof to: load the page first (por liabilities audit.json)")
    audit_id, merkle = page[0]
    if not merkle:
        raise LiabilityError(f"audit {audit_id} (snapshot {snapshot_id}) has no merkleHash, so the proof's root {proof.root_hash} cannot be bound to it")
    if normalize_hash(merkle) != proof.root_hash:
        raise LiabilityError(
            f"the proof's root hash {proof.root_hash} does not equal merkleHash {merkle} of audit {audit_id} (snapshot {snapshot_id})"
        )
    if verifier is None or fmt.run_verifier is None:
        verdict = ProofCheck(PROOF_NOT_VERIFIED)
    else:
        verdict = fmt.run_verifier(verifier, Path(path), proof, on_tick)
    row = pa.table(
        {
            "snapshot_id": pa.array([snapshot_id], pa.int32()),
            "audit_id": [audit_id],
            "source_file": [proof.source],
            "file_sha256": [hashlib.sha256(proof.data).hexdigest()],
            "round_num": pa.array([proof.round_num], pa.int64()),
            "root_hash": [proof.root_hash],
            "equity_sum": [str(proof.equity_sum)],
            "debt_sum": [str(proof.debt_sum)],
            "balance_sum": [str(proof.balance_sum)],
            "public_inputs": [json.dumps(list(proof.public_inputs))],
            "verifier": pa.array([verdict.verifier], pa.string()),
            "verifier_status": [verdict.status],
            "verifier_exit_code": pa.array([verdict.exit_code], pa.int32()),
            "verifier_output": pa.array([verdict.output], pa.string()),
        }
    )
    sums = "* replace ({})".format(", ".join(f"cast({c} as hugeint) as {c}" for c in ("equity_sum", "debt_sum", "balance_sum")))
    with transaction(con):
        con.execute("delete from proofs where snapshot_id = ?", [snapshot_id])
        append_arrow(con, "proofs", row, select=sums)
    return ProofLoad(proof, audit_id, verdict)


def proof_status(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> str:
    """One line for ``por report``: which proof checks ran for this snapshot, and what they said, in the words of
    the snapshot's exchange plugin (``proof_status``) where it has its own."""
    audit = con.execute("select audit_id from audits where snapshot_id = ?", [snapshot_id]).fetchall()
    proof = con.execute(
        "select audit_id, verifier_status, verifier, verifier_exit_code, verifier_output from proofs where snapshot_id = ?", [snapshot_id]
    ).fetchall()
    exchange = con.execute("select exchange from snapshots where snapshot_id = ?", [snapshot_id]).fetchall()
    state = ProofState(
        audit_id=audit[0][0] if audit else None,
        proof=ProofCheck(proof[0][1], proof[0][2], proof[0][3], proof[0][4]) if proof else None,
        proof_audit_id=proof[0][0] if proof else None,
    )
    plugin = exchange_plugins().get((exchange[0][0] or "").lower()) if exchange else None
    if plugin is not None and plugin.proof_status is not None:
        return plugin.proof_status(state)
    if state.proof is None:
        return "proof: no proof loaded" + (f" (audit {state.audit_id} page loaded)" if state.audit_id else "")
    return f"proof: root bound to audit {state.proof_audit_id}; verifier: {state.proof.status}"


# ------------------------------------------------------------------------------------------ one entry point
@dataclass(frozen=True)
class LiabilityLoad:
    kind: str  # csv | an exchange format's kind (merkle-v1, zk-proof, ...) | its audit page's source
    message: str  # one sentence for the user
    check_failed: str | None = None  # set when a check ran and said no (the data is stored; exit 1)


def _exchange_page(doc: Any) -> tuple[ExchangePlugin, AuditPage] | None:
    """(exchange plugin, AuditPage) for the exchange whose audit page this JSON is, or None."""
    if doc is None:
        return None
    for plugin in exchange_plugins().values():
        if plugin.audit_page is not None:
            page = plugin.audit_page(doc)
            if page is not None:
                return plugin, page
    return None


def _page_source(plugin: ExchangePlugin) -> str:
    return plugin.audit_source or f"{plugin.name}-audit"


def load_liability_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    snapshot_id: int,
    *,
    verifier_setting: str | None = None,
    on_tick: Callable[[float], None] | None = None,
) -> LiabilityLoad:
    """``por liabilities FILE``: route the file to its loader by what it is, not by its name.

    A proof an installed exchange publishes first (it binds to the page), then an exchange's audit page, then the
    totals formats and the ``asset,amount`` CSV (``load_liabilities``).
    """
    path = Path(path)
    raw = path.read_bytes()
    doc = None if zipfile.is_zipfile(path) else sniff_json(raw)
    found = read_exchange_file(path, raw, doc, proofs=True)
    if found is not None:
        plugin, fmt, proof = found
        result = load_proof(con, path, snapshot_id, proof, fmt, verifier_setting=verifier_setting, on_tick=on_tick)
        p, v = result.proof, result.verdict
        message = (
            f"snapshot {snapshot_id}: proof root {p.root_hash} bound to audit {result.audit_id} merkleHash; "
            f"equity_sum {p.equity_sum}, debt_sum {p.debt_sum}, balance_sum {p.balance_sum}; zk verifier: "
            + (v.status if v.verifier is None else f"{v.status} (exit {v.exit_code}: {v.output})")
        )
        failed = f"{plugin.name.upper()}'s verifier did not accept the proof (exit {v.exit_code}: {v.output})" if v.status == "failed" else None
        return LiabilityLoad(fmt.kind, message, failed)
    page_found = _exchange_page(doc)
    if page_found is not None:
        plugin, parsed = page_found
        loaded = load_audit_page(con, path, snapshot_id, doc, page=parsed, source_prefix=_page_source(plugin))
        page = loaded.page
        message = (
            f"snapshot {snapshot_id}: audit {page.audit_id} loaded: liabilities for {len(page.liabilities)} assets, "
            f"{plugin.name.upper()}'s claims for {len(page.claims)} assets"
        )
        if loaded.dropped_proof:
            message += f"; the proof with root {loaded.dropped_proof} no longer matches this page and was removed"
        return LiabilityLoad(_page_source(plugin), message)
    totals = load_liabilities(con, path, snapshot_id)
    return LiabilityLoad(totals.source, f"snapshot {snapshot_id}: liabilities for {', '.join(totals.amounts)} loaded from {totals.source}")
