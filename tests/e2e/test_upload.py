"""Upload in a real browser: choose the dataset, drop a file, check, load, see the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.e2e
FILE = Path(__file__).resolve().parents[1] / "data" / "formats" / "qualtrics_3header.csv"


def test_upload_a_survey_export(page, app_server):
    page.goto(f"{app_server}/upload")
    wait_for_app(page)
    page.get_by_text("Employee survey").click()
    wait_for_app(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(FILE))
    page.get_by_text("2 · Check").wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "upload_checked")
    assert page.get_by_test_id("stException").count() == 0
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Loaded batch").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "upload_loaded")
