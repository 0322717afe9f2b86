"""Benchmark: requests per row of the per-account history paths before and after the whole-set choice (issue 18).

The rehearsal's publication (``por synth``, ``tests/fixtures/rehearsal.py``) and its TRON and EOS stubs, read
twice by the adapters themselves, in the runner's chunks (``COMMIT_CHUNK`` reads per fetch call):

* **before**: no ``estimate`` call (what ``por run`` does until the runner calls it): per-holder / per-account;
* **after**: ``estimate(every read, probe=True)`` first, as the runner will, then the same fetch calls.

Requests are counted by the adapters' own HTTP clients (``RpcStats``: each request sent, retries included), per
service: the chain node and the history API (TronGrid, Hyperion). No latency or rate limit: this counts requests,
it does not time them (``bench_snapshot.py`` times the whole run). Both runs must give identical rows.

Run: .venv/bin/python bench/bench_wholeset.py [--rows 20000] [--seed 7] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.config import NetworkSettings  # noqa: E402
from indexer.fetch import COMMIT_CHUNK  # noqa: E402
from indexer.models import BalanceRequest  # noqa: E402
from indexer.plugins import fetcher_factory  # noqa: E402
from indexer.registry import registry  # noqa: E402
from indexer.rpc import run_session  # noqa: E402
from tests.fixtures.rehearsal import publication, stubs_for  # noqa: E402

NETWORKS = ("TRON", "EOS")


def settings(network: str, url: str) -> NetworkSettings:
    options: dict[str, Any] = {"history_api": url, "history_lag_checks": 2, "history_lag_wait": 0.05}
    if network == "TRON":
        options["history_probe"] = "TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs"
    return NetworkSettings(name=network, rpc=[url], timeout=30.0, concurrency=8, options=options)


def history_clients(f: Any) -> list[Any]:
    return [c for c in (getattr(f, "history", None), getattr(f, "events_api", None)) if c is not None]


async def read(network: str, url: str, reads: list[BalanceRequest], *, estimate: bool) -> dict[str, Any]:
    async with run_session():
        net = registry().networks[network]
        f = fetcher_factory(net.adapter)(net, settings(network, url))
        await f.preflight({r.block for r in reads})
        est = await f.estimate(reads, probe=True) if estimate else None
        results = []
        for start in range(0, len(reads), COMMIT_CHUNK):
            results += await f.fetch(reads[start : start + COMMIT_CHUNK])
        node = f.client.stats.requests
        history = sum(c.stats.requests for c in history_clients(f))
        await f.close()
    out: dict[str, Any] = {"reads": len(reads), "node": node, "history": history, "ok": sum(r.ok for r in results)}
    if est is not None:
        out["path"], out["note"] = est.path, est.note
        out["predicted"] = {s.name: s.requests for s in est.services}
    out["rows"] = [(r.request, r.base_units, r.method, r.error) for r in results]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    report: dict[str, Any] = {"rows": args.rows, "networks": {}}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        _, _, by_net = publication(Path(tmp), args.rows, args.seed)
        stubs = stubs_for(by_net, NETWORKS, stack)
        for network in NETWORKS:
            reads = list(dict.fromkeys(BalanceRequest(a, c, h) for _, a, h, c, _ in by_net[network]))
            before = asyncio.run(read(network, stubs[network].url, reads, estimate=False))
            after = asyncio.run(read(network, stubs[network].url, reads, estimate=True))
            if before.pop("rows") != after.pop("rows"):
                raise SystemExit(f"{network}: the two paths gave different rows")
            rows = len(by_net[network])
            entry = {"rows": rows, "before": before, "after": after}
            for k in ("before", "after"):
                entry[k]["history_per_row"] = round(entry[k]["history"] / rows, 3)
                entry[k]["node_per_row"] = round(entry[k]["node"] / rows, 3)
            report["networks"][network] = entry
            print(f"{network}: {rows:,} rows ({len(reads):,} reads), identical rows on both paths")
            for k in ("before", "after"):
                e = entry[k]
                print(f"  {k:6} history {e['history']:>7,} ({e['history_per_row']:.3f}/row)  node {e['node']:>7,} ({e['node_per_row']:.3f}/row)  ok {e['ok']:,}")
            print(f"  chosen: {after.get('path')}: {after.get('note')}")
            print(f"  predicted: {after.get('predicted')}")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
