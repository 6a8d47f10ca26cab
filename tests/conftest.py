"""Shared fixtures: a fresh DuckDB per test (harlequin's tiny_duck), the demo database."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data"


@pytest.fixture
def tiny_duck(tmp_path, monkeypatch):
    """A new, migrated, empty database file in tmp_path (STOOL_DB points at it)."""
    from analytics.store import connect

    path = tmp_path / "tiny.duckdb"
    monkeypatch.setenv("STOOL_DB", str(path))
    con = connect(path)
    yield con
    con.close()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory) -> Path:
    """The demo company built once per test session through the upload engine."""
    from analytics import demo
    from analytics.store import connect

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = connect(path)
    demo.build(con)
    con.close()
    return path


@pytest.fixture
def demo_db(demo_db_file, tmp_path, monkeypatch):
    """A private copy of the demo database (tests may write to it)."""
    from analytics.store import connect

    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db_file, path)
    monkeypatch.setenv("STOOL_DB", str(path))
    con = connect(path)
    yield con
    con.close()
