"""Who may do what: users, roles, permissions and the sign-in configuration.

No Streamlit here: the pages ask ``can``/``require`` and narrow every read with
``scope_filters``, and the same checks hold for any other caller (CLI, tests, reports).

Roles
-----
executive   every dashboard; no raw data (rejected rows, upload problems), no upload,
            no batches, settings or rollback
manager     upload and every dashboard, for their own units only
hr          every dashboard (People included); employee figures only above the
            confidentiality thresholds, which analytics/privacy applies to every read
admin       everything: uploads, batches, rollback, settings, users

Configuration (environment variables win over the file)
-------------------------------------------------------
STOOL_AUTH    none (default) | password | oidc
STOOL_USERS   the password users file (default data/users.json)
STOOL_ROLES   the OIDC e-mail/group -> role mapping (default data/roles.json)
STOOL_CONFIG  a TOML file with an ``[auth]`` table: mode, users_file, roles_file
              (default stool.toml in the working directory, if it exists)
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from analytics.filters import Filters

ROLES = ("executive", "manager", "hr", "admin")
MODES = ("none", "password", "oidc")

# action -> roles allowed; every check names one of these (a typo raises, never allows)
ACTIONS: dict[str, frozenset[str]] = {
    "view_dashboards": frozenset(ROLES),
    "view_people": frozenset(ROLES),
    "upload": frozenset({"manager", "admin"}),
    # rows as uploaded (rejected rows, an upload's problem list): never for executives
    "download_raw": frozenset({"manager", "admin"}),
    "view_batches": frozenset({"admin"}),
    "rollback": frozenset({"admin"}),
    "change_settings": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
    "remove_demo": frozenset({"admin"}),
}


class PermissionDenied(Exception):
    """The user's role does not allow the action."""


@dataclass(frozen=True)
class User:
    """A signed-in user: a name, one role and, for a manager, the units they run.

    ``units`` is None for every role but manager (all units); a manager always has a
    tuple, possibly empty (then they see no unit at all).
    """

    name: str
    role: str
    units: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; roles are {', '.join(ROLES)}")
        if self.role == "manager":
            object.__setattr__(self, "units", tuple(sorted(set(self.units or ()))))
        elif self.units:
            raise ValueError(f"only managers have units, not a {self.role}")
        else:
            object.__setattr__(self, "units", None)


# the single user of mode none and of the command line: every role (admin allows all)
LOCAL = User("local", "admin")


def can(user: User | None, action: str) -> bool:
    """Whether ``user`` may do ``action`` (an unknown action is an error, not a no)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return user is not None and user.role in ACTIONS[action]


def require(user: User | None, action: str) -> None:
    """Raise PermissionDenied unless ``user`` may do ``action``."""
    if not can(user, action):
        who = f"{user.name} ({user.role})" if user is not None else "nobody signed in"
        raise PermissionDenied(f"{who} may not {action.replace('_', ' ')}")


def allowed_units(user: User | None) -> tuple[str, ...] | None:
    """The units a user may read or load (None = every unit; () = none)."""
    if user is None:
        return ()
    return user.units if user.role == "manager" else None


def scope_filters(user: User | None, filters: Filters) -> Filters:
    """``filters`` narrowed to what ``user`` may read (a manager: their units only).

    The scope stays on the returned Filters, so a page that later widens the unit
    selection (``replace(f, units=())``) still reads the manager's units only.
    """
    units = allowed_units(user)
    return filters if units is None else filters.within(units)


@dataclass(frozen=True)
class AuthConfig:
    """How users sign in, and where the users file and the OIDC role mapping live."""

    mode: str = "none"
    users_file: Path = Path("data/users.json")
    roles_file: Path = Path("data/roles.json")


def load_config(env: Mapping[str, str] | None = None) -> AuthConfig:
    """The sign-in configuration from STOOL_CONFIG's ``[auth]`` table, then the environment.

    An unknown mode raises ValueError: a misspelt mode must not fall back to no sign-in.
    """
    env = os.environ if env is None else env
    cfg = AuthConfig()
    path = Path(env.get("STOOL_CONFIG", "stool.toml"))
    if path.is_file():
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("auth", {})
        cfg = replace(cfg, mode=str(table.get("mode", cfg.mode)),
                      users_file=Path(table.get("users_file", cfg.users_file)),
                      roles_file=Path(table.get("roles_file", cfg.roles_file)))
    cfg = replace(cfg, mode=env.get("STOOL_AUTH", cfg.mode).strip().lower(),
                  users_file=Path(env.get("STOOL_USERS", cfg.users_file)),
                  roles_file=Path(env.get("STOOL_ROLES", cfg.roles_file)))
    if cfg.mode not in MODES:
        raise ValueError(f"STOOL_AUTH={cfg.mode!r} is not a sign-in mode; use one of "
                         + ", ".join(MODES))
    return cfg


def load_role_mapping(path: Path) -> dict:
    """The OIDC mapping file: ``{"users": {email: {role, units}}, "groups": {group: ...}}``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object with 'users' and 'groups'")
    return {"users": {str(k).strip().lower(): v for k, v in data.get("users", {}).items()},
            "groups": dict(data.get("groups", {}))}


def user_from_claims(mapping: dict, email: str | None, groups: Iterable[str] = (),
                     email_verified: bool | None = None) -> User | None:
    """The user an identity provider's claims map to, or None (no access).

    The e-mail entry wins, unless the provider says the address is not verified
    (``email_verified`` false: some providers let users set any address, which would
    let anyone take a mapped role); otherwise the first group (in the mapping file's
    order) that the user belongs to.
    """
    entry = None
    if email and email_verified is not False:
        entry = mapping["users"].get(email.strip().lower())
    if entry is None:
        member = set(groups or ())
        entry = next((v for g, v in mapping["groups"].items() if g in member), None)
    if entry is None:
        return None
    return User(email or "unknown", entry["role"], tuple(entry.get("units", ())) or None)
