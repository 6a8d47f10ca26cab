"""The published table set (analytics.access.tables): pooling, suppression and its audit,
checked against scipy's linprog and linear algebra, never against the module itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from analytics.access import tables

ORG = pd.DataFrame({"unit_id": [f"U{i}" for i in range(1, 7)],
                    "region": ["North"] * 3 + ["South"] * 3, "division": ["D"] * 6})


def _answers(spec: list[tuple[str, str, str, list[int]]]) -> pd.DataFrame:
    """Store answer counts from (unit, month, department, esat answers on 1-5)."""
    rows = []
    for unit, period, dept, answers in spec:
        for a in sorted(set(answers)):
            rows.append({"unit_id": unit, "period": period, "department": dept,
                         "family": "esat", "value": (a - 1) * 25.0, "flag": a >= 4,
                         "n": answers.count(a)})
    return pd.DataFrame(rows)


def _random(seed: int, units: int = 6, months: int = 3, small_unit: bool = True
            ) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spec = []
    for u in range(units):
        for m in range(months):
            for d, hi in (("Sales", 12), ("Stock", 8), ("Admin", 3)):
                n = int(rng.integers(1, 4 if u == 0 and small_unit else hi))
                spec.append((f"U{u + 1}", f"2025-{m + 1:02d}", d,
                             [int(x) for x in rng.integers(1, 6, size=n)]))
    return _answers(spec)


def _block(answers: pd.DataFrame, min_n: int = 5) -> tables.Block:
    (block,) = tables.blocks(answers, ORG, min_n)
    return block


#: three units in one month: U1 has 3 respondents, so its month is a small group
THREE = [("U1", "2025-01", "Sales", [5, 5, 4]),
         ("U2", "2025-01", "Sales", [3, 4, 5, 2, 1, 3, 4]),
         ("U3", "2025-01", "Sales", [2, 2, 3, 4, 5, 5, 5, 1])]


def test_quarter_labels():
    assert list(tables.quarter_of(pd.Series(["2025-01", "2025-03", "2025-04", "2025-12"]))) \
        == ["2025-Q1", "2025-Q1", "2025-Q2", "2025-Q4"]
    assert tables.quarter_months("2026-Q3") == ["2026-07", "2026-08", "2026-09"]


def test_primary_suppression_alone_leaves_a_small_month_determined():
    """The company's month minus the other units' months is U1's: the audit says so."""
    block = _block(_answers(THREE))
    g = block.groups
    u1 = g.index[(g.table == "unit_month") & (g.unit_id == "U1")][0]
    assert g.at[u1, "why"] == "primary"
    found = tables.audit(block)
    assert not found.ok and any("unit_month U1 2025-01" in f for f in found.failed)
    chk = tables.Auditor(block).check(("group", int(u1)))
    true, lo, hi = chk.figures["esat_index"]
    assert true == pytest.approx(100 * 11 / 12) and lo == pytest.approx(hi)


def test_protect_hides_a_complement_and_keeps_the_company():
    block = tables.protect(_block(_answers(THREE)))
    g = block.groups
    um = g[g.table == "unit_month"].set_index("unit_id")
    assert um.at["U1", "why"] == "primary" and um.at["U2", "why"] == "secondary"
    assert not um.at["U3", "hidden"]
    assert not g.loc[g.table == "company_month", "hidden"].any()
    found = tables.audit(block)
    assert found.ok and found.groups >= 1 and found.narrowest >= 10


def _reference_bounds(block: tables.Block, target_cells: np.ndarray, figure: int):
    """The target's figure bounds by scipy's linprog over a model built here: per cell,
    answer counts >= 0 adding up to the cell's respondents; per published group, its
    equations (and the moments of whole regions, divisions and the company)."""
    c, k = block.counts.shape
    shown = np.flatnonzero(~block.groups["hidden"].to_numpy())
    rows = [sparse.kron(sparse.eye(c), np.ones((1, k)))]
    rows.append(sparse.kron(block.members[shown], sparse.csr_matrix(block.equations.T)))
    moment = shown[np.isin(block.groups["table"].to_numpy()[shown], tables.MOMENT_TABLES)]
    if block.moments.shape[1] and len(moment):
        rows.append(sparse.kron(block.members[moment], sparse.csr_matrix(block.moments.T)))
    a = sparse.vstack(rows).tocsr()
    b = a @ block.counts.ravel()
    vec = np.zeros(c)
    vec[target_cells] = 1
    obj = np.kron(vec, block.figures[:, figure])
    return [sign * linprog(sign * obj, A_eq=a, b_eq=b, bounds=(0, None), method="highs").fun
            for sign in (1.0, -1.0)]


@pytest.mark.parametrize("seed", [0, 1])
def test_program_bounds_equal_scipy_linprog(seed):
    """The hot-started HiGHS program gives linprog's answer, before and after hiding."""
    block = _block(_random(seed))
    prog = tables._Program(block)
    targets = tables.targets(block)[:6]
    assert targets
    for step in range(2):
        for target in targets:
            cells = tables._cells_of(block, target)
            vec = np.zeros(len(block.cells))
            vec[cells] = 1
            for m in range(block.figures.shape[1]):
                got = prog.bounds(np.kron(vec, block.figures[:, m]))
                assert got == pytest.approx(_reference_bounds(block, cells, m), abs=1e-6)
        if step == 0:  # hide two groups and check the freed rows again
            for i in np.flatnonzero(~block.groups["hidden"].to_numpy())[:2]:
                block.groups.at[i, "hidden"] = True
                prog.hide(int(i))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_after_protection_no_small_group_is_bounded_and_no_small_cell_determined(seed):
    """Independent checks: each small group's figures reach ±10 points under linprog;
    no small cell's row is in the row space of the published groups (rank goes up)."""
    block = tables.protect(_block(_random(seed)))
    assert tables.audit(block).ok
    for kind, i in tables.targets(block):
        cells = tables._cells_of(block, (kind, i))
        if kind != "group":
            continue
        n = block.n_cells[cells].sum()
        sums = block.counts[cells].sum(axis=0) @ block.figures
        for m in range(block.figures.shape[1]):
            lo, hi = (b / n for b in _reference_bounds(block, cells, m))
            true = sums[m] / n
            assert lo <= max(0.0, true - 10) + 1e-6 and hi >= min(100.0, true + 10) - 1e-6
    a = block.members[~block.groups["hidden"].to_numpy()].toarray()
    rank = np.linalg.matrix_rank(a)
    small = np.flatnonzero((block.n_cells > 0) & (block.n_cells < 5))
    assert len(small)
    for j in small:
        e = np.zeros((1, a.shape[1]))
        e[0, j] = 1
        assert np.linalg.matrix_rank(np.vstack([a, e])) == rank + 1


def test_small_departments_are_pooled_as_other_departments():
    spec = [("U1", f"2025-0{m}", d, [4] * n) for m in (1, 2, 3)
            for d, n in (("Sales", 6), ("Stock", 3), ("Admin", 2))]
    spec += [("U2", f"2025-0{m}", d, [3] * n) for m in (1, 2, 3)
             for d, n in (("Sales", 6), ("Stock", 4), ("Admin", 1))]
    pools = tables.pools(tables._label(_answers(spec).assign(
        region="North", division="D")), 5)
    got = pools.set_index(["unit_id", "department"])["dept_group"]
    # people, not answers: Admin's 2 a month are 2 people (6 answers a quarter). U1:
    # Admin 2 + Stock 3 = 5 people a month -> one pool; U2: Admin 1 joins the next
    # smallest, Stock 4, in one pool of 5
    assert got[("U1", "Stock")] == got[("U1", "Admin")] == tables.OTHER
    assert got[("U2", "Admin")] == got[("U2", "Stock")] == tables.OTHER
    assert got[("U1", "Sales")] == "Sales"
    block = _block(_answers(spec))
    g = block.groups[block.groups.table == "unit_department_quarter"]
    assert set(g["department"]) == {"Sales", tables.OTHER}
    assert (g["people"] >= 5).all() and not g["hidden"].any()


def test_a_quarter_counts_people_by_its_largest_month():
    """A department of 3 people answering every month is 9 answers but 3 people: hidden."""
    spec = [(u, f"2025-0{m}", d, [4] * n) for u in ("U1", "U2") for m in (1, 2, 3)
            for d, n in (("Sales", 8), ("Admin", 3 if u == "U1" else 0)) if n]
    block = _block(_answers(spec))
    g = block.groups
    admin = g[(g.table == "department_quarter") & (g.department == "Admin")].iloc[0]
    assert (admin["n"], admin["people"], admin["hidden"]) == (9, 3, True)


def test_incomplete_quarters_have_no_department_tables():
    spec = [("U1", "2025-04", "Sales", [4] * 6), ("U2", "2025-04", "Sales", [3] * 6)]
    block = _block(_answers(spec))
    assert not set(block.groups["table"]) & set(tables.QUARTER_TABLES)


def test_every_witness_cycle_changes_no_group():
    """Moving one respondent of each answer around every cycle the witness yields leaves
    every group's answer counts as they were."""
    block = _block(_random(4))
    wit = tables._Witness(block)
    before = block.members @ block.counts
    checked = 0
    for j in np.flatnonzero(block.n_cells > 0)[:40]:
        u, p, d = block.cells.loc[j, ["unit_id", "period", "department"]]
        periods, depts = wit.by_unit[str(u)]
        for a, b, c in wit._cycles(str(u), p, d, periods, depts):
            moved = np.zeros(len(block.cells))
            moved[[j, b]] -= 1
            moved[[a, c]] += 1  # one respondent of the same answer along the cycle
            assert np.allclose(block.members @ moved, 0)
            checked += 1
    assert checked > 20
    assert np.allclose(block.members @ block.counts, before)


def test_a_reader_scoped_to_units_sees_only_groups_inside_them():
    block = tables.protect(_block(_random(1)))
    seen = tables.visible_to(block, ["U2", "U3"])
    shown = seen.groups[~seen.groups["hidden"]]
    assert set(shown["table"]) <= {"unit_month", "unit_department_quarter"}
    assert set(shown["unit_id"].dropna()) <= {"U2", "U3"}
    assert tables.audit(seen).ok


def test_enps_is_published_in_three_categories():
    raw = pd.DataFrame({"unit_id": ["U1"] * 4, "period": ["2025-01"] * 4,
                        "department": ["Sales"] * 4, "family": ["enps"] * 4,
                        "value": [0.0, 6.0, 8.0, 10.0], "flag": False, "n": [1, 2, 3, 4]})
    (block,) = tables.blocks(raw, ORG, 5)
    assert list(block.keys["value"]) == [0.0, 1.0, 2.0]
    assert list(block.counts[0]) == [3, 3, 4]  # 0-6, 7-8, 9-10
