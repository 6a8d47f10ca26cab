"""Confidentiality rules of metrics.md §7: minimum group sizes and (complementary) suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.access.privacy import (
    check_min_group_size,
    complementary_suppress,
    difference_guard,
    effective_units,
    suppress,
    suppressed_label,
)


@pytest.mark.parametrize(("value", "expected"), [(3, 3), (5, 5), (10, 10), (5.0, 5)])
def test_check_min_group_size_accepts(value, expected):
    assert check_min_group_size(value) == expected


@pytest.mark.parametrize("value", [2, 0, -1, 2.9, 4.5, True])
def test_check_min_group_size_rejects(value):
    with pytest.raises(ValueError):
        check_min_group_size(value)


@pytest.mark.parametrize(
    ("min_n", "label"), [(5, "fewer than 5 responses"), (10, "fewer than 10 responses")]
)
def test_suppressed_label(min_n, label):
    assert suppressed_label(min_n) == label


def test_suppressed_label_refuses_a_floor_below_three():
    with pytest.raises(ValueError):
        suppressed_label(2)


TEAMS = pd.DataFrame(
    {
        "team": ["a", "b", "c", "d", "e"],
        "n": [12, 4, 5, None, 0],
        "esat": [71.0, 40.0, 66.0, 50.0, np.nan],
        "comment": ["fine", "tired", "ok", "meh", None],
    },
    index=[10, 11, 12, 13, 14],
)


def test_suppress_hides_values_and_counts_of_small_groups():
    out = suppress(TEAMS, "n", ["esat", "comment"], 5)
    assert out["suppressed"].tolist() == [False, True, False, True, True]
    assert out["esat"].tolist()[0] == 71.0 and out["esat"].tolist()[2] == 66.0
    assert out.loc[[11, 13, 14], "esat"].isna().all()
    assert out.loc[[11, 13, 14], "comment"].isna().all()
    assert out.loc[[11, 13, 14], "n"].isna().all()
    assert out.loc[[10, 12], "n"].tolist() == [12, 5]
    assert out.index.tolist() == [10, 11, 12, 13, 14]


def test_suppress_leaves_its_input_alone():
    before = TEAMS.copy()
    suppress(TEAMS, "n", ["esat"], 5)
    pd.testing.assert_frame_equal(TEAMS, before)


@pytest.mark.parametrize(("min_n", "hidden"), [(3, 2), (5, 3), (10, 4), (13, 5)])
def test_suppress_threshold(min_n, hidden):
    assert suppress(TEAMS, "n", ["esat"], min_n)["suppressed"].sum() == hidden


def test_suppress_integer_and_nullable_counts():
    frame = pd.DataFrame({"n": pd.array([3, 8, None], dtype="Int64"), "sat_n": [1, 6, 2]})
    out = suppress(frame, "n", ["sat_n"], 5)
    assert out["suppressed"].tolist() == [True, False, True]
    assert out["sat_n"].isna().tolist() == [True, False, True]


def test_suppress_refuses_a_floor_below_three():
    with pytest.raises(ValueError):
        suppress(TEAMS, "n", ["esat"], 2)


def _depts(ns, units=None, leaves=None):
    units = units or ["U1"] * len(ns)
    leaves = leaves or [f"d{i}" for i in range(len(ns))]
    return pd.DataFrame(
        {"unit": units, "dept": leaves, "n": ns, "esat": [60.0 + i for i in range(len(ns))]}
    )


P, C = "primary", "complementary"


@pytest.mark.parametrize(
    ("frame", "labels"),
    [
        pytest.param(_depts([2, 9, 20]), [P, C, None], id="one-small-next-smallest-too"),
        pytest.param(_depts([20, 9, 2]), [None, C, P], id="order-does-not-matter"),
        pytest.param(_depts([2, 3, 20]), [P, P, None], id="two-small-already-safe"),
        pytest.param(_depts([2, 9, 9], leaves=["a", "c", "b"]), [P, None, C], id="tie-by-leaf"),
        pytest.param(_depts([6, 9, 20]), [None, None, None], id="nothing-small"),
        pytest.param(_depts([0, 2, 9, 20]), [P, P, C, None], id="empty-child-protects-nothing"),
        pytest.param(_depts([None, 9, 20]), [P, C, None], id="unknown-n-is-small"),
        pytest.param(_depts([3, 1]), [P, P], id="parent-too-small"),
        pytest.param(
            _depts([2, 9, 20, 4, 30, 40], units=["U1"] * 3 + ["U2"] * 3),
            [P, C, None, P, C, None], id="parents-independent",
        ),
        pytest.param(
            _depts([2, 9, 3, 4], units=["U1", "U1", "U2", "U2"]), [P, C, P, P],
            id="second-parent-safe",
        ),
    ],
)
def test_complementary_suppression_table(frame, labels):
    out = complementary_suppress(frame, ["unit", "dept"], "n", ["esat"], 5)
    assert out["suppression"].tolist() == labels
    hidden = [label is not None for label in labels]
    assert out["suppressed"].tolist() == hidden
    assert out.loc[hidden, ["n", "esat"]].isna().all().all()
    shown = [not h for h in hidden]
    assert out.loc[shown, "esat"].tolist() == frame.loc[shown, "esat"].tolist()


def test_one_level_uses_all_rows_as_the_parent():
    frame = pd.DataFrame({"dept": ["a", "b", "c"], "n": [20, 3, 7], "esat": [1.0, 2.0, 3.0]})
    out = complementary_suppress(frame, ["dept"], "n", ["esat"], 5)
    assert out["suppression"].tolist() == [None, P, C]


def test_parent_total_column_is_the_parents_n():
    # the unit has 40 respondents, 11 of them in listed departments; the unit's total is
    # shown, so one small department still needs a partner
    frame = _depts([2, 9]).assign(unit_n=40)
    out = complementary_suppress(frame, ["unit", "dept"], "n", ["esat"], 5, parent_total="unit_n")
    assert out["suppression"].tolist() == [P, C]
    # a parent whose own n is below the minimum is not shown, so nothing can be subtracted
    frame = _depts([2, 9]).assign(unit_n=4)
    out = complementary_suppress(frame, ["unit", "dept"], "n", ["esat"], 5, parent_total="unit_n")
    assert out["suppression"].tolist() == [P, None]


def test_complementary_keeps_index_and_input():
    frame = _depts([2, 9, 20]).set_axis([7, 7, 3])
    before = frame.copy()
    out = complementary_suppress(frame, ["unit", "dept"], "n", ["esat"], 5)
    assert out.index.tolist() == [7, 7, 3]
    assert out["suppression"].tolist() == [P, C, None]
    pd.testing.assert_frame_equal(frame, before)


def test_complementary_refuses_a_floor_below_three():
    with pytest.raises(ValueError):
        complementary_suppress(_depts([2, 9]), ["unit", "dept"], "n", ["esat"], 2)


@st.composite
def breakdowns(draw):
    """Random parents with children carrying a count and a sum of 1-5 scores."""
    rows = []
    for p in range(draw(st.integers(1, 3))):
        for c in range(draw(st.integers(1, 5))):
            n = draw(st.integers(1, 15))
            rows.append((f"P{p}", f"C{c}", n, draw(st.integers(n, 5 * n))))
    frame = pd.DataFrame(rows, columns=["parent", "child", "n", "score_sum"])
    return frame, draw(st.integers(3, 7)), draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(breakdowns())
def test_no_suppressed_group_can_be_recovered_by_subtraction(case):
    frame, min_n, one_level = case
    if one_level:
        frame = frame[frame["parent"] == "P0"]
    group_cols = ["child"] if one_level else ["parent", "child"]
    out = complementary_suppress(frame, group_cols, "n", ["score_sum"], min_n)
    hidden = out["suppressed"]
    # nothing small is shown, and nothing hidden leaks through its own row
    assert (frame.loc[~hidden, "n"] >= min_n).all()
    assert (frame.loc[frame["n"] < min_n].index.isin(out.index[hidden])).all()
    assert out.loc[hidden, ["n", "score_sum"]].isna().all().all()
    for _, children in frame.groupby("parent"):
        parent_n, parent_sum = children["n"].sum(), children["score_sum"].sum()
        if parent_n < min_n:
            continue  # the parent itself is not shown: there is nothing to subtract from
        shown = children[~hidden.loc[children.index]]
        rest_n = parent_n - shown["n"].sum()
        rest_sum = parent_sum - shown["score_sum"].sum()
        secret = children[hidden.loc[children.index]]
        assert (secret["n"] != rest_n).all()
        assert (secret["score_sum"] != rest_sum).all()


def test_two_small_siblings_are_not_recoverable_together():
    # 1 and 2 beside a shown total of 23: hiding only those two leaves total minus the
    # shown sibling = the figure of 3 people; the shown sibling must go too
    frame = _depts([1, 2, 20])
    out = complementary_suppress(frame, ["unit", "dept"], "n", ["esat"], 5)
    assert out["suppressed"].tolist() == [True, True, True]


# --- minimum difference (difference_guard) ---------------------------------------------


#: U1 has 9 + 2 (dept y), U2 8 (dept x); month 2 adds 3 in U1 dept x
CELLS = pd.DataFrame({"unit_id": ["U1", "U1", "U2", "U1"],
                      "period": ["m1", "m1", "m1", "m2"],
                      "department": ["x", "y", "x", "x"], "n": [9, 2, 8, 3]})


@pytest.mark.parametrize("kwargs, unsafe, problem", [
    # everything, one month: nothing to compare with
    ({"periods": ["m1"]}, False, None),
    # dept x in m1 (17) against all departments (19): differs by dept y's 2
    ({"periods": ["m1"], "departments": ["x"]}, True, ("difference", "department")),
    # U1 in m1 (11) against all units (19): 8, fine; its departments are not filtered
    ({"periods": ["m1"], "units": frozenset({"U1"})}, False, None),
    # U1, departments x and y: dept y is an atom of 2
    ({"periods": ["m1"], "units": frozenset({"U1"}), "departments": ["x", "y"]}, True,
     ("atom", "department")),
    # both months: m2 holds 3 (an atom of the range)
    ({"periods": ["m1", "m2"]}, True, ("atom", "month")),
    # U2 alone over both months: m2 is empty for it (0 is no atom), all units differ by 14
    ({"periods": ["m1", "m2"], "units": frozenset({"U2"})}, False, None),
])
def test_difference_guard_selection(kwargs, unsafe, problem):
    rows, found = difference_guard(CELLS, ["n"], 5, **kwargs)
    assert bool(rows["n"].iloc[0]) is unsafe and found == problem


def test_difference_guard_breakdown_rows():
    rows, _ = difference_guard(CELLS, ["n"], 5, periods=["m1"], by=["department"])
    assert dict(zip(rows["department"], rows["n"], strict=True)) == {"x": True, "y": True}
    # x alone differs from everything by y's 2; y is 2 itself
    cells = CELLS.assign(n=[9, 6, 8, 3])
    rows, _ = difference_guard(cells, ["n"], 5, periods=["m1"], by=["department"])
    assert dict(zip(rows["department"], rows["n"], strict=True)) == {"x": False, "y": False}


def test_difference_guard_finds_the_small_unit_inside_a_region():
    """Region R (U1, U2) minus units {U1} is U2: the region is refused when U2 is small."""
    cells = pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "period": "m1",
                          "department": "x", "n": [9, 3, 20]})
    region = frozenset({"U1", "U2"})
    rows, found = difference_guard(cells, ["n"], 5, units=region)
    assert bool(rows["n"].iloc[0]) and found == ("atom", "unit")
    rows, found = difference_guard(cells, ["n"], 5, units=frozenset({"U1"}))
    assert not bool(rows["n"].iloc[0]) and found is None


def test_effective_units():
    units = pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "region": ["N", "N", "S"],
                          "division": ["A", "B", "A"]})
    assert effective_units(units) is None
    assert effective_units(units, regions=["N"]) == {"U1", "U2"}
    assert effective_units(units, regions=["N"], divisions=["A"]) == {"U1"}
    assert effective_units(units, unit_ids=["U3"], regions=["N"]) == frozenset()
