"""The overview through AppTest: the numbers on the page are the analytics' numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters
from analytics.read import data

ROOT = Path(__file__).resolve().parents[2]


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def test_app_shows_kpi_cards_equal_to_analytics(demo_db):
    at = _app().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["ESAT index", "CSAT %", "Gross margin %"]
    latest = max(data.kpis(demo_db, by=("period",)).period)
    company = data.company(demo_db, Filters().with_period(latest))
    shown = {m.label: m.value for m in at.metric}
    assert shown["ESAT index"] == f"{company['esat_index']:.1f}"
    assert shown["CSAT %"] == f"{company['csat_pct']:.1f}"
    assert shown["Gross margin %"] == f"{company['gross_margin_pct']:.1f}"


def test_region_filter_changes_the_numbers(demo_db):
    at = _app().run()
    before = {m.label: m.value for m in at.metric}
    at.sidebar.multiselect(key="f_region").select("North").run()
    assert not at.exception
    after = {m.label: m.value for m in at.metric}
    assert after["CSAT %"] != before["CSAT %"]
    north = data.company(demo_db, Filters(period_to="2026-10", period_from="2026-10",
                                          regions=("North",)))
    assert after["CSAT %"] == f"{north['csat_pct']:.1f}"
    assert at.query_params["region"] in ("North", ["North"])


def test_empty_database_says_what_to_upload(tiny_duck):
    at = _app().run()
    assert not at.exception
    assert any("No data yet" in i.value for i in at.info)


def test_demo_notice_and_removal(demo_db):
    at = _app().run()
    assert any("demo data" in i.value for i in at.sidebar.info)
    at.sidebar.button(key="remove_demo").click().run()
    assert not at.exception
    assert any("No data yet" in i.value for i in at.info)


@pytest.mark.parametrize("region", ["North", "South"])
def test_url_filters_restore_a_shared_view(demo_db, region):
    at = _app()
    at.query_params["region"] = region
    at.run()
    assert at.sidebar.multiselect(key="f_region").value == [region]


def test_summary_and_alerts_follow_the_analytics(demo_db):
    from analytics.metrics import alerts
    from analytics.read.summary import plain_summary

    at = _app().run()
    panel = data.panel(demo_db)
    found = alerts.all_alerts(panel, period="2026-10")
    assert plain_summary(panel, found, period="2026-10") in [t.value for t in at.text]
    shown = [t.value for t in at.text]
    assert found.message.iloc[0] in shown  # most serious first
    at.button(key="alert_0").click().run()
    assert not at.exception
    assert at.session_state["unit_id"] == found.unit_id.iloc[0]
