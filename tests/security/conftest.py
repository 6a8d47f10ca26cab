"""A small company with small groups, loaded through the real upload engine.

Six units in two regions and two divisions, four months, three departments:

- **Admin** is a department of 3 (all in U2, every month);
- **U6** is a unit of 4 employees (2 Sales, 2 Warehouse, every month);
- **2026-06** is a pilot month with 2 employee respondents (both in U1 Sales);
- the other unit-months have 11-14 respondents;
- employee comments: U1 writes 12 a month, U3 11 (groups above 10), U2 4 and the others
  1-2 (below 10); customers comment freely (no threshold).

Everything else (customers, financials) is ordinary, so that every page has something to
show. The CSV files are written to a temporary folder and loaded with
:func:`analytics.ingest.pipeline.ingest_file`, as the command line and the Upload page do.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.ingest.mapping import Mapping
from analytics.ingest.pipeline import ingest_file

MONTHS = ("2026-06", "2026-07", "2026-08", "2026-09")
UNITS = pd.DataFrame({
    "unit_id": ["U1", "U2", "U3", "U4", "U5", "U6"],
    "unit_name": ["Leeds", "York", "Hull", "Bath", "Wells", "Truro"],
    "region": ["North", "North", "North", "South", "South", "South"],
    "division": ["Retail", "Retail", "Service", "Retail", "Service", "Service"],
    "headcount": [16, 16, 14, 14, 13, 5],
})
DEPARTMENTS = ("Sales", "Warehouse", "Admin")
#: respondents per unit and department in each month from 2026-07 on
STAFF = {"U1": {"Sales": 8, "Warehouse": 6}, "U2": {"Sales": 6, "Warehouse": 5, "Admin": 3},
         "U3": {"Sales": 7, "Warehouse": 5}, "U4": {"Sales": 6, "Warehouse": 6},
         "U5": {"Sales": 5, "Warehouse": 6}, "U6": {"Sales": 2, "Warehouse": 2}}
PILOT = {"U1": {"Sales": 2}}  # 2026-06: two respondents in the whole company
#: employee comments per unit and month (the first respondents of the unit write one)
COMMENTS = {"U1": 12, "U2": 4, "U3": 11, "U4": 2, "U5": 1, "U6": 2}
WORDS = ("Workload is heavy on the late shift.", "Good training this quarter.",
         "Tools break and nobody fixes them.", "My manager listens.",
         "Too few people on the floor.", "Recognition would help.")
MIN_N, MIN_COMMENTS = 5, 10


def employee_frame(seed: int = 11) -> pd.DataFrame:
    """One row per employee response, with a respondent id that says where it sits."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in MONTHS:
        staff = PILOT if month == MONTHS[0] else STAFF
        for unit, depts in staff.items():
            k = 0
            for dept, n in depts.items():
                for i in range(n):
                    comment = WORDS[(k + i) % len(WORDS)] if (
                        month != MONTHS[0] and k < COMMENTS[unit]) else ""
                    rows.append({
                        "unit_id": unit, "response_date": f"{month}-{10 + i:02d}",
                        "respondent_id": f"E-{unit}-{dept}-{month}-{i}", "department": dept,
                        "esat": int(rng.integers(1, 6)), "enps": int(rng.integers(0, 11)),
                        "item:tools": int(rng.integers(1, 6)),
                        "item:training": int(rng.integers(1, 6)), "comment": comment})
                    k += 1
    return pd.DataFrame(rows)


def customer_frame(seed: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for month in MONTHS:
        for unit in UNITS.unit_id:
            for i in range(15):
                complaint = bool(i % 7 == 0)
                rows.append({
                    "unit_id": unit, "response_date": f"{month}-{10 + i:02d}",
                    "response_id": f"C-{unit}-{month}-{i}", "channel": "in store",
                    "csat": int(rng.integers(2, 6)), "nps": int(rng.integers(3, 11)),
                    "complaint": complaint, "resolved": complaint,
                    "resolution_hours": float(rng.integers(2, 48)) if complaint else None,
                    "item:courtesy": int(rng.integers(1, 6)),
                    "item:speed": int(rng.integers(1, 6)),
                    "comment": "Friendly staff" if i % 3 == 0 else ""})
    return pd.DataFrame(rows)


def financials_frame(seed: int = 13) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [{"unit_id": u, "period": m, "revenue": float(rng.integers(200_000, 400_000)),
             "cost_of_sales": float(rng.integers(120_000, 190_000)), "headcount": h}
            for m in MONTHS for u, h in zip(UNITS.unit_id, UNITS.headcount, strict=True)]
    return pd.DataFrame(rows)


def _mapping(frame: pd.DataFrame, dataset: str) -> Mapping:
    scales = {c: [1, 5] for c in frame.columns if c.startswith("item:")}
    if dataset in ("employee", "customer"):
        scales["esat" if dataset == "employee" else "csat"] = [1, 5]
    return Mapping.from_json(json.dumps({"columns": {c: c for c in frame.columns},
                                         "scales": scales, "date_format": "%Y-%m-%d"}))


def frames() -> dict[str, pd.DataFrame]:
    return {"units": UNITS, "employee": employee_frame(), "customer": customer_frame(),
            "financials": financials_frame()}


@pytest.fixture(scope="session")
def small_db_file(tmp_path_factory) -> Path:
    """The small company as a database file, built once per session."""
    from analytics.store import connect

    folder = tmp_path_factory.mktemp("security")
    path = folder / "small.duckdb"
    con = connect(path)
    for dataset, frame in frames().items():
        csv = folder / f"{dataset}.csv"
        frame.to_csv(csv, index=False)
        result, _ = ingest_file(con, csv, dataset, _mapping(frame, dataset))
        assert result.status == "loaded", result.errors[:3]
    con.close()
    return path


@pytest.fixture
def small_db(small_db_file, tmp_path, monkeypatch):
    """A private copy of the small company (STOOL_DB points at it)."""
    from analytics.store import connect

    path = tmp_path / "small.duckdb"
    shutil.copyfile(small_db_file, path)
    monkeypatch.setenv("STOOL_DB", str(path))
    con = connect(path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def small_con(small_db_file, tmp_path_factory):
    """A read-only-by-convention connection shared by one module's enumeration tests."""
    from analytics.store import connect

    path = tmp_path_factory.mktemp("security_ro") / "small.duckdb"
    shutil.copyfile(small_db_file, path)
    con = connect(path)
    yield con
    con.close()


def save_counts(counts: dict, path: Path) -> None:
    """Merge a module's counts into ``path`` for tools/security_table.py.

    Only when the script asks (it sets STOOL_COUNTS_FILE), never in an ordinary test
    run; a partial run (-k) with nothing counted leaves the last full run's counts alone.
    """
    if not counts or not os.environ.get("STOOL_COUNTS_FILE"):
        return
    path.parent.mkdir(exist_ok=True)
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **counts}, indent=2, sort_keys=True) + "\n")
