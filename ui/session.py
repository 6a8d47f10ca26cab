"""Shared setup of every page: the guard call and the context it gives the page.

Streamlit's legacy router can run a file in pages/ directly, without app.py, so each page
starts with ``guard()``; it does everything app.py would have (page config, data version,
filters) and the role check: a page the user's role may not open shows a refusal and
nothing else, and every page's filters are narrowed to the units the user may read.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from analytics.access import auth
from analytics.access.auth import User
from analytics.filters import Filters
from analytics.read import warmup
from analytics.settings import Settings
from ui.components import demo_notice, sidebar_filters
from ui.reads import cached_periods, cached_settings, data_version

PAGE_TITLE = "Stool dashboard"


@dataclass(frozen=True)
class Context:
    """What a page needs: the data version, settings and the selection.

    No connection: a page reads through the cached readers of :mod:`ui.reads` and takes
    a lease (``reading()`` / ``writing()``) for anything else, so the store is free
    between runs.
    """

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
    version = data_version()
    settings = cached_settings(version)
    filters = auth.scope_filters(user, sidebar_filters(version, user))
    has = bool(cached_periods(version))
    if has:
        demo_notice(version, user)
    return Context(version, settings, filters, has, user)
