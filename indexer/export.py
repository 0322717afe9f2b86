"""``por export --format parquet DIR``: every table and the main views as Parquet, Hive-partitioned.

Why Parquet with Hive partitions: DuckDB, Spark, Trino, Polars and pandas read
``DIR/<name>/exchange=<x>/snapshot_id=<n>/*.parquet`` without this tool, and a reader that wants one
snapshot touches one folder. Tables and views that carry ``snapshot_id`` are partitioned by
``(exchange, snapshot_id)``; the rest (registry, prices) are one file each.

Exactness: HUGEINT base-unit columns are written as ``DECIMAL(38,0)`` (Parquet's exact decimal; every
reader maps it to an exact type), DECIMAL columns stay DECIMAL, and the exact amount text columns are
written as they are. A value that does not fit DECIMAL(38,0) stops the export with DuckDB's error rather
than being rounded. ``DIR/manifest.json`` lists what was written, with row counts.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from indexer.errors import PorError

# The views an analyst reads most; every base table is exported as well.
VIEWS = (
    "reserves",
    "reserve_ratios",
    "reconciliation",
    "coverage",
    "coverage_by_method",
    "published_totals_check",
    "signature_disagreements",
    "snapshot_vs_latest_by_asset",
    "snapshot_series",
    "reserves_usd",
    "snapshot_usd_totals",
    "address_history",
)
SKIP_TABLES = {"schema_migrations"}


class ExportError(PorError):
    """The export cannot be written; one sentence for the user."""


@dataclass
class ExportReport:
    out_dir: Path
    written: dict[str, int] = field(default_factory=dict)  # name -> rows

    def __str__(self) -> str:
        return f"wrote {len(self.written)} tables and views ({sum(self.written.values()):,} rows) to {self.out_dir}"


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in con.execute(
            "select column_name, data_type from information_schema.columns where table_name = ? and table_schema = current_schema() order by ordinal_position",
            [name],
        ).fetchall()
    ]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


def _write_empty(con: duckdb.DuckDBPyConnection, source: str, folder: Path, snapshot_id: int | None) -> None:
    """A partitioned object with no rows (signatures of a never-verified snapshot) still gets its folder and one
    empty Parquet file with the schema, so ``read_parquet('<out>/<name>/**')`` reads zero rows instead of failing on
    a folder the manifest lists. With a snapshot the file sits in that snapshot's partition, as a written one would
    (the partition columns in the path, not in the file); without one, beside where the partitions would be."""
    if snapshot_id is not None:
        exchange = con.execute("select exchange from snapshots where snapshot_id = ?", [snapshot_id]).fetchall()
        if exchange:
            part = folder / f"exchange={exchange[0][0]}" / f"snapshot_id={int(snapshot_id)}"
            part.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy (select * exclude (exchange, snapshot_id) from ({source}) limit 0) to '{_literal(part / 'data_0.parquet')}' (format parquet)")
            return
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy (select * from ({source}) limit 0) to '{_literal(folder / 'empty.parquet')}' (format parquet)")


def export_parquet(
    con: duckdb.DuckDBPyConnection, out_dir: Path, snapshot_id: int | None = None, *, overwrite: bool = False
) -> ExportReport:
    """Write every base table and the views in :data:`VIEWS` under ``out_dir/<name>/``."""
    out_dir = Path(out_dir)
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name"
        ).fetchall()
        if r[0] not in SKIP_TABLES
    ]
    present_views = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    names = tables + [v for v in VIEWS if v in present_views]
    for name in names:
        target = out_dir / name
        if target.exists() and any(target.iterdir()):
            if not overwrite:
                raise ExportError(f"{target} already holds files: choose an empty directory or pass --overwrite")
            shutil.rmtree(target)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ExportReport(out_dir)
    manifest: dict = {
        "written_at": datetime.now(timezone.utc).isoformat(),
        "snapshot_id": snapshot_id,
        "partitioning": "hive: exchange, snapshot_id (for tables and views with a snapshot_id column)",
        "hugeint": "HUGEINT base-unit columns are DECIMAL(38,0)",
        "objects": {},
    }
    for name in names:
        cols = _columns(con, name)
        col_names = [c for c, _ in cols]
        select = ", ".join(
            f"cast(x.{_quote(c)} as decimal(38, 0)) as {_quote(c)}" if t.upper() == "HUGEINT" else f"x.{_quote(c)}" for c, t in cols
        )
        partitioned = "snapshot_id" in col_names
        if partitioned:
            exchange = "" if "exchange" in col_names else ", s.exchange as exchange"
            source = f"select {select}{exchange} from {_quote(name)} x left join snapshots s on s.snapshot_id = x.snapshot_id"
            if snapshot_id is not None:
                source += f" where x.snapshot_id = {int(snapshot_id)}"
            target = out_dir / name
            options = "format parquet, partition_by (exchange, snapshot_id), overwrite_or_ignore true"
        else:
            source = f"select {select} from {_quote(name)} x"
            target = out_dir / name / f"{name}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            options = "format parquet"
        rows = int(con.execute(f"select count(*) from ({source})").fetchall()[0][0])
        if rows or not partitioned:
            con.execute(f"copy ({source}) to '{_literal(target)}' ({options})")
        else:
            _write_empty(con, source, out_dir / name, snapshot_id)
        report.written[name] = rows
        manifest["objects"][name] = {
            "rows": rows,
            "kind": "view" if name in present_views else "table",
            "partitioned": partitioned,
            "columns": {c: ("DECIMAL(38,0)" if t.upper() == "HUGEINT" else t) for c, t in cols},
        }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return report
