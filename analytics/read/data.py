"""The read API of pages and reports: store queries with the confidentiality rules applied.

metrics.md §7 is enforced here, where data is read, so that no page, filter, download or
report can obtain an employee figure for a group below ``min_group_size``, alone or in
combination with any other figure: employee figures come only from the published table
set (:mod:`analytics.read.published`), decided and audited as a whole at each data
version. A unit-month shows its figures when its group is published; any other selection
only when it is a union of published groups.

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
from analytics.read import published
from analytics.settings import DEFAULT, Settings
from analytics.store import queries

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


def _scope(ts: published.TableSet, org: pd.DataFrame, f: Filters,
           months: tuple[str, ...] | None = None) -> published.Scope:
    """The units and months of a selection (departments dropped), within its scope."""
    units = privacy.effective_units(org, f.regions, f.divisions, f.units)
    chosen = set(org["unit_id"].astype(str)) if units is None else set(units)
    if f.scope is not None:
        chosen &= set(f.scope)
    return published.Scope(frozenset(chosen), months if months is not None
                           else published.months_of(ts, f.period_from, f.period_to))


def panel(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> pd.DataFrame:
    """panel_df (docs/panel.md) with employee figures of published unit-months only.

    Which unit-months are hidden is decided once per data version for the whole published
    table set (:mod:`analytics.read.published`, :mod:`analytics.access.tables`); it never
    depends on the selection. A unit's ``esat_sd`` is its month's pooled within-unit
    standard deviation (a unit's own second moment is not published).

    Adds ``suppressed`` (bool): True where the unit-month has ESAT answers but its figures
    are hidden (``enps_suppressed`` for the eNPS figures).
    """
    f = unit_filters(filters)
    months = Filters(period_from=f.period_from, period_to=f.period_to)
    frame = queries.panel(con, months)
    ts = published.table_set(con, s)
    shown = published.unit_months(ts)
    employee = [c for cols in published.PANEL_COLUMNS.values() for c in cols]
    had = {fam: pd.to_numeric(frame[cols[0]], errors="coerce").fillna(0) > 0
           for fam, cols in published.PANEL_COLUMNS.items()}
    out = frame.drop(columns=[c for c in employee if c in frame]).merge(
        shown, on=["unit_id", "period"], how="left")
    for fam, cols in published.PANEL_COLUMNS.items():
        out[published.FLAGS[fam]] = (had[fam].to_numpy()
                                     & out[cols[1]].isna().to_numpy())
    if "response_rate" in out:
        out["response_rate"] = (out["n_employee"] * 100.0
                                / out["headcount"].where(out["headcount"] > 0))
    out = out[[c for c in frame.columns if c in out] +
              [c for c in out.columns if c not in frame.columns]]
    units = privacy.effective_units(queries.units(con), f.regions, f.divisions, f.units)
    if units is not None:
        out = out[out["unit_id"].isin(units)]
    if f.scope is not None:
        out = out[out["unit_id"].isin(f.scope)]
    return out.reset_index(drop=True)


def kpis(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
         by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Pooled KPIs of a selection (per group of ``by``), employee figures published only.

    A row's employee figures are computed from the published groups whose union is the
    row's selection (:func:`analytics.read.published.selection`); a row that is no such
    union shows none. Customer and margin figures are always shown.
    """
    f = unit_filters(filters)
    frame = queries.group_kpis(con, f, by)
    ts = published.table_set(con, s)
    org = queries.units(con)
    employee = [c for cols in published.PANEL_COLUMNS.values() for c in cols]
    rows = []
    for row in frame[list(by)].to_dict("records") if by else [{}] * len(frame):
        rf = f
        for k, value in row.items():
            if k == "period":
                rf = rf.with_period(str(value))
            else:
                rf = replace(rf, **{_FIELDS[k]: (str(value),)})
        rows.append(published.selection(ts, _scope(ts, org, rf)))
    figs = pd.DataFrame(rows, index=frame.index,
                        columns=[*employee, *published.FLAGS.values(), "n_responses"])
    out = frame.drop(columns=[c for c in employee if c in frame])
    for col in employee:
        out[col] = pd.to_numeric(figs[col], errors="coerce")
    for flag in published.FLAGS.values():
        out[flag] = figs[flag].astype(bool).to_numpy()
    if "response_rate" in out:  # from the published count: the stored one is raw
        heads = pd.to_numeric(out["headcount"], errors="coerce")
        out["response_rate"] = out["n_employee"] * 100.0 / heads.where(heads > 0)
    return out


_FIELDS = {"region": "regions", "division": "divisions", "unit_id": "units"}


def company(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> dict:
    """One row of pooled KPIs as a dict, plus the median resolution time."""
    row = kpis(con, filters, s).iloc[0].to_dict()
    row["median_resolution_hours"] = queries.median_resolution(con, unit_filters(filters))
    return row
