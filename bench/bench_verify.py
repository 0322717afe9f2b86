"""How fast ``por verify`` checks a whole OKX-sized file, against the raw curve-math limit.

    .venv/bin/python bench/bench_verify.py [--rows 700000] [--workers N] [--seed 1] [--work-dir DIR]

Makes a synthetic file with real signatures (indexer.synth, the plugin signers; mostly
EVM, BTC and TRON rows like OKX's), ingests it into a fresh DuckDB, runs the verify
pipeline over every core, and then, in the same run, times bare coincurve public-key
recovery (PublicKey.from_signature_and_message) of as many signatures as the file holds,
over the same number of processes. The ratio of the two is the pipeline's overhead over
the curve math; peak memory (main process + workers, sampled from /proc) is printed too.
The generated file is kept in --work-dir and reused by later runs with the same rows/seed.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_SECONDS_PER_700K = 35.0
TARGET_RATIO = 1.5


class RssSampler(threading.Thread):
    """Peak of (this process + its child processes) resident memory, sampled every 100 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.peak_main = 0
        self._halt = threading.Event()

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        kids: list[int] = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    kids += [int(x) for x in f.read().split()]
        except OSError:
            pass
        return kids

    def run(self) -> None:
        me = os.getpid()
        while not self._halt.is_set():
            main = self._rss(me)
            total = main + sum(self._rss(k) for k in self._children(me))
            self.peak_main = max(self.peak_main, main)
            self.peak = max(self.peak, total)
            self._halt.wait(0.1)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _recover_chunk(items: list[tuple[bytes, bytes]]) -> int:
    from coincurve import PublicKey

    ok = 0
    for sig, digest in items:
        PublicKey.from_signature_and_message(sig, digest, hasher=None)
        ok += 1
    return ok


def _warm(_: int) -> int:
    import coincurve  # noqa: F401

    return 0


def _baseline_items(con, sid: int) -> list[tuple[bytes, bytes]]:
    """Every signature cell of the snapshot as a 65-byte recoverable signature.

    secp256k1 cells (0x r‖s‖v, base64 BIP-137) are used as they are; the few that are not
    recoverable (ed25519, BLS, Stark, EOS) are stood in for by one valid secp256k1 signature,
    so the baseline does as many recoveries as the file has signatures.
    """
    import hashlib

    from coincurve import PrivateKey

    digest = hashlib.sha256(b"por bench baseline").digest()
    stand_in = PrivateKey(hashlib.sha256(b"stand-in").digest()).sign_recoverable(digest, hasher=None)
    items: list[tuple[bytes, bytes]] = []
    reader = con.sql("select signature1, signature2 from addresses where snapshot_id = ?", params=[sid]).to_arrow_reader(100_000)
    for batch in reader:
        for col in (batch.column(0).to_pylist(), batch.column(1).to_pylist()):
            for text in col:
                if not text:
                    continue
                raw = b""
                if text[:2] == "0x" and len(text) == 132:
                    raw = bytes.fromhex(text[2:])
                    raw = raw[:64] + bytes([(raw[64] - 27) % 4])
                elif len(text) == 88:
                    try:
                        dec = base64.b64decode(text)
                        raw = dec[1:] + bytes([(dec[0] - 27) % 4])
                    except ValueError:
                        raw = b""
                items.append((raw if len(raw) == 65 else stand_in, digest))
    return items


def _ingest(db: Path, csv_path: Path) -> tuple[int, int, str]:
    from indexer import store
    from indexer.ingest import ingest_file

    con = store.connect(db)
    [report] = ingest_file(con, csv_path)
    con.close()
    return report.snapshot_id, report.rows, report.layout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=700_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "por-bench")
    args = ap.parse_args()

    from indexer import store
    from indexer.models import SignedRow
    from exchanges.okx.synth import write_synth_file
    from indexer.registry import registry
    from indexer.verify import verify_row, verify_snapshot

    args.work_dir.mkdir(parents=True, exist_ok=True)
    csv_path = args.work_dir / f"synth-{args.rows}-{args.seed}.csv"
    if not csv_path.exists():
        t = time.perf_counter()
        write_synth_file(registry(), csv_path, args.rows, seed=args.seed)
        print(f"generated {args.rows:,} signed rows in {time.perf_counter() - t:.1f} s -> {csv_path}")
    else:
        print(f"reusing {csv_path}")
    db = args.work_dir / "bench.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    t = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:  # keeps ingest memory out of the RSS figures
        sid, rows, layout = pool.submit(_ingest, db, csv_path).result()
    print(f"ingested {rows:,} rows in {time.perf_counter() - t:.1f} s (layout {layout}, separate process)")
    con = store.connect(db)

    sampler = RssSampler()
    sampler.start()
    self0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    summary = verify_snapshot(con, sid, workers=args.workers, show_progress=False)
    wall = time.perf_counter() - t
    self1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler.stop()
    cpu_main = self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime
    cpu_workers = kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime
    n_sigs = con.execute(
        "select count(signature1) filter (where signature1 <> '') + count(signature2) filter (where signature2 <> '') from addresses where snapshot_id = ?",
        [sid],
    ).fetchone()[0]

    print()
    print(f"verify_snapshot, {args.workers} workers: {summary.rows_done:,} rows ({n_sigs:,} signatures) in {wall:.2f} s = {summary.rows_done / wall:,.0f} rows/s")
    print(f"  statuses: {summary.by_status}")
    print(f"  CPU: main process {cpu_main:.1f} s (read, dispatch, upsert), workers {cpu_workers:.1f} s")
    print(f"  peak RSS: {sampler.peak / 2**20:,.0f} MiB (main process {sampler.peak_main / 2**20:,.0f} MiB, rest in workers)")

    # Per family: rows in the file, and single-process rate on a sample of that family's rows.
    print("  per family (share of rows; single-process verify_row rate on up to 3,000 of its rows):")
    for family, counts in summary.by_family.items():
        total = sum(counts.values())
        sample = con.execute(
            """select a.row_no, a.coin, a.address, a.message, a.signature1, a.signature2, a.script_or_pubkey, a.eoa1, a.eoa2, a.row_type
               from addresses a join signatures s using (snapshot_id, row_no)
               where a.snapshot_id = ? and coalesce(s.family, '-') = ? limit 3000""",
            [sid, family],
        ).fetchall()
        rows = [SignedRow(r[0], r[1], *(c or "" for c in r[2:])) for r in sample]
        for r in rows[:50]:  # warm: lazy imports and per-coin caches are not per-row cost
            verify_row(r, "okx")
        t = time.perf_counter()
        for r in rows:
            verify_row(r, "okx")
        dt = time.perf_counter() - t
        rate = len(rows) / dt if dt else 0.0
        print(f"    {family:8s} {total:>9,} rows ({total / summary.rows_done:6.1%})  {rate:>8,.0f} rows/s/core  {dt / max(len(rows), 1) * 1e6:6.1f} us/row")

    items = _baseline_items(con, sid)
    con.close()
    chunks = [items[i :: args.workers * 8] for i in range(args.workers * 8)]
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_warm, range(args.workers)))
        t = time.perf_counter()
        done = sum(pool.map(_recover_chunk, chunks))
        base = time.perf_counter() - t
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_base = kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime
    print()
    print(f"baseline: bare coincurve recovery of {done:,} signatures on {args.workers} processes in {base:.2f} s = {done / base:,.0f} recoveries/s (CPU {cpu_base:.1f} s)")
    ratio = wall / base
    scaled = wall * 700_000 / max(summary.rows_done, 1)
    print(f"ratio pipeline / bare recovery: {ratio:.2f}x (target <= {TARGET_RATIO}x)")
    print(f"wall time scaled to 700,000 rows: {scaled:.1f} s (target <= {TARGET_SECONDS_PER_700K:.0f} s)")
    print(f"memory target < 2 GiB: {'met' if sampler.peak < 2 * 2**30 else 'MISSED'}")
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
