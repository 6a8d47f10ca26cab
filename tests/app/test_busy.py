"""A page while another process writes the database (issue 16, item 1): the reader waits
``STOOL_LOCK_WAIT`` and then says so, never a traceback; the next run after the writer
is gone shows the page, with the other process's load in it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.navigation import BUSY

ROOT = Path(__file__).resolve().parents[2]
_HOLD = ("import duckdb, sys, time\n"
         "con = duckdb.connect(sys.argv[1])\n"
         "print('held', flush=True)\n"
         "time.sleep(60)\n")


def test_page_says_a_load_is_being_written_and_comes_back(demo_db_file, tmp_path, monkeypatch):
    db = tmp_path / "busy.duckdb"
    shutil.copyfile(demo_db_file, db)
    monkeypatch.setenv("STOOL_DB", str(db))
    monkeypatch.setenv("STOOL_LOCK_WAIT", "0.5")
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception
        assert [i.value for i in at.info] == [BUSY]
        assert len(at.metric) == 0
    finally:
        holder.kill()
        holder.wait()
    at.switch_page("pages/data.py").run(timeout=180)  # the lightest page to compute
    assert not at.exception
    assert BUSY not in [i.value for i in at.info]
    assert [t.value for t in at.title] == ["Data and settings"]
