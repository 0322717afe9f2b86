"""Ingest speed and memory: a whole ``por ingest`` process against a bare ``pyarrow.csv.read_csv`` of the same file.

Baselines in the same run, on the same file:

* bare parse, whole process (like for like): ``python -c "import pyarrow.csv; pyarrow.csv.read_csv(f)"`` timed
  from outside, as ``por ingest`` is: interpreter start, import, a first (cold) parse; the detail section only.
* bare parse, warm: the same read_csv inside one process, best of two (the allocator already holds its pages).
* DuckDB's own ``read_csv`` into a table of a database file (all VARCHAR, no checks, no key): the write floor.

Target: ingest <= 3x the bare parse. ``--big N`` adds an N-row file: ``--big-layout binance`` (default) is
``por synth --exchange binance`` writing one member as Binance writes it (``""`` custodian cells, 18 places
on every balance); ``okx`` a fast generator of OKX rows. It reports the ingest's peak RSS (target < 2 GB
at 10M rows).

``--refused N`` adds the same Binance rows with the address emptied in a share of them (``--refused-share``,
default 0.4: 4M of 10M), so ingest refuses those rows: its peak RSS against the N good rows' (the baseline, in
the same run; target: no higher, whatever the share). A share of 1 refuses the whole file (exit 2, nothing
written) after reading it all. Before anything is loaded the duplicate check reads the file once
(``indexer.ingest.content.scan``: two SHA-256 digests and the text's end): its time against one bare SHA-256
pass over the same bytes (the check before issue 16) is printed for the synthesised file.

    .venv/bin/python bench/bench_ingest.py [--rows 700000] [--seed 1] [--big 10000000 [--big-layout binance|okx]]
        [--refused 10000000 [--refused-share 0.4]] [--skip-synth]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache"
OKX_HEADER = "coin,Type,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/public key,EOA1,EOA2"


def synth_file(rows: int, seed: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"synth-{rows}-seed{seed}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "indexer.cli", "synth", "--rows", str(rows), "--seed", str(seed), "--out", str(path)], check=True)
        print(f"synthesised {rows:,} rows in {time.perf_counter() - t0:.1f} s -> {path}")
    return path


def big_file(rows: int, layout: str) -> Path:
    """Many rows. Binance: ``por synth --exchange binance`` (streamed, ~3 s a million rows), one member as a bare CSV.
    OKX: a fast generator here (``por synth`` signs every row, far too slow for 10M): plausible cells, no signatures."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (f"binance-synth-{rows}.csv" if layout == "binance" else f"big-{layout}-{rows}.csv")
    if path.exists():
        return path
    t0 = time.perf_counter()
    tmp = path.with_suffix(".part.csv")
    if layout == "binance":
        subprocess.run([sys.executable, "-m", "indexer.cli", "synth", "--exchange", "binance", "--rows", str(rows), "--out", str(tmp)], check=True)
    else:
        rnd = random.Random(rows)
        with open(tmp, "w") as f:
            f.write(OKX_HEADER + "\n")
            chunk = []
            for i in range(rows):
                amount = f"{rnd.randrange(10**6)}.{rnd.randrange(10**18):018d}"
                chunk.append(f"ETH,Non Staking,ETH,21000000,0x{i:040x},{amount},I am an OKX address,0x{i:0130x},,,,\n")
                if len(chunk) == 100_000:
                    f.write("".join(chunk))
                    chunk.clear()
            f.write("".join(chunk))
    tmp.rename(path)
    print(f"generated {rows:,} {layout} rows in {time.perf_counter() - t0:.1f} s -> {path}")
    return path


def _ratio(share: float) -> tuple[int, int]:
    """0.4 -> (2, 5): refuse 2 rows of every 5 (1 and above: every row)."""
    found = Fraction(str(min(share, 1.0))).limit_denominator(1000)
    return found.numerator, found.denominator


def refused_file(rows: int, share: float) -> Path:
    """The Binance file of ``rows`` rows with the address emptied on ``share`` of them, spread evenly (refused: empty address)."""
    path = CACHE / f"binance-refused-{rows}-{share:g}.csv"
    if path.exists():
        return path
    source = big_file(rows, "binance")
    t0 = time.perf_counter()
    tmp = path.with_suffix(".part.csv")
    refused, every = _ratio(share)
    with open(source, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8") as out:
        out.write(next(src))
        chunk = []
        for i, line in enumerate(src):
            if i % every < refused:
                coin, network, _address, rest = line.split(",", 3)
                line = f"{coin},{network},,{rest}"
            chunk.append(line)
            if len(chunk) == 100_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    tmp.rename(path)
    print(f"emptied the address of {share:.0%} of {rows:,} rows in {time.perf_counter() - t0:.1f} s -> {path}")
    return path


def detail_header_line(path: Path) -> int:
    with open(path, encoding="utf-8-sig") as f:
        for i, line in enumerate(f):
            low = line.lower()
            if "address" in low and ("amount" in low or "balance" in low):
                return i
    raise SystemExit(f"{path}: no detail header")


_BARE = """
import sys, time
import pyarrow.csv as pv
best = float("inf")
for _ in range(2):
    t0 = time.perf_counter()
    table = pv.read_csv(sys.argv[1], read_options=pv.ReadOptions(skip_rows=int(sys.argv[2])))
    best = min(best, time.perf_counter() - t0)
    del table
print(best)
"""


_DUCKDB = """
import sys, time, tempfile, duckdb
with tempfile.TemporaryDirectory(dir=sys.argv[3]) as tmp:
    t0 = time.perf_counter()
    con = duckdb.connect(tmp + "/floor.duckdb")
    con.execute("set enable_progress_bar = false")
    con.execute("create table t as select * from read_csv(?, skip=?, header=true, all_varchar=true)", [sys.argv[1], int(sys.argv[2])])
    con.close()
    print(time.perf_counter() - t0)
"""


def duckdb_floor(path: Path) -> float:
    """Seconds for DuckDB's own read_csv into a new table of a database file (no checks, no key), closed."""
    out = subprocess.run([sys.executable, "-c", _DUCKDB, str(path), str(detail_header_line(path)), str(CACHE)], check=True, capture_output=True, text=True)
    return float(out.stdout.split()[-1])


def bare_parse(path: Path) -> float:
    """Seconds for pyarrow.csv.read_csv of the detail section (header line onwards) in one process, best of two (warm).

    In its own process: a child forked from a parent holding the parsed table would report the
    parent's memory as its own peak RSS.
    """
    out = subprocess.run([sys.executable, "-c", _BARE, str(path), str(detail_header_line(path))], check=True, capture_output=True, text=True)
    return float(out.stdout.split()[-1])


_BARE_PROCESS = "import sys, pyarrow.csv as pv; pv.read_csv(sys.argv[1], read_options=pv.ReadOptions(skip_rows=int(sys.argv[2])))"


def bare_parse_process(path: Path) -> float:
    """Seconds for a whole process that imports pyarrow.csv and parses the detail section once: timed as ``por ingest`` is."""
    skip = str(detail_header_line(path))
    best = float("inf")
    for _ in range(2):  # best of two processes, as the page cache is warm for both sides
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", _BARE_PROCESS, str(path), skip], check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def por_ingest(path: Path, rows: int, expect_refused: bool = False) -> tuple[float, float, str]:
    """(seconds, peak RSS MB of the ingest process, its output) for a whole ``por ingest`` into a fresh database;
    ``rows`` is the rows it must load (``expect_refused``: the file must be refused, exit 2, nothing loaded)."""
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        db = Path(tmp) / "bench.duckdb"
        # Create the schema first so the timing is the ingest, not the one-off migrations.
        # (por sql is read-only and never creates a file, so the library's writer connect does it)
        subprocess.run([sys.executable, "-c", "import sys; from indexer.store import connect; connect(sys.argv[1]).close()", str(db)], check=True, capture_output=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "ingest", str(path), "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = proc.stdout.read().decode() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if expect_refused:
            assert proc.returncode == 2, (proc.returncode, out)
            return elapsed, usage.ru_maxrss / 1024, out
        if proc.returncode != 0:
            return elapsed, usage.ru_maxrss / 1024, out
        con = duckdb.connect(str(db), read_only=True)
        loaded = con.execute("select count(*) from addresses").fetchall()[0][0]
        con.close()
    assert loaded == rows, (loaded, rows, out)
    return elapsed, usage.ru_maxrss / 1024, out


def digest_cost(path: Path) -> tuple[float, float]:
    """(seconds of the ingest's one pass before loading: ``content.scan``, seconds of one bare SHA-256 pass), best of two."""
    import hashlib

    from indexer.ingest.content import CHUNK, scan

    def bare() -> None:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)

    def ours() -> None:
        with open(path, "rb") as f:
            scan(f)

    best = {}
    for name, work in (("bare", bare), ("scan", ours)):
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            work()
            times.append(time.perf_counter() - t0)
        best[name] = min(times)
    return best["scan"], best["bare"]


def report_refused(rows: int, share: float) -> None:
    """Peak RSS of an ingest that refuses ``share`` of ``rows`` Binance rows, against the same rows all good."""
    good = big_file(rows, "binance")
    bad = refused_file(rows, share)
    per, every = _ratio(share)
    refused = per * (rows // every) + min(rows % every, per)
    good_s, good_mb, _ = por_ingest(good, rows)
    bad_s, bad_mb, out = por_ingest(bad, rows - refused, expect_refused=share >= 1)
    print(f"binance layout, {rows:,} rows, {refused:,} of them refused (empty address)")
    print(f"  por ingest: {bad_s:.2f} s, peak RSS {bad_mb:,.0f} MB{' (refused whole, exit 2)' if share >= 1 else ''}")
    print(f"  the same {rows:,} rows all good (baseline): {good_s:.2f} s, peak RSS {good_mb:,.0f} MB -> peak ratio {bad_mb / good_mb:.2f}x (target <= 1)")


def report(name: str, path: Path, rows: int) -> None:
    size_mb = path.stat().st_size / 1e6
    elapsed, peak_mb, out = por_ingest(path, rows)
    process = bare_parse_process(path)
    bare = bare_parse(path)
    floor = duckdb_floor(path)
    print(f"{name}: {rows:,} rows, {size_mb:,.0f} MB")
    print(f"  por ingest (whole process, committed): {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB")
    print(f"  bare pyarrow.csv.read_csv, whole process (best of 2): {process:.2f} s -> ratio {elapsed / process:.2f}x (target <= 3x)")
    print(f"  bare pyarrow.csv.read_csv, warm in one process (best of 2): {bare:.2f} s -> ratio {elapsed / bare:.2f}x")
    print(f"  DuckDB read_csv into a table, all VARCHAR, no checks, no key (the write floor): {floor:.2f} s -> {elapsed / floor:.2f}x")
    scan_s, sha_s = digest_cost(path)
    print(f"  duplicate check before the load (content digest + file digest + the text's end): {scan_s:.2f} s; "
          f"one bare SHA-256 pass: {sha_s:.2f} s -> {scan_s / sha_s:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=700_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big", type=int, default=0, help="also an N-row generated file (memory target: 10000000)")
    parser.add_argument("--big-layout", choices=["okx", "binance"], default="binance")
    parser.add_argument("--refused", type=int, default=0, help="also N Binance rows with a share refused, against the same rows all good")
    parser.add_argument("--refused-share", type=float, default=0.4, help="share of the --refused rows refused (1: the whole file)")
    parser.add_argument("--skip-synth", action="store_true", help="only the --big / --refused files")
    args = parser.parse_args()
    if not args.skip_synth:
        report("OKX (por synth)", synth_file(args.rows, args.seed), args.rows)
    if args.big:
        report(f"{args.big_layout} layout (generated)", big_file(args.big, args.big_layout), args.big)
    if args.refused:
        report_refused(args.refused, args.refused_share)


if __name__ == "__main__":
    main()
