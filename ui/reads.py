"""The app's cached reads: one connection per process, every read cached per data version.

``st.cache_data`` at the edge (house style 5): each reader's key holds the data version
(bumped by every load), so a new upload shows at once and an unchanged database never
recomputes. How a page's result is found (kept by the warm-up, or computed) is
:func:`analytics.read.results.get`'s business; :func:`result` only hands it the app's
cached readers (:func:`reader`) for the results a result is built on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from analytics.filters import Filters
from analytics.read import data, results
from analytics.settings import Settings
from analytics.store import connect, db_path, queries


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> Any:
    """One connection per process and database file; every query takes its own cursor."""
    return connect(path)


def connection() -> Any:
    return _connection(str(db_path().resolve()))


#: result name -> the cached reader of this app that gives it, ``reader(version, *args)``
_READERS: dict[str, Callable[..., Any]] = {}


def reader(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a cached reader as the app's way to the result ``name``."""
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _READERS[name] = fn
        return fn
    return register


def result(version: int, name: str, *args: Any) -> Any:
    """The result ``name(*args)`` at ``version``, the results it is built on through the
    app's cached readers (so a panel already cached is not computed again)."""
    def via(dep: str, *dep_args: Any) -> Any:
        cached = _READERS.get(dep)
        if cached is None:
            return results.get(connection(), version, dep, *dep_args, via=via)
        return cached(version, *dep_args)

    return results.get(connection(), version, name, *args, via=via)


@st.cache_data(show_spinner=False)
def cached_settings(version: int) -> Settings:
    return data.settings(connection())


@st.cache_data(show_spinner=False)
def cached_periods(version: int) -> list[str]:
    return queries.periods(connection())


@st.cache_data(show_spinner=False)
def cached_units(version: int) -> pd.DataFrame:
    return queries.units(connection())


@st.cache_data(show_spinner=False)
def cached_departments(version: int, units: tuple[str, ...] | None = None) -> list[str]:
    return queries.departments(connection(), units)


@st.cache_data(show_spinner=False)
def cached_demo_batches(version: int) -> list[int]:
    return queries.demo_batches(connection())


@reader("panel")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_panel(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    return result(version, "panel", filters, settings_key)


@reader("kpis")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_kpis(version: int, filters: Filters, settings_key: str,
                by: tuple[str, ...] = ()) -> pd.DataFrame:
    return result(version, "kpis", filters, settings_key, by)


@reader("company")
@st.cache_data(show_spinner=False, max_entries=64)
def cached_company(version: int, filters: Filters, settings_key: str) -> dict:
    return result(version, "company", filters, settings_key)


@st.cache_data(show_spinner=False)
def cached_batches(version: int) -> pd.DataFrame:
    return queries.batches(connection())


@st.cache_data(show_spinner=False)
def cached_rejected(version: int, batch_id: int) -> pd.DataFrame:
    return queries.rejected_rows(connection(), batch_id)


@st.cache_data(show_spinner=False)
def cached_quality(version: int) -> pd.DataFrame:
    return queries.data_quality(connection())
