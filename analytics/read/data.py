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


def panel(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> pd.DataFrame:
    """panel_df (docs/panel.md) with the employee figures of unpublished unit-months hidden.

    Which unit-months are hidden is decided once per data version for the whole published
    table set (:mod:`analytics.read.published`, :mod:`analytics.access.tables`): small
    groups, and the groups hidden so that no combination of published figures gives a
    small one away. It never depends on the selection, so views of different regions
    hide the same unit-months.

    Adds ``suppressed`` (bool): True where the unit-month's ESAT figures are hidden
    (``enps_suppressed`` for the eNPS figures).
    """
    f = unit_filters(filters)
    months = Filters(period_from=f.period_from, period_to=f.period_to)
    out = published.hide_unit_months(published.table_set(con, s), queries.panel(con, months))
    units = privacy.effective_units(queries.units(con), f.regions, f.divisions, f.units)
    if units is not None:
        out = out[out["unit_id"].isin(units)]
    if f.scope is not None:
        out = out[out["unit_id"].isin(f.scope)]
    return out.reset_index(drop=True)


def kpis(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
         by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Pooled KPIs of a selection (per group of ``by``), employee figures published only.

    A row's employee figures are shown when its selection is a union of published groups
    of the table set (:func:`analytics.read.published.selection_shown`) with at least
    ``min_group_size`` respondents: then they are sums of published figures and give
    nothing away. Customer and margin figures are always shown.
    """
    f = unit_filters(filters)
    frame = queries.group_kpis(con, f, by)
    return published.hide_rows(published.table_set(con, s), frame, f, by, s)


def company(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> dict:
    """One row of pooled KPIs as a dict, plus the median resolution time."""
    row = kpis(con, filters, s).iloc[0].to_dict()
    row["median_resolution_hours"] = queries.median_resolution(con, unit_filters(filters))
    return row
