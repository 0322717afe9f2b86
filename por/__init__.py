"""``import por``: the por-indexer Python API for notebooks and scripts (see ``indexer.api``).

    import por
    por.ingest(["okx_por.csv"], db="por.duckdb")
    por.verify(db="por.duckdb")
    summary = await por.fetch_async(db="por.duckdb", config="por.toml")  # in Jupyter's running loop
    rows = por.report(db="por.duckdb").dicts()
"""

from indexer import __version__
from indexer.api import (
    FilesRefused,
    IngestOutcome,
    PorError,
    ReadOnlyQuery,
    Report,
    RunResult,
    SnapshotRun,
    StoreError,
    committed,
    db_path,
    fetch,
    fetch_async,
    ingest,
    load_liabilities,
    open_db,
    report,
    report_columns,
    resolve_snapshot,
    run,
    sql,
    synth,
    unverified_snapshots,
    verify,
    verify_all,
)
from indexer.progress import NO_PROGRESS, Progress, Recorder
from indexer.results import ResultSet

__all__ = [
    "FilesRefused",
    "IngestOutcome",
    "NO_PROGRESS",
    "PorError",
    "Progress",
    "ReadOnlyQuery",
    "Recorder",
    "Report",
    "ResultSet",
    "RunResult",
    "SnapshotRun",
    "StoreError",
    "__version__",
    "committed",
    "db_path",
    "fetch",
    "fetch_async",
    "ingest",
    "load_liabilities",
    "open_db",
    "report",
    "report_columns",
    "resolve_snapshot",
    "run",
    "sql",
    "synth",
    "unverified_snapshots",
    "verify",
    "verify_all",
]
