"""Schema migrations: one transaction for all of them, the registry mirror and the views."""

from __future__ import annotations

import duckdb
import pytest

from indexer import store


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    db = tmp_path / "x.duckdb"
    store.connect(db).close()
    con = duckdb.connect(str(db))
    con.execute("create or replace view reserves as select 'marker' as m")  # applied views must not change either
    con.close()
    monkeypatch.setattr(
        store,
        "MIGRATIONS",
        [*store.MIGRATIONS, ("998_i10cli_good", "create table if not exists t_good (x int)"), ("999_i10cli_bad", "create table t_bad (x int); select * from nope")],
    )
    with pytest.raises(duckdb.CatalogException):
        store.connect(db)
    con = duckdb.connect(str(db), read_only=True)
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    applied = {r[0] for r in con.execute("select name from schema_migrations").fetchall()}
    view = con.execute("select sql from duckdb_views() where view_name = 'reserves'").fetchall()[0][0]
    con.close()
    assert "t_good" not in tables and "t_bad" not in tables
    assert not applied & {"998_i10cli_good", "999_i10cli_bad"}
    assert "marker" in view


def test_each_migration_records_the_por_version_that_applied_it(tmp_path):
    con = store.connect(tmp_path / "x.duckdb")
    rows = con.execute("select name, por_version from schema_migrations order by name").fetchall()
    con.close()
    assert [r[0] for r in rows] == sorted(n for n, _ in store.MIGRATIONS)
    assert all(r[1] == store.por_version() for r in rows)


def test_duckdb_draws_no_progress_bar_into_por_output(tmp_path):
    """A query over 2 s would make DuckDB draw its own bar into por's stdout (a CSV, a report): it is off.

    Checked in a process of its own, as por runs: under pytest DuckDB already leaves the bar off by itself.
    """
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from indexer.store import connect\n"
        "for read_only in (False, True):\n"
        "    con = connect(sys.argv[1], read_only=read_only)\n"
        "    print(con.execute(\"select current_setting('enable_progress_bar')\").fetchall()[0][0])\n"
        "    con.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.duckdb")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout


def test_views_are_recreated_only_when_their_text_changed(tmp_path, monkeypatch):
    """A writer skips re-creating the views the file already holds, and re-creates them when a view's SQL changes."""
    from indexer.store import connect, view_files

    path = tmp_path / "v.duckdb"
    connect(path).close()
    con = connect(path)  # the same texts: nothing re-created
    before = con.execute("select digest from view_digest").fetchall()
    con.execute("create or replace view reserves as select 1 as stale")  # only a skipped apply keeps this
    con.close()
    con = connect(path)
    assert con.execute("select * from reserves").fetchall() == [(1,)]
    assert con.execute("select digest from view_digest").fetchall() == before
    con.close()
    extra = tmp_path / "queries"
    extra.mkdir()
    for f in view_files():
        (extra / f.name).write_text(f.read_text())
    (extra / "99_probe.sql").write_text("create or replace view probe as select 42 as answer")
    monkeypatch.setattr("indexer.store.view_files", lambda: sorted(extra.iterdir(), key=lambda f: f.name))
    con = connect(path)  # a changed set of texts: all re-created, the stale one replaced
    assert con.execute("select answer from probe").fetchall() == [(42,)]
    assert "stale" not in [c[0] for c in con.execute("select * from reserves limit 0").description]
    assert con.execute("select digest from view_digest").fetchall() != before
    con.close()
