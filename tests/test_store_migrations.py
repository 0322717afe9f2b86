"""A database written before the fetch contract v2 migrates: its balances say how they were read."""

from __future__ import annotations

from pathlib import Path

import duckdb

from indexer.store import connect
from tests.fixtures.old_database import schema_001
from tests.fixtures.anvil import insert_snapshot


def old_database(path: Path) -> None:
    """Schema 001 only (as shipped before v2), with balances rows as the old runner wrote them."""
    con = duckdb.connect(str(path))
    schema_001(con)
    sid = insert_snapshot(
        con,
        [
            ("ETH", "ETH", "ETH", "0x" + "11" * 20, 100),
            ("ETH", "ETH", "ETH", "0x" + "22" * 20, 100),
            ("LTC", "LTC", "LTC", "ltc1qexample", 200),
            ("BTC", "BTC", "BTC", "bc1qexample", 300),
            ("TRX", "TRX", "TRON", "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW", 400),
        ],
    )
    con.execute(
        """insert into balances (snapshot_id, row_no, as_of, block_height, amount, base_units, status, error, source) values
        (?, 1, 'snapshot', 100, '1', 1000000000000000000, 'ok', null, '127.0.0.1:8545'),
        (?, 1, 'latest', 150, '2', 2000000000000000000, 'ok', null, '127.0.0.1:8545'),
        (?, 2, 'snapshot', 100, null, null, 'error', 'timeout', '127.0.0.1:8545'),
        (?, 3, 'snapshot', 200, '0.5', 50000000, 'ok', null, '127.0.0.1:9332'),
        (?, 4, 'snapshot', 300, '0.25', 25000000, 'ok', null, 'utxo-dump:utxo.dat'),
        (?, 5, 'snapshot', 400, '3', 3000000, 'ok', null, 'somewhere')""",
        [sid] * 6,
    )
    con.close()


def test_old_balances_get_a_method_and_read_block(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    old_database(db)
    con = connect(db)
    got = con.execute("select row_no, as_of, method, read_block, block_height, run_id, note from balances order by row_no, as_of").fetchall()
    assert got == [
        (1, "latest", "latest", 150, 150, None, None),
        (1, "snapshot", "state_at_height", 100, 100, None, None),
        (2, "snapshot", "state_at_height", 100, 100, None, None),  # the method that was tried
        (3, "snapshot", "state_at_height", 200, 200, None, None),
        (4, "snapshot", "dump", 300, 300, None, None),
        (5, "snapshot", None, 400, 400, None, None),  # no adapter wrote TRON rows before v2: unknown, so never counted
    ]
    eth = con.execute("select onchain_units, rows_fetched from reserves where asset = 'ETH'").fetchone()
    assert eth == (10**18, 1)  # old EVM rows keep counting
    assert con.execute("select onchain_units, rows_fetched, rows_latest_proxy from reserves where asset = 'TRX'").fetchone() == (None, 0, 1)
    assert con.execute("select count(*) from runs").fetchone()[0] == 0
    assert con.execute("select nextval('run_ids')").fetchone()[0] == 1
    con.close()
    # connecting again changes nothing (the migration is recorded; its DDL is idempotent anyway)
    con = connect(db)
    assert con.execute("select count(*) from schema_migrations where name = '002_i8core_fetch_contract_v2'").fetchone()[0] == 1
    assert con.execute("select method from balances where row_no = 4").fetchone()[0] == "dump"
    con.close()


def test_old_strict_verdicts_that_failed_on_an_extra_signature_are_rejudged(tmp_path: Path) -> None:
    """005_i16okxstrict_extra_signature: the column SQL counts extra signatures by, and the stale UTXO failures removed.

    The old strict rule failed a single-key UTXO row on a signature its address does not need (OKX's constant
    signature2, SPEC §1.1b). Such stored verdicts are deleted by the migration so the next verify re-judges them;
    every other verdict (another family, another reason) is kept as it was.
    """
    from tests.fixtures import okx_mirror_example as mirror
    from indexer.verify import verify_snapshot

    header = mirror.HEADER.split(",")
    cells = dict(zip(header, mirror.P2PKH_ROWS[0].split(",")))
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    schema_001(con)
    sid = insert_snapshot(con, [("BTC", "BTC", "BTC", cells["address"], 956934), ("BTC", "BTC", "BTC", "1BadAddress", 956934), ("ETH", "ETH", "ETH", "0x" + "11" * 20, 1)])
    con.execute(
        "update addresses set message = ?, signature1 = ?, signature2 = ? where snapshot_id = ? and row_no = 1",
        [cells["message"], cells["signature1"], cells["signature2"], sid],
    )
    old_reason = f"address mismatch: signature2 recovers key 020c13bf, whose address is {mirror.CONSTANT_SIGNATURE2_ADDRESS}"
    con.execute(
        """insert into signatures (snapshot_id, row_no, family, status, reason, okx_status, okx_reason) values
        (?, 1, 'UTXO', 'failed', ?, 'verified', null),
        (?, 2, 'UTXO', 'failed', 'address does not decode for BTC: bad checksum', 'verified', null),
        (?, 3, 'EVM', 'failed', 'signature1: bad signature', 'failed', 'bad')""",
        [sid, old_reason, sid, sid],
    )
    con.close()
    con = connect(db)
    try:
        kept = con.execute("select row_no, status, extra_signature from signatures order by row_no").fetchall()
        assert kept == [(2, "failed", None), (3, "failed", None)]  # only the stale single-key failure went
        assert con.execute("select count(*) from schema_migrations where name = '005_i16okxstrict_extra_signature'").fetchone()[0] == 1
        verify_snapshot(con, sid, workers=1)
        again = con.execute("select status, extra_signature, okx_status from signatures where row_no = 1").fetchall()
        assert again == [("verified", "other_key", None)]  # re-judged; OKX's verdict returns with --okx-compat
    finally:
        con.close()
