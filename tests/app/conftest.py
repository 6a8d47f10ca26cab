"""AppTest fixtures: caches cleared per test (they are process-global)."""

from __future__ import annotations

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def error_details():
    """Tests read an exception's message; the served app shows none (.streamlit/config.toml
    ``showErrorDetails = "none"``: no traceback with server paths reaches a browser)."""
    from streamlit import config

    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")
    yield
    config.set_option("client.showErrorDetails", before)
