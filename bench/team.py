"""A team on one store (issue 16): what the short leases cost a page run.

The app keeps no connection between runs: every run learns the data version (from the
file's signature, or a read-only lease when the file changed) and each cache miss reads
under a lease of its own (ATTACH, read, DETACH). Compared with the one connection the app
used to keep for the life of the process:

- the data version of a run: held connection, a lease, and ``version()`` of an
  unchanged file;
- the reads of an Overview's first run (periods, units, settings, the panel, the KPIs by
  month) each under its own lease, against the same reads on a held connection.

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
