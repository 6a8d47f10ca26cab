"""The published table set of employee figures, protected and audited as a whole.

metrics.md §7: a suppressed group must not be recoverable from any combination of what a
role can see. Checking each figure against its neighbours is not enough (a linear system
built from many allowed views recovers every small group), so employee figures are
published only as the cells of a fixed set of tables, decided together:

============================  ==========================================================
table                         groups
============================  ==========================================================
``unit_month``                each unit's month
``region_month``              each region's month (and ``division_month``)
``company_month``             the whole company's month
``department_quarter``        each department of the whole company, per calendar quarter
``unit_department_quarter``   each department of each unit, per calendar quarter
============================  ==========================================================

Department tables exist only for *complete* quarters (the store holds a month at or after
the quarter's last one), so a quarter's department figures do not change every month as
its months arrive (a reader who kept last month's "quarter to date" could subtract it).
No group spans two quarters, so each quarter is decided and audited on its own.

**Cells and answers.** Every group is a set of *cells* (one unit's department in one
month, the finest grain the store keeps); a reader of a group's figures learns, for each
family of figures, linear functions of how many of its respondents gave each answer:

- ``esat``: the sum of answers (0-100), the number in the scale's top two points, the sum
  of squared answers (the standard deviation behind every change test);
- ``enps``: how many gave each point 0-10 (the histogram, hence promoters and detractors);
- ``item:<name>``: the sum of the item's answers (0-100).

**Protection.** The audit's unknowns are, per cell, how many respondents gave each
answer; the reader is assumed to know every cell's respondent count (stricter than any
reader can be). A *target* is a group of 1 to ``min_n - 1`` respondents: a table cell
(hidden by primary suppression) or a store cell (a unit's department in one month, which
is never published but which a filter could name). A target is protected when, for each
figure of its family (ESAT index and % satisfied; % promoters and % detractors; an item's
mean), every value within ``protection`` points (default 10) of its true value, either
side, up to the end of the 0-100 scale, is consistent with every published equation.

Two certificates prove it:

1. a **witness** (store cells): exchanging respondents between the target, another
   department of its unit in the same month, and the same two departments of the unit in
   another month of the quarter changes no group of any table, so it is another company
   that every published figure describes exactly; the exchanges are chosen to move the
   target's figure by the protection either way;
2. a **linear program** (anything else, or when no witness is found): HiGHS (highspy)
   bounds the target's figure over every published equation, re-solved from the last basis
   for each new objective.

**Suppression.** Primary: every table cell of 1 to ``min_n - 1`` respondents is hidden.
Secondary: while a target is not protected, one more table cell is hidden (a sibling in
the target's table sharing the most coarser groups with it, the smallest first; every
third attempt, or for a store cell, the smallest published group that holds it). Hiding
only removes equations, so a protected target stays protected; the final audit
(:func:`audit`) checks every target again. Each family is decided on its own: a group can
show its ESAT and hide its eNPS.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

#: the tables of the published set and their keys (``quarter`` as ``YYYY-Qn``)
TABLES: dict[str, tuple[str, ...]] = {
    "unit_month": ("unit_id", "period"),
    "region_month": ("region", "period"),
    "division_month": ("division", "period"),
    "company_month": ("period",),
    "department_quarter": ("department", "quarter"),
    "unit_department_quarter": ("unit_id", "department", "quarter"),
}
QUARTER_TABLES = ("department_quarter", "unit_department_quarter")
#: every key column a group row may carry
KEY_COLUMNS = ("unit_id", "period", "region", "division", "department", "quarter")
#: the figures each family's audit protects
MEASURES: dict[str, tuple[str, ...]] = {
    "esat": ("esat_index", "esat_pct_satisfied"),
    "enps": ("enps_promoters_pct", "enps_detractors_pct"),
    "item": ("mean",),
}
SCALE = 100.0
NOT_GIVEN = "(not given)"
#: a unit's departments under the minimum in a quarter are published together as this
OTHER = "Other departments"
NO_ORG = "(none)"
_EPS = 1e-6
#: how far a store cell's figure must be able to move (in answer points x respondents)
#: for it not to be determined
_STEP = 1e-3


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


def quarter_of(periods: pd.Series) -> pd.Series:
    """``YYYY-MM`` months as their calendar quarter ``YYYY-Qn``."""
    p = periods.astype(str)
    return p.str[:4] + "-Q" + ((p.str[5:7].astype(int) - 1) // 3 + 1).astype(str)


def quarter_months(quarter: str) -> list[str]:
    """The three ``YYYY-MM`` months of a ``YYYY-Qn`` quarter."""
    year, q = quarter[:4], int(quarter[-1])
    return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def kind(family: str) -> str:
    """``'esat'``, ``'enps'`` or ``'item'`` for a family name such as ``'item:tools'``."""
    return "item" if family.startswith("item:") else family


#: tables whose groups also publish the second moment of ESAT (the standard deviation
#: behind the change tests): whole regions, divisions and the company, never a unit
MOMENT_TABLES = ("region_month", "division_month", "company_month")
#: eNPS is published as three categories, never the 0-10 histogram of a group
ENPS_CATEGORIES = {0: "detractor", 1: "passive", 2: "promoter"}


def enps_category(points: pd.Series) -> pd.Series:
    """eNPS points 0-10 as their category code (0 detractor 0-6, 1 passive, 2 promoter)."""
    v = points.astype(float)
    return pd.Series(np.select([v >= 9, v >= 7], [2.0, 1.0], 0.0), index=points.index)


def matrices(family: str, keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per answer key: the equations every group publishes (K x E), the extra equations
    of :data:`MOMENT_TABLES` groups (K x E2) and the audited figures (K x M).

    ``keys`` has one row per distinct answer (``value``, ``flag``) of the family. For a
    group holding ``c[k]`` respondents with answer ``k``, ``c @ equations`` is what a
    reader learns and ``c @ figures / n`` its figures (0-100).
    """
    v = keys["value"].to_numpy(dtype=float)
    flag = keys["flag"].to_numpy(dtype=bool).astype(float)
    k = kind(family)
    none = np.zeros((len(v), 0))
    if k == "esat":
        return (np.column_stack([v, SCALE * flag]), (v * v / SCALE)[:, None],
                np.column_stack([v, SCALE * flag]))
    if k == "enps":  # category codes: every category's count is published
        return np.eye(len(v)), none, np.column_stack([SCALE * (v == 2), SCALE * (v == 0)])
    return v[:, None], none, v[:, None]


@dataclass
class Block:
    """One family's cells of one quarter, its groups and whether each is hidden.

    ``cells``: one row per store cell (``unit_id``, ``period``, ``department``,
    ``region``, ``division``, ``quarter``); ``counts`` (cells x answers): respondents per
    answer; ``keys``: the answers (``value``, ``flag``); ``groups``: one row per group of
    every table (``table``, its keys, ``n``, ``hidden``, ``why``); ``members``: sparse
    groups x cells 0/1.
    """

    family: str
    cells: pd.DataFrame
    counts: np.ndarray
    keys: pd.DataFrame
    groups: pd.DataFrame
    members: sparse.csr_matrix
    min_n: int
    equations: np.ndarray = field(init=False)
    moments: np.ndarray = field(init=False)
    figures: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.equations, self.moments, self.figures = matrices(self.family, self.keys)

    @property
    def n_cells(self) -> np.ndarray:
        return self.counts.sum(axis=1)

    @property
    def measures(self) -> tuple[str, ...]:
        return MEASURES[kind(self.family)]


def _label(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["department"] = out["department"].astype(object).where(out["department"].notna(),
                                                               NOT_GIVEN).astype(str)
    for col in ("region", "division"):
        out[col] = out[col].astype(object).where(out[col].notna(), NO_ORG).astype(str)
    out["quarter"] = quarter_of(out["period"])
    return out


def blocks(answers: pd.DataFrame, org: pd.DataFrame, min_n: int,
           families: Iterable[str] | None = None) -> list[Block]:
    """The blocks (family x quarter) of the store's answers, primary suppression applied.

    ``answers``: :func:`analytics.store.cells.employee_answer_counts`; ``org``: the units'
    ``unit_id``, ``region``, ``division``. A quarter's department tables are built only
    when the store holds a month at or after its last month.
    """
    if answers.empty:
        return []
    data = _label(answers.merge(org[["unit_id", "region", "division"]], on="unit_id",
                                how="left"))
    enps = data["family"] == "enps"
    if enps.any():
        data.loc[enps, "value"] = enps_category(data.loc[enps, "value"])
        data = data.groupby([c for c in data.columns if c != "n"], as_index=False,
                            dropna=False, sort=False)["n"].sum()
    latest = str(data["period"].max())
    pooled = pools(data, min_n)
    data = data.merge(pooled[["unit_id", "quarter", "department", "dept_group"]],
                      on=["unit_id", "quarter", "department"], how="left")
    out = []
    wanted = set(families) if families is not None else None
    for family, fam in data.groupby("family", sort=True):
        if wanted is not None and family not in wanted:
            continue
        keys = (fam[["value", "flag"]].drop_duplicates().sort_values(["value", "flag"])
                .reset_index(drop=True))
        key_of = {(float(v), bool(f)): i for i, (v, f) in
                  enumerate(zip(keys["value"], keys["flag"], strict=True))}
        for quarter, part in fam.groupby("quarter", sort=True):
            complete = quarter_months(str(quarter))[-1] <= latest
            out.append(_block(str(family), part, keys, key_of, complete, min_n))
    return out


def pools(data: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Which departments of each unit and quarter are published together as
    :data:`OTHER` (table redesign, as statistical offices do before suppressing).

    A quarter's group is counted in *people*, not answers: the same people answer every
    month, so a department of 3 gives 9 answers a quarter; its people are estimated as
    its largest month (:func:`people`). Per unit and quarter, departments of fewer than
    ``min_n`` people (on ESAT, the family with the most answers) join the pool, smallest
    first, and the pool takes the next smallest department while it holds fewer than
    ``min_n``. A small department then never is a hidden group of its own that the
    unit's months minus its other departments would give away.

    Returns one row per unit, quarter and department: ``dept_group`` (the department, or
    :data:`OTHER`), ``n`` (ESAT answers), ``people``.
    """
    base = data[data["family"] == "esat"] if (data["family"] == "esat").any() else data
    monthly = base.groupby(["unit_id", "quarter", "department", "period"],
                           as_index=False)["n"].sum()
    n = (monthly.groupby(["unit_id", "quarter", "department"], as_index=False)
         .agg(n=("n", "sum"), people=("n", "max"))
         .sort_values(["unit_id", "quarter", "people", "department"]))
    by_month = monthly.set_index(["unit_id", "quarter", "department", "period"])["n"]
    group = n["department"].to_numpy(dtype=object).copy()
    for (unit, quarter), part in n.groupby(["unit_id", "quarter"], sort=False):
        pooled: pd.Series | None = None
        take = []
        for i, dept, size in zip(part.index, part["department"], part["people"],
                                 strict=True):
            together = 0.0 if pooled is None else float(pooled.max())
            if size >= min_n and (not take or together >= min_n):
                break
            take.append(i)
            months = by_month.loc[(unit, quarter, dept)]
            pooled = months if pooled is None else pooled.add(months, fill_value=0)
        together = 0.0 if pooled is None else float(pooled.max())
        if len(take) > 1 or (take and together < min_n):
            for i in take:
                group[n.index.get_loc(i)] = OTHER
    return n.assign(dept_group=group).reset_index(drop=True)


def people(block: Block) -> np.ndarray:
    """Each group's people: its respondents for a month's group; for a quarter's group,
    its largest month (the same people answer every month, so a quarter's answers
    overcount them; without respondent ids the largest month is the safe estimate)."""
    m = block.members
    n_cells = block.n_cells
    out = np.asarray(m @ n_cells, dtype=float)
    quarter = np.isin(block.groups["table"].to_numpy(), QUARTER_TABLES)
    if quarter.any():
        periods = block.cells["period"].astype(str).to_numpy()
        best = np.zeros(len(out))
        for p in np.unique(periods):
            best = np.maximum(best, m @ np.where(periods == p, n_cells, 0.0))
        out = np.where(quarter, best, out)
    return out


def _block(family: str, part: pd.DataFrame, keys: pd.DataFrame, key_of: dict,
           complete: bool, min_n: int) -> Block:
    cell_cols = ["unit_id", "period", "department", "region", "division", "quarter",
                 "dept_group"]
    codes = part.groupby(cell_cols[:3], sort=True).ngroup().to_numpy()
    cells = (part[cell_cols].drop_duplicates(cell_cols[:3])
             .sort_values(cell_cols[:3]).reset_index(drop=True))
    k = np.array([key_of[(float(v), bool(f))] for v, f in
                  zip(part["value"], part["flag"], strict=True)], dtype=int)
    counts = np.zeros((len(cells), len(keys)))
    np.add.at(counts, (codes, k), part["n"].to_numpy(dtype=float))
    frames, rows, cols, start = [], [], [], 0
    for table, tkeys in TABLES.items():
        if table in QUARTER_TABLES and not complete:
            continue
        by = ["dept_group" if k == "department" and table == "unit_department_quarter"
              else k for k in tkeys]
        grouped = cells.groupby(by, sort=True)
        g_codes = grouped.ngroup().to_numpy()
        heads = grouped.size().reset_index()[by].rename(columns={"dept_group": "department"})
        heads.insert(0, "table", table)
        frames.append(heads)
        rows.append(g_codes + start)
        cols.append(np.arange(len(cells)))
        start += len(heads)
    groups = pd.concat(frames, ignore_index=True)
    for col in KEY_COLUMNS:
        if col not in groups:
            groups[col] = None
    members = sparse.csr_matrix((np.ones(sum(len(r) for r in rows)),
                                 (np.concatenate(rows), np.concatenate(cols))),
                                shape=(len(groups), len(cells)))
    groups = groups[["table", *KEY_COLUMNS]]
    groups["n"] = members @ counts.sum(axis=1)
    block = Block(family, cells, counts, keys, groups, members, min_n)
    groups["people"] = people(block)
    small = ((groups["n"] > 0) & (groups["people"] < min_n)).to_numpy()
    groups["hidden"] = small
    groups["why"] = np.where(small, "primary", "")
    return block


def _rows(block: Block, cols: np.ndarray, groups: np.ndarray) -> sparse.csr_matrix:
    """The equations of ``groups`` (and their moments, for :data:`MOMENT_TABLES` groups)
    over the answer counts of the cells ``cols``: cell rows first, then groups."""
    c, k = len(cols), block.counts.shape[1]
    m = block.members[groups][:, cols]
    parts = [sparse.kron(sparse.eye(c), np.ones((1, k))),
             sparse.kron(m, sparse.csr_matrix(block.equations.T))]
    if block.moments.shape[1]:
        moment = block.groups["table"].to_numpy()[groups]
        parts.append(sparse.kron(m[np.isin(moment, MOMENT_TABLES)],
                                 sparse.csr_matrix(block.moments.T)))
    return sparse.vstack(parts).tocsc()


class _Program:
    """min / max of a linear objective over the answer counts the published groups
    allow: per cell, counts per answer >= 0 adding up to the cell's respondents; per
    published group, its equations.

    Over every cell of the block (``cols`` None), every group has its rows and a hidden
    group's rows are freed, so each new objective starts from the last basis (a hot
    start). Over some cells only, the others are held at their true counts (a reader who
    knew them: bounds found so are never wider than the whole block's) and only the
    published groups that touch them have rows.
    """

    def __init__(self, block: Block, cols: np.ndarray | None = None) -> None:
        whole = cols is None
        cols = np.arange(len(block.cells)) if whole else cols
        hidden = block.groups["hidden"].to_numpy()
        touching = np.asarray(block.members[:, cols].sum(axis=1)).ravel() > 0
        groups = np.arange(len(hidden)) if whole else np.flatnonzero(touching & ~hidden)
        a = _rows(block, cols, groups)
        k = block.counts.shape[1]
        rhs = a @ block.counts[cols].ravel()
        free = np.zeros(a.shape[0], dtype=bool)
        self.row_of: dict[int, list[int]] = {}
        if whole:
            c, e, e2 = len(cols), block.equations.shape[1], block.moments.shape[1]
            moment = np.flatnonzero(np.isin(block.groups["table"].to_numpy(), MOMENT_TABLES))
            for g in groups:
                self.row_of[int(g)] = list(range(c + g * e, c + (g + 1) * e))
            base = c + len(groups) * e
            for pos, g in enumerate(moment if e2 else []):
                self.row_of[int(g)] += list(range(base + pos * e2, base + (pos + 1) * e2))
            for g in np.flatnonzero(hidden):
                free[self.row_of[int(g)]] = True
        self.h = highspy.Highs()
        self.h.silent()
        # each new objective keeps the last solution feasible: primal simplex restarts
        # from it (about 3x faster here than the default dual simplex)
        self.h.setOptionValue("simplex_strategy", 4)
        lp = highspy.HighsLp()
        n = len(cols) * k
        lp.num_col_, lp.num_row_ = n, a.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.repeat(block.n_cells[cols], k).astype(float)
        lp.row_lower_ = np.where(free, -highspy.kHighsInf, rhs)
        lp.row_upper_ = np.where(free, highspy.kHighsInf, rhs)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        self.h.passModel(lp)
        self.cols = cols
        self.idx = np.arange(n, dtype=np.int32)

    def hide(self, group: int) -> None:
        for row in self.row_of.get(group, []):
            self.h.changeRowBounds(row, -highspy.kHighsInf, highspy.kHighsInf)

    def bounds(self, objective: np.ndarray) -> tuple[float, float]:
        """min and max of ``objective`` (one weight per cell of ``cols`` and answer)."""
        self.h.changeColsCost(len(self.idx), self.idx, np.asarray(objective, dtype=float))
        out = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            self.h.changeObjectiveSense(sense)
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return -np.inf, np.inf  # the true counts are feasible: cannot happen
            out.append(self.h.getInfo().objective_function_value)
        return out[0], out[1]


@dataclass
class Check:
    """The audit of one target: per figure (true, low, high) and whether it is safe."""

    n: float
    figures: dict[str, tuple[float, float, float]]
    protected: bool
    how: str  # 'witness', 'local' (a program over the target's units) or 'lp'


Target = tuple[str, int]  # ("group", row of groups) or ("cell", row of cells)


def targets(block: Block) -> list[Target]:
    """Groups of 1 to ``min_n - 1`` people and store cells of 1 to ``min_n - 1``
    respondents."""
    n_g = block.groups["n"].to_numpy()
    p_g = block.groups["people"].to_numpy() if "people" in block.groups else n_g
    n_c = block.n_cells
    return ([("group", int(i)) for i in np.flatnonzero((n_g > 0) & (p_g < block.min_n))]
            + [("cell", int(j)) for j in np.flatnonzero((n_c > 0) & (n_c < block.min_n))])


def _cells_of(block: Block, target: Target) -> np.ndarray:
    kind_, i = target
    if kind_ == "cell":
        return np.array([i])
    return block.members[i].indices


class _Witness:
    """Exchanges of respondents inside one unit that change no group of any table.

    Target T (a department in month m), A (another department d' in m), C (T's
    department in another month m' of the quarter), B (d' in m'): T gives A an answer
    ``o`` for an answer ``i``; C gives B an answer ``i2`` for ``o2`` with the same
    difference in every published equation (``equations[i] - equations[o] ==
    equations[i2] - equations[o2]``). Months m and m', departments d and d' of the unit
    and of the company, and the org's months, all keep their equations; only the hidden
    department-months change.
    """

    def __init__(self, block: Block) -> None:
        c = block.cells
        self.index = {(u, p, d): j for j, (u, p, d) in
                      enumerate(zip(c["unit_id"], c["period"], c["department"], strict=True))}
        self.by_unit: dict[str, tuple[list[str], list[str]]] = {}
        for u, part in c.groupby("unit_id", sort=False):
            self.by_unit[str(u)] = (sorted(set(part["period"])), sorted(set(part["department"])))
        self.block = block
        pooled = c[c["dept_group"] == OTHER]
        self.pool = {str(u): set(part["department"]) for u, part in
                     pooled.groupby("unit_id", sort=False)}
        k = block.counts.shape[1]
        delta: dict[tuple, list[tuple[int, int]]] = {}
        eq = np.round(block.equations, 6)
        for o in range(k):
            for i in range(k):
                if o != i:
                    delta.setdefault(tuple(eq[i] - eq[o]), []).append((o, i))
        self.twins = {pair: same for same in delta.values() for pair in same}

    def moves(self, j: int, values: np.ndarray, need: float, up: bool) -> float:
        """How far (in the figure's sum) exchanges can move cell ``j``'s figure one way,
        stopping once ``need`` is reached."""
        b = self.block
        u, p, d = (b.cells.at[j, "unit_id"], b.cells.at[j, "period"],
                   b.cells.at[j, "department"])
        periods, depts = self.by_unit[str(u)]
        sign = 1.0 if up else -1.0
        k = len(values)
        pairs = sorted(((o, i) for o in range(k) for i in range(k)
                        if sign * (values[i] - values[o]) > _EPS),
                       key=lambda oi: -sign * (values[oi[1]] - values[oi[0]]))
        if not pairs:
            return 0.0
        left: dict[int, np.ndarray] = {}

        def rem(cell: int) -> np.ndarray:
            if cell not in left:
                left[cell] = b.counts[cell].copy()
            return left[cell]

        gained = 0.0
        for a_cell, b_cell, c_cell in self._cycles(str(u), p, d, periods, depts):
            t_rem, a_rem, b_rem, c_rem = rem(j), rem(a_cell), rem(b_cell), rem(c_cell)
            while gained < need - _EPS:
                step = self._step(pairs, t_rem, a_rem, b_rem, c_rem)
                if step is None:
                    break
                (o, i), (o2, i2) = step
                t_rem[o] -= 1
                a_rem[i] -= 1
                c_rem[i2] -= 1
                b_rem[o2] -= 1
                gained += sign * (values[i] - values[o])
            if gained >= need - _EPS:
                return gained
        return gained
        return gained

    def cycle(self, j: int) -> bool:
        """Whether cell ``j`` lies on an exchange cycle of non-empty cells: then moving one
        respondent around it changes no group of any table, so no linear combination of
        published counts or sums pins the cell down (it is not determined)."""
        b = self.block
        u, p, d = (str(b.cells.at[j, "unit_id"]), b.cells.at[j, "period"],
                   b.cells.at[j, "department"])
        periods, depts = self.by_unit[u]
        return next(self._cycles(u, p, d, periods, depts), None) is not None

    def _cycles(self, u: str, p: str, d: str, periods: list[str], depts: list[str]):
        """(A, B, C) cells of every exchange cycle around target (u, p, d): inside the
        unit (another department d2, another month p2), then, for a department of the
        unit's pooled :data:`OTHER` group, the same two pooled departments of another unit
        in any month (the pool's column and the company's departments stay whole)."""
        for p2 in periods:
            c_cell = self.index.get((u, p2, d))
            if p2 == p or c_cell is None:
                continue
            for d2 in depts:
                a_cell, b_cell = self.index.get((u, p, d2)), self.index.get((u, p2, d2))
                if d2 != d and a_cell is not None and b_cell is not None:
                    yield a_cell, b_cell, c_cell
        mine = self.pool.get(u, set())
        if d not in mine:
            return
        for d2 in sorted(mine - {d}):
            a_cell = self.index.get((u, p, d2))
            if a_cell is None:
                continue
            for u2, theirs in self.pool.items():
                if u2 == u or d not in theirs or d2 not in theirs:
                    continue
                for p2 in self.by_unit[u2][0]:
                    c_cell, b_cell = self.index.get((u2, p2, d)), self.index.get((u2, p2, d2))
                    if c_cell is not None and b_cell is not None:
                        yield a_cell, b_cell, c_cell

    def _step(self, pairs, t_rem, a_rem, b_rem, c_rem):
        for o, i in pairs:
            if t_rem[o] <= 0 or a_rem[i] <= 0:
                continue
            for o2, i2 in self.twins[(o, i)]:
                if b_rem[o2] > 0 and c_rem[i2] > 0:
                    return (o, i), (o2, i2)
        return None


class Auditor:
    """Checks targets of one block: a witness, else a program over the target's units,
    else one over the whole block (built once and kept hot)."""

    def __init__(self, block: Block, protection: float = 10.0) -> None:
        self.block = block
        self.protection = protection
        self._program: _Program | None = None
        self._witness: _Witness | None = None
        self._shared: sparse.csr_matrix | None = None
        self._locals: dict[tuple, _Program] = {}

    def program(self) -> _Program:
        if self._program is None:
            self._program = _Program(self.block)
        return self._program

    def hide(self, group: int) -> None:
        self.block.groups.at[group, "hidden"] = True
        if self.block.groups.at[group, "why"] == "":
            self.block.groups.at[group, "why"] = "secondary"
        if self._program is not None:
            self._program.hide(group)

    def resync(self) -> None:
        """Free the rows of groups hidden behind the auditor's back."""
        if self._program is not None:
            for g in np.flatnonzero(self.block.groups["hidden"].to_numpy()):
                self._program.hide(int(g))

    def check(self, target: Target) -> Check:
        b = self.block
        cells = _cells_of(b, target)
        n_t = float(b.n_cells[cells].sum())
        sums = b.counts[cells].sum(axis=0) @ b.figures  # per figure
        trues = sums / n_t
        either = target[0] == "cell"  # a store cell: not determined, either way
        if either:
            need = (np.full(len(sums), _STEP), np.full(len(sums), _STEP))
        else:
            need = (np.minimum(self.protection * n_t, sums),                # down
                    np.minimum(self.protection * n_t, SCALE * n_t - sums))  # up
        if either:
            self._witness = self._witness or _Witness(b)
            if self._witness.cycle(cells[0]):
                return Check(n_t, {m: (t, np.nan, np.nan) for m, t in
                                   zip(b.measures, trues, strict=True)}, True, "structure")
            moved = [(self._witness.moves(cells[0], b.figures[:, m], need[0][m], up=False),
                      self._witness.moves(cells[0], b.figures[:, m], need[1][m], up=True))
                     for m in range(len(b.measures))]
            for m in self._homogeneous(cells[0], trues):
                moved[m] = (_STEP, _STEP)  # said by a published group itself
            found = self._judge(trues, n_t, moved, need, either)
            if found[1]:
                return Check(n_t, found[0], True, "witness")
        for how in ("local", "lp"):
            if how == "lp":
                prog, cols = self.program(), np.arange(len(b.cells))
            else:
                prog = self._local(cells)
                cols = prog.cols
            vec = np.isin(cols, cells).astype(float)
            moved = []
            for m in range(len(b.measures)):
                lo, hi = prog.bounds(np.kron(vec, b.figures[:, m]))
                moved.append((sums[m] - lo, hi - sums[m]))
            figures, ok = self._judge(trues, n_t, moved, need, either)
            if ok or how == "lp":
                return Check(n_t, figures, ok, how)
        raise AssertionError("unreachable")

    def _homogeneous(self, j: int, trues: np.ndarray) -> list[int]:
        """Figures of cell ``j`` at an end of the scale (0 or 100) that a published
        group holding it has at the same end: every member of that group is there, which
        its own figure says (the disclosure a minimum group size accepts), so no
        combination of figures is needed to know it."""
        b = self.block
        ends = [m for m, t in enumerate(trues) if t <= _EPS or t >= SCALE - _EPS]
        if not ends:
            return []
        col = b.members[:, j].toarray().ravel() > 0
        holders = np.flatnonzero(col & ~b.groups["hidden"].to_numpy())
        if not len(holders):
            return []
        sums = (b.members[holders] @ b.counts) @ b.figures
        share = sums / b.groups["n"].to_numpy()[holders][:, None]
        return [m for m in ends if np.any(np.abs(share[:, m] - trues[m]) <= _EPS)]

    def _local(self, cells: np.ndarray) -> _Program:
        """A program over the target's units and their partners (cached per unit set
        while nothing more is hidden)."""
        b = self.block
        unit_of = b.cells["unit_id"].astype(str).to_numpy()
        units = np.unique(unit_of[cells])
        if self._shared is None:
            self._shared = (b.members @ b.members.T).tocsr()
        units = np.concatenate([units, _partners(b, units, self._shared)])
        key = (tuple(sorted(units)), int(b.groups["hidden"].sum()))
        if key not in self._locals:
            if len(self._locals) > 64:
                self._locals.clear()
            self._locals[key] = _Program(b, np.flatnonzero(np.isin(unit_of, units)))
        return self._locals[key]

    def _judge(self, trues, n_t, moved, need, either=False):
        figures, ok = {}, True
        for m, name in enumerate(self.block.measures):
            down, up = moved[m]
            figures[name] = (trues[m], trues[m] - down / n_t, trues[m] + up / n_t)
            d_ok, u_ok = down >= need[0][m] - 1e-5, up >= need[1][m] - 1e-5
            ok = ok and ((d_ok or u_ok) if either else (d_ok and u_ok))
        return figures, ok


#: which holder of a target to hide first: the tables whose hiding draws the fewest
#: complements after it (a unit's department spreads within the unit; a unit's month
#: across its region, division and the company)
_HOLDER_ORDER = ("unit_department_quarter", "unit_month", "department_quarter",
                 "region_month", "division_month", "company_month")


def _holder(block: Block, target: Target) -> int | None:
    """The published group to hide that holds the target's cells (None: none): the
    smallest of the first table in :data:`_HOLDER_ORDER` that has one."""
    g = block.groups
    shown = ~g["hidden"].to_numpy() & (g["n"].to_numpy() > 0)
    cells = _cells_of(block, target)
    holding = np.flatnonzero(shown & (np.asarray(block.members[:, cells].sum(axis=1))
                                      .ravel() > 0))
    if len(holding) == 0:
        return None
    rank = np.array([_HOLDER_ORDER.index(t) for t in g["table"].to_numpy()[holding]])
    order = np.lexsort((g["n"].to_numpy()[holding], rank))
    return int(holding[order[0]])


def _complement(block: Block, target: Target, attempt: int = 0) -> int | None:
    """The published group to hide next for ``target`` (None: nothing left to hide).

    A sibling first (another group of the target's table), which keeps the coarser
    totals published; after six siblings, or when none is left, the smallest published
    group holding the target's cells (a total that gives everyone in it the same answer,
    such as "100% satisfied", can only be protected by hiding it)."""
    if target[0] == "cell" or attempt >= 6:
        return _holder(block, target)
    g = block.groups
    shown = ~g["hidden"].to_numpy() & (g["n"].to_numpy() > 0)
    i = target[1]
    table = g.at[i, "table"]
    same = np.flatnonzero(shown & (g["table"].to_numpy() == table))
    if len(same) == 0:
        return _holder(block, target)
    m = block.members
    holders = np.flatnonzero((m @ m[i].T).toarray().ravel() > 0)
    holders = holders[g["table"].to_numpy()[holders] != table]
    shared = (m[holders] @ m[same].T).toarray() > 0  # holders x same
    score = shared.sum(axis=0)
    order = np.lexsort((g["n"].to_numpy()[same], -score))
    return int(same[order[0]])


#: unit-level tables and the published totals (other tables) their groups add up to
_ROLLUPS: dict[str, tuple[str, ...]] = {
    "unit_month": ("region_month", "division_month", "company_month"),
    "unit_department_quarter": ("department_quarter",),
    "region_month": ("company_month",),
    "division_month": ("company_month",),
}


def _pair_singletons(block: Block) -> int:
    """Complementary suppression where a published total has exactly one hidden part.

    A total that is published (or, for a unit's quarter, known because every part of
    the other split is published) minus its published parts gives its only hidden part
    away; the smallest other published part is hidden with it. Returns how many groups
    were hidden; repeated until it hides nothing (a hide can make a new singleton).
    """
    g = block.groups
    hidden = g["hidden"].to_numpy().copy()
    n = g["n"].to_numpy()
    table = g["table"].to_numpy()
    m = block.members
    added = 0

    def complete(parts: np.ndarray) -> None:
        nonlocal added
        parts = parts[n[parts] > 0]
        if len(parts) < 2 or hidden[parts].sum() != 1:
            return
        shown = parts[~hidden[parts]]
        pick = int(shown[np.argmin(n[shown])])
        hidden[pick] = True
        g.at[pick, "why"] = "secondary"
        added += 1

    # a published total and its parts in a finer table
    for part_table, totals in _ROLLUPS.items():
        parts = np.flatnonzero(table == part_table)
        if len(parts) == 0:
            continue
        for total_table in totals:
            for t in np.flatnonzero((table == total_table) & ~hidden):
                cells = m[t].indices
                inside = parts[np.asarray(m[parts][:, cells].sum(axis=1)).ravel()
                               == np.asarray(m[parts].sum(axis=1)).ravel()]
                complete(inside)
    # a unit's quarter: its months and its departments are two splits of one total
    rows = np.flatnonzero(table == "unit_month")
    cols = np.flatnonzero(table == "unit_department_quarter")
    unit = g["unit_id"].astype(str).to_numpy()
    for u in np.unique(unit[rows]):
        r, c = rows[unit[rows] == u], cols[unit[cols] == u]
        if len(c) and not hidden[r].any():
            complete(c)
        if len(c) and not hidden[c].any():
            complete(r)
    g["hidden"] = hidden
    return added


def _partners(block: Block, units: np.ndarray, shared: sparse.csr_matrix,
              limit: int = 6) -> np.ndarray:
    """Units whose hidden groups share a published total with a hidden group of
    ``units``: the ones a reader would trade answers with to move the target.
    ``shared`` is ``members @ members.T`` (cells two groups have in common)."""
    g = block.groups
    hidden = g["hidden"].to_numpy()
    table = g["table"].to_numpy()
    unit = g["unit_id"].astype(str).to_numpy()
    size = shared.diagonal()
    found: dict[str, float] = {}
    for h in np.flatnonzero(hidden & np.isin(unit, units.astype(str))):
        totals = np.isin(table, _ROLLUPS.get(str(table[h]), ()))
        row = shared[h].toarray().ravel()
        holding = np.flatnonzero(totals & ~hidden & (row == size[h]))
        if not len(holding):
            continue
        inside = np.asarray((shared[holding] == size[np.newaxis, :]).sum(axis=0)).ravel() > 0
        for o in np.flatnonzero(inside & hidden & (table == table[h])):
            if unit[o] not in units:
                found[unit[o]] = min(found.get(unit[o], np.inf), float(g.at[o, "n"]))
    # units pooling the same departments: a reader trades between two pooled
    # departments of one unit and back in another (the company's departments stay whole)
    cells = block.cells
    pooled = cells[cells["dept_group"] == OTHER]
    mine = set(pooled.loc[pooled["unit_id"].astype(str).isin(units.astype(str)), "department"])
    if mine:
        same = pooled[pooled["department"].isin(mine)
                      & ~pooled["unit_id"].astype(str).isin(units.astype(str))]
        share = same.groupby("unit_id")["department"].nunique().sort_values(ascending=False)
        for u in share.index[:limit]:
            found.setdefault(str(u), 0.0)
    return np.array(sorted(found, key=found.get)[:limit], dtype=object)


def protect(block: Block, protection: float = 10.0) -> Block:
    """Secondary suppression until every target of ``block`` is protected (in place).

    First the classic complement (:func:`_pair_singletons`, to a fixed point); then each
    target is audited and, while it is not protected, one more group is hidden
    (:func:`_complement`); :func:`audit` of the result then passes.
    """
    while _pair_singletons(block):
        pass
    auditor = Auditor(block, protection)
    for target in targets(block):
        attempt = 0
        while not auditor.check(target).protected:
            nxt = _complement(block, target, attempt)
            if nxt is None:
                break
            auditor.hide(nxt)
            attempt += 1
            while _pair_singletons(block):
                auditor.resync()
    return block


@dataclass
class Audit:
    """What :func:`audit` found over some blocks.

    ``published`` / ``hidden``: groups with respondents; ``groups``: small groups (1 to
    ``min_n - 1``) checked for the protection interval; ``cells``: small store cells
    checked for not being determined; ``failed``: one line per target a reader could
    recover; ``narrowest``: the smallest distance, in points, from a small group's true
    figure to the nearer end of the interval a reader can bound it to (where the scale
    leaves room for the protection).
    """

    published: int = 0
    hidden: int = 0
    groups: int = 0
    cells: int = 0
    failed: list[str] = field(default_factory=list)
    narrowest: float = float("inf")

    @property
    def ok(self) -> bool:
        return not self.failed

    def add(self, other: Audit) -> Audit:
        return Audit(self.published + other.published, self.hidden + other.hidden,
                     self.groups + other.groups, self.cells + other.cells,
                     self.failed + other.failed, min(self.narrowest, other.narrowest))


def visible_to(block: Block, units: Sequence[str] | None) -> Block:
    """What a reader scoped to ``units`` sees of a block (None: all of it): groups wholly
    inside those units as they are, every other group hidden."""
    if units is None:
        return block
    inside = block.cells["unit_id"].astype(str).isin(list(units)).to_numpy().astype(float)
    held = block.members @ inside
    whole = np.isclose(held, np.asarray(block.members.sum(axis=1)).ravel())
    groups = block.groups.copy()
    groups["hidden"] = groups["hidden"].to_numpy() | ~whole
    groups["outside"] = ~whole
    return Block(block.family, block.cells, block.counts, block.keys, groups,
                 block.members, block.min_n)


def audit(block: Block, protection: float = 10.0) -> Audit:
    """Check every target of a block; a failed target is described in ``failed``."""
    auditor = Auditor(block, protection)
    found = targets(block)
    failed, narrowest = [], np.inf
    for target in found:
        chk = auditor.check(target)
        if target[0] == "group":
            for true, lo, hi in chk.figures.values():
                room = min(true - lo if true - protection > _EPS else np.inf,
                           hi - true if true + protection < SCALE - _EPS else np.inf)
                narrowest = min(narrowest, room)
        if not chk.protected:
            failed.append(describe(block, target, chk))
    g = block.groups
    has = g["n"].to_numpy() > 0
    if "outside" in g:  # a scoped reader: count the groups of their units only
        has &= ~g["outside"].to_numpy()
    hidden = g["hidden"].to_numpy()
    return Audit(int((has & ~hidden).sum()), int((has & hidden).sum()),
                 sum(t[0] == "group" for t in found), sum(t[0] == "cell" for t in found),
                 failed, float(narrowest))


def describe(block: Block, target: Target, chk: Check) -> str:
    """One line naming a target and the intervals a reader can bound it to."""
    kind_, i = target
    if kind_ == "cell":
        c = block.cells.iloc[i]
        name = f"cell {c['unit_id']} {c['period']} {c['department']}"
    else:
        row = block.groups.iloc[i]
        name = f"{row['table']} " + " ".join(str(row[k]) for k in TABLES[row["table"]])
    figs = ", ".join(f"{m} {t:.1f} in [{lo:.1f}, {hi:.1f}]"
                     for m, (t, lo, hi) in chk.figures.items())
    return f"{block.family} {name} (n {chk.n:.0f}): {figs}"
