"""The store's tests run on both backends: the embedded file and a DuckLake on the
session's PostgreSQL (tests/_postgres.py). ``tiny_duck`` and ``demo_db`` are
parametrised here; tests that make their own files stay on the file."""

from __future__ import annotations

import shutil

import pytest

from analytics.store import connect


@pytest.fixture(params=["file", "lake"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def tiny_duck(backend, tmp_path, monkeypatch, request):
    """A new, migrated, empty store (STOOL_DB points at it): a file, or a lake."""
    if backend == "lake":
        target = request.getfixturevalue("new_lake")(
            request.getfixturevalue("tiny_lake_template"))
    else:
        target = tmp_path / "tiny.duckdb"
        monkeypatch.setenv("STOOL_DB", str(target))
    con = connect(target)
    yield con
    con.close()


@pytest.fixture
def demo_db(backend, tmp_path, monkeypatch, request):
    """A private copy of the demo store (tests may write to it): a file, or a lake."""
    if backend == "lake":
        target = request.getfixturevalue("new_lake")(
            request.getfixturevalue("demo_lake_template"))
    else:
        target = tmp_path / "demo.duckdb"
        shutil.copyfile(request.getfixturevalue("demo_db_file"), target)
        monkeypatch.setenv("STOOL_DB", str(target))
    con = connect(target)
    yield con
    con.close()
