"""The storage layer: the only code that imports duckdb or holds SQL.

Connection handling (``connection``), the schema and its migrations (``schema``), writes
of upload batches with the summary refresh (``load``) and one named read per query
(``queries``).
"""

from analytics.store.connection import StoreBusy, connect, db_path, free, transaction, use
from analytics.store.schema import SCHEMA_VERSION, migrate

__all__ = ["SCHEMA_VERSION", "StoreBusy", "connect", "db_path", "free", "migrate",
           "transaction", "use"]
