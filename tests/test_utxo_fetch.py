"""The scantxoutset fetcher against a real litecoind (regtest), through the real pipeline:
snapshot + address rows in a DuckDB file (Arrow), ``fetch_snapshot``, then the ``balances`` table.

Every address type is paid with EXTERNAL keys (made with coincurve in tests/fixtures/litecoind.py);
the node itself (``validateaddress``) confirms each address's scriptPubKey. Expected balances come
from the test's own bookkeeping of what it paid, and for ``--at latest`` also from the node's own
``scantxoutset addr(...)``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from chains.common.encoding import b58check_encode, segwit_encode
from chains.utxo.fetch import ScanFetcher
from indexer.config import Auth, NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.plugins import FetchBlocked
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.litecoind import PASSWORD, USER, Litecoind, address_set, litecoind  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]
SAT = 10**8


@dataclass
class Chain:
    node: Litecoind
    height: int  # the snapshot height
    at_height: dict[str, int]  # address -> base units at the snapshot height
    now: dict[str, int]  # address -> base units at the tip
    bad: list[str]  # rows that must become errors (never zeros)


def units(v: str) -> int:
    return int(Decimal(v) * SAT)


@pytest.fixture(scope="module")
def chain(litecoind: Litecoind) -> Chain:  # noqa: F811
    node = litecoind
    a, b, c = address_set(b"A"), address_set(b"B"), address_set(b"C")
    for kind, (addr, spk) in {**{f"a{k}": v for k, v in a.items()}, **{f"c{k}": v for k, v in c.items()}}.items():
        assert node.rpc("validateaddress", addr)["scriptPubKey"] == spk, kind  # the node agrees on every script
    wallet_addr = node.rpc("getnewaddress")  # spent after the snapshot: its balance must come back on rewind
    at_h: dict[str, int] = {}
    node.pay({wallet_addr: Decimal("5")})
    node.mine(1)
    utxo = next(u for u in node.rpc("listunspent") if u["address"] == wallet_addr)
    node.rpc("lockunspent", False, [{"txid": utxo["txid"], "vout": utxo["vout"]}])  # keep coin selection off it
    node.pay({addr: Decimal("1.5") for addr, _ in a.values()})
    node.pay({addr: Decimal("0.7") for addr, _ in b.values()})
    node.pay({addr: Decimal("0.03000001") for addr, _ in b.values()})
    node.mine(1)
    at_h |= {addr: units("1.5") for addr, _ in a.values()}
    at_h |= {addr: units("0.73000001") for addr, _ in b.values()}
    at_h |= {addr: 0 for addr, _ in c.values()}
    at_h[wallet_addr] = units("5")
    height = node.height()
    # after the snapshot: pay more, pay new addresses, spend the wallet output
    node.pay({addr: Decimal("0.25") for addr, _ in a.values()} | {addr: Decimal("2") for addr, _ in c.values()})
    raw = node.rpc("createrawtransaction", [{"txid": utxo["txid"], "vout": utxo["vout"]}], {node.mine_to: "4.999"})
    node.rpc("sendrawtransaction", node.rpc("signrawtransactionwithwallet", raw)["hex"])
    node.mine(3)
    now = dict(at_h)
    now |= {addr: units("1.75") for addr, _ in a.values()}
    now |= {addr: units("2") for addr, _ in c.values()}
    now[wallet_addr] = 0
    h20 = bytes(range(20))
    bad = [
        segwit_encode("ltc", 0, h20),  # a mainnet address on this regtest chain
        b58check_encode(bytes([48]) + h20),  # mainnet P2PKH version
        a["p2wpkh"][0][:-1] + ("q" if a["p2wpkh"][0][-1] != "q" else "p"),  # checksum broken
        "not-an-address",
    ]
    return Chain(node, height, at_h, now, bad)


def settings_for(node: Litecoind, **kw: object) -> NetworkSettings:
    return NetworkSettings(name="LTC", rpc=[node.url], auth=Auth(USER, PASSWORD), **kw)  # type: ignore[arg-type]


def snapshot_rows(ch: Chain) -> list[tuple[str, str, str, str, int | None]]:
    addrs = list(ch.at_height) + [next(iter(ch.at_height))] + ch.bad  # one address twice: both rows answered
    return [("LTC", "LTC", "LTC", a, ch.height) for a in addrs]


def balances(con, sid: int, as_of: str) -> dict[int, tuple]:
    rows = con.execute(
        "select b.row_no, a.address, b.status, b.base_units, b.block_height, b.error, b.amount from balances b "
        "join addresses a using (snapshot_id, row_no) where b.snapshot_id = ? and b.as_of = ? order by b.row_no",
        [sid, as_of],
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_tip_mismatch_is_refused_without_rewind(chain: Chain, con) -> None:
    tip = chain.node.best()
    sid = insert_snapshot(con, snapshot_rows(chain))
    summary = fetch_snapshot(con, PorConfig(networks={"LTC": settings_for(chain.node)}), sid, show_progress=False)
    assert "not at the snapshot height" in summary.networks["LTC"].blocked
    got = balances(con, sid, "snapshot")
    assert len(got) == len(snapshot_rows(chain))
    assert all(st == "error" and bu is None and err for _, st, bu, _, err, _ in got.values())
    assert chain.node.best() == tip  # nothing was touched
    run = con.execute("select outcome, reason, rows_planned, rows_error from runs where run_id = ? and network = 'LTC'", [summary.run_id]).fetchone()
    assert run == ("blocked", summary.networks["LTC"].blocked, len(got), len(got))


def test_rewind_reads_the_snapshot_height_and_restores_the_tip(chain: Chain, con) -> None:
    node = chain.node
    tip, tip_height = node.best(), node.height()
    sid = insert_snapshot(con, snapshot_rows(chain))
    summary = fetch_snapshot(con, PorConfig(networks={"LTC": settings_for(node)}), sid, adapter_options={"utxo": {"rewind": True}}, show_progress=False)
    got = balances(con, sid, "snapshot")
    assert len(got) == len(snapshot_rows(chain))
    for address, status, base_units, height, error, amount in got.values():
        if address in chain.bad:
            assert status == "error" and base_units is None and "does not decode" in error, address
        else:
            assert (status, base_units, height) == ("ok", chain.at_height[address], chain.height), (address, error)
            assert Decimal(amount) * SAT == base_units  # coin-unit text agrees exactly
    assert summary.networks["LTC"].ok == len(chain.at_height) + 1
    assert summary.networks["LTC"].methods == {"state_at_height": len(chain.at_height) + 1}
    ok = con.execute(
        "select distinct method, read_block, block_height, run_id from balances where snapshot_id = ? and status = 'ok'", [sid]
    ).fetchall()
    assert ok == [("state_at_height", chain.height, chain.height, summary.run_id)]
    run = con.execute(
        "select outcome, rows_ok, rows_error, rows_state_at_height, read_block_min, read_block_max, notes from runs where run_id = ?", [summary.run_id]
    ).fetchone()
    assert run[:6] == ("errors", len(chain.at_height) + 1, len(chain.bad), len(chain.at_height) + 1, chain.height, chain.height)
    assert "rewound" in run[6]
    assert summary.networks["LTC"].notes == {"scantxoutset on the node rewound to the snapshot block": len(chain.at_height) + 1}
    # the chain is back where it was, with no invalid branch left behind
    assert (node.best(), node.height()) == (tip, tip_height)
    assert all(t["status"] == "active" for t in node.rpc("getchaintips"))


def test_latest_equals_current_balances(chain: Chain, con) -> None:
    node = chain.node
    sid = insert_snapshot(con, snapshot_rows(chain))
    fetch_snapshot(con, PorConfig(networks={"LTC": settings_for(node)}), sid, at="latest", show_progress=False)
    tip = node.height()
    for address, status, base_units, height, error, _ in balances(con, sid, "latest").values():
        if address in chain.bad:
            assert status == "error" and base_units is None, address
            continue
        assert (status, base_units, height) == ("ok", chain.now[address], tip), (address, error)
        scan = node.rpc("scantxoutset", "start", [f"addr({address})"])  # the node's own answer
        assert int(scan["total_amount"] * SAT) == base_units


def test_ctrl_c_mid_scan_restores_the_tip(chain: Chain, tmp_path: Path) -> None:
    """A real SIGINT to a real `fetch_snapshot` process while the node is rewound and scanning."""
    node = chain.node
    tip, tip_height = node.best(), node.height()
    db = tmp_path / "int.duckdb"
    con = connect(db)
    h = [os.urandom(20) for _ in range(1500)]  # many one-descriptor scans: a wide window to interrupt
    sid = insert_snapshot(con, [("LTC", "LTC", "LTC", segwit_encode("rltc", 0, x), chain.height) for x in h])
    con.close()
    script = textwrap.dedent(
        f"""
        from indexer.config import Auth, NetworkSettings, PorConfig
        from indexer.fetch import fetch_snapshot
        from indexer.store import connect
        s = NetworkSettings(name="LTC", rpc=[{node.url!r}], auth=Auth({USER!r}, {PASSWORD!r}), batch_size=1)
        fetch_snapshot(connect({str(db)!r}), PorConfig(networks={{"LTC": s}}), {sid}, adapter_options={{"utxo": {{"rewind": True}}}}, show_progress=False)
        print("FINISHED")
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while node.height() != chain.height:  # wait until the node is rewound
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.005)
        time.sleep(0.3)  # ... and well into its one-descriptor scans
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert b"FINISHED" not in out and b"KeyboardInterrupt" in err, err[-2000:]
    assert (node.best(), node.height()) == (tip, tip_height)
    assert all(t["status"] == "active" for t in node.rpc("getchaintips"))
    con = connect(db)
    done = con.execute("select count(*) from balances where snapshot_id = ? and status = 'ok'", [sid]).fetchall()[0][0]
    run = con.execute("select outcome, finished_at is not null, rows_ok from runs where network = 'LTC'").fetchall()
    con.close()
    assert done < len(h)  # it really was interrupted part-way
    assert run == [("interrupted", True, done)]  # the runs row says so, with what was committed


def _run(coro_factory):
    async def go():
        async with run_session():
            return await coro_factory()

    return asyncio.run(go())


def test_request_too_large_halves_the_chunk(chain: Chain) -> None:
    """A real HTTP 413 from the node (body over its 32 MiB limit): the chunk halves, nothing is lost."""
    fetcher = ScanFetcher(registry().network("LTC"), settings_for(chain.node, batch_size=460_000))
    scripts = [b"\x00\x20" + os.urandom(32) for _ in range(460_000)]
    paid = bytes.fromhex(address_set(b"A")["p2wsh"][1])
    scripts[123_456] = paid
    out = _run(lambda: fetcher._scan_all(scripts, expect=None))
    assert fetcher.stats.halvings >= 1 and fetcher.chunk <= 230_000
    assert len(out) == len(scripts) and out[paid][1] == units("1.75")
    assert sum(v[1] for v in out.values()) == units("1.75")


def test_timeouts_halve_then_become_error_rows(chain: Chain) -> None:
    fetcher = ScanFetcher(registry().network("LTC"), settings_for(chain.node, batch_size=4, options={"scan_timeout": 0.000001}))
    reqs = [BalanceRequest(addr, "", None) for addr, _ in address_set(b"A").values()]
    results = _run(lambda: fetcher.fetch(reqs))
    assert fetcher.stats.halvings >= 2 and fetcher.chunk == 1
    assert all(r.base_units is None and "even for one descriptor" in r.error for r in results)
    assert chain.node.rpc("scantxoutset", "status") is None  # no scan left running on the node


def test_concurrent_fetches_on_one_node_are_serialised(chain: Chain) -> None:
    reqs = [BalanceRequest(addr, "", None) for addr, _ in address_set(b"C").values()]
    net = registry().network("LTC")
    fetchers = [ScanFetcher(net, settings_for(chain.node, batch_size=1)) for _ in range(3)]
    results = _run(lambda: asyncio.gather(*(f.fetch(reqs) for f in fetchers)))
    for res in results:
        assert [r.base_units for r in res] == [chain.now[r.request.address] for r in res]


def test_unknown_chain_parameters_block_the_network(chain: Chain) -> None:
    fetcher = ScanFetcher(registry().network("DOGE"), NetworkSettings(name="DOGE", rpc=[chain.node.url], auth=Auth(USER, PASSWORD)))
    with pytest.raises(FetchBlocked, match="No address parameters"):
        _run(lambda: fetcher.preflight({chain.height}))


def test_behind_node_is_refused(chain: Chain) -> None:
    fetcher = ScanFetcher(registry().network("LTC"), settings_for(chain.node, options={"rewind": True}))
    with pytest.raises(FetchBlocked, match="below the snapshot height"):
        _run(lambda: fetcher.preflight({chain.node.height() + 10}))
    two = ScanFetcher(registry().network("LTC"), NetworkSettings(name="LTC", rpc=[chain.node.url] * 2, auth=Auth(USER, PASSWORD), options={"rewind": True}))
    with pytest.raises(FetchBlocked, match="exactly one rpc endpoint"):
        _run(lambda: two.preflight({chain.height}))


def test_the_plan_counts_the_requests_of_a_rewound_scan(chain: Chain, con) -> None:
    """``por plan --probe`` predicts the node calls of the rewind and the scans that the run then makes, exactly."""
    from indexer.fetch import COMMIT_CHUNK
    from indexer.fetch.estimate import forecast_snapshot

    sid = insert_snapshot(con, snapshot_rows(chain))
    cfg = PorConfig(networks={"LTC": settings_for(chain.node, batch_size=3, options={"rewind": True})})
    plan = asyncio.run(forecast_snapshot(con, cfg, sid, at="snapshot", probe=True, commit_chunk=COMMIT_CHUNK))
    (ltc,) = plan.networks
    assert not ltc.generic and ltc.probe == "ok" and ltc.path == "rewind + scantxoutset" and "UTXO set" in ltc.unknown
    summary = fetch_snapshot(con, cfg, sid, show_progress=False)
    run = summary.networks["LTC"]
    assert run.ok == len(chain.at_height) + 1 and run.http.requests == ltc.requests, (run.http.requests, ltc.requests)
