"""Memory of the app serving the large demo: peak RSS (VmHWM) of the ``streamlit run``
process while headless Chromium opens every page, against a bare DuckDB process running
the overview's main aggregate; and the database file size per million responses.

``python -m bench memory`` runs the app with DuckDB's settings as configured in
``analytics.store.connection``; ``BENCH_MEMORY_SETTINGS`` (e.g.
``"default;memory_limit=1GB;threads=1"``) compares several, each in its own server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import duckdb

from bench.pages import BASELINES, large_db
from bench.server import (
    CHROMIUM_ARGS,
    PAGE_PATHS,
    chromium,
    page_errors,
    proc_status,
    served_copy,
    wait_idle,
)

TARGET_GB = 1.5
GB = 1024 ** 3

_BARE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute(sys.argv[2]).df()
for line in open('/proc/self/status'):
    if line.startswith('VmHWM:'):
        print(int(line.split()[1]) * 1024)
"""


def bare_peak(db) -> int:
    """Peak RSS of a plain Python + DuckDB process running the overview's aggregate."""
    out = subprocess.run([sys.executable, "-c", _BARE, str(db), BASELINES["overview.py"]],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def _env(spec: str) -> dict[str, str]:
    """``"memory_limit=1GB,threads=1"`` -> the environment variables of connection.py."""
    env = {}
    for item in filter(None, spec.split(",")):
        if item == "default":
            continue
        name, _, value = item.partition("=")
        env[f"STOOL_DUCKDB_{name.strip().upper()}"] = value.strip()
    return env


def serve_and_browse(db, spec: str = "default") -> dict:
    """Open every page once in one browser tab; RSS after each page and the peak."""
    from playwright.sync_api import sync_playwright

    steps = []
    with served_copy(db, _env(spec)) as (url, pid), sync_playwright() as pw:
        start_rss = proc_status(pid)["VmRSS"]
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        errors = 0
        for path in PAGE_PATHS:
            t0 = time.perf_counter()
            page.goto(f"{url}/{path}")
            wait_idle(page, path)
            seconds = time.perf_counter() - t0
            errors += page_errors(page)
            steps.append((path or "overview", seconds, proc_status(pid)["VmRSS"]))
        browser.close()
        status = proc_status(pid)
    return {"spec": spec, "start": start_rss, "steps": steps, "peak": status["VmHWM"],
            "end": status["VmRSS"], "errors": errors}


def file_size_per_million(db) -> tuple[int, int, float]:
    """(customer + employee responses, file bytes, MB per million responses)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute("SELECT (SELECT count(*) FROM customer_responses)"
                        " + (SELECT count(*) FROM employee_responses)").fetchone()[0]
    finally:
        con.close()
    size = db.stat().st_size
    return n, size, size / 1e6 / (n / 1e6)


def main() -> None:
    db = large_db()
    specs = os.environ.get("BENCH_MEMORY_SETTINGS", "default").split(";")
    print(f"memory: {db} ({db.stat().st_size / 1e6:,.0f} MB), {os.cpu_count()} cores")
    bare = bare_peak(db)
    results = [serve_and_browse(db, spec) for spec in specs]
    print(f"\nbare DuckDB process, overview aggregate: peak RSS {bare / GB:.2f} GB")
    for r in results:
        print(f"\napp server ({r['spec']}): RSS at start {r['start'] / GB:.2f} GB")
        for name, seconds, rss in r["steps"]:
            print(f"  after {name:10} {seconds:6.1f} s  RSS {rss / GB:5.2f} GB")
        met = "met" if r["peak"] <= TARGET_GB * GB else "MISSED"
        print(f"  peak RSS {r['peak'] / GB:.2f} GB ({r['peak'] / bare:.1f}x bare), "
              f"at the end {r['end'] / GB:.2f} GB; target <= {TARGET_GB} GB {met}; "
              f"errors on pages: {r['errors']}")
    n, size, per_m = file_size_per_million(db)
    print(f"\ndatabase file: {size / 1e6:,.0f} MB for {n / 1e6:.2f}M responses "
          f"(customer + employee) = {per_m:.1f} MB per million responses")
