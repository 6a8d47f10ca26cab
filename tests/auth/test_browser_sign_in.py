"""Password sign-in in a real browser, on a server started with STOOL_AUTH=password.

The first request of a fresh server for /data is run by Streamlit's legacy router
directly from pages/data.py, without app.py: it must show the sign-in, not the batches.
"""

from __future__ import annotations

import shutil

import pytest
from argon2 import PasswordHasher

from analytics.access import users
from tests.e2e.conftest import streamlit_server, wait_for_app

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def password_server(demo_db_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth-e2e")
    db = folder / "stool.duckdb"
    shutil.copyfile(demo_db_file, db)
    users_file = folder / "users.json"
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    saved, users._hasher = users._hasher, cheap
    try:
        users.add(users_file, "ceo", PASSWORD, "executive")
        users.add(users_file, "root", PASSWORD, "admin")
    finally:
        users._hasher = saved
    env = {"STOOL_DB": str(db), "STOOL_AUTH": "password", "STOOL_USERS": str(users_file),
           "STOOL_CONFIG": str(folder / "none.toml")}
    with streamlit_server(folder, env) as url:
        yield url


def _sign_in(page, name: str, password: str) -> None:
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)


def test_a_direct_url_on_a_fresh_server_asks_to_sign_in(page, password_server):
    page.goto(f"{password_server}/data")  # the first request of this server
    wait_for_app(page)
    assert page.get_by_role("heading", name="Sign in").count() == 1
    assert page.get_by_test_id("stDataFrame").count() == 0
    assert page.get_by_test_id("stMetric").count() == 0
    assert page.get_by_text("Batches & settings").count() == 0


def test_an_executive_signs_in_and_sees_only_the_dashboards(page, password_server):
    page.goto(password_server)
    wait_for_app(page)
    _sign_in(page, "ceo", "wrong password")
    # the password hash takes a second or more on a loaded machine: wait for the answer
    page.get_by_text("Sign-in failed").wait_for(timeout=30_000)
    assert page.get_by_text("Sign-in failed").count() == 1
    _sign_in(page, "ceo", PASSWORD)
    page.wait_for_selector("[data-testid=stMetric]", timeout=30_000)
    nav = page.get_by_test_id("stSidebarNav")
    assert nav.get_by_text("Overview", exact=True).count() == 1
    assert nav.get_by_text("People", exact=True).count() == 1
    assert nav.get_by_text("Upload", exact=True).count() == 0
    assert nav.get_by_text("Batches & settings", exact=True).count() == 0
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text("Signed in as").count() == 1
    assert sidebar.get_by_text("Sign-in is off").count() == 0
