"""Every page in a real browser: no error, charts drawn; a filter; an alert to its unit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.e2e
PAGES = ["", "balance", "unit", "links", "people", "customers", "upload", "data"]


def _no_errors(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0


@pytest.mark.parametrize("name", PAGES, ids=lambda p: p or "overview")
def test_page_renders(page, app_server, name):
    page.goto(f"{app_server}/{name}")
    wait_for_app(page)
    _no_errors(page)
    charts = page.locator(".js-plotly-plot")
    if name not in ("upload", "data"):
        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
        assert charts.count() >= 1
        for i in range(charts.count()):  # each chart drew something
            assert charts.nth(i).locator(".main-svg").count() >= 1
    screenshot(page, f"page_{name or 'overview'}")


def test_filter_changes_the_view_and_the_url(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    before = page.get_by_test_id("stMetricValue").nth(1).inner_text()
    region = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has_text="Region")
    region.locator("input").click()
    page.get_by_role("option", name="North").click()
    page.keyboard.press("Escape")
    wait_for_app(page)
    page.wait_for_function("() => location.search.includes('region=North')")
    # the URL changes as the rerun starts, the figures when it has drawn: wait for them
    expect(page.get_by_test_id("stMetricValue").nth(1)).not_to_have_text(before,
                                                                         timeout=30_000)
    wait_for_app(page)
    _no_errors(page)
    screenshot(page, "overview_north")


def test_alert_opens_its_unit(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    page.locator(".st-key-alert_0 button").first.click()
    page.wait_for_url("**/unit**", timeout=30_000)
    wait_for_app(page)
    _no_errors(page)
    assert "unit_id=" in page.url
    screenshot(page, "unit_from_alert")
