"""Networks fetch side by side: one network's chunk commit never stalls another network's requests (issue 18).

A commit (judge 5,000 results, build Arrow, upsert, update ``runs``) takes a noticeable time; on the event loop it
would hold every provider's requests in flight meanwhile, so the whole run would take the sum of its commits on
top of its slowest provider. Here one network's commit is made slow (a blocking second) and the other network's
stub must keep answering requests during it.
"""

from __future__ import annotations

import time
from pathlib import Path

from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.fetch.write import BalanceWriter
from indexer.store import connect
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.lotus_node import LotusScenario, lotus_node
from tests.fixtures.shaping_proxy import ShapingProxy
from tests.fixtures.xrpl_node import XrplScenario, xrpl_node


def test_a_slow_commit_of_one_network_does_not_stall_the_others(tmp_path: Path, monkeypatch) -> None:
    xrp = XrplScenario()
    xrp_addrs = [f"rCommit{i:027d}" for i in range(4)]
    xrp.history = {a: [(110, 10**6 + i)] for i, a in enumerate(xrp_addrs)}
    fil = LotusScenario()
    fil_addrs = [f"f0{20_000 + i}" for i in range(60)]
    fil.history = {a: [(1, 10**18 + i)] for i, a in enumerate(fil_addrs)}

    during: list[tuple[int, int]] = []
    real_write = BalanceWriter.write

    def write(self, run, rows, methods):  # type: ignore[no-untyped-def]
        if run.network == "XRP" and not during:
            before = fil_proxy.counts["forwarded"]
            time.sleep(1.0)  # a slow commit (a big chunk on a slow disk)
            during.append((before, fil_proxy.counts["forwarded"]))
        return real_write(self, run, rows, methods)

    monkeypatch.setattr(BalanceWriter, "write", write)
    with xrpl_node(xrp) as xnode, lotus_node(fil) as fnode, ShapingProxy(fnode.url, latency=0.03) as fil_proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, [("XRP", "XRP", "XRP", a, 150) for a in xrp_addrs] + [("FIL", "FIL", "FIL", a, 2_000) for a in fil_addrs])
        cfg = PorConfig(
            networks={
                "XRP": NetworkSettings(name="XRP", rpc=[xnode.url]),
                "FIL": NetworkSettings(name="FIL", rpc=[fil_proxy.url], concurrency=1),  # one request at a time: ~2 s of reads
            },
            path=Path("por.toml"),
        )
        summary = fetch_snapshot(con, cfg, sid, commit_chunk=2)
    assert {n: (r.ok, r.errors) for n, r in summary.networks.items()} == {"XRP": (4, 0), "FIL": (60, 0)}
    [(before, after)] = during
    assert after - before >= 10, f"FIL's provider answered {after - before} requests during XRP's one-second commit"


def test_a_chunk_that_cannot_be_written_stops_the_networks_reads(tmp_path: Path, monkeypatch) -> None:
    """A commit that fails (a full disk) ends the network's run with that error once the chunks read so far have
    landed or failed; the reads stop instead of fetching every remaining chunk only to fail to write it too."""
    import pytest

    fil = LotusScenario()
    fil_addrs = [f"f0{30_000 + i}" for i in range(60)]
    fil.history = {a: [(1, 10**18 + i)] for i, a in enumerate(fil_addrs)}
    real_write = BalanceWriter.write

    def write(self, run, rows, methods):  # type: ignore[no-untyped-def]
        raise OSError("No space left on device")

    monkeypatch.setattr(BalanceWriter, "write", write)
    with lotus_node(fil) as fnode, ShapingProxy(fnode.url, latency=0.03) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, [("FIL", "FIL", "FIL", a, 2_000) for a in fil_addrs])
        cfg = PorConfig(networks={"FIL": NetworkSettings(name="FIL", rpc=[proxy.url], concurrency=1)}, path=Path("por.toml"))
        with pytest.raises(OSError, match="No space left"):
            fetch_snapshot(con, cfg, sid, commit_chunk=2)
        asked = proxy.counts["forwarded"]
    assert asked < 30, f"{asked} requests after the first chunk could not be written (60 reads in chunks of 2)"
    monkeypatch.setattr(BalanceWriter, "write", real_write)
    assert con.execute("select count(*) from balances").fetchone()[0] == 0
