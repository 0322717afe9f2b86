"""OKX's file layouts, recognised from their header text (SPEC §1), never from column counts.

Column counts lie: trailing empty cells are often dropped and the 11- and
12-column layouts differ by one inserted column, so the header names decide.
"""

from __future__ import annotations

from indexer.models import Layout, header_names, normalise_header_cell

# Normalised header text -> canonical field name.
_ALIASES: dict[str, str] = {
    "coin": "coin",
    "type": "row_type",
    "network": "network",
    "snapshotheight": "snapshot_height",
    "address": "address",
    "amount": "amount",
    "balance": "amount",
    "message": "message",
    "signature1": "signature1",
    "signature2": "signature2",
    "redeemscript/publickey": "script_or_pubkey",
    "redeemscript": "script_or_pubkey",
    "publickey": "script_or_pubkey",
    "eoa1": "eoa1",
    "eoa2": "eoa2",
    # audit layout
    "digitalasset": "asset",
    "signedmessage": "signature1",
    "signedmessage2": "signature2",
    "owner1": "eoa1",
    "owner2": "eoa2",
    "status": "audit_status",
}

# The summary section's header: three columns (2022 files, HTX writes ``balance``) or, in today's OKX
# files, two (``coin,amount``: one row per asset, no height; SPEC §1.1a).
_SUMMARY_HEADERS = {
    ("coin", "snapshotheight", "amount"): 3,
    ("coin", "snapshotheight", "balance"): 3,
    ("coin", "amount"): 2,
}


def summary_header_width(cells: list[str]) -> int | None:
    """3 or 2 when ``cells`` is a summary-section header, else None."""
    return _SUMMARY_HEADERS.get(header_names(cells))  # a trailing comma adds nothing


def detect_detail_layout(cells: list[str]) -> Layout | None:
    """The layout this header announces, or None when it is not a PoR header at all."""
    names = [normalise_header_cell(c) for c in cells]
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        field = _ALIASES.get(name)
        if field and field not in columns:
            columns[field] = i
    fields = set(columns)
    if {"asset", "network", "address", "signature1", "message"} <= fields and "digitalasset" in names:
        required = ("asset", "network", "address")
        # Rows may omit the optional owner/status cells; the public key is the last one needed (SPEC §1.3).
        return Layout("audit", columns, len(names), required, min_cells=columns["script_or_pubkey"] + 1 if "script_or_pubkey" in columns else 7)
    if not {"coin", "address", "amount", "message", "signature1"} <= fields:
        return detect_eth_staking_layout(names)
    if "snapshot_height" in fields:
        name = "detail12" if "row_type" in fields else "detail11"
        last_needed = columns["signature1"]
        return Layout(name, columns, len(names), ("coin", "address", "amount"), min_cells=last_needed + 1)
    return Layout(
        "legacy7", columns, len(names), ("coin", "address", "amount"), min_cells=columns["signature1"] + 1, amounts_in_base_units=True
    )


# OKX's separate ETH staking file (``okx_por_eth_staking_<YYYYMMDDHH>[_V<n>].csv``, a member of the wallet archive).
# Its header, as the public third-party readers of that file read it (docs/ingest.md, "OKX's ETH staking file"), is
# ``deposit address,validator publickey,amount,withdrawal address``: no coin, height, message or signature
# column. Every row is a native ETH validator: the validator key is the row's address (its balance is on the
# beacon chain), the withdrawal address is the owner EOA (EOA1). The deposit address is not kept.
_ETH_STAKING_COLUMNS = {"validatorpublickey": "address", "amount": "amount", "withdrawaladdress": "eoa1"}
_ETH_STAKING_HEADER = frozenset({"depositaddress", "validatorpublickey", "amount", "withdrawaladdress"})
ETH_STAKING_FIXED = (("coin", "ETH"), ("row_type", "Native ETH Staking"))
# The family of its rows when the file carries no signature: one verdict for all (exchanges/okx/__init__.py).
ETH_STAKING_UNSIGNED = "OKX-ETH-STAKING-UNSIGNED"


def detect_eth_staking_layout(names: list[str]) -> Layout | None:
    """The layout of OKX's ETH staking file from its normalised header cells, or None when it is not one.

    Cells with the core's usual names (``message``, ``signature1``, ``snapshot height``, ...) are read too, so
    a later version that adds a signature is verified as an ordinary staking row (EOA1 signs) instead of
    being declared unsigned.
    """
    if not _ETH_STAKING_HEADER <= set(names):
        return None
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        field = _ETH_STAKING_COLUMNS.get(name) or _ALIASES.get(name)
        if field and field not in columns:
            columns[field] = i
    width = len(names)
    fixed = tuple((field, text) for field, text in ETH_STAKING_FIXED if field not in columns)
    for k, (field, _) in enumerate(fixed):
        columns[field] = width + k
    last_needed = max(columns[f] for f in ("address", "amount", "eoa1"))
    family = "" if "signature1" in columns else ETH_STAKING_UNSIGNED
    return Layout("eth_staking", columns, width, ("address", "amount"), min_cells=last_needed + 1, fixed=fixed, family=family)
