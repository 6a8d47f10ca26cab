"""The read API of pages and reports: store queries with the confidentiality rules applied.

metrics.md §7 is enforced here, where data is read, so that no page, filter, download or
report can obtain an employee figure for a group below ``min_group_size``:

- a group (a selection, a month, a unit-month, a region) with fewer respondents shows no
  employee figure and no count;
- a group that another view would give away by subtraction is refused too
  (:func:`analytics.access.privacy.difference_guard`, the rule People follows): a month, a unit
  or a dropped filter that differs by 1 to ``min_n - 1`` respondents;
- rows shown beside their total (units of a month, months of a range) are protected by
  complementary suppression.

The department filter does not apply here: these reads describe whole units (customers
and margins have no department), so ``filters.departments`` is dropped explicitly, and
the People page (:mod:`analytics.read.people`) is where employee figures are cut by department.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from analytics.access import privacy
from analytics.filters import ALL, Filters
from analytics.settings import DEFAULT, Settings
from analytics.store import queries, responses

#: every column that describes employees' answers (hidden together for small groups)
EMPLOYEE_COLUMNS = (
    "n_employee", "esat_index", "esat_sd", "esat_sat_n", "esat_pct_satisfied", "n_enps",
    "enps_promoters", "enps_detractors", "enps", "response_rate",
)
#: each employee count and the figures computed from the respondents it counts
FIGURES: dict[str, tuple[str, ...]] = {
    "n_employee": ("esat_index", "esat_sd", "esat_sat_n", "esat_pct_satisfied",
                   "response_rate"),
    "n_enps": ("enps", "enps_promoters", "enps_detractors"),
}
_FLAGS = {"n_enps": "enps_"}


def settings(con: Any) -> Settings:
    """The stored settings over the defaults."""
    return Settings.from_dict(queries.read_settings(con))


def unit_filters(filters: Filters) -> Filters:
    """The selection as these reads apply it: whole units, no department filter."""
    return replace(filters, departments=())


def _cells(con: Any, f: Filters) -> tuple[pd.DataFrame, frozenset[str] | None]:
    """Employee counts per unit, month and department over ``f``'s months (with each
    unit's region and division), and the units ``f``'s org filters leave."""
    months = Filters(period_from=f.period_from, period_to=f.period_to)
    cells = responses.employee_groups(con, months, privacy.CELL_KEYS)
    org = queries.units(con)
    cells = cells.merge(org[["unit_id", "region", "division"]], on="unit_id", how="left")
    return cells, privacy.effective_units(org, f.regions, f.divisions, f.units)


def _guard(con: Any, f: Filters, s: Settings, by: tuple[str, ...], cells=None
           ) -> tuple[pd.DataFrame, tuple[str, str] | None]:
    """:func:`analytics.access.privacy.difference_guard` for the rows of ``by`` in ``f``."""
    cells, units = cells or _cells(con, f)
    return privacy.difference_guard(cells, list(FIGURES), s.min_group_size, units=units,
                                    by=by)


def _unsafe(frame: pd.DataFrame, guard: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The guard's flags in the order of ``frame``'s rows (a row it does not know: unsafe)."""
    if by:
        keyed = frame[by].astype(str).merge(guard.astype({k: str for k in by}), on=by,
                                            how="left")[list(FIGURES)]
    else:
        keyed = guard[list(FIGURES)].iloc[[0] * len(frame)]
    return keyed.astype(object).fillna(True).astype(bool).set_axis(frame.index)


def _hide(frame: pd.DataFrame, unsafe: pd.DataFrame, s: Settings) -> pd.DataFrame:
    """Primary and minimum-difference suppression, row by row (no siblings)."""
    out = frame.copy()
    for n_col, cols in FIGURES.items():
        if n_col not in out:
            continue
        n = pd.to_numeric(out[n_col], errors="coerce")
        hidden = (~(n >= s.min_group_size) | unsafe[n_col]).to_numpy()
        for c in [*cols, n_col]:
            if c in out:
                out[c] = out[c].where(~hidden)
        out[f"{_FLAGS.get(n_col, '')}suppressed"] = hidden
    return out


def panel(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> pd.DataFrame:
    """panel_df (docs/panel.md) with employee figures of small unit-months suppressed.

    Which unit-months are hidden does not depend on the org filters: they are decided on
    the whole company of each month (a unit-month that another unit-month's figure, or
    the company's, would give away is hidden, and so is the next-smallest unit of a month
    whose hidden units hold 1 to ``min_group_size - 1`` respondents together), then the
    selection's rows are returned. Views of different regions then hide the same units.

    Adds ``suppressed`` (bool): True where the unit-month's ESAT figures are empty
    (``enps_suppressed`` for the eNPS figures).
    """
    f = unit_filters(filters)
    months = Filters(period_from=f.period_from, period_to=f.period_to)
    whole = queries.panel(con, months)
    by = ["period", "unit_id"]
    cells = _cells(con, months)
    guard, _ = _guard(con, months, s, ("period", "unit_id"), cells)
    unsafe = _unsafe(whole, guard, by)
    month_n = {n: whole.groupby("period")[n].transform("sum").astype(float)
               for n in FIGURES}
    month_ok = _guard(con, months, s, ("period",), cells)[0].set_index("period")
    for n_col in FIGURES:
        # a month missing from the guard is not shown (NaN, also when nothing is stored)
        shown = whole["period"].map(~month_ok[n_col]).eq(True)
        month_n[n_col] = month_n[n_col].where(shown, 0.0)
    out = privacy.shield_breakdown(whole, by, month_n, unsafe, s.min_group_size, FIGURES,
                                   _FLAGS).drop(columns=["suppression", "enps_suppression"])
    units = privacy.effective_units(queries.units(con), f.regions, f.divisions, f.units)
    if units is not None:
        out = out[out["unit_id"].isin(units)]
    return out.reset_index(drop=True)


def kpis(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
         by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Pooled KPIs of a selection (per group of ``by``), small employee groups suppressed.

    A row is hidden when it has fewer than ``min_group_size`` respondents or another view
    would give it away (:func:`analytics.access.privacy.difference_guard`). Groups that are the
    children of a shown total (months of a range, regions of the company, units of a
    region) are protected by complementary suppression too.
    """
    f = unit_filters(filters)
    frame = queries.group_kpis(con, f, by)
    cells = _cells(con, f)
    guard, _ = _guard(con, f, s, by, cells)
    unsafe = _unsafe(frame, guard, list(by))
    if not by:
        return _hide(frame, unsafe, s)
    total_guard = _guard(con, f, s, (), cells)[0][list(FIGURES)]
    total = _hide(queries.group_kpis(con, f), total_guard, s).iloc[0]
    if set(by) - {"period"}:
        # the rows of an org breakdown add up to the selection: if that is refused, so are
        # they (units U1..U5 by region would rebuild "all but U6")
        for n_col in FIGURES:
            if pd.isna(total[n_col]):
                unsafe[n_col] = True
    parents = {n: pd.Series(0.0 if pd.isna(total[n]) else float(total[n]), index=frame.index)
               for n in FIGURES}
    if len(by) > 1:  # a two-level table: each row's parent is its outer group
        parents = {n: frame.groupby(list(by[:-1]))[n].transform("sum").astype(float)
                   for n in FIGURES}
    return privacy.shield_breakdown(frame, list(by), parents, unsafe, s.min_group_size,
                                    FIGURES, _FLAGS)


def company(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> dict:
    """One row of pooled KPIs as a dict, plus the median resolution time."""
    row = kpis(con, filters, s).iloc[0].to_dict()
    row["median_resolution_hours"] = queries.median_resolution(con, unit_filters(filters))
    return row
