"""The runner's judge (``indexer.fetch.judge``) as a table: what one adapter result becomes in ``balances``.

Each row is one result an adapter could return for a request at the snapshot block (or at the tip),
and what the runner must store: the method, and whether it is an error row (with the words of the
reason). The rows cover the three rules a snapshot figure relies on: an ok value names its method
(never filled in from the adapter's declared list), a value obtained for the snapshot block names the
block it is valid at, and that block is not after the snapshot block wherever the adapter's block
reference counts on the asked block's counter.
"""

from __future__ import annotations

import pytest

from indexer.fetch.judge import judge
from indexer.models import BalanceRequest, BalanceResult
from indexer.plugins import AdapterCapabilities, BlockReference, plugins

R = BlockReference
ASKED = 1_000
COMPARABLE = [R.HEIGHT, R.SLOT, R.LEDGER_INDEX, R.MASTERCHAIN_SEQNO, R.EPOCH, R.CHECKPOINT]


def result(units: int | None, block: int | None, method: str, error: str = "", note: str = "") -> BalanceResult:
    return BalanceResult(BalanceRequest("addr", "", ASKED), units, block, error=error, source="test", method=method, note=note)


# (at, reference, result, stored method, None = ok row / words of the error)
TABLE = [
    # values for the snapshot block, at the block asked or before it: ok, for every reference
    *[("snapshot", ref, result(5, ASKED, "state_at_height"), "state_at_height", None) for ref in R],
    ("snapshot", R.HEIGHT, result(5, ASKED - 1, "state_at_height"), "state_at_height", None),
    ("snapshot", R.SLOT, result(5, ASKED, "replayed"), "replayed", None),
    ("snapshot", R.HEIGHT, result(5, ASKED, "dump"), "dump", None),
    ("snapshot", R.EPOCH, result(0, ASKED, "state_at_height"), "state_at_height", None),
    # one block later: refused for every comparable reference (DOT's height, FIL's epoch, TON's seqno included)
    *[("snapshot", ref, result(5, ASKED + 1, "state_at_height"), "state_at_height", f"valid at {ref.label} 1,001, after the snapshot {ref.label} 1,000") for ref in COMPARABLE],
    ("snapshot", R.SLOT, result(5, ASKED + 1, "replayed"), "replayed", "after the snapshot slot"),
    ("snapshot", R.HEIGHT, result(5, ASKED + 1, "dump"), "dump", "after the snapshot height"),
    # read_block on another counter than the asked block (Aptos version, beacon slot): not comparable, kept
    ("snapshot", R.VERSION_OF_HEIGHT, result(5, 2_500_000_000, "state_at_height"), "state_at_height", None),
    ("snapshot", R.SLOT_OF_EXECUTION_BLOCK, result(5, 9_000_000, "state_at_height"), "state_at_height", None),
    # no block at all for a snapshot value
    ("snapshot", R.HEIGHT, result(5, None, "state_at_height"), "state_at_height", "without the block it is valid at"),
    ("snapshot", R.VERSION_OF_HEIGHT, result(5, None, "replayed"), "replayed", "without the block it is valid at"),
    # a current value for a snapshot request: ok, stored as latest (never counted), any block
    ("snapshot", R.HEIGHT, result(5, ASKED + 500, "latest", note="no history"), "latest", None),
    ("snapshot", R.SLOT, result(5, None, "latest"), "latest", None),
    # no method: an error row naming the adapter, whatever the block
    ("snapshot", R.HEIGHT, result(5, ASKED, ""), None, "the testchain adapter returned a value without saying how it was obtained"),
    ("snapshot", R.SLOT, result(0, ASKED, ""), None, "without saying how it was obtained"),
    ("latest", R.HEIGHT, result(5, ASKED, ""), None, "without saying how it was obtained"),
    # a method outside FETCH_METHODS
    ("snapshot", R.HEIGHT, result(5, ASKED, "archive"), None, "unknown method 'archive'"),
    # the adapter's own errors keep their words (and the method they name, if any)
    ("snapshot", R.HEIGHT, result(None, ASKED, "state_at_height", error="header not found"), "state_at_height", "header not found"),
    ("snapshot", R.HEIGHT, result(None, None, ""), None, "no balance returned"),
    # a negative balance is never a value
    ("snapshot", R.HEIGHT, result(-1, ASKED, "state_at_height"), "state_at_height", "negative balance -1"),
    # at the tip: every value is stored as latest, whatever the adapter read it with
    ("latest", R.HEIGHT, result(5, ASKED + 7, "state_at_height"), "latest", None),
    ("latest", R.SLOT, result(5, ASKED, "replayed"), "latest", None),
]


@pytest.mark.parametrize("at, reference, res, method, error", TABLE)
def test_judge(at: str, reference: BlockReference, res: BalanceResult, method: str | None, error: str | None) -> None:
    got = judge(at, reference, ASKED, res, "testchain")
    assert got.method == method
    if error is None:
        assert got.error is None
    else:
        assert got.error is not None and error in got.error


def test_a_current_value_for_a_snapshot_request_gets_a_note_saying_so() -> None:
    assert judge("snapshot", R.HEIGHT, ASKED, result(5, ASKED + 3, "latest"), "x").note == "only the current state could be read; not the snapshot value"
    assert judge("snapshot", R.HEIGHT, ASKED, result(5, ASKED + 3, "latest", note="no archive"), "x").note == "no archive"


def test_block_references_are_typed_and_free_text_is_refused() -> None:
    for text in ("height", "height (block hash via chain_getBlockHash)", "epoch", ""):
        with pytest.raises(ValueError, match="block_reference must be an indexer.plugins.BlockReference"):
            AdapterCapabilities(native_methods=("state_at_height",), block_reference=text)  # type: ignore[arg-type]
    assert AdapterCapabilities(native_methods=("state_at_height",)).block_reference is R.HEIGHT


def test_every_installed_adapter_declares_a_block_reference_and_the_comparable_ones_are_checked() -> None:
    declared = {p.adapter: p.capabilities.block_reference for p in plugins() if p.make_fetcher is not None and p.capabilities}
    assert all(isinstance(ref, BlockReference) for ref in declared.values())
    # the networks whose free-text reference used to skip the check (DOT, FIL, TON), and the others'
    assert {a: declared[a] for a in ("polkadot", "filecoin", "ton", "solana", "xrpl", "sui", "evm")} == {
        "polkadot": R.HEIGHT, "filecoin": R.EPOCH, "ton": R.MASTERCHAIN_SEQNO, "solana": R.SLOT, "xrpl": R.LEDGER_INDEX,
        "sui": R.CHECKPOINT, "evm": R.HEIGHT,
    }
    assert [a for a, ref in sorted(declared.items()) if not ref.comparable] == ["aptos", "beacon"]


def test_every_adapter_names_the_method_of_every_value_it_builds() -> None:
    """Every ``BalanceResult(...)`` in ``chains/`` that can carry a value (its amount is not the literal
    None) passes ``method=``: the runner no longer fills one in, so a missing one would turn the
    adapter's good reads into error rows."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "chains"
    seen, missing = 0, []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "BalanceResult"):
                continue
            units = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "base_units"), None)
            if isinstance(units, ast.Constant) and units.value is None:
                continue  # an error result
            seen += 1
            if not any(k.arg == "method" for k in node.keywords) and len(node.args) < 6:
                missing.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert seen >= 20 and not missing, missing
