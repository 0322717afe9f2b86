"""Analyst views at OKX scale: two monthly synthetic snapshots, `snapshot_diff`, `snapshot_series`, Parquet export.

Baseline in the same run: the same per-(asset, network) diff done the obvious way in Python, over the
rows read out of DuckDB (dicts keyed by address), counted from the moment the rows are in Python.

    .venv/bin/python bench/bench_analyst.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    from indexer.export import export_parquet
    from indexer.ingest import ingest_file
    from indexer.store import connect
    from indexer.synth import write_synth_series

    series_dir = CACHE / f"series-{args.rows}"
    if not (series_dir / "okx_por_2026020108.csv").exists():
        t0 = time.perf_counter()
        write_synth_series(series_dir, args.rows, 2, seed=11)
        print(f"synthesised 2 x {args.rows:,} rows in {time.perf_counter() - t0:.1f} s -> {series_dir}")
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        for name in ("okx_por_2026010108.csv", "okx_por_2026020108.csv"):
            ingest_file(con, series_dir / name)

        t0 = time.perf_counter()
        diff = con.execute("select * from snapshot_diff(1, 2)").fetchall()
        t_diff = time.perf_counter() - t0

        rows = con.execute(
            "select snapshot_id, asset, network, address, published_scaled from row_facts where snapshot_id in (1, 2)"
        ).fetchall()
        t0 = time.perf_counter()
        per: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for sid, asset, network, address, units in rows:
            key = (asset, network, address.lower() if address.lower().startswith("0x") else address)
            slot = per[key]
            if sid == 1:
                slot[0] += 1
                slot[2] += units
            else:
                slot[1] += 1
                slot[3] += units
        agg: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        for (asset, network, _), (na, nb, ua, ub) in per.items():
            a = agg[(asset, network)]
            a[0] += na > 0 and nb == 0
            a[1] += nb > 0 and na == 0
            a[2] += na > 0 and nb > 0
            a[3] += ua
            a[4] += ub
        t_python = time.perf_counter() - t0
        sql_counts = {(r[0], r[1]): (r[5], r[4], r[6]) for r in diff}
        py_counts = {k: (v[0], v[1], v[2]) for k, v in agg.items()}
        assert sql_counts == py_counts, "SQL and Python diffs disagree"

        t0 = time.perf_counter()
        series = con.execute("select * from snapshot_series").fetchall()
        t_series = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = export_parquet(con, Path(tmp) / "parquet")
        t_export = time.perf_counter() - t0

    n = 2 * args.rows
    print(f"snapshot_diff over 2 x {args.rows:,} rows: {t_diff * 1000:.0f} ms ({len(diff)} asset/network rows)")
    print(f"baseline, the same diff in Python over rows already fetched: {t_python * 1000:.0f} ms -> ratio {t_python / t_diff:.1f}x")
    print(f"snapshot_series: {t_series * 1000:.0f} ms ({len(series)} rows)")
    print(f"parquet export of every table and view: {t_export:.2f} s, {sum(report.written.values()):,} rows ({n / t_export:,.0f} address rows/s)")


if __name__ == "__main__":
    main()
