"""Saved column mappings, offered again when next month's file has the same headers.

The store keeps a mapping as its JSON text under the header signature it was saved for;
what a mapping means (``analytics.ingest.mapping.Mapping``) is the importer's business
(``analytics.ingest.saved``).
"""

from __future__ import annotations

import datetime as dt

import duckdb

from analytics.store.transactions import transaction


def save(con: duckdb.DuckDBPyConnection, name: str, dataset: str, signature: str,
         mapping_json: str) -> None:
    """Save (or overwrite) a named mapping for files whose headers have ``signature``."""
    with transaction(con) as cur:
        cur.execute("DELETE FROM mappings WHERE name = $n AND dataset = $d",
                    {"n": name, "d": dataset})
        cur.execute(
            "INSERT INTO mappings VALUES ($n, $d, $s, $j, $t)",
            {"n": name, "d": dataset, "s": signature, "j": mapping_json,
             "t": dt.datetime.now(dt.UTC).replace(tzinfo=None)},
        )


def find(con: duckdb.DuckDBPyConnection, dataset: str,
         signature: str) -> tuple[str, str] | None:
    """(name, JSON) of the newest saved mapping of ``dataset`` for these headers."""
    rows = con.cursor().execute(
        "SELECT name, mapping_json FROM mappings WHERE dataset = $d AND header_signature = $s "
        "ORDER BY saved_at DESC LIMIT 1",
        {"d": dataset, "s": signature},
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def names(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    """Names of the saved mappings of a dataset."""
    rows = con.cursor().execute(
        "SELECT DISTINCT name FROM mappings WHERE dataset = $d ORDER BY 1", {"d": dataset}
    ).fetchall()
    return [r[0] for r in rows]


def load(con: duckdb.DuckDBPyConnection, name: str, dataset: str) -> str | None:
    """The JSON of a saved mapping by name."""
    rows = con.cursor().execute(
        "SELECT mapping_json FROM mappings WHERE name = $n AND dataset = $d "
        "ORDER BY saved_at DESC LIMIT 1", {"n": name, "d": dataset},
    ).fetchall()
    return rows[0][0] if rows else None
