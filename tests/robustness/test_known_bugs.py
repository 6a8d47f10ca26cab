"""Minimal reproducers of the open loader bugs the fuzzing found (see _loader.KNOWN_BUGS).

None is open: the six found so far are fixed, and their reproducers are regression
tests in test_fixed_bugs.py. For a new bug, add its file to ``CASES`` (name: dataset,
bytes), its pattern to ``KNOWN_BUGS``, and a strict xfail test that runs
``test_fixed_bugs.outcome`` on it with ``KNOWN_BUGS`` emptied (a fix makes it pass; the
mark, the case and the pattern then go, and the case joins test_fixed_bugs.py).
tools/security_table.py counts ``CASES`` as open-bug reproducers.
"""

from __future__ import annotations

from tests.robustness._loader import KNOWN_BUGS

CASES = {}


def test_every_known_bug_has_a_reproducer():
    assert set(CASES) == set(KNOWN_BUGS)
