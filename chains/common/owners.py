"""Which (signature, address) pairs a row asks to be checked, and what passing them proves (SPEC §1.6, §3.10).

OKX lets an EOA "owner" sign for an address it cannot sign as (a contract, a
multisig, a validator key). The Go tool passes such rows on the owners'
signatures alone; the strict verdict must say that the claimed address itself
was never tied to a key, so the plan returns that gap next to the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from indexer.models import SignedRow, Verdict

# Audit-layout owner columns treat only these as absent (SPEC §1.5); VerifyAddress only "".
_AUDIT_ABSENT = ("", "null")


@dataclass(frozen=True, slots=True)
class Check:
    label: str  # how the reason names this pair ("" for the plain address check)
    signature: str
    claimed: str


@dataclass(frozen=True, slots=True)
class Plan:
    checks: tuple[Check, ...]
    gap: str = ""  # non-empty: every check passing still leaves the row's address unproven (why)
    note: str = ""  # something the strict verdict should mention even when verified
    error: str = ""  # the row cannot be checked at all (missing required cell)


def raw_cell(row: SignedRow, name: str) -> str:
    """The cell as published (OKX's own tool sees null markers as text); normalised value otherwise."""
    value = row.raw.get(name)
    return getattr(row, name) if value is None else value


def _row_kind(row: SignedRow) -> str:
    return row.row_type.strip().lower()


def _short(text: str) -> str:
    return text if len(text) <= 20 else f"{text[:12]}…{text[-6:]}"


def plan_checks(row: SignedRow, compat: bool, *, audit_owners: bool, same: Callable[[str, str], bool]) -> Plan:
    """The checks for one EVM/ECDSA row.

    ``audit_owners``: whether this family honours owner1/owner2 in the audit layout
    (EVM does, OKX-ECDSA does not). ``same(a, b)``: whether two address strings
    name the same account (decides whether an owner *is* the row's address).
    """
    if compat:
        if row.audit:
            def cell(name: str) -> str:
                return raw_cell(row, name).strip()
        else:
            def cell(name: str) -> str:
                return raw_cell(row, name)
    else:
        def cell(name: str) -> str:
            return getattr(row, name)

    address, sig1 = cell("address"), cell("signature1")
    for name, value in (("address", address), ("message", cell("message")), ("signature1", sig1)):
        if value == "":
            return Plan((), error=f"{name} is empty")

    if row.audit:
        if not audit_owners:
            return Plan((Check("", sig1, address),))
        owner1, owner2, sig2 = cell("eoa1"), cell("eoa2"), cell("signature2")
        present = (lambda v: v not in _AUDIT_ABSENT) if compat else bool
        checks = [Check("signature1 by owner1" if present(owner1) else "", sig1, owner1 if present(owner1) else address)]
        note = ""
        if present(owner2) and present(sig2):
            checks.append(Check("signature2 by owner2", sig2, owner2))
        elif present(owner2):
            note = f"owner2 {owner2} listed without signedMessage2; not checked"
        return Plan(tuple(checks), gap=_gap(address, checks, same, ""), note=note)

    eoa1, eoa2, kind = cell("eoa1"), cell("eoa2"), _row_kind(row)
    if kind == "eigenlayer staking":
        eoa2 = ""  # the EigenPod contract sits in EOA2 and cannot sign (SPEC §1.6)
    if eoa1 and eoa2:
        checks = [Check("signature1 by EOA1", sig1, eoa1), Check("signature2 by EOA2", cell("signature2"), eoa2)]
    elif eoa1:
        checks = [Check("signature1 by EOA1", sig1, eoa1)]
    else:
        checks = [Check("", sig1, address)]
    note = f"EOA2 {cell('eoa2')} given without EOA1; OKX ignores it" if cell("eoa2") and not eoa1 and kind != "eigenlayer staking" else ""
    return Plan(tuple(checks), gap=_gap(address, checks, same, kind, row.eoa2), note=note)


def _gap(address: str, checks: list[Check], same: Callable[[str, str], bool], kind: str, pod: str = "") -> str:
    owners = [c.claimed for c in checks if c.label]
    if not owners or any(same(address, o) for o in owners):
        return ""
    signed = f"owner EOA {owners[0]} signed" if len(owners) == 1 else f"owner EOAs {', '.join(owners)} signed"
    if kind == "native eth staking":
        return f"{signed}; validator key {_short(address)} is not linked to it by the file (withdrawal credentials are on-chain)"
    if kind == "eigenlayer staking":
        pod_text = f"; EigenPod {pod} is a contract and was not checked" if pod else ""
        return f"{signed}; validator key {_short(address)} is not linked to it by the file{pod_text}"
    return f"{signed}; ownership of {_short(address)} (contract/multisig) not provable from the file"


def run_plan(plan: Plan, compat: bool, check: Callable[[str, str], str]) -> Verdict:
    """Apply ``check(signature, claimed) -> problem or ''`` to every pair; fold into a Verdict."""
    if plan.error:
        return Verdict("failed", plan.error)
    for c in plan.checks:
        problem = check(c.signature, c.claimed)
        if problem:
            return Verdict("failed", f"{c.label}: {problem}" if c.label else problem)
    if compat:
        return Verdict("verified")
    if plan.gap:
        return Verdict("signature_only", plan.gap + (f"; {plan.note}" if plan.note else ""))
    return Verdict("verified", plan.note)
