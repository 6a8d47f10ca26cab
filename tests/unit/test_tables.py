"""The published table set (analytics.access.tables): suppression and its audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analytics.access import tables


def _cells(spec: list[tuple[str, str, str, list[int]]]) -> pd.DataFrame:
    """Cells from (unit, period, department, answers on 0-4) tuples."""
    rows = []
    for unit, period, dept, answers in spec:
        x = np.asarray(answers, dtype=float) * 25.0
        rows.append({"unit_id": unit, "period": period, "department": dept,
                     "region": "North" if unit in ("U1", "U2") else "South",
                     "division": "D", "n_employee": len(x), "esat_index": x.mean(),
                     "esat_sat_n": int((x >= 75).sum()), "n_enps": len(x),
                     "enps_promoters": 0, "enps_detractors": 0})
    return tables.cell_frame(pd.DataFrame(rows))


def _random_cells(seed: int, units: int = 6, months: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spec = []
    for u in range(units):
        for m in range(months):
            for d in ("Sales", "Stock", "Admin"):
                n = int(rng.integers(1, 4 if d == "Admin" else 12))
                spec.append((f"U{u + 1}", f"2025-{m + 1:02d}", d,
                             list(rng.integers(0, 5, size=n))))
    return _cells(spec)


#: three units in one month: U1 has 3 respondents, so its month is a small group
THREE = [("U1", "2025-01", "Sales", [4, 4, 3]),
         ("U2", "2025-01", "Sales", [2, 3, 4, 1, 0, 2, 3]),
         ("U3", "2025-01", "Sales", [1, 1, 2, 3, 4, 4, 4, 0])]


def test_primary_suppression_alone_fails_the_audit():
    """Company minus the other units gives U1's month away: the audit must say so."""
    cells = _cells(THREE)
    groups, members = tables._groups(cells, "n_employee", tables.FAMILIES["n_employee"])
    groups["hidden"] = ((groups["n"] > 0) & (groups["n"] < 5)).to_numpy()
    groups["why"] = np.where(groups["hidden"], "primary", "")
    pub = tables.Published("n_employee", groups, members, cells, 5,
                           tables.FAMILIES["n_employee"])
    found = tables.audit(pub)
    assert not found.ok
    assert any("unit_month U1 2025-01" in f for f in found.failed)
    u1 = groups.index[(groups.table == "unit_month") & (groups.unit_id == "U1")][0]
    chk = tables.check_target(pub, members[u1].toarray().ravel())
    assert (chk.n_low, chk.n_high) == pytest.approx((3, 3))
    true, lo, hi = chk.means["esat_index"]
    assert true == pytest.approx(100 * 11 / 12) and lo == pytest.approx(hi)


def test_protect_hides_a_complement_and_the_audit_passes():
    pub = tables.protect(_cells(THREE), 5)
    g = pub.groups
    um = g[g.table == "unit_month"].set_index("unit_id")
    assert um.at["U1", "why"] == "primary"
    assert (g["why"] == "secondary").any()
    assert tables.audit(pub).ok


def test_bounds_equal_scipy_linprog():
    """The hot-started HiGHS programs give scipy's linprog answer for every target."""
    pub = tables.protect(_random_cells(3), 5)
    progs = tables._programs(pub)
    shown = ~pub.groups["hidden"].to_numpy()
    a = pub.members[shown]
    s = pub.cells["esat_sum"].to_numpy()
    upper = 100.0 * pub.cells["n_employee"].to_numpy()
    for kind, i in tables._targets(pub)[:5] + [("cell", int(j))
                                               for j in tables._small_cells(pub)[:5]]:
        v = tables._vector(pub, (kind, i))
        lo, hi = progs["esat_index"].bounds(v)
        ref = [linprog(sign * v, A_eq=a, b_eq=a @ s, bounds=np.column_stack(
            [np.zeros_like(upper), upper]), method="highs").fun * sign for sign in (1, -1)]
        assert (lo, hi) == pytest.approx(tuple(ref), abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_small_cell_is_determined_after_protection(seed):
    """Independent check by linear algebra: after protection, no small cell's count is a
    combination of published counts (rank with the cell's row added stays higher)."""
    pub = tables.protect(_random_cells(seed), 5)
    assert tables.audit(pub).ok
    a = pub.members[~pub.groups["hidden"].to_numpy()].toarray()
    rank = np.linalg.matrix_rank(a)
    for j in tables._small_cells(pub):
        e = np.zeros((1, a.shape[1]))
        e[0, j] = 1
        assert np.linalg.matrix_rank(np.vstack([a, e])) == rank + 1


def test_a_reader_scoped_to_units_sees_only_groups_inside_them():
    pub = tables.protect(_cells(THREE), 5)
    seen = tables.visible_to(pub, ["U2"])
    shown = seen.groups[~seen.groups["hidden"]]
    assert set(shown["table"]) <= {"unit_month", "unit_department_year"}
    assert set(shown["unit_id"].dropna()) <= {"U2"}
    assert tables.audit(seen).ok
