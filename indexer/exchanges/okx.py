"""OKX: the core's own layouts (``indexer/ingest/layouts.py``, SPEC §1), ``data/coins.csv`` and OKX's audit page.

OKX was the first exchange, so the core reads its files without help: this plugin only names it, claims
nothing specific (a file no other plugin recognises is read as OKX's) and routes OKX's audit page JSON.
"""

from __future__ import annotations

from typing import Any

from indexer.exchanges.base import ExchangePlugin
from indexer.ingest.layouts import ETH_STAKING_UNSIGNED
from indexer.models import Verdict

# OKX's ETH staking file names each validator, its amount and its withdrawal address, and signs nothing: its rows
# carry no proof to check (not a failed one). OKX's own VerifyAddress never reads that file, so both verdicts agree.
ETH_STAKING_NO_PROOF = Verdict(
    "unsupported",
    "no proof published: OKX's ETH staking file has no message or signature column (validator key, amount and withdrawal address only)",
)


def audit_page(doc: Any):
    """OKX's audit page object (bare or ``{"audit": {...}}``) as an AuditPage, or None when it is not one."""
    from indexer.audit import audit_object, parse_audit_page

    return parse_audit_page(doc) if audit_object(doc) is not None else None


plugin = ExchangePlugin(
    name="okx",
    description="OKX: por_csv_<YYYYMMDDHH>_V<n>.zip (11/12-column, audit and legacy layouts), signatures of every family",
    recognise=lambda records: True,  # the fallback; never asked by ``recognise`` for itself
    audit_page=audit_page,
    audit_source="okx-audit",
    constant_verdicts={ETH_STAKING_UNSIGNED: ETH_STAKING_NO_PROOF},
)
