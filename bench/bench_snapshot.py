"""Benchmark: a whole publication rehearsed — every network in one ``por run`` behind real-world providers (issue 18).

The publication is ``por synth --rows N`` (OKX's network mix, ``indexer/synth.py``; ``--networks`` chooses which
of its networks get a provider: by default every one the rehearsal can serve, see ``tests/fixtures/rehearsal.py``
for the others and why). Every served network's protocol stub sits behind a shaping proxy of its own
(``tests/fixtures/shaping_proxy.py``): ``--latency`` (50 ms), a rate limit per service that answers 429 with
Retry-After (``--limit SERVICE=RPS``; defaults in ``rehearsal.DEFAULT_LIMITS``: JSON-RPC 25/s, TRON node 25/s,
TronGrid 15/s, Solana 10/s, Hyperion 10/s), and ``--faults`` (2 %: timeouts, 5xx, dropped connections).
``por.toml`` sets each service's ``rps`` to its plan's limit, as a user who knows their plan would.

Runs, each a ``por`` subprocess against the same providers:

1. ``por run`` with faults: ingest, verify, fetch every network concurrently, report. Timed; peak RSS of the
   ``por`` process (``wait4``: itself or its largest verify worker); requests per network from the proxies.
2. ``por run`` without faults (``--no-reference`` skips it): its tables must equal run 1's (``identical_with_faults``).

What it prints: the wall time of the fetch (and of the whole run), the lower bound the rate limits allow (the
slowest service's answered requests over its rate) and their ratio; per network rows, requests, requests per row,
429s, faults, time; peak RSS. ``predicted_requests`` / ``predicted_s`` come from ``por plan --probe --format json``
run against the same providers after run 1 (``--probe`` measures each network's latency for the time estimate; the
requests are counted from the snapshot's reads alone); ``null`` where ``por plan`` gives none: no number is made up.
With ``--json`` the last line is one JSON object with ``rows, wall_s, bound_s, ratio, peak_rss_mb,
identical_with_faults, networks{rows, requests, predicted_requests, predicted_s, actual_s}``.

Run: .venv/bin/python bench/bench_snapshot.py [--rows 700000] [--json] [--networks ETH,TRON,...] [--limit trongrid=30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from tests.fixtures.rehearsal import DEFAULT_LIMITS, SERVED, UNSERVED, Rehearsal, por, tables  # noqa: E402


def plan_prediction(r: Rehearsal, db: Path) -> dict[str, dict[str, Any]]:
    """``por plan``'s per-network prediction (``--probe``: latency measured on the providers); {} if it fails (never invented)."""
    assert r.config
    out = por("plan", "--db", str(db), "--config", str(r.config), "--probe", "--format", "json", check=False)
    if out.returncode != 0:
        return {}
    try:
        data = json.loads(out.stdout)
    except ValueError:
        return {}
    nets = data.get("networks", data) if isinstance(data, dict) else data
    result: dict[str, dict[str, Any]] = {}
    for item in nets if isinstance(nets, list) else []:
        if isinstance(item, dict) and "network" in item:
            result[item["network"]] = {"requests": item.get("requests"), "seconds": item.get("seconds", item.get("estimated_s"))}
    return result


def run_table(db: Path) -> dict[str, tuple[int, int, int, float, int | None]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            n: (planned, ok, err, secs or 0.0, req)
            for n, planned, ok, err, secs, req in con.execute(
                "select network, rows_planned, rows_ok, rows_error, seconds, requests from runs where outcome <> 'skipped'"
            ).fetchall()
        }


def fetch_wall_s(db: Path) -> float:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select epoch(max(finished_at) - min(started_at)) from runs where outcome <> 'skipped'").fetchone()
    return float(row[0] or 0.0) if row else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=700_000)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--networks", default=",".join(SERVED), help="the networks served (the mix); others in the file stay unfetched")
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--faults", type=float, default=0.02)
    ap.add_argument("--limit", action="append", default=[], metavar="SERVICE=RPS", help=f"override a service's limit ({', '.join(DEFAULT_LIMITS)})")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workdir", type=Path, default=None, help="keep the publication and databases here (reused across runs)")
    ap.add_argument("--no-reference", action="store_true", help="skip the fault-free run (identical_with_faults is then null)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    limits: dict[str, float | None] = dict(DEFAULT_LIMITS)
    for item in args.limit:
        k, _, v = item.partition("=")
        limits[k.strip()] = float(v) if v.strip() not in ("", "none") else None
    networks = tuple(n.strip().upper() for n in args.networks.split(",") if n.strip())
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_snapshot_")
        workdir = Path(tmp.name)
    else:
        workdir = args.workdir
    try:
        t_setup = time.perf_counter()
        with Rehearsal(workdir, rows=args.rows, seed=args.seed, networks=networks, latency=args.latency, limits=limits,
                       fault_share=args.faults, concurrency=args.concurrency, timeout=10.0) as r:
            setup_s = time.perf_counter() - t_setup
            db = workdir / "faults.duckdb"
            db.unlink(missing_ok=True)
            r.reset_counts()
            t0 = time.perf_counter()
            out = r.run(db)
            total_s = time.perf_counter() - t0
            if out.returncode != 0:
                raise SystemExit(f"por run failed ({out.returncode}): {out.stderr[-3000:]}")
            peak = r.peak_rss_mb
            seen = r.per_network()
            bound, bound_by = r.bound_s()
            wall = fetch_wall_s(db)
            runs = run_table(db)
            r.set_faults(0.0)  # the plan's probe measures latency: a faulted probe request (a 10 s timeout) would skew it
            predicted = plan_prediction(r, db)
            identical: bool | None = None
            reference_wall: float | None = None
            reference_bound: float | None = None
            if not args.no_reference:
                ref = workdir / "reference.duckdb"
                ref.unlink(missing_ok=True)
                r.set_faults(0.0)
                r.reset_counts()
                ref_out = r.run(ref)
                if ref_out.returncode != 0:
                    raise SystemExit(f"reference por run failed: {ref_out.stderr[-3000:]}")
                identical = tables(ref) == tables(db)
                reference_wall = fetch_wall_s(ref)
                reference_bound, _ = r.bound_s()
    finally:
        if tmp is not None:
            tmp.cleanup()

    per: dict[str, dict[str, Any]] = {}
    for n in sorted(runs, key=lambda k: -seen.get(k, {}).get("forwarded", 0)):
        planned, ok, err, secs, req = runs[n]
        s = seen.get(n, {})
        per[n] = {
            "rows": planned,
            "requests": s.get("requests", 0),
            "answered": s.get("forwarded", 0),
            "rate_limited": s.get("rate_limited", 0),
            "faults": s.get("faults", 0),
            "errors": err,
            "requests_per_row": round(s.get("requests", 0) / planned, 3) if planned else None,
            "recorded_requests": req,
            "predicted_requests": predicted.get(n, {}).get("requests"),
            "predicted_s": predicted.get(n, {}).get("seconds"),
            "actual_s": round(secs, 2),
        }
    result = {
        "rows": args.rows,
        "wall_s": round(wall, 2),
        "run_s": round(total_s, 2),
        "setup_s": round(setup_s, 2),
        "bound_s": round(bound, 2),
        "bound_by": bound_by,
        "ratio": round(wall / bound, 3) if bound else None,
        "peak_rss_mb": round(peak, 1),
        "identical_with_faults": identical,
        "reference_wall_s": round(reference_wall, 2) if reference_wall is not None else None,
        "reference_bound_s": round(reference_bound, 2) if reference_bound is not None else None,
        "latency_s": args.latency,
        "faults": args.faults,
        "limits": limits,
        "unserved": {n: UNSERVED.get(n, "not in --networks") for n in sorted(set(r.by_net) - set(networks))},
        "networks": per,
    }
    print(f"publication: {args.rows:,} rows (por synth, seed {args.seed}); {len(per)} networks served, latency {args.latency * 1000:.0f} ms, faults {args.faults:.0%}")
    print(f"{'network':<10} {'rows':>8} {'requests':>9} {'req/row':>8} {'429':>5} {'faults':>6} {'err':>4} {'predicted':>10} {'actual s':>9}")
    for n, v in per.items():
        pred = f"{v['predicted_s']:.0f} s" if isinstance(v["predicted_s"], (int, float)) else "-"
        print(f"{n:<10} {v['rows']:>8,} {v['requests']:>9,} {v['requests_per_row'] or 0:>8.3f} {v['rate_limited']:>5} {v['faults']:>6} {v['errors']:>4} {pred:>10} {v['actual_s']:>9.1f}")
    print(f"fetch wall {wall:.1f} s (whole por run {total_s:.1f} s: ingest, verify, fetch, report); rate-limit bound {bound:.1f} s"
          f" ({bound_by}); ratio {result['ratio']}; peak RSS {peak:.0f} MB; identical with faults: {identical}")
    for n, why in result["unserved"].items():
        print(f"not served: {n}: {why}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
