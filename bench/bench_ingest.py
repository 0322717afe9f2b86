"""Ingest speed: a 700k-row synthetic OKX file through `por ingest`, as a whole process.

Baseline in the same run: the row-by-row load a naive tool does (DuckDB ``executemany``),
timed on a sample of the same rows and extrapolated.

    .venv/bin/python bench/bench_ingest.py [--rows 700000] [--seed 1]
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache"


def synth_file(rows: int, seed: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"synth-{rows}-seed{seed}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "indexer.cli", "synth", "--rows", str(rows), "--seed", str(seed), "--out", str(path)], check=True)
        print(f"synthesised {rows:,} rows in {time.perf_counter() - t0:.1f} s -> {path}")
    return path


def bench_por_ingest(path: Path, rows: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        # Create the schema first so the timing is the ingest, not the one-off migrations.
        subprocess.run([sys.executable, "-m", "indexer.cli", "sql", "select 1", "--db", str(db)], check=True, capture_output=True)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "indexer.cli", "ingest", str(path), "--db", str(db)], check=True, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        con = duckdb.connect(str(db), read_only=True)
        loaded = con.execute("select count(*) from addresses").fetchall()[0][0]
        con.close()
    assert loaded == rows, (loaded, rows, out.stdout)
    return elapsed


def bench_row_by_row(path: Path, sample: int) -> float:
    """Seconds per row for executemany inserts of parsed rows into the same table shape."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        for row in reader:
            if row and row[0] == "coin" and len(row) > 3:
                break
        rows = [row for _, row in zip(range(sample), reader)]
    con = duckdb.connect(":memory:")
    con.execute("create table t (c0 varchar, c1 varchar, c2 varchar, c3 varchar, c4 varchar, c5 varchar, c6 varchar, c7 varchar, c8 varchar, c9 varchar, c10 varchar, c11 varchar)")
    t0 = time.perf_counter()
    con.executemany("insert into t values (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    return (time.perf_counter() - t0) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=700_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-sample", type=int, default=5_000)
    args = parser.parse_args()
    path = synth_file(args.rows, args.seed)
    size_mb = path.stat().st_size / 1e6
    elapsed = bench_por_ingest(path, args.rows)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    per_row = bench_row_by_row(path, args.baseline_sample)
    baseline = per_row * args.rows
    print(f"file: {args.rows:,} rows, {size_mb:.0f} MB")
    print(f"por ingest (whole process, committed): {elapsed:.2f} s = {args.rows / elapsed:,.0f} rows/s (target < 10 s)")
    print(f"peak RSS of child processes: {peak_mb:,.0f} MB")
    print(f"baseline row-by-row executemany: {1 / per_row:,.0f} rows/s -> {baseline:,.0f} s for the file (extrapolated from {args.baseline_sample:,} rows)")
    print(f"ratio: {baseline / elapsed:,.0f}x faster than row-by-row")


if __name__ == "__main__":
    main()
