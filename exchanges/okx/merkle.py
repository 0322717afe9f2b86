"""OKX's Merkle liability files (SPEC §6.3): the v1 proof of one user's leaf up to the root, and the v2 full tree.

v1 (``merkle_proof_file.json``): the leaf hash is sha256(nonce ‖ balances JSON), each parent hashes both children,
their summed balances (rounded down to 8 dp) and its height; the root's balances are the totals. v2 (one line per
node, ``hash,height,{balances}``): the totals are the sum of the height-1 leaves, which must equal the single top node.
A file that does not check out is refused as a whole (LiabilityError).
"""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from indexer.models import AmountError, LiabilityError, LiabilityTotals, split_decimal
from indexer.plugins import LiabilityFormat

MERKLE_ASSETS = ("BTC", "ETH", "USDT")
_EIGHT_DP = Decimal("0.00000001")


def _merkle_text(value: Decimal) -> str:
    """OKX formats the summed balances rounded down to 8 dp without trailing zeros."""
    return format(value.quantize(_EIGHT_DP, rounding=ROUND_DOWN).normalize(), "f")


def _decimal(text: str, where: str) -> Decimal:
    try:
        split_decimal(text)
    except AmountError as exc:
        raise LiabilityError(f"{where}: {exc}") from None
    return Decimal(text)


def verify_merkle_v1(doc: dict) -> dict[str, str]:
    """Hash the user's leaf up the path; return the root balances when every hash matches."""
    try:
        me, path = doc["self"], doc["path"]
        balances = {a: _decimal(me["balances"][a], "self") for a in MERKLE_ASSETS}
        leaf_json = json.dumps({a: me["balances"][a] for a in MERKLE_ASSETS}, separators=(",", ":"))
        if hashlib.sha256((me["nonce"] + leaf_json).encode()).hexdigest() != me["hash"]:
            raise LiabilityError("the leaf hash does not match sha256(nonce + balances)")
        current = me["hash"]
        if path and path[0]["type"] == me["type"]:
            raise LiabilityError("the first path node is on the same side as the leaf")
        for i, node in enumerate(path[:-1]):
            sibling = {a: _decimal(node["balances"][a], f"path[{i}]") for a in MERKLE_ASSETS}
            balances = {a: balances[a] + sibling[a] for a in MERKLE_ASSETS}
            left, right = (node["hash"], current) if node["type"] == 1 else (current, node["hash"])
            height = 2 if i == 0 else node["height"] + 1
            text = left + right + "".join(_merkle_text(balances[a]) for a in MERKLE_ASSETS) + str(height)
            current = hashlib.sha256(text.encode()).hexdigest()
        root = path[-1]
    except (KeyError, TypeError, IndexError) as exc:
        raise LiabilityError(f"the Merkle proof file lacks a field: {exc}") from None
    if current != root["hash"]:
        raise LiabilityError(f"the path hashes to {current}, not to the root {root['hash']}")
    for a in MERKLE_ASSETS:
        if _decimal(root["balances"][a], "root").quantize(_EIGHT_DP) != balances[a].quantize(_EIGHT_DP, rounding=ROUND_DOWN):
            raise LiabilityError(f"the root's {a} balance does not equal the sum along the path")
    return {a: root["balances"][a] for a in MERKLE_ASSETS}


def verify_merkle_v2(text: str) -> dict[str, str]:
    """Sum the height-1 leaves; the single top node must carry the same totals."""
    sums = {a: Decimal(0) for a in MERKLE_ASSETS}
    top: tuple[int, dict[str, str]] | None = None
    tops = 0
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            _hash, height_text, balances_json = line.split(",", 2)
            height = int(height_text)
            balances = json.loads(balances_json)
            values = {a: _decimal(balances[a], f"line {line_no}") for a in MERKLE_ASSETS}
        except (ValueError, KeyError) as exc:
            raise LiabilityError(f"line {line_no} is not 'hash,height,{{balances}}': {exc}") from None
        if height == 1:
            for a in MERKLE_ASSETS:
                sums[a] += values[a]
        if top is None or height > top[0]:
            top, tops = (height, balances), 1
        elif height == top[0]:
            tops += 1
    if top is None:
        raise LiabilityError("the tree file is empty")
    if tops != 1:
        raise LiabilityError(f"the tree has {tops} nodes at its top height, not one root")
    for a in MERKLE_ASSETS:
        if Decimal(top[1][a]) != sums[a]:
            raise LiabilityError(f"the root's {a} ({top[1][a]}) is not the sum of the leaves ({sums[a]})")
    return {a: format(sums[a].normalize(), "f") if sums[a] else "0" for a in MERKLE_ASSETS}


def read_v1(path: Path, raw: bytes, doc: Any) -> LiabilityTotals | None:
    """A JSON with ``self`` and ``path``; its balances re-read as written (strings, never Decimal objects)."""
    if not (isinstance(doc, dict) and "path" in doc and "self" in doc):
        return None
    return LiabilityTotals("merkle-v1", verify_merkle_v1(json.loads(raw.decode("utf-8-sig"))))


def read_v2(path: Path, raw: bytes, doc: Any) -> LiabilityTotals | None:
    """A text whose first line is ``hash,height,{…}``."""
    if doc is not None:
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None  # the core says the file is not text
    first = text.lstrip().split("\n", 1)[0]
    if first.count(",") >= 2 and first.split(",", 2)[2].lstrip().startswith("{"):
        return LiabilityTotals("merkle-v2", verify_merkle_v2(text))
    return None


MERKLE_V1 = LiabilityFormat("merkle-v1", "a Merkle liability proof (v1 'self'+'path')", read_v1)
MERKLE_V2 = LiabilityFormat("merkle-v2", "a Merkle liability tree (v2 'hash,height,{balances}' lines)", read_v2)
