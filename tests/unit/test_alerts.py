"""Alerts (metrics.md §4, docs/alerts.md): change scores against each unit's own baseline.

The statistics are checked against hand-worked numbers or scipy/statsmodels; the rules
against panels with a known truth (analytics.demo.simulate); the error rates themselves
are the harness's (tests/unit/test_calibration.py).
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from analytics.demo.simulate import Company, Plant, simulate
from analytics.metrics import alert_scores
from analytics.metrics.alert_scores import change_scores, leg_panel, month_variation
from analytics.metrics.alerts import (
    ALERT_COLUMNS,
    KINDS,
    PATTERNS,
    alert_history,
    all_alerts,
    control_alerts,
    divergence_alerts,
    imbalance_alert_counts,
    imbalance_alerts,
    imbalance_history,
)
from analytics.metrics.shrink import shrink
from analytics.settings import DEFAULT, LEGS

SMALL = Company(n_units=30, n_months=20)


@pytest.fixture(scope="module")
def null_sim():
    return simulate(SMALL, seed=4)


# -- shrinkage ---------------------------------------------------------------------------

def test_shrink_is_the_dersimonian_laird_posterior_mean():
    y = np.array([50.0, 60.0, 70.0, 90.0, 65.0])
    v = np.array([100.0, 4.0, 4.0, 400.0, 25.0])
    out = shrink(pd.DataFrame({"period": "m", "y": y, "v": v}), "y", "v")
    # by hand: DL tau2 = (Q - (k - 1)) / (sum w - sum w^2 / sum w), w = 1 / v
    w = 1 / v
    mean_fixed = (w * y).sum() / w.sum()
    q = (w * (y - mean_fixed) ** 2).sum()
    tau2 = max(0.0, (q - 4) / (w.sum() - (w ** 2).sum() / w.sum()))
    mu = ((y / (v + tau2)).sum()) / (1 / (v + tau2)).sum()
    b = tau2 / (tau2 + v)
    assert out["prior_var"].iloc[0] == pytest.approx(tau2)
    assert out["prior_mean"].iloc[0] == pytest.approx(mu)
    np.testing.assert_allclose(out["shrunk"], mu + b * (y - mu))
    np.testing.assert_allclose(out["shrunk_se"], np.sqrt(b * v))
    fit = combine_effects(y, v, method_re="chi2")
    assert fit.tau2 == pytest.approx(tau2)
    # the thinnest estimate moves most
    assert out["weight"].idxmin() == 3


def test_shrink_leaves_exact_and_lonely_values_alone():
    df = pd.DataFrame({"period": ["a", "a", "b", "b", "b"], "y": [1.0, 2.0, 3.0, 4.0, 5.0],
                       "v": [1.0, 1.0, 0.0, 0.0, 0.0]})
    out = shrink(df, "y", "v")
    assert (out["weight"] == 1).all()
    np.testing.assert_allclose(out["shrunk"], df["y"])


# -- the change score --------------------------------------------------------------------

@pytest.mark.parametrize(("base", "window", "phi", "expected"), [
    (12, 1, 0.0, 1 + 1 / 12),               # independent months: 1/w + 1/K
    (6, 3, 0.0, 1 / 3 + 1 / 6),
    (2, 1, 0.5, 1 + 1.5 / 2 - (0.5 + 0.25)),  # by hand: 1 + (1 + phi)/2 - (phi + phi^2)
])
def test_variance_of_a_change_under_ar1(base, window, phi, expected):
    assert alert_scores._q(base, window, phi) == pytest.approx(expected)


def test_month_variation_recovers_sigma_and_phi():
    rng = np.random.default_rng(0)
    phi, sd, units, months = 0.5, 3.0, 600, 24
    x = np.empty((units, months))
    x[:, 0] = rng.normal(0, sd, units)
    for t in range(1, months):
        x[:, t] = phi * x[:, t - 1] + rng.normal(0, sd * np.sqrt(1 - phi ** 2), units)
    noise = rng.uniform(1, 20, size=(units, months))  # sampling variances
    observed = x + rng.normal(0, np.sqrt(noise)) + rng.normal(50, 6, (units, 1))
    sigma2, est_phi = month_variation(observed, noise)
    assert sigma2 == pytest.approx(sd ** 2, rel=0.12)
    assert est_phi == pytest.approx(phi, abs=0.08)


def test_sampling_variances_come_from_the_response_counts(null_sim):
    legs = leg_panel(null_sim.panel, DEFAULT)
    p = null_sim.panel.iloc[-1]
    i, j = list(legs.units).index(p["unit_id"]), len(legs.periods) - 1
    assert legs.var["esat"][i, j] == pytest.approx(p["esat_sd"] ** 2 / p["n_employee"])
    pc = legs.var["csat"][i, j] * p["n_customer"]  # p (100 - p) at the shrunk-ish %
    assert 0 < pc <= 2500
    assert np.nanmax(legs.var["profit"]) == 0


def test_z_is_change_over_its_standard_error(null_sim):
    legs = leg_panel(null_sim.panel, DEFAULT)
    scores = change_scores(legs, len(legs.periods) - 1, 2, DEFAULT)
    np.testing.assert_allclose(scores["z"], scores["change"] / scores["se"])
    np.testing.assert_allclose(scores["change"], scores["window_shrunk"] - scores["baseline"])
    # on a null company the scores are about standard normal
    assert abs(scores["z"].mean()) < 0.35 and 0.7 < scores["z"].std() < 1.3


# -- the rules ---------------------------------------------------------------------------

def _planted(plant: Plant, seed: int = 1):
    return simulate(SMALL.with_(plants=(plant,)), seed)


@pytest.mark.parametrize("leg", LEGS)
def test_a_dropped_leg_raises_an_imbalance_alert_on_that_leg(leg):
    sim = _planted(Plant("drop", leg, 3.0, start=16, share=0.2))
    planted = set(sim.truth.loc[sim.truth["planted"] != "", "unit_id"])
    period = sorted(sim.panel["period"].unique())[17]
    found = imbalance_alerts(sim.panel, DEFAULT, period)
    hits = found[found["unit_id"].isin(planted)]
    assert len(hits) >= 0.7 * len(planted)
    assert (hits["leg"] == leg).all()
    row = hits.iloc[0]
    assert row["values"]["change"] < 0 and row["values"]["z"] < 0
    # Bonferroni over the three legs, checked with scipy
    assert row["values"]["p_adjusted"] == pytest.approx(3 * stats.norm.cdf(row["values"]["z"]))
    assert row["severity"] >= 1
    assert "raw" in row["values"] and "shrunk" in row["values"]


@pytest.mark.parametrize(("odd", "direction"), [("esat", 1), ("csat", 1), ("profit", 1),
                                                ("csat", -1)])
def test_a_divergence_is_named_by_its_pattern(odd, direction):
    sim = _planted(Plant("divergence", odd, 2.0, start=15, months=3, direction=direction,
                         share=0.2))
    planted = set(sim.truth.loc[sim.truth["planted"] != "", "unit_id"])
    period = sorted(sim.panel["period"].unique())[18]
    found = divergence_alerts(sim.panel, DEFAULT, period)
    hits = found[found["unit_id"].isin(planted)]
    assert len(hits) >= 0.6 * len(planted)
    key = (odd, "up" if direction > 0 else "down")
    assert (hits["pattern"] == PATTERNS[key][0]).all()
    meaning = PATTERNS[key][1]
    if meaning:
        assert meaning in hits["message"].iloc[0]


def test_divergence_p_value_is_stouffer_times_six(null_sim):
    sim = _planted(Plant("divergence", "esat", 2.0, start=15, months=3, share=0.2))
    found = divergence_alerts(sim.panel, DEFAULT, sorted(sim.panel["period"].unique())[18])
    row = found.iloc[0]["values"]
    zs = np.array([row["z_esat"], row["z_csat"], row["z_profit"]])
    stouffer = np.abs(zs).sum() / np.sqrt(3)
    assert row["stouffer_z"] == pytest.approx(stouffer)
    assert row["p_adjusted"] == pytest.approx(min(1.0, 6 * stats.norm.sf(stouffer)))


def test_a_one_month_spike_is_a_control_alert():
    sim = simulate(SMALL, seed=2)
    panel = sim.panel.copy()
    last = panel["period"] == panel["period"].max()
    row = last & (panel["unit_id"] == "S003")
    panel.loc[row, "gross_margin_pct"] += 15.0
    found = control_alerts(panel)
    hit = found[(found["unit_id"] == "S003") & (found["leg"] == "profit")]
    assert len(hit) == 1
    v = hit.iloc[0]["values"]
    assert hit.iloc[0]["direction"] == "above" and v["value"] > v["ucl"]
    limit = stats.norm.isf(DEFAULT.control_alpha / 6)
    assert v["ucl"] == pytest.approx(v["centre"] + limit * v["sigma"])


def test_a_unit_that_is_always_lower_is_not_news():
    sim = simulate(SMALL, seed=3)
    panel = sim.panel.copy()
    low = panel["unit_id"] == "S001"
    panel.loc[low, "gross_margin_pct"] -= 20.0  # a standing difference of ~5 sd
    panel.loc[low, "csat_sat_n"] = (panel.loc[low, "csat_sat_n"] * 0.7).round()
    panel.loc[low, "csat_pct"] = panel.loc[low, "csat_sat_n"] / panel.loc[low, "n_customer"] * 100
    found = alert_history(panel)
    assert (found["unit_id"] == "S001").sum() <= 1


def test_alerts_are_rare_without_a_planted_problem():
    found = [alert_history(simulate(SMALL, seed).panel) for seed in range(3)]
    scored = 3 * SMALL.n_units * (SMALL.n_months - 8)
    unit_months = sum(len(f[["unit_id", "period"]].drop_duplicates()) for f in found)
    assert unit_months / scored <= 0.03


# -- the API -----------------------------------------------------------------------------

def test_all_alerts_schema_json_and_order():
    sim = _planted(Plant("drop", "csat", 3.0, start=17, share=0.3))
    out = all_alerts(sim.panel)
    assert list(out.columns) == list(ALERT_COLUMNS)
    assert set(out["kind"]) <= set(KINDS) and len(out)
    assert (out["severity"] >= 1).all()
    assert out["severity"].is_monotonic_decreasing
    json.dumps(out.to_dict("records"))


def test_all_alerts_is_the_union_of_the_three_kinds():
    sim = _planted(Plant("drop", "esat", 3.0, start=17, share=0.3))
    union = pd.concat([fn(sim.panel)[list(ALERT_COLUMNS)] for fn in
                       (imbalance_alerts, divergence_alerts, control_alerts)])
    assert len(all_alerts(sim.panel)) == len(union)


def test_all_alerts_is_deterministic_and_row_order_free(null_sim):
    shuffled = null_sim.panel.sample(frac=1, random_state=1)
    a, b = all_alerts(null_sim.panel, DEFAULT, "2024-06"), all_alerts(shuffled, DEFAULT,
                                                                      "2024-06")
    pd.testing.assert_frame_equal(a, b)


def test_all_alerts_uses_only_data_up_to_period():
    sim = _planted(Plant("drop", "profit", 3.0, start=14, share=0.3))
    period = sorted(sim.panel["period"].unique())[15]
    cut = sim.panel[sim.panel["period"] <= period]
    pd.testing.assert_frame_equal(all_alerts(sim.panel, DEFAULT, period),
                                  all_alerts(cut, DEFAULT, period))


def test_all_alerts_on_an_empty_panel(null_sim):
    empty = null_sim.panel.iloc[:0]
    assert all_alerts(empty).empty and list(all_alerts(empty).columns) == list(ALERT_COLUMNS)
    assert all_alerts(null_sim.panel, DEFAULT, "1999-01").empty


def test_first_months_have_no_baseline(null_sim):
    first = sorted(null_sim.panel["period"].unique())[: DEFAULT.control_min_baseline]
    assert all(all_alerts(null_sim.panel, DEFAULT, p).empty for p in first)


def test_alert_counts_and_history_agree_with_the_alerts_of_every_month():
    sim = _planted(Plant("drop", "csat", 2.0, start=12, share=0.3))
    counts = imbalance_alert_counts(sim.panel)
    slow = {p: imbalance_alerts(sim.panel, DEFAULT, p)["unit_id"].nunique()
            for p in sorted(sim.panel["period"].unique())}
    assert counts.to_dict() == {p: n for p, n in slow.items() if n}
    history = imbalance_history(sim.panel)
    assert history.set_index("period")["n_alerts"].to_dict() == slow


def test_history_of_a_narrow_selection_counts_the_company_alerts_of_its_units():
    sim = _planted(Plant("drop", "csat", 3.0, start=12, share=0.3))
    mine = sim.panel[sim.panel["unit_id"].isin(["S001", "S002", "S003", "S004"])]
    whole = alert_history(sim.panel, kinds=("imbalance",))
    expected = whole[whole["unit_id"].isin(mine["unit_id"])].groupby("period")[
        "unit_id"].nunique()
    got = imbalance_history(mine, DEFAULT, company=sim.panel).set_index("period")["n_alerts"]
    assert got[got > 0].to_dict() == expected.to_dict()


def test_stricter_alpha_gives_fewer_alerts():
    sim = _planted(Plant("drop", "esat", 1.5, start=12, share=0.4))
    loose = alert_history(sim.panel, replace(DEFAULT, imbalance_alpha=0.05))
    strict = alert_history(sim.panel, replace(DEFAULT, imbalance_alpha=0.0005))
    assert (strict["kind"] == "imbalance").sum() < (loose["kind"] == "imbalance").sum()


# -- whole-company alerts, narrowed to the viewer (analytics.read.results) ---------------

def test_a_managers_alerts_are_the_companys_alerts_of_their_units(demo_db):
    from analytics.access.auth import User, scope_filters
    from analytics.filters import ALL, Filters
    from analytics.read import data, results
    from analytics.store import queries

    version = queries.data_version(demo_db)
    sk = results.settings_key(DEFAULT)
    company = results.compute(demo_db, version, "alerts", ALL, sk, None)
    assert len(company), "the demo company should raise some alerts"
    unit = company["unit_id"].iloc[0]
    manager = User("m@example.com", "manager", (unit,))
    mine = results.compute(demo_db, version, "alerts", scope_filters(manager, ALL), sk, None)
    expected = company[company["unit_id"] == unit].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, expected)
    # computed on the manager's unit alone, the same unit would be judged against itself
    alone = all_alerts(data.panel(demo_db, scope_filters(manager, ALL), DEFAULT))
    assert not alone.equals(expected)
    # an org filter narrows the rows, never the company the alerts are computed against
    whole = data.panel(demo_db, ALL, DEFAULT)
    region = str(whole.loc[whole["unit_id"] == unit, "region"].iloc[0])
    by_region = results.compute(demo_db, version, "alerts", Filters(regions=(region,)), sk,
                                None)
    assert unit in set(by_region["unit_id"])
    assert set(by_region["unit_id"]) <= set(company["unit_id"])
    history = results.compute(demo_db, version, "imbalance_history",
                              scope_filters(manager, ALL), sk)
    assert set(history.columns) >= {"period", "n_alerts", "n_over"}
