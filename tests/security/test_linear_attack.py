"""The attack of issue 15, repeated on every read: all the figures a broad grid of filters
gives, as one linear system, must not recover any small group (metrics.md §7).

A company of 8 units (2 regions x 2 divisions), the 12 months of 2025 and 3 departments,
with 3-39 respondents per unit-month (many unit-months, departments and department-months
of 1-4 people), is loaded through the real importer. An inquisitive HR user reads, for the
whole company, each region, division, unit, pair of units and "all units but one", over
single months, quarters, halves, the year and "all but January", with no department
filter, each department and each pair of departments: the Overview's pooled KPIs, the
per-month / per-region / per-unit KPIs, the panel, the People cards, every People
breakdown (with their eNPS categories) and the JSON report of every month. (Item
figures follow the same table set and are covered by the audit command.)

Every figure shown is turned into linear equations over the store's cells (unit x month x
department): for each answer value, how many gave it. The attacker knows every cell's
respondent count (stricter than any reader can be) and solves linear programs (scipy's
HiGHS) for each target:

- every hidden group of 1-4 respondents (a unit-month, a unit's department in a quarter):
  its ESAT index, % satisfied and eNPS shares must stay uncertain by at least 10 points
  either side (up to the end of the scale);
- every unit's department in one month of 1-4 respondents: not determined.

Comments: every comment shown is pinned to the intersection of the groups of the views
that showed it; that intersection must hold at least 10 comments.
"""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from analytics.filters import Filters
from analytics.ingest.mapping import Mapping
from analytics.ingest.pipeline import ingest_file
from analytics.read import data, people, report
from analytics.store import connect

UNITS = pd.DataFrame({
    "unit_id": [f"U{i}" for i in range(1, 9)],
    "unit_name": [f"Unit {i}" for i in range(1, 9)],
    "region": ["North"] * 4 + ["South"] * 4,
    "division": ["Sales", "Service"] * 4,
})
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
DEPARTMENTS = ("Front", "Back", "Office")
VALUES = (0.0, 25.0, 50.0, 75.0, 100.0)


def _employees(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit, usual in zip(UNITS.unit_id, (3, 4, 6, 9, 14, 22, 30, 36), strict=True):
        tilt = rng.normal(0, 0.6)
        for month in MONTHS:
            n = int(np.clip(rng.poisson(usual), 3, 39))
            depts = rng.choice(DEPARTMENTS, size=n, p=[0.6, 0.3, 0.1])
            for i in range(n):
                esat = int(np.clip(np.round(rng.normal(3.4 + tilt, 1.1)), 1, 5))
                comment = (f"{unit} {month} {depts[i]} remark {i}" if rng.random() < 0.35
                           else "")
                rows.append({"unit_id": unit, "response_date": f"{month}-{1 + i % 28:02d}",
                             "respondent_id": f"{unit}-{month}-{i}", "department": depts[i],
                             "esat": esat, "enps": int(np.clip(esat * 2 + rng.integers(-2, 3),
                                                               0, 10)),
                             "item:tools": int(np.clip(esat + rng.integers(-1, 2), 1, 5)),
                             "comment": comment})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attack")
    con = connect(folder / "attack.duckdb")
    employees = _employees()
    for dataset, frame, scales in (("units", UNITS, {}),
                                   ("employee", employees,
                                    {"esat": [1, 5], "item:tools": [1, 5]})):
        path = folder / f"{dataset}.csv"
        frame.to_csv(path, index=False)
        mapping = Mapping.from_json(json.dumps({
            "columns": {c: c for c in frame.columns}, "scales": scales,
            "date_format": "%Y-%m-%d"}))
        result, _ = ingest_file(con, path, dataset, mapping)
        assert result.status == "loaded", result.errors[:3]
    yield con, employees.assign(period=employees["response_date"].str[:7])
    con.close()


# -- the grid of selections ------------------------------------------------------------

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
            + [{"units": pair} for pair in (("U1", "U2"), ("U1", "U3"), ("U5", "U6"))]
            + [{"units": tuple(x for x in units if x != u)} for u in units])


def _departments() -> list[tuple[str, ...]]:
    return [(), *[(d,) for d in DEPARTMENTS], *combinations(DEPARTMENTS, 2)]


def _units_of(f: Filters) -> set[str]:
    keep = UNITS
    for col, values in (("region", f.regions), ("division", f.divisions),
                        ("unit_id", f.units)):
        if values:
            keep = keep[keep[col].isin(values)]
    return set(keep.unit_id)


def _months_of(lo: str, hi: str) -> list[str]:
    return [m for m in MONTHS if lo <= m <= hi]


def _quarter_months(label: str | None) -> list[str]:
    """The months a People figure describes when it names complete quarters."""
    out = []
    for part in (label or "").split(", "):
        if part:
            q = part.split(" ")[0]
            year, n = q[:4], int(q[-1])
            out += [f"{year}-{m:02d}" for m in range(3 * n - 2, 3 * n + 1)]
    return out


# -- the attacker's notebook ---------------------------------------------------------------

class Notebook:
    """Every figure as (cells, kind, value): kind 'n', 'sum' (index x n), 'sat', 'prom',
    'det'; cells as (unit, month, department) keys."""

    def __init__(self) -> None:
        self.eqs: dict[tuple[frozenset, str], float] = {}

    def add(self, cells: set[tuple], n, index=None, sat_pct=None, enps=None,
            promoters=None, detractors=None) -> None:
        if n is None or pd.isna(n) or not cells:
            return
        key = frozenset(cells)
        n = float(n)
        self.eqs[(key, "n")] = n
        if index is not None and not pd.isna(index):
            self.eqs[(key, "sum")] = float(index) * n
        if sat_pct is not None and not pd.isna(sat_pct):
            self.eqs[(key, "sat")] = float(sat_pct) * n / 100.0
        if promoters is not None and not pd.isna(promoters):
            self.eqs[(key, "prom")] = float(promoters)
            self.eqs[(key, "det")] = float(detractors)


def _cells(units, months, departments=DEPARTMENTS) -> set[tuple]:
    return {(u, m, d) for u in units for m in months for d in departments}


#: where the department filter and the breakdowns are tried (every range for the cards)
_DEPT_RANGES = [(MONTHS[0], MONTHS[11]), (MONTHS[3], MONTHS[5]), (MONTHS[9], MONTHS[11]),
                (MONTHS[6], MONTHS[6]), (MONTHS[1], MONTHS[11])]
_BREAKDOWN_RANGES = [(MONTHS[0], MONTHS[11]), (MONTHS[3], MONTHS[5]), (MONTHS[7], MONTHS[7])]


def _browse(con) -> Notebook:
    book = Notebook()
    for lo, hi in _ranges():
        months = _months_of(lo, hi)
        for org in _orgs():
            f = Filters(period_from=lo, period_to=hi, **org)
            units = _units_of(f)
            row = data.company(con, f)
            book.add(_cells(units, months), row["n_employee"], row["esat_index"],
                     row["esat_pct_satisfied"])
            if row.get("n_enps") and not pd.isna(row.get("enps_promoters")):
                book.add(_cells(units, months), row["n_enps"], promoters=row["enps_promoters"],
                         detractors=row["enps_detractors"])
            if (lo, hi) in _DEPT_RANGES:
                for depts in _departments():
                    fd = Filters(period_from=lo, period_to=hi, departments=depts, **org)
                    s = people.summary(con, fd)
                    if not s["shown"]:
                        continue
                    at = _quarter_months(s["months"]) if s["months"] else months
                    book.add(_cells(units, at, depts or DEPARTMENTS), s["n_employee"],
                             s["esat_index"], s["esat_pct_satisfied"])
            if (lo, hi) in _BREAKDOWN_RANGES and "units" not in org or (
                    (lo, hi) == _BREAKDOWN_RANGES[0] and len(org.get("units", ())) == 7):
                _breakdowns(con, f, units, months, book)
    for month in MONTHS:
        rep = report.build_report(con, period=month)
        c = rep["company"]
        book.add(_cells(set(UNITS.unit_id), [month]), c["n_employee"], c["esat_index"],
                 c["esat_pct_satisfied"])
        for u in rep["units"]:
            book.add(_cells({u["unit_id"]}, [u["period"]]), u.get("n_employee"),
                     u.get("esat_index"))
    return book


def _breakdowns(con, f: Filters, units: set[str], months: list[str], book: Notebook) -> None:
    for by in ("period", "region", "division", "unit_id"):
        for _, r in data.kpis(con, f, by=(by,)).iterrows():
            key = {by: r[by]}
            sub_units = _units_of(Filters(**{"regions": (r[by],)} if by == "region" else
                                          {"divisions": (r[by],)} if by == "division" else
                                          {"units": (r[by],)} if by == "unit_id" else {}))
            sub_units &= units
            sub_months = [r["period"]] if by == "period" else months
            book.add(_cells(sub_units, sub_months), r["n_employee"], r["esat_index"],
                     r["esat_pct_satisfied"])
            book.add(_cells(sub_units, sub_months), r["n_enps"],
                     promoters=r["enps_promoters"], detractors=r["enps_detractors"])
            del key
    for _, r in data.panel(con, f).iterrows():
        book.add(_cells({r["unit_id"]}, [r["period"]]), r["n_employee"], r["esat_index"],
                 r["esat_pct_satisfied"])
        book.add(_cells({r["unit_id"]}, [r["period"]]), r["n_enps"],
                 promoters=r["enps_promoters"], detractors=r["enps_detractors"])
    for by in ("department", "region", "division", "unit_id", "period"):
        table = people.by_group(con, f, by=by)
        label = people.quarters(con, f) if by == "department" else None
        for _, r in table.iterrows():
            if r["suppressed"]:
                continue
            if by == "department":
                depts = ((r["department"],) if r["department"] != "Other departments"
                         else None)
                if depts is None:
                    continue  # a unit's pooled departments: checked by the table set audit
                cells = _cells(units, _quarter_months(label), depts)
            elif by == "period":
                cells = _cells(units, [r["period"]])
            else:
                col = {"region": "regions", "division": "divisions", "unit_id": "units"}[by]
                cells = _cells(_units_of(Filters(**{col: (r[by],)})) & units, months)
            book.add(cells, r["n_employee"], r["esat_index"], r["esat_pct_satisfied"])
            if not r["enps_suppressed"]:
                book.add(cells, r["n_enps"], promoters=r["enps_promoters"],
                         detractors=r["enps_detractors"])


# -- the attacker's linear programs ------------------------------------------------------

def _system(book: Notebook, employees: pd.DataFrame):
    x = (employees["esat"] - 1) * 25.0
    frame = employees.assign(x=x)
    cells = sorted(set(zip(frame["unit_id"], frame["period"], frame["department"],
                           strict=True)))
    index = {c: i for i, c in enumerate(cells)}
    k = len(VALUES)
    y_true = np.zeros((len(cells), k))
    e_true = np.zeros((len(cells), 3))  # detractor, passive, promoter counts
    for (u, m, d, v, e), n in frame.groupby(["unit_id", "period", "department", "x",
                                             "enps"]).size().items():
        y_true[index[(u, m, d)], VALUES.index(v)] += n
        e_true[index[(u, m, d)], 0 if e <= 6 else 1 if e <= 8 else 2] += n
    rows_y, rhs_y, rows_e, rhs_e = [], [], [], []
    vals = np.array(VALUES)
    for (key, kind), value in book.eqs.items():
        member = np.zeros(len(cells))
        member[[index[c] for c in key if c in index]] = 1.0
        if kind == "sum":
            rows_y.append(np.kron(member, vals))
            rhs_y.append(value)
        elif kind == "sat":
            rows_y.append(np.kron(member, (vals >= 75).astype(float)))
            rhs_y.append(value)
        elif kind in ("prom", "det"):
            rows_e.append(np.kron(member, np.array([1.0, 0, 0] if kind == "det"
                                                   else [0, 0, 1.0])))
            rhs_e.append(value)
    counts = y_true.sum(axis=1)
    return cells, index, counts, (y_true, np.array(rows_y), np.array(rhs_y)), \
        (e_true, np.array(rows_e), np.array(rhs_e))


def _bounds(objective, rows, rhs, counts, k):
    cell_rows = sparse.kron(sparse.eye(len(counts)), np.ones((1, k)))
    a_eq = sparse.vstack([cell_rows, sparse.csr_matrix(rows)]) if len(rows) else cell_rows
    b_eq = np.concatenate([counts, rhs]) if len(rows) else counts
    out = []
    for sign in (1.0, -1.0):
        res = linprog(sign * objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None),
                      method="highs")
        assert res.status == 0, res.message
        out.append(sign * res.fun)
    return out


@pytest.fixture(scope="module")
def attack(company):
    con, employees = company
    book = _browse(con)
    return con, employees, book, _system(book, employees)


def _targets(employees: pd.DataFrame) -> list[tuple[str, set[tuple]]]:
    """Every group of 1-4 respondents a reader might want: unit-months, a unit's
    department over a quarter, and department-months."""
    out = []
    um = employees.groupby(["unit_id", "period"]).size()
    for (u, m), n in um.items():
        if n < 5:
            out.append(("group", {(u, m, d) for d in DEPARTMENTS}))
    q = employees.assign(q=(employees["period"].str[5:7].astype(int) - 1) // 3)
    # a quarter's group counts people: the same people answer every month, so its
    # people are (at least) its largest month
    monthly = q.groupby(["unit_id", "department", "q", "period"]).size()
    for (u, d, qq), size in monthly.groupby(level=[0, 1, 2]).max().items():
        if size < 5:
            out.append(("group", {(u, m, d) for m in MONTHS[3 * qq:3 * qq + 3]}))
    company = q.groupby(["department", "q", "period"]).size()
    for (d, qq), size in company.groupby(level=[0, 1]).max().items():
        if size < 5:
            out.append(("group", {(u, m, d) for u in UNITS.unit_id
                                  for m in MONTHS[3 * qq:3 * qq + 3]}))
    for (u, m, d), n in employees.groupby(["unit_id", "period", "department"]).size().items():
        if n < 5:
            out.append(("cell", {(u, m, d)}))
    return out


def test_the_attack_has_many_small_groups_and_figures(attack):
    _con, employees, book, _sys = attack
    kinds = [k for k, _ in _targets(employees)]
    assert kinds.count("group") >= 20 and kinds.count("cell") >= 100
    assert len(book.eqs) > 600


def _said_by_one_group(book: Notebook, cell: tuple, name: str, true: float) -> bool:
    """Whether one shown group holding ``cell`` has the figure at the same end of the
    scale (all its members satisfied, say): the disclosure a minimum group size allows,
    no combination of figures needed."""
    kind = {"esat_pct_satisfied": "sat", "enps_promoters": "prom",
            "enps_detractors": "det"}.get(name)
    if kind is None or 1e-9 < true < 100 - 1e-9:
        return False
    for (key, k), value in book.eqs.items():
        if k == kind and cell in key:
            n = book.eqs[(key, "n")]
            if abs(value * 100.0 / n - true) < 1e-9:
                return True
    return False


def test_no_small_group_is_recovered_from_every_figure_together(attack):
    _con, employees, book, (cells, index, counts, esat, enps) = attack
    y_true, rows_y, rhs_y = esat
    e_true, rows_e, rhs_e = enps
    assert np.allclose(rows_y @ y_true.ravel(), rhs_y)  # the notebook reads right
    if len(rows_e):
        assert np.allclose(rows_e @ e_true.ravel(), rhs_e)
    vals = np.array(VALUES)
    recovered = []
    for kind, group in _targets(employees):
        member = np.zeros(len(cells))
        member[[index[c] for c in group if c in index]] = 1.0
        n = float(member @ counts)
        checks = [("esat_index", np.kron(member, vals), y_true, rows_y, rhs_y, 5),
                  ("esat_pct_satisfied", np.kron(member, 100.0 * (vals >= 75)), y_true,
                   rows_y, rhs_y, 5),
                  ("enps_promoters", np.kron(member, [0, 0, 100.0]), e_true, rows_e, rhs_e, 3),
                  ("enps_detractors", np.kron(member, [100.0, 0, 0]), e_true, rows_e, rhs_e,
                   3)]
        for name, objective, truth, rows, rhs, k in checks:
            true = float(objective @ truth.ravel()) / n
            lo, hi = (b / n for b in _bounds(objective, rows, rhs, counts, k))
            if kind == "group":
                bad = (lo > max(0.0, true - 10) + 1e-6) or (hi < min(100.0, true + 10) - 1e-6)
            else:
                bad = hi - lo < 1e-6 and not _said_by_one_group(book, next(iter(group)),
                                                                name, true)
            if bad:
                recovered.append((kind, sorted(group)[0], n, name, true, lo, hi))
    assert not recovered, "\n".join(map(str, recovered))


def test_no_comment_is_pinned_to_fewer_than_ten(company):
    con, employees = company
    commented = employees[employees["comment"] != ""]
    seen: dict[str, set[tuple]] = {}
    for lo, hi in _ranges():
        for org in _orgs():
            f = Filters(period_from=lo, period_to=hi, **org)
            got = people.comments(con, f)
            if not got["shown"]:
                continue
            units = _units_of(f)
            months = _quarter_months(got["months"]) if got["months"] else _months_of(lo, hi)
            view = _cells(units, months)
            for text in got["comments"]["comment"]:
                seen[text] = seen.get(text, view) & view
    assert len(seen) > 50  # the attack reads many comments
    for text, cells in seen.items():
        inside = commented[[(u, m, d) in cells for u, m, d in
                            zip(commented["unit_id"], commented["period"],
                                commented["department"], strict=True)]]
        assert text in set(inside["comment"])  # the view really held it
        assert len(inside) >= 10, (text, len(inside))


def test_the_audit_command_passes_on_this_company(company, capsys):
    con, _ = company
    from analytics.__main__ import _audit_confidentiality

    class Args:
        role, unit, json = "hr", [], True

    assert _audit_confidentiality(con, Args()) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["recoverable"] == [] and out["hidden"] > 0 and out["small_groups"] > 0
    assert out["narrowest_points"] >= 10
    Args.role, Args.unit = "manager", ["U1", "U2"]
    assert _audit_confidentiality(con, Args()) == 0


def test_a_manager_of_two_units_sees_no_small_department(company):
    """A manager's reads are a subset of the published set: the pair of units' small
    departments never show, and their two units' total minus one unit is a unit."""
    con, employees = company
    f = Filters(period_from=MONTHS[0], period_to=MONTHS[11], scope=("U1", "U2"))
    table = people.by_group(con, f, by="department")
    sizes = employees[employees["unit_id"].isin(["U1", "U2"])]
    label = people.quarters(con, f)
    months = _quarter_months(label)
    for _, r in table[~table["suppressed"]].iterrows():
        if r["department"] == "Other departments":
            continue
        n = len(sizes[(sizes["department"] == r["department"])
                      & sizes["period"].isin(months)])
        assert r["n_employee"] == n >= 5
