"""One-pass versions of per-unit / per-month loops equal the loops they replace, exactly."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analytics.demo.simulate import Company, Plant, simulate
from analytics.metrics.alerts import imbalance_alert_counts, imbalance_alerts
from analytics.settings import DEFAULT

SETTINGS = [
    DEFAULT,
    replace(DEFAULT, imbalance_alpha=0.05),
    replace(DEFAULT, imbalance_alpha=0.05, imbalance_window=3),
    replace(DEFAULT, imbalance_alpha=0.2, min_customer_n=30),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("settings", SETTINGS)
def test_alert_counts_equal_the_alerts_of_every_month(seed, settings):
    """The one-pass count (alert_history) equals imbalance_alerts month by month, on
    simulated companies with planted drops (so that the counts are not all zero)."""
    company = Company(n_units=12, n_months=14,
                      plants=(Plant("drop", "csat", 2.5, start=9, share=0.3),))
    panel = simulate(company, seed).panel
    counts = imbalance_alert_counts(panel, settings)
    slow = {p: imbalance_alerts(panel, settings, p)["unit_id"].nunique()
            for p in sorted(panel["period"].unique())}
    assert counts.to_dict() == {p: n for p, n in slow.items() if n}
    assert sum(slow.values()) > 0


def test_proportion_changes_equal_the_scalar_test_row_by_row():
    from analytics.metrics.change import proportion_change, proportion_changes

    rng = np.random.default_rng(7)
    n1, n2 = rng.integers(1, 400, 300), rng.integers(1, 400, 300)
    x1, x2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
    # edges: all hits or all misses in both months (no test), unchanged, one answer
    x1[:4], n1[:4], x2[:4], n2[:4] = [5, 0, 3, 1], [5, 7, 10, 1], [9, 0, 3, 0], [9, 2, 10, 1]
    fast = proportion_changes(x1, n1, x2, n2, alpha=0.05)
    slow = [proportion_change(int(a), int(b), int(c), int(d), alpha=0.05)
            for a, b, c, d in zip(x1, n1, x2, n2, strict=True)]
    assert fast == slow  # exact: the same floats, None and booleans
    assert fast[0]["p"] is None and fast[0]["significant"] is False
    assert sum(r["significant"] is True for r in fast) > 0
    with pytest.raises(ValueError):
        proportion_changes([3], [2], [1], [2])


def test_mean_changes_equal_the_scalar_test_row_by_row():
    from analytics.metrics.change import mean_change, mean_changes

    rng = np.random.default_rng(8)
    m1, m2 = rng.normal(60, 10, 200), rng.normal(60, 10, 200)
    s1, s2 = rng.uniform(0, 25, 200), rng.uniform(0, 25, 200)
    n1, n2 = rng.integers(2, 100, 200), rng.integers(2, 100, 200)
    s1[:3], s2[:3] = [0.0, 0.0, 5.0], [0.0, 4.0, 0.0]  # both sds 0: no test
    m2[0] = m1[0]
    fast = mean_changes(m1, s1, n1, m2, s2, n2, alpha=0.05)
    slow = [mean_change(a, b, int(c), d, e, int(f), alpha=0.05)
            for a, b, c, d, e, f in zip(m1, s1, n1, m2, s2, n2, strict=True)]
    assert fast == slow
    assert fast[0]["p"] is None and fast[1]["p"] is not None
    with pytest.raises(ValueError):
        mean_changes([1.0], [1.0], [1], [1.0], [1.0], [2])
