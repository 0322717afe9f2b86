"""Benchmark: EVM balances at a past block, end to end, as whole `por fetch` processes.

30,000 addresses, each with a native (ETH) row and a token (USDT-ERC20) row = 60,000 balances,
at a block that later blocks change. Balances are set fast with anvil_setBalance /
anvil_setStorageAt (the token's balanceOf mapping), then mined.

(a) `por fetch` straight against the node: balances/s from process start to exit (results committed).
(b) Behind a proxy adding 20 ms per request: `por fetch` again, versus OKX's method measured in the
    same run on a sample — one eth_getBalance / eth_call balanceOf per balance, sequential, no sleep.

Run: .venv/bin/python bench/bench_fetch_evm.py [--addresses 30000] [--sample 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.registry import registry  # noqa: E402
from indexer.store import connect  # noqa: E402
from tests.fixtures.anvil import Anvil, insert_snapshot, test_contracts, token_slot  # noqa: E402
from tests.fixtures.faulty_proxy import FaultyProxy  # noqa: E402


def rpc_batch(url: str, calls: list[tuple[str, list]]) -> list:
    body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as resp:
        out = json.loads(resp.read())
    return [r.get("result") for r in sorted(out, key=lambda r: r["id"])]


def rpc(url: str, method: str, params: list) -> object:
    return rpc_batch(url, [(method, params)])[0]


def okx_style(url: str, reqs: list[tuple[str, str, int]]) -> float:
    """One request per balance, sequential, no sleep (OKX CheckBalance without its 500 ms pause)."""
    t0 = time.perf_counter()
    for holder, token, block in reqs:
        body = {"jsonrpc": "2.0", "id": 1, "params": []}
        if token:
            body.update(method="eth_call", params=[{"to": token, "data": "0x70a08231" + "0" * 24 + holder[2:]}, hex(block)])
        else:
            body.update(method="eth_getBalance", params=[holder, hex(block)])
        req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            int(json.loads(resp.read())["result"][:66], 16)
    return len(reqs) / (time.perf_counter() - t0)


def por_fetch(db: Path, config: Path, sid: int) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "por"), "fetch", "--db", str(db), "--config", str(config), "--snapshot", str(sid), "--refresh"],
        capture_output=True, text=True, cwd=REPO,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"por fetch failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--addresses", type=int, default=30_000)
    ap.add_argument("--sample", type=int, default=300)
    args = ap.parse_args()
    n = args.addresses
    usdt = registry().coin("USDT-ERC20").contract.lower()  # type: ignore[union-attr]
    holders = [f"0x{0x5EED0000000 + i * 7919:040x}" for i in range(n)]
    with Anvil("--chain-id", "1") as node, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        node.set_code(usdt, test_contracts()["TestToken"]["runtime"])
        for start in range(0, n, 1000):
            part = holders[start : start + 1000]
            calls: list[tuple[str, list]] = []
            for i, h in enumerate(part, start):
                calls.append(("anvil_setBalance", [h, hex(10**18 + i * 10**9 + 1)]))
                calls.append(("anvil_setStorageAt", [usdt, token_slot(h), "0x" + (10**6 * i + 7).to_bytes(32, "big").hex()]))
            rpc_batch(node.url, calls)
        snapshot_block = node.mine(1)
        node.mine(1)  # anvil_set* edits the newest block's state in place: keep the snapshot block one behind
        # later history: every balance changes, so reading the wrong block cannot pass the check
        for start in range(0, n, 1000):
            rpc_batch(node.url, [("anvil_setBalance", [h, hex(5)]) for h in holders[start : start + 1000]])
        node.mine(5)
        print(f"setup: {n:,} addresses, {2 * n:,} balances at block {snapshot_block} (tip {node.block_number()}) in {time.perf_counter() - t0:.1f} s")

        db = Path(tmp) / "bench.duckdb"
        con = connect(db)
        sid = insert_snapshot(con, [r for h in holders for r in (("ETH", "ETH", "ETH", h, snapshot_block), ("USDT-ERC20", "USDT", "ETH", h, snapshot_block))], label="bench")
        con.close()

        def check() -> None:
            con = connect(db, read_only=True)
            ok, total, bad = con.execute(
                """select count(*) filter (where b.status = 'ok'), count(*),
                          count(*) filter (where b.base_units <> case when a.coin = 'ETH'
                              then cast(1000000000000000000 as hugeint) + cast(a.row_no // 2 as hugeint) * 1000000000 + 1
                              else cast((a.row_no - 1) // 2 as hugeint) * 1000000 + 7 end)
                   from balances b join addresses a using (snapshot_id, row_no) where b.snapshot_id = ?""",
                [sid],
            ).fetchone()
            con.close()
            if (ok, total, bad) != (2 * n, 2 * n, 0):
                raise SystemExit(f"wrong results: ok={ok} total={total} mismatched={bad}")

        # (a) straight against the node
        cfg = Path(tmp) / "por.toml"
        cfg.write_text(f'[networks.ETH]\nrpc = "{node.url}"\n')
        secs, out = por_fetch(db, cfg, sid)
        check()
        rate_a = 2 * n / secs
        print(out)
        print(f"(a) por fetch, direct: {2 * n:,} balances in {secs:.2f} s (whole process) = {rate_a:,.0f} balances/s  (target >= 20,000)")

        # (b) behind a 20 ms proxy
        with FaultyProxy(node.url, latency=0.020) as proxy:
            sample = [(h, tok, snapshot_block) for h in holders[: args.sample // 2] for tok in ("", usdt)]
            base = okx_style(proxy.url, sample)
            cfg.write_text(f'[networks.ETH]\nrpc = "{proxy.url}"\n')
            secs_b, out_b = por_fetch(db, cfg, sid)
            requests_b = proxy.counts["requests"] - len(sample)
        check()
        rate_b = 2 * n / secs_b
        print(out_b)
        print(f"(b) baseline, one request per balance, sequential, via 20 ms proxy: {base:,.1f} balances/s (sample of {len(sample)})")
        print(f"(b) por fetch via the same proxy: {2 * n:,} balances in {secs_b:.2f} s = {rate_b:,.0f} balances/s, {requests_b} HTTP requests")
        print(f"(b) ratio: {rate_b / base:,.0f}x  (target >= 100x); direct/baseline: {rate_a / base:,.0f}x")


if __name__ == "__main__":
    main()
