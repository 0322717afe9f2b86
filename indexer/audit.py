"""An exchange's audit page (read by its plugin) and OKX's zk proof: exact liabilities and claims per asset, and the proof bound to the page.

Why this module exists: since 2024 OKX publishes per-asset liabilities only on
its audit page (SPEC §6.4), as a JSON object of decimal strings with up to 22
decimals, and the liability archive holds just the zk proof's
``sum_proof_data.json`` (SPEC §6.2), whose public inputs carry the total
equity, total debt and the root hash of the liability tree. The page's
``merkleHash`` is the only link between the two, so a proof is accepted only
when its root equals the ``merkleHash`` of the page loaded for the same
snapshot; anything else is refused before a row is written.

Binding to a snapshot: a page is loaded for one snapshot (``--snapshot``,
default the latest) and is that snapshot's only page: loading another replaces
it, its claims, the liabilities an earlier page wrote, and drops a proof bound
to a different root. A proof is loaded for a snapshot that already has a page.

The cryptographic check is OKX's own verifier (``zk-por-cli verify-global``,
minutes to half an hour); we run it when it is installed and store what it
said, and otherwise store ``not verified (verifier not installed)``. We never
call a proof verified without running it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa

from indexer.ingest.amounts import split_decimal
from indexer.models import AuditPage, Claim, percent_to_ratio  # noqa: F401  (Claim, percent_to_ratio: re-exported for callers)
from indexer.liabilities import LiabilityError, hugeint_units, liability_table, load_liabilities, replace_liabilities, snapshot_scales
from indexer.exchange_plugins import exchange_plugins
from indexer.store import append_arrow, transaction

GOLDILOCKS_P = 2**64 - 2**32 + 1  # plonky2's field; public inputs are elements of it
PROOF_MEMBER = "sum_proof_data.json"  # zk-por-cli's GLOBAL_PROOF_FILENAME
VERIFIER_NAME = "zk-por-cli"
NOT_INSTALLED = "not verified (verifier not installed)"
AUDIT_SOURCE = "okx-audit"


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
    con: duckdb.DuckDBPyConnection, path: Path, snapshot_id: int, doc: Any = None, *, page: AuditPage | None = None, source_prefix: str = AUDIT_SOURCE
) -> AuditLoad:
    """Make this page the snapshot's page: its liabilities, claims and audit row, all in one transaction.

    ``page`` is an exchange plugin's reading of the JSON (Binance's ``snapshotDataList``); without it the
    file is read as OKX's page. ``source_prefix`` names the exchange's page in ``liabilities.source``.
    """
    raw = Path(path).read_bytes()
    if page is None:
        found = _exchange_page(_load_json(raw) if doc is None else doc)
        if found is None:
            raise LiabilityError("this JSON is no installed exchange plugin's audit page")
        plugin, page = found
        source_prefix = plugin.audit_source or f"{plugin.name}-audit"
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


# ------------------------------------------------------------------------------------------ the zk proof
@dataclass(frozen=True)
class SumProof:
    """What ``sum_proof_data.json`` states publicly (the proof itself is for OKX's verifier to check)."""

    round_num: int | None
    public_inputs: tuple[int, ...]
    equity_sum: int
    debt_sum: int
    root_hash: str

    @property
    def balance_sum(self) -> int:
        return self.equity_sum - self.debt_sum


def root_hash_hex(elements: list[int] | tuple[int, ...]) -> str:
    """zk-por-cli's printed root: each Goldilocks element as its canonical u64, little-endian, concatenated, hex."""
    return b"".join((e % GOLDILOCKS_P).to_bytes(8, "little") for e in elements).hex()


def is_sum_proof(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("proof"), dict) and "public_inputs" in doc["proof"]


def parse_sum_proof(doc: Any) -> SumProof:
    """Public inputs [0] equity, [1] debt, [2..6] root hash (zk-por-core's MerkleSumNodeTarget offsets)."""
    if not is_sum_proof(doc):
        raise LiabilityError("this JSON is not a zk proof's sum_proof_data.json (no proof.public_inputs)")
    inputs = doc["proof"]["public_inputs"]
    if not isinstance(inputs, list) or len(inputs) < 6:
        raise LiabilityError("the proof's public_inputs is not a list of at least 6 field elements")
    for i, v in enumerate(inputs):
        # an integer literal parses exactly in Python; a float or a string here is not a field element
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**64:
            raise LiabilityError(f"public_inputs[{i}] is {v!r}, not a u64 field element")
    general = doc.get("general")
    round_num = general.get("round_num") if isinstance(general, dict) else None
    if round_num is not None and (isinstance(round_num, bool) or not isinstance(round_num, int)):
        raise LiabilityError(f"general.round_num is {round_num!r}, not an integer")
    canonical = [v % GOLDILOCKS_P for v in inputs]
    return SumProof(
        round_num=round_num,
        public_inputs=tuple(inputs),
        equity_sum=canonical[0],
        debt_sum=canonical[1],
        root_hash=root_hash_hex(inputs[2:6]),
    )


def proof_bytes(path: Path) -> tuple[bytes, str]:
    """The bytes of ``sum_proof_data.json`` and where they came from (``FILE`` or ``ZIP!member``).

    Accepts the file itself or the ``por_<auditId>_proof_data.zip`` holding it.
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        return path.read_bytes(), str(path)
    with zipfile.ZipFile(path) as zf:
        members = [m for m in zf.infolist() if not m.is_dir() and PurePosixPath(m.filename).name == PROOF_MEMBER]
        if len(members) != 1:
            found = "none" if not members else ", ".join(m.filename for m in members)
            raise LiabilityError(f"the zip must hold exactly one {PROOF_MEMBER}; found {found}")
        return zf.read(members[0]), f"{path}!{members[0].filename}"


# ------------------------------------------------------------------------------------------ OKX's verifier
@dataclass(frozen=True)
class Verdict:
    status: str  # verified | failed | not verified (verifier not installed)
    verifier: str | None = None
    exit_code: int | None = None
    output: str | None = None  # the line that carries the result


def find_verifier(configured: str | None = None) -> str | None:
    """The verifier to run: the configured one (which must exist), else ``zk-por-cli`` on PATH, else None."""
    if configured:
        expanded = os.path.expanduser(configured)
        found = expanded if os.path.isfile(expanded) and os.access(expanded, os.X_OK) else shutil.which(expanded)
        if not found:
            raise LiabilityError(f"the configured proof verifier {configured} is not an executable file")
        return found
    return shutil.which(VERIFIER_NAME)


_RESULT_LINE = re.compile(r"^Execution result:\s*(\S.*)$")
_QUIT_PROMPT = "Press Enter to quit"


def run_verifier(verifier: str, proof_path: Path, on_tick: Callable[[float], None] | None = None) -> Verdict:
    """``zk-por-cli verify-global --proof-path FILE``, with its output kept and its verdict read from it.

    zk-por-cli's ``main`` prints ``Execution result: Ok(())`` or ``Execution result: Err(…)`` and
    exits 0 either way, then waits for Enter (``stdin().read_exact``, which panics on a closed
    stdin): so we send a newline, and call a proof verified only on exit 0 *and* an ``Ok`` result
    line. A panic (exit 101) or any other exit code is a failure. ``on_tick(seconds)`` is called
    about twice a second while it runs; Ctrl-C kills it and nothing is stored.
    """
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            [verifier, "verify-global", "--proof-path", str(proof_path)],
            stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            assert proc.stdin is not None
            try:
                proc.stdin.write(b"\n")
                proc.stdin.close()
            except BrokenPipeError:
                pass
            start = time.monotonic()
            while True:
                try:
                    code = proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    if on_tick:
                        on_tick(time.monotonic() - start)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        lines = [ln.strip() for ln in out.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    results = [m.group(1) for ln in lines if (m := _RESULT_LINE.match(ln))]
    shown = [ln for ln in lines if not ln.startswith(_QUIT_PROMPT)]
    line = f"Execution result: {results[-1]}" if results else (shown[-1] if shown else "(no output)")
    ok = code == 0 and bool(results) and results[-1].startswith("Ok(")
    return Verdict("verified" if ok else "failed", verifier, code, line[:500])


# ------------------------------------------------------------------------------------------ loading a proof
@dataclass(frozen=True)
class ProofLoad:
    proof: SumProof
    audit_id: str
    verdict: Verdict


def load_proof(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    snapshot_id: int,
    *,
    verifier: str | None = None,
    on_tick: Callable[[float], None] | None = None,
    doc: Any = None,
) -> ProofLoad:
    """Parse the proof, bind its root to the snapshot's audit page, run the verifier if given, store one row.

    Refused (nothing written) when the snapshot has no page, the page has no
    merkleHash, or the root differs from it: both values are in the sentence.
    """
    data, source = proof_bytes(path)
    proof = parse_sum_proof(_load_json(data) if doc is None else doc)
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
    if verifier is None:
        verdict = Verdict(NOT_INSTALLED)
    elif zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="por-proof-") as tmp:
            extracted = Path(tmp) / PROOF_MEMBER
            extracted.write_bytes(data)
            verdict = run_verifier(verifier, extracted, on_tick)
    else:
        verdict = run_verifier(verifier, Path(path), on_tick)
    row = pa.table(
        {
            "snapshot_id": pa.array([snapshot_id], pa.int32()),
            "audit_id": [audit_id],
            "source_file": [source],
            "file_sha256": [hashlib.sha256(data).hexdigest()],
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
    """One line for ``por report``: which proof checks ran for this snapshot, and what they said."""
    audit = con.execute("select audit_id from audits where snapshot_id = ?", [snapshot_id]).fetchall()
    proof = con.execute(
        "select audit_id, verifier_status, verifier_exit_code, verifier_output from proofs where snapshot_id = ?", [snapshot_id]
    ).fetchall()
    if not proof:
        if not audit:
            return "proof: no audit page or zk proof loaded; zk verifier: not run"
        return f"proof: audit {audit[0][0]} page loaded, no zk proof loaded (merkleHash not bound); zk verifier: not run"
    audit_id, status, code, output = proof[0]
    if status == "verified":
        zk = f"passed ({output})"
    elif status == "failed":
        zk = f"FAILED (exit {code}: {output})"
    else:
        zk = "not installed" if status == NOT_INSTALLED else status
    return f"proof: root bound to audit {audit_id} merkleHash; zk verifier: {zk}"


# ------------------------------------------------------------------------------------------ one entry point
@dataclass(frozen=True)
class LiabilityLoad:
    kind: str  # csv | merkle-v1 | merkle-v2 | okx-audit | zk-proof
    message: str  # one sentence for the user
    check_failed: str | None = None  # set when a check ran and said no (the data is stored; exit 1)


def _load_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_float=Decimal, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise LiabilityError("the file is not UTF-8 text") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise LiabilityError(f"the JSON is malformed: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _exchange_page(doc: Any):
    """(exchange plugin, AuditPage) for the exchange whose audit page this JSON is, or None."""
    if doc is None:
        return None
    for plugin in exchange_plugins().values():
        if plugin.audit_page is not None:
            page = plugin.audit_page(doc)
            if page is not None:
                return plugin, page
    return None


def _sniff_json(path: Path) -> Any:
    """The parsed document when the file is JSON, else None (CSV and tree files go to the older loader)."""
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return _load_json(Path(path).read_bytes()) if head.startswith(b"{") else None


def load_liability_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    snapshot_id: int,
    *,
    verifier_setting: str | None = None,
    on_tick: Callable[[float], None] | None = None,
) -> LiabilityLoad:
    """``por liabilities FILE``: route the file to its loader by what it is, not by its name."""
    path = Path(path)
    doc = None if zipfile.is_zipfile(path) else _sniff_json(path)
    if zipfile.is_zipfile(path) or is_sum_proof(doc):
        result = load_proof(con, path, snapshot_id, verifier=find_verifier(verifier_setting), on_tick=on_tick, doc=doc)
        p, v = result.proof, result.verdict
        message = (
            f"snapshot {snapshot_id}: proof root {p.root_hash} bound to audit {result.audit_id} merkleHash; "
            f"equity_sum {p.equity_sum}, debt_sum {p.debt_sum}, balance_sum {p.balance_sum}; zk verifier: "
            + (v.status if v.verifier is None else f"{v.status} (exit {v.exit_code}: {v.output})")
        )
        failed = f"OKX's verifier did not accept the proof (exit {v.exit_code}: {v.output})" if v.status == "failed" else None
        return LiabilityLoad("zk-proof", message, failed)
    found = _exchange_page(doc)
    if found is not None:
        plugin, parsed = found
        loaded = load_audit_page(con, path, snapshot_id, doc, page=parsed, source_prefix=plugin.audit_source or f"{plugin.name}-audit")
        page = loaded.page
        message = (
            f"snapshot {snapshot_id}: audit {page.audit_id} loaded: liabilities for {len(page.liabilities)} assets, "
            f"{plugin.name.upper()}'s claims for {len(page.claims)} assets"
        )
        if loaded.dropped_proof:
            message += f"; the proof with root {loaded.dropped_proof} no longer matches this page and was removed"
        return LiabilityLoad(plugin.audit_source or f"{plugin.name}-audit", message)
    totals = load_liabilities(con, path, snapshot_id)
    return LiabilityLoad(totals.source, f"snapshot {snapshot_id}: liabilities for {', '.join(totals.amounts)} loaded from {totals.source}")
