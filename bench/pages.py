"""Pages on the large demo (2,000 units, 60 months, ~10M customer responses): each page
file run through ``AppTest``, cold and warm (second run), against the page's main
aggregate run directly with DuckDB on the same file.

Cold is the issue's "first run after a load" in a fresh process: ``st.cache_data``,
``st.cache_resource`` and the table-set memo (``published.clear``) are cleared
before each cold run; the results kept per data version on disk beside the database
(``<db>.kept/``, written by :func:`analytics.read.warmup.warm_up` right after every load) are
NOT cleared, since a load writes them before any page runs. The warm-up's own time (part
of what a load costs) is measured first: the kept results deleted, then one warm-up,
median of ``BENCH_REPEAT``. "fresh" is the page's first run in a new Python process that
has imported Streamlit (as a server has) but not the page's modules: cold plus the
imports (statsmodels and scipy take about 2 s), which the cold median leaves out."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import duckdb

from bench.common import median_time

ROOT = Path(__file__).resolve().parents[1]
LARGE_DB = Path(os.environ.get("BENCH_LARGE_DB", ROOT / "bench" / "out" / "large.duckdb"))
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))
WARM_TARGET, COLD_TARGET = 0.3, 2.0
#: units and financials, then employee and customer files of 6 months each over 60 months
EXPECTED_BATCHES = 2 + 2 * 10

_LEGS = "unit_id, period, esat_index, csat_pct, gross_margin_pct"
_LATEST = "(SELECT max(period) FROM unit_month)"
#: the bare-DuckDB stand-in for each page's main read (fetched as a DataFrame, as pages do)
BASELINES = {
    "overview.py": """SELECT period, sum(n_employee * esat_index) / sum(n_employee),
                             sum(csat_sat_n) * 100.0 / sum(n_customer),
                             sum(gross_profit) * 100.0 / sum(revenue)
                      FROM unit_month GROUP BY period ORDER BY period""",
    "balance.py": f"SELECT {_LEGS} FROM unit_month WHERE period = {_LATEST}",
    "unit.py": "SELECT * FROM unit_month WHERE unit_id = 'U07' ORDER BY period",
    "links.py": f"SELECT {_LEGS} FROM unit_month ORDER BY unit_id, period",
    "people.py": """SELECT department, avg(esat), avg(enps), count(*)
                    FROM employee_responses GROUP BY department""",
    "customers.py": """SELECT period, avg((csat >= 4)::INT) * 100, avg(nps), count(*)
                       FROM customer_responses GROUP BY period ORDER BY period""",
    "upload.py": "SELECT * FROM batches ORDER BY batch_id",
    "data.py": """SELECT period, count(*), count(esat_index), count(csat_pct)
                  FROM unit_month GROUP BY period ORDER BY period""",
}


def large_db() -> Path:
    """The large demo database, built once into bench/out/ and reused when present."""
    if LARGE_DB.exists():
        con = duckdb.connect(str(LARGE_DB), read_only=True)
        try:
            n = con.execute("SELECT count(*) FROM batches WHERE is_demo "
                            "AND status = 'loaded'").fetchone()[0]
        finally:
            con.close()
        if n < EXPECTED_BATCHES:
            raise RuntimeError(f"{LARGE_DB} holds {n} of {EXPECTED_BATCHES} demo batches "
                               "(an interrupted build?); delete it and run again")
        return LARGE_DB
    from analytics.__main__ import main

    start = time.perf_counter()
    if main(["demo", "--scale", "large", "--db", str(LARGE_DB)]) != 0:
        raise RuntimeError("the large demo did not build")
    print(f"built {LARGE_DB} in {time.perf_counter() - start:.0f} s, "
          f"{LARGE_DB.stat().st_size / 1e6:,.0f} MB")
    return LARGE_DB


def _pages() -> list[str]:
    """Every page of the navigation, or those named in ``BENCH_PAGES`` (comma-separated)."""
    from ui.navigation import LAYOUT, PAGES_DIR

    wanted = [p.strip() for p in os.environ.get("BENCH_PAGES", "").split(",") if p.strip()]
    return [file for _s, file, _t, _i in LAYOUT if (PAGES_DIR / file).exists()
            and (not wanted or file in wanted or file.removesuffix(".py") in wanted)]


def baselines(db: Path, pages: list[str]) -> dict[str, float]:
    """Median time of each page's main aggregate with a plain DuckDB connection."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {p: median_time(lambda sql=BASELINES[p]: con.execute(sql).df(), REPEAT)
                for p in pages}
    finally:
        con.close()


def time_page(page: str) -> tuple[float, float, str | None]:
    """Median cold and warm run of one page file, and the first exception seen."""
    import streamlit as st
    from streamlit.logger import set_log_level
    from streamlit.testing.v1 import AppTest

    from analytics.read import published
    from ui.navigation import PAGES_DIR

    set_log_level("error")  # "No runtime found" on every bare run
    cold, warm, error = [], [], None
    for _ in range(REPEAT):
        st.cache_data.clear()
        st.cache_resource.clear()
        published.clear()  # the table set held per data version: cold too
        at = AppTest.from_file(str(PAGES_DIR / page), default_timeout=600)
        for times in (cold, warm):
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            if at.exception and error is None:
                error = str(at.exception[0].message)[:200]
    return statistics.median(cold), statistics.median(warm), error


def time_warm_up(db: Path) -> tuple[float, str]:
    """Median time of the warm-up after a load (nothing kept before it), and its report."""
    import shutil

    from analytics.read import warmup
    from analytics.store import connect, kept

    con = connect(db)
    try:
        folder, line = kept.folder(con), ""

        def run() -> None:
            nonlocal line
            line = warmup.warm_up(con).line()

        seconds = median_time(run, REPEAT, setup=lambda: shutil.rmtree(folder, True))
    finally:
        con.close()
    return seconds, line


#: one page's first run in a new process; Streamlit is imported before the clock starts
_FRESH = """
import sys, time
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest
set_log_level("error")
at = AppTest.from_file(sys.argv[1], default_timeout=600)
start = time.perf_counter()
at.run()
print(time.perf_counter() - start)
if at.exception:
    sys.exit(f"exception: {at.exception[0].message}")
"""


def time_fresh(db: Path, page: str) -> float:
    """Median time of the page's first run in a new process (imports included)."""
    import subprocess
    import sys

    from ui.navigation import PAGES_DIR

    def once() -> float:
        out = subprocess.run([sys.executable, "-c", _FRESH, str(PAGES_DIR / page)], cwd=ROOT,
                             env={**os.environ, "STOOL_DB": str(db)}, capture_output=True,
                             text=True, check=True, timeout=600)
        return float(out.stdout.strip().splitlines()[-1])

    return statistics.median(once() for _ in range(REPEAT))


def main() -> None:
    db = large_db()
    print(f"pages: {db} ({db.stat().st_size / 1e6:,.0f} MB), {os.cpu_count()} cores, "
          f"median of {REPEAT}")
    pages = _pages()
    base = baselines(db, pages)
    seconds, line = time_warm_up(db)
    print(f"warm-up after a load (default selection's results kept per data version): "
          f"{seconds:.2f} s, median of {REPEAT} ({line})")
    print("cold = first run with st.cache_data, st.cache_resource and the employee-cells "
          "memo cleared; the results kept on disk for this data version are NOT cleared "
          "(a fresh process after a load, whose warm-up wrote them)")
    fresh = {p: time_fresh(db, p) for p in pages}  # before this process opens the file
    os.environ["STOOL_DB"] = str(db)
    time_page("upload.py")  # untimed: imports and the first script run of the process
    rows = [(p, *time_page(p), base[p]) for p in pages]
    print(f"\nPages on the large demo (median of {REPEAT}; targets warm <= {WARM_TARGET} s, "
          f"cold <= {COLD_TARGET} s)")
    print(f"{'page':14} {'cold s':>8} {'warm s':>8} {'fresh s':>8} {'bare s':>8} "
          f"{'warm/bare':>10}  targets")
    for page, cold, warm, error, bare in rows:
        met = ("warm ok" if warm <= WARM_TARGET else "warm MISSED") + ", " + (
            "cold ok" if cold <= COLD_TARGET else "cold MISSED") + (
            "" if fresh[page] <= COLD_TARGET else " (fresh process over 2 s)")
        print(f"{page:14} {cold:8.2f} {warm:8.2f} {fresh[page]:8.2f} {bare:8.3f} "
              f"{warm / bare:9.0f}x  {met}"
              + (f"  EXCEPTION: {error}" if error else ""))
