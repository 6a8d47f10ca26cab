"""The read API of pages and reports: store queries with the confidentiality rules applied.

metrics.md §7 is enforced here, where data is read, so that no page, filter, download or
report can obtain an employee figure for a group below ``min_group_size``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics import privacy
from analytics.filters import ALL, Filters
from analytics.settings import DEFAULT, Settings
from analytics.store import queries

#: every column that describes employees' answers (hidden together for small groups)
EMPLOYEE_COLUMNS = (
    "n_employee", "esat_index", "esat_sd", "esat_sat_n", "esat_pct_satisfied", "n_enps",
    "enps_promoters", "enps_detractors", "enps", "response_rate",
)


def settings(con: Any) -> Settings:
    """The stored settings over the defaults."""
    return Settings.from_dict(queries.read_settings(con))


def _protect(frame: pd.DataFrame, s: Settings) -> pd.DataFrame:
    cols = [c for c in EMPLOYEE_COLUMNS if c in frame.columns and c != "n_employee"]
    return privacy.suppress(frame, "n_employee", cols, s.min_group_size)


def panel(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> pd.DataFrame:
    """panel_df (docs/panel.md) with employee figures of small unit-months suppressed.

    Adds ``suppressed`` (bool): True where the unit-month had fewer than
    ``min_group_size`` employee responses and its employee columns are empty.
    """
    return _protect(queries.panel(con, filters), s)


def kpis(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
         by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Pooled KPIs of a selection (per group of ``by``), small employee groups suppressed.

    When groups are the children of a shown total (regions of the company, units of a
    region), complementary suppression keeps a hidden group from being recovered by
    subtraction.
    """
    frame = queries.group_kpis(con, filters, by)
    if not by or by == ("period",):
        return _protect(frame, s)
    parents = [c for c in by if c == "period"]
    cols = [c for c in EMPLOYEE_COLUMNS if c in frame.columns and c != "n_employee"]
    return privacy.complementary_suppress(frame, [*parents, *[c for c in by if c != "period"]],
                                          "n_employee", cols, s.min_group_size)


def company(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> dict:
    """One row of pooled KPIs as a dict, plus the median resolution time."""
    row = kpis(con, filters, s).iloc[0].to_dict()
    row["median_resolution_hours"] = queries.median_resolution(con, filters)
    return row
