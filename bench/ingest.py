"""Ingest: a 1,000,000-row customer CSV through the project's loader, against bare DuckDB
``read_csv`` into a table of a database file and against ``pandas.read_csv`` + DuckDB."""

from __future__ import annotations

import json
import os
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

        rows = [
            ("bare DuckDB read_csv -> table", median_time(bare, setup=fresh)),
            ("pandas.read_csv -> DuckDB table", median_time(with_pandas, setup=fresh)),
            ("project: read, map, validate, load, refresh",
             median_time(project, setup=fresh)),
        ]
        report("Ingest of a customer CSV (median of 3)", rows, "bare DuckDB read_csv -> table")
