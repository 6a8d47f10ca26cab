"""metrics.md §3 on a tiny hand-computed fixture, through the real load and summary SQL."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.store import queries
from analytics.store.load import BatchMeta, rollback_batch, write_batch


def _employee() -> pd.DataFrame:
    rows = [  # unit, esat, enps, scale
        ("U1", 5, 10), ("U1", 4, 9), ("U1", 3, 8), ("U1", 2, 6), ("U1", 1, 0),
        ("U2", 5, 10), ("U2", 5, 10), ("U2", 4, 3),
    ]
    df = pd.DataFrame(rows, columns=["unit_id", "esat", "enps"])
    df["period"], df["esat_lo"], df["esat_hi"] = "2026-09", 1.0, 5.0
    df["row_no"] = range(1, len(df) + 1)
    return df


def _customer() -> pd.DataFrame:
    df = pd.DataFrame({
        "unit_id": ["U1"] * 4,
        "csat": [5, 4, 4, 2],
        "nps": [9, 10, 5, 7],
        "complaint": [False, False, True, True],
        "resolved": [None, None, True, False],
        "resolution_hours": [None, None, 10.0, 30.0],
    })
    df["period"], df["csat_lo"], df["csat_hi"] = "2026-09", 1.0, 5.0
    df["row_no"] = range(1, len(df) + 1)
    return df


def _financials() -> pd.DataFrame:
    return pd.DataFrame({
        "unit_id": ["U1", "U2"], "period": ["2026-09", "2026-09"],
        "revenue": [1000.0, 3000.0], "cost_of_sales": [600.0, 2400.0],
        "gross_profit": [400.0, 600.0], "operating_costs": [100.0, 300.0],
        "headcount": [10.0, 6.0],
    })


@pytest.fixture
def loaded(tiny_duck):
    ids = [
        write_batch(tiny_duck, BatchMeta("employee", "e.csv", "h1"), _employee()),
        write_batch(tiny_duck, BatchMeta("customer", "c.csv", "h2"), _customer()),
        write_batch(tiny_duck, BatchMeta("financials", "f.csv", "h3"), _financials()),
    ]
    return tiny_duck, ids


# hand-computed: U1 esat 1..5 on 1-5 -> 100,75,50,25,0; U2 5,5,4 -> 100,100,75
UNIT_EXPECTED = [
    ("U1", "esat_index", 50.0), ("U1", "esat_pct_satisfied", 40.0), ("U1", "enps", 0.0),
    ("U2", "esat_index", 275 / 3), ("U2", "esat_pct_satisfied", 100.0),
    ("U2", "enps", (2 - 1) / 3 * 100),
    ("U1", "csat_pct", 75.0), ("U1", "csat_mean", 68.75), ("U1", "nps", 25.0),
    ("U1", "complaint_rate", 50.0), ("U1", "median_resolution_hours", 10.0),
    ("U1", "gross_margin_pct", 40.0), ("U1", "operating_margin_pct", 30.0),
    ("U2", "gross_margin_pct", 20.0), ("U1", "response_rate", 50.0),
    ("U2", "response_rate", 50.0),
]


@pytest.mark.parametrize(("unit", "metric", "expected"), UNIT_EXPECTED)
def test_unit_month_metrics(loaded, unit, metric, expected):
    con, _ = loaded
    row = queries.panel(con).set_index("unit_id").loc[unit]
    assert row[metric] == pytest.approx(expected, abs=1e-9)


COMPANY_EXPECTED = [
    ("esat_index", (250 + 275) / 8),  # pooled over responses, not a mean of unit means
    ("esat_pct_satisfied", 5 / 8 * 100),
    ("enps", (4 - 3) / 8 * 100),
    ("gross_margin_pct", 1000 / 4000 * 100),  # weighted by revenue
    ("operating_margin_pct", 600 / 4000 * 100),
    ("csat_pct", 75.0),
    ("n_employee", 8),
    ("n_units", 2),
]


@pytest.mark.parametrize(("metric", "expected"), COMPANY_EXPECTED)
def test_company_pools_responses(loaded, metric, expected):
    con, _ = loaded
    assert queries.group_kpis(con).iloc[0][metric] == pytest.approx(expected, abs=1e-9)


def test_pooled_sd_equals_sd_of_all_responses(loaded):
    con, _ = loaded
    normalised = (_employee().esat - 1) / 4 * 100
    assert queries.group_kpis(con).iloc[0]["esat_sd"] == pytest.approx(normalised.std(ddof=1))


def test_seven_point_scale_top_two_boxes(tiny_duck):
    df = pd.DataFrame({"unit_id": "U9", "period": "2026-09", "esat": [7.0, 6.0, 5.0, 1.0],
                       "esat_lo": 1.0, "esat_hi": 7.0, "row_no": [1, 2, 3, 4]})
    write_batch(tiny_duck, BatchMeta("employee", "e7.csv", "h7"), df)
    row = queries.panel(tiny_duck).iloc[0]
    assert row.esat_pct_satisfied == pytest.approx(50.0)
    assert row.esat_index == pytest.approx((6 + 5 + 4 + 0) / 4 / 6 * 100)


def test_rollback_restores_summary_and_bumps_version(loaded):
    con, ids = loaded
    version = queries.data_version(con)
    assert rollback_batch(con, ids[2])
    row = queries.panel(con).set_index("unit_id").loc["U1"]
    assert pd.isna(row.gross_margin_pct) and row.esat_index == pytest.approx(50.0)
    assert queries.data_version(con) == version + 1
    assert not rollback_batch(con, ids[2])  # nothing left to undo


def test_filters_select_units(loaded):
    con, _ = loaded
    kpis = queries.group_kpis(con, Filters(units=("U2",)))
    assert kpis.iloc[0].n_employee == 3


def test_failed_write_changes_nothing(loaded):
    con, _ = loaded
    before = queries.panel(con)
    bad = _employee().drop(columns=["unit_id"])  # NOT NULL unit_id violated mid-transaction
    with pytest.raises(Exception):  # noqa: B017 - any database error will do
        write_batch(con, BatchMeta("employee", "bad.csv", "h9"), bad)
    pd.testing.assert_frame_equal(queries.panel(con), before)
    assert len(queries.batches(con)) == 3
