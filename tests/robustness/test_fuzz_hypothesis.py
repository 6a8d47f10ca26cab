"""Generated uploads (hypothesis): tables of odd cells for each dataset, and raw bytes.

Derandomized, so CI runs the same examples every time. The property is _loader's: an
IngestError or a Result with clear reasons, and a file that is not loaded changes nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.ingest.read import DELIMITERS
from analytics.store import queries
from analytics.store.validate import COLUMN_TYPES, REQUIRED
from tests.robustness._counts import record
from tests.robustness._loader import DATASETS, attempt, seeded_db

EXAMPLES = 25
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_counter = itertools.count()

ODD = ["", " ", "NA", "n/a", "-", "=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", '"', '""', "\n",
       "a\r\nb", "0", "-0", "1e400", "NaN", "inf", "٣", "5.0", "4,5", "1.234,5", "10/11/12",
       "2026-02-30", "2026-13", "9999-12-31", "0001-01-01", "yes", "Nein", "\x00", "\ufeff",
       "'; DROP TABLE batches; --", "U01", "U99", "Very satisfied", "Extremely likely",
       "x" * 6000]
PLAUSIBLE = {
    "text": st.sampled_from(["U01", "U02", "U03", "Leeds", "North", "a@b.c", "Sales"]),
    "score": st.integers(-3, 12).map(str),
    "number": st.floats(allow_nan=True, allow_infinity=True).map(str),
    "bool": st.sampled_from(["true", "false", "yes", "no", "1", "0", "Y"]),
    "date": st.dates().map(str),
    "period": st.sampled_from(["2026-09", "2026-10", "2025-01", "Sep 2026", "2026/09"]),
}


@st.composite
def tables(draw, dataset: str) -> bytes:
    """A header of canonical (and odd) column names and a few rows of odd cells."""
    types = COLUMN_TYPES[dataset]
    columns = list(REQUIRED[dataset]) + draw(st.lists(st.sampled_from(sorted(types)),
                                                      max_size=4, unique=True))
    columns += draw(st.lists(st.text(max_size=12), max_size=2))
    columns = draw(st.permutations(columns))
    cell = {c: st.one_of(PLAUSIBLE[types.get(c, "text")], st.sampled_from(ODD),
                         st.text(max_size=15)) for c in columns}
    rows = draw(st.lists(st.tuples(*(cell[c] for c in columns)), min_size=1, max_size=8))
    delimiter = draw(st.sampled_from(DELIMITERS))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=draw(
        st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return out.getvalue().encode(encoding, errors="replace")


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hypo")
    con = seeded_db(folder / "hypo.duckdb")
    yield con, folder
    con.close()


def _one(fuzz_db, data: bytes, dataset: str, suffix: str = ".csv") -> str:
    con, folder = fuzz_db
    path = Path(folder) / f"h{next(_counter)}{suffix}"
    path.write_bytes(data)
    before = queries.content_digest(con)
    status = attempt(con, path, dataset)
    if status != "loaded":
        assert queries.content_digest(con) == before, f"{dataset}: {data[:200]!r}"
    path.unlink()
    return status


@pytest.mark.parametrize("dataset", DATASETS)
def test_generated_tables(fuzz_db, dataset):
    @SETTINGS
    @given(tables(dataset))
    def run(data):
        record(f"hypothesis_outcome_{_one(fuzz_db, data, dataset)}", 1)

    run()
    record("hypothesis_tables", EXAMPLES)


@pytest.mark.parametrize("dataset", DATASETS)
def test_generated_bytes(fuzz_db, dataset):
    @SETTINGS
    @given(st.binary(max_size=3000), st.sampled_from([".csv", ".xlsx", ".txt"]))
    def run(data, suffix):
        record(f"hypothesis_outcome_{_one(fuzz_db, data, dataset, suffix)}", 1)

    run()
    record("hypothesis_bytes", EXAMPLES)
