"""OKX's audit page (SPEC §6.4): exact liabilities and OKX's own claims per asset, read from its JSON.

Since 2024 OKX publishes per-asset liabilities only on its audit page, as a JSON object of decimal strings with
up to 22 decimals; the core stores what this returns (``indexer.audit``) and binds OKX's zk proof to its
``merkleHash``.
"""

from __future__ import annotations

from typing import Any

from indexer.models import AuditPage, Claim, LiabilityError, json_text, percent_to_ratio

_CLAIM_FIELDS = {
    "reserve": "reserveBalances",
    "exchange_reserve": "exchangeReserveBalances",
    "custody_reserve": "custodyReserveBalances",
}


def audit_object(doc: Any) -> dict | None:
    """The page object itself, whether saved bare or wrapped as ``{"audit": {...}}``; None if it is not one."""
    if isinstance(doc, dict) and isinstance(doc.get("audit"), dict):
        doc = doc["audit"]
    if isinstance(doc, dict) and "auditId" in doc and "liabilityBalances" in doc:
        return doc
    return None


def _balances(doc: dict, field: str, *, required: bool = False) -> dict[str, str | None]:
    value = doc.get(field)
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or (required and not value):
        raise LiabilityError(f"the audit page's {field} is not an object of asset -> amount")
    out: dict[str, str | None] = {}
    for asset, amount in value.items():
        key = str(asset).strip().upper()
        if not key:
            raise LiabilityError(f"the audit page's {field} has an empty asset name")
        if key in out:
            raise LiabilityError(f"the audit page's {field} lists {key} twice")
        out[key] = json_text(amount, f"{field}.{asset}")
    return out


def _create_time_ms(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise LiabilityError(f"the audit page's createTime is {value!r}, not milliseconds since the epoch")
    return int(value)


def parse_audit_page(doc: Any) -> AuditPage:
    """Read the page object (bare or wrapped); LiabilityError with one sentence on anything malformed."""
    page = audit_object(doc)
    if page is None:
        raise LiabilityError("this JSON is not an OKX audit page (no 'auditId' and 'liabilityBalances')")
    audit_id = str(page["auditId"]).strip()
    if not audit_id or isinstance(page["auditId"], (bool, dict, list)):
        raise LiabilityError(f"the audit page's auditId is {page['auditId']!r}")
    merkle = page.get("merkleHash")
    if merkle is not None and not isinstance(merkle, str):
        raise LiabilityError(f"the audit page's merkleHash is {merkle!r}, not a string")
    liabilities = {a: v for a, v in _balances(page, "liabilityBalances", required=True).items() if v is not None}
    if not liabilities:
        raise LiabilityError("the audit page's liabilityBalances has no amounts")
    parts = {col: _balances(page, field) for col, field in _CLAIM_FIELDS.items()}
    ratios_raw = page.get("capitalRatio") or {}
    if not isinstance(ratios_raw, dict):
        raise LiabilityError("the audit page's capitalRatio is not an object of asset -> percentage")
    ratios = {str(a).strip().upper(): (str(v).strip() if v not in (None, "") else None) for a, v in ratios_raw.items()}
    claims: dict[str, Claim] = {}
    for asset in sorted(set(ratios).union(*parts.values())):
        written = ratios.get(asset)
        claims[asset] = Claim(
            reserve=parts["reserve"].get(asset),
            exchange_reserve=parts["exchange_reserve"].get(asset),
            custody_reserve=parts["custody_reserve"].get(asset),
            capital_ratio=written,
            ratio=percent_to_ratio(written, f"capitalRatio.{asset}") if written is not None else None,
        )
    return AuditPage(
        audit_id=audit_id,
        merkle_hash=(merkle.strip() or None) if merkle is not None else None,
        create_time_ms=_create_time_ms(page.get("createTime")),
        liabilities=liabilities,
        claims=claims,
    )
