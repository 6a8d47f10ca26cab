"""Regression tests of the loader bugs the fuzzing found, each fixed (issue 6).

Each case is the minimal reproducer that was a strict xfail in test_known_bugs.py; here
it must give the exact answer a person can act on, and a file that is not loaded must
leave the database as it was.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.ingest import pipeline
from analytics.store import queries
from tests.robustness._loader import ROOT, attempt


def _unknown_zip_version() -> bytes:
    """A real workbook whose first central directory entry needs zip version 20.9."""
    data = bytearray((ROOT / "tests" / "data" / "formats" / "employee.xlsx").read_bytes())
    entry = data.index(b"PK\x01\x02")
    data[entry + 6:entry + 8] = (209).to_bytes(2, "little")  # "version needed to extract"
    return bytes(data)


ROWS = "".join(f"U01,2026-09-{d:02d},{1 + d % 5},{['Excellent', 'Good', 'Poor'][d % 3]}\n"
               for d in range(1, 11))
CASES = {
    "huge_multibyte_line": ("units", ("unit_id,unit_name\nU01,a\nU02,x" + "é" * 1_100_000
                                      + "\nU03,b\n").encode()),
    "non_ascii_item_name": ("customer", ("unit_id,response_date,csat,Qualité\n"
                                         + ROWS).encode()),
    "damaged_zip_version": ("employee", _unknown_zip_version()),
    "technical_message_lf_cr": ("units", b"unit_id,unit_name\nU01,Leeds\n\rU02,York\n"),
    "technical_message_nul_header": (
        "units", "unit_id,unit_name,re\x00gion\nU01,Leeds,North\n".encode("utf-16")),
    "technical_message_line_over_20_mb": (
        "units", b"unit_id,unit_name\nU01,a\nU02," + b"a" * 21_000_000 + b"\nU03,b\n"),
}


def _path(tmp_path, data: bytes):
    path = tmp_path / ("case.xlsx" if data.startswith(b"PK") else "case.csv")
    path.write_bytes(data)
    return path


def outcome(con, tmp_path, name: str):
    """Stage, check and commit case ``name``: (status, Result or IngestError text, report).

    The database is unchanged unless the file loaded.
    """
    dataset, data = CASES[name]
    path = _path(tmp_path, data)
    before = queries.content_digest(con)
    try:
        staged = pipeline.stage(con, path, dataset)
    except pipeline.IngestError as exc:
        assert queries.content_digest(con) == before
        return "error", str(exc), None
    try:
        report = pipeline.check(staged)
        result = pipeline.commit(staged, report)
    finally:
        staged.close()
    if result.status != "loaded":
        assert queries.content_digest(con) == before
    return result.status, result, report


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_property_holds(tiny_duck, tmp_path, name):
    """The property of _loader.attempt, with no bug excused (KNOWN_BUGS is empty)."""
    dataset, data = CASES[name]
    assert attempt(tiny_duck, _path(tmp_path, data), dataset) in ("error", "rejected",
                                                                  "loaded")


def test_a_huge_multibyte_line_is_a_row_problem_with_its_value_cut(tiny_duck, tmp_path):
    status, result, report = outcome(tiny_duck, tmp_path, "huge_multibyte_line")
    assert status == "rejected"
    # the 1.1M-character cell is echoed as its first 200 characters and "…"
    assert result.errors == [{"row": 3, "column": "unit_name",
                              "value": "x" + "é" * 199 + "…",
                              "reason": "text too long: over 5,000 characters"}]
    # so is the problem table the Upload page shows (and rejected_rows would keep)
    assert report.problems.value.tolist() == ["x" + "é" * 199 + "…"]


def test_a_non_ascii_rating_name_becomes_an_ascii_item(tiny_duck, tmp_path):
    status, result, report = outcome(tiny_duck, tmp_path, "non_ascii_item_name")
    assert status == "loaded", result
    assert report.mapping.columns["Qualité"] == "item:qualite"
    items = tiny_duck.execute(
        "SELECT item, count(*) FROM customer_items WHERE batch_id = $b GROUP BY item",
        {"b": result.batch_id}).fetchall()
    assert items == [("qualite", 10)]


def test_slugs_are_ascii_and_unique():
    from analytics.ingest.mapping import _item_target, _slug

    assert [_slug(t) for t in ("Qualité", "Ça va?", "质量", "Größe")] == \
        ["qualite", "ca_va", "item", "grosse"]
    used: set[str] = set()
    for col in ("质量", "速度", "Qualité"):
        used.add(_item_target(col, "", "employee", used))
    assert used == {"item:item", "item:item_2", "item:qualite"}


def test_a_damaged_zip_version_is_a_damaged_workbook(tiny_duck, tmp_path):
    assert outcome(tiny_duck, tmp_path, "damaged_zip_version")[:2] == (
        "error", "The file looks like an XLSX workbook but is damaged. Open it in Excel and "
                 "save it again, or export it as CSV.")


def test_a_line_feed_then_carriage_return_is_explained(tiny_duck, tmp_path):
    assert outcome(tiny_duck, tmp_path, "technical_message_lf_cr")[:2] == (
        "error", "The file mixes line endings in a way that cannot be read (a line feed "
                 "followed by a carriage return). Open it in Excel or a text editor and save "
                 "it again as CSV.")


def test_control_characters_leave_a_column_name(tiny_duck, tmp_path):
    status, result, report = outcome(tiny_duck, tmp_path, "technical_message_nul_header")
    assert status == "loaded", result
    assert report.mapping.columns == {"unit_id": "unit_id", "unit_name": "unit_name",
                                      "region": "region"}
    assert "Column 3's name held control characters; they were removed." in report.notes
    assert tiny_duck.execute("SELECT region FROM units WHERE unit_id = 'U01'"
                             ).fetchall() == [("North",)]


def test_a_line_over_20_mb_names_its_row(tiny_duck, tmp_path):
    assert outcome(tiny_duck, tmp_path, "technical_message_line_over_20_mb")[:2] == (
        "error", "Row 3 is longer than 20 MB. Check that the file is a table of one record "
                 "per line, with its quotes closed.")


def test_error_values_are_cut_at_200_characters():
    problems = pd.DataFrame({"row": [2, 3], "column": ["a", "b"],
                                      "value": ["y" * 200, "z" * 1_100_000],
                                      "reason": ["r", "s"]})
    errors = pipeline._error_dicts(problems)
    assert [e["value"] for e in errors] == ["y" * 200, "z" * 200 + "…"]


# found by hypothesis in CI: a unit id written as a missing marker ("NA") or left empty
# in a units file passed validation, then crashed the sort of new units (a float NaN
# among strings) or the NOT NULL constraint of the write
@pytest.mark.parametrize("dataset, text", [
    ("units", "unit_id,unit_name\nU01,Leeds\nNA,York\n"),
    ("units", "unit_id,unit_name\nU01,Leeds\n,York\n"),
    ("units", "unit_id,unit_name,\nU01,U01,U01\nLeeds,U01,U01\nNA,U01,U01\n"),
    ("employee", "unit_id,response_date,esat\nU01,2026-09-01,4\nN/A,2026-09-02,3\n"),
])
def test_a_missing_unit_id_is_a_missing_required_value(tiny_duck, tmp_path, dataset, text):
    path = tmp_path / "case.csv"
    path.write_text(text)
    before = queries.content_digest(tiny_duck)
    result, _ = pipeline.ingest_file(tiny_duck, path, dataset)
    assert result.status == "rejected"
    assert {"row": 3 + ("Leeds" in text and "U01,U01" in text), "column": "unit_id",
            "reason": "missing required value"}.items() <= result.errors[-1].items()
    assert queries.content_digest(tiny_duck) == before
