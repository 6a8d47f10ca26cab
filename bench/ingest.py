"""Ingest: a 1,000,000-row customer CSV through the project's loader, against bare DuckDB
``read_csv`` into a table of a database file and against ``pandas.read_csv`` + DuckDB."""

from __future__ import annotations

import json
import os
import resource
import statistics
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench.common import median_time, report

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))


def make_csv(path: Path, rows: int = ROWS, seed: int = 1) -> Path:
    """A realistic customer export: 2,000 units, one month, items and some comments."""
    rng = np.random.default_rng(seed)
    units = np.array([f"S{i:04d}" for i in range(2000)])
    frame = pd.DataFrame({
        "unit_id": units[rng.integers(0, 2000, rows)],
        "response_date": pd.to_datetime("2026-10-01")
        + pd.to_timedelta(rng.integers(0, 28, rows), unit="D"),
        "response_id": np.char.add("C", np.arange(rows).astype(str)),
        "channel": rng.choice(["in store", "phone", "web"], rows),
        "csat": rng.integers(1, 6, rows),
        "nps": rng.integers(0, 11, rows),
        "complaint": rng.random(rows) < 0.08,
        "resolution_hours": np.where(rng.random(rows) < 0.08,
                                     np.round(rng.lognormal(3, 0.6, rows), 1), np.nan),
        **{f"item:{k}": rng.integers(1, 6, rows) for k in ("courtesy", "speed", "quality",
                                                            "value")},
        "comment": np.where(rng.random(rows) < 0.05, "Friendly staff, slow queue.", ""),
    })
    frame["response_date"] = frame["response_date"].dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)
    return path


MAPPING = {"columns": {c: c for c in ("unit_id", "response_date", "response_id", "channel",
                                      "csat", "nps", "complaint", "resolution_hours",
                                      "comment", "item:courtesy", "item:speed",
                                      "item:quality", "item:value")},
           "scales": {"csat": [1, 5], **{f"item:{k}": [1, 5] for k in
                                         ("courtesy", "speed", "quality", "value")}}}


#: customer_responses columns the floor writes (csat_lo/hi as the scale's constants)
_STORED = ("row_no", "unit_id", "period", "response_date", "response_id", "channel",
           "csat", "csat_lo", "csat_hi", "nps", "complaint", "resolution_hours", "comment")
_ITEMS = ", ".join(f'"item:{k}"' for k in ("courtesy", "speed", "quality", "value"))


def main() -> None:
    from analytics.ingest.mapping import Mapping
    from analytics.ingest.pipeline import ingest_file
    from analytics.store import connect

    with tempfile.TemporaryDirectory(prefix="stool-bench-") as tmp:
        tmp = Path(tmp)
        csv = make_csv(tmp / "customers.csv")
        print(f"ingest: {ROWS:,} rows, {csv.stat().st_size / 1e6:.0f} MB, {os.cpu_count()} cores")
        db = tmp / "bench.duckdb"

        def fresh() -> None:
            for p in tmp.glob("bench.duckdb*"):
                p.unlink()
            (tmp / "archive").exists() and [f.unlink() for f in (tmp / "archive").glob("*")]

        def bare() -> None:
            con = duckdb.connect(str(db))
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv($p)", {"p": str(csv)})
            con.close()

        def with_pandas() -> None:
            frame = pd.read_csv(csv)
            con = duckdb.connect(str(db))
            con.register("frame", frame)
            con.execute("CREATE TABLE t AS SELECT * FROM frame")
            con.close()

        def project() -> None:
            os.environ["STOOL_DB"] = str(db)
            con = connect(db)
            result, _ = ingest_file(con, csv, "customer",
                                    Mapping.from_json(json.dumps(MAPPING)))
            assert result.status == "loaded", result.errors[:3]
            con.close()

        def floor() -> None:
            # the least any loader into the project's schema does: read the file typed
            # (DuckDB's sniffer, no checks), write the responses and the long items
            con = connect(db)
            con.execute("CREATE TEMP TABLE src AS SELECT * FROM read_csv($p)", {"p": str(csv)})
            con.execute(f"INSERT INTO customer_responses (batch_id, {', '.join(_STORED)}) "
                        "SELECT 1, rowid + 1, unit_id, strftime(response_date, '%Y-%m'), "
                        "response_date, response_id, channel, csat, 1.0, 5.0, nps, complaint, "
                        "resolution_hours, comment FROM src")
            con.execute(f"""INSERT INTO customer_items SELECT 1, row_no, substr(k, 6), value
                            FROM (UNPIVOT (SELECT rowid + 1 AS row_no, {_ITEMS} FROM src)
                                  ON {_ITEMS} INTO NAME k VALUE value)""")
            con.close()

        runs = [("bare DuckDB read_csv -> table", bare),
                ("floor: typed read + the 2 stored tables", floor),
                ("pandas.read_csv -> DuckDB table", with_pandas),
                ("project: read, map, validate, load, refresh", project)]
        cpu: list[tuple[str, float]] = []
        rows = [(name, median_time(_cpu_seconds(fn, cpu, name), setup=fresh))
                for name, fn in runs]
        report("Ingest of a customer CSV (wall clock, median of 3)", rows, runs[0][0])
        # CPU seconds of all threads: steadier than wall clock on a shared machine
        report("Same runs, CPU seconds of all threads (median of 3)",
               [(name, statistics.median(t for n, t in cpu if n == name)) for name, _ in runs],
               runs[0][0])


def _cpu_seconds(fn, out: list[tuple[str, float]], name: str):
    """``fn``, appending the process's CPU seconds (user + system, all threads) per call."""
    def timed() -> None:
        before = resource.getrusage(resource.RUSAGE_SELF)
        fn()
        after = resource.getrusage(resource.RUSAGE_SELF)
        out.append((name, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    return timed
