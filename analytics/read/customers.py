"""The Customers page's read API: CSAT and NPS, drivers, complaints and comments.

Customer data carries no confidentiality threshold (metrics.md §7 protects employees);
the department filter does not apply to customers and is dropped here, so a department
chosen on another page never empties the Customers page.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from analytics.filters import ALL, Filters
from analytics.metrics import comments as text
from analytics.metrics import drivers as drv
from analytics.settings import DEFAULT, Settings
from analytics.store import queries, responses


def _plain(value: Any) -> Any:
    """A numpy scalar as a Python number; NaN as None."""
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def customer_filters(filters: Filters) -> Filters:
    """The selection as it applies to customers (no department)."""
    return replace(filters, departments=())


def summary(con: Any, filters: Filters = ALL) -> dict[str, Any]:
    """CSAT, NPS and complaints of the whole selection.

    Returns
    -------
    dict
        The columns of ``analytics.store.responses.customer_groups`` (n_customer,
        csat_pct, csat_mean, nps, n_complaints, complaint_rate, ...) plus
        ``median_resolution_hours``; figures are None when the selection has no data.
    """
    f = customer_filters(filters)
    frame = responses.customer_groups(con, f)
    out = {c: _plain(frame[c].iloc[0]) for c in frame.columns}
    out["median_resolution_hours"] = queries.median_resolution(con, f)
    return out


def trend(con: Any, filters: Filters = ALL, by: str = "period") -> pd.DataFrame:
    """CSAT %, CSAT mean, NPS and complaint rate per month (or another group).

    Returns
    -------
    pandas.DataFrame
        ``by`` and the columns of ``analytics.store.responses.customer_groups``.
    """
    return responses.customer_groups(con, customer_filters(filters), (by,))


def drivers(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> pd.DataFrame:
    """Customer items (courtesy, speed, quality, ...) against CSAT: importance × performance.

    Columns as :func:`analytics.metrics.drivers.importance_performance`.
    """
    items = responses.item_correlations(con, "customer", customer_filters(filters))
    return drv.importance_performance(items, min_n=s.min_corr_n, alpha=s.alpha)


def complaints(con: Any, filters: Filters = ALL) -> pd.DataFrame:
    """Complaints are gifts: which units resolve them fastest.

    Returns
    -------
    pandas.DataFrame
        The columns of ``analytics.store.responses.complaints_by_unit``, units with at
        least one complaint only, fastest median resolution first (units with no
        resolved complaint last), plus ``speed_rank`` (1 = fastest; NaN without a
        resolved complaint) and ``rate_vs_company`` (complaint rate minus the
        selection's, points).
    """
    f = customer_filters(filters)
    table = responses.complaints_by_unit(con, f)
    total = responses.customer_groups(con, f).iloc[0]
    table = table[table["complaints"] > 0].copy()
    table["speed_rank"] = table["median_resolution_hours"].rank(method="min")
    table["rate_vs_company"] = table["complaint_rate"] - total["complaint_rate"]
    return table.sort_values(["median_resolution_hours", "unit_id"],
                             na_position="last", kind="stable").reset_index(drop=True)


def comments(con: Any, filters: Filters = ALL, limit: int = 1000) -> dict[str, Any]:
    """Customer comments of the selection with sentiment and themes.

    Returns
    -------
    dict
        ``shown`` (True when there is any comment), ``message`` and the frames of
        :func:`analytics.metrics.comments.analyse`; at most ``limit`` comments, latest months
        first, are read.
    """
    frame = responses.comments(con, "customer", customer_filters(filters), (), limit)
    result = text.analyse(frame)
    shown = bool(len(result["comments"]))
    return {"shown": shown, "message": None if shown else "No customer comments here.",
            **result}

