"""OKX's zk proof of liabilities (SPEC §6.2): ``sum_proof_data.json`` (alone or in ``por_<auditId>_proof_data.zip``),
its public statement, and OKX's own verifier ``zk-por-cli``.

The liability archive holds just the zk-STARK/Plonky2 proof, whose public inputs carry the total equity, the total
debt and the root hash of the liability tree. The audit page's ``merkleHash`` is the only link between the two, so
the core accepts a proof only when its root equals the ``merkleHash`` of the page loaded for the same snapshot.

The cryptographic check is OKX's verifier (``zk-por-cli verify-global``, minutes to half an hour); the core runs it
through ``run_verifier`` when it is installed and stores what it said, and otherwise stores "not verified (verifier
not installed)". A proof is never called verified without running it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from indexer.models import PROOF_NOT_VERIFIED, LiabilityError, LiabilityProof, ProofCheck, ProofState, parse_json
from indexer.plugins import LiabilityFormat

GOLDILOCKS_P = 2**64 - 2**32 + 1  # plonky2's field; public inputs are elements of it
PROOF_MEMBER = "sum_proof_data.json"  # zk-por-cli's GLOBAL_PROOF_FILENAME
VERIFIER_NAME = "zk-por-cli"


def root_hash_hex(elements: list[int] | tuple[int, ...]) -> str:
    """zk-por-cli's printed root: each Goldilocks element as its canonical u64, little-endian, concatenated, hex."""
    return b"".join((e % GOLDILOCKS_P).to_bytes(8, "little") for e in elements).hex()


def is_sum_proof(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("proof"), dict) and "public_inputs" in doc["proof"]


def parse_sum_proof(doc: Any, data: bytes = b"", source: str = "") -> LiabilityProof:
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
    return LiabilityProof(
        root_hash=root_hash_hex(inputs[2:6]),
        round_num=round_num,
        public_inputs=tuple(inputs),
        equity_sum=canonical[0],
        debt_sum=canonical[1],
        data=data,
        source=source,
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


def read_proof(path: Path, raw: bytes, doc: Any) -> LiabilityProof | None:
    """Any zip (it must hold the proof), or a JSON with ``proof.public_inputs``; None for anything else."""
    if not (zipfile.is_zipfile(path) or is_sum_proof(doc)):
        return None
    data, source = proof_bytes(path)
    return parse_sum_proof(parse_json(data) if doc is None else doc, data, source)


# ------------------------------------------------------------------------------------------ OKX's verifier
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


def run_verifier(verifier: str, proof_path: Path, on_tick: Callable[[float], None] | None = None) -> ProofCheck:
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
    return ProofCheck("verified" if ok else "failed", verifier, code, line[:500])


def verify_proof(verifier: str, path: Path, proof: LiabilityProof, on_tick: Callable[[float], None] | None = None) -> ProofCheck:
    """Run the verifier on the proof file itself, or on a copy of the member a zip holds (removed afterwards)."""
    if not zipfile.is_zipfile(path):
        return run_verifier(verifier, Path(path), on_tick)
    with tempfile.TemporaryDirectory(prefix="por-proof-") as tmp:
        extracted = Path(tmp) / PROOF_MEMBER
        extracted.write_bytes(proof.data)
        return run_verifier(verifier, extracted, on_tick)


def proof_status(state: ProofState) -> str:
    """One line for ``por report``: which proof checks ran for this snapshot, and what they said."""
    if state.proof is None:
        if state.audit_id is None:
            return "proof: no audit page or zk proof loaded; zk verifier: not run"
        return f"proof: audit {state.audit_id} page loaded, no zk proof loaded (merkleHash not bound); zk verifier: not run"
    check = state.proof
    if check.status == "verified":
        zk = f"passed ({check.output})"
    elif check.status == "failed":
        zk = f"FAILED (exit {check.exit_code}: {check.output})"
    else:
        zk = "not installed" if check.status == PROOF_NOT_VERIFIED else check.status
    return f"proof: root bound to audit {state.proof_audit_id} merkleHash; zk verifier: {zk}"


ZK_PROOF = LiabilityFormat(
    "zk-proof",
    f"a zk proof's {PROOF_MEMBER} (or its zip)",
    read_proof,
    find_verifier=find_verifier,
    run_verifier=verify_proof,
)
