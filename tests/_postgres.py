"""A PostgreSQL 15 of the tests' own (Debian's binaries), for the DuckLake store.

Started once per test session on a free port with its socket in its own folder: as
root, ``initdb`` and ``pg_ctl`` run through ``runuser -u postgres`` on a folder owned by
postgres (initdb refuses root). Each lake a test needs is a database of its own, made
fresh or copied from a template (``CREATE DATABASE ... TEMPLATE``) with its data folder
copied beside it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("STOOL_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *args], check=True, capture_output=True, text=True,
                          **kwargs)


@dataclass
class Postgres:
    """A running server: ``conninfo(db)`` for libpq, ``create``/``drop`` databases."""

    folder: Path
    port: int

    def conninfo(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user=postgres"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def create(self, dbname: str, template: str | None = None) -> None:
        self._admin(f'CREATE DATABASE "{dbname}"'
                    + (f' TEMPLATE "{template}"' if template else ""))

    def drop(self, dbname: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    def set_data_path(self, dbname: str, folder: Path) -> None:
        """Point a copied lake's catalog at its own copy of the data folder."""
        import psycopg

        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            conn.execute("UPDATE ducklake_metadata SET value = %s WHERE key = 'data_path'",
                         [str(folder).rstrip("/") + "/"])

    def stop(self) -> None:
        try:
            _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m",
                          "immediate", "stop"])
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Postgres:
    """initdb and start a server in a new folder of the system's temporary folder (owned
    by postgres when run as root: pytest's own folders are private to root)."""
    if not (BIN / "initdb").exists():
        raise FileNotFoundError(f"PostgreSQL 15 is not installed ({BIN}): `make test` "
                                "installs it with apt-get (postgresql-15)")
    folder = Path(tempfile.mkdtemp(prefix="stool-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = _free_port()
    _as_postgres([str(BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust",
                  "-U", "postgres", "--no-sync"])
    _as_postgres([str(BIN / "pg_ctl"), "-D", str(folder / "data"), "-l",
                  str(folder / "log"), "-w", "-o",
                  f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                  "start"])
    server = Postgres(folder, port)
    deadline = time.monotonic() + 30
    while True:
        try:
            server._admin("SELECT 1")
            return server
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
