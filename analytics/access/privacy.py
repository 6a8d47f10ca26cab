"""Confidentiality of employee data (metrics.md §7): the thresholds and their words.

Which employee groups are published, and how they are protected together, is decided
in :mod:`analytics.access.tables` (the published table set and its audit) and applied
by :mod:`analytics.read.published`. This module holds the vocabulary: the floor of the
minimum group size, what a page shows in place of a hidden figure, and which units a
selection's org filters leave.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: metrics.md §7: a minimum group size is configurable but never below this.
MIN_GROUP_SIZE_FLOOR = 3


def check_min_group_size(value: int) -> int:
    """Return ``value`` as an int if it is a whole number of at least 3; else raise ValueError."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"a minimum group size must be a whole number, got {value!r}")
    if value < MIN_GROUP_SIZE_FLOOR:
        raise ValueError(
            f"a minimum group size of {value} is below the floor of {MIN_GROUP_SIZE_FLOOR} "
            "(metrics.md §7)"
        )
    return int(value)


def suppressed_label(min_n: int) -> str:
    """What a page shows in place of a suppressed figure, e.g. ``'fewer than 5 responses'``."""
    return f"fewer than {check_min_group_size(min_n)} responses"


def effective_units(units: pd.DataFrame, regions: Sequence[str] = (),
                    divisions: Sequence[str] = (), unit_ids: Sequence[str] = ()
                    ) -> frozenset[str] | None:
    """The units a selection's region, division and unit filters leave (None: no filter).

    ``units`` has ``unit_id``, ``region`` and ``division`` (``queries.units``).
    """
    if not (regions or divisions or unit_ids):
        return None
    keep = pd.Series(True, index=units.index)
    for col, values in (("region", regions), ("division", divisions),
                        ("unit_id", unit_ids)):
        if values:
            keep &= units[col].isin(list(values))
    return frozenset(units.loc[keep, "unit_id"].astype(str))
