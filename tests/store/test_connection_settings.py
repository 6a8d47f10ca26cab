"""DuckDB resource settings: DuckDB's defaults unless the deployment's environment says."""

from __future__ import annotations

import os

from analytics.store import connect


def test_environment_sets_threads_and_memory_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("STOOL_DUCKDB_THREADS", "1")
    monkeypatch.setenv("STOOL_DUCKDB_MEMORY_LIMIT", "256MB")
    con = connect(tmp_path / "s.duckdb", migrate=False)
    try:
        threads, limit = con.execute("SELECT current_setting('threads'), "
                                     "current_setting('memory_limit')").fetchone()
    finally:
        con.close()
    assert threads == 1
    assert limit == "244.1 MiB"  # 256 * 10**6 bytes, as DuckDB prints it


def test_without_environment_duckdb_uses_every_core(tmp_path, monkeypatch):
    monkeypatch.delenv("STOOL_DUCKDB_THREADS", raising=False)
    monkeypatch.delenv("STOOL_DUCKDB_MEMORY_LIMIT", raising=False)
    con = connect(tmp_path / "s.duckdb", migrate=False)
    try:
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    finally:
        con.close()
    assert threads == os.cpu_count()
