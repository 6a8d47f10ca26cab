"""Opening the store: short leases on one in-memory DuckDB per process.

A process never opens the database file directly. It keeps one in-memory DuckDB (the
*engine*) and ATTACHes the store into it only while some code uses it, under a lease:

- :func:`use` (``with use(write=...) as con``) attaches the store, read-only unless a
  write is asked for, and detaches it when the last lease of the process ends, so no
  process holds the file's lock while idle: a CLI load, a backup or a second app
  replica gets in between two page runs. A lease waits (backoff, up to
  ``STOOL_LOCK_WAIT`` seconds, 30 by default) while another process holds the lock,
  then raises :class:`StoreBusy` naming that process.
- :func:`connect` takes a lease and keeps it until ``close()`` (tests, the demo
  builder, scripts).

The ``con`` both hand out is a :class:`Handle`: it works like a DuckDB connection
(``execute``, ``cursor()``, ...), and each ``cursor()`` is a fresh engine cursor whose
default catalog is the store (``USE``), so the SQL of the store modules names tables
unqualified, and temp tables (an upload being staged) live in the engine and outlive
a detach. Leases of several threads share one attachment; a write lease waits for the
process's read leases to end (the attachment is reopened read-write).

Two backends, the same SQL:

- the embedded file (``STOOL_DB=data/stool.duckdb``, the default), attached per lease;
- a DuckLake (``STOOL_DB=ducklake:postgres:<libpq conninfo>`` with
  ``STOOL_DATA_PATH=<folder>``): the catalog in PostgreSQL, the data as Parquet files in
  the folder. Any number of processes attach it at once, so it stays attached; writers
  of all processes take turns on a PostgreSQL advisory lock (:func:`_lake_writer`), so
  several loads at once all land, one after the other. The ``ducklake`` and ``postgres``
  extensions come from their PyPI wheels (INSTALL from the wheel's file, then LOAD),
  never from the network.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from analytics.store import transactions
from analytics.store.schema import SCHEMA_VERSION, current_version
from analytics.store.schema import migrate as _migrate
from analytics.store.transactions import WRITE_LOCK, transaction

__all__ = ["WRITE_LOCK", "Handle", "StoreBusy", "connect", "db_path", "lock_wait",
           "transaction", "use", "version"]

DEFAULT_DB = Path("data/stool.duckdb")
#: ``STOOL_DB`` (or ``--db``) naming a DuckLake whose catalog is a PostgreSQL database
LAKE_PREFIX = "ducklake:postgres:"
#: the key of the PostgreSQL advisory lock that lake writers take turns on
_WRITER_KEY = 0x53544F4F4C  # "STOOL"

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

#: seconds a lease waits for another process to release the database file
DEFAULT_LOCK_WAIT = 30.0
_LOCKED = "Could not set lock"
_PID = re.compile(r"\(PID (\d+)\)")


class StoreBusy(Exception):
    """Another process held the database file's lock for the whole wait.

    ``pid`` is that process (from DuckDB's message), None when DuckDB did not name it.
    """

    def __init__(self, target: str, pid: int | None, waited: float) -> None:
        self.target, self.pid, self.waited = target, pid, waited
        who = f"PID {pid}" if pid is not None else "another process"
        super().__init__(f"the database is in use by {who}; try again, or stop the app")


class StoreConfigError(ValueError):
    """``STOOL_DB`` / ``--db`` or ``STOOL_DATA_PATH`` cannot name a store."""


def lock_wait() -> float:
    """How long a lease waits for the lock: ``$STOOL_LOCK_WAIT`` seconds, else 30."""
    raw = os.environ.get("STOOL_LOCK_WAIT")
    if not raw:
        return DEFAULT_LOCK_WAIT
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"STOOL_LOCK_WAIT={raw!r} is not a number of seconds") from exc
    if value < 0:
        raise ValueError(f"STOOL_LOCK_WAIT={raw!r} is negative")
    return value


def _config() -> dict[str, object]:
    config: dict[str, object] = dict(_CONFIG)
    for name, default in RESOURCE_SETTINGS.items():
        value = os.environ.get(f"STOOL_DUCKDB_{name.upper()}") or default
        if value is not None:
            config[name] = value
    # the engine is in memory: spill big staged uploads to a folder of this process
    config["temp_directory"] = str(Path(tempfile.gettempdir()) / f"stool-duckdb-{os.getpid()}")
    return config


def db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The database file: ``path``, else ``$STOOL_DB``, else ``data/stool.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get("STOOL_DB")
    return Path(env) if env else DEFAULT_DB


def is_lake(path: str | os.PathLike[str] | None = None) -> bool:
    """Whether the store (``path``, else ``$STOOL_DB``) is a DuckLake, not a file."""
    return str(path or os.environ.get("STOOL_DB") or "").startswith("ducklake:")


def data_path() -> Path:
    """The folder of a DuckLake's Parquet files: ``$STOOL_DATA_PATH`` (required)."""
    raw = os.environ.get("STOOL_DATA_PATH")
    if not raw:
        raise StoreConfigError("STOOL_DB names a DuckLake: set STOOL_DATA_PATH to the "
                               "folder that holds its data files")
    return Path(raw).resolve()


def _target(path: str | os.PathLike[str] | None) -> str:
    raw = str(path or os.environ.get("STOOL_DB") or DEFAULT_DB)
    if raw.startswith("ducklake:"):
        if not raw.startswith(LAKE_PREFIX) or not raw[len(LAKE_PREFIX):].strip():
            raise StoreConfigError(f"{raw!r}: a DuckLake store is named "
                             "ducklake:postgres:<libpq conninfo>, e.g. "
                             "'ducklake:postgres:dbname=stool host=127.0.0.1'")
        return raw
    return str(Path(raw).resolve())


# --- the engine: one in-memory DuckDB per process --------------------------------------

_engine_lock = threading.Lock()
_engine: duckdb.DuckDBPyConnection | None = None
_engine_pid: int | None = None


_applied: dict[str, str | None] = {}


def engine() -> duckdb.DuckDBPyConnection:
    """The process's in-memory DuckDB, made on first use (again in a forked child).

    The resource settings follow the environment of each call (a deployment sets them
    once; a test may change them between two connections).
    """
    global _engine, _engine_pid
    with _engine_lock:
        if _engine is None or _engine_pid != os.getpid():
            _engine = duckdb.connect(":memory:", config=_config())
            _engine_pid = os.getpid()
            _databases.clear()
            _applied.clear()
            _applied.update(_resources())
        wanted = _resources()
        if wanted != _applied:
            for name, value in wanted.items():
                if value is None:
                    _engine.execute(f"RESET GLOBAL {name}")
                else:
                    _engine.execute(f"SET GLOBAL {name} = '{_literal(value)}'")
            _applied.clear()
            _applied.update(wanted)
        return _engine


def _resources() -> dict[str, str | None]:
    return {name: os.environ.get(f"STOOL_DUCKDB_{name.upper()}") or default
            for name, default in RESOURCE_SETTINGS.items()}


# --- one attachable database per target ------------------------------------------------

_registry_lock = threading.Lock()
_databases: dict[str, _Database] = {}
_memory_ids = itertools.count(1)


class _Database:
    """A store the engine attaches under ``alias`` while leases are held."""

    def __init__(self, target: str, alias: str, *, memory: bool = False,
                 lake: Path | None = None) -> None:
        self.target, self.alias, self.memory = target, alias, memory
        #: a DuckLake's data folder (None: a file or in memory)
        self.lake = lake
        self.cond = threading.Condition()
        self.mode: str | None = None  # None (detached), 'ro' or 'rw'
        self.holders = 0
        self.writers_waiting = 0
        #: the file (device, inode) whose schema version this process checked (and
        #: migrated): a file replaced since (a restore, a test's new file) is checked again
        self.checked: tuple[int, int] | None = None
        self._mine: dict[int, int] = {}  # thread id -> leases it holds

    # the lease ------------------------------------------------------------------------
    def acquire(self, write: bool, wait: float | None = None, migrate: bool = True) -> None:
        wait = lock_wait() if wait is None else wait
        deadline = time.monotonic() + wait
        me = threading.get_ident()
        with self.cond:
            while True:
                mine = self._mine.get(me, 0)
                if self.mode == "rw" or (self.mode == "ro" and not write and (
                        mine or not self.writers_waiting)):
                    break
                if self.mode is None:
                    try:
                        self._attach(write, deadline, migrate)
                    except BaseException:
                        self._detach(force=True)
                        raise
                    break
                if mine:
                    raise RuntimeError("a read lease cannot become a write lease in the "
                                       "same thread: end the read first")
                left = deadline - time.monotonic()
                if left <= 0:  # this process's own readers held it the whole wait
                    raise StoreBusy(self.target, os.getpid(), wait)
                if write:
                    self.writers_waiting += 1
                try:
                    self.cond.wait(min(left, 0.5))
                finally:
                    if write:
                        self.writers_waiting -= 1
            self.holders += 1
            self._mine[me] = self._mine.get(me, 0) + 1

    def release(self) -> None:
        me = threading.get_ident()
        with self.cond:
            self.holders -= 1
            left = self._mine.get(me, 0) - 1
            if left > 0:
                self._mine[me] = left
            else:
                self._mine.pop(me, None)
            if self.holders <= 0:
                self.holders = 0
                self._detach()
            self.cond.notify_all()

    @property
    def attached(self) -> bool:
        return self.mode is not None

    # attach and detach ------------------------------------------------------------------
    def _attach(self, write: bool, deadline: float, migrate: bool) -> None:
        """Attach (caller holds ``cond``), waiting with backoff while another process
        holds the file; migrate on the first attach of the process."""
        before = self._identity()  # None: no file yet (this attach creates it)
        read_only = not write and not self.memory and not self.lake and before is not None
        self._attach_retrying(read_only, deadline)
        if not migrate or (before is not None and self.checked == before):
            return
        if read_only and current_version(Handle(self)) < SCHEMA_VERSION:
            self._detach()
            read_only = False
            self._attach_retrying(False, deadline)
        if not read_only:
            _migrate(Handle(self))
        self.checked = self._identity()

    def _identity(self) -> tuple[int, int] | None:
        if self.memory or self.lake:
            return (0, id(self))
        try:
            st = os.stat(self.target)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino)

    def _attach_retrying(self, read_only: bool, deadline: float) -> None:
        delay = 0.02
        start = time.monotonic()
        while True:
            try:
                self._attach_once(read_only)
                return
            except duckdb.IOException as exc:
                if _LOCKED not in str(exc):
                    raise
                found = _PID.search(str(exc))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreBusy(self.target, int(found.group(1)) if found else None,
                                    time.monotonic() - start) from None
                time.sleep(min(delay, left))
                delay = min(delay * 2, 1.0)

    def _attach_once(self, read_only: bool) -> None:
        con = engine()
        if self.lake is not None:
            _load_lake_extensions(con)
            self.lake.mkdir(parents=True, exist_ok=True)
            folder = str(self.lake).rstrip("/") + "/"
            con.execute(f"ATTACH '{_literal(self.target)}' AS {self.alias} "
                        f"(DATA_PATH '{_literal(folder)}')")
        elif self.memory:
            con.execute(f"ATTACH ':memory:' AS {self.alias}")
        else:
            if not read_only:
                Path(self.target).parent.mkdir(parents=True, exist_ok=True)
            options = " (READ_ONLY)" if read_only else ""
            con.execute(f"ATTACH '{_literal(self.target)}' AS {self.alias}{options}")
        self.mode = "ro" if read_only else "rw"

    def _detach(self, force: bool = False) -> None:
        if self.mode is None:
            return
        if (self.memory or self.lake) and not force and not self._closing:
            # an in-memory store lives until its connection is closed; a lake stays
            # attached (it locks nobody out, and attaching costs PostgreSQL round trips)
            return
        engine().execute(f"DETACH {self.alias}")
        self.mode = None

    _closing = False


def _cursor(db: _Database) -> duckdb.DuckDBPyConnection:
    if not db.attached:
        raise RuntimeError(f"the store {db.target} is used outside a lease "
                           "(analytics.store.use or connect)")
    cur = engine().cursor()
    cur.execute(f"USE {db.alias}")
    return cur


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _database(path: str | os.PathLike[str] | None) -> _Database:
    """The process's entry for ``path`` (resolved; ``:memory:`` is always a new one)."""
    engine()
    if str(path) == ":memory:":
        return _Database(":memory:", f"stool_mem_{next(_memory_ids)}", memory=True)
    target = _target(path)
    lake = data_path() if target.startswith(LAKE_PREFIX) else None
    key = f"{target}\n{lake}" if lake else target
    with _registry_lock:
        db = _databases.get(key)
        if db is None:
            alias = "stool_" + hashlib.sha1(key.encode()).hexdigest()[:12]
            db = _databases[key] = _Database(target, alias, lake=lake)
        return db


def _of(con: Any) -> _Database | None:
    """The store behind a handle or one of its engine cursors (None: not ours)."""
    if isinstance(con, Handle):
        return con._db
    alias = con.execute("SELECT current_database()").fetchall()[0][0]
    with _registry_lock:
        return next((d for d in _databases.values() if d.alias == alias), None)


def files_folder(con: Any) -> Path | None:
    """Where the store keeps files beside its data (kept results, archived uploads): the
    database file's folder, a DuckLake's data folder; None for an in-memory store."""
    db = _of(con)
    if db is None or db.memory:
        return None
    return db.lake if db.lake is not None else Path(db.target).parent


def kept_folder(con: Any) -> Path | None:
    """The kept results' folder: ``<file>.kept`` beside a database file, ``kept/`` in a
    DuckLake's data folder (every replica of the app finds it there)."""
    db = _of(con)
    if db is None or db.memory:
        return None
    return db.lake / "kept" if db.lake is not None else Path(db.target + ".kept")


def detach_idle() -> None:
    """Detach every store no lease holds (a lake included): before a catalog is copied
    or dropped, or to close the PostgreSQL connections of an idle process."""
    with _registry_lock:
        dbs = list(_databases.values())
    for db in dbs:
        with db.cond:
            if db.holders == 0:
                db._detach(force=True)


# --- DuckLake -------------------------------------------------------------------------

_extensions_lock = threading.Lock()
_extensions_loaded = False


def _extension_file(module: str, name: str) -> str:
    """The extension file a PyPI wheel (``duckdb-extension-<name>``) installed."""
    import importlib

    try:
        package = importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(f"the DuckDB extension {name} is not installed: pip install "
                           f"-r requirements.txt (duckdb-extension-{name})") from exc
    path = (Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}"
            / f"{name}.duckdb_extension")
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: duckdb-extension-{name} must match duckdb "
                           f"{duckdb.__version__}")
    return str(path)


def _load_lake_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """INSTALL the postgres and ducklake extensions from their wheels' files, then LOAD."""
    global _extensions_loaded
    with _extensions_lock:
        if _extensions_loaded:
            return
        for module, name in (("duckdb_extension_postgres", "postgres"),
                             ("duckdb_extension_ducklake", "ducklake")):
            con.execute(f"INSTALL '{_literal(_extension_file(module, name))}'")
            con.execute(f"LOAD {name}")
        _extensions_loaded = True


class _LakeWriter:
    """Writers of every process take turns on a PostgreSQL advisory lock of the catalog's
    database: held on a connection of its own for one write transaction; PostgreSQL
    frees it when that connection ends, so a killed writer never blocks the others."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.depth = 0
        self.conn: Any = None

    def __enter__(self) -> None:  # under WRITE_LOCK: one thread of this process at a time
        if self.depth == 0:
            import psycopg

            self.conn = psycopg.connect(self.conninfo, autocommit=True)
            self.conn.execute("SELECT pg_advisory_lock(%s)", [_WRITER_KEY])
        self.depth += 1

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        if self.depth == 0:
            conn, self.conn = self.conn, None
            conn.close()  # ends the session: the lock goes with it


_writers: dict[str, _LakeWriter] = {}


@contextmanager
def _lake_writer(con: Any) -> Iterator[None]:
    db = _of(con)
    if db is None or db.lake is None:
        yield
        return
    writer = _writers.setdefault(db.target, _LakeWriter(db.target[len(LAKE_PREFIX):]))
    with writer:
        yield


transactions.CROSS_PROCESS_LOCK = _lake_writer


class Handle:
    """The store's ``con``: a DuckDB connection's methods, the store as default catalog.

    ``cursor()`` gives a new handle on a new engine cursor on the store (one per query
    or thread, as before; its own ``cursor()`` does the same); ``execute`` and the other
    methods of a DuckDB connection run on this handle's own cursor.
    """

    def __init__(self, db: _Database, *, owns_lease: bool = False,
                 raw: duckdb.DuckDBPyConnection | None = None) -> None:
        self._db = db
        self._owns = owns_lease
        self._main = raw
        self._closed = False

    @property
    def target(self) -> str:
        return self._db.target

    def cursor(self) -> Handle:
        return Handle(self._db, raw=_cursor(self._db))

    def _cur(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise duckdb.ConnectionException("Connection already closed!")
        if self._main is None:
            self._main = _cursor(self._db)
        return self._main

    def execute(self, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        return self._cur().execute(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._cur(), name)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._main is not None:
            self._main.close()
            self._main = None
        if self._owns:
            if self._db.memory:
                self._db._closing = True
            self._db.release()

    def __enter__(self) -> Handle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    migrate: bool = True,
    wait: float | None = None,
) -> Handle:
    """Open (and, unless read-only, migrate) the store and hold it until ``close()``.

    Waits for another process's lock as :func:`use` does (:class:`StoreBusy` after
    ``wait`` seconds, default ``STOOL_LOCK_WAIT``). A long-lived process should take
    short leases with :func:`use` instead, so other processes get in meanwhile.
    """
    db = _database(path)
    db.acquire(not read_only, wait, migrate)
    return Handle(db, owns_lease=True)


@contextmanager
def use(path: str | os.PathLike[str] | None = None, *, write: bool = False,
        wait: float | None = None) -> Iterator[Handle]:
    """A lease on the store for one piece of work: ``with use() as con: ...``.

    Read-only unless ``write``; the file is released when the process's last lease
    ends. Raises :class:`StoreBusy` when another process holds the file for longer
    than ``wait`` seconds (default ``STOOL_LOCK_WAIT``, 30).
    """
    db = _database(path)
    db.acquire(write, wait)
    handle = Handle(db)
    try:
        yield handle
    finally:
        handle.close()
        db.release()


def free(path: str | os.PathLike[str] | None = None) -> bool:
    """Whether a read lease can be had at once (another process holds no write lock)."""
    try:
        with use(path, wait=0):
            return True
    except StoreBusy:
        return False


_versions: dict[str, tuple[tuple, int]] = {}


def _signature(db: _Database) -> tuple | None:
    """What changes whenever another process commits to the file: the file's and its
    write-ahead log's inode, size and modification time (None: no file to watch)."""
    if db.memory or db.lake is not None:
        return None  # a lake: its version is read (its catalog has no file to watch)
    out = []
    for name in (db.target, db.target + ".wal"):
        try:
            st = os.stat(name)
        except FileNotFoundError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


def version(read: Callable[[Handle], int],
            path: str | os.PathLike[str] | None = None) -> int:
    """The data version as ``read(con)`` gives it, read again only when the file changed.

    Every commit writes the write-ahead log or the file, so an unchanged signature of
    both means an unchanged version: a page run whose data did not change opens nothing.
    The signature is taken before the read, so a commit racing the read is seen next time.
    """
    db = _database(path)
    sig = _signature(db)
    if sig is not None:
        hit = _versions.get(db.target)
        if hit is not None and hit[0] == sig:
            return hit[1]
    with use(path) as con:
        value = read(con)
    if sig is not None:
        _versions[db.target] = (sig, value)
    return value
