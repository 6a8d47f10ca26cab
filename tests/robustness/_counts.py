"""Counts the robustness tests record as they pass, for tools/security_table.py.

Each test calls :func:`record` after its assertions, so a count exists only for a run
that passed. When the environment variable ``STOOL_COUNTS_FILE`` names a file (the
table script sets it), ``conftest.py`` merges the counts into it at the end of the
session; an ordinary ``make test`` writes nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

COUNTS_FILE = Path(__file__).with_name("counts.json")
_SEEN: dict[str, int] = {}


def record(key: str, n: int) -> None:
    """Add ``n`` to the count ``key`` of this run."""
    _SEEN[key] = _SEEN.get(key, 0) + int(n)


def flush() -> None:
    """Merge this run's counts into $STOOL_COUNTS_FILE (other keys are kept)."""
    target = os.environ.get("STOOL_COUNTS_FILE")
    if not target or not _SEEN:
        _SEEN.clear()
        return
    path = Path(target)
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(_SEEN)
    path.write_text(json.dumps(dict(sorted(old.items())), indent=2) + "\n")
    _SEEN.clear()
