"""The published table set of employee figures, protected and audited as a whole.

metrics.md §7: a suppressed group must not be recoverable from any combination of what a
role can see. Checking each figure against its neighbours is not enough (a linear system
built from many allowed views recovers every small group), so employee figures are
published only as the cells of a fixed set of tables, decided together:

======================  =============================================================
table                   groups
======================  =============================================================
``unit × month``        each unit's month
``region × month``      each region's month (and ``division × month``)
``company × month``     the whole company's month
``department × year``   each department of the whole company, per calendar year
``unit × dept × year``  each department of each unit, per calendar year
======================  =============================================================

Every group is a set of *cells* (unit × month × department, the finest grain the store
keeps). A reader learns, for each published group, its respondent count and the sum of
each measure (the mean times the count): one linear equation per figure. Protection:

1. **primary suppression**: a group with 1 to ``min_n - 1`` respondents is hidden;
2. **secondary suppression**: while some *target* (a hidden group, or a cell of 1 to
   ``min_n - 1`` respondents) is not protected, one more group is hidden: a published
   sibling of it in the same table (sharing the most coarser groups with it, the
   smallest first), or for a cell the smallest published group that holds it;
3. **the audit** (:func:`audit`): for each target, linear programs over every published
   equation (HiGHS, through highspy) give the interval in which the target's count and each of its
   means must lie, given that every cell's count is at least 0 and each answer lies in
   0-100. A target is protected when its count is not determined (the interval is at
   least one respondent wide) and each mean's interval reaches at least
   ``protection`` points (default 10) either side of the true mean (or the end of the
   scale). The audit assumes the reader knows every cell's true count when bounding the
   means: stricter than any reader can be.

Hiding a group only removes equations, so a target once protected stays protected as more
is hidden: the work list below ends, and the final audit confirms it over every target.
A figure for any other selection (a month range, several units) is shown only when it is
a sum of published groups, so it tells nothing the published set does not.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
from scipy import linalg, sparse

#: the tables of the published set: the keys of each (``year`` = the period's year)
TABLES: dict[str, tuple[str, ...]] = {
    "unit_month": ("unit_id", "period"),
    "region_month": ("region", "period"),
    "division_month": ("division", "period"),
    "company_month": ("period",),
    "department_year": ("department", "year"),
    "unit_department_year": ("unit_id", "department", "year"),
}
#: the measures audited: (respondent count column, per-cell sum column); each answer 0-100
MEASURES: dict[str, tuple[str, str]] = {
    "esat_index": ("n_employee", "esat_sum"),
    "esat_pct_satisfied": ("n_employee", "esat_sat_sum"),
    "enps_promoters_pct": ("n_enps", "promoter_sum"),
    "enps_detractors_pct": ("n_enps", "detractor_sum"),
}
#: the count each family of figures is suppressed by
FAMILIES: dict[str, tuple[str, ...]] = {
    "n_employee": ("esat_index", "esat_pct_satisfied"),
    "n_enps": ("enps_promoters_pct", "enps_detractors_pct"),
}
SCALE = 100.0


def _swallow_banner() -> None:
    """HiGHS prints its banner on stdout when a process makes its first solver; a command
    printing JSON (``report``) must print nothing else, so the first one is made here with
    stdout pointed at /dev/null (once, when this module is imported)."""
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


_swallow_banner()


@dataclass
class Published:
    """The table set of one data version for one family of figures (one count).

    ``groups``: one row per group of every table: ``table``, its key columns (missing
    where a table has no such key), ``n`` (respondents), each measure's ``sum``,
    ``hidden`` (bool) and ``why`` ("" shown, "primary", "secondary").
    ``members``: a sparse groups × cells 0/1 matrix; ``cells`` the cells frame.
    """

    count: str
    groups: pd.DataFrame
    members: sparse.csr_matrix
    cells: pd.DataFrame
    min_n: int
    measures: tuple[str, ...] = field(default_factory=tuple)


def cell_frame(cells: pd.DataFrame) -> pd.DataFrame:
    """The finest cells with their per-cell sums, from the store's employee groups.

    ``cells`` has one row per unit × period × department with ``region``, ``division``,
    ``n_employee``, ``esat_index``, ``esat_sat_n``, ``n_enps``, ``enps_promoters``,
    ``enps_detractors`` (:func:`analytics.store.responses.employee_groups` on
    ``CELL_KEYS`` with the units' org columns). Returns the same rows with ``year`` and
    the sums of :data:`MEASURES` (0-100 per answer), cells with no respondents dropped.
    """
    out = cells.copy()
    for col in ("region", "division", "department"):
        out[col] = out[col].astype(object).where(out[col].notna(), "(none)").astype(str)
    out["year"] = out["period"].astype(str).str[:4]
    n_e = pd.to_numeric(out["n_employee"], errors="coerce").fillna(0).astype(float)
    n_p = pd.to_numeric(out["n_enps"], errors="coerce").fillna(0).astype(float)
    out["n_employee"], out["n_enps"] = n_e, n_p
    out["esat_sum"] = pd.to_numeric(out["esat_index"], errors="coerce").fillna(0) * n_e
    out["esat_sat_sum"] = pd.to_numeric(out["esat_sat_n"], errors="coerce").fillna(0) * SCALE
    out["promoter_sum"] = pd.to_numeric(out["enps_promoters"], errors="coerce").fillna(0) * SCALE
    out["detractor_sum"] = (pd.to_numeric(out["enps_detractors"], errors="coerce").fillna(0)
                            * SCALE)
    keep = (n_e > 0) | (n_p > 0)
    return out[keep].reset_index(drop=True)


def _groups(cells: pd.DataFrame, count: str, measures: Sequence[str]
            ) -> tuple[pd.DataFrame, sparse.csr_matrix]:
    """Every group of every table, and which cells each holds."""
    rows, member_rows, member_cols = [], [], []
    sums = [MEASURES[m][1] for m in measures]
    for table, keys in TABLES.items():
        codes = cells.groupby(list(keys), sort=True, dropna=False).ngroup().to_numpy()
        agg = cells.groupby(list(keys), sort=True, dropna=False)[[count, *sums]].sum()
        agg = agg.reset_index()
        agg.insert(0, "table", table)
        start = sum(len(r) for r in rows)
        rows.append(agg)
        member_rows.append(codes + start)
        member_cols.append(np.arange(len(cells)))
    groups = pd.concat(rows, ignore_index=True).rename(columns={count: "n"})
    members = sparse.csr_matrix(
        (np.ones(len(cells) * len(TABLES)), (np.concatenate(member_rows),
                                              np.concatenate(member_cols))),
        shape=(len(groups), len(cells)))
    return groups, members


@dataclass
class Check:
    """The audit of one target: its intervals and whether it is protected."""

    n: float
    n_low: float
    n_high: float
    means: dict[str, tuple[float, float, float]]  # measure -> (true, low, high)
    protected: bool


class _Program:
    """min / max of ``c @ x`` subject to the published groups' equations, 0 <= x <= upper.

    One HiGHS model per quantity (the counts, each measure's sums) over every group's row;
    a hidden group's row is freed instead of removed, so each new objective starts from
    the last basis (a hot start: milliseconds where a fresh solve takes tens).
    """

    def __init__(self, members: sparse.csr_matrix, values: np.ndarray, upper: np.ndarray,
                 hidden: np.ndarray) -> None:
        self.h = highspy.Highs()
        self.h.silent()
        lp = highspy.HighsLp()
        n_rows, n_cols = members.shape
        rhs = members @ values
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_cost_ = np.zeros(n_cols)
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.asarray(upper, dtype=float)
        lp.row_lower_ = np.where(hidden, -highspy.kHighsInf, rhs)
        lp.row_upper_ = np.where(hidden, highspy.kHighsInf, rhs)
        csc = members.tocsc()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(float)
        self.h.passModel(lp)
        self.n_cols = n_cols
        self.cols = np.arange(n_cols, dtype=np.int32)

    def hide(self, row: int) -> None:
        self.h.changeRowBounds(row, -highspy.kHighsInf, highspy.kHighsInf)

    def bounds(self, objective: np.ndarray) -> tuple[float, float]:
        self.h.changeColsCost(self.n_cols, self.cols, np.asarray(objective, dtype=float))
        out = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            self.h.changeObjectiveSense(sense)
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return -np.inf, np.inf  # cannot happen with the true values; be safe
            out.append(self.h.getInfo().objective_function_value)
        return out[0], out[1]


def _programs(pub: Published) -> dict[str, _Program]:
    """The count program and one program per measure of a published set."""
    hidden = pub.groups["hidden"].to_numpy()
    n_cells = pub.cells[pub.count].to_numpy(dtype=float)
    progs = {"n": _Program(pub.members, n_cells, np.full(len(n_cells), n_cells.sum()),
                           hidden)}
    for m in pub.measures:
        progs[m] = _Program(pub.members, pub.cells[MEASURES[m][1]].to_numpy(dtype=float),
                            SCALE * n_cells, hidden)
    return progs


def check_target(pub: Published, target: np.ndarray, protection: float = 10.0,
                 programs: dict[str, _Program] | None = None) -> Check:
    """Audit one target (a 0/1 vector over cells) against the published groups."""
    progs = programs if programs is not None else _programs(pub)
    cells = pub.cells
    n_cells = cells[pub.count].to_numpy(dtype=float)
    n_true = float(target @ n_cells)
    n_low, n_high = progs["n"].bounds(target)
    ok = (n_high - n_low) >= 1.0 - 1e-6
    means = {}
    for m in pub.measures:
        s_cells = cells[MEASURES[m][1]].to_numpy(dtype=float)
        lo, hi = progs[m].bounds(target)
        true = float(target @ s_cells) / n_true
        lo_m, hi_m = lo / n_true, hi / n_true
        means[m] = (true, lo_m, hi_m)
        need_lo = max(0.0, true - protection)
        need_hi = min(SCALE, true + protection)
        ok = ok and lo_m <= need_lo + 1e-6 and hi_m >= need_hi - 1e-6
    return Check(n_true, n_low, n_high, means, bool(ok))


def _targets(pub: Published) -> list[tuple[str, int]]:
    """The groups that must stay protected: ("group", i) for the groups of 1 to
    ``min_n - 1`` respondents. A group hidden to protect them (secondary) holds ``min_n``
    or more and needs no protection of its own: whatever it would give away about a
    small group, the audit of that group already counts."""
    n_g = pub.groups["n"].to_numpy()
    return [("group", int(i)) for i in np.flatnonzero((n_g > 0) & (n_g < pub.min_n))]


def _small_cells(pub: Published) -> np.ndarray:
    n = pub.cells[pub.count].to_numpy()
    return np.flatnonzero((n > 0) & (n < pub.min_n))


def determined_cells(pub: Published) -> np.ndarray:
    """Small cells (1 to ``min_n - 1`` respondents) that the published groups determine.

    A cell is determined when its indicator lies in the row space of the published
    groups' membership matrix, i.e. when every vector of the matrix's null space is 0 at
    it (scipy.linalg.null_space). Cells are never published themselves; a cell that is
    not determined is not pinned to one value by any combination of published figures.
    """
    small = _small_cells(pub)
    if len(small) == 0:
        return small
    a = pub.members[~pub.groups["hidden"].to_numpy()].toarray()
    if a.shape[0] == 0:
        return np.array([], dtype=int)
    null = linalg.null_space(a)
    if null.shape[1] == 0:
        return small
    free = np.abs(null[small]).max(axis=1)
    return small[free < 1e-9]


def _vector(pub: Published, target: tuple[str, int]) -> np.ndarray:
    kind, i = target
    if kind == "group":
        return pub.members[i].toarray().ravel()
    v = np.zeros(len(pub.cells))
    v[i] = 1.0
    return v


def _holder(pub: Published, target: tuple[str, int]) -> int | None:
    """The smallest published group that shares cells with ``target`` (None: none)."""
    g = pub.groups
    shown = ~g["hidden"].to_numpy() & (g["n"].to_numpy() > 0)
    cells_of = np.flatnonzero(_vector(pub, target) > 0)
    holding = np.flatnonzero(shown & (np.asarray(pub.members[:, cells_of].sum(axis=1))
                                      .ravel() > 0))
    if len(holding) == 0:
        return None
    return int(holding[np.argmin(g["n"].to_numpy()[holding])])


def _complement(pub: Published, target: tuple[str, int], attempt: int = 0) -> int | None:
    """The published group to hide next for ``target`` (None: nothing left to hide).

    A sibling first (another group of the target's table), which keeps the coarser
    totals published; every third attempt, or when no sibling is left, the smallest
    published group holding the target's cells (a total that gives everyone in it the
    same answer, such as "100% satisfied", can only be protected by hiding it)."""
    if target[0] == "cell" or attempt % 3 == 2:
        return _holder(pub, target)
    g = pub.groups
    shown = ~g["hidden"].to_numpy() & (g["n"].to_numpy() > 0)
    i = target[1]
    table = g.at[i, "table"]
    same = np.flatnonzero(shown & (g["table"].to_numpy() == table))
    if len(same) == 0:
        return _holder(pub, target)
    # siblings share coarser groups with the target: count the groups each shares
    parents = pub.members @ pub.members[i].T  # groups x 1: cells shared with the target
    holders = np.flatnonzero(parents.toarray().ravel() > 0)
    holders = holders[g["table"].to_numpy()[holders] != table]
    shared = (pub.members[holders] @ pub.members[same].T).toarray() > 0  # holders x same
    score = shared.sum(axis=0)
    n = g["n"].to_numpy()[same]
    order = np.lexsort((n, -score))
    return int(same[order[0]])


def protect(cells: pd.DataFrame, min_n: int, count: str = "n_employee",
            protection: float = 10.0) -> Published:
    """Build the table set of one family and suppress until every target is protected.

    Parameters
    ----------
    cells : pandas.DataFrame
        :func:`cell_frame` output.
    min_n : int
        ``Settings.min_group_size``.
    count : str
        ``"n_employee"`` (ESAT figures) or ``"n_enps"`` (eNPS figures).
    protection : float
        Points of the 0-100 scale a hidden mean must stay uncertain by, either side.

    Returns
    -------
    Published
        ``groups`` with ``hidden`` and ``why`` decided; :func:`audit` of it passes.
    """
    measures = FAMILIES[count]
    work = cells[cells[count] > 0].reset_index(drop=True)
    groups, members = _groups(work, count, measures)
    small = (groups["n"] > 0) & (groups["n"] < min_n)
    groups["hidden"] = small.to_numpy()
    groups["why"] = np.where(small, "primary", "")
    pub = Published(count, groups, members, work, min_n, measures)
    progs = _programs(pub)

    def hide(i: int) -> None:
        pub.groups.at[i, "hidden"] = True
        pub.groups.at[i, "why"] = "secondary"
        for prog in progs.values():
            prog.hide(i)

    for target in _targets(pub):
        attempt = 0
        while not check_target(pub, _vector(pub, target), protection, progs).protected:
            nxt = _complement(pub, target, attempt)
            if nxt is None:
                break
            hide(nxt)
            attempt += 1
    while len(pinned := determined_cells(pub)):
        hid = {nxt for j in pinned if (nxt := _complement(pub, ("cell", int(j)))) is not None}
        if not hid:
            break
        for i in hid:
            hide(i)
    return pub


@dataclass
class Audit:
    """What :func:`audit` found: counts and the narrowest protection of any target."""

    published: int
    hidden: int
    targets: int
    failed: list[str]
    narrowest: float  # points: the smallest distance from a true mean to its interval end

    @property
    def ok(self) -> bool:
        return not self.failed


def visible_to(pub: Published, units: Sequence[str] | None) -> Published:
    """The part of a published set that a reader scoped to ``units`` sees (None: all):
    groups wholly inside those units stay as they are, every other group is hidden."""
    if units is None:
        return pub
    inside = pub.cells["unit_id"].astype(str).isin(list(units)).to_numpy().astype(float)
    held = pub.members @ inside
    whole = np.isclose(held, np.asarray(pub.members.sum(axis=1)).ravel())
    groups = pub.groups.copy()
    groups["hidden"] = groups["hidden"].to_numpy() | ~whole
    return Published(pub.count, groups, pub.members, pub.cells, pub.min_n, pub.measures)


def audit(pub: Published, protection: float = 10.0) -> Audit:
    """Check every target of a published set; a failed target is named in ``failed``.

    ``narrowest`` is the smallest distance, in points, from a hidden small group's true
    mean to the nearer end of the interval a reader can bound it to (where the scale
    leaves room for the protection); at least ``protection`` when the audit passes.
    """
    failed, narrowest = [], np.inf
    progs = _programs(pub)
    for target in _targets(pub):
        chk = check_target(pub, _vector(pub, target), protection, progs)
        for true, lo, hi in chk.means.values():
            room = min(true - lo if true - protection > 0 else np.inf,
                       hi - true if true + protection < SCALE else np.inf)
            narrowest = min(narrowest, room)
        if not chk.protected:
            failed.append(_label(pub, target, chk))
    for j in determined_cells(pub):
        c = pub.cells.iloc[int(j)]
        failed.append(f"cell {c['unit_id']} {c['period']} {c['department']}: determined "
                      f"({c[pub.count]:.0f} respondents)")
    g = pub.groups
    has = g["n"] > 0
    return Audit(int((has & ~g["hidden"]).sum()), int((has & g["hidden"]).sum()),
                 len(_targets(pub)) + len(_small_cells(pub)), failed, float(narrowest))


def _label(pub: Published, target: tuple[str, int], chk: Check) -> str:
    kind, i = target
    if kind == "cell":
        c = pub.cells.iloc[i]
        name = f"cell {c['unit_id']} {c['period']} {c['department']}"
    else:
        row = pub.groups.iloc[i]
        keys = TABLES[row["table"]]
        name = f"{row['table']} " + " ".join(str(row[k]) for k in keys)
    means = ", ".join(f"{m} {t:.1f} in [{lo:.1f}, {hi:.1f}]"
                      for m, (t, lo, hi) in chk.means.items())
    return f"{name}: n {chk.n:.0f} in [{chk.n_low:.1f}, {chk.n_high:.1f}]; {means}"
