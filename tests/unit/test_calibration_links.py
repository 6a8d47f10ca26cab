"""The links keep their promises on a small seeded harness (bench/calibration_links.py).

Null companies (nothing planted) must rarely show a link; with a chain planted, the noise-
corrected interval must cover the planted coefficient where the plain regression's does
not. 20 units x 36 months, phi 0.3: the dashboard's smallest accepted company.
"""

from __future__ import annotations

import pytest

from bench.calibration_links import bench_settings, null_rates, planted_rates

SETTINGS = bench_settings(chain_permutations=99, chain_bootstrap=499)


@pytest.fixture(scope="module")
def null():
    return null_rates(20, 0.3, reps=30, seed=101, settings=SETTINGS)


@pytest.fixture(scope="module")
def planted():
    return planted_rates(20, 0.3, reps=20, seed=202, settings=SETTINGS)


def test_chain_links_rarely_significant_without_a_link(null):
    # 5% nominal; 60 link tests, so 10% leaves room for chance, not for a 20% bias
    assert (null["esat_to_csat"] + null["csat_to_profit"]) / 2 <= 0.10


def test_grid_multiplicity_keeps_false_links_rare(null):
    assert null["grid_per_test"] <= 0.02
    assert null["grid_familywise"] <= 0.15
    # what the adjustment protects against: unadjusted, most companies show a link
    assert null["grid_familywise_raw"] >= 0.3


def test_corrected_interval_covers_the_planted_coefficient(planted):
    for link in ("esat_to_csat", "csat_to_profit"):
        assert planted[f"{link}_coverage"] >= 0.85, link
        assert planted[f"{link}_coverage_raw"] <= 0.2, link  # attenuated by survey noise


def test_planted_chain_is_found_at_its_lags(planted):
    assert planted["esat_to_csat_power"] >= 0.7 and planted["esat_to_csat_lag"] >= 0.7
    assert planted["csat_to_profit_power"] >= 0.9 and planted["csat_to_profit_lag"] >= 0.9
