"""Sign-in for the app: who this session is, the sign-in / no-access pages, the sidebar badge.

The mode comes from analytics.access.auth.load_config (STOOL_AUTH). The decisions (roles, what
each may do, lock-out) are all in analytics.access.auth and analytics.access.users; this module only
talks to Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st

from analytics.access import auth, users
from analytics.access.auth import User

SESSION_KEY = "_auth_user"  # never a widget key: only the server sets it
FAILED = ("Sign-in failed: wrong user name or password, or too many failed attempts "
          "(then wait 15 minutes).")
REFUSED = "You do not have access to this page."


def resolve() -> tuple[User | None, Callable[[], None] | None]:
    """This session's user, or None and the page to show instead (sign-in, no access)."""
    try:
        cfg = auth.load_config()
    except (ValueError, OSError) as exc:
        return None, _problem(f"Sign-in is not configured correctly: {exc}")
    if cfg.mode == "none":
        return auth.LOCAL, None
    if cfg.mode == "password":
        name = st.session_state.get(SESSION_KEY)
        try:
            user = users.get(cfg.users_file, name) if name else None
        except (OSError, ValueError) as exc:
            return None, _problem(f"The users file {cfg.users_file} cannot be read: {exc}")
        if user is None:
            st.session_state.pop(SESSION_KEY, None)  # removed since sign-in: sign out
            return None, _password(cfg)
        return user, None
    if not st.user.is_logged_in:
        if not _has_provider():
            return None, _problem("STOOL_AUTH is oidc, but .streamlit/secrets.toml has no "
                                  "[auth] section (see .streamlit/secrets.example.toml).")
        return None, _oidc_page
    try:
        mapping = auth.load_role_mapping(cfg.roles_file)
    except (OSError, ValueError) as exc:
        return None, _problem(f"The role mapping cannot be read: {exc}")
    groups = st.user.get("groups") or []
    user = auth.user_from_claims(mapping, st.user.get("email"),
                                 [groups] if isinstance(groups, str) else groups,
                                 email_verified=st.user.get("email_verified"))
    if user is None:
        return None, _no_access_page
    return user, None


def _has_provider() -> bool:
    """Whether st.login has a provider to send the user to."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own error type
        return False


def _page_config(title: str) -> None:
    st.set_page_config(page_title=f"{title} · Stool dashboard", page_icon=":material/chair:",
                       layout="centered")


def _password(cfg: auth.AuthConfig) -> Callable[[], None]:
    return lambda: _password_page(cfg)


def _password_page(cfg: auth.AuthConfig) -> None:
    _page_config("Sign in")
    st.title("Sign in")
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input("User name", key="login_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = users.authenticate(cfg.users_file, name.strip(), password)
        except (OSError, ValueError) as exc:
            st.error(f"The users file {cfg.users_file} cannot be read: {exc}")
            return
        if user is None:
            st.error(FAILED)
            return
        st.session_state[SESSION_KEY] = user.name
        st.rerun()


def _oidc_page() -> None:
    _page_config("Sign in")
    st.title("Sign in")
    st.write("Sign in with your company account to see the dashboard.")
    if st.button("Sign in", type="primary", key="oidc_login"):
        st.login()


def _literal(text: str) -> str:
    """A name from a users file or an identity provider, as a Markdown code span.

    Nothing inside a code span is formatted or turned into a link (backslash escapes
    would still let an address or URL be auto-linked); the fence is one backtick longer
    than any run of backticks in the name, as CommonMark specifies.
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def _no_access_page() -> None:
    _page_config("No access")
    st.title("No access")
    who = _literal(st.user.get("email") or "an unknown user")
    st.error(f"You are signed in as {who}, but this "
             "account has no role on the dashboard. Ask an administrator to add you.")
    if st.button("Sign out", key="oidc_logout"):
        st.logout()


def _problem(message: str) -> Callable[[], None]:
    def sign_in_problem() -> None:
        _page_config("Sign-in problem")
        st.title("Sign-in problem")
        st.error(message + " Nothing is shown until it is fixed.")

    return sign_in_problem


def refuse() -> None:
    """The message a page shows instead of its content to a role without access."""
    st.error(REFUSED + " Ask an administrator if you need it.", icon=":material/block:")


def sidebar(user: User) -> None:
    """Who is signed in (and a sign-out), or the notice that sign-in is off."""
    mode = auth.load_config().mode
    with st.sidebar:
        if mode == "none":
            st.warning("**Sign-in is off** (STOOL_AUTH=none): you are the local user with "
                       "every role. Set STOOL_AUTH=password or oidc for a shared server.",
                       icon=":material/lock_open:")
            return
        scope = f" · {', '.join(user.units)}" if user.units else ""
        st.caption(f"Signed in as {_literal(user.name)} ({user.role}{scope})")
        if st.button("Sign out", key="sign_out"):
            if mode == "password":
                st.session_state.clear()  # the filters and a staged upload go too
                st.rerun()
            else:
                st.logout()
