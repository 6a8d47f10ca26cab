"""The simulated companies the harness measures on (analytics.demo.simulate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.demo.simulate import Company, Plant, cross_unit_sd, simulate
from analytics.settings import LEGS

COLUMNS = {"esat": "esat_index", "csat": "csat_pct", "profit": "gross_margin_pct"}


def test_same_seed_same_company_other_seed_other_company():
    company = Company(n_units=10, n_months=6)
    a, b, c = simulate(company, 3), simulate(company, 3), simulate(company, 4)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not a.panel["esat_index"].equals(c.panel["esat_index"])
    assert len(a.panel) == 60 and a.panel["unit_id"].nunique() == 10


def test_response_counts_stay_in_a_realistic_range():
    panel = simulate(Company(n_units=40, n_months=12), 1).panel
    usual = panel.groupby("unit_id")[["n_employee", "n_customer"]].mean()
    assert usual["n_employee"].between(3, 90).all()
    assert usual["n_customer"].between(15, 420).all()
    assert (panel["csat_sat_n"] <= panel["n_customer"]).all()
    np.testing.assert_allclose(panel["csat_pct"], panel["csat_sat_n"] / panel["n_customer"] * 100)


@pytest.mark.parametrize("leg", LEGS)
def test_cross_unit_sd_is_close_to_the_empirical_sd(leg):
    company = Company(n_units=300, n_months=6)
    sim = simulate(company, 7)
    empirical = sim.panel.groupby("period")[COLUMNS[leg]].std().mean()
    assert empirical == pytest.approx(cross_unit_sd(company)[leg], rel=0.1)
    assert sim.sd == cross_unit_sd(company)


def test_a_planted_drop_is_where_and_when_the_truth_says():
    company = Company(n_units=20, n_months=12, plants=(Plant("drop", "csat", 2.0, start=6,
                                                              share=0.25),))
    null, sim = simulate(company.with_(plants=()), 5), simulate(company, 5)
    planted = sim.truth[sim.truth["planted"] != ""]
    assert planted["unit_id"].nunique() == 5
    assert (planted["planted"] == "drop:csat").all() and (planted["plant_start"] == 6).all()
    # against the same draw without the plant (the plant uses the rng after the months)
    shift = sim.truth["true_csat"] - null.truth["true_csat"]
    in_unit = sim.truth["planted"] != ""
    after = sim.truth["month"] >= 6
    np.testing.assert_allclose(shift[in_unit & after], -2.0 * sim.sd["csat"], atol=1e-9)
    assert np.allclose(shift[~(in_unit & after)], 0.0)
    assert np.allclose(sim.truth["true_esat"], null.truth["true_esat"])


def test_a_planted_divergence_ramps_over_its_months():
    plant = Plant("divergence", "esat", 1.5, start=4, months=3, direction=1, share=0.2)
    company = Company(n_units=20, n_months=10, plants=(plant,))
    null, sim = simulate(company.with_(plants=()), 2), simulate(company, 2)
    unit = sim.truth.loc[sim.truth["planted"] != "", "unit_id"].iloc[0]
    rows = sim.truth["unit_id"] == unit
    esat = (sim.truth["true_esat"] - null.truth["true_esat"])[rows].to_numpy()
    csat = (sim.truth["true_csat"] - null.truth["true_csat"])[rows].to_numpy()
    np.testing.assert_allclose(esat[[3, 4, 5, 6, 9]] / sim.sd["esat"],
                               [0, 0.5, 1.0, 1.5, 1.5], atol=1e-9)
    np.testing.assert_allclose(csat[6] / sim.sd["csat"], -1.5, atol=1e-9)
    assert sim.truth.loc[rows, "plant_end"].iloc[0] == 6
