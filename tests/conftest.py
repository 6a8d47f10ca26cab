"""Shared fixtures: a fresh DuckDB per test (harlequin's tiny_duck), the demo database."""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from pathlib import Path
from unittest import mock

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


@pytest.fixture(scope="session")
def postgres():
    """PostgreSQL 15 started once for the whole session (tests/_postgres.py)."""
    from tests import _postgres

    try:
        server = _postgres.start()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


_lakes = itertools.count(1)


def lake_target(postgres, dbname: str) -> str:
    return "ducklake:postgres:" + postgres.conninfo(dbname)


@pytest.fixture
def new_lake(postgres, tmp_path, monkeypatch):
    """Make a DuckLake store for this test: ``new_lake()`` an empty catalog,
    ``new_lake(template)`` a copy of a template's catalog and data folder. STOOL_DB and
    STOOL_DATA_PATH point at it; returns its ``STOOL_DB``."""
    from analytics.store.connection import detach_idle

    made = []

    def make(template: tuple[str, Path] | None = None) -> str:
        name = f"lake_{os.getpid()}_{next(_lakes)}"
        folder = tmp_path / f"{name}_data"
        if template is None:
            postgres.create(name)
            folder.mkdir()
        else:
            postgres.create(name, template[0])
            shutil.copytree(template[1], folder)
            postgres.set_data_path(name, folder)
        made.append(name)
        monkeypatch.setenv("STOOL_DB", lake_target(postgres, name))
        monkeypatch.setenv("STOOL_DATA_PATH", str(folder))
        return lake_target(postgres, name)

    yield make
    detach_idle()
    for name in made:
        postgres.drop(name)


def lake_template(postgres, folder: Path, name: str, build=None) -> tuple[str, Path]:
    """A lake catalog ``name`` (migrated; ``build(con)`` run on it) and its data folder,
    detached so that tests can copy it."""
    from analytics.store import connect
    from analytics.store.connection import detach_idle

    postgres.create(name)
    with mock.patch.dict(os.environ, {"STOOL_DATA_PATH": str(folder)}):
        con = connect(lake_target(postgres, name))
        try:
            if build is not None:
                build(con)
        finally:
            con.close()
        detach_idle()
    return name, folder


@pytest.fixture(scope="session")
def demo_lake_template(postgres, tmp_path_factory):
    """The demo company built once into a lake, to copy per test."""
    from analytics.demo import company as demo

    return lake_template(postgres, tmp_path_factory.mktemp("tpl_demo"), "tpl_demo",
                         demo.build)


@pytest.fixture(scope="session")
def tiny_lake_template(postgres, tmp_path_factory):
    """A new, migrated, empty lake, to copy per test."""
    return lake_template(postgres, tmp_path_factory.mktemp("tpl_tiny"), "tpl_tiny")


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
