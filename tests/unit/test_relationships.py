"""analytics.metrics.relationships against scipy, statsmodels and hand-built expectations."""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analytics.metrics.link_inference import cluster_slope_test
from analytics.metrics.relationships import (
    COLUMNS,
    correlate,
    correlation_from_r,
    cross_sectional,
    lag_pairs,
    lag_profile,
    lagged,
    relationships,
    within_unit,
)
from analytics.settings import DEFAULT

Z975 = 1.959963984540054  # standard normal 97.5% quantile
STATS = ("r", "ci_low", "ci_high", "p", "rho", "rho_p")


@functools.cache
def _skeleton(units: int, months: int, start: str) -> pd.DataFrame:
    periods = pd.period_range(start, periods=months, freq="M").strftime("%Y-%m")
    return pd.DataFrame({
        "unit_id": np.repeat([f"u{i:03d}" for i in range(units)], months),
        "period": np.tile(periods, units),
    })  # fmt: skip


def _legs(
    units: int, months: int, seed: int, shared: bool = True, start: str = "2022-01"
) -> pd.DataFrame:
    """Independent monthly noise around unit levels; ``shared``: one level for all legs,
    a fixed unit difference that within-unit views remove; else independent legs."""
    rng = np.random.default_rng(seed)
    shape = (units, months)
    levels = rng.normal(0, 10, size=(3 if not shared else 1, units, 1))
    legs = _skeleton(units, months, start).copy()
    for i, (leg, mean, sd) in enumerate([("esat", 60, 5), ("csat", 70, 5), ("profit", 25, 3)]):
        level = levels[0 if shared else i]
        legs[leg] = (mean + level + rng.normal(0, sd, size=shape)).ravel()
    return legs


def _pair(n: int, rho: float, seed: int, nan_every: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rho * x + math.sqrt(1 - rho**2) * rng.normal(size=n)
    if nan_every:
        x[::nan_every] = np.nan
        y[1::nan_every] = np.nan
    return x, y


@pytest.mark.parametrize(
    ("n", "rho", "seed", "nan_every"),
    [(8, 0.5, 1, 0), (12, -0.3, 2, 0), (30, 0.0, 3, 0), (200, 0.7, 4, 0), (40, 0.4, 5, 7)],
)
def test_correlate_matches_scipy(n, rho, seed, nan_every):
    x, y = _pair(n, rho, seed, nan_every)
    keep = ~(np.isnan(x) | np.isnan(y))
    ref = stats.pearsonr(x[keep], y[keep])
    ci = ref.confidence_interval()
    sp = stats.spearmanr(x[keep], y[keep])
    res = correlate(x, y)
    assert res["n"] == keep.sum()
    assert res["enough_data"] is True
    expected = {"r": ref.statistic, "p": ref.pvalue, "ci_low": ci.low, "ci_high": ci.high,
                "rho": sp.statistic, "rho_p": sp.pvalue}  # fmt: skip
    for key, value in expected.items():
        assert res[key] == pytest.approx(value, abs=1e-9), key
    # Fisher z by hand, independently of scipy's implementation
    half = Z975 / math.sqrt(res["n"] - 3)
    assert res["ci_low"] == pytest.approx(math.tanh(math.atanh(res["r"]) - half), abs=1e-9)
    assert res["ci_high"] == pytest.approx(math.tanh(math.atanh(res["r"]) + half), abs=1e-9)


@pytest.mark.parametrize(
    ("x", "y", "n"),
    [
        ([], [], 0),
        ([1.0], [2.0], 1),
        ([1, 2, 3, 4, 5, 6, 7], [2, 1, 4, 3, 6, 5, 7], 7),  # one short of min_corr_n
        ([1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 1, 4, 3, 6, 5, 7, np.nan, 9], 8),
        ([1, 2, 3, 4, 5, 6, 7, np.nan, 9], [2, 1, 4, 3, 6, 5, 7, 8, np.nan], 7),
        ([1, 2, 3, 4, 5, 6, 7, 8], [5, 5, 5, 5, 5, 5, 5, 5], 8),  # constant: r undefined
        ([3, 3, 3, 3, 3, 3, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8], 8),
    ],
)
def test_correlate_not_enough_data(x, y, n):
    res = correlate(x, y, min_n=DEFAULT.min_corr_n)
    constant = n >= DEFAULT.min_corr_n and (np.nanstd(x) == 0 or np.nanstd(y) == 0)
    assert res["n"] == n
    if n < DEFAULT.min_corr_n or constant:
        assert res["enough_data"] is False
        assert all(res[key] is None for key in STATS)
    else:
        assert res["enough_data"] is True
        assert all(isinstance(res[key], float) for key in STATS)


def test_correlate_threshold_is_min_n():
    x, y = _pair(8, 0.5, 9)
    assert correlate(x, y, min_n=8)["enough_data"] is True
    assert correlate(x, y, min_n=9)["enough_data"] is False


@pytest.mark.parametrize(
    ("n", "rho", "seed"), [(8, 0.6, 11), (25, -0.2, 12), (100, 0.05, 13), (1000, 0.3, 14)]
)
def test_correlation_from_r_equals_pearsonr(n, rho, seed):
    x, y = _pair(n, rho, seed)
    ref = stats.pearsonr(x, y)
    ci = ref.confidence_interval()
    res = correlation_from_r(float(ref.statistic), n)
    assert res["p"] == pytest.approx(ref.pvalue, abs=1e-9)
    assert res["ci_low"] == pytest.approx(ci.low, abs=1e-9)
    assert res["ci_high"] == pytest.approx(ci.high, abs=1e-9)


def test_correlation_from_r_perfect_correlation():
    res = correlation_from_r(1.0, 10)
    assert res["p"] == 0.0
    assert res["ci_low"] == res["ci_high"] == 1.0


GAPPY = pd.DataFrame({
    "unit_id": ["a"] * 5 + ["b"] * 3,
    # unit a has no 2024-03, unit b starts later; the rows are deliberately shuffled
    "period": ["2024-05", "2024-01", "2024-02", "2024-04", "2024-06",
               "2024-04", "2024-03", "2024-05"],
    "esat": [5.0, 1.0, 2.0, 4.0, 6.0, 40.0, 30.0, 50.0],
    "csat": [50.0, 10.0, 20.0, 40.0, 60.0, 400.0, 300.0, 500.0],
})  # fmt: skip


@pytest.mark.parametrize(
    ("lag", "expected"),
    [
        (0, [("a", "2024-01", 1, 10), ("a", "2024-02", 2, 20), ("a", "2024-04", 4, 40),
             ("a", "2024-05", 5, 50), ("a", "2024-06", 6, 60), ("b", "2024-03", 30, 300),
             ("b", "2024-04", 40, 400), ("b", "2024-05", 50, 500)]),
        # a's 2024-04 has no partner (2024-03 missing); b's 2024-03 has none at all
        (1, [("a", "2024-02", 1, 20), ("a", "2024-05", 4, 50), ("a", "2024-06", 5, 60),
             ("b", "2024-04", 30, 400), ("b", "2024-05", 40, 500)]),
        (2, [("a", "2024-04", 2, 40), ("a", "2024-06", 4, 60), ("b", "2024-05", 30, 500)]),
        (3, [("a", "2024-04", 1, 40), ("a", "2024-05", 2, 50)]),
        (6, []),
    ],
)  # fmt: skip
def test_lag_pairs_follow_the_calendar(lag, expected):
    pairs = lag_pairs(GAPPY, "esat", "csat", lag)
    got = list(pairs[["unit_id", "period", "x", "y"]].itertuples(index=False, name=None))
    assert got == [(u, p, float(x), float(y)) for u, p, x, y in expected]


def test_lag_pairs_rejects_duplicate_months():
    with pytest.raises(ValueError, match="one row per"):
        lag_pairs(pd.concat([GAPPY, GAPPY.head(1)]), "esat", "csat", 1)


def _reference_lagged(legs: pd.DataFrame, a: str, b: str, lag: int) -> tuple[int, float]:
    """Lagged pairs the long way: reindex each unit to a full calendar and shift."""
    full = legs.set_index(["unit_id", "period"]).unstack("period")
    months = pd.period_range(legs["period"].min(), legs["period"].max(), freq="M")
    cols = months.strftime("%Y-%m")
    lead = full[a].reindex(columns=cols).T.shift(lag).T.stack()
    follow = full[b].reindex(columns=cols).stack()
    pairs = pd.concat({"x": lead, "y": follow}, axis=1).dropna()
    pairs = pairs[pairs.groupby(level=0)["x"].transform("size") >= 2]
    demeaned = pairs - pairs.groupby(level=0).transform("mean")
    return len(pairs), float(stats.pearsonr(demeaned["x"], demeaned["y"]).statistic)


@pytest.mark.parametrize("lag", [0, 1, 2, 5])
def test_lagged_matches_shifted_calendar(lag):
    legs = _legs(10, 14, seed=21).sample(frac=0.8, random_state=lag)  # gaps everywhere
    row = lagged(legs, "esat", "csat", max_lag=5).set_index("lag").loc[lag]
    n, r = _reference_lagged(legs, "esat", "csat", lag)
    assert row["n"] == n
    assert row["r"] == pytest.approx(r, abs=1e-9)


def test_lagged_finds_a_planted_lag_despite_gaps():
    legs = _legs(20, 24, seed=5)
    units = legs["unit_id"]
    legs = legs.sort_values(["unit_id", "period"])
    # csat follows esat three months later (shifted on the full calendar, then gaps cut)
    legs["csat"] = legs.groupby(units)["esat"].shift(3) + np.random.default_rng(0).normal(
        0, 1, len(legs))  # fmt: skip
    legs = legs.sample(frac=0.85, random_state=1)
    table = lagged(legs, "esat", "csat", max_lag=DEFAULT.max_lag)
    assert table["r"].idxmax() == table.index[table["lag"] == 3][0]
    assert table.loc[table["lag"] == 3, "r"].item() > 0.9
    assert (table.loc[table["lag"] != 3, "r"].abs() < 0.3).all()


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_within_unit_p_equals_ols_with_unit_dummies(seed):
    legs = _legs(12, 10, seed).sample(frac=0.9, random_state=seed)
    legs.loc[legs.sample(frac=0.1, random_state=seed + 1).index, "csat"] = np.nan
    row = within_unit(legs, "esat", "csat").iloc[0]
    data = legs.dropna(subset=["esat", "csat"])
    fit = smf.ols("csat ~ esat + C(unit_id)", data).fit()
    # months are not independent within a unit: p is the same OLS, clustered by unit
    groups = pd.factorize(data["unit_id"])[0]
    clustered = smf.ols("csat ~ esat + C(unit_id)", data).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    t, df = fit.tvalues["esat"], fit.df_resid
    assert row["n"] == len(data)
    assert row["n_units"] == data["unit_id"].nunique()
    assert row["p"] == pytest.approx(clustered.pvalues["esat"], rel=1e-9)
    assert row["r"] == pytest.approx(t / math.sqrt(t * t + df), abs=1e-9)  # partial r
    # Fisher z with n - n_units - 2 = df - 1 pairs, divided by the design effect
    deff = max(1.0, (clustered.bse["esat"] / fit.bse["esat"]) ** 2)
    half = Z975 / math.sqrt((df - 1) / deff)
    assert row["ci_low"] == pytest.approx(math.tanh(math.atanh(row["r"]) - half), abs=1e-9)
    assert row["p_adjusted"] == row["p"]  # one test in the table


def test_within_unit_removes_fixed_unit_differences():
    legs = _legs(30, 12, seed=8)  # shared unit level: cross-unit r is large
    assert cross_sectional(legs, "esat", "csat").iloc[0]["r"] > 0.5
    assert abs(within_unit(legs, "esat", "csat").iloc[0]["r"]) < 0.15


def test_within_unit_needs_effective_n():
    # 5 units x 2 months: 10 points, but only 10 - 5 + 1 = 6 effective pairs
    legs = _legs(5, 2, seed=3)
    row = within_unit(legs, "esat", "csat").iloc[0]
    assert (row["n"], row["n_units"], row["enough_data"]) == (10, 5, False)
    assert np.isnan(row["r"]) and np.isnan(row["p"])


def test_cross_sectional_uses_latest_month_with_both_legs():
    legs = _legs(12, 4, seed=2)
    legs.loc[legs["period"] == "2022-04", "profit"] = np.nan  # finance not in yet
    row = cross_sectional(legs, "csat", "profit").iloc[0]
    month = legs[legs["period"] == "2022-03"]
    assert row["period"] == "2022-03"
    assert row["r"] == pytest.approx(stats.pearsonr(month["csat"], month["profit"])[0])
    assert cross_sectional(legs, "esat", "csat").iloc[0]["period"] == "2022-04"
    assert cross_sectional(legs, "esat", "csat", period="2022-01").iloc[0]["period"] == "2022-01"


def test_cross_sectional_not_enough_units():
    row = cross_sectional(_legs(7, 3, seed=1), "esat", "csat").iloc[0]
    assert (row["n"], bool(row["enough_data"])) == (7, False)
    assert row[list(STATS)].isna().all()


@pytest.mark.parametrize("max_lag", [0, 2, 6])
def test_relationships_table_shape(max_lag):
    settings = replace(DEFAULT, max_lag=max_lag)
    table = relationships(_legs(10, 12, seed=4), settings=settings)
    assert list(table.columns) == list(COLUMNS)
    per_pair = 2 + max_lag + 1
    assert len(table) == 3 * per_pair
    pairs = list(dict.fromkeys(zip(table["a"], table["b"], strict=True)))
    assert pairs == [("esat", "csat"), ("csat", "profit"), ("esat", "profit")]
    views = table["view"].iloc[:per_pair].tolist()
    assert views == ["cross_sectional", "within_unit"] + ["lagged"] * (max_lag + 1)
    assert table.loc[table["view"] == "lagged", "lag"].tolist() == list(range(max_lag + 1)) * 3
    assert (table.loc[table["view"] != "lagged", "lag"] == 0).all()
    assert table["enough_data"].dtype == bool


def test_lag_profile_is_the_lagged_rows_of_relationships():
    legs = _legs(10, 12, seed=6)
    table = relationships(legs)
    expected = table[(table["view"] == "lagged") & (table["a"] == "csat")]
    got = lag_profile(legs, "csat", "profit")
    own = ["p_adjusted", "significant"]  # adjusted over the table each is in
    pd.testing.assert_frame_equal(got.drop(columns=own).reset_index(drop=True),
                                  expected.drop(columns=own).reset_index(drop=True))
    holm = multipletests(got["p"], method="holm")[1]
    np.testing.assert_allclose(got["p_adjusted"], holm, rtol=1e-12)


def test_grid_adjusts_over_its_distinct_tests():
    legs = _legs(12, 14, seed=3)
    table = relationships(legs)
    lag0 = (table["view"] == "lagged") & (table["lag"] == 0)
    family = table[~lag0]
    assert len(family) == 3 * (2 + DEFAULT.max_lag)  # 24 distinct tests, not 27
    np.testing.assert_allclose(family["p_adjusted"],
                               multipletests(family["p"], method="holm")[1], rtol=1e-12)
    within = table[table["view"] == "within_unit"].set_index(["a", "b"])["p_adjusted"]
    np.testing.assert_allclose(table.loc[lag0, "p_adjusted"], within.to_numpy())
    assert (table["significant"] == (table["p_adjusted"] < DEFAULT.alpha)).all()
    bh = relationships(legs, settings=replace(DEFAULT, multiplicity_method="fdr_bh"))
    np.testing.assert_allclose(bh.loc[~lag0, "p_adjusted"],
                               multipletests(family["p"], method="fdr_bh")[1], rtol=1e-12)


@pytest.mark.parametrize("seed", [41, 42])
def test_cluster_slope_test_equals_statsmodels(seed):
    rng = np.random.default_rng(seed)
    units = np.repeat(np.arange(9), 7)
    x = rng.normal(size=63) + rng.normal(size=9)[units]
    y = 0.3 * x + rng.normal(size=63)
    frame = pd.DataFrame({"x": x, "y": y, "u": units})
    ref = smf.ols("y ~ x + C(u)", frame).fit(cov_type="cluster", cov_kwds={"groups": units},
                                              use_t=True)
    iid = smf.ols("y ~ x + C(u)", frame).fit()
    dx = x - frame.groupby("u")["x"].transform("mean").to_numpy()
    dy = y - frame.groupby("u")["y"].transform("mean").to_numpy()
    got = cluster_slope_test(dx, dy, units, n_absorbed=9)
    assert got["slope"] == pytest.approx(ref.params["x"], rel=1e-10)
    assert got["se"] == pytest.approx(ref.bse["x"], rel=1e-10)
    assert got["se_iid"] == pytest.approx(iid.bse["x"], rel=1e-10)
    assert got["p"] == pytest.approx(ref.pvalues["x"], rel=1e-9)


NULL_SEEDS = range(200)


@pytest.mark.parametrize(
    "view",
    [
        lambda legs: cross_sectional(legs, "esat", "csat"),
        lambda legs: within_unit(legs, "esat", "csat"),
        lambda legs: lagged(legs, "csat", "profit", max_lag=2).iloc[[2]],
    ],
    ids=["cross_sectional", "within_unit", "lagged_2"],
)
def test_null_model_false_positive_rate(view):
    """Independent legs: about 5% of p-values fall below 0.05, no more."""
    p = np.array([view(_legs(40, 24, seed, shared=False)).iloc[0]["p"] for seed in NULL_SEEDS])
    assert not np.isnan(p).any()
    assert 0.02 <= (p < DEFAULT.alpha).mean() <= 0.09
