"""Readers beside a long writer: how long does `por sql` wait while `por verify` runs, and what does it cost the writer?

Two ways to share a DuckDB file between processes, measured in the same run on the same file:

  held      the writer keeps one connection for the whole run (the library called with an open
            connection; what every command did before issue 10): a reader waits until it ends.
  released  `por verify` as shipped: the file is opened per page of work and per committed chunk
            and closed in between, so a reader gets in between chunks.

Prints the writer's wall time under each (with readers running), how long each read waited for
the file lock (a read-only connect retried every 20 ms, including the open itself; the idle
open is printed as the floor), and the ratios.

    .venv/bin/python bench/bench_concurrent_read.py --rows 30000
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POR = str(Path(sys.executable).with_name("por"))
HELD = "import sys; from indexer.store import connect; from indexer.verify import verify_snapshot; verify_snapshot(connect(sys.argv[1]), 1, workers=2)"


def read_once(db: Path) -> float:
    """Seconds until a read-only connection got the file (retrying every 20 ms), then one count."""
    import duckdb

    t0 = time.perf_counter()
    while True:
        try:
            con = duckdb.connect(str(db), read_only=True)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            time.sleep(0.02)
    waited = time.perf_counter() - t0
    con.execute("select count(*) from signatures").fetchall()
    con.close()
    return waited


def measure(db: Path, writer_cmd: list[str]) -> tuple[float, list[float]]:
    env = dict(os.environ, POR_LOCK_WAIT="3600")
    waits: list[float] = []
    started = time.perf_counter()
    writer = subprocess.Popen(writer_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    time.sleep(1.0)  # let the writer start
    while writer.poll() is None:
        waits.append(read_once(db))
        time.sleep(0.25)  # a reader that asks four times a second
    elapsed = time.perf_counter() - started
    if writer.returncode != 0:
        raise SystemExit(f"writer failed: {writer_cmd}")
    return elapsed, waits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=30_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="por-bench-conc-"))
    try:
        base = work / "base.duckdb"
        subprocess.run([POR, "synth", "--rows", str(args.rows), "--out", str(work / "f.csv"), "--db", str(base)], check=True, capture_output=True)
        idle = [read_once(base) for _ in range(5)]  # the floor: opening the file with nobody writing
        results = {}
        for name, cmd in (
            ("held", [sys.executable, "-c", HELD]),
            ("released", [POR, "verify", "--workers", "2", "--db"]),
        ):
            db = work / f"{name}.duckdb"
            shutil.copy(base, db)
            results[name] = measure(db, [*cmd, str(db)])
        print(f"verify of {args.rows:,} rows on 2 workers; a reader opens the file read-only 4 times a second")
        print(f"  idle    : open with no writer median {statistics.median(idle):.3f} s")
        for name, (elapsed, waits) in results.items():
            print(
                f"  {name:<8}: writer {elapsed:6.1f} s; {len(waits)} reads, wait for the lock median {statistics.median(waits):.3f} s, max {max(waits):.2f} s"
            )
        (held_t, held_w), (rel_t, rel_w) = results["held"], results["released"]
        print(f"  writer time released/held: {rel_t / held_t:.2f}x; worst wait held/released: {max(held_w) / max(max(rel_w), 1e-3):.0f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
