"""The demo company at enterprise scale: 2,000 units, 60 months, about 10M customer answers.

The same planted structure as :mod:`analytics.demo.company` (the chain, the unit effects, the
out-of-balance units U07, U19 and U33), generated and loaded a block of months at a time
so memory stays bounded: each block is written as a canonical CSV file per dataset and
ingested through the upload engine, marked as demo data.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from analytics.demo import company as demo

N_UNITS = 2000
N_MONTHS = 60
#: responses per unit-month: 2,000 × 60 × 83.3 ≈ 10M customer, × 12.5 = 1.5M employee
CUSTOMER_PER_CELL = 10_000_000 / (N_UNITS * N_MONTHS)
EMPLOYEE_PER_CELL = 1_500_000 / (N_UNITS * N_MONTHS)
MONTHS_PER_FILE = 6


def build(con, seed: int = 7, progress=None, n_units: int = N_UNITS,
          n_months: int = N_MONTHS, months_per_file: int = MONTHS_PER_FILE,
          last: str = "2026-10") -> list[int]:
    """Generate the large demo company and load it block by block; returns the batch ids.

    Units and financials (one row per unit-month) are one file each; employee and
    customer answers are one file per ``months_per_file`` months per dataset.
    """
    step = progress or (lambda fraction, text: None)
    rng = np.random.default_rng(seed)
    units, cell = demo._cells(rng, n_units, n_months, last)
    # 2,000 units reuse 40 city names; the id keeps each name unique
    units["unit_name"] = units.unit_name + " " + units.unit_id
    periods = demo.months(n_months, last)
    blocks = [periods[i:i + months_per_file] for i in range(0, n_months, months_per_file)]
    total = 2 + 2 * len(blocks)
    ids: list[int] = []
    with tempfile.TemporaryDirectory(prefix="stool-demo-large-") as tmp:
        def load(frame, dataset: str, name: str) -> None:
            step(len(ids) / total, f"Loading {dataset} {name}: {len(frame):,} rows")
            ids.append(demo.load_frame(con, frame, dataset, Path(tmp) / f"{name}.csv"))

        load(units, "units", "units")
        load(demo._financials(rng, cell, units), "financials", "financials")
        first_e = first_c = 0
        for block in blocks:
            part = cell[cell.period.isin(block)]
            label = f"{block[0]}..{block[-1]}"
            employee = demo._employee(rng, part, units, EMPLOYEE_PER_CELL, first_e)
            first_e += len(employee)
            load(employee, "employee", f"employee_{label}")
            del employee
            customer = demo._customer(rng, part, CUSTOMER_PER_CELL, first_c)
            first_c += len(customer)
            load(customer, "customer", f"customer_{label}")
            del customer
    step(1.0, "Large demo data loaded")
    return ids
