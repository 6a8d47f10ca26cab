"""The attack of issue 15, repeated on the read API: every figure a broad grid of filters
gives, as one linear system, must not pin down any small group (metrics.md §7).

A company of 8 units, 12 months and 3 departments with 3-39 respondents per unit-month
(many unit-months and department cells of 1-4 people) is loaded through the real
importer. The attacker reads, for the whole company, each region, each division, each
unit and "all but one unit", over single months, quarters, halves and the year: the
pooled KPIs, the per-month KPIs, the panel and the JSON report. Each shown ESAT figure
is an equation over the store's cells (unit x month x department): the respondents and
the sum of their answers. For each hidden unit-month of 1-4 respondents and each cell of
1-4, linear programs (scipy's HiGHS) bound its count and its mean; the mean must stay
uncertain by at least 10 points either side and the count must not be determined. The
attacker is even given every cell's true count when bounding the means.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analytics.filters import Filters
from analytics.ingest.mapping import Mapping
from analytics.ingest.pipeline import ingest_file
from analytics.read import data, report
from analytics.store import connect

UNITS = pd.DataFrame({
    "unit_id": [f"U{i}" for i in range(1, 9)],
    "unit_name": [f"Unit {i}" for i in range(1, 9)],
    "region": ["North"] * 4 + ["South"] * 4,
    "division": ["Sales", "Service"] * 4,
})
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
DEPARTMENTS = ("Front", "Back", "Office")


def _employees(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in UNITS.unit_id:
        usual = int(rng.integers(3, 40))
        for month in MONTHS:
            n = int(np.clip(rng.poisson(usual), 3, 39))
            depts = rng.choice(DEPARTMENTS, size=n, p=[0.6, 0.3, 0.1])
            for i in range(n):
                rows.append({"unit_id": unit, "response_date": f"{month}-{1 + i % 28:02d}",
                             "respondent_id": f"{unit}-{month}-{i}", "department": depts[i],
                             "esat": int(rng.integers(1, 6))})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attack")
    con = connect(folder / "attack.duckdb")
    employees = _employees()
    for dataset, frame, scales in (("units", UNITS, {}),
                                   ("employee", employees, {"esat": [1, 5]})):
        path = folder / f"{dataset}.csv"
        frame.to_csv(path, index=False)
        mapping = Mapping.from_json(json.dumps({
            "columns": {c: c for c in frame.columns}, "scales": scales,
            "date_format": "%Y-%m-%d"}))
        result, _ = ingest_file(con, path, dataset, mapping)
        assert result.status == "loaded", result.errors[:3]
    yield con, employees
    con.close()


def _ranges() -> list[tuple[str, str]]:
    singles = [(m, m) for m in MONTHS]
    quarters = [(MONTHS[i], MONTHS[i + 2]) for i in range(0, 12, 3)]
    return singles + quarters + [(MONTHS[0], MONTHS[5]), (MONTHS[6], MONTHS[11]),
                                 (MONTHS[0], MONTHS[11]), (MONTHS[1], MONTHS[11])]


def _orgs() -> list[dict]:
    units = list(UNITS.unit_id)
    return ([{}] + [{"regions": (r,)} for r in ("North", "South")]
            + [{"divisions": (d,)} for d in ("Sales", "Service")]
            + [{"units": (u,)} for u in units]
            + [{"units": tuple(x for x in units if x != u)} for u in units])


def _units_of(org: dict) -> set[str]:
    keep = UNITS
    for col, key in (("region", "regions"), ("division", "divisions"),
                     ("unit_id", "units")):
        if org.get(key):
            keep = keep[keep[col].isin(org[key])]
    return set(keep.unit_id)


def _equations(con) -> list[tuple[frozenset, float, float]]:
    """(cells as (unit, month), n, sum of answers) of every shown ESAT figure."""
    eqs = []

    def add(units: set[str], months: list[str], n, index) -> None:
        if pd.notna(n) and pd.notna(index):
            eqs.append((frozenset((u, m) for u in units for m in months), float(n),
                        float(n) * float(index)))

    for lo, hi in _ranges():
        months = [m for m in MONTHS if lo <= m <= hi]
        for org in _orgs():
            f = Filters(period_from=lo, period_to=hi, **org)
            units = _units_of(org)
            row = data.company(con, f)
            add(units, months, row["n_employee"], row["esat_index"])
            if lo == MONTHS[0] and hi == MONTHS[-1]:
                for _, r in data.kpis(con, f, by=("period",)).iterrows():
                    add(units, [r["period"]], r["n_employee"], r["esat_index"])
                for _, r in data.panel(con, f).iterrows():
                    add({r["unit_id"]}, [r["period"]], r["n_employee"], r["esat_index"])
    for month in (MONTHS[3], MONTHS[-1]):
        rep = report.build_report(con, period=month)
        add(set(UNITS.unit_id), [month], rep["company"]["n_employee"],
            rep["company"]["esat_index"])
        for u in rep["units"]:
            add({u["unit_id"]}, [u["period"]], u.get("n_employee"), u.get("esat_index"))
    return eqs


def test_no_small_group_is_recovered_from_every_figure_together(company):
    con, employees = company
    employees = employees.assign(x=(employees["esat"] - 1) * 25.0)
    cell = employees.assign(period=employees["response_date"].str[:7]).groupby(
        ["unit_id", "period", "department"]).agg(n=("x", "size"), s=("x", "sum"))
    index = {k: i for i, k in enumerate(cell.index)}
    eqs = _equations(con)
    assert len(eqs) > 500
    rows = []
    for cells_of, n, s in set(eqs):
        v = np.zeros(len(index))
        members = [i for (u, m, _d), i in index.items() if (u, m) in cells_of]
        v[members] = 1.0
        rows.append((v, n, s))
    a = np.array([r[0] for r in rows])
    b_n = np.array([r[1] for r in rows])
    b_s = np.array([r[2] for r in rows])
    n_true = cell["n"].to_numpy(dtype=float)
    s_true = cell["s"].to_numpy(dtype=float)
    assert np.allclose(a @ n_true, b_n) and np.allclose(a @ s_true, b_s, atol=1e-6)

    def bounds(target, b, upper):
        out = [linprog(sign * target, A_eq=a, b_eq=b, method="highs",
                       bounds=np.column_stack([np.zeros_like(upper), upper])).fun * sign
               for sign in (1.0, -1.0)]
        return out[0], out[1]

    unit_months = cell.groupby(level=["unit_id", "period"])["n"].sum()
    targets = [np.array([1.0 if (u, m) == key else 0.0 for (u, m, _d) in index])
               for key, n in unit_months.items() if 0 < n < 5]
    small_cells = [i for i, n in enumerate(n_true) if 0 < n < 5]
    targets += [np.eye(len(index))[i] for i in small_cells]
    assert len(targets) >= 40  # the company has many small groups to attack
    recovered = []
    for t in targets:
        n = float(t @ n_true)
        true = float(t @ s_true) / n
        n_lo, n_hi = bounds(t, b_n, np.full(len(index), n_true.sum()))
        lo, hi = bounds(t, b_s, 100.0 * n_true)
        if n_hi - n_lo < 1 - 1e-6 or lo / n > max(0.0, true - 10) + 1e-6 \
                or hi / n < min(100.0, true + 10) - 1e-6:
            recovered.append((n, true, n_lo, n_hi, lo / n, hi / n))
    assert recovered == []


def test_the_audit_command_passes_on_this_company(company, capsys, monkeypatch):
    con, _ = company
    from analytics.__main__ import _audit_confidentiality

    class Args:
        role, unit, json = "hr", [], True

    assert _audit_confidentiality(con, Args()) == 0
    out = json.loads(capsys.readouterr().out)
    fam = out["families"]["n_employee"]
    assert fam["failed"] == [] and fam["hidden"] > 0 and fam["narrowest_points"] >= 10
    Args.role, Args.unit = "manager", ["U1", "U2"]
    assert _audit_confidentiality(con, Args()) == 0


def test_a_selection_is_shown_only_as_a_union_of_published_groups(company):
    con, _ = company
    whole = Filters(period_from=MONTHS[0], period_to=MONTHS[-1])
    panel = data.panel(con, whole)
    hidden = panel[panel["suppressed"]]
    assert len(hidden) > 0
    u, m = hidden.iloc[0]["unit_id"], hidden.iloc[0]["period"]
    # every selection holding a hidden unit-month (and no coarser published group) is
    # hidden too: the unit over the year, all units but another one in that month
    assert pd.isna(data.company(con, replace(whole, units=(u,)))["esat_index"])
    others = tuple(x for x in UNITS.unit_id if x not in (u, "U8" if u != "U8" else "U7"))
    assert pd.isna(data.company(con, Filters(m, m, units=others))["esat_index"])
