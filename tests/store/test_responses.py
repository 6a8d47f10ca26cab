"""Response-level reads (analytics.store.responses) on a tiny hand-computed fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.filters import Filters
from analytics.store import cells, responses
from analytics.store.load import BatchMeta, write_batch

P = "2026-09"
# row, unit, department, esat (1-5), enps, comment, empowerment, tools (1-5; None = skipped)
EMPLOYEE = [
    (1, "U1", "A", 5, 10, "Great team", 5, 3),
    (2, "U1", "A", 4, 9, None, 4, 2),
    (3, "U1", "A", 3, 7, "   ", 3, 5),
    (4, "U1", "B", 2, 6, "Too busy", 2, 4),
    (5, "U1", "B", 1, 0, "Nobody listens", 1, 1),
    (6, "U2", "A", 5, 8, "ok", 4, 5),
    (7, "U2", None, 4, None, None, 5, None),
]
# row, unit, csat, nps, complaint, resolved, hours, comment, courtesy, speed
CUSTOMER = [
    (1, "U1", 5, 10, False, None, None, "Lovely staff", 5, 4),
    (2, "U1", 4, 9, False, None, None, None, 4, 4),
    (3, "U1", 2, 5, True, True, 10.0, "Slow service", 3, 1),
    (4, "U1", 1, 8, True, False, 30.0, "Rude", 1, 2),
    (5, "U2", 5, 10, True, True, 4.0, None, 5, 5),
    (6, "U2", 5, 10, True, True, 8.0, "Quick fix", 4, 5),
]


def _employee() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = pd.DataFrame(EMPLOYEE, columns=["row_no", "unit_id", "department", "esat", "enps",
                                         "comment", "empowerment", "tools"])
    df["period"], df["esat_lo"], df["esat_hi"] = P, 1.0, 5.0
    df["respondent_id"] = [f"SECRET{i}" for i in df.row_no]
    items = df.melt(id_vars="row_no", value_vars=["empowerment", "tools"], var_name="item")
    items = items.dropna(subset=["value"]).assign(lo=1.0, hi=5.0)
    return df.drop(columns=["empowerment", "tools"]), items


def _customer() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = pd.DataFrame(CUSTOMER, columns=["row_no", "unit_id", "csat", "nps", "complaint",
                                         "resolved", "resolution_hours", "comment",
                                         "courtesy", "speed"])
    df["period"], df["csat_lo"], df["csat_hi"] = P, 1.0, 5.0
    items = df.melt(id_vars="row_no", value_vars=["courtesy", "speed"], var_name="item")
    items = items.assign(lo=1.0, hi=5.0)
    return df.drop(columns=["courtesy", "speed"]), items


@pytest.fixture
def con(tiny_duck):
    units = pd.DataFrame({"unit_id": ["U1", "U2"], "unit_name": ["One", "Two"],
                          "region": ["North", "South"], "division": ["X", "X"],
                          "headcount": [10.0, 8.0]})
    write_batch(tiny_duck, BatchMeta("units", "u.csv", "h0"), units)
    write_batch(tiny_duck, BatchMeta("employee", "e.csv", "h1"), *_employee())
    write_batch(tiny_duck, BatchMeta("customer", "c.csv", "h2"), *_customer())
    return tiny_duck


# esat 1..5 on 1-5 -> 0, 25, 50, 75, 100: respondents per cell and answer (the published
# table set's only source of employee figures, analytics.store.cells)
ANSWERS = {  # (unit, department) -> {esat value: n}
    ("U1", "A"): {100.0: 1, 75.0: 1, 50.0: 1},
    ("U1", "B"): {25.0: 1, 0.0: 1},
    ("U2", "A"): {100.0: 1},
    ("U2", None): {75.0: 1},
}


def test_answer_counts_per_cell_and_answer(con):
    table = cells.employee_answer_counts(con)
    assert not {"respondent_id", "comment", "row_no", "batch_id"} & set(table.columns)
    esat = table[table.family == "esat"]
    got = {}
    for r in esat.itertuples():
        dept = None if pd.isna(r.department) else r.department
        got.setdefault((r.unit_id, dept), {})[r.value] = r.n
        assert r.flag == (r.value >= 75) and r.period == P
    assert got == ANSWERS
    enps = table[table.family == "enps"]
    assert sorted(zip(enps.unit_id, enps.value, enps.n, strict=True)) == [
        ("U1", 0.0, 1), ("U1", 6.0, 1), ("U1", 7.0, 1), ("U1", 9.0, 1), ("U1", 10.0, 1),
        ("U2", 8.0, 1)]  # row 7 has no eNPS
    tools = table[table.family == "item:tools"]
    assert dict(zip(zip(tools.unit_id, tools.value, strict=True), tools.n, strict=True)) \
        == {("U1", 50.0): 1, ("U1", 25.0): 1, ("U1", 100.0): 1, ("U1", 75.0): 1,
            ("U1", 0.0): 1, ("U2", 100.0): 1}


def test_cell_responses_and_comments(con):
    table = cells.employee_cell_responses(con)
    u1a = table[(table.unit_id == "U1") & (table.department == "A")].iloc[0]
    assert (u1a.n_responses, u1a.n_comments) == (3, 1)  # "   " is no comment
    counts = cells.employee_comment_counts(con).set_index("unit_id")
    assert counts.loc["U1", "n_comments"] == 3 and counts.loc["U2", "n_comments"] == 1


def test_comments_of_unit_months_are_text_only(con):
    got = cells.employee_comments_of(con, pd.DataFrame({"unit_id": ["U1"], "period": [P]}))
    assert list(got.columns) == ["comment", "n_comments"]
    assert sorted(got.comment) == ["Great team", "Nobody listens", "Too busy"]
    assert (got.n_comments == 3).all()
    none = cells.employee_comments_of(con, pd.DataFrame({"unit_id": [], "period": []}))
    assert none.empty


def test_item_pair_sums_give_scipys_correlation(con):
    pairs = cells.employee_item_pairs(con)
    u1 = pairs[(pairs.unit_id == "U1") & (pairs.item == "tools")].sum(numeric_only=True)
    x = np.array([50.0, 25.0, 100.0, 75.0, 0.0])   # tools of rows 1-5
    y = np.array([100.0, 75.0, 50.0, 25.0, 0.0])   # esat of rows 1-5
    n = u1["n"]
    r = (u1.sxy - u1.sx * u1.sy / n) / np.sqrt((u1.sxx - u1.sx ** 2 / n)
                                             * (u1.syy - u1.sy ** 2 / n))
    assert n == 5 and r == pytest.approx(stats.pearsonr(x, y).statistic)


def test_item_means_are_normalised_per_group(con):
    table = responses.item_means(con, "employee", by=("unit_id",)).set_index(["unit_id", "item"])
    assert table.loc[("U1", "empowerment"), "mean"] == pytest.approx(50.0)  # 100..0
    assert table.loc[("U1", "tools"), "mean"] == pytest.approx((50 + 25 + 100 + 75 + 0) / 5)
    assert table.loc[("U2", "empowerment"), "mean"] == pytest.approx(87.5)
    assert table.loc[("U2", "tools"), "n"] == 1  # row 7 skipped tools


def _pairs(item: str) -> tuple[np.ndarray, np.ndarray]:
    emp = pd.DataFrame(EMPLOYEE, columns=["row_no", "u", "d", "esat", "e", "c",
                                          "empowerment", "tools"]).dropna(subset=[item])
    return (emp[item].to_numpy(float) - 1) * 25, (emp.esat.to_numpy(float) - 1) * 25


@pytest.mark.parametrize("item", ["empowerment", "tools"])
def test_item_correlations_match_scipy(con, item):
    row = responses.item_correlations(con, "employee").set_index("item").loc[item]
    x, y = _pairs(item)
    assert row.n == len(x)
    assert row.r == pytest.approx(stats.pearsonr(x, y).statistic)
    assert row.rho == pytest.approx(stats.spearmanr(x, y).statistic)  # ties: mean ranks
    assert row["mean"] == pytest.approx(x.mean())


def test_customer_item_correlation_with_ties_matches_scipy(con):
    cust = pd.DataFrame(CUSTOMER, columns=["r", "u", "csat", "n", "c", "res", "h", "t",
                                           "courtesy", "speed"])
    row = responses.item_correlations(con, "customer").set_index("item").loc["speed"]
    assert row.r == pytest.approx(stats.pearsonr(cust.speed, cust.csat).statistic)
    assert row.rho == pytest.approx(stats.spearmanr(cust.speed, cust.csat).statistic)


def test_constant_item_has_no_correlation(tiny_duck):
    df = pd.DataFrame({"row_no": [1, 2, 3], "unit_id": "U1", "period": P,
                       "esat": [1, 3, 5], "esat_lo": 1.0, "esat_hi": 5.0})
    items = pd.DataFrame({"row_no": [1, 2, 3], "item": "same", "value": 3.0, "lo": 1.0,
                          "hi": 5.0})
    write_batch(tiny_duck, BatchMeta("employee", "e.csv", "h"), df, items)
    row = responses.item_correlations(tiny_duck, "employee").iloc[0]
    assert row.n == 3 and pd.isna(row.r) and pd.isna(row.rho)


def test_customer_groups_pool_responses(con):
    row = responses.customer_groups(con).iloc[0]
    assert row.csat_pct == pytest.approx(4 / 6 * 100)
    assert row.nps == pytest.approx((4 - 1) / 6 * 100)
    assert row.complaint_rate == pytest.approx(4 / 6 * 100)
    assert row.n_comments == 4


def test_department_filter_does_not_apply_to_customers(con):
    everyone = responses.customer_groups(con)
    pd.testing.assert_frame_equal(responses.customer_groups(con, Filters(departments=("B",))),
                                  everyone)


COMPLAINTS = [  # unit, responses, complaints, rate, resolved, % resolved, median hours
    ("U1", 4, 2, 50.0, 1, 50.0, 10.0),
    ("U2", 2, 2, 100.0, 2, 100.0, 6.0),
]


@pytest.mark.parametrize(("unit", "n", "c", "rate", "res", "pct", "hours"), COMPLAINTS)
def test_complaints_by_unit(con, unit, n, c, rate, res, pct, hours):
    row = responses.complaints_by_unit(con).set_index("unit_id").loc[unit]
    assert (row.responses, row.complaints, row.resolved) == (n, c, res)
    assert row.complaint_rate == pytest.approx(rate)
    assert row.pct_resolved == pytest.approx(pct)
    assert row.median_resolution_hours == pytest.approx(hours)  # resolved only: not 30 h


def test_comments_are_text_and_group_keys_only(con):
    table = responses.comments(con, "employee", by=("department",), limit=1)
    assert list(table.columns) == ["department", "comment", "n_comments"]
    assert table.groupby("department").size().max() == 1  # the limit is per group
    counts = table.set_index("department")["n_comments"].to_dict()
    assert counts == {"A": 2, "B": 2}  # the blank comment is no comment
    everything = responses.comments(con, "employee", limit=100)
    assert sorted(everything.comment) == ["Great team", "Nobody listens", "Too busy", "ok"]
    assert not everything.astype(str).apply(lambda c: c.str.contains("SECRET")).any().any()


def test_comment_limit_is_bound_not_formatted(con):
    with pytest.raises((ValueError, TypeError)):
        responses.comments(con, "customer", limit="1; DROP TABLE units")  # type: ignore[arg-type]


@pytest.mark.parametrize("call", [
    lambda c: responses.customer_groups(c, by=("respondent_id",)),
    lambda c: responses.customer_groups(c, by=("unit_id; DROP TABLE units --",)),
    lambda c: responses.customer_groups(c, by=("unit_id", "unit_id")),
    lambda c: responses.customer_groups(c, by=("department",)),
    lambda c: responses.item_means(c, "payroll"),
    lambda c: responses.comments(c, "employee", by=("comment",)),
])
def test_identifiers_come_from_allow_lists(con, call):
    with pytest.raises(ValueError):
        call(con)
    assert responses.customer_groups(con).iloc[0].n_customer == 6  # nothing was dropped
