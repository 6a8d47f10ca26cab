"""The served app and the command line on one database file (issue 16, item 1).

A browser session is open, and browses, while ``python -m analytics ingest`` loads into
the file the app serves: the load lands (exit 0), the pages show no error meanwhile, and
the same session's next run shows the new data, with no restart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from analytics.filters import Filters
from analytics.read import data
from analytics.store import use
from tests.e2e.conftest import ROOT, screenshot, streamlit_server, wait_for_app

pytestmark = pytest.mark.e2e


#: a page run may wait for the load's lock (up to 30 s), then computes for the new data
#: version (minutes on a loaded 2-core machine)
PATIENCE = 300_000


def _go(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.wait_for_timeout(500)  # the rerun has started
    wait_for_app(page, timeout=PATIENCE)


def _caption(page) -> str:
    return page.get_by_test_id("stCaptionContainer").first.inner_text()


def test_cli_load_while_a_browser_session_is_open(page, demo_db_file, tmp_path):
    db = tmp_path / "stool.duckdb"
    shutil.copyfile(demo_db_file, db)
    upload = tmp_path / "u01_october.csv"  # three responses replace U01's October
    upload.write_text("unit_id,response_date,response_id,csat,nps\n"
                      "U01,2026-10-03,E2E-1,5,10\nU01,2026-10-04,E2E-2,4,8\n"
                      "U01,2026-10-05,E2E-3,2,3\n", encoding="utf-8")
    with streamlit_server(tmp_path, {"STOOL_DB": str(db)}) as url:
        page.goto(url)
        wait_for_app(page)
        before = _caption(page)
        assert before.startswith("2026-10 compared with 2026-09 · 40 units")
        load = subprocess.Popen(
            [sys.executable, "-m", "analytics", "ingest", "--kind", "customer", str(upload),
             "--db", str(db)], cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        for title in ("Balance", "Overview", "Balance"):  # browsing meanwhile
            _go(page, title)
            assert page.get_by_test_id("stException").count() == 0
        out, err = load.communicate(timeout=300)
        assert load.returncode == 0, err
        assert out.startswith("loaded: batch 5, 3 rows loaded, 0 rejected")
        _go(page, "Overview")  # the same session's next run
        with use(db) as con:
            now = data.company(con, Filters().with_period("2026-10"))
        after = _caption(page)
        screenshot(page, "overview_after_cli_load")
    assert after != before
    assert after == (f"2026-10 compared with 2026-09 · 40 units · {now['n_customer']:,} "
                     f"customer and {now['n_employee']:,} employee responses")
    assert page.get_by_test_id("stException").count() == 0
