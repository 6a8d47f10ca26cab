"""Write transactions: one writer at a time per process, rolled back on any exit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

#: DuckDB allows one writer transaction at a time per database; loads from several
#: sessions queue here instead of failing with a write-write conflict.
WRITE_LOCK = threading.RLock()


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, new_cursor: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write transaction on its own cursor, serialised by the process write lock.

    With ``new_cursor=False`` the transaction runs on ``con`` itself, so it sees the
    temp tables a staged upload built there. The rollback sits in ``finally`` rather
    than ``except Exception`` because Streamlit stops a script with a BaseException,
    which must not leave a transaction open.
    """
    with WRITE_LOCK:
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
