"""Alerts of metrics.md §4 on hand-built frames, planted problems and pure-noise panels."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.alerts import (
    ALERT_COLUMNS,
    all_alerts,
    control_alerts,
    divergence_alerts,
    imbalance_alerts,
)
from analytics.metrics.balance import balance, legs_frame
from analytics.settings import DEFAULT, LEGS, Settings

MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]


def _row(unit, period, z, n_employee=12, n_customer=60, legs=(70.0, 80.0, 30.0)):
    """One row of a balance frame; imbalance and weakest leg worked out from the given z."""
    return {
        "unit_id": unit, "period": period, **dict(zip(LEGS, legs, strict=True)),
        "n_employee": n_employee, "n_customer": n_customer,
        **{f"z_{leg}": v for leg, v in zip(LEGS, z, strict=True)},
        "imbalance": max(z) - min(z), "weakest_leg": LEGS[int(np.argmin(z))],
    }


OUT = (0.5, -2.0, 0.3)  # imbalance 2.5, CSAT weakest
OUT_ESAT = (-2.0, 0.5, 0.3)  # imbalance 2.5, ESAT weakest
FLAT = (0.1, -0.2, 0.1)


@pytest.mark.parametrize(
    ("rows", "settings", "months"),
    [
        pytest.param([("2024-05", OUT, {}), ("2024-06", OUT, {})], DEFAULT, 2, id="two-months"),
        pytest.param([("2024-04", OUT, {}), ("2024-05", OUT, {}), ("2024-06", OUT, {})],
                     DEFAULT, 3, id="three-months"),
        pytest.param([("2024-05", FLAT, {}), ("2024-06", OUT, {})], DEFAULT, None, id="new"),
        pytest.param([("2024-05", OUT, {}), ("2024-06", FLAT, {})], DEFAULT, None, id="healed"),
        pytest.param([("2024-04", OUT, {}), ("2024-06", OUT, {})], DEFAULT, None, id="gap"),
        pytest.param([("2024-05", (0.0, -2.0, 0.0), {}), ("2024-06", (0.0, -2.0, 0.0), {})],
                     DEFAULT, 2, id="exactly-threshold"),
        pytest.param([("2024-05", OUT, {"n_employee": 4}), ("2024-06", OUT, {})],
                     DEFAULT, None, id="few-employees"),
        pytest.param([("2024-05", OUT, {}), ("2024-06", OUT, {"n_customer": 29})],
                     DEFAULT, None, id="few-customers"),
        pytest.param([("2024-05", OUT, {}), ("2024-06", OUT, {"n_customer": 29})],
                     Settings(min_customer_n=20), 2, id="customer-minimum-setting"),
        pytest.param([("2024-05", OUT_ESAT, {}), ("2024-06", OUT, {})],
                     DEFAULT, None, id="weakest-leg-switches"),
        pytest.param([("2024-05", OUT_ESAT, {}), ("2024-06", OUT, {})],
                     Settings(imbalance_same_leg=False), 2, id="switch-allowed"),
        pytest.param([("2024-05", OUT, {}), ("2024-06", OUT, {})],
                     Settings(imbalance_persistence=3), None, id="persistence-3"),
        pytest.param([("2024-05", OUT, {}), ("2024-06", OUT, {})],
                     Settings(imbalance_threshold=2.6), None, id="threshold-2.6"),
    ],
)
def test_imbalance_alert_table(rows, settings, months):
    frame = pd.DataFrame(
        [_row("U07", period, z, **kw) for period, z, kw in rows]
        + [_row("U01", period, FLAT) for period in ("2024-05", "2024-06")]
    )
    out = imbalance_alerts(frame, settings)
    if months is None:
        assert out.empty
    else:
        assert out["unit_id"].tolist() == ["U07"]
        assert out["months"].iloc[0] == months
        assert out["leg"].iloc[0] == "csat"
        assert out["period"].iloc[0] == "2024-06"


def test_imbalance_message_and_numbers():
    z = (0.9, -2.1, 0.4)
    frame = pd.DataFrame(
        [_row("U07", p, z, legs=(72.0, 61.5, 31.0)) for p in ("2024-05", "2024-06")]
    )
    alert = imbalance_alerts(frame).iloc[0]
    assert alert["message"] == (
        "Unit U07's stool is out of balance: CSAT is its weakest leg "
        "(z = -2.1 against ESAT +0.9 and profit +0.4) for 2 months running."
    )
    assert alert["kind"] == "imbalance" and alert["pattern"] is None
    assert alert["severity"] == pytest.approx(3.0 / 2.0)
    assert alert["values"]["csat"] == 61.5 and alert["values"]["z_esat"] == 0.9
    assert alert["values"]["imbalance"] == pytest.approx(3.0)
    assert alert["values"]["threshold"] == 2.0


def test_imbalance_period_argument_looks_back_from_that_month():
    frame = pd.DataFrame(
        [_row("U07", p, OUT) for p in ("2024-03", "2024-04")] + [_row("U07", "2024-05", FLAT)]
    )
    assert imbalance_alerts(frame).empty
    assert imbalance_alerts(frame, period="2024-04")["months"].tolist() == [2]


def test_imbalance_message_uses_unit_name():
    frame = pd.DataFrame([_row("U07", p, OUT) for p in ("2024-05", "2024-06")])
    frame["unit_name"] = "Leeds"
    assert imbalance_alerts(frame)["message"].iloc[0].startswith("Unit Leeds's stool")


def _diverging(slopes, months=None, offsets=(0.0, 0.0, 0.0), **kw):
    """Rows whose z-scores move by ``slopes`` per month around ``offsets``."""
    months = months or MONTHS[-DEFAULT.divergence_periods:]
    centre = (len(months) - 1) / 2
    return [
        _row("U11", p, tuple(o + s * (t - centre) for o, s in zip(offsets, slopes, strict=True)),
             **kw)
        for t, p in enumerate(months)
    ]


@pytest.mark.parametrize(
    ("slopes", "pattern", "phrase"),
    [
        ((-0.8, -0.6, 1.0), "profit_up_esat_down", "margin may be bought at the cost of staff"),
        ((0.9, -0.7, -0.6), "esat_up_csat_down", "service is not reaching customers"),
        ((-0.6, 0.9, -0.7), "csat_up_profit_down", "service may be given away below cost"),
        ((-0.9, 0.6, 0.7), "esat_down_csat_profit_up",
         "ESAT is falling while CSAT and profit rise"),
        ((0.6, -0.9, 0.7), "csat_down_esat_profit_up",
         "CSAT is falling while ESAT and profit rise"),
        ((0.6, 0.7, -0.9), "profit_down_esat_csat_up",
         "profit is falling while ESAT and CSAT rise"),
    ],
)
def test_divergence_patterns(slopes, pattern, phrase):
    out = divergence_alerts(pd.DataFrame(_diverging(slopes)))
    assert out["pattern"].tolist() == [pattern]
    assert phrase in out["message"].iloc[0]
    got = [out[f"slope_{leg}"].iloc[0] for leg in LEGS]
    assert got == pytest.approx(slopes)
    assert out["severity"].iloc[0] == pytest.approx(min(abs(s) for s in slopes) / 0.5)
    assert out["leg"].iloc[0] is None and out["kind"].iloc[0] == "divergence"


def test_divergence_message_names_the_meaning():
    out = divergence_alerts(pd.DataFrame(_diverging((-0.8, -0.6, 1.0))))
    assert out["message"].iloc[0] == (
        "Unit U11's legs are pulling apart: profit is rising while ESAT and CSAT fall "
        "(z-score slopes per month over 4 months: ESAT -0.80, CSAT -0.60, profit +1.00), "
        "so margin may be bought at the cost of staff."
    )


@pytest.mark.parametrize(
    ("rows", "settings"),
    [
        pytest.param(_diverging((0.8, 0.6, 1.0)), DEFAULT, id="all-rising"),
        pytest.param(_diverging((-0.8, -0.4, 1.0)), DEFAULT, id="one-slope-too-flat"),
        pytest.param(_diverging((-0.8, -0.6, 1.0)), Settings(divergence_min_slope=0.75),
                     id="min-slope-setting"),
        pytest.param(_diverging((-0.8, -0.6, 1.0), months=["2024-03", "2024-05", "2024-06"]),
                     DEFAULT, id="gap-in-window"),
        pytest.param(_diverging((-0.8, -0.6, 1.0), months=MONTHS[-2:]), DEFAULT,
                     id="too-few-months"),
        pytest.param(_diverging((-0.8, -0.6, 1.0), n_customer=10), DEFAULT, id="too-few-customers"),
        pytest.param(_diverging((-0.8, -0.6, 1.0), months=MONTHS[-3:]),
                     Settings(divergence_periods=4), id="window-4-needs-4-months"),
    ],
)
def test_divergence_no_alert(rows, settings):
    assert divergence_alerts(pd.DataFrame(rows), settings).empty


def test_divergence_slope_is_least_squares_on_calendar_months():
    # z_esat 0, 1, 3 at t = 0, 1, 2: slope = sum((t-1)(z-4/3)) / sum((t-1)^2) = 3 / 2
    rows = [
        _row("U11", p, (ze, 1.0 - t, 1.0 - t))
        for t, (p, ze) in enumerate(zip(MONTHS[-3:], (0.0, 1.0, 3.0), strict=True))
    ]
    out = divergence_alerts(pd.DataFrame(rows), THREE_MONTHS)
    assert out["slope_esat"].iloc[0] == pytest.approx(1.5)
    assert out["pattern"].iloc[0] == "esat_up_csat_down"


def test_divergence_longer_window():
    rows = _diverging((-0.8, -0.6, 1.0), months=MONTHS[-4:])
    out = divergence_alerts(pd.DataFrame(rows), Settings(divergence_periods=4))
    assert out["months"].tolist() == [4]
    assert out["slope_profit"].iloc[0] == pytest.approx(1.0)


# ---- control charts --------------------------------------------------------------------

def _series(n_months=7, **columns):
    """One unit's monthly panel; every column constant unless given as a list."""
    periods = pd.period_range("2024-01", periods=n_months, freq="M").astype(str)
    base = {
        "n_employee": 20, "esat_index": 70.0, "esat_sat_n": 14,
        "n_customer": 100, "csat_pct": 80.0, "csat_sat_n": 80,
        "gross_margin_pct": 31.0, "operating_margin_pct": 8.0,
    }
    base.update(columns)
    return pd.DataFrame({"unit_id": "U03", "period": periods, **base})


def _last(values, latest, n_months=7):
    return [values] * (n_months - 1) + [latest]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        # p-chart CSAT: pbar 0.8, n_i 100 -> sigma 0.04, limits 68..92
        pytest.param({"csat_sat_n": _last(80, 60), "csat_pct": _last(80.0, 60.0)},
                     {"leg": "csat", "chart": "p", "direction": "below", "value": 60.0,
                      "centre": 80.0, "lcl": 68.0, "ucl": 92.0, "n": 100, "severity": 5 / 3},
                     id="csat-below"),
        pytest.param({"csat_sat_n": _last(80, 93), "csat_pct": _last(80.0, 93.0)},
                     {"leg": "csat", "chart": "p", "direction": "above", "value": 93.0,
                      "lcl": 68.0, "ucl": 92.0}, id="csat-above"),
        # n_i 25 -> sigma 0.08, limits 56..100 (clipped): 60% is inside
        pytest.param({"csat_sat_n": _last(80, 15), "csat_pct": _last(80.0, 60.0),
                      "n_customer": _last(100, 25)}, None, id="thin-month-wider-limits"),
        # ESAT p-chart: pbar 0.7, n 20 -> sigma sqrt(0.21/20), lcl 70 - 30.74 = 39.26
        pytest.param({"esat_sat_n": _last(14, 7)},
                     {"leg": "esat", "chart": "p", "direction": "below", "value": 35.0,
                      "centre": 70.0, "lcl": 100 * (0.7 - 3 * math.sqrt(0.21 / 20)),
                      "ucl": 100.0}, id="esat-below"),
        # a baseline month with 4 employees is ignored: pbar stays 0.7
        pytest.param({"esat_sat_n": [14, 0, 14, 14, 14, 14, 14, 7],
                      "n_employee": [20, 4, 20, 20, 20, 20, 20, 20]},
                     {"leg": "esat", "chart": "p", "centre": 70.0}, id="small-month-ignored"),
        # pbar 0.1, n_i 10 -> sigma 0.0949: lcl below 0 is clipped to 0
        pytest.param({"csat_sat_n": _last(10, 5), "csat_pct": _last(10.0, 50.0),
                      "n_customer": _last(100, 10)},
                     {"leg": "csat", "chart": "p", "direction": "above", "lcl": 0.0,
                      "ucl": 100 * (0.1 + 3 * math.sqrt(0.09 / 10))}, id="lcl-clipped"),
        # pbar = 1: no spread to chart
        pytest.param({"csat_sat_n": _last(100, 90), "csat_pct": _last(100.0, 90.0)}, None,
                     id="no-spread"),
    ],
)
def test_p_chart_table(columns, expected):
    n_months = len(next(iter(columns.values())))
    out = control_alerts(_series(n_months, **columns))
    out = out[out["chart"] != "ewma"]
    if expected is None:
        assert out.empty
        return
    assert len(out) == 1
    alert = out.iloc[0]
    for key, value in expected.items():
        assert alert[key] == (pytest.approx(value) if isinstance(value, float) else value), key


WOBBLY = [76, 84] * 3  # CSAT 76%/84% of 100: z = -1, +1, ... so sigma_z = 2 / d2 = sqrt(pi)


@pytest.mark.parametrize(
    ("latest", "settings", "lcl"),
    [
        (60, DEFAULT, None),  # Laney: lcl = 80 - 3 * sqrt(pi) * 4 = 58.73
        (55, DEFAULT, 80 - 12 * math.sqrt(math.pi)),
        (60, Settings(p_chart_laney=False), 68.0),  # binomial limits
    ],
)
def test_p_chart_widens_for_months_that_move_more_than_sampling(latest, settings, lcl):
    panel = _series(7, csat_sat_n=[*WOBBLY, latest], csat_pct=[*WOBBLY, latest])
    out = control_alerts(panel, replace(settings, ewma_sigma=99.0))
    if lcl is None:
        assert out.empty
    else:
        assert out["chart"].tolist() == ["p"]
        assert out["lcl"].iloc[0] == pytest.approx(lcl)


def test_p_chart_needs_the_minimum_baseline():
    panel = _series(6, csat_sat_n=_last(80, 40, 6), csat_pct=_last(80.0, 40.0, 6))
    assert control_alerts(panel).empty  # 5 baseline months < control_min_baseline 6
    assert not control_alerts(panel, Settings(control_min_baseline=5)).empty


ALTERNATING = [30.0, 32.0] * 3  # mean 31, every moving range 2: sigma = 2 / d2 = sqrt(pi)


@pytest.mark.parametrize(
    ("latest", "individuals"),
    [(25.0, "below"), (36.5, "above"), (27.0, None), (35.0, None)],
)
def test_individuals_chart(latest, individuals):
    out = control_alerts(_series(7, gross_margin_pct=[*ALTERNATING, latest]))
    out = out[out["chart"] == "individuals"]
    if individuals is None:
        assert out.empty
        return
    alert = out.iloc[0]
    assert alert["direction"] == individuals and alert["leg"] == "profit"
    assert alert["centre"] == pytest.approx(31.0)
    assert alert["lcl"] == pytest.approx(31.0 - 3 * math.sqrt(math.pi))
    assert alert["ucl"] == pytest.approx(31.0 + 3 * math.sqrt(math.pi))
    assert math.isnan(alert["n"]) and alert["values"]["n"] is None


def test_individuals_chart_follows_profit_metric():
    panel = _series(7, operating_margin_pct=[*ALTERNATING, 20.0])
    assert control_alerts(panel).empty
    out = control_alerts(panel, Settings(profit_metric="operating_margin_pct"))
    assert "operating margin %" in out.loc[out["chart"] == "individuals", "message"].iloc[0]


def _ewma_reference(values, lam, width):
    """Textbook EWMA: z_0 = baseline mean, z_i = lam x_i + (1 - lam) z_(i-1)."""
    baseline = values[:-1]
    mu = sum(baseline) / len(baseline)
    sigma = math.sqrt(sum((b - mu) ** 2 for b in baseline) / (len(baseline) - 1))
    z = mu
    for x in values:
        z = lam * x + (1 - lam) * z
    i = len(values)
    half = width * sigma * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * i)))
    return z, mu - half, mu + half


def test_ewma_catches_a_slide_the_individuals_chart_misses():
    # 20 steady months, then four at 28.5: no single month is beyond the XmR limits
    margin = [30.0, 31.0, 32.0, 31.0] * 5 + [28.5] * 4
    out = control_alerts(_series(len(margin), gross_margin_pct=margin))
    assert out["chart"].tolist() == ["ewma"]
    z, lcl, ucl = _ewma_reference(margin, 0.3, 3.0)
    alert = out.iloc[0]
    assert (alert["value"], alert["lcl"], alert["ucl"]) == pytest.approx((z, lcl, ucl))
    assert alert["direction"] == "below" and alert["observed"] == 28.5
    assert "drifting down" in alert["message"]


@pytest.mark.parametrize("lam", [0.2, 0.3, 0.5])
def test_ewma_limits_match_the_reference(lam):
    margin = [30.0, 32.0, 31.0, 33.0, 30.0, 32.0, 31.0, 22.0]
    out = control_alerts(_series(8, gross_margin_pct=margin), Settings(ewma_lambda=lam))
    alert = out[out["chart"] == "ewma"].iloc[0]
    assert (alert["value"], alert["lcl"], alert["ucl"]) == pytest.approx(
        _ewma_reference(margin, lam, 3.0)
    )


def test_control_period_argument_ignores_later_months():
    panel = _series(8, csat_sat_n=[80] * 6 + [60, 80], csat_pct=[80.0] * 6 + [60.0, 80.0])
    assert control_alerts(panel).empty
    out = control_alerts(panel, period="2024-07")
    assert out["period"].tolist() == ["2024-07"] and out["chart"].tolist() == ["p"]


# ---- all alerts, noise and planted problems --------------------------------------------

P_ESAT = np.array([0.05, 0.08, 0.17, 0.40, 0.30])  # answers 1..5
P_CSAT = np.array([0.04, 0.06, 0.10, 0.35, 0.45])
POINTS = np.array([0.0, 25.0, 50.0, 75.0, 100.0])


def _null_panel(seed, n_units=40, n_months=24):
    """No planted problem: every unit draws the same legs, with survey sampling noise."""
    rng = np.random.default_rng(seed)
    size = n_units * n_months
    n_emp, n_cus = rng.integers(8, 31, size), rng.integers(40, 151, size)
    emp, cus = rng.multinomial(n_emp, P_ESAT), rng.multinomial(n_cus, P_CSAT)
    return pd.DataFrame({
        "unit_id": np.repeat([f"U{i:02d}" for i in range(n_units)], n_months),
        "period": np.tile(pd.period_range("2023-01", periods=n_months, freq="M").astype(str),
                          n_units),
        "n_employee": n_emp, "esat_index": emp @ POINTS / n_emp,
        "esat_sat_n": emp[:, 3:].sum(axis=1),
        "n_customer": n_cus, "csat_sat_n": cus[:, 3:].sum(axis=1),
        "csat_pct": cus[:, 3:].sum(axis=1) / n_cus * 100,
        "gross_margin_pct": rng.normal(35.0, 3.0, size),
    })


#: metrics.md §4 lets the divergence window be configured: 4 months instead of 3 cuts
#: chance divergence on pure noise from ~8% to ~1.5% of units; 4 is the default.
THREE_MONTHS = replace(DEFAULT, divergence_periods=3)
SEEDS = range(50)


@pytest.fixture(scope="module")
def null_panels():
    return [_null_panel(seed) for seed in SEEDS]


@pytest.mark.parametrize(
    ("settings", "n_seeds"),
    [
        # 25 seeds are plenty to show the default's ~12% (se 0.7 points) is above 10%
        pytest.param(THREE_MONTHS, 25, marks=pytest.mark.xfail(
            strict=True,
            reason="design finding: divergence at 0.5 sd/month over 3 months flags ~8% of "
                   "units on pure noise, ~12% with all alerts; hence the 4-month default",
        ), id="three-month-window"),
        pytest.param(DEFAULT, len(SEEDS), id="default"),
    ],
)
def test_alerts_are_rare_without_a_planted_problem(null_panels, settings, n_seeds):
    shares = [
        all_alerts(panel, settings)["unit_id"].nunique() / 40 for panel in null_panels[:n_seeds]
    ]
    assert np.mean(shares) <= 0.10


def _plant(panel, unit, changes):
    """Set a unit's legs in the last months to the other units' mean + k sd (k per month)."""
    panel = panel.copy()
    months = sorted(panel["period"].unique())[-len(next(iter(changes.values()))):]
    for t, period in enumerate(months):
        others = panel[(panel["period"] == period) & (panel["unit_id"] != unit)]
        row = (panel["period"] == period) & (panel["unit_id"] == unit)
        for column, ks in changes.items():
            panel.loc[row, column] = others[column].mean() + ks[t] * others[column].std()
    return panel


@pytest.mark.parametrize("settings", [DEFAULT, THREE_MONTHS])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_imbalance_is_found(seed, settings):
    panel = _plant(_null_panel(seed), "U07", {
        "csat_pct": (-3.0, -3.0, -3.0), "esat_index": (0.0, 0.0, 0.0),
        "gross_margin_pct": (0.0, 0.0, 0.0),
    })
    out = all_alerts(panel, settings)
    hit = out[(out["kind"] == "imbalance") & (out["unit_id"] == "U07")]
    assert hit["leg"].tolist() == ["csat"]
    assert "CSAT is its weakest leg" in hit["message"].iloc[0]
    assert hit["values"].iloc[0]["months"] == 3.0


@pytest.mark.parametrize("settings", [DEFAULT, THREE_MONTHS])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_divergence_is_found(seed, settings):
    # over the window (3 months by default): margin climbs 3 sd while ESAT drops 3 sd and
    # CSAT 2 sd
    rise = np.linspace(-1.5, 1.5, settings.divergence_periods)
    panel = _plant(_null_panel(seed), "U11", {
        "gross_margin_pct": rise, "esat_index": -rise, "csat_pct": -rise * 2 / 3,
    })
    out = all_alerts(panel, settings)
    hit = out[(out["kind"] == "divergence") & (out["unit_id"] == "U11")]
    assert hit["pattern"].tolist() == ["profit_up_esat_down"]


def test_all_alerts_schema_json_and_order():
    panel = _plant(_null_panel(4), "U07", {"csat_pct": (-3.0, -3.0)})
    out = all_alerts(panel)
    assert out.columns.tolist() == list(ALERT_COLUMNS)
    assert set(out["kind"]) <= {"imbalance", "divergence", "control"}
    assert out["severity"].is_monotonic_decreasing
    assert (out["severity"] >= 1.0).all()
    json.dumps(out["values"].tolist(), allow_nan=False)
    for values in out["values"]:
        assert all(v is None or type(v) in (float, str) for v in values.values())


def test_all_alerts_is_the_union_of_the_three_kinds():
    panel = _null_panel(5)
    bal = balance(legs_frame(panel))
    parts = [imbalance_alerts(bal), divergence_alerts(bal), control_alerts(panel)]
    expected = sorted((k, u, s) for p in parts for k, u, s in
                      zip(p["kind"], p["unit_id"], p["severity"], strict=True))
    out = all_alerts(panel)
    assert sorted(zip(out["kind"], out["unit_id"], out["severity"], strict=True)) == expected
    assert len(out) > 0


def test_all_alerts_is_deterministic_and_row_order_free():
    panel = _null_panel(6)
    shuffled = panel.sample(frac=1.0, random_state=0)
    first, again = all_alerts(panel), all_alerts(shuffled)
    pd.testing.assert_frame_equal(first, again)


def test_all_alerts_uses_only_data_up_to_period():
    panel = _null_panel(7)
    cut = panel[panel["period"] <= "2024-09"]
    pd.testing.assert_frame_equal(all_alerts(panel, period="2024-09"), all_alerts(cut))


def test_all_alerts_on_an_empty_panel():
    out = all_alerts(_null_panel(8).iloc[:0])
    assert out.empty and out.columns.tolist() == list(ALERT_COLUMNS)
