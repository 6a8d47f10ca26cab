"""Thousands of seeded mutations of valid files through the loader.

Each source file (the templates, the hand-made exports of tests/data/formats and the real
exports of tests/data/samples) is mutated ``PER_FILE`` times with a seed derived from its
name, so every run feeds exactly the same bytes. Every mutation is read, staged in DuckDB
and mapped (``pipeline.stage``: where every crash found so far lived); every
``FULL_EVERY``-th one also goes through validation and the load, and when it is not
loaded the database content digest must be unchanged. One database per source file: a
copy of a database seeded with the sample files, so validation meets overlapping
batches and known units. At the end the digest must equal the one after the last load.
"""

from __future__ import annotations

import os
import random
import shutil
import zlib
from collections import Counter
from pathlib import Path

import pytest

from analytics.store import connect, queries
from tests.robustness._counts import record
from tests.robustness._loader import ROOT, SAMPLES, attempt, seeded_db, unchanged
from tests.robustness._mutate import mutate

FORMATS = ROOT / "tests" / "data" / "formats"
REAL = ROOT / "tests" / "data" / "samples"
# (file, the dataset it loads as, or the one it is closest to)
SOURCES = [
    (SAMPLES / "units.csv", "units"),
    (SAMPLES / "employee.csv", "employee"),
    (SAMPLES / "customer.csv", "customer"),
    (SAMPLES / "financials.csv", "financials"),
    (FORMATS / "blank_trailing_rows.csv", "customer"),
    (FORMATS / "employee.xlsx", "employee"),
    (FORMATS / "finance_transactions.csv", "financials"),
    (FORMATS / "google_forms.csv", "employee"),
    (FORMATS / "latin1.csv", "financials"),
    (FORMATS / "ms_forms.xlsx", "customer"),
    (FORMATS / "pipe.csv", "financials"),
    (FORMATS / "qualtrics_3header.csv", "employee"),
    (FORMATS / "quoted_newlines.csv", "customer"),
    (FORMATS / "semicolon_decimal_comma.csv", "financials"),
    (FORMATS / "surveymonkey_2header.csv", "customer"),
    (FORMATS / "tab.tsv", "units"),
    (FORMATS / "utf16.csv", "financials"),
    (FORMATS / "utf16_nobom.csv", "financials"),
    (FORMATS / "utf8_bom.csv", "financials"),
    (REAL / "qualtrics_current_3header.csv", "employee"),
    (REAL / "qualtrics_legacy_2header_bom.csv", "employee"),
    (REAL / "qualtrics_matrix_likert.csv", "customer"),
    (REAL / "supermarket_branch_sales.csv", "financials"),
    (REAL / "ibm_hr_employee_satisfaction.csv", "employee"),
]
#: mutations in all; STOOL_FUZZ_MUTATIONS sets another total for a longer run
TOTAL = int(os.environ.get("STOOL_FUZZ_MUTATIONS", "1200"))
PER_FILE = max(1, TOTAL // len(SOURCES))
FULL_EVERY = 6


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "seeded.duckdb"
    seeded_db(path).close()
    return path


@pytest.mark.parametrize(("source", "dataset"), SOURCES, ids=[s.name for s, _ in SOURCES])
def test_mutated_files_are_refused_cleanly_or_loaded(template, tmp_path, source, dataset):
    db = tmp_path / "fuzz.duckdb"
    shutil.copyfile(template, db)
    con = connect(db)
    rng = random.Random(zlib.crc32(source.name.encode()))
    original = source.read_bytes()
    seen: Counter[str] = Counter()
    try:
        digest = queries.content_digest(con)
        for i in range(PER_FILE):
            data, ops = mutate(original, rng)
            path = tmp_path / f"m{i}{source.suffix}"
            path.write_bytes(data)
            full = i % FULL_EVERY == 0
            where = f"mutation {i} ({ops}) of {source.name} as {dataset}"
            try:
                status = attempt(con, path, dataset, full=full)
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from exc
            seen[status] += 1
            if status == "loaded":
                digest = queries.content_digest(con)
            elif full:
                unchanged(con, digest, where)
            path.unlink()
        unchanged(con, digest, f"after the mutations of {source.name}")
    finally:
        con.close()
    assert sum(seen.values()) == PER_FILE
    record("fuzz_source_files", 1)
    record("fuzz_mutations", PER_FILE)
    record("fuzz_mutations_full_load", sum(1 for i in range(PER_FILE) if i % FULL_EVERY == 0))
    for status, n in seen.items():
        record(f"fuzz_outcome_{status}", n)
