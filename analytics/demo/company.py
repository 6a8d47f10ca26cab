"""The deterministic demo company: 40 units, 5 regions, 2 divisions, 24 months.

A service-profit chain is planted (ESAT leads CSAT by ``ESAT_TO_CSAT_LAG`` months, CSAT
leads gross margin by ``CSAT_TO_PROFIT_LAG``), and a few units are put out of balance
(``PLANTED``) so every page has something true to show.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ESAT_TO_CSAT_LAG = 2
CSAT_TO_PROFIT_LAG = 1
REGIONS = ("North", "South", "East", "West", "Central")
DIVISIONS = ("Retail", "Services")
DEPARTMENTS = ("Sales floor", "Service desk", "Warehouse", "Admin")
DEPARTMENT_SHARES = (0.45, 0.3, 0.2, 0.05)
EMPLOYEE_ITEMS = ("empowerment", "training", "recognition", "tools", "workload")
#: how strongly each employee item moves with ESAT (drivers have something to find)
EMPLOYEE_ITEM_WEIGHTS = (0.9, 0.5, 0.7, 0.3, 0.2)
CUSTOMER_ITEMS = ("courtesy", "speed", "quality", "value")
CUSTOMER_ITEM_WEIGHTS = (0.8, 0.6, 0.5, 0.2)
CITIES = (
    "Leeds", "York", "Durham", "Hull", "Carlisle", "Newcastle", "Sunderland", "Bradford",
    "Brighton", "Exeter", "Plymouth", "Dover", "Bath", "Poole", "Truro", "Hastings",
    "Norwich", "Ipswich", "Cambridge", "Colchester", "Lincoln", "Peterborough", "Luton",
    "Chelmsford", "Bristol", "Cardiff", "Swansea", "Gloucester", "Hereford", "Worcester",
    "Taunton", "Chester", "Derby", "Leicester", "Nottingham", "Coventry", "Oxford",
    "Reading", "Stoke", "Wolverhampton",
)
POSITIVE = (
    "Friendly staff and quick service.", "Really helpful team, sorted my problem.",
    "Great experience, will come back.", "Staff knew their stuff.",
    "Clean store and polite people.",
)
NEGATIVE = (
    "Waited far too long at the counter.", "Nobody seemed to know the answer.",
    "Rude staff, disappointing visit.", "Prices went up but the service got worse.",
    "My complaint took a week to resolve.",
)
STAFF_POSITIVE = (
    "My manager listens and backs my decisions.", "Good training this quarter.",
    "I feel recognised for the extra effort.", "Great team spirit on the floor.",
)
STAFF_NEGATIVE = (
    "Too few people on shift, workload is crushing.", "The tills keep breaking.",
    "Nobody thanks us for anything.", "Rota changes at short notice again.",
)


@dataclass(frozen=True)
class Planted:
    """A unit put out of balance on purpose, and what the dashboard should find."""

    unit_id: str
    story: str
    expected_alert: str
    leg: str


PLANTED = (
    Planted("U07", "CSAT collapses in the last 4 months while staff stay happy",
            "imbalance", "csat"),
    Planted("U19", "shifts cut: margin rises while ESAT and CSAT slide (last 4 months)",
            "divergence", "profit_up_esat_down"),
    Planted("U33", "ESAT falls sharply in the last 3 months", "imbalance", "esat"),
)


def months(n: int = 24, last: str = "2026-10") -> list[str]:
    """``n`` consecutive months ending at ``last``, as YYYY-MM."""
    end = pd.Period(last, freq="M")
    return [str(end - i) for i in range(n - 1, -1, -1)]


def _units(rng: np.random.Generator, n_units: int) -> pd.DataFrame:
    ids = [f"U{i + 1:02d}" for i in range(n_units)]
    names = [f"{CITIES[i % len(CITIES)]} {'Store' if i % 2 == 0 else 'Branch'}"
             for i in range(n_units)]
    return pd.DataFrame({
        "unit_id": ids,
        "unit_name": names,
        "region": [REGIONS[i % len(REGIONS)] for i in range(n_units)],
        "division": [DIVISIONS[(i // 5) % 2] for i in range(n_units)],
        "manager_email": [f"manager.{u.lower()}@example.com" for u in ids],
        "headcount": rng.integers(24, 40, n_units).astype(float),
    })


def _latent(rng: np.random.Generator, n_units: int, n_months: int) -> dict[str, np.ndarray]:
    """Unit × month latent legs in standard units, with the chain and the plants."""
    burn = ESAT_TO_CSAT_LAG + CSAT_TO_PROFIT_LAG + 12
    t = n_months + burn
    e = np.zeros((n_units, t))
    shocks = rng.normal(0, 1, (n_units, t))
    for j in range(1, t):
        e[:, j] = 0.5 * e[:, j - 1] + shocks[:, j] * np.sqrt(1 - 0.25)
    c = np.zeros_like(e)
    c[:, ESAT_TO_CSAT_LAG:] = 0.8 * e[:, :-ESAT_TO_CSAT_LAG]
    c += rng.normal(0, 0.6, e.shape)
    p = np.zeros_like(e)
    p[:, CSAT_TO_PROFIT_LAG:] = 0.8 * c[:, :-CSAT_TO_PROFIT_LAG]
    p += rng.normal(0, 0.6, e.shape)
    e, c, p = (x[:, burn:] for x in (e, c, p))
    return {"esat": e, "csat": c, "profit": p}


def _plant(lat: dict[str, np.ndarray], unit_ids: list[str]) -> None:
    idx = {u: i for i, u in enumerate(unit_ids)}
    if "U07" in idx:
        lat["csat"][idx["U07"], -4:] -= np.array([2.5, 3.5, 4.0, 4.5])
        lat["esat"][idx["U07"], -4:] = np.maximum(lat["esat"][idx["U07"], -4:], 0.8)
        lat["profit"][idx["U07"], -4:] = np.maximum(lat["profit"][idx["U07"], -4:], 0.3)
    if "U19" in idx:  # shifts cut to save labour: margin up, staff and customers suffer
        lat["esat"][idx["U19"], -4:] = np.array([0.3, -1.0, -2.4, -3.8])
        lat["profit"][idx["U19"], -4:] = np.array([-0.5, 0.7, 1.9, 3.1])
        lat["csat"][idx["U19"], -4:] = np.array([0.5, -0.3, -1.1, -1.9])
    if "U33" in idx:
        lat["esat"][idx["U33"], -3:] -= np.array([4.0, 5.0, 5.5])
        lat["csat"][idx["U33"], -3:] = np.maximum(lat["csat"][idx["U33"], -3:], 0.5)
        lat["profit"][idx["U33"], -3:] = np.maximum(lat["profit"][idx["U33"], -3:], 0.5)


def _likert(rng: np.random.Generator, mu: np.ndarray, sd: float, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(mu + rng.normal(0, sd, mu.shape)), lo, hi).astype(int)


def generate(seed: int = 7, n_units: int = 40, n_months: int = 24,
             last: str = "2026-10") -> dict[str, pd.DataFrame]:
    """The demo company as canonical frames: units, employee, customer, financials.

    Rating items are wide columns named ``item:<name>``. Deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    units, cell = _cells(rng, n_units, n_months, last)
    return {
        "units": units,
        "employee": _employee(rng, cell, units),
        "customer": _customer(rng, cell),
        "financials": _financials(rng, cell, units),
    }


def _cells(rng: np.random.Generator, n_units: int, n_months: int,
           last: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The units and the unit × month grid of latent legs (with the chain and the plants)."""
    units = _units(rng, n_units)
    per = months(n_months, last)
    lat = _latent(rng, n_units, n_months)
    _plant(lat, units.unit_id.tolist())
    # fixed differences between units follow the chain too, so units that keep staff
    # happy also tend to have happier customers (cross-sectional r of about 0.3)
    e_eff = rng.normal(0, 0.5, n_units)
    c_eff = 0.5 * e_eff + rng.normal(0, 0.45, n_units)
    unit_effect = {"esat": e_eff, "csat": c_eff,
                   "profit": 0.4 * c_eff + rng.normal(0, 0.5, n_units)}
    grid_u = np.repeat(np.arange(n_units), n_months)
    grid_t = np.tile(np.arange(n_months), n_units)
    cell = pd.DataFrame({
        "unit_id": units.unit_id.to_numpy()[grid_u],
        "period": np.array(per)[grid_t],
        **{k: (lat[k] + unit_effect[k][:, None]).ravel() for k in lat},
    })
    return units, cell


def _dates(rng: np.random.Generator, periods: np.ndarray) -> np.ndarray:
    start = pd.to_datetime(pd.Series(periods) + "-01")
    days = rng.integers(0, 28, len(periods))
    return (start + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d").to_numpy()


def _employee(rng: np.random.Generator, cell: pd.DataFrame, units: pd.DataFrame,
              per_cell: float = 20, first_id: int = 0) -> pd.DataFrame:
    counts = rng.poisson(per_cell, len(cell))
    rows = cell.loc[cell.index.repeat(counts)].reset_index(drop=True)
    mu = 3.9 + 0.45 * rows["esat"].to_numpy()
    esat = _likert(rng, mu, 0.8, 1, 5)
    out = pd.DataFrame({
        "unit_id": rows.unit_id,
        "response_date": _dates(rng, rows.period.to_numpy()),
        "respondent_id": [f"E{i:07d}" for i in range(first_id, first_id + len(rows))],
        "department": rng.choice(DEPARTMENTS, len(rows), p=DEPARTMENT_SHARES),
        "tenure_band": rng.choice(["<1y", "1-3y", "3-5y", "5y+"], len(rows)),
        "esat": esat,
        "enps": _likert(rng, 7.6 + 1.5 * (esat - 3.9), 1.4, 0, 10),
    })
    for item, w in zip(EMPLOYEE_ITEMS, EMPLOYEE_ITEM_WEIGHTS, strict=True):
        out[f"item:{item}"] = _likert(rng, 3.7 + w * (esat - 3.9), 0.8, 1, 5)
    comment = rng.random(len(rows)) < 0.15
    text = np.where(esat >= 4, rng.choice(STAFF_POSITIVE, len(rows)),
                    rng.choice(STAFF_NEGATIVE, len(rows)))
    out["comment"] = np.where(comment, text, None)
    return out


def _customer(rng: np.random.Generator, cell: pd.DataFrame, per_cell: float = 150,
              first_id: int = 0) -> pd.DataFrame:
    counts = rng.poisson(per_cell, len(cell))
    rows = cell.loc[cell.index.repeat(counts)].reset_index(drop=True)
    n = len(rows)
    mu = 4.0 + 0.35 * rows["csat"].to_numpy()
    csat = _likert(rng, mu, 0.85, 1, 5)
    complaint = rng.random(n) < np.clip(0.12 - 0.03 * (csat - 3), 0.01, 0.4)
    resolved = complaint & (rng.random(n) < 0.85)
    hours = np.round(rng.lognormal(3.0 - 0.15 * rows["csat"].to_numpy(), 0.6, n), 1)
    out = pd.DataFrame({
        "unit_id": rows.unit_id,
        "response_date": _dates(rng, rows.period.to_numpy()),
        "response_id": [f"C{i:08d}" for i in range(first_id, first_id + n)],
        "channel": rng.choice(["in store", "phone", "web"], n, p=[0.6, 0.25, 0.15]),
        "csat": csat,
        "nps": _likert(rng, 8.1 + 1.6 * (csat - 4.0), 1.3, 0, 10),
        "complaint": complaint,
        "resolved": np.where(complaint, resolved, None),
        "resolution_hours": np.where(resolved, hours, np.nan),
    })
    for item, w in zip(CUSTOMER_ITEMS, CUSTOMER_ITEM_WEIGHTS, strict=True):
        out[f"item:{item}"] = _likert(rng, 3.9 + w * (csat - 4.0), 0.8, 1, 5)
    comment = rng.random(n) < 0.08
    text = np.where(csat >= 4, rng.choice(POSITIVE, n), rng.choice(NEGATIVE, n))
    out["comment"] = np.where(comment, text, None)
    return out


def _financials(rng: np.random.Generator, cell: pd.DataFrame,
                units: pd.DataFrame) -> pd.DataFrame:
    size = dict(zip(units.unit_id, rng.lognormal(12.6, 0.35, len(units)), strict=True))
    month = pd.to_datetime(cell.period + "-01").dt.month.to_numpy()
    season = 1 + 0.12 * np.cos((month - 12) / 12 * 2 * np.pi)
    revenue = np.round(cell.unit_id.map(size).to_numpy() * season
                       * rng.normal(1, 0.04, len(cell)), 2)
    margin = 0.32 + 0.03 * cell["profit"].to_numpy()
    cost = np.round(revenue * (1 - margin), 2)
    return pd.DataFrame({
        "unit_id": cell.unit_id,
        "period": cell.period,
        "revenue": revenue,
        "cost_of_sales": cost,
        "operating_costs": np.round(revenue * rng.normal(0.2, 0.01, len(cell)), 2),
        "headcount": cell.unit_id.map(dict(zip(units.unit_id, units.headcount,
                                                strict=True))).to_numpy(),
    })


def _mapping_for(frame: pd.DataFrame, dataset: str):
    """The identity mapping of a canonical demo file (items declared on 1-5)."""
    from analytics.ingest.mapping import Mapping

    scales = {c: [1, 5] for c in frame.columns if c.startswith("item:")}
    if dataset in ("employee", "customer"):
        scales["esat" if dataset == "employee" else "csat"] = [1, 5]
    return Mapping.from_json(json.dumps({
        "columns": {c: c for c in frame.columns}, "scales": scales,
        "date_format": "%Y-%m-%d",
    }))


def build(con, seed: int = 7, progress=None) -> list[int]:
    """Generate the demo company and load it through the upload engine, as a user would.

    Each dataset is written as a canonical CSV file and ingested like an upload, marked
    as demo data so it can be removed in one step. Returns the batch ids.
    """
    step = progress or (lambda fraction, text: None)
    frames = generate(seed)
    ids = []
    with tempfile.TemporaryDirectory(prefix="stool-demo-") as tmp:
        for i, dataset in enumerate(("units", "employee", "customer", "financials")):
            step(i / 4, f"Loading demo {dataset} data")
            ids.append(load_frame(con, frames[dataset], dataset,
                                  Path(tmp) / f"demo_{dataset}.csv"))
    step(1.0, "Demo data loaded")
    return ids


def load_frame(con, frame: pd.DataFrame, dataset: str, path: Path) -> int:
    """Write one canonical demo frame to ``path`` as CSV and ingest it as demo data."""
    from analytics.ingest.pipeline import ingest_file

    frame.to_csv(path, index=False)
    result, _report = ingest_file(con, path, dataset, _mapping_for(frame, dataset),
                                  uploaded_by="demo", is_demo=True)
    if result.status not in ("loaded", "unchanged"):
        raise RuntimeError(f"demo {dataset} did not load: {result.errors[:3]}")
    return result.batch_id


def remove(con) -> int:
    """Roll back every demo batch; returns how many were removed."""
    from analytics.store import queries
    from analytics.store.load import rollback_batch

    ids = queries.demo_batches(con)
    for batch_id in reversed(ids):
        rollback_batch(con, batch_id, by="remove demo")
    return len(ids)
