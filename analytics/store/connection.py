"""Opening the DuckDB file: one connection per process, a fresh cursor per query."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from analytics.store.schema import migrate as _migrate
from analytics.store.transactions import WRITE_LOCK, transaction

__all__ = ["WRITE_LOCK", "connect", "db_path", "transaction"]

DEFAULT_DB = Path("data/stool.duckdb")

# Extensions beyond the built-in ones would be downloaded at run time, which this
# deployment forbids: fail at once with a clear error instead.
_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

#: DuckDB resource settings, each overridable by an environment variable for a deployment
#: (``STOOL_DUCKDB_THREADS``, ``STOOL_DUCKDB_MEMORY_LIMIT``). None keeps DuckDB's default
#: (threads = cores, memory_limit = 80% of RAM), chosen by measurement on the large demo
#: (2,000 units x 60 months, ``python -m bench memory``, BENCHMARKS.md "DuckDB settings"):
#: serving every page peaks at 0.55 GB with the default, 0.56 GB with memory_limit=512MB
#: and 0.55 GB with preserve_insertion_order=false, so a tighter limit buys nothing while
#: it could fail a large upload, which loads in this same process; threads=1 made the
#: pages that scan the 10M response rows (People, Customers) about 2x slower. Insertion
#: order stays preserved (the default): without it a read with no ORDER BY may return its
#: rows in a different order from run to run.
RESOURCE_SETTINGS: dict[str, str | None] = {
    "threads": None,
    "memory_limit": None,
}


def _config() -> dict[str, object]:
    config: dict[str, object] = dict(_CONFIG)
    for name, default in RESOURCE_SETTINGS.items():
        value = os.environ.get(f"STOOL_DUCKDB_{name.upper()}") or default
        if value is not None:
            config[name] = value
    return config

def db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The database file: ``path``, else ``$STOOL_DB``, else ``data/stool.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get("STOOL_DB")
    return Path(env) if env else DEFAULT_DB


def connect(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    migrate: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open (and, unless read-only, migrate) the database file.

    Keep the returned connection for the life of the process and call ``.cursor()``
    for every query: a cursor is cheap, and cursors are safe across threads where a
    shared connection is not.
    """
    p = db_path(path)
    if not read_only:
        p.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(p), read_only=read_only, config=_config())
    if migrate and not read_only:
        _migrate(con)
    return con
