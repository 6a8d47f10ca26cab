"""The role model: the permission matrix, unit scoping, OIDC claims, the configuration."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analytics.access import auth
from analytics.access.auth import PermissionDenied, User
from analytics.filters import NO_UNIT, Filters

EXEC, HR, ADMIN = User("e", "executive"), User("h", "hr"), User("a", "admin")
MANAGER = User("m", "manager", ("U02", "U01"))

# action: (executive, manager, hr, admin)
MATRIX = {
    "view_dashboards": (True, True, True, True),
    "view_people": (True, True, True, True),
    "upload": (False, True, False, True),
    "download_raw": (False, True, False, True),
    "view_batches": (False, False, False, True),
    "rollback": (False, False, False, True),
    "change_settings": (False, False, False, True),
    "manage_users": (False, False, False, True),
    "remove_demo": (False, False, False, True),
}


def test_matrix_covers_every_action():
    assert set(MATRIX) == set(auth.ACTIONS)


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permission_matrix(action):
    got = tuple(auth.can(u, action) for u in (EXEC, MANAGER, HR, ADMIN))
    assert got == MATRIX[action]
    for user, ok in zip((EXEC, MANAGER, HR, ADMIN), MATRIX[action], strict=True):
        if ok:
            auth.require(user, action)
        else:
            with pytest.raises(PermissionDenied):
                auth.require(user, action)


def test_nobody_signed_in_may_do_nothing():
    assert not any(auth.can(None, a) for a in auth.ACTIONS)
    assert auth.allowed_units(None) == ()


def test_unknown_action_is_an_error_not_a_yes():
    with pytest.raises(ValueError):
        auth.can(ADMIN, "rolback")


def test_local_user_has_every_permission():
    assert all(auth.can(auth.LOCAL, a) for a in auth.ACTIONS)
    assert auth.allowed_units(auth.LOCAL) is None


def test_user_validation():
    with pytest.raises(ValueError):
        User("x", "owner")
    with pytest.raises(ValueError):
        User("x", "hr", ("U01",))
    assert User("x", "manager").units == ()
    assert MANAGER.units == ("U01", "U02")


def test_scope_filters_leaves_other_roles_alone():
    f = Filters("2026-01", "2026-03", units=("U09",))
    for user in (EXEC, HR, ADMIN):
        assert auth.scope_filters(user, f) is f


@pytest.mark.parametrize(("asked", "expected"), [
    ((), ("U01", "U02")),              # "all" means all of the manager's units
    (("U01",), ("U01",)),
    (("U01", "U09"), ("U01",)),        # another unit is dropped
    (("U09",), NO_UNIT),               # only other units: nothing, never "all"
])
def test_scope_filters_narrows_a_manager(asked, expected):
    f = auth.scope_filters(MANAGER, Filters("2026-01", "2026-03", units=asked))
    assert f.units == expected
    assert f.scope == ("U01", "U02")


def test_a_scope_survives_widening_the_selection():
    f = auth.scope_filters(MANAGER, Filters(units=("U01",)))
    assert replace(f, units=()).units == ("U01", "U02")
    assert replace(f, units=("U03",)).units == NO_UNIT
    assert f.with_period("2026-02").units == ("U01",)
    nothing = auth.scope_filters(MANAGER, Filters(units=("U09",)))
    assert nothing.with_period("2026-02").units == NO_UNIT


def test_a_manager_without_units_sees_nothing():
    f = auth.scope_filters(User("m", "manager"), Filters())
    assert f.units == NO_UNIT


def test_scoped_filters_read_only_the_managers_units(demo_db):
    from analytics.read import data

    units = ("U01", "U02")
    panel = data.panel(demo_db, auth.scope_filters(User("m", "manager", units), Filters()))
    assert set(panel.unit_id) == set(units)
    none = data.panel(demo_db, auth.scope_filters(User("m", "manager"), Filters()))
    assert none.empty


MAPPING = {"users": {"ceo@x.com": {"role": "executive"},
                     "mia@x.com": {"role": "manager", "units": ["U01"]}},
           "groups": {"people-team": {"role": "hr"}, "it": {"role": "admin"}}}


@pytest.mark.parametrize(("email", "groups", "expected"), [
    ("CEO@x.com", [], User("CEO@x.com", "executive")),
    ("mia@x.com", ["it"], User("mia@x.com", "manager", ("U01",))),  # e-mail wins
    ("zoe@x.com", ["sales", "people-team"], User("zoe@x.com", "hr")),
    ("zoe@x.com", ["it", "people-team"], User("zoe@x.com", "hr")),  # mapping file order
    ("zoe@x.com", ["sales"], None),
    (None, [], None),
])
def test_user_from_claims(email, groups, expected):
    mapping = {"users": {k.lower(): v for k, v in MAPPING["users"].items()},
               "groups": MAPPING["groups"]}
    assert auth.user_from_claims(mapping, email, groups) == expected


def test_an_unverified_address_gets_no_role_from_its_e_mail():
    mapping = {"users": {"mia@x.com": {"role": "manager", "units": ["U01"]}},
               "groups": {"people-team": {"role": "hr"}}}
    assert auth.user_from_claims(mapping, "mia@x.com", (), email_verified=False) is None
    assert auth.user_from_claims(mapping, "mia@x.com", (), email_verified=True) == \
        User("mia@x.com", "manager", ("U01",))
    # the provider's own groups still count
    assert auth.user_from_claims(mapping, "mia@x.com", ["people-team"],
                                 email_verified=False) == User("mia@x.com", "hr")


def test_role_mapping_file(tmp_path):
    path = tmp_path / "roles.json"
    path.write_text('{"users": {"Ann@X.com": {"role": "hr"}}}')
    mapping = auth.load_role_mapping(path)
    assert auth.user_from_claims(mapping, "ann@x.com") == User("ann@x.com", "hr")


def test_config_defaults_file_and_environment(tmp_path):
    assert auth.load_config({"STOOL_CONFIG": str(tmp_path / "none.toml")}) == \
        auth.AuthConfig()
    toml = tmp_path / "stool.toml"
    toml.write_text('[auth]\nmode = "password"\nusers_file = "/srv/users.json"\n')
    cfg = auth.load_config({"STOOL_CONFIG": str(toml)})
    assert (cfg.mode, str(cfg.users_file)) == ("password", "/srv/users.json")
    cfg = auth.load_config({"STOOL_CONFIG": str(toml), "STOOL_AUTH": "OIDC",
                            "STOOL_ROLES": "/srv/roles.json"})
    assert (cfg.mode, str(cfg.roles_file)) == ("oidc", "/srv/roles.json")


def test_a_misspelt_mode_fails_closed():
    with pytest.raises(ValueError, match="passwd"):
        auth.load_config({"STOOL_AUTH": "passwd"})
