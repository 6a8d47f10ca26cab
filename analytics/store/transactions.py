"""Write transactions: one writer at a time, rolled back on any exit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import duckdb

#: DuckDB allows one writer transaction at a time per database; loads from several
#: sessions queue here instead of failing with a write-write conflict.
WRITE_LOCK = threading.RLock()



def _no_lock(con: Any) -> AbstractContextManager[None]:
    return nullcontext()


#: the lock writers of several processes share, for the store behind a connection (set by
#: analytics.store.connection: a DuckLake's PostgreSQL advisory lock; a file needs none,
#: its write lock is the file's)
CROSS_PROCESS_LOCK: Callable[[Any], AbstractContextManager[None]] = _no_lock


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, new_cursor: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write transaction on its own cursor, serialised by the process write lock (and,
    on a shared DuckLake, the writers' lock of all processes).

    With ``new_cursor=False`` the transaction runs on ``con`` itself, so it sees the
    temp tables a staged upload built there. The rollback sits in ``finally`` rather
    than ``except Exception`` because Streamlit stops a script with a BaseException,
    which must not leave a transaction open.
    """
    with WRITE_LOCK, CROSS_PROCESS_LOCK(con):
        cur = con.cursor() if new_cursor else con
        cur.execute("BEGIN TRANSACTION")
        committed = False
        try:
            yield cur
            cur.execute("COMMIT")
            committed = True
        finally:
            if not committed:
                cur.execute("ROLLBACK")
            if new_cursor:
                cur.close()
