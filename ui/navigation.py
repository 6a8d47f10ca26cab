"""The page list, shared by app.py and by pages that Streamlit runs directly."""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

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
_routing = threading.local()


def pages(default: str = "overview.py") -> dict[str, list]:
    """st.Page objects by section, with absolute paths so any entry script can use them."""
    out: dict[str, list] = {}
    for section, file, title, icon in LAYOUT:
        path = PAGES_DIR / file
        if path.exists():
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
    """Run the navigation (from app.py, or from a page the legacy router ran directly)."""
    _routing.active = True
    try:
        st.navigation(pages(_entry_page())).run()
    finally:
        _routing.active = False


def routed() -> bool:
    """Whether this script run is already inside the navigation."""
    return getattr(_routing, "active", False)
