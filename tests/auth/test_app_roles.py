"""The app per role (AppTest): the page list, the guard of a page run directly, a
manager's units, and the notice of mode none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from analytics.access import users
from analytics.filters import Filters
from analytics.read import data

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = {"overview.py", "balance.py", "unit.py", "links.py", "people.py", "customers.py"}
EXPECTED = {
    "executive": DASHBOARDS,
    "hr": DASHBOARDS,
    "manager": DASHBOARDS | {"upload.py"},
    "admin": DASHBOARDS | {"upload.py", "data.py"},
}
ALL_PAGES = sorted(DASHBOARDS | {"upload.py", "data.py"})
MANAGER_UNITS = ("U03", "U07")
PASSWORD = "correct horse battery"
REFUSAL = "You do not have access to this page."


@pytest.fixture
def oidc(tmp_path, monkeypatch):
    """STOOL_AUTH=oidc with one address per role (the manager runs two units)."""
    roles = {"users": {"ceo@x.com": {"role": "executive"},
                       "mia@x.com": {"role": "manager", "units": list(MANAGER_UNITS)},
                       "it@x.com": {"role": "admin"}},
             "groups": {"people-team": {"role": "hr"}}}
    path = tmp_path / "roles.json"
    path.write_text(json.dumps(roles))
    monkeypatch.setenv("STOOL_AUTH", "oidc")
    monkeypatch.setenv("STOOL_ROLES", str(path))


LOGINS = {"executive": {"email": "ceo@x.com"}, "manager": {"email": "mia@x.com"},
          "admin": {"email": "it@x.com"},
          "hr": {"email": "hanna@x.com", "groups": ["people-team"]}}


def _app(script: str = "app.py", user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=90)
    if user is not None:
        at.user = {"is_logged_in": True, **user}
    return at


def _pages(at: AppTest) -> set[str]:
    return {Path(str(i["script_path"])).name for i in at._registered_pages.values()
            if i.get("script_path")}


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_exactly_its_pages(demo_db, oidc, role):
    at = _app(user=LOGINS[role]).run()
    assert not at.exception, at.exception
    assert _pages(at) == EXPECTED[role]
    for page in ALL_PAGES:
        if page in EXPECTED[role]:
            continue
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}")


@pytest.mark.parametrize(("role", "page"), [
    (role, page) for role in sorted(EXPECTED) for page in ALL_PAGES
    if page not in EXPECTED[role]])
def test_a_page_run_directly_without_access_refuses_and_shows_no_data(
        demo_db, oidc, role, page):
    at = _app(f"pages/{page}", LOGINS[role]).run()
    assert not at.exception, at.exception
    assert REFUSAL in _errors(at)
    assert not at.dataframe and not at.metric and not at.file_uploader
    assert not at.sidebar.multiselect  # not even the filters (unit names)


def test_a_page_run_directly_with_access_shows_it(demo_db, oidc):
    at = _app("pages/data.py", LOGINS["admin"]).run()
    assert not at.exception and REFUSAL not in _errors(at)
    assert at.dataframe  # the batches


def test_an_address_without_a_role_sees_no_access(demo_db, oidc):
    at = _app(user={"email": "stranger@y.com", "groups": ["sales"]}).run()
    assert not at.exception
    assert "no role on the dashboard" in _errors(at)
    assert not _pages(at) and not at.metric and not at.sidebar.multiselect


def test_signed_out_sees_only_the_sign_in(demo_db, oidc):
    at = _app()
    at.user = {"is_logged_in": False}
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x" * 32, "client_id": "id",
                          "client_secret": "secret",
                          "server_metadata_url": "https://idp.example/.well-known/x"}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert at.button(key="oidc_login") is not None
    assert not at.metric and not at.sidebar.multiselect


def test_oidc_without_a_provider_says_so(demo_db, oidc):
    at = _app()
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert "no [auth] section" in _errors(at)
    assert not at.metric and not _pages(at)


def test_a_manager_is_offered_only_the_departments_of_their_units(tiny_duck, oidc, tmp_path):
    from analytics.ingest.pipeline import ingest_file

    path = tmp_path / "employees.csv"
    rows = [("U03", "Bakery"), ("U07", "Tills"), ("U09", "Pharmacy"), ("U09", "Tills")]
    path.write_text("unit_id,period,respondent_id,department,esat\n" + "".join(
        f"{u},2026-09,{u}-{d}-{i},{d},4\n" for u, d in rows for i in range(6)))
    result, _ = ingest_file(tiny_duck, path, "employee")
    assert result.status == "loaded", result.errors
    manager = _app(user=LOGINS["manager"]).run()
    assert not manager.exception
    assert manager.sidebar.multiselect(key="f_department").options == ["Bakery", "Tills"]
    admin = _app(user=LOGINS["admin"]).run()
    assert admin.sidebar.multiselect(key="f_department").options == [
        "Bakery", "Pharmacy", "Tills"]


@pytest.mark.parametrize("warmed", [False, True], ids=["computed", "after-warm-up"])
def test_a_manager_is_offered_and_shown_only_their_units(demo_db, oidc, warmed):
    if warmed:  # the warm-up keeps the whole company's default view: never a manager's
        from analytics.read.warmup import warm_up

        assert warm_up(demo_db).kept
    at = _app(user=LOGINS["manager"]).run()
    assert not at.exception
    options = at.sidebar.multiselect(key="f_unit").options
    assert [o.split(" · ")[0] for o in options] == list(MANAGER_UNITS)
    latest = max(data.kpis(demo_db, by=("period",)).period)
    mine = data.company(demo_db, Filters(units=MANAGER_UNITS).with_period(latest))
    everyone = data.company(demo_db, Filters().with_period(latest))
    shown = {m.label: m.value for m in at.metric}
    assert shown["CSAT %"] == f"{mine['csat_pct']:.1f}"
    assert shown["Gross margin %"] == f"{mine['gross_margin_pct']:.1f}"
    assert shown["CSAT %"] != f"{everyone['csat_pct']:.1f}"
    assert "Sign-in is off" not in " ".join(w.value for w in at.sidebar.warning)
    assert any("mia@x.com" in c.value and "manager" in c.value for c in at.sidebar.caption)


def test_a_managers_unit_detail_compares_only_their_units(demo_db, oidc):
    at = _app(user=LOGINS["manager"]).run()
    at.switch_page("pages/unit.py").run()
    assert not at.exception
    assert at.selectbox(key="unit_id").options == [
        o for o in at.selectbox(key="unit_id").options
        if any(u in o for u in MANAGER_UNITS)]
    assert len(at.selectbox(key="unit_id").options) == len(MANAGER_UNITS)


def test_only_an_admin_may_remove_the_demo_or_change_settings(demo_db, oidc):
    at = _app(user=LOGINS["executive"]).run()
    assert not [b for b in at.sidebar.button if b.key == "remove_demo"]
    at = _app(user=LOGINS["admin"]).run()
    assert at.sidebar.button(key="remove_demo") is not None


# --- password mode --------------------------------------------------------------------

@pytest.fixture
def password_users(tmp_path, monkeypatch):
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(users, "_dummy", [])
    path = tmp_path / "users.json"
    users.add(path, "ceo", PASSWORD, "executive")
    users.add(path, "mia", PASSWORD, "manager", MANAGER_UNITS)
    users.add(path, "hanna", PASSWORD, "hr")
    users.add(path, "root", PASSWORD, "admin")
    monkeypatch.setenv("STOOL_AUTH", "password")
    monkeypatch.setenv("STOOL_USERS", str(path))
    return path


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


@pytest.mark.parametrize(("name", "role"), [("ceo", "executive"), ("mia", "manager"),
                                            ("hanna", "hr"), ("root", "admin")])
def test_password_sign_in_gives_the_roles_pages(demo_db, password_users, name, role):
    at = _app().run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric
    _sign_in(at, name, PASSWORD)
    assert not at.exception, at.exception
    assert _pages(at) == EXPECTED[role]
    assert at.metric  # the overview
    at.sidebar.button(key="sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in"] and not _pages(at)


def test_a_wrong_password_gets_one_message_for_every_cause(demo_db, password_users):
    messages = set()
    for name, password in (("mia", "wrong password"), ("nobody", PASSWORD)):
        at = _sign_in(_app().run(), name, password)
        assert not at.metric and not _pages(at)
        messages.add(_errors(at))
    for _ in range(5):
        at = _sign_in(_app().run(), "ceo", "wrong password")
    at = _sign_in(_app().run(), "ceo", PASSWORD)  # locked now
    messages.add(_errors(at))
    assert not at.metric
    assert len(messages) == 1 and "Sign-in failed" in messages.pop()


def test_a_removed_user_is_signed_out_on_the_next_run(demo_db, password_users):
    at = _sign_in(_app().run(), "mia", PASSWORD)
    assert at.metric
    users.remove(password_users, "mia")
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric


def test_a_manager_cannot_load_another_units_rows(tiny_duck, password_users):
    """data/samples/financials.csv has 2 rows each for U01, U02, U03; mia runs U03, U07."""
    from analytics.store import queries

    at = _sign_in(_app().run(), "mia", PASSWORD)
    at.switch_page("pages/upload.py").run()
    path = ROOT / "data" / "samples" / "financials.csv"
    at.radio(key="up_dataset").set_value("financials").run()
    at.file_uploader(key="upload_0").set_value(
        (path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception, at.exception
    # refused by the loader (pipeline allowed_units): the other units' rows are problems
    assert {m.label: m.value for m in at.metric}["Rows with problems"] == "4"
    assert at.button(key="up_load").disabled
    problems = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert sorted(problems["value"]) == ["U01", "U01", "U02", "U02"]
    assert set(problems["reason"]) == {"unit 'U01' is not one of your units",
                                       "unit 'U02' is not one of your units"}
    at.checkbox(key="up_skip").check().run()
    at.button(key="up_load").click().run()
    assert not at.exception, at.exception
    batch = queries.batches(tiny_duck).iloc[0]
    assert (batch.rows_loaded, batch.rows_rejected, batch.uploaded_by) == (2, 4, "mia")
    assert set(queries.panel(tiny_duck).unit_id) == {"U03"}


# --- mode none --------------------------------------------------------------------------

@pytest.mark.parametrize("page", ALL_PAGES)
def test_mode_none_is_the_local_user_with_every_page_and_a_notice(demo_db, page):
    at = _app(f"pages/{page}").run()
    assert not at.exception, at.exception
    assert _pages(at) == EXPECTED["admin"]
    notice = " ".join(w.value for w in at.sidebar.warning)
    assert "Sign-in is off" in notice and "every role" in notice
    assert REFUSAL not in _errors(at)


def test_a_misspelt_mode_shows_a_problem_and_no_data(demo_db, monkeypatch):
    monkeypatch.setenv("STOOL_AUTH", "pasword")
    at = _app().run()
    assert not at.exception
    assert "not configured correctly" in _errors(at)
    assert not at.metric and not _pages(at)


def test_a_malformed_users_file_shows_a_problem_and_no_data(demo_db, password_users):
    at = _sign_in(_app().run(), "mia", PASSWORD)
    assert at.metric
    password_users.write_text("{not json")
    at.run()
    assert not at.exception
    assert "cannot be read" in _errors(at)
    assert not at.metric and not _pages(at)
