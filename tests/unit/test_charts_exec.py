"""ui.charts_exec: frames in, figures out, with the numbers and words an executive reads."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.read.views import stool_picture
from ui import charts_exec as charts
from ui.theme import ALERT

ROOT = Path(__file__).resolve().parents[2]


def test_charts_do_not_import_streamlit():
    tree = ast.parse((ROOT / "ui" / "charts_exec.py").read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in names if m and m.split(".")[0] == "streamlit"}


def _trend(esat, csat, margin):
    return pd.DataFrame({"period": ["2024-01"], "esat_index": [esat], "csat_pct": [csat],
                         "gross_margin_pct": [margin], "n_employee": [100],
                         "n_customer": [900], "n_units": [10]})


def test_stool_tilts_toward_the_short_leg():
    stool = stool_picture(_trend(63.0, 60.0, 33.0))  # 90%, 75%, 110% of target
    fig = charts.stool_figure(stool)
    assert fig.layout.title.text == "The stool tilts: CSAT is the short leg"
    assert fig.layout.title.subtitle.text == "% of target: ESAT 90% · CSAT 75% · margin 110%"
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.y[0] for t in bars] == [90.0, 75.0, 110.0]
    seat = next(t for t in fig.data if t.name == "seat")
    assert seat.y[1] > seat.y[0]  # rests on ESAT (90) and margin (110): tilted
    gaps = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(g.y0, g.y1) for g in gaps] == [(90.0, 100), (75.0, 100)]


def test_a_level_stool_and_a_stool_with_a_hidden_leg():
    level = charts.stool_figure(stool_picture(_trend(70.0, 80.0, 30.0)))
    assert level.layout.title.text.startswith("The stool stands level")
    seat = next(t for t in level.data if t.name == "seat")
    assert seat.y[0] == seat.y[1]
    hidden = charts.stool_figure(stool_picture(_trend(np.nan, 80.0, 30.0)))
    assert "cannot be shown" in hidden.layout.title.text


def _ranking():
    return pd.DataFrame({
        "unit_id": ["U1", "U2", "U3"], "unit_name": ["One", "Two", "Three"],
        "esat": [70.0, np.nan, 50.0], "csat": [80.0, 60.0, 20.0], "profit": [30.0, 25, 35],
        "revenue": [100.0, 400.0, 900.0], "n_employee": [20, 3, 25],
        "n_customer": [100, 120, 90], "imbalance": [0.5, np.nan, 3.1],
        "weakest_leg": ["esat", None, "csat"], "weakest_leg_label": ["ESAT", None, "CSAT"],
        "out_of_balance": [False, False, True], "alert": [False, False, True],
    })  # fmt: skip


def test_bubbles_carry_the_unit_id_and_ring_the_alerts():
    fig = charts.balance_scatter(_ranking(), {"esat": 70.0, "csat": 80.0, "profit": 30.0})
    trace = fig.data[0]
    assert [row[0] for row in trace.customdata] == ["U1", "U3"]  # U2's ESAT is hidden
    assert list(trace.marker.line.color) == ["white", ALERT]
    assert list(trace.text) == ["", "Three"]
    assert trace.marker.size[1] > trace.marker.size[0]  # bigger revenue, bigger bubble
    assert list(trace.textposition) == ["top left", "top right"]  # names point inwards
    assert "red ring = imbalance alert ·" in fig.layout.title.subtitle.text


def test_a_crowd_names_only_the_most_imbalanced_alerts_and_shrinks_the_bubbles():
    # 200 units, every 5th alerted (40 alerts); unit i's imbalance is i / 100
    n = 200
    crowd = pd.DataFrame({
        "unit_id": [f"U{i}" for i in range(n)], "unit_name": [f"Unit {i}" for i in range(n)],
        "esat": 60.0, "csat": 70.0, "profit": 30.0, "revenue": 100.0, "n_employee": 20,
        "n_customer": 100, "imbalance": [i / 100 for i in range(n)], "weakest_leg": "csat",
        "weakest_leg_label": "CSAT", "out_of_balance": False,
        "alert": [i % 5 == 0 for i in range(n)],
    })  # fmt: skip
    trace = charts.balance_scatter(crowd).data[0]
    named = [t for t in trace.text if t]
    # the 12 alerted units with the largest imbalance: 195, 190, ..., 140
    assert sorted(named) == sorted(f"Unit {i}" for i in range(195, 135, -5))
    assert list(trace.marker.line.color).count(ALERT) == 40  # every alert still ringed
    subtitle = charts.balance_scatter(crowd).layout.title.subtitle.text
    assert "red ring = alert (12 worst of 40 named)" in subtitle
    # equal revenue: full size 42 px at up to 60 units, sqrt(60 / 200) of it here
    assert trace.marker.size[0] == pytest.approx(42 * np.sqrt(60 / 200))
    few = charts.balance_scatter(crowd.head(3)).data[0]
    assert few.marker.size[0] == pytest.approx(42)
    assert list(few.text) == ["Unit 0", "", ""]


def test_ranking_bar_colours_by_weakest_leg_and_marks_alerts():
    fig = charts.imbalance_bar(_ranking(), threshold=2.0)
    by_name = {t.name: t for t in fig.data}
    assert list(by_name["weakest leg: CSAT"].x) == [3.1]
    assert list(by_name["weakest leg: CSAT"].text) == ["3.1 · alert"]
    assert list(by_name["weakest leg: ESAT"].text) == ["0.5"]


def test_imbalance_over_time_counts_units():
    history = pd.DataFrame({"period": ["2024-01", "2024-02"], "n_units": [40, 40],
                            "mean_imbalance": [1.5, 1.6], "n_over": [9, 11],
                            "n_alerts": [1, 3]})
    fig = charts.imbalance_over_time(history, 2.0)
    assert [list(t.y) for t in fig.data] == [[9, 11], [1, 3]]


def _profile(enough):
    k = len(enough)
    return pd.DataFrame({"a": "esat", "b": "csat", "lag": range(k),
                         "r": np.where(enough, 0.3, np.nan), "ci_low": 0.1, "ci_high": 0.5,
                         "n": 100, "n_units": 10, "enough_data": enough})


def test_lag_profile_leaves_out_lags_without_enough_data():
    fig = charts.lag_profile_chart(_profile([True, True, True, False]), best_lag=1)
    assert list(fig.data[0].x) == [0, 1, 2]
    assert "(not enough data at lag 3)" in fig.layout.title.text
    assert fig.data[0].marker.color[1] == charts.INK  # the chain's lag stands out


def test_pair_scatter_title_has_r_ci_and_n_or_says_not_enough_data():
    points = pd.DataFrame({"unit_id": ["U1", "U2"], "unit_name": ["a", "b"],
                           "period": ["2024-01"] * 2, "x": [1.0, 2.0], "y": [2.0, 4.0]})
    stats = {"view": "cross_sectional", "lag": 0, "period": "2024-01", "n": 40, "r": 0.41,
             "ci_low": 0.11, "ci_high": 0.64, "rho": 0.4, "enough_data": True, "slope": 2.0,
             "intercept": 0.0}
    fig = charts.pair_scatter(points, stats, "esat", "csat")
    assert fig.layout.title.text == "r = 0.41 (95% CI 0.11 to 0.64), n = 40 units"
    assert fig.layout.title.subtitle.text.endswith("Spearman ρ = 0.40")
    assert list(fig.data[1].y) == [2.0, 4.0]  # the fitted line
    thin = {**stats, "n": 5, "r": None, "enough_data": False, "slope": None}
    fig = charts.pair_scatter(points, thin, "esat", "csat")
    assert fig.layout.title.text == "Not enough data (n = 5)" and len(fig.data) == 1


def test_published_context_without_enough_data_of_ours():
    evidence = pd.DataFrame({
        "a": ["esat"] * 2, "b": ["csat"] * 2, "source": ["published", "ours"],
        "r": [0.32, np.nan], "ci_low": [np.nan] * 2, "ci_high": [np.nan] * 2, "n": [7939, 5],
        "period": [None, "2024-01"], "enough_data": [True, False],
    })  # fmt: skip
    fig = charts.published_context_chart(evidence)
    notes = [a.text for a in fig.layout.annotations]
    assert "published: r = 0.32, n = 7,939" in notes
    assert "ours: not enough data (n = 5)" in notes
    assert list(fig.data[1].x) == []


def test_unit_control_chart_marks_points_outside_their_limits():
    history = pd.DataFrame({
        "unit_id": "U1", "period": ["2024-01", "2024-02"] * 3,
        "leg": ["esat"] * 2 + ["csat"] * 2 + ["profit"] * 2, "chart": "p",
        "measure": "x", "value": [50.0, 55, 60, 10, 30, 31], "n": [20, 20, 100, 100, None, None],
        "centre": 50.0, "lcl": 20.0, "ucl": 80.0, "in_baseline": [True, False] * 3,
        "outside": [False, False, False, True, False, False],
    })  # fmt: skip
    fig = charts.unit_control_chart(history)
    outside = [t for t in fig.data if t.name == "outside its limits"]
    assert [len(t.x) for t in outside] == [0, 1, 0]
    assert [t.showlegend for t in outside] == [False, True, False]
