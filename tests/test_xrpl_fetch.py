"""XRPL balances at the snapshot ledger against a rippled-shaped JSON-RPC stub.

Scenario: balances change before and after the snapshot ledger 150, one account is created after
it, one is malformed; the server holds ledgers 100-200 (or only 190-200: not full history).
"""

from __future__ import annotations

import asyncio
from pathlib import Path


from chains.xrpl.fetch import XrplFetcher, parse_complete_ledgers
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import resume_after_kill, stored_balances
from tests.fixtures.xrpl_node import XrplScenario, xrpl_node

SNAP = 150
A = "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
B = "rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe"
LATE = "rLateAccountCreatedAfterSnapshot1"


def scenario(**kw: object) -> XrplScenario:
    sc = XrplScenario(**kw)  # type: ignore[arg-type]
    sc.history = {
        A: [(100, 25_000_000), (140, 1_000_000_000_123_456), (160, 7)],  # changed before and after the snapshot
        B: [(120, 20_000_000)],
        LATE: [(170, 99_000_000)],  # did not exist at the snapshot
    }
    for i in range(60):
        sc.history[f"rMany{i:030d}"] = [(110, 1_000_000 + i), (151, 5)]
    return sc


def settings(url: str, **kw: object) -> NetworkSettings:
    return NetworkSettings(name="XRP", rpc=[url], backoff=0.01, backoff_max=0.02, **kw)  # type: ignore[arg-type]


def fetch(url: str, reqs: list[BalanceRequest], **kw: object):
    async def go():
        async with run_session():
            f = XrplFetcher(registry().networks["XRP"], settings(url, **kw))
            return await f.fetch(reqs)

    return asyncio.run(go())


def test_complete_ledgers_ranges() -> None:
    assert parse_complete_ledgers("32570-6595042,6595050-6595100") == [(32570, 6595042), (6595050, 6595100)]
    assert parse_complete_ledgers("empty") == []
    assert parse_complete_ledgers("5") == [(5, 5)]


def test_values_at_the_snapshot_ledger_and_honest_errors() -> None:
    sc = scenario(slow_down_first=3)
    with xrpl_node(sc) as node:
        got = fetch(
            node.url,
            [
                BalanceRequest(A, "", SNAP),
                BalanceRequest(B, "", SNAP),
                BalanceRequest(LATE, "", SNAP),
                BalanceRequest("not-an-account", "", SNAP),
                BalanceRequest(A, "", 90),  # the server does not hold it
                BalanceRequest(A, "USD.rIssuer", SNAP),
                BalanceRequest(A, "", None),  # latest
            ],
        )
    a, b, late, bad, old, token, latest = got
    assert (a.base_units, a.block_height, a.method) == (1_000_000_000_123_456, SNAP, "state_at_height")
    assert (b.base_units, b.method) == (20_000_000, "state_at_height")
    assert late.base_units == 0 and late.ok and "did not exist at ledger 150" in late.note  # real zero, with why
    assert not bad.ok and "actMalformed" in bad.error and bad.base_units is None
    assert not old.ok and "lgrNotFound" in old.error and old.base_units is None  # never a zero
    assert not token.ok and "issued token" in token.error
    assert (latest.base_units, latest.block_height, latest.method) == (7, 200, "latest")


def rows() -> list[tuple[str, str, str, str, int | None]]:
    out = [("XRP", "XRP", "XRP", A, SNAP), ("RIPPLE", "XRP", "XRP", B, SNAP), ("XRP", "XRP", "XRP", LATE, SNAP)]
    out += [("XRP", "XRP", "XRP", f"rMany{i:030d}", SNAP) for i in range(60)]
    return out


def expected(sc: XrplScenario) -> dict[int, int]:
    return {n: sc.balance(r[3], SNAP) or 0 for n, r in enumerate(rows(), start=1)}


def stored(con, sid: int) -> dict[int, int]:
    return {row: int(units) for row, units in stored_balances(con, sid).items()}


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    with xrpl_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=9, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows())
        cfg = PorConfig(networks={"XRP": settings(proxy.url, retries=6)}, path=Path("por.toml"))
        summary = fetch_snapshot(con, cfg, sid, show_progress=False)
        assert summary.networks["XRP"].ok == len(rows()) and summary.networks["XRP"].errors == 0
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0  # faults really happened
        assert stored(con, sid) == expected(sc)


def test_a_server_without_the_snapshot_ledger_is_refused_in_one_sentence(tmp_path: Path) -> None:
    with xrpl_node(scenario(held=(190, 200))) as node:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows()[:3])
        summary = fetch_snapshot(con, PorConfig(networks={"XRP": settings(node.url)}, path=Path("por.toml")), sid, show_progress=False)
        assert "does not hold ledger 150" in summary.networks["XRP"].blocked
        got = con.execute("select status, base_units, error from balances where snapshot_id = ?", [sid]).fetchall()
        assert len(got) == 3 and all(s == "error" and u is None and "full-history" in e for s, u, e in got)


def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    sc = scenario()
    cfg = lambda url: PorConfig(networks={"XRP": settings(url)}, path=Path("por.toml"))  # noqa: E731
    con, sid = resume_after_kill(tmp_path, "XRP", rows(), lambda: xrpl_node(sc), cfg, after_requests=25, latency=0.02)
    assert stored(con, sid) == expected(sc)
