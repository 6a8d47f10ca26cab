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
    from analytics.demo import company as demo
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


def pytest_unconfigure(config):
    """No thread may outlive the suite.

    Python joins every non-daemon thread (``concurrent.futures`` ones included) before
    it exits, so a thread left running would hold the test command after its summary
    until CI's time limit ends it. One did (a refused upload's file hashed on in the
    background). Such a thread is named with its stack and the run ends failed now.
    """
    import os
    import threading
    import time
    import traceback

    def left() -> list[threading.Thread]:
        return [t for t in threading.enumerate()
                if t is not threading.main_thread() and not t.daemon and t.is_alive()]

    deadline = time.monotonic() + 30
    while left() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not left():
        return
    frames = sys._current_frames()
    lines = ["threads still running after the tests (they would hold the exit):"]
    for thread in left():
        lines.append(f"--- {thread.name}")
        lines.extend(traceback.format_stack(frames.get(thread.ident))
                     if thread.ident in frames else ["(no stack)"])
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    os._exit(pytest.ExitCode.TESTS_FAILED)
