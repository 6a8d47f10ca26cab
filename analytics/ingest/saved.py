"""Saved mappings as the importer uses them: by a file's headers, as ``Mapping`` objects."""

from __future__ import annotations

from typing import Any

from analytics.ingest.mapping import Mapping, header_signature
from analytics.store import mappings as stored


def save(con: Any, name: str, dataset: str, columns: list[str], mapping: Mapping) -> None:
    """Save (or overwrite) a named mapping for files with these headers."""
    stored.save(con, name, dataset, header_signature(columns), mapping.to_json())


def find(con: Any, dataset: str, columns: list[str]) -> tuple[str, Mapping] | None:
    """The newest saved mapping for files of ``dataset`` with exactly these headers."""
    found = stored.find(con, dataset, header_signature(columns))
    return None if found is None else (found[0], Mapping.from_json(found[1]))


def names(con: Any, dataset: str) -> list[str]:
    """Names of the saved mappings of a dataset."""
    return stored.names(con, dataset)


def load(con: Any, name: str, dataset: str) -> Mapping | None:
    """A saved mapping by name."""
    text = stored.load(con, name, dataset)
    return None if text is None else Mapping.from_json(text)
