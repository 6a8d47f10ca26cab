"""analytics.metrics.change against hand-computed tests and scipy on raw samples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.metrics.change import (
    COLUMNS,
    KPI_TESTS,
    kpi_changes,
    mean_change,
    nps_change,
    proportion_change,
)
from analytics.settings import DEFAULT


def _normal_p(z: float) -> float:
    """Two-sided p of a standard normal z, by the error function."""
    return math.erfc(abs(z) / math.sqrt(2))


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(45, 100, 60, 100), (30, 80, 35, 90), (10, 50, 8, 60), (400, 500, 410, 500)],
)
def test_proportion_change_by_hand(x1, n1, x2, n2):
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    res = proportion_change(x1, n1, x2, n2)
    assert res["before"] == pytest.approx(100 * x1 / n1)
    assert res["after"] == pytest.approx(100 * x2 / n2)
    assert res["diff"] == pytest.approx(100 * (x2 / n2 - x1 / n1))
    assert res["p"] == pytest.approx(_normal_p(z), abs=1e-12)
    assert res["significant"] is (_normal_p(z) < DEFAULT.alpha)
    assert res["test"] == "two-proportion z"


def test_proportion_change_known_value():
    # 45% -> 60% of 100: z = 0.15 / sqrt(.525 * .475 * .02) = 2.1239, p = 0.0337
    res = proportion_change(45, 100, 60, 100)
    assert res["p"] == pytest.approx(0.03367, abs=5e-5)
    assert res["significant"] is True
    assert proportion_change(45, 100, 60, 100, alpha=0.01)["significant"] is False


@pytest.mark.parametrize(("x", "n1", "n2"), [(0, 40, 50), (1, 40, 50)])
def test_proportion_change_all_or_nothing_is_no_change(x, n1, n2):
    res = proportion_change(x * n1, n1, x * n2, n2)
    assert res["p"] is None
    assert res["significant"] is False
    assert res["diff"] == 0.0


@pytest.mark.parametrize(
    ("prom1", "det1", "n1", "prom2", "det2", "n2"),
    [(40, 20, 100, 50, 10, 100), (120, 80, 400, 150, 70, 420), (5, 5, 20, 6, 3, 25)],
)
def test_nps_change_by_hand(prom1, det1, n1, prom2, det2, n2):
    def nps_var(prom: int, det: int, n: int) -> tuple[float, float]:
        pp, pd_ = prom / n, det / n
        return pp - pd_, (pp + pd_ - (pp - pd_) ** 2) / n

    nps1, v1 = nps_var(prom1, det1, n1)
    nps2, v2 = nps_var(prom2, det2, n2)
    res = nps_change(prom1, det1, n1, prom2, det2, n2)
    assert (res["before"], res["after"]) == pytest.approx((100 * nps1, 100 * nps2))
    assert res["diff"] == pytest.approx(100 * (nps2 - nps1))
    assert res["p"] == pytest.approx(_normal_p((nps2 - nps1) / math.sqrt(v1 + v2)), abs=1e-12)
    assert res["test"] == "NPS z"


def test_nps_change_known_value():
    # NPS 20 -> 40: variances .0056 and .0044, se = 0.1, z = 2, p = 0.0455
    res = nps_change(40, 20, 100, 50, 10, 100)
    assert res["diff"] == pytest.approx(20.0)
    assert res["p"] == pytest.approx(0.04550026, abs=1e-7)
    assert res["significant"] is True


def test_nps_change_equals_a_mean_of_plus_minus_one_scores():
    """NPS is the mean of +1/0/-1 scores; its variance formula is that mean's (ddof=0)."""
    before = np.repeat([1, 0, -1], [40, 40, 20])
    after = np.repeat([1, 0, -1], [50, 40, 10])
    se = math.sqrt(before.var() / before.size + after.var() / after.size)
    res = nps_change(40, 20, 100, 50, 10, 100)
    assert res["p"] == pytest.approx(_normal_p((after.mean() - before.mean()) / se), abs=1e-12)


@pytest.mark.parametrize(
    ("n1", "n2", "shift", "seed"), [(30, 40, 5.0, 1), (12, 200, -2.0, 2), (50, 50, 0.0, 3)]
)
def test_mean_change_equals_welch_on_raw_data(n1, n2, shift, seed):
    rng = np.random.default_rng(seed)
    before = rng.normal(70, 15, n1)
    after = rng.normal(70 + shift, 25, n2)
    ref = stats.ttest_ind(after, before, equal_var=False)
    res = mean_change(before.mean(), before.std(ddof=1), n1, after.mean(), after.std(ddof=1), n2)
    assert res["diff"] == pytest.approx(after.mean() - before.mean())
    assert res["p"] == pytest.approx(ref.pvalue, abs=1e-12)
    assert res["test"] == "Welch's t"


@pytest.mark.parametrize(
    ("func", "args"),
    [(proportion_change, (1, 0, 1, 10)), (nps_change, (1, 1, 10, 1, 1, 0)),
     (mean_change, (1.0, 1.0, 1, 2.0, 1.0, 10)), (proportion_change, (11, 10, 1, 10)),
     (proportion_change, (-1, 10, 1, 10)), (nps_change, (6, 5, 10, 1, 1, 10))],
)  # fmt: skip
def test_changes_reject_impossible_counts(func, args):
    with pytest.raises(ValueError):
        func(*args)


def _row(**overrides: float) -> pd.Series:
    base = {
        "n_employee": 40, "esat_index": 70.0, "esat_sd": 20.0, "esat_sat_n": 24,
        "n_enps": 40, "enps_promoters": 12, "enps_detractors": 10,
        "n_customer": 400, "csat_sat_n": 300, "csat_mean": 75.0, "csat_sd": 22.0,
        "n_nps": 380, "nps_promoters": 150, "nps_detractors": 80,
        "gross_margin_pct": 31.0, "operating_margin_pct": 8.0,
    }  # fmt: skip
    return pd.Series({**base, **overrides})


def test_kpi_changes_table():
    before = _row()
    after = _row(csat_sat_n=340, esat_index=71.0, nps_promoters=110, gross_margin_pct=29.5)
    table = kpi_changes(before, after).set_index("metric")
    assert list(table.reset_index().columns) == list(COLUMNS)
    assert list(table.index) == [metric for metric, _, _ in KPI_TESTS]
    csat = table.loc["csat_pct"]  # 75% -> 85% of 400
    assert (csat["before"], csat["after"], csat["diff"]) == pytest.approx((75.0, 85.0, 10.0))
    assert csat["p"] == pytest.approx(proportion_change(300, 400, 340, 400)["p"])
    assert csat["significant"] is True
    assert csat["label"] == "up 10.0 pts (significant)"
    nps = table.loc["nps"]  # (150-80)/380 -> (110-80)/380: down 10.5 points
    assert nps["label"] == "down 10.5 pts (significant)"
    assert nps["test"] == "NPS z"
    esat = table.loc["esat_index"]  # +1 point on 40 answers: noise
    assert esat["significant"] is False
    assert esat["label"] == "no significant change"
    assert esat["test"] == "Welch's t"
    unchanged = table.loc[["esat_pct_satisfied", "enps", "csat_mean"]]
    assert (unchanged["diff"] == 0).all()
    assert (unchanged["label"] == "no significant change").all()
    margin = table.loc["gross_margin_pct"]
    assert margin["diff"] == pytest.approx(-1.5)
    assert margin["significant"] is None
    assert margin["label"] == "no test (financial figure)"


@pytest.mark.parametrize(
    ("overrides", "metrics"),
    [
        ({"esat_index": np.nan, "esat_sd": np.nan, "esat_sat_n": np.nan, "n_employee": np.nan,
          "enps_promoters": np.nan, "enps_detractors": np.nan, "n_enps": np.nan},
         {"esat_index", "esat_pct_satisfied", "enps"}),  # suppressed for privacy
        ({"n_nps": 0}, {"nps"}),
        ({"n_employee": 1, "esat_sat_n": 1, "esat_sd": np.nan}, {"esat_index"}),
        ({"gross_margin_pct": np.nan}, {"gross_margin_pct"}),
    ],
)  # fmt: skip
def test_kpi_changes_not_enough_data(overrides, metrics):
    table = kpi_changes(_row(), _row(**overrides)).set_index("metric")
    gap = table.loc[sorted(metrics)]
    assert (gap["label"] == "not enough data").all()
    assert gap[["before", "after", "diff", "p"]].isna().all().all()
    assert gap["significant"].isna().all()
    others = table.drop(index=sorted(metrics))
    assert (others["label"] != "not enough data").all()


def test_kpi_changes_missing_columns():
    before = _row().drop(["operating_margin_pct", "n_nps"])
    table = kpi_changes(before, _row()).set_index("metric")
    assert table.loc["operating_margin_pct", "label"] == "not enough data"
    assert table.loc["nps", "label"] == "not enough data"
    assert table.loc["csat_pct", "label"] == "no significant change"


def test_kpi_changes_alpha():
    before, after = _row(), _row(csat_sat_n=318)  # 75% -> 79.5%: p about 0.12
    p = proportion_change(300, 400, 318, 400)["p"]
    assert 0.05 < p < 0.2
    assert kpi_changes(before, after).set_index("metric").loc["csat_pct", "significant"] is False
    loose = kpi_changes(before, after, alpha=0.2).set_index("metric").loc["csat_pct"]
    assert loose["significant"] is True
    assert loose["label"] == "up 4.5 pts (significant)"
