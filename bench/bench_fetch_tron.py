"""Benchmark: TRON balances (TRX + USDT) for a snapshot block, behind a 20 ms proxy.

10,000 holders × (TRX, USDT-TRC20) = 20,000 rows on the java-tron + TronGrid stub
(``tests/fixtures/tron_node.py``), every request through a proxy adding 20 ms (a distant provider).
A tenth of the holders move USDT after the snapshot block (1–3 transfers each) and one hot wallet
moves 1,000 times, so the replay has real work; every value is checked against the scenario.

(a) Current reads (what the ≥ 50× target is about): the adapter in-process, 20,000 current balances
    (USDT ``balanceOf`` and TRX ``getEthBalance`` through the Multicall ``aggregate``), versus OKX's
    method measured in the same run on a sample: one request per balance, sequential.
(b) Snapshot, end to end: the whole ``por fetch`` process (TRX by ``getaccountbalance`` at the block,
    one request each; USDT in bulk, then replayed over TronGrid), rows/s versus the same baseline.
    Prints the replay cost (TronGrid requests per replayed account) and the token events scan's cost
    (``/v1/contracts/{c}/events`` pages per snapshot: one page per event name of the token's ABI, whatever the
    holder count and the Transfer volume).

Run: .venv/bin/python bench/bench_fetch_tron.py [--holders 10000] [--sample 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chains.tron.fetch import make_fetcher  # noqa: E402
from indexer.config import NetworkSettings  # noqa: E402
from indexer.models import BalanceRequest  # noqa: E402
from indexer.registry import registry  # noqa: E402
from indexer.rpc import run_session  # noqa: E402
from indexer.store import connect  # noqa: E402
from tests.fixtures.anvil import insert_snapshot  # noqa: E402
from tests.fixtures.faulty_proxy import FaultyProxy  # noqa: E402
from tests.fixtures.tron_node import WITNESS, Scenario, Token, TronNode, b58, hex41  # noqa: E402

USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SNAP = 50_000
CONCURRENCY = 32


def holders(n: int) -> list[str]:
    return [b58(f"41{0x7A00000000 + i * 7919:040x}") for i in range(n)]


def build(n: int) -> Scenario:
    s = Scenario(head=60_000)
    u = hex41(USDT)
    s.tokens = {u: Token("USDT")}
    tok = s.tokens[u]
    s.trx[WITNESS] = [(1, 10**12)]
    hs = holders(n)
    for i, h in enumerate(hs):
        x = hex41(h)
        s.trx[x] = [(1_000 + i % 997, 10**6 + i), (SNAP + 1 + i % 5000, 5 + i)]  # TRX changes after the snapshot
        tok.minted[x] = 10**9 + i
    for i in range(0, n, 10):  # a tenth move USDT after the snapshot
        for k in range(1 + i % 3):
            s.transfer(u, SNAP + 10 + i % 9000 + k, hs[i], hs[(i + 1) % n], 1_000 + k)
    for k in range(1000):  # one hot wallet
        s.transfer(u, SNAP + 1 + k * 3, hs[0], hs[2 + k % 50], 7)
    tok.owner = hex41(b58(f"41{0x7B00000000:040x}"))  # Tether's owner, not among the holders
    s.issue(u, SNAP + 500, 10**12)  # balance changes without a Transfer: the events scan sees them, no holder row is touched
    s.redeem(u, SNAP + 900, 10**9)
    return s


def truth(s: Scenario, holder: str, token: str, block: int) -> int:
    if token:
        return s.token_balance(hex41(token), hex41(holder), block)
    bal, _ = s.trx_at(hex41(holder), block)
    return bal or 0


def post(url: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def okx_style(url: str, reqs: list[tuple[str, str]]) -> float:
    """One request per current balance, sequential, no sleep (OKX CheckBalance without its 500 ms pause)."""
    t0 = time.perf_counter()
    for holder, token in reqs:
        if token:
            body = post(url, "/walletsolidity/triggerconstantcontract", {
                "owner_address": holder, "contract_address": token, "function_selector": "balanceOf(address)",
                "parameter": "0" * 24 + hex41(holder)[2:], "visible": True,
            })
            int(body["constant_result"][0], 16)
        else:
            post(url, "/walletsolidity/getaccount", {"address": holder, "visible": True}).get("balance", 0)
    return len(reqs) / (time.perf_counter() - t0)


def current_reads(url: str, reqs: list[BalanceRequest]) -> tuple[float, list]:
    async def go():
        async with run_session():
            f = make_fetcher(registry().networks["TRON"], NetworkSettings(name="TRON", rpc=[url], concurrency=CONCURRENCY))
            t0 = time.perf_counter()
            res = await f.fetch(reqs)
            return time.perf_counter() - t0, res

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--holders", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--current-reads", metavar="URL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = args.holders
    if args.current_reads:
        reqs = [BalanceRequest(h, tok, None) for h in holders(n) for tok in ("", USDT)]
        secs, res = current_reads(args.current_reads, reqs)
        print(json.dumps({"secs": secs, "values": [r.base_units for r in res]}))
        return
    t0 = time.perf_counter()
    s = build(n)
    hs = holders(n)
    print(f"setup: {n:,} holders, {2 * n:,} rows at block {SNAP:,} (solidified {s.solid:,}) in {time.perf_counter() - t0:.1f} s")
    with TronNode(s) as node, FaultyProxy(node.url, latency=0.020) as proxy, tempfile.TemporaryDirectory() as tmp:
        sample = [(h, tok) for h in hs[: args.sample // 2] for tok in ("", USDT)]
        base = okx_style(proxy.url, sample)
        print(f"baseline: one request per balance, sequential, via the 20 ms proxy: {base:,.1f} balances/s (sample of {len(sample)})")

        # (a) current reads in bulk
        reqs = [BalanceRequest(h, tok, None) for h in hs for tok in ("", USDT)]
        before = proxy.counts["requests"]
        child = subprocess.run(  # its own process, as `por fetch` would be: the stub and proxy keep this one busy
            [sys.executable, __file__, "--current-reads", proxy.url, "--holders", str(n)], capture_output=True, text=True, cwd=REPO, check=True,
        )
        answer = json.loads(child.stdout)
        secs, values = answer["secs"], answer["values"]
        used = proxy.counts["requests"] - before
        bad = sum(1 for r, v in zip(reqs, values) if v != truth(s, r.address, r.contract, s.solid))
        if bad:
            raise SystemExit(f"(a) {bad} wrong current balances")
        rate_a = len(reqs) / secs
        print(f"(a) current reads: {len(reqs):,} balances in {secs:.2f} s = {rate_a:,.0f}/s, {used} HTTP requests; ratio {rate_a / base:,.0f}x (target >= 50x)")

        # (b) snapshot end to end, whole `por fetch` process
        db = Path(tmp) / "bench.duckdb"
        con = connect(db)
        rows = [r for h in hs for r in (("TRX", "TRX", "TRON", h, SNAP), ("USDT-TRC20", "USDT", "TRON", h, SNAP))]
        sid = insert_snapshot(con, rows, label="bench")
        con.close()
        cfg = Path(tmp) / "por.toml"
        cfg.write_text(f'[networks.TRON]\nrpc = "{proxy.url}"\nconcurrency = {CONCURRENCY}\n\n[networks.TRON.options]\nhistory_api = "{proxy.url}"\n')
        before = proxy.counts["requests"]
        grid_before = node.counts["v1"]
        t1 = time.perf_counter()
        proc = subprocess.run(
            [str(REPO / ".venv" / "bin" / "por"), "fetch", "--db", str(db), "--config", str(cfg), "--snapshot", str(sid)],
            capture_output=True, text=True, cwd=REPO,
        )
        secs_b = time.perf_counter() - t1
        if proc.returncode != 0:
            raise SystemExit(f"por fetch failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        used_b = proxy.counts["requests"] - before
        con = connect(db, read_only=True)
        got = con.execute(
            "select a.coin, a.address, b.status, cast(b.base_units as varchar), b.block_height from balances b join addresses a using (snapshot_id, row_no) where b.snapshot_id = ?",
            [sid],
        ).fetchall()
        con.close()
        wrong = [g for g in got if g[2] != "ok" or g[4] != SNAP or int(g[3]) != truth(s, g[1], USDT if g[0] == "USDT-TRC20" else "", SNAP)]
        if len(got) != len(rows) or wrong:
            raise SystemExit(f"(b) wrong snapshot results: {len(got)} rows, {len(wrong)} wrong, e.g. {wrong[:3]}")
        print(proc.stdout.strip())
        rate_b = len(rows) / secs_b
        print(f"(b) por fetch at the snapshot: {len(rows):,} rows in {secs_b:.2f} s (whole process) = {rate_b:,.0f} rows/s, {used_b:,} HTTP requests ({node.counts['v1'] - grid_before:,} to TronGrid); ratio {rate_b / base:,.1f}x")
        grid = node.counts["v1"] - grid_before
        events = node.counts["contract_events"]
        in_window = sum(1 for b, *_ in s.tokens[hex41(USDT)].transfers + s.tokens[hex41(USDT)].others if SNAP < b <= s.solid)
        print(f"(b) replay cost: {(grid - events) / max(1, n):.2f} TronGrid transfer-history requests per replayed account ({grid - events:,} requests, {n:,} accounts; the hot wallet's 1,000 transfers take 5 pages)")
        print(
            f"(b) token events scan: {events:,} extra TronGrid requests per snapshot (asked by event name; {in_window:,} USDT events in the window;"
            f" {events / max(1, n):.4f} per replayed account), {node.counts['owner_calls']} owner() call(s)"
        )


if __name__ == "__main__":
    main()
