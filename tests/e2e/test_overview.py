"""The overview in a real browser: it renders numbers, charts and no error."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_overview_renders_kpis_and_chart(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0
    metrics = page.get_by_test_id("stMetricValue")
    assert metrics.count() >= 3
    assert all(any(ch.isdigit() for ch in metrics.nth(i).inner_text()) for i in range(3))
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 1
    screenshot(page, "overview")
