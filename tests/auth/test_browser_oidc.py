"""OIDC sign-in in a real browser: st.login through a mock provider running in this test.

The server runs with STOOL_AUTH=oidc, its [auth] secrets in a temporary file
(``--secrets.files``) pointing at tests/auth/_mock_oidc.py, and a role mapping that makes
one address a manager of two units. The browser goes Sign in -> /auth/login -> the
provider's /authorize -> /oauth2callback -> the dashboard, with an id_token signed RS256.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.auth._mock_oidc import MockProvider
from tests.e2e.conftest import _free_port, screenshot, streamlit_server, wait_for_app

pytestmark = pytest.mark.e2e
MANAGER = "mia.manager@example.com"
STRANGER = "stranger@example.com"
UNITS = ["U03", "U07"]
MANAGER_PAGES = ["Overview", "Balance", "Unit detail", "Links & lags", "People", "Customers",
                 "Upload"]
ALL_PAGES = [*MANAGER_PAGES, "Batches & settings"]


@pytest.fixture(scope="module")
def provider():
    mock = MockProvider("stool-test-client", "s3cret-" + "x" * 24).start()
    yield mock
    mock.stop()


@pytest.fixture(scope="module")
def oidc_server(demo_db_file, tmp_path_factory, provider):
    folder = tmp_path_factory.mktemp("oidc-e2e")
    db = folder / "stool.duckdb"
    shutil.copyfile(demo_db_file, db)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{"c" * 40}"\n'
        f'client_id = "{provider.client_id}"\n'
        f'client_secret = "{provider.client_secret}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n', encoding="utf-8")
    roles = folder / "roles.json"
    roles.write_text(json.dumps({"users": {MANAGER: {"role": "manager", "units": UNITS}},
                                 "groups": {"people-team": {"role": "hr"}}}),
                     encoding="utf-8")
    env = {"STOOL_DB": str(db), "STOOL_AUTH": "oidc", "STOOL_ROLES": str(roles),
           "STOOL_CONFIG": str(folder / "none.toml")}
    with streamlit_server(folder, env, "--secrets.files", str(secrets_file),
                          port=port) as served:
        yield served


def _sign_in_page(page) -> None:
    page.get_by_role("heading", name="Sign in").wait_for(timeout=30_000)
    assert page.get_by_test_id("stMetric").count() == 0
    assert page.get_by_test_id("stSidebarNav").count() == 0


def _press_sign_in(page, app_url: str) -> None:
    """Press Sign in and return once the app's new page has loaded and is idle.

    /auth/login -> provider /authorize -> /oauth2callback -> the app again: redirects all,
    so the sign-in page stays in the tab until the app's page replaces it, and that page
    is sent only after the server has exchanged the code at /token. Waiting for the app's
    URL is no wait (the sign-in page is at that URL already; Playwright's wait_for_url
    returns at once), and for some ms after the click the old page still reads connected
    and idle: wait for the new document's load event instead.
    """
    with page.expect_event("load", timeout=30_000):
        page.get_by_role("button", name="Sign in").click()
    assert page.url.startswith(app_url), page.url
    assert "/oauth2callback" not in page.url and "/auth/" not in page.url, page.url
    wait_for_app(page)


def test_a_manager_signs_in_through_the_provider(page, oidc_server, provider):
    provider.user = {"email": MANAGER, "groups": ["staff"]}
    page.goto(oidc_server)
    wait_for_app(page)
    _sign_in_page(page)
    issued = provider.tokens_issued
    _press_sign_in(page, oidc_server)
    assert provider.tokens_issued == issued + 1  # one code exchanged for one id_token
    assert "/authorize" in provider.log and "/token" in provider.log
    page.wait_for_selector("[data-testid=stMetric]", timeout=30_000)
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text(f"Signed in as {MANAGER} (manager · U03, U07)",
                               exact=True).count() == 1
    assert sidebar.get_by_text("Sign-in is off").count() == 0

    nav = page.get_by_test_id("stSidebarNav")
    assert nav.get_by_test_id("stSidebarNavLink").count() == len(MANAGER_PAGES)
    shown = [t for t in ALL_PAGES if nav.get_by_text(t, exact=True).count() == 1]
    assert shown == MANAGER_PAGES  # everything but Batches & settings

    units = sidebar.get_by_test_id("stMultiSelect").filter(has_text="Units")
    units.click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=10_000)
    offered = [t.split(" · ")[0].strip() for t in options.all_inner_texts()
               if t.strip() != "Select all"]  # Streamlit's own first option
    assert offered == UNITS
    page.keyboard.press("Escape")
    shot = screenshot(page, "oidc_manager")
    assert shot.stat().st_size > 10_000

    # the identity cookie outlives a reload; a page left out of the navigation stays shut
    page.goto(f"{oidc_server}/data")
    wait_for_app(page)
    assert sidebar.get_by_text(f"Signed in as {MANAGER} (manager · U03, U07)",
                               exact=True).count() == 1
    assert page.get_by_role("heading", name="Data and settings").count() == 0
    page.goto(f"{oidc_server}/upload")
    wait_for_app(page)
    page.get_by_role("heading", name="Upload a monthly file").wait_for(timeout=30_000)

    sidebar.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    wait_for_app(page)
    _sign_in_page(page)


def test_a_groups_claim_gives_the_hr_role(page, oidc_server, provider):
    provider.user = {"email": "harriet@example.com", "groups": ["staff", "people-team"]}
    page.goto(oidc_server)
    wait_for_app(page)
    _sign_in_page(page)
    _press_sign_in(page, oidc_server)
    page.wait_for_selector("[data-testid=stMetric]", timeout=30_000)
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text("Signed in as harriet@example.com (hr)",
                               exact=True).count() == 1
    nav = page.get_by_test_id("stSidebarNav")
    shown = [t for t in ALL_PAGES if nav.get_by_text(t, exact=True).count() == 1]
    assert shown == MANAGER_PAGES[:-1]  # the dashboards: no Upload, no Batches & settings
    sidebar.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    wait_for_app(page)
    _sign_in_page(page)


def test_an_unmapped_address_sees_no_access_and_signs_out(page, oidc_server, provider):
    provider.user = {"email": STRANGER, "groups": ["staff"]}
    page.goto(oidc_server)
    wait_for_app(page)
    _sign_in_page(page)
    _press_sign_in(page, oidc_server)
    page.get_by_role("heading", name="No access").wait_for(timeout=30_000)
    assert page.get_by_text(f"You are signed in as {STRANGER}, but this account has no "
                            "role").count() == 1
    assert page.get_by_test_id("stMetric").count() == 0
    assert page.get_by_test_id("stSidebarNav").count() == 0
    assert page.get_by_test_id("stMultiSelect").count() == 0
    screenshot(page, "oidc_no_access")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    wait_for_app(page)
    _sign_in_page(page)
    # signed out for good: a reload does not bring the session back
    page.reload()
    wait_for_app(page)
    _sign_in_page(page)


def test_an_unverified_address_takes_no_mapped_role(page, oidc_server, provider):
    """Some providers let a user set any address: unverified, it must not map to a role.

    The address is also shown as text: Markdown in a claim formats nothing.
    """
    provider.user = {"email": MANAGER, "email_verified": False, "groups": ["staff"]}
    page.goto(oidc_server)
    wait_for_app(page)
    _sign_in_page(page)
    _press_sign_in(page, oidc_server)
    page.get_by_role("heading", name="No access").wait_for(timeout=30_000)
    assert page.get_by_text(f"You are signed in as {MANAGER}, but this account has no "
                            "role").count() == 1
    assert page.get_by_test_id("stMetric").count() == 0
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    wait_for_app(page)
    _sign_in_page(page)


def test_markdown_in_a_claim_is_shown_as_text(page, oidc_server, provider):
    odd = "mallory_**x**_[site](https://evil.example/)@example.com"
    provider.user = {"email": odd, "groups": ["staff"]}
    page.goto(oidc_server)
    wait_for_app(page)
    _sign_in_page(page)
    _press_sign_in(page, oidc_server)
    page.get_by_role("heading", name="No access").wait_for(timeout=30_000)
    alert = page.get_by_test_id("stAlert")
    assert odd in alert.inner_text()  # every character as sent, nothing formatted
    assert alert.locator("strong, em, a[href*='evil']").count() == 0
