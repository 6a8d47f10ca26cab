"""The bad-file corpus: each file gets a clear message naming row and column (or the file's
fault), and the database content is exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.ingest.pipeline import IngestError, ingest_file
from analytics.store import queries

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
GOOD = Path(__file__).resolve().parents[2] / "data" / "samples"

# file, dataset, expected data row of the first problem (None: the file or a column as a
# whole), column named, words in the reason
CASES = [
    ("empty.csv", "customer", None, None, "empty"),
    ("header_only.csv", "customer", None, None, "no data rows"),
    ("binary.csv", "customer", None, None, "not a CSV or XLSX"),
    ("not_really.xlsx", "customer", None, None, ""),
    ("too_many_columns.csv", "customer", None, None, "columns"),
    ("wrong_delimiter.csv", "customer", None, "unit_id", "not mapped"),
    ("missing_required_column.csv", "customer", None, "csat", "not mapped"),
    ("financials_without_costs.csv", "financials", None, "cost_of_sales or gross_profit",
     "not mapped"),
    ("text_in_score.csv", "customer", 3, "csat", "not a number"),
    ("score_out_of_scale.csv", "customer", 3, "csat", "outside its scale"),
    ("nps_out_of_range.csv", "customer", 3, "nps", "outside its scale"),
    ("missing_csat_values.csv", "customer", 3, "csat", "missing required value"),
    ("future_date.csv", "customer", 3, "response_date", "future"),
    ("unparseable_date.csv", "customer", 3, "response_date", "unparseable date"),
    ("ambiguous_dates.csv", "customer", 2, "response_date", "ambiguous day/month"),
    ("duplicate_ids.csv", "customer", 3, "response_id", "duplicate response id in the file"),
    ("missing_unit_id.csv", "customer", 3, "unit_id", "missing required value"),
    ("bad_bool.csv", "customer", 3, "complaint", "not yes/no"),
    ("negative_resolution_hours.csv", "customer", 3, "resolution_hours", "negative"),
    ("long_comment.csv", "customer", 3, "comment", "too long"),
    ("formula_cells.csv", "customer", 3, "comment", "formula"),
    ("ragged_row.csv", "customer", None, None, "row 3 has"),
    ("utf16_nobom_bad_score.csv", "customer", 3, "csat", "outside its scale"),
    ("negative_revenue.csv", "financials", 3, "revenue", "negative"),
    ("duplicate_financial_rows.csv", "financials", 3, "unit_id + period", "two financial rows"),
    ("revenue_not_a_number.csv", "financials", 2, "revenue", "not a number"),
    ("month_in_future.csv", "financials", 2, "period", "future"),
    ("unparseable_month.csv", "financials", 2, "period", "unparseable month"),
    ("units_missing_name.csv", "units", 3, "unit_name", "missing required value"),
    ("unit_sql_and_missing_id.csv", "units", 3, "unit_id", "missing required value"),
    ("units_duplicate_ids.csv", "units", 3, "unit_id", "duplicate unit id"),
]


def test_corpus_is_complete():
    assert len(CASES) >= 25
    assert {c[0] for c in CASES} == {p.name for p in BAD.iterdir() if p.name != "README.md"}


@pytest.fixture
def seeded(tiny_duck):
    for kind in ("units", "employee", "customer", "financials"):
        result, _ = ingest_file(tiny_duck, GOOD / f"{kind}.csv", kind)
        assert result.status == "loaded", result.errors
    return tiny_duck


@pytest.mark.parametrize(("name", "kind", "row", "column", "reason"), CASES)
def test_bad_file_is_refused_clearly_and_changes_nothing(seeded, name, kind, row, column,
                                                         reason):
    before = queries.content_digest(seeded)
    try:
        result, _ = ingest_file(seeded, BAD / name, kind)
    except IngestError as exc:
        assert row is None and reason.lower() in str(exc).lower()
    else:
        assert result.status == "rejected"
        assert result.errors, "a rejection must say why"
        first = result.errors[0]
        assert first["row"] == row
        if column is not None:
            assert any(e["column"] == column and reason in e["reason"] for e in result.errors)
        for e in result.errors:
            assert e["reason"], e
    assert queries.content_digest(seeded) == before
