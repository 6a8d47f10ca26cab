"""Robustness suite: write the counts of passing tests to counts.json at the end."""

from __future__ import annotations

from tests.robustness import _counts


def pytest_sessionfinish(session, exitstatus):
    _counts.flush()
