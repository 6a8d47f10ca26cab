"""Timing helpers: medians of repeated runs, printed as ratios to a baseline."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeat: int = 3,
                setup: Callable[[], object] | None = None) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs (``setup`` untimed before each)."""
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(title: str, rows: list[tuple[str, float]], baseline: str) -> None:
    """Print medians and ratios against the named baseline row."""
    base = dict(rows)[baseline]
    print(f"\n{title}")
    print(f"{'':40} {'median s':>10} {'ratio':>8}")
    for name, t in rows:
        print(f"{name:40} {t:10.2f} {t / base:7.2f}x")
