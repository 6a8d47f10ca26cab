"""Importance × performance (analytics.metrics.drivers) against hand-made cases and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.metrics.drivers import (
    FIX_FIRST,
    KEEP_UP,
    LOW_PRIORITY,
    MAINTAIN,
    NOT_ENOUGH,
    TOO_FEW_ITEMS,
    importance_performance,
)


def _items(r, mean, n=50):
    k = len(r)
    return pd.DataFrame({"item": [f"i{j}" for j in range(k)], "n": [n] * k if np.isscalar(n)
                         else n, "r": r, "mean": mean})


# medians of r (0.6, 0.5, 0.2, 0.1) = 0.35 and of means (40, 80, 70, 30) = 55
QUADRANT_CASES = [
    ("i0", FIX_FIRST),  # r 0.6 >= 0.35, mean 40 < 55
    ("i1", KEEP_UP),  # r 0.5, mean 80
    ("i2", MAINTAIN),  # r 0.2 < 0.35, mean 70
    ("i3", LOW_PRIORITY),  # r 0.1, mean 30
]


@pytest.mark.parametrize(("item", "quadrant"), QUADRANT_CASES)
def test_quadrants_split_at_the_medians(item, quadrant):
    out = importance_performance(_items([0.6, 0.5, 0.2, 0.1], [40.0, 80.0, 70.0, 30.0]),
                                 rho=None)
    assert out.set_index("item").loc[item, "quadrant"] == quadrant
    assert out.importance_median.iloc[0] == pytest.approx(0.35)
    assert out.performance_median.iloc[0] == pytest.approx(55.0)


def test_an_item_on_both_medians_counts_as_high():
    # three items: the middle one sits exactly on both medians
    out = importance_performance(_items([0.6, 0.4, 0.2], [50.0, 60.0, 70.0]), rho=None)
    assert out.set_index("item").loc["i1", "quadrant"] == KEEP_UP


def test_ci_and_p_equal_scipy_on_raw_data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    y = 0.4 * x + rng.normal(size=40)
    ref = stats.pearsonr(x, y)
    rho = stats.spearmanr(x, y)
    frame = pd.DataFrame({"item": ["a", "b"], "n": [40, 40], "r": [ref.statistic, 0.1],
                          "mean": [50.0, 60.0], "rho": [rho.statistic, 0.1]})
    row = importance_performance(frame).set_index("item").loc["a"]
    ci = ref.confidence_interval(0.95)
    assert row.p == pytest.approx(ref.pvalue, rel=1e-9)
    assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert row.rho_p == pytest.approx(rho.pvalue, rel=1e-9)
    assert bool(row.significant) == bool(ref.pvalue < 0.05)


def test_too_few_pairs_is_not_enough_data_never_a_number():
    frame = _items([0.9, 0.5, 0.3], [40.0, 50.0, 60.0], n=[7, 8, 30])
    out = importance_performance(frame, rho=None, min_n=8).set_index("item")
    small = out.loc["i0"]
    assert small.quadrant == NOT_ENOUGH and not small.enough_data
    assert small[["r", "ci_low", "ci_high", "p", "importance"]].isna().all()
    # the medians use only the items with enough data: r (0.5, 0.3) -> 0.4
    assert out.importance_median.iloc[0] == pytest.approx(0.4)


def test_undefined_r_is_not_enough_data():
    out = importance_performance(_items([np.nan, 0.5, 0.3], [40.0, 50.0, 60.0]), rho=None)
    assert out.set_index("item").loc["i0", "quadrant"] == NOT_ENOUGH


def test_one_rated_item_has_nothing_to_compare_with():
    out = importance_performance(_items([0.5, 0.3], [40.0, 50.0], n=[30, 2]), rho=None)
    assert out.set_index("item")["quadrant"].to_dict() == {"i0": TOO_FEW_ITEMS,
                                                            "i1": NOT_ENOUGH}


def test_rows_come_most_important_first_without_data_last():
    out = importance_performance(_items([0.2, 0.7, 0.9, 0.5], [1.0, 2.0, 3.0, 4.0],
                                        n=[50, 50, 3, 50]), rho=None)
    assert out.item.tolist() == ["i1", "i3", "i0", "i2"]


def test_empty_input_gives_the_documented_columns():
    out = importance_performance(_items([], []), rho=None)
    assert out.empty and "quadrant" in out.columns and "ci_low" in out.columns
