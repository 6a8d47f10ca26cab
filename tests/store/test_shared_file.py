"""The embedded file shared between processes (issue 16, item 1).

No process holds the file while idle: a lease attaches it for one piece of work and
detaches it after. A process that finds the file locked waits (backoff) and then says
who holds it; the command line exits 3 with one line. Another process's load shows in
the data version on the next read, and an unchanged file is not opened to learn that.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics.store import StoreBusy, connect, free, queries, use
from analytics.store.connection import version

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
_HOLD = ("import duckdb, sys, time\n"
         "con = duckdb.connect(sys.argv[1], read_only=sys.argv[3] == 'ro')\n"
         "print('held', flush=True)\n"
         "time.sleep(float(sys.argv[2]))\n"
         "con.close()\n")


def _hold(db: Path, seconds: float, mode: str = "rw") -> subprocess.Popen:
    """Another process that opens ``db`` with plain DuckDB and keeps it ``seconds``."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(db), str(seconds), mode],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _cli(*args: str, db: Path, wait: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "STOOL_LOCK_WAIT"}
    if wait is not None:
        env["STOOL_LOCK_WAIT"] = wait
    return subprocess.run([sys.executable, "-m", "analytics", *args, "--db", str(db)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "shared.duckdb"
    connect(path).close()
    return path


def _opens_elsewhere(db: Path) -> bool:
    """Whether another process can open the file read-write right now."""
    probe = subprocess.run([sys.executable, "-c", "import duckdb, sys; "
                            "duckdb.connect(sys.argv[1]).close()", str(db)],
                           capture_output=True, text=True, timeout=60)
    return probe.returncode == 0


def test_the_file_is_free_between_leases_and_locked_during_one(db):
    with use(db) as con:
        assert queries.data_version(con) == 0
        assert not _opens_elsewhere(db)  # a read lease: others may read, not write
    assert _opens_elsewhere(db)
    con = connect(db)  # a held connection keeps it, as before
    try:
        assert not _opens_elsewhere(db)
    finally:
        con.close()
    assert _opens_elsewhere(db)


def test_cli_exits_3_with_one_line_while_another_process_writes(db):
    holder = _hold(db, 60)
    try:
        started = time.monotonic()
        out = _cli("report", db=db, wait="1")
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 3
    assert out.stdout == ""
    assert out.stderr == (f"the database is in use by PID {holder.pid}; try again, "
                          "or stop the app\n")
    assert waited >= 1.0  # it retried for the whole wait before giving up


def test_cli_load_waits_out_a_short_lock_and_lands(db):
    holder = _hold(db, 2.5)
    started = time.monotonic()
    out = _cli("ingest", "--kind", "units", str(SAMPLES / "units.csv"), db=db)
    waited = time.monotonic() - started
    holder.wait()
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("loaded: batch 1, 3 rows loaded")
    assert waited >= 2.0
    with use(db) as con:
        assert queries.batches(con).file_name.tolist() == ["units.csv"]


def test_two_processes_read_at_once(db):
    holder = _hold(db, 60, mode="ro")
    try:
        out = _cli("batches", db=db, wait="0")
        with use(db, wait=0) as con:  # this process too, read-only beside it
            assert queries.data_version(con) == 0
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "No batches yet."


def test_a_lease_says_who_holds_the_file(db, monkeypatch):
    monkeypatch.setenv("STOOL_LOCK_WAIT", "0.3")
    holder = _hold(db, 60)
    try:
        assert not free(db)
        with pytest.raises(StoreBusy) as caught, use(db):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert caught.value.pid == holder.pid
    assert str(caught.value) == (f"the database is in use by PID {holder.pid}; "
                                 "try again, or stop the app")
    assert free(db)


def test_version_sees_another_process_load_and_opens_nothing_otherwise(db, monkeypatch):
    assert version(queries.data_version, db) == 0
    out = _cli("ingest", "--kind", "units", str(SAMPLES / "units.csv"), db=db)
    assert out.returncode == 0, out.stderr
    assert version(queries.data_version, db) == 1
    # unchanged file: the version is known without attaching it, even while it is locked
    monkeypatch.setenv("STOOL_LOCK_WAIT", "0")
    holder = _hold(db, 60, mode="ro")
    try:
        assert version(queries.data_version, db) == 1
    finally:
        holder.kill()
        holder.wait()


def test_a_write_lease_waits_for_this_process_readers(db):
    import threading

    order: list[str] = []
    reading = threading.Event()

    def reader() -> None:
        with use(db):
            reading.set()
            time.sleep(0.5)
            order.append("read done")

    t = threading.Thread(target=reader)
    t.start()
    reading.wait(10)
    with use(db, write=True) as con:
        order.append("write")
        queries.write_settings(con, {})
    t.join()
    assert order == ["read done", "write"]
    with use(db) as con, pytest.raises(RuntimeError, match="cannot become a write lease"), \
            use(db, write=True):
        pass
