"""Backup and restore with DuckDB's EXPORT DATABASE / IMPORT DATABASE (schema + Parquet)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from analytics.store.connection import _CONFIG
from analytics.store.transactions import WRITE_LOCK


def export(con: duckdb.DuckDBPyConnection, folder: str | Path) -> Path:
    """Write the whole database (schema, data, settings, batches) into ``folder``."""
    target = Path(folder)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty: choose a new folder for the backup")
    target.mkdir(parents=True, exist_ok=True)
    with WRITE_LOCK:  # a consistent snapshot: no load runs meanwhile in this process
        con.cursor().execute(f"EXPORT DATABASE '{_quoted(target)}' (FORMAT parquet)")
    return target


def restore(db_file: str | Path, folder: str | Path, force: bool = False) -> Path:
    """Rebuild ``db_file`` from a backup folder; an existing file is kept as ``.bak``."""
    source, db = Path(folder), Path(db_file)
    if not (source / "schema.sql").exists():
        raise FileNotFoundError(f"{source} holds no backup (schema.sql is missing)")
    if db.exists():
        if not force:
            raise FileExistsError(f"{db} exists: restore with --force to replace it "
                                  f"(it is kept as {db.name}.bak)")
        shutil.move(db, db.with_name(db.name + ".bak"))
    db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), config=dict(_CONFIG))
    try:
        con.execute(f"IMPORT DATABASE '{_quoted(source)}'")
    finally:
        con.close()
    return db


def _quoted(path: Path) -> str:
    """A folder path for EXPORT/IMPORT, which take a literal, not a parameter."""
    return str(path.resolve()).replace("'", "''")
