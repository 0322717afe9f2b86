"""TRON end to end: an OKX-format file with TRON rows ingested into a real DuckDB file, then
``fetch_snapshot`` through the TRON adapter against the java-tron + TronGrid stub; exact base
units at the snapshot block, identical behind the fault proxy, resumable after SIGKILL."""

from __future__ import annotations

import signal
from pathlib import Path

from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.ingest import ingest_file
from indexer.ingest.amounts import from_base_units
from indexer.store import connect
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import kill_mid_fetch
from tests.fixtures.tron_node import TronNode
from tests.test_tron_fetch import A, C, D, E, F, G, SNAP, USDT, addr, scenario, truth

REPO = Path(__file__).resolve().parents[1]
SIG = "0x" + "ab" * 65
HOLDERS = (A, C, D, E, F, G)


def okx_file(tmp_path: Path, extra: int = 0) -> tuple[Path, list[tuple[str, str]]]:
    """An 11-column OKX file (summary + detail); returns it and its (coin, address) rows in order."""
    rows = [(coin, h) for h in HOLDERS for coin in ("TRX", "USDT-TRC20")]
    rows += [("USDC-TRC", A)]  # a token that reverts
    rows += [(coin, addr(f"fresh{i}")) for i in range(extra) for coin in ("TRX", "USDT-TRC20")]
    per_coin = {c: sum(1 for coin, _ in rows if coin == c) for c in ("TRX", "USDT-TRC20")}  # every amount is 1: the totals add up
    lines = ["coin,snapshot height,amount", f"TRX,{SNAP},{per_coin['TRX']}", f"USDT-TRC20,{SNAP},{per_coin['USDT-TRC20']}", ""]
    lines.append("coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2")
    lines += [f"{coin},TRON,{SNAP},{h},1,I am an OKX address,{SIG},,,," for coin, h in rows]
    path = tmp_path / "okx_por_tron.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, rows


def config(url: str, history: str, **options: object) -> PorConfig:
    s = NetworkSettings(name="TRON", rpc=[url], backoff=0.01, backoff_max=0.05, options={"history_api": history, **options})
    return PorConfig(networks={"TRON": s}, path=Path("por.toml"))


def check(con, sid: int, rows: list[tuple[str, str]], s) -> None:  # type: ignore[no-untyped-def]
    got = {
        r[0]: r[1:]
        for r in con.execute(
            "select row_no, status, cast(base_units as varchar), amount, error, block_height from balances where snapshot_id = ? and as_of = 'snapshot'",
            [sid],
        ).fetchall()
    }
    row_nos = [r[0] for r in con.execute("select row_no from addresses where snapshot_id = ? order by row_no", [sid]).fetchall()]
    assert len(row_nos) == len(rows) and set(got) == set(row_nos)
    assert con.execute("select count(*) - count(distinct (snapshot_id, row_no, as_of)) from balances").fetchone()[0] == 0
    for row_no, (coin, holder) in zip(row_nos, rows):
        status, units, amount, error, block = got[row_no]
        if coin == "USDC-TRC":
            assert (status, units, amount) == ("error", None, None) and "Pausable: paused" in error
            continue
        want = truth(s, holder, USDT if coin == "USDT-TRC20" else "", SNAP)
        assert (status, int(units), block, error) == ("ok", want, SNAP, None), (coin, holder)
        assert amount == from_base_units(want, 6)


def test_okx_file_to_exact_snapshot_balances(tmp_path: Path) -> None:
    con = connect(tmp_path / "por.duckdb")
    path, rows = okx_file(tmp_path)
    [report] = ingest_file(con, path)
    with TronNode(scenario()) as n:
        summary = fetch_snapshot(con, config(n.url, n.url), report.snapshot_id, show_progress=False, commit_chunk=5)
    check(con, report.snapshot_id, rows, n.s)
    run = summary.networks["TRON"]
    assert run.ok == 12 and run.errors == 1 and run.blocks == [SNAP]
    methods = dict(con.execute("select a.coin, list(distinct b.method) from balances b join addresses a using (snapshot_id, row_no) where b.status = 'ok' group by a.coin").fetchall())
    assert methods == {"TRX": ["state_at_height"], "USDT-TRC20": ["replayed"]}  # how each value was obtained, per row
    assert "transfer(s) undone" in run.method
    # the replay path the adapter chose from the counts, and why, is in the run's summary
    assert "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t: one event scan" in run.path and f"TRON: {run.path}" in str(summary)
    assert con.execute("select count(distinct address) from addresses where coin = 'USDT-TRC20'").fetchone()[0] == len(HOLDERS)


def test_faulty_provider_gives_identical_balances(tmp_path: Path) -> None:
    con = connect(tmp_path / "por.duckdb")
    path, rows = okx_file(tmp_path)
    [report] = ingest_file(con, path)
    with TronNode(scenario()) as n, FaultyProxy(n.url, share=0.3, seed=7, delay=0.4, max_consecutive=2) as proxy:
        cfg = config(proxy.url, proxy.url, chunk_size=3)
        cfg.networks["TRON"].timeout = 0.3
        cfg.networks["TRON"].retries = 6
        fetch_snapshot(con, cfg, report.snapshot_id, show_progress=False, commit_chunk=4)
        injected = sum(v for k, v in proxy.counts.items() if k != "requests")
    assert injected > 0
    check(con, report.snapshot_id, rows, n.s)




def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    db = tmp_path / "por.duckdb"
    con = connect(db)
    path, rows = okx_file(tmp_path, extra=150)
    [report] = ingest_file(con, path)
    sid = report.snapshot_id
    con.close()
    with TronNode(scenario()) as n:
        with FaultyProxy(n.url, latency=0.03) as proxy:  # slow provider: the run takes seconds
            code = kill_mid_fetch(db, "TRON", proxy.url, sid, lambda: proxy.counts["requests"], after_requests=60, commit_chunk=4, options={"history_api": proxy.url, "chunk_size": 4})
        assert code == -signal.SIGKILL
        con = connect(db)
        done = con.execute("select count(*) from balances where snapshot_id = ?", [sid]).fetchone()[0]
        assert 0 < done < len(rows)  # killed mid-run, after some chunks were committed
        summary = fetch_snapshot(con, config(n.url, n.url), sid, show_progress=False)
        assert summary.networks["TRON"].rows <= len(rows) - done + 1  # only what was missing (+ the error row, retried)
        check(con, sid, rows, n.s)
    assert con.execute("select count(*) from balances where snapshot_id = ?", [sid]).fetchone()[0] == len(rows)
