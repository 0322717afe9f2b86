"""EOS / Vaulta balances at the snapshot block by replay, against a nodeos + Hyperion stub.

Scenario: snapshot block 5,000; transfers before and after it in and out (including more than one
history page), an account created after the snapshot, a Vaulta ``A`` token balance, and a head that
moves while balances are read.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from chains.eosio.fetch import EosFetcher, token_of, units_of
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.eos_node import EosScenario, eos_node
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import resume_after_kill
from tests.fixtures.resume import stored_balances as stored  # row_no -> base units, all ok

SNAP = 5_000
OKX = "okbwallet1tr"
NEW = "newaccount12"
MANY = [f"acct{i:08d}" for i in range(24)]


def scenario(**kw: object) -> EosScenario:
    sc = EosScenario(**kw)  # type: ignore[arg-type]
    sc.opening[(OKX, "eosio.token", "EOS")] = 1_000_000_0000
    sc.opening[(OKX, "core.vaulta", "A")] = 5_0000
    sc.transfers += [(100, "eosio.token", "someone11111", OKX, "10.5000 EOS"), (SNAP, "eosio.token", OKX, "someone11111", "0.0001 EOS")]
    # 1,200 small inflows after the snapshot: more than one history page
    sc.transfers += [(SNAP + 1 + i, "eosio.token", "faucet111111", OKX, "0.0100 EOS") for i in range(1_200)]
    sc.transfers += [(7_000, "eosio.token", OKX, "binance11111", "250.0000 EOS"), (7_001, "core.vaulta", "swap11111111", OKX, "3.0000 A")]
    sc.transfers += [(8_000, "eosio.token", "someone11111", NEW, "1.0000 EOS")]
    for i, a in enumerate(MANY):
        sc.opening[(a, "eosio.token", "EOS")] = 100_0000 + i
        sc.transfers.append((9_000, "eosio.token", a, "someone11111", "1.0000 EOS"))
    return sc


def test_quantities_and_tokens() -> None:
    assert units_of("12.3400 EOS", "EOS") == 123_400
    assert units_of("0.0001 A", "A") == 1
    assert token_of("") == ("eosio.token", "EOS") and token_of("core.vaulta:A") == ("core.vaulta", "A")
    for q, s in (("1.0000 EOS", "A"), ("x EOS", "EOS")):
        try:
            units_of(q, s)
        except ValueError:
            continue
        raise AssertionError(f"{q} accepted")


def settings(url: str, history: str | None = "same", **kw: object) -> NetworkSettings:
    opts = {"history_api": url if history == "same" else history} if history else {}
    return NetworkSettings(name="EOS", rpc=[url], backoff=0.01, backoff_max=0.02, options=opts, **kw)  # type: ignore[arg-type]


def fetch(url: str, reqs: list[BalanceRequest], history: str | None = "same"):
    async def go():
        async with run_session():
            return await EosFetcher(registry().networks["EOS"], settings(url, history)).fetch(reqs)

    return asyncio.run(go())


def test_replayed_values_at_the_snapshot_block() -> None:
    sc = scenario(head_advance=1)
    with eos_node(sc) as node:
        eos, a_token, new, latest = fetch(node.url, [BalanceRequest(OKX, "", SNAP), BalanceRequest(OKX, "core.vaulta:A", SNAP), BalanceRequest(NEW, "", SNAP), BalanceRequest(OKX, "", None)])
    assert (eos.base_units, eos.block_height, eos.method) == (sc.balance(OKX, "eosio.token", "EOS", SNAP), SNAP, "replayed")
    assert eos.base_units == 1_000_000_0000 + 10_5000 - 1
    assert (a_token.base_units, a_token.method) == (5_0000, "replayed")
    assert (new.base_units, new.method) == (0, "replayed")
    assert latest.method == "latest" and latest.base_units == sc.balance(OKX, "eosio.token", "EOS", sc.head)


def test_without_history_the_value_is_latest_and_says_so() -> None:
    sc = scenario()
    with eos_node(sc) as node:
        (eos,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)], history=None)
        (lagging,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)])
    assert eos.method == "latest" and "no history_api" in eos.note and eos.base_units == sc.balance(OKX, "eosio.token", "EOS", sc.head)
    assert lagging.method == "replayed"
    sc.indexed_lag = 50
    with eos_node(sc) as node:
        (behind,) = fetch(node.url, [BalanceRequest(OKX, "", SNAP)])
    assert behind.method == "latest" and "indexed only to block" in behind.note


def rows() -> list[tuple[str, str, str, str, int | None]]:
    return [("EOS", "EOS", "EOS", OKX, SNAP), ("EOS", "EOS", "EOS", NEW, SNAP)] + [("EOS", "EOS", "EOS", a, SNAP) for a in MANY]


def expected(sc: EosScenario) -> dict[int, str]:
    return {n: str(sc.balance(r[3], "eosio.token", "EOS", SNAP)) for n, r in enumerate(rows(), start=1)}


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    with eos_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=6, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        cfg = PorConfig(networks={"EOS": settings(proxy.url, retries=6)}, path=Path("por.toml"))
        fetch_snapshot(con, cfg, sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        assert stored(con, sid) == expected(sc)
        assert con.execute("select amount from balances where row_no = 1").fetchone()[0] == "1000010.4999"


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario()
    cfg = lambda url: PorConfig(networks={"EOS": settings(url)}, path=Path("por.toml"))  # noqa: E731
    options = lambda url: {"history_api": url}  # noqa: E731
    con, sid = resume_after_kill(tmp_path, "EOS", rows(), lambda: eos_node(sc), cfg, after_requests=90, commit_chunk=3, options=options)
    assert stored(con, sid) == expected(sc)
