"""analytics.metrics.chain against statsmodels' dummy-variable regression and planted lags."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analytics.metrics.chain import (
    CHAIN_KEYS,
    FIT_KEYS,
    _demeaned_pairs,
    chain_estimate,
    panel_fe,
    what_if,
)
from analytics.metrics.link_inference import lag_search_p, two_way_demean
from analytics.metrics.relationships import lag_pairs, leg_grid
from analytics.settings import DEFAULT

Z975 = 1.959963984540054  # standard normal 97.5% quantile
BURN_IN = 12  # simulated months dropped so that every lag has a history


def _chain_legs(
    units: int, months: int, seed: int, k1: int = 2, k2: int = 1,
    b1: float = 0.6, b2: float = 0.4, drop: float = 0.0,
) -> pd.DataFrame:  # fmt: skip
    """ESAT drives CSAT k1 months later, CSAT drives margin k2 months later, plus unit
    levels, month shocks and noise; ``drop`` removes that share of unit-months."""
    rng = np.random.default_rng(seed)
    width = months + BURN_IN
    shape = (units, width)
    unit_level = rng.normal(0, 5, size=(3, units, 1))
    month_shock = rng.normal(0, 2, size=(3, 1, width))
    esat = 60 + unit_level[0] + month_shock[0] + rng.normal(0, 5, size=shape)
    csat = 20 + b1 * np.roll(esat, k1, axis=1) + unit_level[1] + month_shock[1]
    csat = csat + rng.normal(0, 3, size=shape)
    profit = 5 + b2 * np.roll(csat, k2, axis=1) + unit_level[2] + month_shock[2]
    profit = profit + rng.normal(0, 2, size=shape)
    periods = pd.period_range("2020-01", periods=width, freq="M").strftime("%Y-%m")
    keep = slice(BURN_IN, None)  # np.roll wraps around: the burn-in hides the wrap
    legs = pd.DataFrame({
        "unit_id": np.repeat([f"u{i:03d}" for i in range(units)], months),
        "period": np.tile(periods[keep], units),
        "esat": esat[:, keep].ravel(), "csat": csat[:, keep].ravel(),
        "profit": profit[:, keep].ravel(),
    })  # fmt: skip
    return legs.sample(frac=1 - drop, random_state=seed) if drop else legs


@pytest.mark.parametrize(
    ("lag", "seed", "drop"), [(0, 1, 0.0), (1, 2, 0.15), (2, 3, 0.3), (3, 4, 0.1)]
)
def test_panel_fe_equals_statsmodels_dummies(lag, seed, drop):
    legs = _chain_legs(12, 10, seed, drop=drop)
    fit = panel_fe(legs, "csat", "esat", lag)
    pairs = lag_pairs(legs, "esat", "csat", lag)
    ref = smf.ols("y ~ x + C(unit_id) + C(month)", pairs).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(pairs["unit_id"])[0]}, use_t=True
    )
    low, high = ref.conf_int().loc["x"]
    assert fit["enough_data"] is True
    assert (fit["lag"], fit["n"], fit["n_units"]) == (lag, ref.nobs, 12)
    assert fit["n_periods"] == pairs["month"].nunique()
    assert fit["coef"] == pytest.approx(ref.params["x"], abs=1e-9)
    # the absorbed effects are iterated to convergence: equal to ~1e-10, not bit for bit
    assert fit["se"] == pytest.approx(ref.bse["x"], rel=1e-7)
    assert fit["p"] == pytest.approx(ref.pvalues["x"], rel=1e-6)
    assert (fit["ci_low"], fit["ci_high"]) == pytest.approx((low, high), rel=1e-7)
    within = smf.ols("y ~ x + C(unit_id) + C(month)", pairs).fit()
    restricted = smf.ols("y ~ C(unit_id) + C(month)", pairs).fit()
    assert fit["r2_within"] == pytest.approx(1 - within.ssr / restricted.ssr, rel=1e-7)


@pytest.mark.parametrize(
    ("units", "months", "lag"),
    [(DEFAULT.min_corr_n - 1, 20, 0), (10, 2, 0), (10, 4, 2), (10, 0, 0)],
)
def test_panel_fe_not_enough_data(units, months, lag):
    legs = _chain_legs(units, months, seed=5)
    fit = panel_fe(legs, "csat", "esat", lag)
    assert set(fit) == set(FIT_KEYS)
    assert fit["enough_data"] is False
    assert all(fit[key] is None for key in ("coef", "se", "ci_low", "ci_high", "p"))


def test_panel_fe_x_without_within_variation():
    legs = _chain_legs(10, 6, seed=6)
    legs["esat"] = legs["unit_id"].str[1:].astype(float)  # a pure unit effect
    assert panel_fe(legs, "csat", "esat", 0)["enough_data"] is False


@pytest.mark.parametrize(("k1", "k2", "seed"), [(2, 1, 11), (0, 3, 12), (4, 0, 13), (6, 2, 14)])
def test_chain_estimate_recovers_planted_lags(k1, k2, seed):
    legs = _chain_legs(30, 30, seed, k1=k1, k2=k2, drop=0.1)
    chain = chain_estimate(legs)
    first, second = chain["esat_to_csat"], chain["csat_to_profit"]
    assert (first["lag"], second["lag"]) == (k1, k2)
    assert first["lags_compared"] == second["lags_compared"] == DEFAULT.max_lag
    assert first["ci_low"] < 0.6 < first["ci_high"]
    assert second["ci_low"] < 0.4 < second["ci_high"]
    # the reported fit is the chosen lag's fit on its own full sample; these legs carry no
    # response counts, so nothing is corrected and the slope is the regression's
    fe = panel_fe(legs, "csat", "esat", k1)
    assert set(first) == {*FIT_KEYS, *CHAIN_KEYS}
    assert {k: first[k] for k in FIT_KEYS if k != "p"} == {k: fe[k] for k in FIT_KEYS if k != "p"}
    assert first["p_raw"] == fe["p"] and first["coef_raw"] == fe["coef"]
    assert first["corrected"] is False and first["refused"] is False
    # no permutation of units matches a planted link: the smallest p 199 permutations allow
    assert first["p"] == second["p"] == pytest.approx(1 / (DEFAULT.chain_permutations + 1))


def test_chain_estimate_shortens_the_lag_range_to_the_data():
    legs = _chain_legs(20, 7, seed=21, k1=1, k2=1)  # 7 months: lags up to 7 - 3 = 4
    chain = chain_estimate(legs, max_lag=6)
    assert chain["esat_to_csat"]["lags_compared"] == 4
    assert chain["esat_to_csat"]["lag"] == 1


@pytest.mark.parametrize(("units", "months"), [(DEFAULT.min_corr_n - 1, 24), (20, 2)])
def test_chain_estimate_none_without_data(units, months):
    assert chain_estimate(_chain_legs(units, months, seed=3)) == {
        "esat_to_csat": None,
        "csat_to_profit": None,
    }


def test_chain_estimate_uses_settings():
    legs = _chain_legs(30, 24, seed=8, k1=5, k2=1)
    chain = chain_estimate(legs, settings=replace(DEFAULT, max_lag=3))
    assert chain["esat_to_csat"]["lags_compared"] == 3
    assert chain["esat_to_csat"]["lag"] != 5  # not among the lags it was allowed to try
    strict = chain_estimate(legs, settings=replace(DEFAULT, min_corr_n=31))
    assert strict == {"esat_to_csat": None, "csat_to_profit": None}


def test_chain_estimate_refuses_below_min_chain_units():
    legs = _chain_legs(DEFAULT.min_chain_units - 1, 24, seed=9)
    chain = chain_estimate(legs)
    for fit in chain.values():
        assert set(fit) == {*FIT_KEYS, *CHAIN_KEYS}
        assert fit["refused"] is True and fit["enough_data"] is False
        assert all(fit[k] is None for k in ("lag", "coef", "se", "ci_low", "ci_high", "p"))
        assert fit["n_units"] == 19
        assert fit["message"].startswith("No chain estimate for 19 units: it needs at least 20")
    assert what_if(chain, 5.0)["delta_csat"] is None
    lower = chain_estimate(legs, settings=replace(DEFAULT, min_chain_units=19))
    assert lower["esat_to_csat"]["refused"] is False and lower["esat_to_csat"]["lag"] == 2


def _noisy_legs(units: int = 60, months: int = 30, seed: int = 4, b: float = 0.5):
    """True ESAT moves CSAT 1 month later by ``b``; ESAT is measured as a mean of
    ``n_employee`` answers of sd ``esat_sd``, so its sampling variance is known."""
    rng = np.random.default_rng(seed)
    shape = (units, months)
    true = 60 + rng.normal(0, 5, size=(units, 1)) + rng.normal(0, 3, size=shape)
    n = rng.integers(5, 40, size=shape)
    esat = true + rng.normal(size=shape) * 20 / np.sqrt(n)
    csat = 70 + b * np.roll(true, 1, axis=1) + rng.normal(0, 2, size=shape)
    periods = pd.period_range("2021-01", periods=months, freq="M").strftime("%Y-%m")
    legs = pd.DataFrame({
        "unit_id": np.repeat([f"u{i:03d}" for i in range(units)], months),
        "period": np.tile(periods, units), "esat": esat.ravel(), "csat": csat.ravel(),
        "profit": rng.normal(30, 2, size=units * months), "n_employee": n.ravel(),
        "esat_sd": 20.0, "n_customer": 10_000,
    })  # fmt: skip
    return legs[legs["period"] > periods[0]]  # the roll wraps the first month


def test_noise_correction_undoes_the_attenuation():
    legs = _noisy_legs()
    fit = chain_estimate(legs, max_lag=3)["esat_to_csat"]
    assert fit["lag"] == 1 and fit["corrected"] is True
    # reliability: true within variance 9 (less the effects) against 9 + 400 E[1/n]
    dx, dy, noise, _ = _demeaned_pairs(legs, "csat", "esat", 1)
    assert fit["reliability"] == pytest.approx(1 - noise.sum() / (dx @ dx))
    assert 0.2 < fit["reliability"] < 0.35  # 9 / (9 + 400 x 0.066) = 0.25
    assert fit["coef_raw"] == pytest.approx(fit["reliability"] * fit["coef"])
    assert fit["ci_low_raw"] < fit["coef_raw"] < fit["ci_high_raw"] < 0.5  # attenuated
    assert fit["ci_low"] < 0.5 < fit["ci_high"]  # corrected: covers the truth
    assert fit["ci_high"] - fit["ci_low"] > fit["ci_high_raw"] - fit["ci_low_raw"]


def test_demeaned_pairs_are_the_two_way_fit():
    legs = _chain_legs(15, 12, seed=7, drop=0.2)
    dx, dy, noise, rows = _demeaned_pairs(legs, "csat", "esat", 2)
    fe = panel_fe(legs, "csat", "esat", 2)
    assert noise is None and len(dx) == fe["n"] and len(np.unique(rows)) == fe["n_units"]
    assert (dx @ dy) / (dx @ dx) == pytest.approx(fe["coef"], rel=1e-8)


def test_two_way_demean_equals_linearmodels():
    from linearmodels.panel.data import PanelData

    legs = _chain_legs(9, 8, seed=2, drop=0.25)
    _, _, grids = leg_grid(legs, ["esat"])
    mask = ~np.isnan(grids["esat"])
    ours = two_way_demean(grids["esat"], mask)[mask]
    row, col = np.nonzero(mask)
    frame = pd.DataFrame({"x": grids["esat"][mask]}, index=pd.MultiIndex.from_arrays([row, col]))
    ref = PanelData(frame).demean("both").dataframe["x"].to_numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-7)


def test_lag_search_p_is_uniform_ish_without_a_link():
    ps = []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        ps.append(lag_search_p(rng.normal(size=(20, 18)), rng.normal(size=(20, 18)), 4, 99))
    ps = np.array(ps)
    assert 0.3 < ps.mean() < 0.7 and (ps < 0.05).mean() <= 0.1


LINK1 = {"lag": 2, "coef": 0.5, "se": 0.1, "ci_low": 0.28, "ci_high": 0.72}
LINK2 = {"lag": 1, "coef": 0.4, "se": 0.05, "ci_low": 0.3, "ci_high": 0.5}


@pytest.mark.parametrize("delta", [5.0, -3.0, 1.0])
def test_what_if_by_hand(delta):
    out = what_if({"esat_to_csat": LINK1, "csat_to_profit": LINK2}, delta)
    lo, hi = sorted((0.28 * delta, 0.72 * delta))
    se = abs(delta) * math.sqrt((0.4 * 0.1) ** 2 + (0.5 * 0.05) ** 2)
    expected = {
        "delta_esat": delta, "csat_lag": 2, "delta_csat": 0.5 * delta,
        "delta_csat_low": lo, "delta_csat_high": hi, "profit_lag": 3,
        "delta_profit": 0.2 * delta, "delta_profit_low": 0.2 * delta - Z975 * se,
        "delta_profit_high": 0.2 * delta + Z975 * se, "corrected": False,
    }  # fmt: skip
    assert out.keys() == expected.keys()
    for key, value in expected.items():
        assert out[key] == pytest.approx(value, abs=1e-12), key


@pytest.mark.parametrize(
    ("chain", "known"),
    [
        ({"esat_to_csat": LINK1, "csat_to_profit": None}, {"csat_lag", "delta_csat"}),
        ({"esat_to_csat": None, "csat_to_profit": LINK2}, set()),
    ],
)
def test_what_if_missing_links(chain, known):
    out = what_if(chain, 2.0)
    profit = {"profit_lag", "delta_profit", "delta_profit_low", "delta_profit_high"}
    assert all(out[key] is None for key in profit)
    assert all(out[key] is not None for key in known)
    assert out["delta_esat"] == 2.0


def test_what_if_says_when_both_links_are_corrected():
    both = {"esat_to_csat": {**LINK1, "corrected": True},
            "csat_to_profit": {**LINK2, "corrected": True}}
    assert what_if(both, 5.0)["corrected"] is True
    assert what_if({**both, "csat_to_profit": LINK2}, 5.0)["corrected"] is False


def test_what_if_zero_change():
    out = what_if({"esat_to_csat": LINK1, "csat_to_profit": LINK2}, 0.0)
    assert out["delta_profit"] == out["delta_profit_low"] == out["delta_profit_high"] == 0.0
