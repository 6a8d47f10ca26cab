"""One-pass versions of per-unit / per-month loops equal the loops they replace, exactly."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.alerts import imbalance_alert_counts, imbalance_alerts
from analytics.metrics.balance import balance
from analytics.settings import DEFAULT

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def _random_balance(seed: int) -> pd.DataFrame:
    """Twelve units over twelve months with gaps, thin months and legs that often tilt."""
    rng = np.random.default_rng(seed)
    tilt = rng.normal(0, 8, size=(12, 3))  # each unit's lasting lean, so runs happen
    rows = [{"unit_id": f"U{u:02d}", "period": p, "esat": 60 + tilt[u, 0] + rng.normal(0, 4),
             "csat": 75 + tilt[u, 1] + rng.normal(0, 4),
             "profit": 30 + tilt[u, 2] / 2 + rng.normal(0, 2),
             "n_employee": int(rng.choice([3, 20, 20, 20])),
             "n_customer": int(rng.choice([10, 100, 100, 100]))}
            for u in range(12) for p in MONTHS if rng.random() > 0.1]
    legs = pd.DataFrame(rows)
    legs.loc[rng.random(len(legs)) < 0.05, "csat"] = np.nan
    return balance(legs)


SETTINGS = [
    DEFAULT,
    replace(DEFAULT, imbalance_threshold=1.0),
    replace(DEFAULT, imbalance_threshold=1.0, imbalance_persistence=3),
    replace(DEFAULT, imbalance_threshold=1.0, imbalance_same_leg=False),
    replace(DEFAULT, imbalance_threshold=0.8, imbalance_persistence=1),
    replace(DEFAULT, imbalance_threshold=0.8, imbalance_persistence=0,
            imbalance_same_leg=False),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("settings", SETTINGS)
def test_alert_counts_equal_the_alerts_of_every_month(seed, settings):
    bal = _random_balance(seed)
    counts = imbalance_alert_counts(bal, settings)
    slow = {p: imbalance_alerts(bal, settings, p)["unit_id"].nunique()
            for p in sorted(bal["period"].unique())}
    assert counts.to_dict() == {p: n for p, n in slow.items() if n}
    if settings.imbalance_threshold < 2:  # the case is not trivially empty
        assert sum(slow.values()) > 0


def test_alert_counts_hand_worked():
    # U1 out of balance (CSAT weakest) in months 1-3, a gap in month 4, again in 5-6;
    # U2 out in 1-2 with ESAT weakest, then CSAT weakest in 3: the leg change breaks the run
    legs = pd.DataFrame({
        "unit_id": ["U1"] * 5 + ["U2"] * 3 + ["U3", "U4", "U5"] * 6,
        "period": ["2024-01", "2024-02", "2024-03", "2024-05", "2024-06",
                   "2024-01", "2024-02", "2024-03"] + [p for p in MONTHS[:6] for _ in range(3)],
    })
    bal = legs.assign(esat=0.0, csat=0.0, profit=0.0, n_employee=20, n_customer=100,
                      z_esat=0.0, z_csat=0.0, z_profit=0.0, imbalance=0.0, weakest_leg="esat")
    bal.loc[:4, ["imbalance", "weakest_leg"]] = [2.5, "csat"]
    bal.loc[5:6, ["imbalance", "weakest_leg"]] = [2.5, "esat"]
    bal.loc[7, ["imbalance", "weakest_leg"]] = [2.5, "csat"]
    counts = imbalance_alert_counts(bal, DEFAULT)  # persistence 2 by default
    assert DEFAULT.imbalance_persistence == 2
    assert counts.to_dict() == {"2024-02": 2, "2024-03": 1, "2024-06": 1}
    loose = imbalance_alert_counts(bal, replace(DEFAULT, imbalance_same_leg=False))
    assert loose.to_dict() == {"2024-02": 2, "2024-03": 2, "2024-06": 1}


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
