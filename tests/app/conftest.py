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
