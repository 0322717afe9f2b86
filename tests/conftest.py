"""Shared test helpers: a fresh DuckDB file per test and paths to the shared OKX material."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_OKX = REPO.parent / "shared" / "okx"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "por.duckdb"


@pytest.fixture
def con(db_path: Path):
    from indexer.store import connect

    connection = connect(db_path)
    yield connection
    connection.close()


def shared_examples() -> Path:
    """The public OKX example files; tests that need them skip with a message when ../shared is absent."""
    path = SHARED_OKX / "examples"
    if not path.is_dir():
        pytest.skip(f"OKX example files not found at {path} (../shared is not beside this checkout)")
    return path
