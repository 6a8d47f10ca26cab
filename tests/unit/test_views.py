"""analytics.read.views on hand-made frames, against hand-computed values and scipy."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.metrics.alerts import imbalance_history
from analytics.metrics.balance import balance, legs_frame
from analytics.metrics.chain import what_if
from analytics.metrics.relationships import relationships
from analytics.read.views import (
    HISTORY_COLUMNS,
    RANKING_COLUMNS,
    WHAT_IF_COLUMNS,
    chain_sentence,
    evidence_table,
    imbalance_ranking,
    pair_view,
    stool_picture,
    unit_history,
    what_if_sentence,
    what_if_units,
)
from analytics.settings import DEFAULT, Settings

D2 = 2 / math.sqrt(math.pi)
MONTHS = [f"2024-{m:02d}" for m in range(1, 9)]


# ---------------------------------------------------------------- ranking and history


def test_ranking_orders_by_imbalance_and_names_the_weakest_leg():
    bal = pd.DataFrame({
        "unit_id": ["A", "B", "C", "D", "E"], "period": ["2024-02"] * 4 + ["2024-01"],
        "unit_name": ["Alpha", None, "Gamma", "Delta", "Old"],
        "imbalance": [1.0, 3.0, np.nan, 2.0, 9.0],
        "weakest_leg": ["esat", "csat", None, "profit", "esat"],
    })  # fmt: skip
    alerts = pd.DataFrame({"kind": ["imbalance", "control"], "unit_id": ["B", "A"],
                           "period": ["2024-02", "2024-02"]})
    out = imbalance_ranking(bal, DEFAULT, alerts=alerts)
    assert list(out.columns) == list(RANKING_COLUMNS)
    assert out["unit_id"].tolist() == ["B", "D", "A", "C"]  # E is another month
    assert out["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(out["rank"].iloc[3])
    assert out["weakest_leg_label"].tolist() == ["CSAT", "Profit", "ESAT", None]
    assert out["out_of_balance"].tolist() == [True, True, False, False]  # threshold 2.0
    assert out["alert"].tolist() == [True, False, False, False]  # only imbalance alerts
    assert out["unit_name"].tolist() == ["B", "Delta", "Alpha", "Gamma"]  # id when unnamed


def test_imbalance_history_counts_the_ranking_and_only_alerts_with_a_baseline():
    # five units, the same legs in two months: U1 (imbalance 2.14, CSAT weakest) and U2
    # (2.82, ESAT weakest) are over 2.0 in both: the ranking counts them; with two months
    # there is no baseline to test a change against, so no imbalance alert (docs/alerts.md)
    panel = pd.DataFrame({
        "unit_id": ["U1", "U2", "U3", "U4", "U5"] * 2,
        "period": ["2024-01"] * 5 + ["2024-02"] * 5,
        "esat_index": [62.0, 60, 61, 62, 63] * 2, "csat_pct": [10.0, 80, 81, 79, 80] * 2,
        "gross_margin_pct": [30.0, 31, 30, 29, 30] * 2, "esat_sd": 20.0,
        "n_employee": 20, "n_customer": [100, 10, 100, 100, 100] + [100] * 5,
    })  # fmt: skip
    panel["csat_sat_n"] = (panel["csat_pct"] * panel["n_customer"] / 100).round()
    bal = balance(legs_frame(panel))
    assert bal["imbalance"].round(2).tolist()[:2] == [2.14, 2.82]
    out = imbalance_history(panel, DEFAULT)
    assert out["period"].tolist() == ["2024-01", "2024-02"]
    assert out["n_over"].tolist() == [2, 2]
    assert out["n_alerts"].tolist() == [0, 0]
    assert out["n_units"].tolist() == [5, 5]


def _unit_panel(csat_x, csat_n=100, esat_x=None, esat_n=None, margin=None):
    n_months = len(csat_x)
    return pd.DataFrame({
        "unit_id": "U1", "unit_name": "One", "period": MONTHS[:n_months],
        "csat_sat_n": csat_x, "n_customer": csat_n,
        "csat_pct": 100 * np.asarray(csat_x) / np.asarray(csat_n),
        "esat_sat_n": esat_x if esat_x is not None else [10] * n_months,
        "n_employee": esat_n if esat_n is not None else [20] * n_months,
        "esat_index": 60.0,
        "gross_margin_pct": margin if margin is not None else [30.0] * n_months,
    })  # fmt: skip


def test_p_chart_limits_use_each_months_n_and_laneys_factor():
    # baseline: 7 months of 100 answers, 50 and 60 satisfied in turn; the 8th has 50 answers
    panel = _unit_panel([50, 60, 50, 60, 50, 60, 50, 5], [100] * 7 + [50])
    out = unit_history(panel, "U1")
    assert list(out.columns) == list(HISTORY_COLUMNS)
    csat = out[out["leg"] == "csat"].reset_index(drop=True)
    pbar = 380 / 700
    se100 = math.sqrt(pbar * (1 - pbar) / 100)
    sigma_z = (0.1 / se100) / D2  # every moving range of the z-scores is 0.1 / se100
    assert sigma_z > 1
    half_last = 3 * sigma_z * math.sqrt(pbar * (1 - pbar) / 50)
    assert csat["centre"].iloc[-1] == pytest.approx(100 * pbar)
    assert csat["ucl"].iloc[-1] == pytest.approx(100 * (pbar + half_last))
    assert csat["lcl"].iloc[-1] == pytest.approx(100 * (pbar - half_last))
    assert csat["ucl"].iloc[0] == pytest.approx(100 * (pbar + 3 * sigma_z * se100))
    assert csat["outside"].tolist() == [False] * 7 + [True]  # 10% is below the limits
    assert csat["in_baseline"].tolist() == [True] * 7 + [False]


def test_p_chart_without_laney_is_the_textbook_chart():
    panel = _unit_panel([50, 60, 50, 60, 50, 60, 50, 5], [100] * 7 + [50])
    out = unit_history(panel, "U1", replace(DEFAULT, p_chart_laney=False))
    last = out[out["leg"] == "csat"].iloc[-1]
    pbar = 380 / 700
    assert last["ucl"] == pytest.approx(100 * (pbar + 3 * math.sqrt(pbar * (1 - pbar) / 50)))


def test_individuals_chart_for_the_margin():
    margin = [30.0, 32.0, 31.0, 33.0, 30.0, 32.0, 31.0, 40.0]
    out = unit_history(_unit_panel([50] * 8, margin=margin), "U1")
    last = out[out["leg"] == "profit"].iloc[-1]
    mean = 219 / 7
    sigma = (2 + 1 + 2 + 3 + 2 + 1) / 6 / D2
    assert last["centre"] == pytest.approx(mean)
    assert last["ucl"] == pytest.approx(mean + 3 * sigma)
    assert last["lcl"] == pytest.approx(mean - 3 * sigma)
    assert bool(last["outside"]) and np.isnan(last["n"])


def test_suppressed_esat_months_are_gaps_and_do_not_count_as_baseline():
    # months 2 and 3 have 4 responses (below min_group_size 5): 5 baseline months < 6
    esat_n = [20, 4, 4, 20, 20, 20, 20, 20]
    out = unit_history(_unit_panel([50] * 8, esat_x=[10] * 8, esat_n=esat_n), "U1")
    esat = out[out["leg"] == "esat"]
    assert esat["value"].isna().tolist() == [False, True, True, False, False, False, False,
                                             False]
    assert esat["ucl"].isna().all() and not esat["outside"].any()
    assert esat["value"].iloc[0] == pytest.approx(50.0)


def test_history_stops_at_the_period_asked_for():
    out = unit_history(_unit_panel([50] * 8), "U1", period="2024-05")
    assert out["period"].max() == "2024-05"
    assert out["ucl"].isna().all()  # 4 baseline months: no limits yet


# ---------------------------------------------------------------- stool


def _trend(**values):
    base = {"period": ["2024-01", "2024-02"], "esat_index": [60.0, 63.0],
            "csat_pct": [80.0, 80.0], "gross_margin_pct": [30.0, 33.0],
            "n_employee": [90, 100], "n_customer": [800, 900], "n_units": [10, 10]}
    return pd.DataFrame({**base, **values})


def test_stool_compares_each_leg_with_its_target():
    out = stool_picture(_trend()).set_index("leg")
    assert out["pct_of_target"].tolist() == pytest.approx([90.0, 100.0, 110.0])
    assert out["gap"].tolist() == pytest.approx([-7.0, 0.0, 3.0])
    assert out["short"].tolist() == [True, False, False]
    assert out["shortest"].tolist() == [True, False, False]
    assert out["n"].tolist() == [100, 900, 10]
    assert set(out["target_source"]) == {"target"}


def test_stool_without_a_target_uses_the_company_norm():
    s = replace(DEFAULT, targets={"esat": None, "csat": 80.0, "profit": 30.0})
    out = stool_picture(_trend(), s).set_index("leg")
    assert out.loc["esat", "target"] == pytest.approx(61.5)  # mean of 60 and 63
    assert out.loc["esat", "target_source"] == "company norm"
    assert not out.loc["esat", "short"]


def test_stool_with_suppressed_esat_has_no_value_and_no_shortest_from_it():
    out = stool_picture(_trend(esat_index=[60.0, np.nan])).set_index("leg")
    assert np.isnan(out.loc["esat", "value"]) and not out.loc["esat", "short"]
    assert not out["shortest"].any()


# ---------------------------------------------------------------- chain words, what-if

FIT1 = {"lag": 2, "coef": 0.5, "se": 0.1, "ci_low": 0.3, "ci_high": 0.7, "n": 90,
        "n_units": 10}
FIT2 = {"lag": 1, "coef": 0.2, "se": 0.05, "ci_low": 0.1, "ci_high": 0.3, "n": 95,
        "n_units": 10}
CHAIN = {"esat_to_csat": FIT1, "csat_to_profit": FIT2}


@pytest.mark.parametrize(("fit", "expected"), [
    (FIT1, "+1 point of ESAT goes with +0.50 points of CSAT after 2 months (95% CI +0.30 to "
           "+0.70; 10 units, 90 unit-months)."),
    ({**FIT1, "lag": 0, "ci_low": -0.1}, "+1 point of ESAT goes with +0.50 points of CSAT in "
     "the same month (95% CI -0.10 to +0.70; 10 units, 90 unit-months). The interval includes "
     "zero: the data cannot tell this link from none."),
    ({**FIT1, "n": 43786, "n_units": 2000}, "+1 point of ESAT goes with +0.50 points of CSAT "
     "after 2 months (95% CI +0.30 to +0.70; 2,000 units, 43,786 unit-months)."),
    (None, "Not enough data to estimate how ESAT goes with CSAT: the estimate needs at least 8 "
           "units with 3 or more months each."),
])  # fmt: skip
def test_chain_sentence(fit, expected):
    assert chain_sentence(fit, "esat", "csat") == expected


def test_chain_sentence_names_the_margin_in_use():
    s = Settings(profit_metric="operating_margin_pct")
    assert "points of operating margin after 1 month" in chain_sentence(FIT2, "csat", "profit", s)


def test_what_if_sentence_carries_both_links():
    res = what_if(CHAIN, 5.0)
    # delta-method se of b1*b2*5: 5 * sqrt((0.2*0.1)^2 + (0.5*0.05)^2)
    se = 5 * math.sqrt(0.02**2 + 0.025**2)
    low, high = 0.5 - 1.959964 * se, 0.5 + 1.959964 * se
    assert what_if_sentence(res) == (
        "Raising ESAT by 5 points goes with +2.5 points of CSAT after 2 months (95% CI +1.5 "
        f"to +3.5) and +0.50 points of gross margin after 3 months (95% CI {low:+.2f} to "
        f"{high:+.2f})."
    )
    assert what_if_sentence(what_if({"esat_to_csat": FIT1, "csat_to_profit": None}, 5.0)) == (
        "Raising ESAT by 5 points goes with +2.5 points of CSAT after 2 months (95% CI +1.5 to "
        "+3.5); not enough data to carry it on to gross margin."
    )


def test_what_if_units_caps_esat_and_clips_csat():
    legs = pd.DataFrame({
        "unit_id": ["A", "A", "B", "C"], "period": ["2024-01", "2024-02", "2024-02", "2024-02"],
        "unit_name": ["Alpha", "Alpha", "Beta", "Gamma"],
        "esat": [50.0, 98.0, np.nan, 60.0], "csat": [70.0, 80.0, 99.0, 60.0],
        "profit": [30.0, 31.0, 20.0, 25.0], "revenue": [1000.0, 2000.0, 500.0, 100.0],
    })  # fmt: skip
    out = what_if_units(CHAIN, 5.0, legs, ["A", "B"]).set_index("unit_id")
    assert list(out.reset_index().columns) == list(WHAT_IF_COLUMNS)
    # A: ESAT 98 has room for 2 points: CSAT +1.0, margin +0.2, gross profit 2000*0.2/100 = 4
    assert out.loc["A", "delta_applied"] == pytest.approx(2.0)
    assert out.loc["A", "esat_raised"] == pytest.approx(100.0)
    assert out.loc["A", "csat_expected"] == pytest.approx(81.0)
    assert out.loc["A", "csat_low"] == pytest.approx(80.6)
    assert out.loc["A", "profit_expected"] == pytest.approx(31.2)
    assert out.loc["A", "gross_profit_change"] == pytest.approx(4.0)
    # B: ESAT unknown, the full 5 points; CSAT 99 + 2.5 is clipped at 100
    assert out.loc["B", "delta_applied"] == pytest.approx(5.0)
    assert out.loc["B", "csat_expected"] == pytest.approx(100.0)
    assert out.loc["B", "csat_lag"] == 2 and out.loc["B", "profit_lag"] == 3
    assert what_if_units(CHAIN, 5.0, legs, ["Z"]).empty


def test_what_if_units_without_a_chain_has_no_expectations():
    legs = pd.DataFrame({"unit_id": ["A"], "period": ["2024-01"], "esat": [50.0],
                         "csat": [70.0], "profit": [30.0]})
    out = what_if_units({"esat_to_csat": None, "csat_to_profit": None}, 5.0, legs)
    assert out[["csat_expected", "profit_expected"]].isna().all().all()


# ---------------------------------------------------------------- pairs and evidence


def _legs(units: int, months: int = 1, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = units * months
    esat = rng.normal(60, 10, n)
    return pd.DataFrame({
        "unit_id": np.repeat([f"U{i}" for i in range(units)], months),
        "unit_name": np.repeat([f"Unit {i}" for i in range(units)], months),
        "period": np.tile([f"2024-{m + 1:02d}" for m in range(months)], units),
        "esat": esat, "csat": 20 + 0.6 * esat + rng.normal(0, 5, n),
        "profit": rng.normal(30, 2, n),
    })  # fmt: skip


def test_cross_sectional_pair_matches_scipy():
    legs = _legs(10)
    points, st = pair_view(legs, "esat", "csat")
    ref = stats.linregress(legs["esat"], legs["csat"])
    assert st["n"] == 10 and st["enough_data"]
    assert st["r"] == pytest.approx(ref.rvalue)
    assert st["slope"] == pytest.approx(ref.slope)
    assert st["intercept"] == pytest.approx(ref.intercept)
    assert points["unit_name"].tolist() == [f"Unit {i}" for i in range(10)]


def test_within_unit_pair_is_demeaned_and_lagged():
    legs = _legs(5, months=6)
    points, st = pair_view(legs, "esat", "csat", "within_unit", lag=1)
    assert len(points) == 25 and st["n"] == 25  # 5 units x 5 months with a month before
    assert points.groupby("unit_id")[["x", "y"]].mean().abs().max().max() < 1e-9
    assert st["r"] == pytest.approx(stats.pearsonr(points["x"], points["y"]).statistic)
    assert st["lag"] == 1 and st["view"] == "lagged"


def test_a_pair_below_eight_points_has_no_numbers():
    points, st = pair_view(_legs(5), "esat", "csat")
    assert not st["enough_data"] and st["n"] == 5
    assert st["r"] is None and st["slope"] is None and len(points) == 5


def test_evidence_table_sets_ours_beside_the_published():
    legs = _legs(12)
    out = evidence_table(relationships(legs))
    assert out[["a", "b", "source"]].values.tolist() == [
        ["esat", "csat", "published"], ["esat", "csat", "ours"],
        ["esat", "profit", "published"], ["esat", "profit", "ours"],
    ]
    assert out["r"].iloc[0] == 0.32 and out["r"].iloc[2] == 0.15
    assert out["n"].iloc[0] == 7939
    assert out["r"].iloc[1] == pytest.approx(stats.pearsonr(legs["esat"], legs["csat"])[0])
    assert out["n"].iloc[1] == 12
    thin = evidence_table(relationships(_legs(5)))
    assert not thin["enough_data"].iloc[1] and np.isnan(thin["r"].iloc[1])
