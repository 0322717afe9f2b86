"""Benchmark: the issue-9 adapters behind 20 ms of latency, batched pipeline vs one request per address.

For each network a protocol stub (the tests' fixtures) holds N accounts; a proxy adds 20 ms to every
request, like a distant provider. Measured in the same run:

(a) ``fetch_snapshot`` end to end (plan from SQL, adapter, commit): rows/s;
(b) the baseline OKX's checker uses: one balance request per address, sequential (no sleep), on a
    sample, through the same adapter with one address per call: rows/s.

Adapters whose protocol reads many accounts per request (Polkadot storage queries, Beacon ids, Sui
GraphQL aliases, Starknet batches) gain from batching; the others from concurrency only. ``SUI`` reads a snapshot
inside the service's consistent range; ``SUI_REPLAY`` one outside it (current balance, then each address's
transactions after the snapshot).

Run: .venv/bin/python bench/bench_fetch_networks.py [--rows 2000] [--sample 60] [--only XRP,SUI]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.config import NetworkSettings, PorConfig  # noqa: E402
from indexer.fetch import fetch_snapshot  # noqa: E402
from indexer.models import BalanceRequest  # noqa: E402
from indexer.plugins import fetcher_factory  # noqa: E402
from indexer.registry import registry  # noqa: E402
from indexer.rpc import run_session  # noqa: E402
from indexer.store import connect  # noqa: E402
from tests.fixtures.anvil import insert_snapshot  # noqa: E402
from tests.fixtures.faulty_proxy import FaultyProxy  # noqa: E402

LATENCY = 0.02


@dataclass
class Case:
    network: str
    coin: str
    asset: str
    block: int
    addresses: list[str]
    server: Any  # a StubServer
    options: dict[str, Any]
    methods: frozenset[str] = frozenset()  # the methods the rows must have been read with (empty: not checked)


def xrpl(n: int) -> Case:
    from tests.fixtures.xrpl_node import XrplScenario, xrpl_node

    sc = XrplScenario()
    addrs = [f"rBench{i:028d}" for i in range(n)]
    sc.history = {a: [(110, 10**6 + i)] for i, a in enumerate(addrs)}
    return Case("XRP", "XRP", "XRP", 150, addrs, xrpl_node(sc), {})


def starknet(n: int) -> Case:
    from chains.starknet.codec import ETH_TOKEN
    from tests.fixtures.starknet_node import StarknetScenario, starknet_node

    sc = StarknetScenario()
    addrs = [hex(0x10000 + i) for i in range(n)]
    for i, a in enumerate(addrs):
        sc.set(ETH_TOKEN, a, [(1, 10**15 + i)])
    return Case("STARKNET", "STARKNET-ETH", "ETH", 700, addrs, starknet_node(sc), {})


def filecoin(n: int) -> Case:
    from tests.fixtures.lotus_node import LotusScenario, lotus_node

    sc = LotusScenario()
    addrs = [f"f0{10_000 + i}" for i in range(n)]
    sc.history = {a: [(1, 10**18 + i)] for i, a in enumerate(addrs)}
    return Case("FIL", "FIL", "FIL", 2_000, addrs, lotus_node(sc), {})


def aptos(n: int) -> Case:
    from chains.aptos.fetch import normalise_address
    from tests.fixtures.aptos_node import APT, AptosScenario, aptos_node

    sc = AptosScenario()
    addrs = [normalise_address(hex(0x90000 + i)) for i in range(n)]
    for i, a in enumerate(addrs):
        sc.coin_store[(a, APT)] = [(1, 10**8 + i)]
    return Case("APTOS", "APTOS", "APT", 600, addrs, aptos_node(sc), {})


def polkadot(n: int) -> Case:
    from chains.common.ss58 import ss58_address
    from chains.polkadot import codec
    from tests.fixtures.substrate_node import SubstrateScenario, substrate_node

    sc = SubstrateScenario()
    addrs = []
    for i in range(n):
        key = i.to_bytes(32, "big")
        addrs.append(ss58_address(key, 0))
        info = (3).to_bytes(4, "little") + bytes(12) + (10**10 + i).to_bytes(16, "little") + bytes(48)
        sc.storage[codec.system_account_key(key)] = [(1, "0x" + info.hex())]
    return Case("DOT", "DOT", "DOT", 1_500, addrs, substrate_node(sc), {})


def eos(n: int) -> Case:
    from tests.fixtures.eos_node import EosScenario, eos_node

    sc = EosScenario()
    addrs = [f"bench{i:07d}" for i in range(n)]
    for i, a in enumerate(addrs):
        sc.opening[(a, "eosio.token", "EOS")] = 10_0000 + i
    return Case("EOS", "EOS", "EOS", 5_000, addrs, eos_node(sc), {"history_api": "SELF"})


def sui(n: int) -> Case:
    from chains.sui.fetch import SUI, normalise_address
    from tests.fixtures.sui_graphql import SuiScenario, sui_node

    sc = SuiScenario()  # tip 50,000: the snapshot is inside the consistent range (15,000 checkpoints)
    addrs = [normalise_address(hex(0x50000 + i)) for i in range(n)]
    for i, a in enumerate(addrs):
        sc.history[(a, SUI)] = [(1, 10**9 + i)]
    return Case("SUI", "SUI", "SUI", 40_000, addrs, sui_node(sc), {}, frozenset({"state_at_height"}))


def sui_replay(n: int) -> Case:
    """Sui outside the consistent range: current balances minus two later balance changes per address."""
    from chains.sui.fetch import SUI, normalise_address
    from tests.fixtures.sui_graphql import SuiScenario, sui_node

    sc = SuiScenario(tip=100_000)
    addrs = [normalise_address(hex(0x50000 + i)) for i in range(n)]
    for i, a in enumerate(addrs):
        sc.history[(a, SUI)] = [(1, 10**9 + i), (60_000 + i, 2 * 10**9 + i), (90_000 + i, 3 * 10**9)]
    return Case("SUI", "SUI", "SUI", 40_000, addrs, sui_node(sc), {}, frozenset({"replayed"}))


def ton(n: int) -> Case:
    from chains.common.toncells import friendly
    from chains.ton.codec import parse_address, raw_form
    from tests.fixtures.toncenter import TonScenario, toncenter

    sc = TonScenario(master="EQCxE6mUtQJKFnGfaROTKOt1lZbDiiX1kCixRv7Nw2Id_sDs")
    addrs = [friendly(i.to_bytes(32, "big"), bounceable=False) for i in range(1, n + 1)]
    for i, a in enumerate(addrs):
        sc.ton[raw_form(parse_address(a))] = [(1, 10**9 + i)]
    return Case("TON", "TONCOIN-NEW", "TON", 50_000, addrs, toncenter(sc), {})


CASES: dict[str, Callable[[int], Case]] = {
    "XRP": xrpl, "STARKNET": starknet, "FIL": filecoin, "APTOS": aptos, "DOT": polkadot, "EOS": eos, "SUI": sui, "SUI_REPLAY": sui_replay, "TON": ton,
}


def options_for(case: Case, url: str) -> dict[str, Any]:
    return {k: (url if v == "SELF" else v) for k, v in case.options.items()}


def pipeline(case: Case, url: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "por.duckdb")
        sid = insert_snapshot(con, [(case.coin, case.asset, case.network, a, case.block) for a in case.addresses])
        cfg = PorConfig(networks={case.network: NetworkSettings(name=case.network, rpc=[url], concurrency=16, options=options_for(case, url))}, path=Path("por.toml"))
        t0 = time.perf_counter()
        summary = fetch_snapshot(con, cfg, sid, show_progress=False)
        seconds = time.perf_counter() - t0
        run = summary.networks[case.network]
        if run.errors or run.blocked:
            raise SystemExit(f"{case.network}: {run.errors} errors {run.blocked}")
        if case.methods and set(run.methods) != case.methods:
            raise SystemExit(f"{case.network}: read with {dict(run.methods)}, expected {sorted(case.methods)}")
        return len(case.addresses) / seconds


def one_by_one(case: Case, url: str, sample: int) -> float:
    net = registry().networks[case.network]
    factory = fetcher_factory(net.adapter)
    assert factory is not None

    async def go() -> float:
        async with run_session():
            fetcher = factory(net, NetworkSettings(name=case.network, rpc=[url], options=options_for(case, url)))
            await fetcher.preflight({case.block})
            t0 = time.perf_counter()
            for a in case.addresses[:sample]:
                (r,) = await fetcher.fetch([BalanceRequest(a, "", case.block)])
                assert r.ok, r.error
            return sample / (time.perf_counter() - t0)

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--sample", type=int, default=60)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    names = [n.strip().upper() for n in args.only.split(",") if n.strip()] or list(CASES)
    print(f"{'network':<10} {'rows':>6} {'pipeline rows/s':>16} {'one-by-one rows/s':>18} {'ratio':>7}   (20 ms per request)")
    for name in names:
        case = CASES[name](args.rows)
        with case.server as node, FaultyProxy(node.url, latency=LATENCY) as proxy:
            fast = pipeline(case, proxy.url)
            slow = one_by_one(case, proxy.url, args.sample)
        print(f"{name:<10} {args.rows:>6} {fast:>16,.0f} {slow:>18,.1f} {fast / slow:>6.0f}x", flush=True)


if __name__ == "__main__":
    main()
