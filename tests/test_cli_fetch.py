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


def test_min_ratio_judges_the_onchain_ratio_and_its_coverage(tmp_path):
    """``--min-ratio`` on balances really read from anvil: the file claims 10 ETH per address, the chain holds
    1-3 ETH. Snapshot 1 is read completely; snapshot 2 has one more row whose read fails (an address that does
    not decode), so its on-chain coverage is 3 of 4 rows and the check fails unless ``--allow-partial``."""
    import csv
    import io

    with Anvil("--chain-id", "1") as node:
        for i, a in enumerate(ADDRS):
            node.set_balance(a, (i + 1) * 10**18 + 7)
        node.mine(2)
        snapshot = node.block_number()
        rows = "".join(f"ETH,ETH,{snapshot},{a},10,m,s,,,,\n" for a in ADDRS)
        (tmp_path / "full.csv").write_text(HEADER + "\n" + rows)
        (tmp_path / "part.csv").write_text(HEADER + "\n" + rows + f"ETH,ETH,{snapshot},0x12,10,m,s,,,,\n")
        (tmp_path / "liab.csv").write_text("asset,amount\nETH,20\n")
        config = tmp_path / "por.toml"
        config.write_text(f'[networks.ETH]\nrpc = "{node.url}"\n')
        db = str(tmp_path / "x.duckdb")
        for sid, name in ((1, "full.csv"), (2, "part.csv")):
            assert por("ingest", str(tmp_path / name), "--db", db).returncode == 0
            assert por("liabilities", str(tmp_path / "liab.csv"), "--db", db, "--snapshot", str(sid)).returncode == 0
            por("fetch", "--db", db, "--config", str(config), "--snapshot", str(sid))

    # complete coverage: the on-chain ratio (6 ETH + 21 wei over 20 ETH), not the file's 1.5, is judged
    [eth] = json.loads(por("report", "--db", db, "--snapshot", "1", "--format", "json").stdout)
    assert (eth["ratio_published"], eth["ratio_onchain"], eth["coverage_onchain"], eth["coverage_onchain_published"]) == (
        "1.5", "0.300000000000000001", "1", "1")
    assert list(eth).index("coverage_onchain") == list(eth).index("ratio_onchain") + 1  # beside its ratio
    ok = por("report", "--db", db, "--snapshot", "1", "--min-ratio", "0.3")
    assert ok.returncode == 0, ok.stderr
    assert "--min-ratio 0.3: judged the on-chain ratio (ratio_onchain" in ok.stdout and "of 1 asset(s) with liabilities: passed" in ok.stdout
    assert "100 %" in ok.stdout  # the table's on-chain coverage
    low = por("report", "--db", db, "--snapshot", "1", "--min-ratio", "1.0")
    assert low.returncode == 1
    assert "check failed: on-chain reserve ratio below 1.0 for ETH (0.3, coverage 100 %)." in low.stderr

    # one row not read: incomplete coverage fails whatever the ratio, unless --allow-partial
    [eth] = list(csv.DictReader(io.StringIO(por("report", "--db", db, "--snapshot", "2", "--format", "csv").stdout)))
    assert (eth["rows"], eth["rows_fetched"], eth["coverage_onchain"], eth["coverage_onchain_published"]) == ("4", "3", "0.75", "0.75")
    partial = por("report", "--db", db, "--snapshot", "2", "--min-ratio", "0.25")
    assert partial.returncode == 1
    assert "on-chain coverage of ETH is incomplete (3 of 4 rows, 75 %; 75 % of the published amount)" in partial.stderr
    allowed = por("report", "--db", db, "--snapshot", "2", "--min-ratio", "0.25", "--allow-partial")
    assert allowed.returncode == 0, allowed.stderr
    assert "ETH: on-chain ratio 0.3 judged on partial coverage (3 of 4 rows, 75 %; 75 % of the published amount)" in allowed.stdout
    below = por("report", "--db", db, "--snapshot", "2", "--min-ratio", "1", "--allow-partial", "--format", "json")
    assert below.returncode == 1 and json.loads(below.stdout)[0]["coverage_onchain"] == "0.75"
    assert "ETH: on-chain ratio 0.3 judged on partial coverage" in below.stderr  # json keeps stdout for the data
    assert "on-chain reserve ratio below 1 for ETH (0.3, coverage 75 %)" in below.stderr
