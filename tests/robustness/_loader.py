"""The property every robustness test asks of the loader, and a seeded test database.

The loader may answer a file in exactly two ways: an ``IngestError`` with a message for
a person, or a ``Result`` (loaded, unchanged, rejected) whose errors each say why and,
for a row-level problem, on which row and in which column. Anything else (a DuckDB,
pandas, Unicode or Python error escaping) is a crash. A file that is not loaded leaves
the database content exactly as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

from analytics.ingest import pipeline
from analytics.ingest.pipeline import IngestError, ingest_file
from analytics.store import connect, queries

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
DATASETS = ("units", "employee", "customer", "financials")
# what a message for a person must not look like
_TECHNICAL = ("Traceback", "  File \"", " Error: ", "Exception", "duckdb", "<class ")

#: Loader bugs the fuzzing found, each with an xfail(strict) reproducer in
#: test_known_bugs.py. While one is open, the fuzz tests count its cases instead of
#: failing on them; when it is fixed, delete its line here and the xfail there.
KNOWN_BUGS: dict[str, re.Pattern] = {
    # none open: the six found so far are fixed, with their reproducers kept as
    # regression tests in test_fixed_bugs.py
}


def seeded_db(path: Path):
    """A database file at ``path`` holding the four sample files (one batch each)."""
    con = connect(path)
    for kind in DATASETS:
        result, _ = ingest_file(con, SAMPLES / f"{kind}.csv", kind)
        assert result.status == "loaded", result.errors
    return con


def human(message: str) -> bool:
    """A non-empty message without a traceback or an exception's class name in it."""
    text = (message or "").strip()
    return bool(text) and not any(t in text for t in _TECHNICAL)


class Unclear(AssertionError):
    """The loader answered, but not in words a person can act on."""


def _check_result(result: pipeline.Result, where: str) -> None:
    assert result.status in ("loaded", "unchanged", "rejected"), result.status
    if result.status == "rejected":
        assert result.errors, f"{where}: rejected without a reason"
    for e in result.errors:
        if not human(e["reason"]):
            raise Unclear(f"unclear: {e['reason']}")
        if e["row"] is not None:  # a row-level problem names its row and column
            assert isinstance(e["row"], int) and e["row"] >= 1, f"{where}: {e}"
            assert isinstance(e["column"], str) and e["column"], f"{where}: {e}"


def attempt(con, path: Path, dataset: str, *, full: bool = True) -> str:
    """Stage ``path`` and, when ``full``, check and commit it; return the status.

    Returns 'loaded', 'unchanged', 'rejected', 'error' (an IngestError with a clear
    message), 'staged' (``full=False``: read, staged and mapped without complaint) or
    ``known:<bug>`` for a case of an open bug in KNOWN_BUGS. Raises Unclear or
    AssertionError when the answer breaks the property; any other exception is a crash.
    """
    try:
        try:
            staged = pipeline.stage(con, path, dataset)
        except IngestError as exc:
            if not human(str(exc)):
                raise Unclear(f"unclear: {exc}") from exc
            return "error"
        try:
            if not full:
                return "staged"
            report = pipeline.check(staged)
            result = pipeline.commit(staged, report)
        except IngestError as exc:
            if not human(str(exc)):
                raise Unclear(f"unclear: {exc}") from exc
            return "error"
        finally:
            staged.close()
        _check_result(result, f"{path.name} ({dataset})")
        return result.status
    except Exception as exc:  # noqa: BLE001 - sorting crashes into known and new ones
        text = str(exc) if isinstance(exc, Unclear) else f"{type(exc).__name__}: {exc}"
        for name, pattern in KNOWN_BUGS.items():
            if pattern.search(text):
                return f"known:{name}"
        raise


def unchanged(con, before: dict, where: str) -> None:
    """Assert the database content digest is still ``before``."""
    assert queries.content_digest(con) == before, \
        f"{where}: a file that was not loaded changed the database"
