"""Load guarantees of metrics.md §6: idempotent, replace, rollback, archive, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.ingest.pipeline import ingest_file
from analytics.store import connect, queries

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


def _customer_file(path: Path, n: int, unit: str = "U01", period: str = "2026-09",
                   seed: int = 0, prefix: str = "R") -> Path:
    rng = np.random.default_rng(seed)
    pd.DataFrame({
        "unit_id": unit,
        "response_date": f"{period}-15",
        "response_id": [f"{prefix}{i}" for i in range(n)],
        "csat": rng.integers(1, 6, n),
        "nps": rng.integers(0, 11, n),
    }).to_csv(path, index=False)
    return path


def test_same_file_twice_changes_nothing(tiny_duck, tmp_path):
    f = _customer_file(tmp_path / "sep.csv", 50)
    first, _ = ingest_file(tiny_duck, f, "customer")
    before = queries.content_digest(tiny_duck)
    again, _ = ingest_file(tiny_duck, f, "customer")
    assert (first.status, again.status) == ("loaded", "unchanged")
    assert again.batch_id == first.batch_id
    assert queries.content_digest(tiny_duck) == before


def test_corrected_file_replaces_the_batch_atomically(tiny_duck, tmp_path):
    first, _ = ingest_file(tiny_duck, _customer_file(tmp_path / "a.csv", 40, seed=1),
                           "customer")
    fixed, report = ingest_file(tiny_duck, _customer_file(tmp_path / "b.csv", 30, seed=2),
                                "customer")
    assert report.replaces.batch_id.tolist() == [first.batch_id]
    assert fixed.status == "loaded" and fixed.replaced == [first.batch_id]
    panel = queries.panel(tiny_duck)
    assert panel.n_customer.tolist() == [30]
    status = queries.batches(tiny_duck).set_index("batch_id").status
    assert status[first.batch_id] == "replaced" and status[fixed.batch_id] == "loaded"


def test_partial_overlap_replaces_only_shared_unit_months(tiny_duck, tmp_path):
    a = _customer_file(tmp_path / "u1.csv", 20, unit="U01")
    b = pd.concat([pd.read_csv(a), pd.read_csv(
        _customer_file(tmp_path / "u2.csv", 10, unit="U02", prefix="S"))])
    b.to_csv(tmp_path / "both.csv", index=False)
    both, _ = ingest_file(tiny_duck, tmp_path / "both.csv", "customer")
    fix, _ = ingest_file(tiny_duck, _customer_file(tmp_path / "fix.csv", 5, unit="U02",
                                                   prefix="T"), "customer")
    counts = queries.panel(tiny_duck).set_index("unit_id").n_customer
    assert counts.to_dict() == {"U01": 20, "U02": 5}
    assert queries.batches(tiny_duck).set_index("batch_id").status[both.batch_id] == "loaded"


def test_rollback_leaves_exactly_the_earlier_rows(tiny_duck, tmp_path):
    ingest_file(tiny_duck, _customer_file(tmp_path / "sep.csv", 25), "customer")
    before = queries.content_digest(tiny_duck)
    oct_, _ = ingest_file(tiny_duck, _customer_file(tmp_path / "oct.csv", 30,
                                                    period="2026-10", prefix="O"),
                          "customer")
    from analytics.store.load import rollback_batch

    assert rollback_batch(tiny_duck, oct_.batch_id)
    after = queries.content_digest(tiny_duck)
    for table in ("customer_responses", "customer_items", "customer_item_scales",
                  "unit_month", "units"):
        assert after[table] == before[table], table
    assert queries.batches(tiny_duck).set_index("batch_id").status[oct_.batch_id] == \
        "rolled_back"


def test_original_file_is_archived_by_hash(tiny_duck, tmp_path):
    f = _customer_file(tmp_path / "sep.csv", 10)
    result, _ = ingest_file(tiny_duck, f, "customer")
    sha = queries.batches(tiny_duck).set_index("batch_id").sha256[result.batch_id]
    # beside the database file; a lake's in its data folder
    folder = (Path(os.environ["STOOL_DATA_PATH"]) if os.environ["STOOL_DB"].startswith(
        "ducklake:") else Path(os.environ["STOOL_DB"]).parent)
    archived = folder / "archive" / f"{sha}.csv"
    assert archived.read_bytes() == f.read_bytes()


def test_skip_keeps_valid_rows_and_the_rejected_ones(tiny_duck, tmp_path):
    f = tmp_path / "mixed.csv"
    rows = [f"U01,2026-09-{d:02d},{4 + d % 2}" for d in range(1, 21)]
    rows[2] = "U01,2026-09-03,9"  # a typo on a 1-5 scale, not a 1-10 survey
    f.write_text("unit_id,response_date,csat\n" + "\n".join(rows) + "\n")
    rejected, _ = ingest_file(tiny_duck, f, "customer")
    assert rejected.status == "rejected" and not queries.has_data(tiny_duck)
    loaded, _ = ingest_file(tiny_duck, f, "customer", on_error="skip")
    assert (loaded.rows_loaded, loaded.rows_rejected) == (19, 1)
    kept = queries.rejected_rows(tiny_duck, loaded.batch_id)
    assert kept[["row", "column", "value"]].values.tolist() == [[4, "csat", "9"]]


@pytest.mark.parametrize("fraction", [0.15, 0.35, 0.55, 0.75, 0.95])
def test_kill_9_mid_load_leaves_all_or_nothing(tmp_path, fraction):
    db = tmp_path / "kill.duckdb"
    con = connect(db)
    ingest_file(con, _customer_file(tmp_path / "seed.csv", 10, prefix="S"), "customer")
    before = queries.content_digest(con)
    con.close()
    big = _customer_file(tmp_path / "big.csv", 300_000, unit="U02", seed=3)
    cmd = [sys.executable, "-m", "analytics", "ingest", "--kind", "customer", str(big),
           "--db", str(db)]
    env = {**os.environ, "STOOL_DB": str(db)}
    start = time.monotonic()
    timed = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                           check=False)
    full = time.monotonic() - start
    assert timed.returncode == 0, timed.stderr
    # back to the state before the big load, then kill a second load part-way
    con = connect(db)
    from analytics.store.load import rollback_batch

    rollback_batch(con, queries.batches(con).batch_id.max())
    con.close()
    proc = subprocess.Popen(cmd[:-2] + ["--user", "victim", "--db", str(db)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(full * fraction)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = connect(db)
    try:
        con.execute("PRAGMA verify_external")  # opens, and reads every table below
        victims = queries.batches(con).query("uploaded_by == 'victim'")
        rows = con.execute("SELECT count(*) FROM customer_responses").fetchall()[0][0]
        if victims.empty:
            digest = queries.content_digest(con)
            for table in ("customer_responses", "unit_month", "units", "customer_items",
                          "customer_item_scales"):
                assert digest[table] == before[table], table
        else:
            assert victims.rows_loaded.tolist() == [300_000]
            assert rows == 300_000 + 10
    finally:
        con.close()
