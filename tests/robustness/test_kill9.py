"""kill -9 the loader at seeded random points: the database opens, is consistent, and
holds the whole batch or none of it.

Each run copies a pristine database (the sample files loaded; the big file replaces one
of their unit-months, so the replace path is under the knife too) and starts
``python -m analytics ingest`` through ``_victim``, which prints a marker at each stage.
Half the runs kill after a seeded random delay over the whole load (from interpreter
start to exit); the other half wait for a seeded random stage marker (validation,
writing rows, refreshing the summary: inside the write transaction; or just after the
commit) and kill a seeded random 0-300 ms later.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.store import connect, queries
from tests.robustness._counts import record
from tests.robustness._loader import ROOT, seeded_db

RUNS = 22
ROWS = 150_000
DATA_TABLES = ("customer_responses", "customer_items", "customer_item_scales", "unit_month",
               "units", "batches", "batch_scope", "meta")
STAGES = ("check", "0.2 Writing rows", "0.7 Refreshing the unit × month summary",
          "1.0 Done")


def _big_file(path: Path) -> Path:
    rng = np.random.default_rng(3)
    pd.DataFrame({
        "unit_id": np.where(rng.random(ROWS) < 0.5, "U02", "U09"),
        "response_date": "2026-09-15",
        "response_id": [f"K{i}" for i in range(ROWS)],
        "csat": rng.integers(1, 6, ROWS),
        "nps": rng.integers(0, 11, ROWS),
    }).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kill")
    pristine = folder / "pristine.duckdb"
    con = seeded_db(pristine)
    before, version = queries.content_digest(con), queries.data_version(con)
    con.close()
    return folder, pristine, before, version, _big_file(folder / "big.csv")


def _start(db: Path, big: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "tests.robustness._victim", "ingest", "--kind", "customer",
           str(big), "--db", str(db), "--user", "victim"]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "STOOL_DB": str(db)},
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _wait_for(proc: subprocess.Popen, marker: str) -> bool:
    """Read markers until ``marker``; False if the process ended first."""
    return any(line.strip() == f"@ {marker}" for line in proc.stdout)


def _consistent(con, before: dict, version: int) -> str:
    """Integrity and all-or-nothing checks; returns 'whole' or 'none'."""
    con.execute("CHECKPOINT")  # replays and folds the WAL into the file
    digest = queries.content_digest(con)  # reads every row of every table

    def q(sql: str) -> list:
        return con.execute(sql).fetchall()

    # every batch still whole counts exactly its rows
    assert q("""SELECT b.batch_id FROM batches b LEFT JOIN (SELECT batch_id, count(*) n
                FROM customer_responses GROUP BY ALL) r USING (batch_id)
                WHERE b.dataset = 'customer' AND b.status = 'loaded'
                AND b.replaced_by IS NULL AND b.rows_loaded IS DISTINCT FROM r.n""") == []
    # the summary counts exactly the responses stored, unit-month by unit-month
    assert q("""SELECT * FROM (SELECT unit_id, period, count(*) AS n FROM customer_responses
                GROUP BY ALL) r FULL JOIN (SELECT unit_id, period, n_customer_responses AS n
                FROM unit_month WHERE n_customer_responses IS NOT NULL) m
                USING (unit_id, period) WHERE r.n IS DISTINCT FROM m.n""") == []
    # no rows belong to a batch that is not recorded
    assert q("""SELECT DISTINCT batch_id FROM customer_responses
                WHERE batch_id NOT IN (SELECT batch_id FROM batches)""") == []
    victim = q("SELECT batch_id, status, rows_loaded FROM batches WHERE uploaded_by = 'victim'")
    if not victim:
        for table in DATA_TABLES:
            assert digest[table] == before[table], table
        return "none"
    (batch_id, status, rows), = victim
    assert (status, rows) == ("loaded", ROWS)
    assert con.execute("SELECT count(*) FROM customer_responses WHERE batch_id = $b",
                       {"b": batch_id}).fetchall() == [(ROWS,)]
    assert queries.data_version(con) == version + 1  # the load's one bump, once
    return "whole"


def test_kill_9_at_random_points_leaves_whole_batch_or_none(setup):
    folder, pristine, before, version, big = setup
    rng = random.Random(20261123)
    # one uninterrupted load, to spread the timed kills over its length
    db = folder / "timing.duckdb"
    shutil.copyfile(pristine, db)
    start = time.monotonic()
    proc = _start(db, big)
    proc.communicate()
    full = time.monotonic() - start
    assert proc.returncode == 0
    outcomes: Counter[str] = Counter()
    for run in range(RUNS):
        db = folder / f"run{run}.duckdb"
        shutil.copyfile(pristine, db)
        proc = _start(db, big)
        if run % 2 == 0:
            how = "timed"
            time.sleep(rng.uniform(0.05, 1.05) * full)
        else:
            how = rng.choice(STAGES)
            _wait_for(proc, how)
            time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        finished = proc.returncode == 0
        con = connect(db)
        try:
            state = _consistent(con, before, version)
        except AssertionError as exc:
            raise AssertionError(f"run {run} ({how}): {exc}") from exc
        finally:
            con.close()
        assert finished or proc.returncode == -signal.SIGKILL
        if finished:
            assert state == "whole"
        outcomes[f"{how.split()[0]}:{state}"] += 1
    record("kill9_runs", RUNS)
    record("kill9_whole_batch", sum(n for k, n in outcomes.items() if k.endswith("whole")))
    record("kill9_no_batch", sum(n for k, n in outcomes.items() if k.endswith("none")))
    record("kill9_inside_write_transaction",
           sum(n for k, n in outcomes.items() if k.split(":")[0] in ("0.2", "0.7")))
