"""Analytics on the large demo panel (2,000 units × 60 months): relationships, the chain
estimate and the alerts, each on the panel already read, beside the time to read it."""

from __future__ import annotations

import os

import duckdb

from bench.common import median_time
from bench.pages import large_db

REPEAT = 3
TARGET = 2.0


def main() -> None:
    from analytics.metrics import alerts, balance, chain, relationships
    from analytics.read import data
    from analytics.store import connect

    db = large_db()
    print(f"analytics: {db} ({db.stat().st_size / 1e6:,.0f} MB), {os.cpu_count()} cores, "
          f"median of {REPEAT}")
    bare = duckdb.connect(str(db), read_only=True)
    bare_read = median_time(lambda: bare.execute("SELECT * FROM unit_month").df(), REPEAT)
    bare.close()

    con = connect(db, read_only=True)
    try:
        panel = data.panel(con)
        read = median_time(lambda: data.panel(con), REPEAT)
    finally:
        con.close()
    legs = balance.legs_frame(panel)
    print(f"panel: {len(panel):,} unit-months, {panel.unit_id.nunique():,} units, "
          f"{panel.period.nunique()} months")
    rows = [
        ("bare DuckDB: unit_month -> DataFrame", bare_read, None),
        ("data.panel (read + privacy)", read, None),
        ("balance.legs_frame", median_time(lambda: balance.legs_frame(panel), REPEAT), None),
        ("relationships.relationships", median_time(
            lambda: relationships.relationships(legs), REPEAT), TARGET),
        ("chain.chain_estimate", median_time(lambda: chain.chain_estimate(legs), REPEAT),
         TARGET),
        ("alerts.all_alerts", median_time(lambda: alerts.all_alerts(panel), REPEAT), TARGET),
    ]
    print(f"\nAnalytics on the large panel (median of {REPEAT}, no caches; target "
          f"<= {TARGET} s each)")
    print(f"{'':40} {'median s':>9} {'/ panel read':>13}  target")
    for name, t, target in rows:
        verdict = "" if target is None else ("met" if t <= target else "MISSED")
        print(f"{name:40} {t:9.2f} {t / read:12.1f}x  {verdict}")
