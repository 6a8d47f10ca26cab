"""Confidentiality vocabulary of metrics.md §7: the floor, the label, the units a filter leaves.

The suppression itself (the published table set and its audit) is tested in
tests/unit/test_tables.py and tests/security/test_linear_attack.py."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.access.privacy import check_min_group_size, effective_units, suppressed_label


@pytest.mark.parametrize(("value", "expected"), [(3, 3), (5, 5), (10, 10), (5.0, 5)])
def test_check_min_group_size_accepts(value, expected):
    assert check_min_group_size(value) == expected


@pytest.mark.parametrize("value", [2, 0, -1, 2.9, 4.5, True])
def test_check_min_group_size_rejects(value):
    with pytest.raises(ValueError):
        check_min_group_size(value)


@pytest.mark.parametrize(
    ("min_n", "label"), [(5, "fewer than 5 responses"), (10, "fewer than 10 responses")]
)
def test_suppressed_label(min_n, label):
    assert suppressed_label(min_n) == label


def test_suppressed_label_refuses_a_floor_below_three():
    with pytest.raises(ValueError):
        suppressed_label(2)


def test_effective_units():
    units = pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "region": ["N", "N", "S"],
                          "division": ["A", "B", "A"]})
    assert effective_units(units) is None
    assert effective_units(units, regions=["N"]) == {"U1", "U2"}
    assert effective_units(units, regions=["N"], divisions=["A"]) == {"U1"}
    assert effective_units(units, unit_ids=["U3"], regions=["N"]) == frozenset()
