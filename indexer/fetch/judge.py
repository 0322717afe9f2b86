"""The runner's judge: what one adapter result becomes in ``balances`` (a pure function, table-tested).

``as_of`` is what was asked, ``method``/``read_block`` what was got. The adapter's word on a read is
checked here, in one place and without I/O, so every rule has a row in ``tests/test_fetch_judge.py``.
"""

from __future__ import annotations

from typing import NamedTuple

from indexer.models import FETCH_METHODS, SNAPSHOT_METHODS, BalanceResult
from indexer.plugins import BlockReference


class Judgement(NamedTuple):
    """What the runner stores for one result: ``error`` None = an ``ok`` row."""

    method: str | None
    error: str | None
    note: str | None


def judge(at: str, reference: BlockReference, asked: int | None, res: BalanceResult, adapter: str) -> Judgement:
    """The adapter's word on one read, checked against what was asked (a pure function: see the table test).

    * An ok value must say how it was obtained (``BalanceResult.method``): a value without one is an error
      row naming the adapter. The runner never fills it in from the adapter's declared methods, because a
      guess there would let a current value pass as the snapshot's.
    * A value obtained for the snapshot block (``SNAPSHOT_METHODS``) must name the block it is valid at,
      and, where the adapter's block reference counts on the same counter as the asked block (height,
      slot, ledger index, masterchain seqno, epoch, checkpoint), that block may not be after the snapshot
      block: a value read at the wrong height is never stored as the snapshot value.
    * With ``at="latest"`` every value is stored as ``latest``, whatever the adapter read it with.
    """
    if res.method and res.method not in FETCH_METHODS:
        return Judgement(None, f"the {adapter} adapter reported an unknown method {res.method!r} (known: {', '.join(FETCH_METHODS)})", None)
    method = "latest" if at == "latest" else (res.method or None)
    note = res.note or None
    if not res.ok:
        return Judgement(method, res.error or "no balance returned", note)
    if not res.method:
        return Judgement(None, f"the {adapter} adapter returned a value without saying how it was obtained (no method): not stored", note)
    if at == "snapshot" and method in SNAPSHOT_METHODS:
        if res.block_height is None:
            return Judgement(method, f"the adapter gave a {method} value without the block it is valid at: not stored as the snapshot value", note)
        if reference.comparable and asked is not None and res.block_height > asked:
            return Judgement(
                method,
                f"the value is valid at {reference.label} {res.block_height:,}, after the snapshot {reference.label} {asked:,}: "
                "not stored as the snapshot value",
                note,
            )
    if at == "snapshot" and method == "latest" and note is None:
        note = "only the current state could be read; not the snapshot value"
    if int(res.base_units) < 0:  # type: ignore[arg-type]
        return Judgement(method, f"the adapter returned a negative balance {res.base_units}", note)
    return Judgement(method, None, note)
