"""Password users: a JSON file of argon2 hashes, roles, units and lock-out state.

The file never holds a password, only argon2id hashes (argon2-cffi). Failed sign-ins are
counted in the file, so a lock-out survives a restart; writes are atomic (a temporary file
renamed over the old one) and serialised by an advisory lock beside the file, so the app
and the command line can both write it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from analytics.access.auth import User

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
MIN_PASSWORD = 8
NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")

_hasher = PasswordHasher()
_dummy: list[str] = []


class UserError(ValueError):
    """A users-file request that cannot be done (bad name, role, password, duplicate)."""


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load(path: Path) -> dict[str, dict]:
    """Every user by name: ``{"hash", "role", "units", "failures", "locked_until"}``."""
    path = Path(path)
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return dict(data.get("users", {}))


def _save(path: Path, users: dict[str, dict]) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"version": 1, "users": users}, out, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add(path: Path, name: str, password: str, role: str, units: tuple[str, ...] = (),
        replace: bool = False) -> User:
    """Create (or with ``replace``, overwrite) a user; returns the User."""
    if not NAME.match(name or ""):
        raise UserError("a user name is 1-64 letters, digits, '.', '_', '@' or '-'")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    try:
        user = User(name, role, tuple(units) or None)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if role == "manager" and not user.units:
        raise UserError("a manager needs at least one --unit")
    path = Path(path)
    with _locked(path):
        users = load(path)
        if name in users and not replace:
            raise UserError(f"user {name!r} already exists (use --replace to overwrite)")
        users[name] = {"hash": _hasher.hash(password), "role": role,
                       "units": list(user.units or ()), "failures": 0, "locked_until": None}
        _save(path, users)
    return user


def remove(path: Path, name: str) -> bool:
    """Delete a user; False when there was none of that name."""
    path = Path(path)
    with _locked(path):
        users = load(path)
        if users.pop(name, None) is None:
            return False
        _save(path, users)
    return True


def listing(path: Path, now: float | None = None) -> list[dict]:
    """name, role, units and whether locked (until when), sorted by name; no hashes."""
    now = time.time() if now is None else now
    return [{"name": n, "role": u["role"], "units": u.get("units", []),
             "locked_until": u["locked_until"] if (u.get("locked_until") or 0) > now else None}
            for n, u in sorted(load(path).items())]


def get(path: Path, name: str) -> User | None:
    """The current role and units of a user (None when removed since sign-in)."""
    entry = load(path).get(name)
    if entry is None:
        return None
    return User(name, entry["role"], tuple(entry.get("units", ())) or None)


def _verify(hash_: str, password: str) -> bool:
    try:
        return _hasher.verify(hash_, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash("a password nobody has"))
    return _dummy[0]


def authenticate(path: Path, name: str, password: str, now: float | None = None) -> User | None:
    """The User when the name and password match and the account is not locked, else None.

    The same answer (None) and the same work (one argon2 verify) for an unknown user, a
    wrong password and a locked account, so neither the message nor the timing tells
    which user names exist. After MAX_FAILURES wrong passwords in a row the account is
    locked for LOCK_SECONDS, even for the right password.
    """
    now = time.time() if now is None else now
    path = Path(path)
    with _locked(path):
        users = load(path)
        entry = users.get(name)
        if entry is None:
            _verify(_dummy_hash(), password)
            return None
        locked = (entry.get("locked_until") or 0) > now
        ok = _verify(entry["hash"], password)  # verified even when locked: same timing
        if locked:
            return None
        if not ok:
            entry["failures"] = int(entry.get("failures", 0)) + 1
            if entry["failures"] >= MAX_FAILURES:
                entry["failures"], entry["locked_until"] = 0, now + LOCK_SECONDS
            _save(path, users)
            return None
        changed = entry.get("failures") or entry.get("locked_until")
        entry["failures"], entry["locked_until"] = 0, None
        if _hasher.check_needs_rehash(entry["hash"]):
            entry["hash"], changed = _hasher.hash(password), True
        if changed:
            _save(path, users)
    return User(name, entry["role"], tuple(entry.get("units", ())) or None)
