"""Saved column mappings, offered again when next month's file has the same headers."""

from __future__ import annotations

import datetime as dt

import duckdb

from analytics.ingest.mapping import Mapping, header_signature
from analytics.store.connection import transaction


def save(con: duckdb.DuckDBPyConnection, name: str, dataset: str, columns: list[str],
         mapping: Mapping) -> None:
    """Save (or overwrite) a named mapping for files with these headers."""
    with transaction(con) as cur:
        cur.execute("DELETE FROM mappings WHERE name = $n AND dataset = $d",
                    {"n": name, "d": dataset})
        cur.execute(
            "INSERT INTO mappings VALUES ($n, $d, $s, $j, $t)",
            {"n": name, "d": dataset, "s": header_signature(columns), "j": mapping.to_json(),
             "t": dt.datetime.now(dt.UTC).replace(tzinfo=None)},
        )


def find(con: duckdb.DuckDBPyConnection, dataset: str,
         columns: list[str]) -> tuple[str, Mapping] | None:
    """The newest saved mapping for files of ``dataset`` with exactly these headers."""
    rows = con.cursor().execute(
        "SELECT name, mapping_json FROM mappings WHERE dataset = $d AND header_signature = $s "
        "ORDER BY saved_at DESC LIMIT 1",
        {"d": dataset, "s": header_signature(columns)},
    ).fetchall()
    return (rows[0][0], Mapping.from_json(rows[0][1])) if rows else None


def names(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    """Names of the saved mappings of a dataset."""
    rows = con.cursor().execute(
        "SELECT DISTINCT name FROM mappings WHERE dataset = $d ORDER BY 1", {"d": dataset}
    ).fetchall()
    return [r[0] for r in rows]


def load(con: duckdb.DuckDBPyConnection, name: str, dataset: str) -> Mapping | None:
    """A saved mapping by name."""
    rows = con.cursor().execute(
        "SELECT mapping_json FROM mappings WHERE name = $n AND dataset = $d "
        "ORDER BY saved_at DESC LIMIT 1", {"n": name, "d": dataset},
    ).fetchall()
    return Mapping.from_json(rows[0][0]) if rows else None
