"""OKX: its file layouts (11/12-column, audit, legacy 7-column, ETH staking; SPEC §1), its network table, its audit
page, its liability files (the Merkle v1 proof and v2 tree, the zk proof bound to the page and its verifier
zk-por-cli; SPEC §6), and the rules of its own checking tool (VerifyAddress: a blacklist, no scheme for ALGO, the ``okx-go``
variant of every scheme).

OKX's coin keys are the core registry's (``data/coins.csv``, the shared token registry), so this plugin adds
no coin map of its own; its ``networks.csv`` says how each Network cell is signed (SPEC §2.0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exchanges.okx.audit import audit_object, parse_audit_page
from exchanges.okx.layouts import ETH_STAKING_UNSIGNED, detect_detail_layout, summary_header_width
from exchanges.okx.merkle import MERKLE_V1, MERKLE_V2
from exchanges.okx.networks import overlay_family, scheme_of
from exchanges.okx.proof import ZK_PROOF, proof_status
from exchanges.okx.publication import publication
from indexer.models import AuditPage, Coin, Registry, SynthWritten, Verdict, header_names
from indexer.plugins import ExchangePlugin

# OKX's ETH staking file names each validator, its amount and its withdrawal address, and signs nothing: its rows
# carry no proof to check (not a failed one). OKX's own VerifyAddress never reads that file, so both verdicts agree.
ETH_STAKING_NO_PROOF = Verdict(
    "unsupported",
    "no proof published: OKX's ETH staking file has no message or signature column (validator key, amount and withdrawal address only)",
)
# SPEC §2.1, §3.10: OKX's audit verifier keys on the network column and treats an unknown network as ECDSA under its
# header; its public-key path then proves the signature, never the address.
AUDIT_UNKNOWN_COIN = Coin(key="", asset="", network="", family="ECDSA", address_type="", header="OKX", decimals=None)
# SPEC §2.4: VerifyAddress skips these keys (counted neither verified nor failed).
OKX_BLACKLIST = frozenset({"EOS", "A", "RIPPLE", "USDT-ALGO"})
# Families for which OKX publishes no algorithm at all (SPEC §3.9).
NO_SCHEME = {"ALGO": "OKX publishes no signature scheme for this family (USDT-ALGO is unverifiable in its own tools)"}
# OKX's summary headers; HTX's ``coin,snapshot height,balance`` is read by OKX's layouts too but claimed by HTX.
_OWN_SUMMARY = {("coin", "snapshotheight", "amount"), ("coin", "amount")}


def recognise(records: list[list[str]]) -> bool:
    """OKX's summary header first, or any of its detail headers (a detail-only or audit file, the ETH staking file)."""
    for cells in records:
        if not any(c.strip() for c in cells):
            continue
        if header_names(cells) in _OWN_SUMMARY or detect_detail_layout(cells) is not None:
            return True
    return False


def audit_page(doc: Any) -> AuditPage | None:
    """OKX's audit page object (bare or ``{"audit": {...}}``) as an AuditPage, or None when it is not one."""
    return parse_audit_page(doc) if audit_object(doc) is not None else None


def synth(out: Path, rows: int, seed: int, registry: Registry, liabilities_out: Path | None = None, months: int | None = None) -> SynthWritten:
    """A synthetic OKX publication (``por synth``, the demo's input): real signatures by the installed schemes' signers.

    ``months`` writes a monthly series into the directory ``out``; ``liabilities_out`` an ``asset,amount`` file.
    """
    from exchanges.okx.synth import write_synth_file, write_synth_series  # signers load curve libraries: when asked

    if months is not None:
        series = write_synth_series(registry, Path(out), rows, months, seed)
        return SynthWritten(files=[p for p, _ in series], liabilities=[liab for _, liab in series], rows=rows * months)
    liabilities = Path(liabilities_out) if liabilities_out is not None else None
    counts = write_synth_file(registry, Path(out), rows, seed, liabilities)
    return SynthWritten(files=[Path(out)], liabilities=[liabilities] if liabilities else [], rows=sum(counts.values()), coin_keys=len(counts))


plugin = ExchangePlugin(
    name="okx",
    description="OKX: por_csv_<YYYYMMDDHH>_V<n>.zip (11/12-column, audit and legacy layouts), signatures of every family",
    recognise=recognise,
    layout=detect_detail_layout,
    summary_width=summary_header_width,
    audit_page=audit_page,
    audit_source="okx-audit",
    liability_files=(ZK_PROOF, MERKLE_V1, MERKLE_V2),
    publication=publication,
    proof_status=proof_status,
    constant_verdicts={ETH_STAKING_UNSIGNED: ETH_STAKING_NO_PROOF},
    network_keyed=True,
    network_scheme=scheme_of,
    row_family=overlay_family,
    tool_variant="okx-go",
    tool_skips=OKX_BLACKLIST,
    audit_unknown_coin=AUDIT_UNKNOWN_COIN,
    unverifiable=NO_SCHEME,
    own_tokens=("OKB",),
    synth=synth,
    demo=True,
)
