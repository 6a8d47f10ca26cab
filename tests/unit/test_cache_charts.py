"""ui.cache_charts: a cached figure is the same figure, built once per distinct input."""

from __future__ import annotations

import json

import pandas as pd
import plotly.io as pio
import pytest
import streamlit as st

from analytics.read.views import stool_picture
from ui import cache_charts
from ui import charts_exec as charts


@pytest.fixture(autouse=True)
def _clear():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _trend(esat: float) -> pd.DataFrame:
    return pd.DataFrame({"period": ["2024-01"], "esat_index": [esat], "csat_pct": [60.0],
                         "gross_margin_pct": [33.0], "n_employee": [100],
                         "n_customer": [900], "n_units": [10]})


def test_cached_figure_has_the_same_spec_as_the_builder():
    stool = stool_picture(_trend(63.0))
    direct = json.loads(pio.to_json(charts.stool_figure(stool), validate=False))
    cached = cache_charts.figure(charts.stool_figure, stool)
    assert json.loads(pio.to_json(cached, validate=False)) == direct
    assert cached.layout.title.text == "The stool tilts: CSAT is the short leg"


def test_builder_runs_once_per_distinct_input(monkeypatch):
    calls = []
    real = charts.stool_figure

    def counting(stool, *args):
        calls.append(stool["pct_of_target"].tolist() if "pct_of_target" in stool else 1)
        return real(stool, *args)

    monkeypatch.setattr(charts, "stool_figure", counting)
    counting.__module__, counting.__qualname__ = real.__module__, real.__qualname__
    a, b = stool_picture(_trend(63.0)), stool_picture(_trend(70.0))
    cache_charts.figure(counting, a)
    cache_charts.figure(counting, a)
    assert len(calls) == 1
    third = cache_charts.figure(counting, b)
    assert len(calls) == 2
    assert [t.y[0] for t in third.data if t.type == "bar"][0] == 100.0  # 70 of target 70
