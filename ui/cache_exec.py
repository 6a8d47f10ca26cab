"""Cached analytics of the executive pages, keyed by data version, selection and settings.

Also :func:`column_config`, which turns the plain label tables of :mod:`ui.charts_exec`
into Streamlit column settings (``ui.charts_exec`` itself may not import Streamlit).

Like :mod:`ui.session`, each reader takes ``(version, filters, settings_key, ...)``: a
load bumps the version and a changed setting changes the key, so nothing stale is shown
and an unchanged database never recomputes. Each reader first asks for the result the
warm-up kept for this data version (``ui.session.kept_or``, :mod:`analytics.warmup`): the
default selection's first run after a load reads it instead of recomputing, even in a
new process.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from analytics import alerts, balance, chain, relationships, summary, views
from analytics.filters import Filters
from analytics.settings import Settings
from ui.session import cached_panel, kept_or


def _settings(settings_key: str) -> Settings:
    return Settings.from_dict(json.loads(settings_key))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_legs(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """:func:`analytics.balance.legs_frame` of the selection."""
    return kept_or(version, "legs", (filters, settings_key),
                   lambda: balance.legs_frame(cached_panel(version, filters, settings_key),
                                              _settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_balance(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """z-scores, imbalance and weakest leg of every unit-month of the selection."""
    return kept_or(version, "balance", (filters, settings_key),
                   lambda: balance.balance(cached_legs(version, filters, settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_imbalance_history(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """Units out of balance per month, once and persistently (alert counts in one pass)."""
    return kept_or(version, "imbalance_history", (filters, settings_key),
                   lambda: alerts.imbalance_history(cached_balance(version, filters, settings_key),
                                                   _settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_alerts(version: int, filters: Filters, settings_key: str,
                  period: str | None = None) -> pd.DataFrame:
    """Every alert of ``period`` (the latest by default) for the selection."""
    return kept_or(version, "alerts", (filters, settings_key, period),
                   lambda: alerts.all_alerts(cached_panel(version, filters, settings_key),
                                             _settings(settings_key), period))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_summary(version: int, filters: Filters, settings_key: str, period: str) -> str:
    """The overview's plain-English paragraph (per-unit tests: worth caching at scale)."""
    return kept_or(version, "summary", (filters, settings_key, period),
                   lambda: summary.plain_summary(
                       cached_panel(version, filters, settings_key),
                       cached_alerts(version, filters, settings_key, period),
                       _settings(settings_key), period))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_period_rows(version: int, filters: Filters, settings_key: str,
                       period: str) -> pd.DataFrame:
    """The panel's rows of one month (one per unit), in the panel's order."""
    def compute() -> pd.DataFrame:
        panel = cached_panel(version, filters, settings_key)
        return panel[panel.period == period]

    return kept_or(version, "period_rows", (filters, settings_key, period), compute)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_what_if(version: int, filters: Filters, settings_key: str,
                   delta: float) -> dict[str, Any]:
    """:func:`analytics.chain.what_if` of the chain estimate for a raise of ``delta``."""
    return kept_or(version, "what_if", (filters, settings_key, delta),
                   lambda: chain.what_if(cached_chain(version, filters, settings_key), delta,
                                         _settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_what_if_units(version: int, filters: Filters, settings_key: str, delta: float,
                         units: tuple[str, ...]) -> pd.DataFrame:
    """:func:`analytics.views.what_if_units` of the chain estimate (a test per unit)."""
    return kept_or(version, "what_if_units", (filters, settings_key, delta, units),
                   lambda: views.what_if_units(
                       cached_chain(version, filters, settings_key), delta,
                       cached_legs(version, filters, settings_key), list(units),
                       _settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_relationships(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """All three views of every pair of legs."""
    return kept_or(version, "relationships", (filters, settings_key),
                   lambda: relationships.relationships(cached_legs(version, filters, settings_key),
                                                       settings=_settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_evidence(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    """:func:`analytics.views.evidence_table` of the relationships."""
    return kept_or(version, "evidence", (filters, settings_key),
                   lambda: views.evidence_table(
                       cached_relationships(version, filters, settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_lag_profile(version: int, filters: Filters, settings_key: str,
                       a: str, b: str) -> pd.DataFrame:
    """Within-unit r of ``a`` at t - k with ``b`` at t, k = 0..max_lag."""
    return kept_or(version, "lag_profile", (filters, settings_key, a, b),
                   lambda: relationships.lag_profile(
                       cached_legs(version, filters, settings_key), a, b,
                       settings=_settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_chain(version: int, filters: Filters, settings_key: str) -> dict[str, Any]:
    """The chain estimate (both links at their best lags)."""
    return kept_or(version, "chain", (filters, settings_key),
                   lambda: chain.chain_estimate(cached_legs(version, filters, settings_key),
                                                settings=_settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_pair_view(version: int, filters: Filters, settings_key: str, a: str, b: str,
                     view: str, lag: int = 0) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Points and statistics of a pair scatter."""
    return kept_or(version, "pair_view", (filters, settings_key, a, b, view, lag),
                   lambda: views.pair_view(
                       cached_legs(version, filters, settings_key), a, b, view, lag,
                       settings=_settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_unit_history(version: int, filters: Filters, settings_key: str,
                        unit_id: str) -> pd.DataFrame:
    """One unit's legs over time with control limits."""
    return kept_or(version, "unit_history", (filters, settings_key, unit_id),
                   lambda: views.unit_history(cached_panel(version, filters, settings_key),
                                              unit_id, _settings(settings_key)))


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
