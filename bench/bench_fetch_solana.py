"""Benchmark: Solana balances end to end, as whole `por fetch` processes behind a 20 ms provider.

10,000 wallets, each with a SOL row and a USDT-SPL row = 20,000 rows, on a LiteSVM ledger behind
the test JSON-RPC node (tests/fixtures/solana_node.py) and a proxy adding 20 ms per HTTP request.
Most accounts are written directly (no history: untouched since long before the snapshot); a few
hundred wallets move SOL and USDT through the real programs before and after the snapshot slot, so
their snapshot values must be replayed from transaction metadata.

(a) current reads: `por fetch --at latest`, rows/s from process start to exit (results committed),
    versus one request per address in the same run on a sample (getBalance for SOL,
    getTokenAccountsByOwner for USDT; sequential, through the same proxy).
(b) snapshot reads: `por fetch` (replayed to the snapshot slot), rows/s, and the replay cost:
    JSON-RPC calls and HTTP requests per replayed account.

Run: .venv/bin/python bench/bench_fetch_solana.py [--wallets 10000] [--moving 200] [--sample 300]
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

from solders.keypair import Keypair  # noqa: E402
from solders.pubkey import Pubkey  # noqa: E402

from indexer.ingest import ingest_file  # noqa: E402
from indexer.store import connect  # noqa: E402
from tests.fixtures.faulty_proxy import FaultyProxy  # noqa: E402
from tests.fixtures.solana_node import TOKEN, Ledger, SolanaNode  # noqa: E402

USDT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
HEADER = "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2"


def build(wallets: int, moving: int) -> tuple[Ledger, list[str], int]:
    lg = Ledger()
    auth = Keypair()
    usdt = lg.place_mint(Pubkey.from_string(USDT), TOKEN, 6, auth.pubkey())
    addrs: list[str] = []
    movers: list[tuple[Keypair, Pubkey]] = []
    for i in range(wallets):
        if i < moving:
            k = Keypair()
            lg.fund(k.pubkey(), 2 * 10**9 + i)
            acct = lg.create_token_account(usdt, k.pubkey())
            lg.mint_to(usdt, acct, auth, 1_000_000 + i)
            movers.append((k, acct))
            addrs.append(str(k.pubkey()))
        else:
            pk = Keypair().pubkey()
            lg.place_wallet(pk, 10**9 + i)
            lg.place_token_account(Keypair().pubkey(), usdt, pk, 5_000_000 + i)
            addrs.append(str(pk))
    lg.advance(10)
    snapshot = lg.slot
    for j, (k, acct) in enumerate(movers):  # after the snapshot: SOL and USDT move between the movers
        other_k, other_acct = movers[(j + 1) % len(movers)]
        lg.transfer_sol(k, other_k.pubkey(), 1000 + j)
        lg.transfer_token(usdt, acct, other_acct, k, 10 + j)
        if j % 50 == 49:
            lg.advance(1)
    lg.advance(5)
    return lg, addrs, snapshot


def write_file(path: Path, addrs: list[str], snapshot: int) -> None:
    lines = [HEADER]
    for a in addrs:
        lines.append(f"SOL,SOL,{snapshot},{a},1,I am an OKX address,0x00,,,,")
        lines.append(f"USDT-SPL,SOL,{snapshot},{a},1,I am an OKX address,0x00,,,,")
    path.write_text("\n".join(lines) + "\n")


def one_per_address(url: str, addrs: list[str]) -> float:
    """One request per row, sequential, no sleep (what a per-address checker does)."""
    t0 = time.perf_counter()
    n = 0
    for a in addrs:
        for method, params in (("getBalance", [a]), ("getTokenAccountsByOwner", [a, {"mint": USDT}, {"encoding": "base64"}])):
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
            req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as resp:
                ans = json.loads(resp.read())
            assert "result" in ans, ans
            n += 1
    return n / (time.perf_counter() - t0)


def por_fetch(db: Path, config: Path, *extra: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "por"), "fetch", "--db", str(db), "--config", str(config), "--network", "SOL", *extra],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "250"},
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"por fetch failed: {proc.stderr[-2000:]}")
    return elapsed, proc.stdout + proc.stderr


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wallets", type=int, default=10_000)
    ap.add_argument("--moving", type=int, default=200)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--latency", type=float, default=0.02)
    args = ap.parse_args()

    t0 = time.perf_counter()
    lg, addrs, snapshot = build(args.wallets, args.moving)
    rows = 2 * len(addrs)
    print(f"ledger: {len(addrs):,} wallets ({args.moving} moving after the snapshot slot {snapshot:,}), {rows:,} rows, built in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp, SolanaNode(lg) as node, FaultyProxy(node.url, latency=args.latency) as proxy:
        tmpd = Path(tmp)
        write_file(tmpd / "por.csv", addrs, snapshot)
        db = tmpd / "por.duckdb"
        con = connect(db)
        ingest_file(con, tmpd / "por.csv")
        con.close()
        config = tmpd / "por.toml"
        config.write_text(f'[networks.SOL]\nrpc = "{proxy.url}"\nconcurrency = 8\n')

        before = proxy.counts["requests"]
        secs, out = por_fetch(db, config, "--at", "latest")
        latest_http = proxy.counts["requests"] - before
        rate_latest = rows / secs
        print(f"(a) por fetch --at latest via {args.latency * 1000:.0f} ms proxy: {rows:,} rows in {secs:.1f} s = {rate_latest:,.0f} rows/s ({latest_http:,} HTTP requests)")
        base = one_per_address(proxy.url, addrs[args.moving : args.moving + args.sample // 2])
        print(f"(a) baseline, one request per row, sequential, same proxy: {base:,.1f} rows/s (sample of {args.sample // 2 * 2})")
        print(f"(a) ratio: {rate_latest / base:,.0f}x  (target >= 50x)")

        before = proxy.counts["requests"]
        secs, out = por_fetch(db, config)
        snap_http = proxy.counts["requests"] - before
        print(f"(b) por fetch at the snapshot slot (replayed) via the proxy: {rows:,} rows in {secs:.1f} s = {rows / secs:,.0f} rows/s ({snap_http:,} HTTP requests)")
        replayed = int(node.counts["getSignaturesForAddress"]) - 1  # minus the preflight probe
        per = f"{(replayed + node.counts['getTransaction']) / max(1, replayed):.2f}"
        print(
            f"(b) replay cost: {per} JSON-RPC calls per replayed account ({replayed:,} accounts: {node.counts['getSignaturesForAddress'] - 1:,} getSignaturesForAddress,"
            f" {node.counts['getTransaction']:,} getTransaction), {snap_http / max(1, replayed):.3f} HTTP requests per replayed account"
        )
        con = connect(db, read_only=True)
        ok = con.execute("select count(*) from balances where as_of = 'snapshot' and status = 'ok' and block_height = ?", [snapshot]).fetchone()[0]
        print(f"    snapshot rows ok at slot {snapshot:,}: {ok:,} of {rows:,}")


if __name__ == "__main__":
    main()
