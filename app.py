"""Entry point: the navigation over pages/, built on every run.

Page config, the connection and the sidebar filters are set up by ``ui.session.guard()``
at the top of each page, because Streamlit's legacy router may run a page file directly.
"""

import streamlit as st

PAGES = {
    "Executives": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:",
                default=True),
    ],
    "Data": [
        st.Page("pages/upload.py", title="Upload", icon=":material/upload:"),
        st.Page("pages/data.py", title="Batches & settings", icon=":material/database:"),
    ],
}

st.navigation(PAGES).run()
