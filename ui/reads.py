"""The app's cached reads: short leases on the store, every read cached per data version.

No connection is kept between page runs: each read (:func:`reading`) or write
(:func:`writing`) takes a lease on the store and gives it back
(:mod:`analytics.store.connection`), so a CLI load, a backup or another app replica can
use the database file while this app serves. The data version is read at the start of
every run (:func:`data_version`); a load made by another process shows on the next run.

``st.cache_data`` at the edge (house style 5): each reader's key holds the data version
(bumped by every load), so a new upload shows at once and an unchanged database never
recomputes. How a page's result is found (kept by the warm-up, or computed) is
:func:`analytics.read.results.get`'s business; :func:`result` only hands it the app's
cached readers (:func:`reader`) for the results a result is built on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from analytics.filters import Filters
from analytics.read import data, results
from analytics.settings import Settings
from analytics.store import queries, use
from analytics.store.connection import version as store_version


@contextmanager
def reading() -> Iterator[Any]:
    """A read lease on the store (read-only, shared with the other sessions)."""
    with use() as con:
        yield con


@contextmanager
def writing() -> Iterator[Any]:
    """A write lease on the store, for one load, rollback or settings change."""
    with use(write=True) as con:
        yield con


def data_version() -> int:
    """The store's data version now (the cache key of every reader below)."""
    return store_version(queries.data_version)


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
    with reading() as con:
        def via(dep: str, *dep_args: Any) -> Any:
            cached = _READERS.get(dep)
            if cached is None:
                return results.get(con, version, dep, *dep_args, via=via)
            return cached(version, *dep_args)

        return results.get(con, version, name, *args, via=via)


@st.cache_data(show_spinner=False)
def cached_settings(version: int) -> Settings:
    with reading() as con:
        return data.settings(con)


@st.cache_data(show_spinner=False)
def cached_periods(version: int) -> list[str]:
    with reading() as con:
        return queries.periods(con)


@st.cache_data(show_spinner=False)
def cached_units(version: int) -> pd.DataFrame:
    with reading() as con:
        return queries.units(con)


@st.cache_data(show_spinner=False)
def cached_departments(version: int, units: tuple[str, ...] | None = None) -> list[str]:
    with reading() as con:
        return queries.departments(con, units)


@st.cache_data(show_spinner=False)
def cached_demo_batches(version: int) -> list[int]:
    with reading() as con:
        return queries.demo_batches(con)


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
    with reading() as con:
        return queries.batches(con)


@st.cache_data(show_spinner=False)
def cached_rejected(version: int, batch_id: int) -> pd.DataFrame:
    with reading() as con:
        return queries.rejected_rows(con, batch_id)


@st.cache_data(show_spinner=False)
def cached_quality(version: int) -> pd.DataFrame:
    with reading() as con:
        return queries.data_quality(con)
