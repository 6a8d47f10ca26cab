"""Cached analytics of the executive pages, keyed by data version, selection and settings.

Also :func:`column_config`, which turns the plain label tables of :mod:`ui.charts_exec`
into Streamlit column settings (``ui.charts_exec`` itself may not import Streamlit).

Like :mod:`ui.reads`, each reader takes ``(version, filters, settings_key, ...)``: a
load bumps the version and a changed setting changes the key, so nothing stale is shown
and an unchanged database never recomputes. What a reader returns is
:func:`analytics.read.results.get`'s (kept by the warm-up for this data version, or
computed); the reader only caches it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analytics.filters import Filters
from ui.reads import reader, result


@reader("legs")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_legs(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """:func:`analytics.metrics.balance.legs_frame` of the selection."""
    return result(version, "legs", filters, settings_key)


@reader("balance")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_balance(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """z-scores, imbalance and weakest leg of every unit-month of the selection."""
    return result(version, "balance", filters, settings_key)


@reader("imbalance_history")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_imbalance_history(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """Units out of balance per month, once and persistently (alert counts in one pass)."""
    return result(version, "imbalance_history", filters, settings_key)


@reader("alerts")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_alerts(version: int, filters: Filters, settings_key: str,
                  period: str | None = None) -> pd.DataFrame:
    """Every alert of ``period`` (the latest by default) for the selection."""
    return result(version, "alerts", filters, settings_key, period)


@reader("summary")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_summary(version: int, filters: Filters, settings_key: str, period: str) -> str:
    """The overview's plain-English paragraph (per-unit tests: worth caching at scale)."""
    return result(version, "summary", filters, settings_key, period)


@reader("period_rows")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_period_rows(version: int, filters: Filters, settings_key: str,
                       period: str) -> pd.DataFrame:
    """The panel's rows of one month (one per unit), in the panel's order."""
    return result(version, "period_rows", filters, settings_key, period)


@reader("what_if")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_what_if(version: int, filters: Filters, settings_key: str,
                   delta: float) -> dict[str, Any]:
    """:func:`analytics.metrics.chain.what_if` of the chain estimate for a raise of ``delta``."""
    return result(version, "what_if", filters, settings_key, delta)


@reader("what_if_units")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_what_if_units(version: int, filters: Filters, settings_key: str, delta: float,
                         units: tuple[str, ...]) -> pd.DataFrame:
    """:func:`analytics.read.views.what_if_units` of the chain estimate (a test per unit)."""
    return result(version, "what_if_units", filters, settings_key, delta, units)


@reader("relationships")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_relationships(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """All three views of every pair of legs."""
    return result(version, "relationships", filters, settings_key)


@reader("evidence")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_evidence(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """:func:`analytics.read.views.evidence_table` of the relationships."""
    return result(version, "evidence", filters, settings_key)


@reader("lag_profile")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_lag_profile(version: int, filters: Filters, settings_key: str,
                       a: str, b: str) -> pd.DataFrame:
    """Within-unit r of ``a`` at t - k with ``b`` at t, k = 0..max_lag."""
    return result(version, "lag_profile", filters, settings_key, a, b)


@reader("chain")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_chain(version: int, filters: Filters, settings_key: str) -> dict[str, Any]:
    """The chain estimate (both links at their best lags)."""
    return result(version, "chain", filters, settings_key)


@reader("pair_view")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_pair_view(version: int, filters: Filters, settings_key: str, a: str, b: str,
                     view: str, lag: int = 0) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Points and statistics of a pair scatter."""
    return result(version, "pair_view", filters, settings_key, a, b, view, lag)


@reader("unit_history")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_unit_history(version: int, filters: Filters, settings_key: str,
                        unit_id: str) -> pd.DataFrame:
    """One unit's legs over time with control limits."""
    return result(version, "unit_history", filters, settings_key, unit_id)


def column_config(labels: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    """st.dataframe column settings from ``{column: (label, format)}``.

    A format of None makes a text column, ``'checkbox'`` a tick box, anything else a
    number column with that printf-style format.
    """
    config: dict[str, Any] = {}
    for col, (label, fmt) in labels.items():
        if fmt is None:
            config[col] = st.column_config.TextColumn(label)
        elif fmt == "checkbox":
            config[col] = st.column_config.CheckboxColumn(label)
        else:
            config[col] = st.column_config.NumberColumn(label, format=fmt)
    return config
