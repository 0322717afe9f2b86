"""`por ingest` → `por fetch` → `por sql`/`por report` as separate processes against a real anvil."""

from __future__ import annotations

import json

from tests.fixtures.anvil import Anvil
from tests.test_cli import por

HEADER = "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2"
ADDRS = [f"0x{i:040x}" for i in (0xA1, 0xB2, 0xC3)]


def test_fetch_at_snapshot_and_latest_through_the_cli(tmp_path):
    with Anvil("--chain-id", "1") as node:
        for i, a in enumerate(ADDRS):
            node.set_balance(a, (i + 1) * 10**18 + 7)
        node.mine(2)
        snapshot = node.block_number()
        node.mine(1)
        node.set_balance(ADDRS[0], 5 * 10**18)  # moves after the snapshot
        node.mine(2)
        future = node.block_number() + 1000
        csv_path = tmp_path / "por.csv"
        csv_path.write_text(
            HEADER + "\n"
            + f"ETH,ETH,{snapshot},{ADDRS[0]},1.000000000000000007,m,s,,,,\n"
            + f"ETH,ETH,{snapshot},{ADDRS[1]},2.000000000000000007,m,s,,,,\n"
            + f"ETH,ETH,{snapshot},{ADDRS[2]},3,m,s,,,,\n"
        )
        config = tmp_path / "por.toml"
        config.write_text(f'[networks.ETH]\nrpc = "{node.url}"\n')
        db = str(tmp_path / "x.duckdb")
        assert por("ingest", str(csv_path), "--db", db).returncode == 0
        networks = por("networks", "--config", str(config))
        assert networks.returncode == 0 and "ETH" in networks.stdout

        fetched = por("fetch", "--db", db, "--config", str(config), "--fail-on-error")
        assert fetched.returncode == 0, fetched.stderr
        recon = json.loads(por("sql", "select row_no, status, onchain_base_units, block_height from reconciliation order by row_no", "--db", db, "--format", "json").stdout)
        # JSON carries integers beyond 2**53 as strings, so no client rounds them
        assert [(r["status"], int(r["onchain_base_units"]), r["block_height"]) for r in recon] == [
            ("match", 10**18 + 7, snapshot),
            ("match", 2 * 10**18 + 7, snapshot),
            ("mismatch", 3 * 10**18 + 7, snapshot),
        ]
        latest = por("fetch", "--db", db, "--config", str(config), "--at", "latest")
        assert latest.returncode == 0, latest.stderr
        rows = json.loads(por("sql", "select latest_base_units, latest_block from snapshot_vs_latest order by row_no", "--db", db, "--format", "json").stdout)
        assert int(rows[0]["latest_base_units"]) == 5 * 10**18 and rows[0]["latest_block"] == node.block_number()

        # A block the node cannot serve: error rows with the reason, never zeros, and exit 1 when asked.
        later = tmp_path / "later.csv"
        later.write_text(HEADER + "\n" + f"ETH,ETH,{future},{ADDRS[1]},2,m,s,,,,\n")
        assert por("ingest", str(later), "--db", db).returncode == 0
        blocked = por("fetch", "--db", db, "--config", str(config), "--fail-on-error")
        assert blocked.returncode == 1, blocked.stdout + blocked.stderr
        [row] = json.loads(por("sql", "select status, base_units, error from balances where snapshot_id = 2", "--db", db, "--format", "json").stdout)
        assert row["status"] == "error" and row["base_units"] is None and row["error"]


def test_utxo_flags_become_options_of_the_named_network(tmp_path):
    """--utxo-dump reaches the UTXO adapter of the network named with --network (and only when one is named)."""
    csv_path = tmp_path / "utxo.csv"
    csv_path.write_text(
        HEADER + "\n"
        + "BTC,BTC,900000,bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq,1,m,s,,,,\n"
        + "LTC,LTC,3000000,ltc1qg82kwv4nfvr5d7la8h5utc2pyml9ytsfwmhwqu,2,m,s,,,,\n"
    )
    db = str(tmp_path / "u.duckdb")
    assert por("ingest", str(csv_path), "--db", db).returncode == 0
    missing = tmp_path / "missing.dat"
    ambiguous = por("fetch", "--db", db, "--utxo-dump", str(missing))
    assert ambiguous.returncode == 2 and "--network" in ambiguous.stderr and "BTC, LTC" in ambiguous.stderr
    fetched = por("fetch", "--db", db, "--utxo-dump", str(missing), "--network", "LTC", "--fail-on-error")
    assert fetched.returncode == 1, fetched.stdout + fetched.stderr  # the dump cannot be read: blocked, said per row
    rows = json.loads(por("sql", "select a.network, b.status, b.error from balances b join addresses a using (snapshot_id, row_no)", "--db", db, "--format", "json").stdout)
    assert [(r["network"], r["status"]) for r in rows] == [("LTC", "error")] and "missing.dat cannot be read" in rows[0]["error"]
    [run] = json.loads(por("sql", "select network, outcome, reason from runs", "--db", db, "--format", "json").stdout)
    assert (run["network"], run["outcome"]) == ("LTC", "blocked") and run["reason"] == rows[0]["error"]
