"""Results kept per data version (analytics.store.kept, analytics.read.warmup): exact round
trips, the same numbers as a fresh computation, never another version's results."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analytics.read import warmup
from analytics.store import connect, kept, queries
from analytics.store.load import rollback_batch

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


def _same(a, b) -> None:
    """Exactly equal: frames by value, dtype and index; dicts and lists element by element
    (NaN equal to NaN)."""
    if isinstance(a, pd.DataFrame):
        assert_frame_equal(a, b, check_exact=True)
    elif isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert a == b and type(a) is type(b) or (
            isinstance(a, np.generic) and a.item() == b and type(a.item()) is type(b))


FRAME = pd.DataFrame({
    "unit_id": pd.array(["U1", "U2", None], dtype="str"),
    "leg": pd.Categorical(["esat", "csat", "esat"], categories=["esat", "csat", "profit"]),
    "x": [1.5, np.nan, -0.1 + 0.2],
    "n": pd.array([1, None, 3], dtype="Int64"),
    "flag": [True, False, True],
    "when": pd.to_datetime(["2026-01-01", "2026-02-01", None]),
}, index=[10, 4, 7])

VALUES = {
    "frame": FRAME,
    "filtered frame": FRAME[FRAME.flag],
    "frame of dicts": pd.DataFrame({"kind": ["imbalance", "control"], "values": [
        {"z_esat": -2.7, "months": 3.0, "weakest": "esat"},
        {"lcl": None, "ucl": 0.1 + 0.2, "n": 12, "points": [1, 2.5, None]}]}),
    "pair": (FRAME, {"n": 3, "r": 0.1 + 0.2, "p": float("nan"), "ci": [float("-inf"), 1.0],
                     "period": "2026-10", "enough_data": True, "slope": None}),
    "nested dict": {"esat_to_csat": {"lag": 2, "coef": np.float64(0.123456789012345678),
                                     "n": np.int64(4000)}, "csat_to_profit": None},
    "text": "Three units are out of balance.\nU07 (CSAT) …",
}


@pytest.mark.parametrize("name", list(VALUES))
def test_round_trip_is_exact(tiny_duck, name):
    at = kept.stamp(tiny_duck)
    assert kept.write(tiny_duck, at, name.replace(" ", "_"), "k", VALUES[name])
    _same(VALUES[name], kept.read(tiny_duck, at, name.replace(" ", "_"), "k"))


@pytest.mark.parametrize("value", [("a", "b"), {1: "x"}, object(), {"s": {1, 2}}])
def test_what_json_cannot_hold_exactly_is_refused(tiny_duck, value):
    with pytest.raises(TypeError):
        kept.write(tiny_duck, kept.stamp(tiny_duck), "odd", "k", value)
    assert kept.read(tiny_duck, kept.stamp(tiny_duck), "odd", "k") is None


def test_kept_files_are_as_readable_as_the_database(tiny_duck, tmp_path, backend):
    if backend == "lake":  # a lake's "database" on disk is its data folder
        Path(os.environ["STOOL_DATA_PATH"]).chmod(0o750)
    else:
        (tmp_path / "tiny.duckdb").chmod(0o640)
    at = kept.stamp(tiny_duck)
    kept.write(tiny_duck, at, "frame", "k", FRAME)
    kept.write(tiny_duck, at, "text", "k", "words")
    for f in (kept.folder(tiny_duck) / at).iterdir():
        assert f.stat().st_mode & 0o777 == 0o640, f


def test_in_memory_database_keeps_nothing():
    con = connect(":memory:")
    assert kept.folder(con) is None
    assert not kept.write(con, kept.stamp(con), "x", "k", {"a": 1})
    assert warmup.warm_up(con).kept == []


def test_key_is_stable_and_tells_arguments_apart():
    f = warmup.default_filters([f"2026-{m:02d}" for m in range(1, 13)])
    assert kept.key_of(f, "s", None) == kept.key_of(f, "s", None)
    assert len({kept.key_of(f, "s", None), kept.key_of(f, "s", "2026-12"),
                kept.key_of(f.with_period("2026-12"), "s", None),
                kept.key_of(f, "t", None)}) == 4


def _close(a, b) -> None:
    """Equal up to float rounding (1e-9 relative: a p-value far in the tail, 1e-66, moves
    1e-11 when r moves in its last bit); everything else exactly."""
    if isinstance(a, pd.DataFrame):
        assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=0)
    elif isinstance(a, tuple | list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _close(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, nan_ok=True)
    else:
        _same(a, b)


def test_kept_results_equal_a_fresh_computation(demo_db, monkeypatch):
    """Every result the warm-up keeps reads back exactly as it was computed, and equals
    the same analytics run again exactly; the item drivers (:data:`UNSTEADY`), which
    differ from run to run in their last bits by themselves, to 1e-9."""
    written = {}
    real_write = kept.write
    monkeypatch.setattr(kept, "write", lambda con, at, name, key, value: (
        written.__setitem__((name, key), value), real_write(con, at, name, key, value))[1])
    done = warmup.warm_up(demo_db)
    assert not done.failed and not done.discarded
    periods = queries.periods(demo_db)
    s = warmup.data.settings(demo_db)
    results = warmup._results(demo_db, warmup.default_filters(periods), s, periods)
    assert sorted(done.kept) == sorted(name for name, _a, _c in results)
    version = queries.data_version(demo_db)
    for name, args, compute in results:
        stored = warmup.lookup(demo_db, version, name, *args)
        as_written = written[(name, kept.key_of(*args))]
        _same(as_written, stored if name not in warmup._FORMS
              else warmup._FORMS[name][0](stored))
        (_close if name in UNSTEADY else _same)(compute(), stored)


#: results that differ in their last bits between two computations (DuckDB's corr() sums
#: on parallel threads), with or without the store
UNSTEADY = {"people_drivers", "customer_drivers"}


def test_a_new_version_never_reads_old_results(demo_db):
    first = warmup.warm_up(demo_db)
    periods = queries.periods(demo_db)
    args = (warmup.default_filters(periods),
            warmup.settings_key(warmup.data.settings(demo_db)), None)
    old = queries.data_version(demo_db)
    assert warmup.lookup(demo_db, old, "alerts", *args) is not None
    batch = int(queries.batches(demo_db).batch_id.max())
    assert rollback_batch(demo_db, batch, by="test")
    new = queries.data_version(demo_db)
    assert new != old
    # before the next warm-up: nothing for the new version, the old one no longer answers
    assert warmup.lookup(demo_db, new, "alerts", *args) is None
    assert warmup.lookup(demo_db, old, "alerts", *args) is None
    second = warmup.warm_up(demo_db)
    assert second.stamp != first.stamp
    assert [p.name for p in kept.folder(demo_db).iterdir()] == [second.stamp]


def test_same_version_number_with_other_data_is_another_stamp(demo_db, tmp_path):
    """A rebuilt database can reach the same data version with other batches or settings:
    its stamp differs, so the files kept for the first are never read for it."""
    a = kept.stamp(demo_db)
    queries.write_settings(demo_db, {"imbalance_threshold": 2.5})
    b = kept.stamp(demo_db)
    other = connect(tmp_path / "other.duckdb")
    try:
        other.execute("UPDATE meta SET value = $v WHERE key = 'data_version'",
                      {"v": a.split("-")[0]})
        assert kept.stamp(other).split("-")[0] == a.split("-")[0]
        assert kept.stamp(other) != a
    finally:
        other.close()
    assert a.split("-")[0] != b.split("-")[0] and a != b


def test_warm_up_that_sees_the_data_change_keeps_nothing(demo_db, monkeypatch):
    stamps = iter(["1-aaaa", "2-bbbb"])
    monkeypatch.setattr(kept, "stamp", lambda con: next(stamps))
    done = warmup.warm_up(demo_db)
    assert done.discarded and done.kept == []
    assert not kept.folder(demo_db).exists()


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics", *args, "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)


def test_cli_ingest_and_rollback_warm_up(demo_db_file, tmp_path):
    db = tmp_path / "cli.duckdb"
    shutil.copyfile(demo_db_file, db)
    ok = _cli("ingest", "--kind", "customer", str(SAMPLES / "customer.csv"), "--json", db=db)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["status"] == "loaded"  # the JSON contract is unchanged
    assert re.search(r"warm-up: [1-9]\d* results kept for data version \d+ in", ok.stderr)
    con = connect(db, read_only=True)
    try:
        loaded = kept.stamp(con)
        batch = int(queries.batches(con).batch_id.max())
    finally:
        con.close()
    assert [p.name for p in (tmp_path / "cli.duckdb.kept").iterdir()] == [loaded]
    again = _cli("ingest", "--kind", "customer", str(SAMPLES / "customer.csv"), db=db)
    assert again.returncode == 0 and "warm-up" not in again.stderr  # nothing changed
    back = _cli("rollback", str(batch), db=db)
    assert back.returncode == 0 and re.search(r"warm-up: [1-9]\d* results kept", back.stderr)
    assert [p.name for p in (tmp_path / "cli.duckdb.kept").iterdir()] != [loaded]


def test_a_failed_warm_up_never_fails_the_load(demo_db_file, tmp_path):
    db = tmp_path / "cli.duckdb"
    shutil.copyfile(demo_db_file, db)
    (tmp_path / "cli.duckdb.kept").write_text("a file where the folder should be")
    ok = _cli("ingest", "--kind", "customer", str(SAMPLES / "customer.csv"), "--json", db=db)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["status"] == "loaded"
    assert "warm-up failed" in ok.stderr or "could not be kept" in ok.stderr
    con = connect(db, read_only=True)
    try:
        assert queries.batches(con).status.iloc[-1] == "loaded"
    finally:
        con.close()
