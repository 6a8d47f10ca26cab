"""DuckLake as the team store (issue 16, item 2), on the session's PostgreSQL 15.

The same loads give byte-for-byte the same ``report --format json`` as the embedded file;
several writers at once all land, one after the other; a writer killed with -9 in the
middle of its load leaves no part of its batch; kept results live in the data folder,
where every replica finds them.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.store import connect, kept, queries
from analytics.store.connection import detach_idle

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


def _cli(*args: str, env: dict[str, str], stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=600)


def _lake_env() -> dict[str, str]:
    return {"STOOL_DB": os.environ["STOOL_DB"], "STOOL_DATA_PATH": os.environ["STOOL_DATA_PATH"]}


def _october(path: Path, unit: str, n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    pd.DataFrame({"unit_id": unit, "response_date": "2026-10-07",
                  "response_id": [f"{path.stem}-{i}" for i in range(n)],
                  "csat": rng.integers(1, 6, n), "nps": rng.integers(0, 11, n)}
                 ).to_csv(path, index=False)
    return path


def test_report_is_byte_for_byte_the_file_report(demo_db_file, demo_lake_template, new_lake,
                                                 tmp_path):
    """The demo company, then a corrected file replacing a unit-month, a financials file
    and a rollback, loaded the same way into a file and a lake: ``python -m analytics
    report --format json`` prints the same bytes at every step (the loads run in this
    process: through the CLI each would also warm the pages up, minutes on this machine)."""
    from analytics.ingest.pipeline import ingest_file
    from analytics.store.load import rollback_batch

    lake_target = new_lake(demo_lake_template)
    lake = {"STOOL_DB": lake_target, "STOOL_DATA_PATH": os.environ["STOOL_DATA_PATH"]}
    db = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db_file, db)
    file = {"STOOL_DB": str(db)}
    steps = [[],
             [("customer", _october(tmp_path / "c1.csv", "U03", 40, 1)),
              ("financials", SAMPLES / "financials.csv")],
             [("rollback", 5), ("customer", _october(tmp_path / "c2.csv", "U07", 25, 2))]]
    for step, loads in enumerate(steps):
        for target in (db, lake_target):
            con = connect(target)
            try:
                for kind, what in loads:
                    if kind == "rollback":
                        assert rollback_batch(con, what)
                    else:
                        result, _ = ingest_file(con, what, kind)
                        assert result.status == "loaded", result.errors
            finally:
                con.close()
        detach_idle()
        a, b = _cli("report", "--format", "json", env=file), _cli("report", env=lake)
        assert (a.returncode, b.returncode) == (0, 0), (step, a.stderr, b.stderr)
        assert a.stdout == b.stdout, step
    a, b = _cli("batches", "--json", env=file), _cli("batches", "--json", env=lake)
    fa, fb = (pd.read_json(io.StringIO(out.stdout)).sort_values("batch_id", ignore_index=True)
              for out in (a, b))
    assert fa.status.tolist() == ["loaded"] * 4 + ["rolled_back", "loaded", "loaded"]
    assert fa.dataset.tolist()[4:] == ["customer", "financials", "customer"]
    # the upload times differ; everything else is the same
    pd.testing.assert_frame_equal(fa.drop(columns="uploaded_at"), fb.drop(columns="uploaded_at"))


def test_two_loads_at_once_both_land_in_order(tiny_lake_template, new_lake, tmp_path):
    new_lake(tiny_lake_template)
    env = _lake_env()
    files = [_october(tmp_path / f"load{i}.csv", f"U{i}", 20_000, i) for i in (1, 2)]
    procs = [subprocess.Popen([sys.executable, "-m", "analytics", "ingest", "--kind",
                               "customer", str(f)], cwd=ROOT, env={**os.environ, **env},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    con = connect()
    try:
        batches = queries.batches(con).sort_values("batch_id")
        assert batches.batch_id.tolist() == [1, 2]
        assert batches.status.tolist() == ["loaded", "loaded"]
        assert sorted(batches.file_name) == ["load1.csv", "load2.csv"]
        # in order: the later batch was written after the earlier one committed
        assert batches.uploaded_at.is_monotonic_increasing
        assert queries.data_version(con) == 2
        counts = con.execute("SELECT batch_id, count(*) FROM customer_responses "
                             "GROUP BY ALL ORDER BY 1").fetchall()
        assert counts == [(1, 20_000), (2, 20_000)]
        summary = con.execute("SELECT unit_id, n_customer_responses FROM unit_month "
                              "ORDER BY 1").fetchall()
        assert summary == [("U1", 20_000), ("U2", 20_000)]
    finally:
        con.close()


@pytest.mark.parametrize("stage", ["0.2 Writing rows", "0.7 Refreshing the unit × month summary"])
def test_kill_9_in_the_write_leaves_no_part_of_the_batch(tiny_lake_template, new_lake,
                                                          tmp_path, stage):
    new_lake(tiny_lake_template)
    env = _lake_env()
    first = _cli("ingest", "--kind", "customer",
                 str(_october(tmp_path / "kept.csv", "U1", 50, 7)), env=env)
    assert first.returncode == 0, first.stderr
    con = connect()
    try:
        before = queries.content_digest(con)
    finally:
        con.close()
    victim = subprocess.Popen(
        [sys.executable, "-m", "tests.robustness._victim", "ingest", "--kind", "customer",
         str(_october(tmp_path / "big.csv", "U2", 150_000, 8)), "--user", "victim"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    assert any(line.strip() == f"@ {stage}" for line in victim.stdout)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    con = connect()
    try:
        assert queries.content_digest(con) == before  # nothing of the batch, no bump
        assert con.execute("SELECT count(*) FROM batches WHERE uploaded_by = 'victim'"
                           ).fetchall() == [(0,)]
    finally:
        con.close()
    # the writers' lock died with the writer: the next load lands at once
    started = time.monotonic()
    after = _cli("ingest", "--kind", "customer",
                 str(_october(tmp_path / "next.csv", "U3", 50, 9)), env=env)
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith("loaded: batch 2, 50 rows loaded")
    assert time.monotonic() - started < 120


def test_kept_results_live_in_the_data_folder_for_every_replica(demo_lake_template,
                                                                new_lake):
    from analytics.read import warmup

    new_lake(demo_lake_template)
    folder = Path(os.environ["STOOL_DATA_PATH"])
    con = connect()
    try:
        done = warmup.warm_up(con)
        at = kept.stamp(con)
        assert kept.folder(con) == folder / "kept"
    finally:
        con.close()
    assert done.kept and not done.failed
    assert (folder / "kept" / at).is_dir()
    detach_idle()
    # another process (a second replica) finds them through the lake
    probe = subprocess.run(
        [sys.executable, "-c",
         "from analytics.store import connect, kept\n"
         "con = connect(read_only=True)\n"
         "print(kept.folder(con), kept.stamp(con))\n"],
        cwd=ROOT, env={**os.environ, **_lake_env()}, capture_output=True, text=True,
        timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [str(folder / "kept"), at]
