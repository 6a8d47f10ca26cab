"""Password users: argon2 hashes, verify, lock-out that survives a restart, the users CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from analytics.__main__ import main
from analytics.access import users
from analytics.access.auth import User

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
T0 = 1_800_000_000.0


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Argon2 at its smallest cost: the same code paths, a fraction of the CPU (the
    default parameters are used by the process test below and in production)."""
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(users, "_dummy", [])


@pytest.fixture
def path(tmp_path) -> Path:
    p = tmp_path / "users.json"
    users.add(p, "mia", PASSWORD, "manager", ("U01", "U02"))
    users.add(p, "ceo", PASSWORD + "!", "executive")
    return p


def test_the_file_holds_argon2_hashes_never_the_password(path):
    text = path.read_text()
    assert PASSWORD not in text
    stored = json.loads(text)["users"]["mia"]
    assert stored["hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(stored["hash"], PASSWORD)  # a real argon2 hash
    assert stored["role"] == "manager" and stored["units"] == ["U01", "U02"]
    assert path.stat().st_mode & 0o777 == 0o600


def test_right_password_signs_in_with_role_and_units(path):
    assert users.authenticate(path, "mia", PASSWORD, now=T0) == \
        User("mia", "manager", ("U01", "U02"))
    assert users.authenticate(path, "ceo", PASSWORD + "!", now=T0) == User("ceo", "executive")


@pytest.mark.parametrize(("name", "password"), [
    ("mia", "wrong password"), ("mia", ""), ("nobody", PASSWORD), ("MIA", PASSWORD),
    ("ceo", PASSWORD)])
def test_anything_else_is_refused(path, name, password):
    assert users.authenticate(path, name, password, now=T0) is None


def test_five_failures_lock_the_account_for_15_minutes_across_restarts(path):
    for _ in range(users.MAX_FAILURES - 1):
        assert users.authenticate(path, "mia", "nope", now=T0) is None
    assert users.load(path)["mia"]["failures"] == 4
    assert users.authenticate(path, "mia", "nope", now=T0) is None
    assert users.load(path)["mia"]["locked_until"] == T0 + 15 * 60
    # the right password is refused while locked; the state is in the file, so a new
    # process (here: a fresh read) sees it
    assert users.authenticate(path, "mia", PASSWORD, now=T0 + 60) is None
    assert users.authenticate(path, "mia", PASSWORD, now=T0 + 15 * 60 - 1) is None
    assert users.listing(path, now=T0 + 60)[1]["locked_until"] == T0 + 900
    assert users.authenticate(path, "mia", PASSWORD, now=T0 + 15 * 60 + 1) is not None
    assert users.load(path)["mia"]["locked_until"] is None
    # other accounts were never affected
    assert users.authenticate(path, "ceo", PASSWORD + "!", now=T0 + 60) is not None


def test_a_success_resets_the_failure_count(path):
    for _ in range(4):
        users.authenticate(path, "mia", "nope", now=T0)
    assert users.authenticate(path, "mia", PASSWORD, now=T0) is not None
    for _ in range(4):
        users.authenticate(path, "mia", "nope", now=T0)
    assert users.authenticate(path, "mia", PASSWORD, now=T0) is not None


def test_same_work_for_unknown_locked_and_wrong(path, monkeypatch):
    """No user enumeration by timing: exactly one argon2 verify in every case."""
    calls = []
    real = users._verify
    monkeypatch.setattr(users, "_verify", lambda h, p: calls.append(1) or real(h, p))
    for _ in range(5):
        users.authenticate(path, "mia", "nope", now=T0)
    calls.clear()
    for name, password in (("nobody", "x"), ("mia", PASSWORD), ("ceo", "nope")):
        users.authenticate(path, name, password, now=T0 + 1)
        assert len(calls) == 1, name
        calls.clear()


@pytest.mark.parametrize(("name", "password", "role", "units", "message"), [
    ("bad name", PASSWORD, "hr", (), "user name"),
    ("x", "short", "hr", (), "8 characters"),
    ("x", PASSWORD, "owner", (), "unknown role"),
    ("x", PASSWORD, "manager", (), "at least one --unit"),
    ("x", PASSWORD, "hr", ("U01",), "only managers"),
    ("mia", PASSWORD, "hr", (), "already exists"),
])
def test_add_refuses(path, name, password, role, units, message):
    with pytest.raises(users.UserError, match=message):
        users.add(path, name, password, role, units)


def test_remove_and_list(path):
    assert [u["name"] for u in users.listing(path)] == ["ceo", "mia"]
    assert users.remove(path, "ceo")
    assert not users.remove(path, "ceo")
    assert users.get(path, "ceo") is None
    assert "hash" not in users.listing(path)[0]


def _cli(monkeypatch, capsys, argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_add_list_remove(tmp_path, monkeypatch, capsys):
    f = str(tmp_path / "u.json")
    code, out, _ = _cli(monkeypatch, capsys, ["users", "add", "ann", "--role", "manager",
                                              "--unit", "U03", "--unit", "U01",
                                              "--password-stdin", "--users", f],
                        PASSWORD + "\n")
    assert code == 0 and "ann saved as manager of U01, U03" in out
    assert PASSWORD not in Path(f).read_text()
    assert users.authenticate(Path(f), "ann", PASSWORD) == User("ann", "manager",
                                                                ("U01", "U03"))
    code, out, _ = _cli(monkeypatch, capsys, ["users", "list", "--json", "--users", f])
    assert code == 0
    assert json.loads(out) == [{"name": "ann", "role": "manager", "units": ["U01", "U03"],
                                "locked_until": None}]
    code, out, _ = _cli(monkeypatch, capsys, ["users", "list", "--users", f])
    assert out == "ann\tmanager\tU01,U03\n"
    # a second add of the same name is refused (exit 1); --replace overwrites
    code, _, err = _cli(monkeypatch, capsys, ["users", "add", "ann", "--role", "hr",
                                              "--password-stdin", "--users", f], PASSWORD)
    assert code == 1 and "already exists" in err
    code, _, _ = _cli(monkeypatch, capsys, ["users", "add", "ann", "--role", "hr",
                                            "--password-stdin", "--replace", "--users", f],
                      "another password\n")
    assert code == 0
    assert users.authenticate(Path(f), "ann", "another password") == User("ann", "hr")
    code, _, _ = _cli(monkeypatch, capsys, ["users", "remove", "ann", "--users", f])
    assert code == 0 and users.load(Path(f)) == {}
    code, _, err = _cli(monkeypatch, capsys, ["users", "remove", "ann", "--users", f])
    assert code == 1 and "no user" in err


def test_cli_prompts_twice_with_getpass(tmp_path, monkeypatch, capsys):
    f = str(tmp_path / "u.json")
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    code, _, err = _cli(monkeypatch, capsys, ["users", "add", "bo", "--role", "hr",
                                              "--users", f])
    assert code == 2 and "differ" in err and not Path(f).exists()
    monkeypatch.setattr("getpass.getpass", lambda prompt: PASSWORD)
    code, _, _ = _cli(monkeypatch, capsys, ["users", "add", "bo", "--role", "hr",
                                            "--users", f])
    assert code == 0 and users.authenticate(Path(f), "bo", PASSWORD) == User("bo", "hr")


def test_cli_uses_stool_users_and_refuses_bad_input(tmp_path, monkeypatch, capsys):
    f = tmp_path / "env-users.json"
    monkeypatch.setenv("STOOL_USERS", str(f))
    code, _, err = _cli(monkeypatch, capsys, ["users", "add", "cy", "--role", "manager",
                                              "--password-stdin"], PASSWORD)
    assert code == 1 and "--unit" in err and not f.exists()
    code, _, err = _cli(monkeypatch, capsys, ["users", "add", "cy", "--role", "admin",
                                              "--password-stdin"], "short")
    assert code == 1 and "8 characters" in err
    with pytest.raises(SystemExit) as exc:
        _cli(monkeypatch, capsys, ["users", "add", "cy", "--role", "boss"])
    assert exc.value.code == 2


def test_cli_as_a_process(tmp_path):
    f = tmp_path / "u.json"
    done = subprocess.run([sys.executable, "-m", "analytics", "users", "add", "dee",
                           "--role", "executive", "--password-stdin", "--users", str(f)],
                          input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in f.read_text() and PASSWORD not in done.stdout
    assert users.authenticate(f, "dee", PASSWORD) == User("dee", "executive")


def test_cli_refuses_a_malformed_users_file(tmp_path, monkeypatch, capsys):
    f = tmp_path / "u.json"
    f.write_text("{not json")
    code, _, err = _cli(monkeypatch, capsys, ["users", "list", "--users", str(f)])
    assert code == 2 and "cannot use the users file" in err
    code, _, err = _cli(monkeypatch, capsys, ["users", "add", "x", "--role", "hr",
                                              "--password-stdin", "--users", str(f)],
                        PASSWORD)
    assert code == 2 and f.read_text() == "{not json"
