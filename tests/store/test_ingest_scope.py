"""A manager's upload is limited to their units by the loader itself (``allowed_units``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analytics.ingest.mapping import Mapping
from analytics.ingest.pipeline import check, commit, ingest_file, stage
from analytics.store import queries

REASON = "unit '{}' is not one of your units"


def _customers(path: Path, units: list[str]) -> Path:
    pd.DataFrame({
        "unit_id": units,
        "response_date": "2026-09-15",
        "response_id": [f"R{i}" for i in range(len(units))],
        "csat": [4] * len(units),
    }).to_csv(path, index=False)
    return path


def _errors(result) -> list[tuple]:
    return [(e["row"], e["column"], e["value"], e["reason"]) for e in result.errors]


def test_rows_of_other_units_reject_the_file_and_change_nothing(tiny_duck, tmp_path):
    f = _customers(tmp_path / "c.csv", ["U01", "U02", "U01", "U03"])
    before = queries.content_digest(tiny_duck)
    result, report = ingest_file(tiny_duck, f, "customer", allowed_units=["U01"])
    assert result.status == "rejected" and result.batch_id is None
    # rows as the file shows them: header is row 1
    assert _errors(result) == [(3, "unit_id", "U02", REASON.format("U02")),
                               (5, "unit_id", "U03", REASON.format("U03"))]
    assert (report.rows_ok, report.rows_bad) == (2, 2)
    assert queries.content_digest(tiny_duck) == before


def test_skip_loads_only_the_allowed_units(tiny_duck, tmp_path):
    f = _customers(tmp_path / "c.csv", ["U01", "U02", "U01", "U03"])
    result, _ = ingest_file(tiny_duck, f, "customer", on_error="skip", allowed_units={"U01"})
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 2)
    assert queries.panel(tiny_duck).set_index("unit_id").n_customer.to_dict() == {"U01": 2}


def test_none_and_a_covering_list_restrict_nothing(tiny_duck, tmp_path):
    f = _customers(tmp_path / "c.csv", ["U01", "U02"])
    loaded, _ = ingest_file(tiny_duck, f, "customer", allowed_units=("U01", "U02", "U09"),
                            dry_run=True)
    free, _ = ingest_file(tiny_duck, f, "customer", allowed_units=None, dry_run=True)
    assert (loaded.status, loaded.errors) == ("dry_run", [])
    assert (free.status, free.errors) == ("dry_run", [])


def test_no_units_allowed_refuses_every_row(tiny_duck, tmp_path):
    f = _customers(tmp_path / "c.csv", ["U01", "U02"])
    result, _ = ingest_file(tiny_duck, f, "customer", allowed_units=[])
    assert [e["value"] for e in result.errors] == ["U01", "U02"]


def test_a_constant_unit_is_checked_on_every_row(tiny_duck, tmp_path):
    f = tmp_path / "c.csv"
    pd.DataFrame({"response_date": ["2026-09-15"] * 3, "response_id": ["A", "B", "C"],
                  "csat": [3, 4, 5]}).to_csv(f, index=False)
    mapping = Mapping(columns={"response_date": "response_date", "response_id": "response_id",
                               "csat": "csat"}, constants={"unit_id": "Store 17"})
    result, _ = ingest_file(tiny_duck, f, "customer", mapping, allowed_units=["Store 4"])
    assert _errors(result) == [(r, "unit_id", "Store 17", REASON.format("Store 17"))
                               for r in (2, 3, 4)]
    ok, _ = ingest_file(tiny_duck, f, "customer", mapping, allowed_units=["Store 17"])
    assert (ok.status, ok.rows_loaded) == ("loaded", 3)


@pytest.mark.parametrize(("dataset", "frame"), [
    ("units", pd.DataFrame({"unit_id": ["U01", "U02"], "unit_name": ["North", "South"]})),
    ("employee", pd.DataFrame({"unit_id": ["U02", "U01"], "period": ["2026-09"] * 2,
                               "esat": [4, 5]})),
    ("financials", pd.DataFrame({"unit_id": ["U01", "U02"], "period": ["2026-09"] * 2,
                                 "revenue": [100, 200], "cost_of_sales": [60, 90]})),
])
def test_every_dataset_with_a_unit_is_restricted(tiny_duck, tmp_path, dataset, frame):
    f = tmp_path / f"{dataset}.csv"
    frame.to_csv(f, index=False)
    result, _ = ingest_file(tiny_duck, f, dataset, allowed_units=["U01"])
    row = 2 + frame.unit_id.tolist().index("U02")
    assert (result.status, _errors(result)) == (
        "rejected", [(row, "unit_id", "U02", REASON.format("U02"))])


def test_a_unit_column_with_another_name_is_reported_as_unit_id(tiny_duck, tmp_path):
    f = tmp_path / "c.csv"
    pd.DataFrame({"Store": ["U01", "U07"], "response_date": ["2026-09-15"] * 2,
                  "response_id": ["A", "B"], "csat": [3, 4]}).to_csv(f, index=False)
    mapping = Mapping(columns={"Store": "unit_id", "response_date": "response_date",
                               "response_id": "response_id", "csat": "csat"})
    result, _ = ingest_file(tiny_duck, f, "customer", mapping, allowed_units=["U01"])
    assert _errors(result) == [(3, "unit_id", "U07", REASON.format("U07"))]


def test_stage_check_and_commit_carry_the_restriction(tiny_duck, tmp_path):
    f = _customers(tmp_path / "c.csv", ["U01", "U02"])
    staged = stage(tiny_duck, f, "customer", allowed_units=["U01"])
    try:
        report = check(staged)
        assert report.problems.value.tolist() == ["U02"]
        # a wider restriction given to check itself wins over the one given to stage
        assert check(staged, allowed_units=["U01", "U02"]).rows_bad == 0
    finally:
        staged.close()


def test_commit_checks_again_a_report_made_without_the_restriction(tiny_duck, tmp_path):
    f = _customers(tmp_path / "c.csv", ["U01", "U02"])
    before = queries.content_digest(tiny_duck)
    staged = stage(tiny_duck, f, "customer")
    try:
        report = check(staged)
        assert report.rows_bad == 0
        result = commit(staged, report, allowed_units=["U01"])
    finally:
        staged.close()
    assert result.status == "rejected"
    assert _errors(result) == [(3, "unit_id", "U02", REASON.format("U02"))]
    assert queries.content_digest(tiny_duck) == before
