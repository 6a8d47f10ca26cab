"""A file whose mapping is given (the command line, the demo) is read and typed in one
pass: ``stage(..., defer=True)`` leaves the file unread and ``check`` types the mapped
columns as DuckDB reads them. It must give exactly what the two-step path gives (every
cell kept as text first, then typed): the same result, problems, counts, preview, scope
and stored rows, or the same message, for every file of the corpora and for mutations
of them."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pandas as pd
import pytest

from analytics.ingest.mapping import Mapping
from analytics.ingest.pipeline import IngestError, check, commit, stage
from analytics.store import connect, queries
from analytics.store.validate import REQUIRED
from tests.robustness._mutate import mutate
from tests.robustness.test_fuzz_mutations import SOURCES
from tests.store.test_ingest_bad_files import BAD, CASES

FILES = [(BAD / name, kind) for name, kind, *_ in CASES] + SOURCES
MUTATIONS = 4
#: stands in for every required column when a file cannot be staged to suggest a mapping
CONSTANT = {"unit_id": "S1", "unit_name": "Store 1", "period": "2026-01", "esat": "4",
            "csat": "4", "revenue": "100"}


def _mapping(db: Path, path: Path, dataset: str) -> Mapping:
    """The mapping the two-step path chooses (what the user would confirm), or constants
    for the required columns when the file cannot be staged at all."""
    con = connect(db)
    try:
        staged = stage(con, path, dataset)
    except IngestError:
        return Mapping(constants={t: CONSTANT[t] for t in REQUIRED[dataset]})
    finally:
        con.close()
    try:
        return staged.mapping
    finally:
        staged.close()


def _outcome(db: Path, path: Path, dataset: str, mapping: Mapping, defer: bool) -> dict:
    con = connect(db)
    staged = None
    try:
        staged = stage(con, path, dataset, mapping, defer=defer)
        assert (staged.file is not None) == defer
        report = check(staged)
        result = commit(staged, report, on_error="skip")
    except IngestError as exc:
        return {"error": str(exc)}
    finally:
        if staged is not None:
            staged.close()
        digest = queries.content_digest(con)
        con.close()
    for timed in ("batches", "schema_version"):  # hold times; batches compared by the result
        digest.pop(timed)
    return {"result": result.to_dict(), "rows": (report.n_rows, report.rows_ok, report.rows_bad),
            "counts": report.counts, "missing": report.missing, "new_units": report.new_units,
            "identical": report.identical_batch, "problems": report.problems,
            "preview": report.preview, "scope": report.scope, "sha256": staged.sha256,
            "stored": digest}


def _same(tmp_path: Path, path: Path, dataset: str, mapping: Mapping | None = None) -> dict:
    mapping = mapping or _mapping(tmp_path / "suggest.duckdb", path, dataset)
    two_step = _outcome(tmp_path / "a" / "db.duckdb", path, dataset, mapping, defer=False)
    one_pass = _outcome(tmp_path / "b" / "db.duckdb", path, dataset, mapping, defer=True)
    assert two_step.keys() == one_pass.keys()
    for key, expected in two_step.items():
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(one_pass[key], expected, obj=key)
        else:
            assert one_pass[key] == expected, key
    for db in ("a", "b", "suggest.duckdb"):
        for p in tmp_path.glob(f"{db}*"):
            p.is_dir() or p.unlink()
    return two_step


@pytest.fixture(autouse=True)
def _dirs(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()


@pytest.mark.parametrize(("path", "dataset"), FILES, ids=[f"{p.name}-{d}" for p, d in FILES])
def test_one_pass_equals_two_steps(tmp_path, path, dataset):
    _same(tmp_path, path, dataset)


@pytest.mark.parametrize(("path", "dataset"), SOURCES, ids=[p.name for p, _ in SOURCES])
def test_one_pass_equals_two_steps_on_mutations(tmp_path, path, dataset):
    rng = random.Random(zlib.crc32(b"one pass " + path.name.encode()))
    for i in range(MUTATIONS):
        data, ops = mutate(path.read_bytes(), rng)
        mutated = tmp_path / f"m{i}{path.suffix}"
        mutated.write_bytes(data)
        try:
            _same(tmp_path, mutated, dataset)
        except AssertionError as exc:
            raise AssertionError(f"mutation {i} ({ops}) of {path.name}: {exc}") from exc


def test_blank_rows_and_unmapped_cells(tmp_path):
    """A row blank in every mapped column but with text in an unmapped one is a row (its
    required values are missing); a row blank everywhere is skipped, keeping row numbers."""
    path = tmp_path / "blanks.csv"
    path.write_text("unit_id,period,csat,note,response_id\n"
                    "S1,2026-01,4,,r1\n"
                    " , ,\u00a0,,\n"
                    ",,,kept,\n"
                    "S2,2026-01,\t5 ,x,r2\n"
                    ",,,,\n", encoding="utf-8")
    mapping = Mapping(columns={"unit_id": "unit_id", "period": "period", "csat": "csat",
                               "note": "ignore", "response_id": "response_id"})
    out = _same(tmp_path, path, "customer", mapping)
    assert out["rows"] == (3, 2, 1)
    assert out["problems"]["row"].unique().tolist() == [4]


def test_text_answers_and_constants(tmp_path):
    """Text on an agreement scale is coded in a second pass over the kept text, and a
    constant stands in for a column, the same way in both paths."""
    path = tmp_path / "likert.csv"
    path.write_text("Date,Overall,Help\n"
                    "2026-02-03,Very satisfied,Agree\n"
                    "2026-02-04,Dissatisfied,Strongly disagree\n"
                    "2026-02-05,N/A,Neutral\n"
                    "2026-02-06,7,Agree\n", encoding="utf-8")
    mapping = Mapping(columns={"Date": "response_date", "Overall": "csat",
                               "Help": "item:help"}, constants={"unit_id": "S9"})
    out = _same(tmp_path, path, "customer", mapping)
    assert out["rows"] == (4, 3, 1)
    assert out["problems"]["reason"].str.startswith("outside its scale").tolist() == [True]
