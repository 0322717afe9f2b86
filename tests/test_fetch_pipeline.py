"""fetch_snapshot end to end: a real anvil, a real DuckDB file, rows planned from SQL and
committed in chunks; resumable after SIGKILL, exact under transport faults, never a zero for a failure."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import FetchError, fetch_snapshot, network_status
from indexer.store import connect
from tests.fixtures.anvil import Anvil, World, insert_snapshot
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import kill_mid_fetch


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Anvil("--chain-id", "1") as node:
        yield World(node)


def config(url: str, **options: object) -> PorConfig:
    return PorConfig(networks={"ETH": NetworkSettings(name="ETH", rpc=[url], backoff=0.01, options=dict(options))}, path=Path("por.toml"))


def snapshot_rows(w: World) -> list[tuple[str, str, str, str, int | None]]:
    s = w.snapshot_block
    rows = []
    for h in w.holders:
        rows.append(("ETH", "ETH", "ETH", h, s))
        rows.append(("USDT-ERC20", "USDT", "ETH", h, s))
    h0 = w.holders[0]
    rows += [
        ("ETH", "ETH", "ETH", h0.upper().replace("0X", "0x"), s),  # same read as row 1: fetched once
        ("USDC", "USDC", "ETH", h0, s),  # reverting token
        ("UNI", "UNI", "ETH", h0, s),  # returns nothing
        ("LINK", "LINK", "ETH", h0, s),  # no code at all
        ("PYUSD-ERC20", "PYUSD", "ETH", h0, s),  # the registry has no confirmed contract
        ("ETH", "ETH", "ETH", "0x1234", s),  # not an address
        ("ETH", "ETH", "ETH", w.holders[1], None),  # no height in the file
        ("BNB-BSC", "BNB", "BSC", h0, s),  # BSC is not configured: left alone
    ]
    return rows


def balances(con, sid: int, as_of: str = "snapshot") -> dict[int, tuple]:
    rows = con.execute(
        "select row_no, status, cast(base_units as varchar), amount, error, block_height, source from balances where snapshot_id = ? and as_of = ? order by row_no",
        [sid, as_of],
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def check_snapshot_balances(w: World, con, sid: int, rows: list, as_of: str = "snapshot", block: int | None = None, port: int | None = None, also_port: int | None = None) -> None:
    got = balances(con, sid, as_of)
    block = block or w.snapshot_block
    dup = con.execute("select count(*) - count(distinct (snapshot_id, row_no, as_of)) from balances").fetchone()[0]
    assert dup == 0
    for row_no, (coin, _asset, network, address, height) in enumerate(rows, start=1):
        if network == "BSC":
            assert row_no not in got  # not configured: no row, reported in the summary
            continue
        status, units, amount, error, bh, source = got[row_no]
        if coin in ("ETH", "USDT-ERC20") and address.startswith("0x") and len(address) == 42 and (height is not None or as_of == "latest"):
            token = w.usdt if coin == "USDT-ERC20" else ""
            want = w.expected(address.lower(), token, block)
            decimals = 6 if token else 18
            assert (status, int(units), bh, error) == ("ok", want, block, None), (row_no, coin, address)
            whole, frac = divmod(want, 10**decimals)
            assert amount == (f"{whole}.{str(frac).rjust(decimals, '0').rstrip('0')}" if frac else str(whole))
            assert source in (f"127.0.0.1:{port or w.node.port}", f"127.0.0.1:{also_port}")
        else:
            assert status == "error" and units is None and amount is None and error, (row_no, coin, got[row_no])


def test_fetch_at_snapshot_then_latest_then_resume(world: World, tmp_path: Path) -> None:
    con = connect(tmp_path / "por.duckdb")
    rows = snapshot_rows(world)
    sid = insert_snapshot(con, rows)
    summary = fetch_snapshot(con, config(world.node.url), sid, show_progress=False, commit_chunk=4)
    check_snapshot_balances(world, con, sid, rows)
    eth = summary.networks["ETH"]
    assert eth.rows == len(rows) - 1 and eth.reads < eth.rows  # the duplicate row shared a read
    assert eth.ok == 2 * len(world.holders) + 1 and eth.errors == 6 and eth.blocks == [world.snapshot_block]
    assert summary.skipped["BSC"][0] == 1 and "not configured" in summary.skipped["BSC"][1]
    errors = {r[0]: r[1] for r in con.execute("select a.coin, b.error from balances b join addresses a using (snapshot_id, row_no) where b.status = 'error'").fetchall()}
    assert errors["PYUSD-ERC20"] == "registry has no confirmed contract for PYUSD-ERC20 on ETH"
    assert "revert" in errors["USDC"] and "no contract code" in errors["LINK"]
    assert "override" in eth.method and "ETH" in str(summary)
    # how each value was read, at which block, by which run (fetch contract v2)
    ok_rows = con.execute("select distinct method, read_block, block_height, run_id, note from balances where status = 'ok'").fetchall()
    assert ok_rows == [("state_at_height", world.snapshot_block, world.snapshot_block, summary.run_id, "override")]
    assert eth.methods == {"state_at_height": eth.ok}
    runs = {r[0]: r[1:] for r in con.execute(
        "select network, outcome, rows_planned, rows_ok, rows_error, rows_state_at_height, rows_latest, reason, blocks, finished_at is not null"
        " from runs where run_id = ?", [summary.run_id]).fetchall()}
    assert runs["ETH"] == ("errors", eth.rows, eth.ok, 6, eth.ok, 0, None, [world.snapshot_block], True)
    assert runs["BSC"][:3] == ("skipped", 1, 0) and "not configured" in runs["BSC"][6]

    # latest: the current balances, at the tip read once
    latest = fetch_snapshot(con, config(world.node.url), sid, at="latest", show_progress=False)
    tip = world.node.block_number()
    assert latest.networks["ETH"].blocks == [tip]
    check_snapshot_balances(world, con, sid, rows, as_of="latest", block=tip)
    assert con.execute("select distinct method, read_block, run_id from balances where as_of = 'latest' and status = 'ok'").fetchall() == [("latest", tip, latest.run_id)]
    assert latest.run_id == summary.run_id + 1  # type: ignore[operator]
    # a row that cannot be read is an error row at the block asked: the tip for latest, the file's height for the snapshot
    unreadable = "select b.as_of, b.block_height from balances b join addresses a using (snapshot_id, row_no) where a.coin = 'PYUSD-ERC20' order by 1"
    assert con.execute(unreadable).fetchall() == [("latest", tip), ("snapshot", world.snapshot_block)]

    # a re-run touches nothing that is ok; error rows are retried (and stay errors here)
    before = con.execute("select row_no, epoch_us(fetched_at) from balances where as_of = 'snapshot' and status = 'ok' order by row_no").fetchall()
    again = fetch_snapshot(con, config(world.node.url), sid, show_progress=False)
    assert again.networks["ETH"].rows == 6 and again.networks["ETH"].errors == 6
    assert con.execute("select row_no, epoch_us(fetched_at) from balances where as_of = 'snapshot' and status = 'ok' order by row_no").fetchall() == before
    refreshed = fetch_snapshot(con, config(world.node.url), sid, refresh=True, show_progress=False)
    assert refreshed.networks["ETH"].rows == len(rows) - 1
    check_snapshot_balances(world, con, sid, rows)
    after = dict(con.execute("select row_no, epoch_us(fetched_at) from balances where as_of = 'snapshot' and status = 'ok'").fetchall())
    assert all(after[r] > t for r, t in before)


def test_a_blocked_network_becomes_error_rows_with_the_reason(world: World, tmp_path: Path) -> None:
    con = connect(tmp_path / "por.duckdb")
    future = world.node.block_number() + 500
    rows = [("ETH", "ETH", "ETH", h, future) for h in world.holders] + [("PYUSD-ERC20", "PYUSD", "ETH", world.holders[0], future)]
    sid = insert_snapshot(con, rows)
    summary = fetch_snapshot(con, config(world.node.url), sid, show_progress=False)
    assert "beyond the node's tip" in summary.blocked["ETH"] and "BLOCKED" in str(summary)
    got = balances(con, sid)
    assert len(got) == len(rows)
    assert all(g[0] == "error" and g[1] is None and g[2] is None for g in got.values())
    assert sum("beyond the node's tip" in g[3] for g in got.values()) == len(world.holders)
    assert all(g[4] == future for g in got.values())
    run = con.execute("select outcome, reason, rows_planned, rows_ok, rows_error, finished_at is not null from runs where run_id = ? and network = 'ETH'", [summary.run_id]).fetchone()
    assert run == ("blocked", summary.blocked["ETH"], len(rows), 0, len(rows), True)
    assert con.execute("select count(*) from balances where run_id = ? and method is null", [summary.run_id]).fetchone()[0] == len(rows)


def test_faulty_provider_gives_the_same_balances_and_no_duplicates(world: World, tmp_path: Path) -> None:
    con = connect(tmp_path / "por.duckdb")
    rows = snapshot_rows(world)
    sid = insert_snapshot(con, rows)
    with FaultyProxy(world.node.url, share=0.3, seed=11, delay=0.4, max_consecutive=2) as proxy:
        cfg = config(proxy.url, chunk_size=2)
        cfg.networks["ETH"].timeout = 0.3
        cfg.networks["ETH"].retries = 6
        fetch_snapshot(con, cfg, sid, show_progress=False, commit_chunk=3)
        injected = sum(v for k, v in proxy.counts.items() if k != "requests")
    assert injected > 0
    check_snapshot_balances(world, con, sid, rows, port=proxy.port)  # the source names the endpoint used




def test_a_killed_run_resumes_with_nothing_lost_or_duplicated(world: World, tmp_path: Path) -> None:
    db = tmp_path / "por.duckdb"
    con = connect(db)
    extra = [("ETH", "ETH", "ETH", f"0x{0xD00D0000 + i:040x}", world.snapshot_block) for i in range(300)]
    rows = snapshot_rows(world) + extra
    sid = insert_snapshot(con, rows)
    total = len(rows) - 1
    con.close()
    with FaultyProxy(world.node.url, latency=0.03) as proxy:  # slow provider: the run takes seconds
        code = kill_mid_fetch(db, "ETH", proxy.url, sid, lambda: proxy.counts["requests"], after_requests=40, commit_chunk=4, options={"chunk_size": 2})
    assert code == -signal.SIGKILL
    con = connect(db)
    done = con.execute("select count(*) from balances where snapshot_id = ?", [sid]).fetchone()[0]
    assert 0 < done < total  # killed mid-run, after some chunks were committed
    summary = fetch_snapshot(con, config(world.node.url), sid, show_progress=False)
    assert summary.networks["ETH"].rows <= total - done + 6  # only what was missing (+ error rows, retried)
    check_snapshot_balances(world, con, sid, rows, also_port=proxy.port)  # rows from before the kill came via the proxy
    assert con.execute("select count(*) from balances where snapshot_id = ?", [sid]).fetchone()[0] == total
    for i in range(300):
        assert world.expected(f"0x{0xD00D0000 + i:040x}", "", world.snapshot_block) == 0  # fresh addresses: truly zero
    # the runs table tells the story: the killed run never finished, and counted exactly what it committed
    killed_id = summary.run_id - 1  # type: ignore[operator]
    killed = con.execute("select outcome, finished_at, rows_ok, rows_error, rows_planned from runs where run_id = ? and network = 'ETH'", [killed_id]).fetchone()
    assert killed[:2] == ("running", None) and killed[4] == total and killed[2] + killed[3] == done
    assert con.execute("select count(*) from balances where run_id = ? and status = 'ok'", [killed_id]).fetchone()[0] == killed[2]
    resumed = con.execute("select outcome, rows_planned, rows_ok + rows_error from runs where run_id = ? and network = 'ETH'", [summary.run_id]).fetchone()
    assert resumed == ("errors", summary.networks["ETH"].rows, summary.networks["ETH"].rows)
    by_run = dict(con.execute("select run_id, count(*) from balances where snapshot_id = ? group by run_id", [sid]).fetchall())
    assert set(by_run) == {killed_id, summary.run_id} and sum(by_run.values()) == total


def test_arguments_and_network_status(world: World, tmp_path: Path) -> None:
    con = connect(tmp_path / "por.duckdb")
    with pytest.raises(FetchError, match="no snapshot"):
        fetch_snapshot(con, config(world.node.url), show_progress=False)
    sid = insert_snapshot(con, snapshot_rows(world))
    with pytest.raises(FetchError, match="did you mean"):
        fetch_snapshot(con, config(world.node.url), sid, networks=["ETHH"], show_progress=False)
    with pytest.raises(FetchError, match="latest"):
        fetch_snapshot(con, config(world.node.url), sid, at="yesterday", show_progress=False)
    only_bsc = fetch_snapshot(con, config(world.node.url), sid, networks=["bsc"], show_progress=False)
    assert not only_bsc.networks and only_bsc.skipped["BSC"][0] == 1
    assert con.execute("select count(*) from balances").fetchone()[0] == 0
    status = {r["network"]: r for r in network_status(config(world.node.url))}
    assert status["ETH"]["adapter"] == "evm" and status["ETH"]["plugin"] == "installed"
    assert status["ETH"]["configured"] == f"127.0.0.1:{world.node.port}"
    assert status["BSC"]["configured"] == "no"
    assert status["SOL"]["adapter"] == "solana" and status["SOL"]["plugin"] == "installed" and status["SOL"]["configured"] == "no"
