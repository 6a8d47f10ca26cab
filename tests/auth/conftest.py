"""Sign-in tests: every test chooses its own mode; caches are process-global."""

from __future__ import annotations

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def clean_auth_env(monkeypatch, tmp_path):
    for name in ("STOOL_AUTH", "STOOL_USERS", "STOOL_ROLES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STOOL_CONFIG", str(tmp_path / "no-config.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


# the browser test here uses Debian's chromium like tests/e2e (never a downloaded one)
from tests.e2e.conftest import browser_context_args, browser_type_launch_args  # noqa: E402,F401
