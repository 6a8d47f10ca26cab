"""Text answers on rating scales are coded through the whole loader, and only where the
typed values show text (a file of numbers is not scanned for them)."""

from __future__ import annotations

import pandas as pd

from analytics.ingest.mapping import Mapping
from analytics.ingest.pipeline import ingest_file

COLUMNS = {"unit_id": "unit_id", "response_date": "response_date",
           "response_id": "response_id", "csat": "csat", "item:courtesy": "item:courtesy"}


def _load(con, path, frame):
    frame.to_csv(path, index=False)
    result, report = ingest_file(con, path, "customer", Mapping(columns=COLUMNS))
    return result, report


def test_agreement_labels_and_no_basis_are_coded(tiny_duck, tmp_path):
    frame = pd.DataFrame({
        "unit_id": "U01", "response_date": "2026-09-15",
        "response_id": ["A", "B", "C", "D", "E"],
        # numbers, with one text answer far from the top and a "no answer" marker
        "csat": ["4", "5", "Very satisfied", "N/A", "2"],
        "item:courtesy": ["Strongly agree", "Agree", "Disagree", "Neither agree nor disagree",
                          "Strongly disagree"],
    })
    result, report = _load(tiny_duck, tmp_path / "c.csv", frame)
    assert result.status == "loaded" and result.errors == []
    assert report.plan.codes["csat"] == {"very satisfied": 5.0}
    stored = tiny_duck.execute(
        "SELECT r.response_id, r.csat, i.value FROM customer_responses r "
        "JOIN customer_items i USING (batch_id, row_no) ORDER BY r.response_id").fetchall()
    assert stored == [("A", 4.0, 5.0), ("B", 5.0, 4.0), ("C", 5.0, 2.0), ("D", None, 3.0),
                      ("E", 2.0, 1.0)]


def test_unknown_text_in_a_score_is_reported_with_its_row(tiny_duck, tmp_path):
    frame = pd.DataFrame({
        "unit_id": "U01", "response_date": "2026-09-15", "response_id": ["A", "B", "C"],
        "csat": ["4", "Banana", "3"], "item:courtesy": ["1", "2", "3"],
    })
    result, report = _load(tiny_duck, tmp_path / "c.csv", frame)
    assert result.status == "rejected"
    assert [(e["row"], e["column"], e["value"]) for e in result.errors] == [
        (3, "csat", "Banana")]
    assert report.plan.codes == {}
