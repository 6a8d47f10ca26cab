"""Uploads from two sessions at once, and an upload while 20 sessions browse.

As in the app: one connection per process (ui/session.py ``connection()``), every
thread works through its own cursors (the pipeline stages on ``con.cursor()``, the
reads of ``analytics.read.data`` take one per query), and writes queue on the process
``WRITE_LOCK`` (analytics/store/connection.py).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.ingest import pipeline
from analytics.ingest.pipeline import ingest_file
from analytics.read import data
from analytics.store import queries
from tests.robustness._counts import record
from tests.robustness._loader import seeded_db

READERS = 20
# one snapshot: a single statement sees one committed state
SNAPSHOT = """SELECT (SELECT count(*) FROM customer_responses),
                     (SELECT count(*) FROM batches WHERE status = 'loaded'),
                     (SELECT coalesce(sum(rows_loaded), 0) FROM batches
                      WHERE status = 'loaded' AND dataset = 'customer'),
                     (SELECT coalesce(sum(n_customer_responses), 0) FROM unit_month),
                     (SELECT value FROM meta WHERE key = 'data_version')"""


def _customer_file(path: Path, n: int, units: tuple[str, ...], seed: int,
                   prefix: str) -> Path:
    rng = np.random.default_rng(seed)
    pd.DataFrame({
        "unit_id": rng.choice(units, n),
        "response_date": "2026-10-15",
        "response_id": [f"{prefix}{i}" for i in range(n)],
        "csat": rng.integers(1, 6, n),
        "nps": rng.integers(0, 11, n),
    }).to_csv(path, index=False)
    return path


@pytest.fixture
def con(tmp_path, monkeypatch):
    monkeypatch.setenv("STOOL_DB", str(tmp_path / "shared.duckdb"))
    c = seeded_db(tmp_path / "shared.duckdb")
    yield c
    c.close()


def _together(*jobs) -> list:
    """Run the jobs in threads released at the same moment; results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    out: list = [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        try:
            out[i] = job()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return out


def _loaded_customer_rows(con) -> int:
    return con.cursor().execute(SNAPSHOT).fetchall()[0][0]


def test_two_sessions_upload_different_units_at_once(con, tmp_path):
    a = _customer_file(tmp_path / "a.csv", 15_000, ("N1", "N2"), 1, "A")
    b = _customer_file(tmp_path / "b.csv", 15_000, ("N3", "N4"), 2, "B")
    before = _loaded_customer_rows(con)
    results = _together(lambda: ingest_file(con, a, "customer", uploaded_by="alice"),
                        lambda: ingest_file(con, b, "customer", uploaded_by="bob"))
    for r in results:
        assert not isinstance(r, BaseException), repr(r)
    assert [r[0].status for r in results] == ["loaded", "loaded"]
    assert _loaded_customer_rows(con) == before + 30_000
    counts = queries.panel(con).query("period == '2026-10'").set_index("unit_id")
    expected = pd.concat([pd.read_csv(a), pd.read_csv(b)]).groupby("unit_id").size()
    assert counts.n_customer[expected.index].to_dict() == expected.to_dict()
    record("concurrent_uploads", 2)


def test_two_sessions_upload_the_same_units_at_once(con, tmp_path):
    """Both files cover N1 in 2026-10, and both sessions have checked their file before
    either loads (a barrier makes that certain): the later commit must replace the
    earlier batch (or refuse), never add to it."""
    a = _customer_file(tmp_path / "a.csv", 30_000, ("N1",), 1, "A")
    b = _customer_file(tmp_path / "b.csv", 20_000, ("N1",), 2, "B")
    checked = threading.Barrier(2)

    def session(path: Path, user: str):
        staged = pipeline.stage(con, path, "customer")
        try:
            report = pipeline.check(staged)
            checked.wait()
            return pipeline.commit(staged, report, uploaded_by=user)
        finally:
            staged.close()

    results = _together(lambda: session(a, "alice"), lambda: session(b, "bob"))
    for r in results:
        assert not isinstance(r, BaseException), repr(r)
    n = queries.panel(con).query("period == '2026-10' and unit_id == 'N1'").n_customer
    assert n.tolist() in ([30_000], [20_000])
    # the later commit finds a batch it was not checked against: it refuses, and says so
    first, second = sorted(results, key=lambda r: r.status)
    assert (first.status, second.status) == ("loaded", "rejected")
    assert n.tolist() == [first.rows_loaded]
    assert second.errors[0]["reason"].startswith(
        f"Since this file was checked, another upload loaded data for the same units and "
        f"months (batch #{first.batch_id} (")


def test_a_report_checked_before_another_load_does_not_double_count(con, tmp_path):
    """The Upload page checks a file, the user reads the report, then presses Load: in
    between, another session may load the same unit-month."""
    a = _customer_file(tmp_path / "a.csv", 300, ("N1",), 1, "A")
    b = _customer_file(tmp_path / "b.csv", 200, ("N1",), 2, "B")
    staged_a = pipeline.stage(con, a, "customer")
    report_a = pipeline.check(staged_a)
    loaded_b, _ = ingest_file(con, b, "customer")
    try:
        result = pipeline.commit(staged_a, report_a)
    finally:
        staged_a.close()
    n = queries.panel(con).query("period == '2026-10' and unit_id == 'N1'").n_customer
    assert n.tolist() in ([300], [200])
    assert n.tolist() == [200] and result.status == "rejected"
    assert result.errors == [{
        "row": None, "column": None, "value": None,
        "reason": "Since this file was checked, another upload loaded data for the same "
                  f"units and months (batch #{loaded_b.batch_id} ('b.csv')). Nothing was "
                  "loaded: check the file again to see what loading it would replace."}]
    # checked again, it replaces that batch
    staged_a = pipeline.stage(con, a, "customer")
    try:
        again = pipeline.commit(staged_a, pipeline.check(staged_a))
    finally:
        staged_a.close()
    assert again.status == "loaded" and again.replaced == [loaded_b.batch_id]
    n = queries.panel(con).query("period == '2026-10' and unit_id == 'N1'").n_customer
    assert n.tolist() == [300]


def test_the_same_file_loaded_by_another_session_after_the_check_is_unchanged(con, tmp_path):
    a = _customer_file(tmp_path / "a.csv", 300, ("N1",), 1, "A")
    staged = pipeline.stage(con, a, "customer")
    report = pipeline.check(staged)
    other, _ = ingest_file(con, a, "customer")
    try:
        result = pipeline.commit(staged, report)
    finally:
        staged.close()
    assert other.status == "loaded"
    assert (result.status, result.batch_id) == ("unchanged", other.batch_id)
    n = queries.panel(con).query("period == '2026-10' and unit_id == 'N1'").n_customer
    assert n.tolist() == [300]


def test_a_response_id_loaded_by_another_session_after_the_check_is_refused(con, tmp_path):
    """Another session loads other units (no unit-month shared) but with some of the same
    response ids between the check and the commit: loading would store them twice."""
    a = _customer_file(tmp_path / "a.csv", 300, ("N1",), 1, "A")
    b = _customer_file(tmp_path / "b.csv", 50, ("N2",), 2, "A")  # ids A0..A49 again
    staged_a = pipeline.stage(con, a, "customer")
    report_a = pipeline.check(staged_a)
    assert report_a.ok and not len(report_a.replaces)
    loaded_b, _ = ingest_file(con, b, "customer")
    before = queries.content_digest(con)
    try:
        result = pipeline.commit(staged_a, report_a)
    finally:
        staged_a.close()
    assert loaded_b.status == "loaded" and result.status == "rejected"
    assert result.errors == [{
        "row": None, "column": None, "value": None,
        "reason": f"Since this file was checked, another upload (batch #{loaded_b.batch_id} "
                  "('b.csv')) loaded responses with the same ids as rows of this file. "
                  "Nothing was loaded: check the file again to see which rows."}]
    assert queries.content_digest(con) == before
    # checked again, the 50 rows are named
    staged_a = pipeline.stage(con, a, "customer")
    try:
        again = pipeline.check(staged_a)
    finally:
        staged_a.close()
    assert again.counts == {"duplicate response id": 50}
    assert set(again.problems.value) == {f"A{i}" for i in range(50)}


def test_upload_while_20_sessions_browse(con, tmp_path):
    big = _customer_file(tmp_path / "big.csv", 60_000, ("N5", "N6", "N7"), 3, "C")
    cur = con.cursor()
    before = cur.execute(SNAPSHOT).fetchall()[0]
    total = lambda frame: int(frame.n_customer.sum())  # noqa: E731
    before_total = total(data.panel(con))
    done = threading.Event()
    seen: list[list] = [[] for _ in range(READERS)]
    errors: list[BaseException] = []

    def browse(i: int) -> None:
        try:
            while True:
                finished = done.is_set()  # one more round after the load
                snap = con.cursor().execute(SNAPSHOT).fetchall()[0]
                seen[i].append(("snapshot", snap))
                if i % 2:
                    seen[i].append(("panel", total(data.panel(con))))
                else:
                    data.company(con)
                if finished:
                    return
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    readers = [threading.Thread(target=browse, args=(i,)) for i in range(READERS)]
    for t in readers:
        t.start()
    try:
        result, _ = ingest_file(con, big, "customer", uploaded_by="manager")
    finally:
        done.set()
        for t in readers:
            t.join(timeout=300)
    assert not errors, errors[:3]
    assert result.status == "loaded"
    after = cur.execute(SNAPSHOT).fetchall()[0]
    after_total = total(data.panel(con))
    assert after[0] == before[0] + 60_000 and after_total == before_total + 60_000
    snaps = [v for s in seen for kind, v in s if kind == "snapshot"]
    panels = [v for s in seen for kind, v in s if kind == "panel"]
    assert set(snaps) <= {before, after}, set(snaps) - {before, after}
    assert set(panels) <= {before_total, after_total}
    assert all(s and s[-1][1] in (after, after_total) for s in seen)  # each saw the load
    record("browsing_sessions", READERS)
    record("browsing_reads_during_upload", len(snaps) + len(panels))
