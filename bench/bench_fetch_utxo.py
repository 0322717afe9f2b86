"""Descriptors per second: chunked ``scantxoutset`` (our fetcher) vs one scan per address (OKX/BitMEX style).

Runs a real litecoind in regtest, funds N external P2WPKH addresses (default 3,000, at most
20,000), then reads every balance twice in the same run:

* ours: ``ScanFetcher.fetch`` — thousands of ``raw(<script>)`` descriptors per scan;
* baseline: one ``scantxoutset`` per address through the same JsonRpcClient, sequentially
  (a node runs one scan at a time, so per-address scans cannot be parallelised).

Both must agree on every balance. Regtest's UTXO set is tiny (a few thousand coins); on
mainnet each scan walks ~170M coins (minutes), so the per-scan cost — and the ratio — is far
larger there. Usage: ``.venv/bin/python bench/bench_fetch_utxo.py [N]``.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chains.common.encoding import segwit_encode  # noqa: E402
from chains.utxo.fetch import ScanFetcher, to_base_units  # noqa: E402
from indexer.config import Auth, NetworkSettings  # noqa: E402
from indexer.models import BalanceRequest  # noqa: E402
from indexer.registry import registry  # noqa: E402
from indexer.rpc import JsonRpcClient, run_session  # noqa: E402
from tests.fixtures.litecoind import PASSWORD, USER, start_litecoind  # noqa: E402


def main() -> None:
    n = min(int(sys.argv[1]) if len(sys.argv) > 1 else 3_000, 20_000)
    node = start_litecoind()
    try:
        node.setup_wallet(blocks=110)
        addresses = [segwit_encode("rltc", 0, hashlib.sha256(b"bench%d" % i).digest()[:20]) for i in range(n)]
        t0 = time.perf_counter()
        for start in range(0, n, 400):
            node.pay({a: Decimal("0.001") + Decimal(i) / 10**8 for i, a in enumerate(addresses[start : start + 400], start)})
            node.mine(1)
        print(f"funded {n:,} addresses in {time.perf_counter() - t0:.1f} s; UTXO set: {node.rpc('gettxoutsetinfo')['txouts']:,} coins")
        settings = NetworkSettings(name="LTC", rpc=[node.url], auth=Auth(USER, PASSWORD))
        net = registry().network("LTC")

        async def run() -> None:
            async with run_session():
                fetcher = ScanFetcher(net, settings)
                reqs = [BalanceRequest(a, "", None) for a in addresses]
                t = time.perf_counter()
                ours = await fetcher.fetch(reqs)
                t_ours = time.perf_counter() - t
                client = JsonRpcClient(settings, parse_float=Decimal)
                t = time.perf_counter()
                base = []
                for a in addresses:
                    res = await client.call("scantxoutset", ["start", [f"addr({a})"]])
                    base.append(to_base_units(res["total_amount"], 8))
                t_base = time.perf_counter() - t
                assert all(r.ok for r in ours) and [r.base_units for r in ours] == base, "the two methods disagree"
                assert base == [100_000 + i for i in range(n)]
                print(f"chunked scantxoutset : {n / t_ours:>12,.0f} descriptors/s  ({t_ours:.2f} s, {fetcher.stats.scans} scans)")
                print(f"one scan per address : {n / t_base:>12,.0f} descriptors/s  ({t_base:.2f} s, {n} scans)")
                print(f"ratio                : {t_base / t_ours:>12,.1f} x")

        asyncio.run(run())
    finally:
        node.stop()


if __name__ == "__main__":
    main()
