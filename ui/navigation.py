"""The page list, shared by app.py and by pages that Streamlit runs directly.

The list depends on the signed-in user's role (analytics.access.auth): a page left out of
st.navigation cannot be reached by URL, and the guard of every page checks again
(``allowed``), because the legacy router can run a page file without this list.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from analytics.access import auth
from analytics.access.auth import User
from analytics.store import StoreBusy

PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
# (section, file, title, icon); a page whose file is missing is left out
LAYOUT = [
    ("Executives", "overview.py", "Overview", ":material/dashboard:"),
    ("Executives", "balance.py", "Balance", ":material/balance:"),
    ("Executives", "unit.py", "Unit detail", ":material/storefront:"),
    ("Executives", "links.py", "Links & lags", ":material/timeline:"),
    ("People & customers", "people.py", "People", ":material/groups:"),
    ("People & customers", "customers.py", "Customers", ":material/sentiment_satisfied:"),
    ("Data", "upload.py", "Upload", ":material/upload:"),
    ("Data", "data.py", "Batches & settings", ":material/database:"),
]
# the action (analytics.access.auth.ACTIONS) a page needs; a page not named here is a dashboard
PAGE_ACTIONS = {"people.py": "view_people", "customers.py": "view_people",
                "upload.py": "upload", "data.py": "view_batches"}
FILE_BY_TITLE = {title: file for _s, file, title, _i in LAYOUT}
_routing = threading.local()


def allowed(user: User | None, file: str | None) -> bool:
    """Whether ``user`` may open the page file (an unknown file: no)."""
    if file not in FILE_BY_TITLE.values():
        return False
    return auth.can(user, PAGE_ACTIONS.get(file, "view_dashboards"))


def pages(default: str = "overview.py", user: User | None = auth.LOCAL) -> dict[str, list]:
    """st.Page objects by section for ``user``, with absolute paths for any entry script."""
    out: dict[str, list] = {}
    for section, file, title, icon in LAYOUT:
        path = PAGES_DIR / file
        if path.exists() and allowed(user, file):
            out.setdefault(section, []).append(
                st.Page(str(path), title=title, icon=icon, default=file == default))
    return out


def _entry_page() -> str:
    """The page file Streamlit was asked to run directly, else the overview.

    Made the default for this run, so a direct run (a legacy URL, or AppTest.from_file
    on a page) shows that page inside the navigation.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    main = Path(ctx.main_script_path).resolve() if ctx is not None else None
    if main is not None and main.parent == PAGES_DIR and (PAGES_DIR / main.name).exists():
        return main.name
    return "overview.py"


def run() -> None:
    """Run the navigation (from app.py, or from a page the legacy router ran directly).

    Nobody signed in: only the sign-in (or no-access) page exists. A page file run
    directly by a role without access: only the refusal.
    """
    from ui import auth as auth_ui

    user, gate = auth_ui.resolve()
    if user is None:
        st.navigation([st.Page(gate, title="Sign in", url_path="sign-in", default=True)],
                      position="hidden").run()
        return
    entry = _entry_page()
    if not allowed(user, entry):
        st.navigation([st.Page(_refusal, title="No access", url_path="no-access",
                               default=True)], position="hidden").run()
        return
    _routing.active, _routing.user = True, user
    try:
        page = st.navigation(pages(entry, user))
        _routing.page = FILE_BY_TITLE.get(page.title)
        try:
            page.run()
        except StoreBusy:
            busy()
    finally:
        _routing.active, _routing.user, _routing.page = False, None, None


#: what a page says while another process writes the database for longer than the wait
BUSY = "A load is being written; this page refreshes when it is done."


def busy() -> None:
    """Another process held the database for the whole wait (a CLI load, say): say so
    instead of a traceback, and rerun the page as soon as the store is free."""
    from analytics.store import free

    st.info(BUSY, icon=":material/hourglass_top:")

    @st.fragment(run_every=2)
    def poll() -> None:
        if free():
            st.rerun()

    poll()


def _refusal() -> None:
    from ui import auth as auth_ui

    st.set_page_config(page_title="No access · Stool dashboard", page_icon=":material/block:")
    st.title("No access")
    auth_ui.refuse()


def current_user() -> User | None:
    """The user the running navigation was built for (None outside it)."""
    return getattr(_routing, "user", None)


def current_page() -> str | None:
    """The page file the running navigation chose."""
    return getattr(_routing, "page", None)


def routed() -> bool:
    """Whether this script run is already inside the navigation."""
    return getattr(_routing, "active", False)
