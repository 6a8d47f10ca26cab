"""Every page file runs on its own (Streamlit's legacy router may run it without app.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_directly_on_demo_data(demo_db, page):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60).run()
    assert not at.exception, at.exception
    # the shared guard ran: the sidebar filters exist on every page
    assert at.sidebar.select_slider(key="f_months") is not None


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_directly_on_an_empty_database(tiny_duck, page):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60).run()
    assert not at.exception, at.exception


def test_every_page_calls_the_guard_first():
    for page in PAGES:
        code = [line for line in (ROOT / "pages" / page).read_text().splitlines()
                if line.strip() and not line.startswith(("#", '"""', "import", "from"))]
        assert code[0].startswith("ctx = guard("), f"{page} must start with the guard call"


def test_pages_do_not_import_duckdb():
    for page in PAGES:
        assert "duckdb" not in (ROOT / "pages" / page).read_text(), page
