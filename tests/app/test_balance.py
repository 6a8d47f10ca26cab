"""The Balance page through AppTest: its ranking is the analytics' ranking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters
from analytics.metrics.balance import balance, legs_frame
from analytics.read import data, views
from tests.app.exec_fixtures import thin_db  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
ALL_MONTHS = Filters("2024-11", "2026-10")
SELECTION = {"selection": {"points": [{"customdata": ["U07", "Sunderland Store"]}],
                           "point_indices": [0], "box": [], "lasso": []}}


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "balance.py"), default_timeout=60)


def _expected(con, filters: Filters):
    s = data.settings(con)
    bal = balance(legs_frame(data.panel(con, filters, s), s))
    latest = bal[bal["period"] == bal["period"].max()].dropna(subset=["imbalance"])
    return latest.sort_values("imbalance", ascending=False)


def test_ranking_is_the_analytics_ranking(demo_db):
    at = _page().run()
    assert not at.exception
    shown = at.dataframe[0].value
    expected = _expected(demo_db, ALL_MONTHS)
    assert shown["unit_id"].head(10).tolist() == expected["unit_id"].head(10).tolist()
    np.testing.assert_allclose(shown["imbalance"].head(10), expected["imbalance"].head(10))
    # the demo's three planted problems lead the ranking, each with its weakest leg named
    top = dict(zip(shown["unit_id"].head(3), shown["weakest_leg_label"].head(3), strict=True))
    assert top == {"U19": "ESAT", "U07": "CSAT", "U33": "ESAT"}
    assert shown.loc[shown["unit_id"].isin(["U19", "U07", "U33"]), "alert"].all()


def test_region_filter_changes_the_ranking(demo_db):
    at = _page().run()
    at.sidebar.multiselect(key="f_region").select("North").run()
    assert not at.exception
    shown = at.dataframe[0].value
    expected = _expected(demo_db, Filters("2024-11", "2026-10", regions=("North",)))
    assert len(shown) == 8
    assert shown["unit_id"].tolist() == expected["unit_id"].tolist()
    np.testing.assert_allclose(shown["imbalance"], expected["imbalance"])


def test_stool_names_the_short_leg(demo_db):
    at = _page().run()
    trend = data.kpis(demo_db, ALL_MONTHS, by=("period",))
    stool = views.stool_picture(trend, data.settings(demo_db))
    shortest = stool.loc[stool["shortest"], "label"].iloc[0]
    titles = [json.loads(el.proto.spec)["layout"]["title"]["text"]
              for el in at.get("plotly_chart")]
    assert f"The stool tilts: {shortest} is the short leg" in titles
    spec = next(json.loads(el.proto.spec) for el in at.get("plotly_chart")
                if json.loads(el.proto.spec)["layout"]["title"]["text"].startswith("The stool"))
    heights = [t["y"][0] for t in spec["data"] if t["type"] == "bar"]
    np.testing.assert_allclose(heights, stool["pct_of_target"])


def test_clicking_a_bubble_opens_unit_detail(demo_db):
    at = _page().run()
    scatter = next(json.loads(el.proto.spec) for el in at.get("plotly_chart")
                   if "ESAT and CSAT" in json.loads(el.proto.spec)["layout"]["title"]["text"])
    assert {row[0] for row in scatter["data"][0]["customdata"]} == {f"U{i:02d}"
                                                                      for i in range(1, 41)}
    at.session_state["balance_scatter"] = SELECTION
    at.run()
    assert not at.exception
    assert at.title[0].value == "Unit detail"
    assert at.selectbox(key="unit_id").value == "U07"
    assert at.query_params["unit_id"] in ("U07", ["U07"])


def test_choosing_a_unit_in_the_list_opens_it(demo_db):
    at = _page().run()
    at.selectbox(key="balance_unit").select("U33").run()
    assert not at.exception
    assert at.title[0].value == "Unit detail"
    assert at.selectbox(key="unit_id").value == "U33"


def test_without_unit_detail_in_the_navigation_the_click_says_where_to_go(demo_db, monkeypatch):
    from ui import navigation

    monkeypatch.setattr(navigation, "LAYOUT",
                        [row for row in navigation.LAYOUT if row[1] != "unit.py"])
    at = _page().run()
    at.session_state["balance_scatter"] = SELECTION
    at.run()
    assert not at.exception
    assert at.title[0].value == "Balance of the three legs"
    assert at.session_state["unit_id"] == "U07"
    assert at.query_params["unit_id"] in ("U07", ["U07"])
    assert any("Unit detail" in i.value for i in at.info)


@pytest.mark.usefixtures("thin_db")
def test_thin_data_says_not_enough_data():
    at = _page().run()
    assert not at.exception
    assert any("Not enough data" in i.value for i in at.info)
    assert len(at.dataframe) == 0  # no ranking of numbers that are not there
    assert not [el for el in at.get("plotly_chart")
                if "largest imbalance" in json.loads(el.proto.spec)["layout"]["title"]["text"]]
