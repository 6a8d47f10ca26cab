"""The calibration harness on a small configuration: bounded, asserted error rates.

The full tables (docs/alerts.md) come from ``python -m bench calibration``; here a few
seeded companies check that the defaults keep their promises (metrics.md §4), and that
the check can fail (a loose setting breaks the null bound).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from analytics.demo.simulate import Company
from analytics.settings import DEFAULT
from bench.calibration import false_alarm_rate, power, warm_up

SMALL = Company(n_units=30, n_months=20)


@pytest.fixture(scope="module")
def null_rates():
    return false_alarm_rate(SMALL, range(3), DEFAULT)


def test_null_rate_is_bounded(null_rates):
    assert null_rates["unit_months"] == 3 * 30 * (20 - warm_up(DEFAULT))
    assert null_rates["any"] <= 0.03
    for kind in ("imbalance", "divergence", "control"):
        assert null_rates[kind] <= null_rates["any"]


def test_a_loose_threshold_breaks_the_null_bound():
    loose = replace(DEFAULT, imbalance_alpha=0.2, control_alpha=0.2)
    assert false_alarm_rate(SMALL, range(1), loose)["any"] > 0.03


@pytest.mark.parametrize(("kind", "size", "floor"), [
    ("drop", 2.0, 0.75),
    ("drop", 3.0, 0.9),
    ("divergence", 1.5, 0.85),
])
def test_planted_effects_are_found_in_time(kind, size, floor):
    result = power(SMALL, kind, size, range(2), DEFAULT)
    assert result.units == 30
    assert result.detected >= floor
    assert result.median_delay <= (1 if kind == "drop" else 3)


def test_a_tiny_effect_is_mostly_missed():
    # the harness can report low power: a 0.3-sd drop is within the noise
    assert power(SMALL, "drop", 0.3, range(2), DEFAULT).detected < 0.5
