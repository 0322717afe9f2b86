"""The analyst's commands as a user runs them: `por synth --months`, `por diff` (help texts: tests/test_cli_help.py)."""

from __future__ import annotations

import csv
import io
import json

from tests.analyst_fixtures import APRIL_ID, MAY_ID, build
from tests.test_cli import por


def test_diff_in_every_format(con, tmp_path, db_path):
    build(con, tmp_path)
    con.close()
    r = por("diff", str(APRIL_ID), str(MAY_ID), "--format", "json", "--db", str(db_path))
    assert r.returncode == 0, r.stderr
    got = {(x["asset"], x["network"]): x for x in json.loads(r.stdout)}
    assert got[("BTC", "BTC")]["published_change"] == "1" and got[("BTC", "BTC")]["onchain_change"] == "0.35"
    assert (got[("BTC", "BTC")]["added"], got[("BTC", "BTC")]["removed"], got[("BTC", "BTC")]["kept"]) == (1, 1, 1)
    r = por("diff", str(APRIL_ID), str(MAY_ID), "--format", "csv", "--addresses", "added", "--db", str(db_path))
    assert r.returncode == 0, r.stderr
    added = list(csv.DictReader(io.StringIO(r.stdout)))
    assert sorted((x["asset"], x["network"]) for x in added) == [("BTC", "BTC"), ("OKB", "ETH"), ("USDT", "TRON")]
    assert {x["status"] for x in added} == {"added"}
    r = por("diff", str(APRIL_ID), "99", "--db", str(db_path))
    assert r.returncode == 2 and "no snapshot 99" in r.stderr
    r = por("diff", str(APRIL_ID), str(MAY_ID), "--addresses", "gone", "--db", str(db_path))
    assert r.returncode == 2


def test_diff_refuses_two_exchanges(con, tmp_path, db_path):
    from indexer.ingest import ingest_file
    from tests.analyst_fixtures import APRIL, MAY

    (tmp_path / "a.csv").write_text(APRIL)
    (tmp_path / "b.csv").write_text(MAY)
    a = ingest_file(con, tmp_path / "a.csv", exchange="okx")[0].snapshot_id
    b = ingest_file(con, tmp_path / "b.csv", exchange="okx")[0].snapshot_id
    # --exchange now selects the plugin that reads the file (an OKX layout is refused by HTX's), so the second
    # snapshot is relabelled in SQL: what is under test is that diff refuses two exchanges
    con.execute("update snapshots set exchange = 'htx' where snapshot_id = ?", [b])
    con.close()
    r = por("diff", str(a), str(b), "--db", str(db_path))
    assert r.returncode == 2 and "one exchange" in r.stderr


def test_synth_months_then_ingest_gives_a_series(tmp_path):
    out = tmp_path / "series"
    r = por("synth", "--rows", "40", "--months", "2", "--out", str(out), "--seed", "3")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["liabilities_2026010108.csv", "liabilities_2026020108.csv", "okx_por_2026010108.csv", "okx_por_2026020108.csv"]
    db = tmp_path / "s.duckdb"
    r = por("ingest", str(out / "okx_por_2026010108.csv"), str(out / "okx_por_2026020108.csv"), "--db", str(db))
    assert r.returncode == 0, r.stderr
    r = por("sql", "select snapshot_id, min(published_at) t, count(*) assets from snapshot_series group by 1 order by 2", "--format", "json", "--db", str(db))
    got = json.loads(r.stdout)
    assert [g["t"][:13] for g in got] == ["2026-01-01T08", "2026-02-01T08"]
