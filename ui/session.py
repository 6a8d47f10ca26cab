"""Shared setup of every page: the guard call, the process connection and cached reads.

Streamlit's legacy router can run a file in pages/ directly, without app.py, so each page
starts with ``guard()``; it does everything app.py would have (page config, connection,
filters) and the role check: a page the user's role may not open shows a refusal and
nothing else, and every page's filters are narrowed to the units the user may read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from analytics import auth, data, warmup
from analytics.auth import User
from analytics.filters import Filters
from analytics.settings import Settings
from analytics.store import connect, db_path, queries

PAGE_TITLE = "Stool dashboard"


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> Any:
    """One connection per process and database file; every query takes its own cursor."""
    return connect(path)


def connection() -> Any:
    return _connection(str(db_path().resolve()))


@dataclass(frozen=True)
class Context:
    """What a page needs: the connection, the data version, settings and the selection."""

    con: Any
    version: int
    settings: Settings
    filters: Filters
    has_data: bool
    user: User = auth.LOCAL

    @property
    def settings_key(self) -> str:
        return warmup.settings_key(self.settings)

    @property
    def key(self) -> tuple[int, Filters, str]:
        """What decides every cached result of a page: data version, selection, settings."""
        return self.version, self.filters, self.settings_key


def guard(title: str | None = None) -> Context:
    """Set the page up; call first on every page.

    When Streamlit's legacy router runs a page file directly (a first request for
    /upload on a fresh server), the page would show without the navigation and with
    the legacy page list; the guard then runs the real navigation around the page
    and stops the direct run. A user whose role may not open the page sees the refusal
    and the run stops before any read.
    """
    from ui import auth as auth_ui
    from ui import navigation

    if not navigation.routed():
        navigation.run()
        st.stop()
    st.set_page_config(page_title=f"{title} · {PAGE_TITLE}" if title else PAGE_TITLE,
                       page_icon=":material/chair:", layout="wide")
    user = navigation.current_user()
    if user is None or not navigation.allowed(user, navigation.current_page()):
        auth_ui.refuse()
        st.stop()
    auth_ui.sidebar(user)
    con = connection()
    version = queries.data_version(con)
    settings = cached_settings(version)
    from ui.components import demo_notice, sidebar_filters

    filters = auth.scope_filters(user, sidebar_filters(version, user))
    has = bool(cached_periods(version))
    if has:
        demo_notice(version, user)
    return Context(con, version, settings, filters, has, user)


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


def kept_or(version: int, name: str, args: tuple, compute: Callable[[], Any]) -> Any:
    """The result the warm-up kept for ``name(*args)`` at ``version``, else ``compute()``.

    For the readers below and in ``ui.cache_exec``: the first run after a load (even in
    a new process) reads what :func:`analytics.warmup.warm_up` wrote for the default
    selection; any other selection computes as before.
    """
    hit = warmup.lookup(connection(), version, name, *args)
    return compute() if hit is None else hit


def warm_up_after_change() -> None:
    """After a load, rollback or settings change: keep the default selection's results
    for the new data version (progress shown), so the next page run reads them.

    A failure is logged and shown as a note: the change itself is already committed and
    the pages then compute as before.
    """
    bar = st.progress(0.0, text="Preparing the pages for the new data…")
    try:
        done = warmup.warm_up(connection(), progress=lambda f, t: bar.progress(f, text=t))
    except Exception:  # noqa: BLE001 - never undo or fail the change over a shortcut
        warmup.log.warning("warm-up failed", exc_info=True)
        bar.empty()
        st.caption("The pages will compute their figures on first view (preparing them "
                   "failed; see the log).")
        return
    bar.empty()
    warmup.log.info(done.line())


def _settings(settings_key: str) -> Settings:
    return Settings.from_dict(json.loads(settings_key))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_panel(version: int, filters: Filters, settings_key: str) -> pd.DataFrame:
    return kept_or(version, "panel", (filters, settings_key),
                   lambda: data.panel(connection(), filters, _settings(settings_key)))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_kpis(version: int, filters: Filters, settings_key: str,
                by: tuple[str, ...] = ()) -> pd.DataFrame:
    return kept_or(version, "kpis", (filters, settings_key, by),
                   lambda: data.kpis(connection(), filters, _settings(settings_key), by))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_company(version: int, filters: Filters, settings_key: str) -> dict:
    return kept_or(version, "company", (filters, settings_key),
                   lambda: data.company(connection(), filters, _settings(settings_key)))


@st.cache_data(show_spinner=False)
def cached_batches(version: int) -> pd.DataFrame:
    return queries.batches(connection())


@st.cache_data(show_spinner=False)
def cached_rejected(version: int, batch_id: int) -> pd.DataFrame:
    return queries.rejected_rows(connection(), batch_id)


@st.cache_data(show_spinner=False)
def cached_quality(version: int) -> pd.DataFrame:
    return queries.data_quality(connection())
