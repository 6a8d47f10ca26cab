"""Cached reads of the People and Customers pages, keyed by data version and selection.

As ``ui.session``'s cached_* functions: ``st.cache_data`` at the edge, every key holds the
data version (bumped by each load), so a new upload shows at once and an unchanged
database never recomputes. Settings travel as their JSON key (hashable). At the end, the
two widgets both pages share: the months choice and the comment tables.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analytics.filters import Filters
from analytics.read import customers, people
from ui.components import downloads
from ui.reads import cached_periods, reader, result


@reader("people_selection")
@st.cache_data(show_spinner=False, max_entries=64)
def people_selection(version: int, filters: Filters, settings_key: str) -> people.Selection:
    return result(version, "people_selection", filters, settings_key)


@reader("people_summary")
@st.cache_data(show_spinner=False, max_entries=64)
def people_summary(version: int, filters: Filters, settings_key: str) -> dict[str, Any]:
    return result(version, "people_summary", filters, settings_key)


@reader("people_groups")
@st.cache_data(show_spinner=False, max_entries=64)
def people_groups(version: int, filters: Filters, settings_key: str,
                  by: str) -> pd.DataFrame:
    return result(version, "people_groups", filters, settings_key, by)


@reader("people_esat_csat")
@st.cache_data(show_spinner=False, max_entries=64)
def people_esat_csat(version: int, filters: Filters, settings_key: str,
                     by: str) -> pd.DataFrame:
    return result(version, "people_esat_csat", filters, settings_key, by)


@reader("people_heatmap")
@st.cache_data(show_spinner=False, max_entries=64)
def people_heatmap(version: int, filters: Filters, settings_key: str,
                   by: str) -> pd.DataFrame:
    return result(version, "people_heatmap", filters, settings_key, by)


@reader("people_quarters")
@st.cache_data(show_spinner=False, max_entries=64)
def people_quarters(version: int, filters: Filters, settings_key: str) -> str | None:
    return result(version, "people_quarters", filters, settings_key)


@reader("people_enps")
@st.cache_data(show_spinner=False, max_entries=64)
def people_enps(version: int, filters: Filters, settings_key: str,
                by: str | None = None) -> pd.DataFrame:
    return result(version, "people_enps", filters, settings_key, by)


@reader("people_drivers")
@st.cache_data(show_spinner=False, max_entries=64)
def people_drivers(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    return result(version, "people_drivers", filters, settings_key)


@reader("people_comments")
@st.cache_data(show_spinner=False, max_entries=32)
def people_comments(version: int, filters: Filters, settings_key: str,
                    limit: int = 500) -> dict[str, Any]:
    return result(version, "people_comments", filters, settings_key, limit)


# Customers: the department filter does not apply, so it is dropped from the cache key.

@reader("customer_summary")
@st.cache_data(show_spinner=False, max_entries=64)
def _customer_summary(version: int, filters: Filters) -> dict[str, Any]:
    return result(version, "customer_summary", filters)


def customer_summary(version: int, filters: Filters) -> dict[str, Any]:
    return _customer_summary(version, customers.customer_filters(filters))


@reader("customer_trend")
@st.cache_data(show_spinner=False, max_entries=64)
def _customer_trend(version: int, filters: Filters) -> pd.DataFrame:
    return result(version, "customer_trend", filters)


def customer_trend(version: int, filters: Filters) -> pd.DataFrame:
    return _customer_trend(version, customers.customer_filters(filters))


@reader("customer_drivers")
@st.cache_data(show_spinner=False, max_entries=64)
def _customer_drivers(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    return result(version, "customer_drivers", filters, settings_key)


def customer_drivers(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    return _customer_drivers(version, customers.customer_filters(filters), settings_key)


@reader("customer_complaints")
@st.cache_data(show_spinner=False, max_entries=64)
def _customer_complaints(version: int, filters: Filters) -> pd.DataFrame:
    return result(version, "customer_complaints", filters)


def customer_complaints(version: int, filters: Filters) -> pd.DataFrame:
    return _customer_complaints(version, customers.customer_filters(filters))


@reader("customer_comments")
@st.cache_data(show_spinner=False, max_entries=32)
def _customer_comments(version: int, filters: Filters, limit: int) -> dict[str, Any]:
    return result(version, "customer_comments", filters, limit)


def customer_comments(version: int, filters: Filters, limit: int = 1000) -> dict[str, Any]:
    return _customer_comments(version, customers.customer_filters(filters), limit)


# Two widgets both pages share (they read widgets, so they live here, not in charts).

def span_filters(ctx: Any, key: str) -> Filters:
    """The page's "Months" choice: the latest selected month (default) or the whole range."""
    latest = [p for p in cached_periods(ctx.version) if p <= ctx.filters.period_to][-1]
    spans = {"latest": f"Latest month ({latest})",
             "range": f"All selected months ({ctx.filters.period_from} to "
                      f"{ctx.filters.period_to})"}
    span = st.radio("Months", list(spans), format_func=spans.get, horizontal=True, key=key)
    return ctx.filters.with_period(latest) if span == "latest" else ctx.filters


def comment_tables(said: dict[str, Any], key: str, download: bool) -> None:
    """Sentiment summary, themes (with their sentiment and two examples) and the comments
    themselves, as plain-text tables."""
    m = said["summary"].iloc[0]
    read = f"latest {int(m.n_read):,} of " if m.n_read < m.n_comments else ""
    st.caption(f"{read}{int(m.n_comments):,} comments · {m.pct_positive:.0f}% positive, "
               f"{m.pct_negative:.0f}% negative (read by a model that gets about 3 in 4 "
               "hand-labelled comments right: a guide, not a verdict; read the comments)")
    # reindex: results kept by the warm-up of an older version lack the newer columns
    st.dataframe(said["themes"].reindex(columns=["theme", "n_comments", "sentiment",
                                                 "example_1", "example_2"]),
                 hide_index=True, width="stretch", placeholder="",
                 column_config={
                     "n_comments": st.column_config.NumberColumn("comments", width="small"),
                     "sentiment": st.column_config.TextColumn(width="small"),
                     "example_1": "example", "example_2": "another example"})
    st.dataframe(said["comments"].reindex(columns=["comment", "label", "theme"]),
                 hide_index=True, width="stretch", column_config={"label": "sentiment"})
    if download:
        downloads(said["comments"], f"{key}_comments", key)


def drivers_block(drv: pd.DataFrame, outcome: str, key: str, file_name: str) -> None:
    """Importance x performance chart and table, or why there is nothing to show."""
    from ui import charts_people as charts
    from ui.cache_charts import figure

    if drv.empty or drv["r"].isna().all():
        st.info(f"Not enough data for {outcome} drivers here: each item needs 8 or more "
                "paired answers, and employee answers a group of 5 or more.")
        return
    st.plotly_chart(figure(charts.importance_performance, drv, outcome), key=key,
                    width="stretch")
    st.caption(charts.DRIVERS_NOTE.format(outcome=outcome))
    table = charts.drivers_table(drv)
    st.dataframe(table, hide_index=True, width="stretch", placeholder="not enough data")
    downloads(table, file_name, f"{key}_table")


def comments_block(said: dict[str, Any], key: str, download: bool) -> None:
    """The comments of a group, or the reason they are not shown."""
    if said["shown"]:
        if said.get("months"):
            lists = said.get("lists") or 0
            st.caption(f"Employee comments are published in fixed lists per unit and "
                       f"complete quarter (a unit with few comments shares its region's "
                       f"list): {lists:,} list{'s' if lists != 1 else ''} of "
                       f"{said['months']}, in no particular order.")
        comment_tables(said, key, download=download)
    else:
        st.info(said["message"], icon=":material/lock:" if not download else None)
