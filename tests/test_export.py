"""``por export --format parquet``: every table and the main views, Hive-partitioned, read back by DuckDB
without this tool and compared exactly with the database (HUGEINT base units as DECIMAL(38,0))."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.analyst_fixtures import APRIL_ID, MAY_ID, build

HUGE = 10**30 + 7  # far beyond 64 bits: must come back digit for digit


@pytest.fixture
def loaded(con, tmp_path):
    from indexer.prices import import_prices

    build(con, tmp_path)
    con.execute("insert into liabilities values (?, 'SHIB', '1000000000000.000000000000000007', ?::hugeint, 18, 'test')", [MAY_ID, str(HUGE)])
    p = tmp_path / "prices.csv"
    p.write_text("asset,at,usd\nBTC,2026-04-01,60000\nETH,2026-04-01,3000.123456789012345678\n")
    import_prices(con, p)
    return con


def _types(con, name):
    return con.execute(
        "select column_name, data_type from information_schema.columns where table_name = ? and table_schema = current_schema() order by ordinal_position",
        [name],
    ).fetchall()


def test_round_trip_is_exact_for_every_table_and_view(loaded, tmp_path):
    from indexer.export import export_parquet

    out = tmp_path / "parquet"
    report = export_parquet(loaded, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["objects"]) == set(report.written)
    for required in ("snapshots", "addresses", "balances", "signatures", "liabilities", "prices", "coins", "snapshot_series", "reserves_usd", "address_history", "reserve_ratios"):
        assert required in report.written
    compared = 0
    for name, meta in manifest["objects"].items():
        if meta["rows"] == 0:
            continue
        cols = _types(loaded, name)
        src_cols = ", ".join(
            f'cast("{c}" as decimal(38,0)) as "{c}"' if t == "HUGEINT" else f'"{c}"' for c, t in cols
        )
        # Read back as any Parquet reader would: the files alone, partition values from the folder names.
        pattern = f"{out}/{name}/**/*.parquet"
        back_cols = ", ".join(
            f'cast("{c}" as {"decimal(38,0)" if t == "HUGEINT" else t}) as "{c}"' for c, t in cols
        )
        back = f"select {back_cols} from read_parquet('{pattern}', hive_partitioning = true)"
        src = f"select {src_cols} from {name}"
        assert loaded.execute(f"select count(*) from ({back})").fetchall()[0][0] == meta["rows"]
        assert loaded.execute(f"select count(*) from ({src} except all {back})").fetchall()[0][0] == 0, name
        assert loaded.execute(f"select count(*) from ({back} except all {src})").fetchall()[0][0] == 0, name
        compared += 1
    assert compared >= 15
    # The partition folders are the exchange and the snapshot; base units are DECIMAL(38,0) in the files.
    assert (out / "addresses" / "exchange=okx" / f"snapshot_id={APRIL_ID}").is_dir()
    schema = dict(
        loaded.execute(
            f"select name, type || coalesce('(' || precision || ',' || scale || ')', '') from parquet_schema('{out}/liabilities/**/*.parquet')"
        ).fetchall()
    )
    assert schema["base_units"] == "FIXED_LEN_BYTE_ARRAY(38,0)" or schema["base_units"].endswith("(38,0)")
    shib = loaded.execute(
        f"select base_units from read_parquet('{out}/liabilities/**/*.parquet', hive_partitioning = true) where asset = 'SHIB'"
    ).fetchall()
    assert shib == [(Decimal(HUGE),)]
    usd = loaded.execute(f"select usd_units, usd_text from read_parquet('{out}/prices/*.parquet') where asset = 'ETH'").fetchall()
    assert usd == [(Decimal("3000123456789012345678"), "3000.123456789012345678")]


def test_one_snapshot_and_the_cli(loaded, tmp_path, db_path):
    from tests.test_cli import por

    loaded.close()
    out = tmp_path / "one"
    r = por("export", "--format", "parquet", str(out), "--snapshot", str(MAY_ID), "--db", str(db_path))
    assert r.returncode == 0, r.stderr
    assert "tables and views" in r.stdout
    assert sorted(p.name for p in (out / "addresses" / "exchange=okx").iterdir()) == [f"snapshot_id={MAY_ID}"]
    r = por("export", "--format", "parquet", str(out), "--db", str(db_path))
    assert r.returncode == 2 and "--overwrite" in r.stderr  # never mixes two exports silently
    r = por("export", "--format", "parquet", str(out), "--overwrite", "--db", str(db_path))
    assert r.returncode == 0, r.stderr
    parts = sorted(p.name for p in (out / "addresses" / "exchange=okx").iterdir())
    assert parts == sorted([f"snapshot_id={MAY_ID}", f"snapshot_id={APRIL_ID}"])
    r = por("export", "--format", "csv", str(out), "--db", str(db_path))
    assert r.returncode == 2 and "parquet" in r.stderr
