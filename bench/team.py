"""A team on one store (issue 16): what the short leases cost a page run.

The app keeps no connection between runs: every run learns the data version (from the
file's signature, or a read-only lease when the file changed) and each cache miss reads
under a lease of its own (ATTACH, read, DETACH). Compared with the one connection the app
used to keep for the life of the process:

- the data version of a run: held connection, a lease, and ``version()`` of an
  unchanged file;
- the reads of an Overview's first run (periods, units, settings, the panel, the KPIs by
  month) each under its own lease, against the same reads on a held connection.

And the team store against the file (``lake`` part; PostgreSQL 15 is started for it as
the tests do, tests/_postgres.py): the command-line load of a 150,000-row customer file,
the report, and a page run's data-version read, as ratios lake / file in one run.

``python -m bench team`` prints medians in milliseconds and ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
REPEAT = 30


def demo_db() -> Path:
    """The 40-unit demo company in bench/out/demo.duckdb, built once."""
    path = OUT / "demo.duckdb"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "analytics", "demo", "--db", str(path)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def _ms(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _page_reads(con) -> None:
    from analytics.filters import Filters
    from analytics.read import data
    from analytics.store import queries

    queries.periods(con)
    queries.units(con)
    settings = data.settings(con)
    data.panel(con, Filters(), settings)
    data.kpis(con, Filters(), settings, by=("period",))


def leases(db: Path) -> list[tuple[str, float]]:
    from analytics.store import connect, queries, use
    from analytics.store.connection import version

    held = connect(db, read_only=True)
    try:
        rows = [("data version, held connection", _ms(lambda: queries.data_version(held)))]
        page_held = _ms(lambda: _page_reads(held), 5)
    finally:
        held.close()

    def leased_version() -> int:
        with use(db) as con:
            return queries.data_version(con)

    def leased_page() -> None:
        from analytics.filters import Filters
        from analytics.read import data
        from analytics.store import queries as q

        for step in (q.periods, q.units):
            with use(db) as con:
                step(con)
        with use(db) as con:
            settings = data.settings(con)
        with use(db) as con:
            data.panel(con, Filters(), settings)
        with use(db) as con:
            data.kpis(con, Filters(), settings, by=("period",))

    rows += [
        ("data version, a lease (attach, read, detach)", _ms(leased_version)),
        ("data version, unchanged file (version())",
         _ms(lambda: version(queries.data_version, db))),
        ("first-run reads, held connection", page_held),
        ("first-run reads, a lease each (5 leases)", _ms(leased_page, 5)),
    ]
    return rows


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analytics", *cmd], check=True, cwd=ROOT,
                   env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


ROOT = Path(__file__).resolve().parents[1]


def lake_vs_file(demo: Path, repeat: int = 3) -> list[tuple[str, float, float]]:
    """(what, file seconds, lake seconds): a CLI load of 150,000 customer rows into a copy
    of the demo, the report, and the data version of a page run (ms)."""
    import shutil
    import tempfile
    from unittest import mock

    import numpy as np
    import pandas as pd

    from analytics.demo import company
    from analytics.store import connect, queries
    from analytics.store.connection import detach_idle, version
    from tests import _postgres

    work = Path(tempfile.mkdtemp(prefix="stool-bench-team-"))
    rng = np.random.default_rng(5)
    big = work / "big.csv"
    n = 150_000
    pd.DataFrame({"unit_id": rng.choice([f"U{i:02d}" for i in range(1, 41)], n),
                  "response_date": "2026-10-09", "response_id": [f"B{i}" for i in range(n)],
                  "csat": rng.integers(1, 6, n), "nps": rng.integers(0, 11, n)}
                 ).to_csv(big, index=False)
    server = _postgres.start()
    try:
        server.create("bench_tpl")
        tpl_data = work / "tpl"
        target_tpl = "ducklake:postgres:" + server.conninfo("bench_tpl")
        with mock.patch.dict(os.environ, {"STOOL_DATA_PATH": str(tpl_data)}):
            con = connect(target_tpl)
            company.build(con)
            con.close()
            detach_idle()
        loads: dict[str, list[float]] = {"file": [], "lake": []}
        reports: dict[str, list[float]] = {"file": [], "lake": []}
        for i in range(repeat):
            db = work / f"f{i}.duckdb"
            shutil.copyfile(demo, db)
            file_env = {"STOOL_DB": str(db), "STOOL_DATA_PATH": ""}
            name, data = f"bench_{i}", work / f"lake{i}"
            server.create(name, "bench_tpl")
            shutil.copytree(tpl_data, data)
            server.set_data_path(name, data)
            lake_env = {"STOOL_DB": "ducklake:postgres:" + server.conninfo(name),
                        "STOOL_DATA_PATH": str(data)}
            for kind, env in (("file", file_env), ("lake", lake_env)):
                loads[kind].append(_timed(["ingest", "--kind", "customer", str(big)], env))
                reports[kind].append(_timed(["report", "--format", "json"], env))
        with mock.patch.dict(os.environ, lake_env):
            lake_ms = _ms(lambda: version(queries.data_version))
            detach_idle()
        file_ms = _ms(lambda: version(queries.data_version, db))

        def changed() -> int:  # the file after a load: a lease reads the version
            from analytics.store import use

            with use(db) as c:
                return queries.data_version(c)

        file_changed = _ms(changed)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    return [
        ("CLI load of 150,000 customer rows (s)", med(loads["file"]), med(loads["lake"])),
        ("CLI report --format json (s)", med(reports["file"]), med(reports["lake"])),
        ("page run's data version, unchanged (ms)", file_ms, lake_ms),
        ("page run's data version, after a load (ms)", file_changed, lake_ms),
    ]


def main(flags: list[str] | None = None) -> None:
    db = Path(os.environ.get("STOOL_BENCH_DB") or demo_db())
    print(f"team: short leases on {db} ({db.stat().st_size / 1e6:,.1f} MB), "
          f"{os.cpu_count()} cores, median of {REPEAT} (page reads: of 5)")
    rows = leases(db)
    base = rows[0][1]
    print(f"{'':52} {'median ms':>10} {'ratio':>8}")
    for name, ms in rows:
        print(f"{name:52} {ms:10.2f} {ms / base:7.1f}x")
    extra = rows[4][1] - rows[3][1]
    print(f"a page run's added cost: {rows[1][1]:.1f} ms when the data changed, "
          f"{rows[2][1]:.3f} ms when it did not; a first run's reads {extra:+.1f} ms")
    if "--no-lake" in (flags or []):
        return
    print("\nlake (DuckLake on PostgreSQL 15, Parquet in a local folder) vs file, "
          "median of --repeat=N runs, default 3 (CLI: with interpreter start and the warm-up "
          "after a load)")
    print(f"{'':46} {'file':>9} {'lake':>9} {'lake/file':>10}")
    repeat = next((int(f.split("=")[1]) for f in flags or [] if f.startswith("--repeat=")), 3)
    for name, f, lk in lake_vs_file(db, repeat):
        print(f"{name:46} {f:9.3f} {lk:9.3f} {lk / f:9.2f}x")
