"""What a fetch run did, for the user: per network counts, blocks, methods, and the networks not fetched.

The same numbers are in the ``runs`` table (indexer/runs.py); this is the run's own view of them,
returned by ``fetch_snapshot`` and printed by ``por fetch``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.runs import NetworkRun


@dataclass
class FetchSummary:
    snapshot_id: int
    as_of: str
    run_id: int | None = None  # runs.run_id / balances.run_id (None: nothing was recorded)
    networks: dict[str, NetworkRun] = field(default_factory=dict)
    skipped: dict[str, tuple[int, str]] = field(default_factory=dict)  # network -> (rows, why not fetched)
    seconds: float = 0.0

    @property
    def rows_ok(self) -> int:
        return sum(n.ok for n in self.networks.values())

    @property
    def rows_error(self) -> int:
        return sum(n.errors for n in self.networks.values())

    @property
    def rows_latest_proxy(self) -> int:
        """Snapshot rows that got only a current value (stored, never counted as the snapshot's)."""
        return sum(n.methods["latest"] for n in self.networks.values()) if self.as_of == "snapshot" else 0

    @property
    def blocked(self) -> dict[str, str]:
        return {k: n.blocked for k, n in self.networks.items() if n.blocked}

    def __str__(self) -> str:
        proxies = f" ({self.rows_latest_proxy:,} only at the current state, not counted as the snapshot's)" if self.rows_latest_proxy else ""
        run = f" (run {self.run_id})" if self.run_id is not None else ""
        lines = [
            f"fetch snapshot {self.snapshot_id} at {self.as_of}{run}: {self.rows_ok:,} ok{proxies}, {self.rows_error:,} errors"
            f" in {self.seconds:.1f} s"
        ]
        for n in self.networks.values():
            if n.blocked:
                lines.append(f"  {n.network}: BLOCKED, {n.rows:,} rows recorded as errors: {n.blocked}")
                continue
            blocks = ", ".join(f"{b:,}" for b in n.blocks[:5]) + (" …" if len(n.blocks) > 5 else "")
            rate = f", {n.rows / n.seconds:,.0f} rows/s" if n.seconds > 0 and n.rows else ""
            lines.append(
                f"  {n.network}: {n.ok:,} ok, {n.errors:,} errors of {n.rows:,} rows ({n.reads:,} reads) at block {blocks or '-'}"
                f" via {n.method or '-'} from {n.source or '-'}{rate}"
            )
            if n.path:
                lines.append(f"    {n.network}: {n.path}")
            if self.as_of == "snapshot" and n.methods["latest"]:
                lines.append(f"    {n.network}: {n.methods['latest']:,} rows hold only the current value (method latest): retried on the next run")
        for net, (count, why) in sorted(self.skipped.items()):
            lines.append(f"  {net}: {count:,} rows not fetched: {why}")
        if not self.networks and not self.skipped:
            lines.append("  nothing to do: every row already has a balance (use --refresh to refetch)")
        return "\n".join(lines)
