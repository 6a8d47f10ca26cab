"""Balance of the stool: legs, z-scores, imbalance and the company score, on hand-computed data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.balance import balance, company_balance, legs_frame, month_number
from analytics.settings import DEFAULT, Settings


def _panel(**overrides) -> pd.DataFrame:
    base = {
        "unit_id": ["U2", "U1"],
        "unit_name": ["York", "Leeds"],
        "region": ["North", "North"],
        "period": ["2024-01", "2024-01"],
        "esat_index": [70.0, 60.0],
        "csat_pct": [80.0, 90.0],
        "gross_margin_pct": [30.0, 25.0],
        "operating_margin_pct": [10.0, 5.0],
        "n_employee": [12, 4],
        "n_customer": [60, 80],
        "revenue": [1000.0, 2000.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_legs_frame_picks_the_legs_and_sorts():
    legs = legs_frame(_panel())
    assert legs.columns.tolist() == [
        "unit_id", "period", "esat", "csat", "profit", "n_employee", "n_customer",
        "unit_name", "revenue",
    ]
    assert legs["unit_id"].tolist() == ["U1", "U2"]
    assert legs["csat"].tolist() == [90.0, 80.0]
    assert legs["profit"].tolist() == [25.0, 30.0]


def test_legs_frame_hides_esat_of_small_groups():
    # U1 has 4 employee responses, below min_group_size = 5 (metrics.md §7)
    legs = legs_frame(_panel())
    assert math.isnan(legs.loc[legs["unit_id"] == "U1", "esat"].iloc[0])
    assert legs.loc[legs["unit_id"] == "U2", "esat"].iloc[0] == 70.0


def test_legs_frame_profit_follows_settings():
    legs = legs_frame(_panel(), Settings(profit_metric="operating_margin_pct"))
    assert legs["profit"].tolist() == [5.0, 10.0]


def test_legs_frame_without_optional_columns():
    legs = legs_frame(_panel().drop(columns=["unit_name", "revenue"]))
    assert "revenue" not in legs.columns and "unit_name" not in legs.columns


def test_legs_frame_missing_leg_column_raises():
    with pytest.raises(KeyError, match="csat_pct"):
        legs_frame(_panel().drop(columns=["csat_pct"]))


@pytest.mark.parametrize(
    ("periods", "expected"),
    [
        (["2024-01", "2024-02"], [24288, 24289]),
        (["2023-12", "2024-01"], [24287, 24288]),
        (["2024-03", "2025-03"], [24290, 24302]),
    ],
)
def test_month_number_counts_calendar_months(periods, expected):
    assert month_number(pd.Series(periods)).tolist() == expected


def _legs(rows):
    return pd.DataFrame(rows, columns=["unit_id", "period", "esat", "csat", "profit"])


# Period 2024-01 by hand: esat 60/70/80 -> mean 70, sd 10; csat 80/70/60 -> mean 70, sd 10;
# profit 30/30/36 -> mean 32, sd sqrt((4 + 4 + 16) / 2) = sqrt(12) (ddof=1).
HAND = _legs(
    [
        ("A", "2024-01", 60.0, 80.0, 30.0),
        ("B", "2024-01", 70.0, 70.0, 30.0),
        ("C", "2024-01", 80.0, 60.0, 36.0),
    ]
)
S12 = math.sqrt(12)


@pytest.mark.parametrize(
    ("unit", "z", "imbalance", "weakest"),
    [
        ("A", (-1.0, 1.0, -2 / S12), 2.0, "esat"),
        ("B", (0.0, 0.0, -2 / S12), 2 / S12, "profit"),
        ("C", (1.0, -1.0, 4 / S12), 1.0 + 4 / S12, "csat"),
    ],
)
def test_balance_hand_computed(unit, z, imbalance, weakest):
    row = balance(HAND).set_index("unit_id").loc[unit]
    assert (row["z_esat"], row["z_csat"], row["z_profit"]) == pytest.approx(z)
    assert row["imbalance"] == pytest.approx(imbalance)
    assert row["weakest_leg"] == weakest


def test_balance_uses_sample_sd():
    # with ddof=0 the sd of 60/70/80 would be 8.165 and z(A) = -1.2247
    row = balance(HAND).set_index("unit_id").loc["A"]
    assert row["z_esat"] == pytest.approx(-1.0)


def test_balance_standardises_each_period_on_its_own():
    later = HAND.assign(period="2024-02", esat=HAND["esat"] * 2)
    out = balance(pd.concat([HAND, later])).set_index(["period", "unit_id"])
    assert out.loc[("2024-02", "A"), "z_esat"] == pytest.approx(-1.0)
    assert out.loc[("2024-02", "C"), "z_profit"] == pytest.approx(4 / S12)


def test_incomplete_unit_gets_its_known_z_but_no_imbalance():
    legs = pd.concat([HAND, _legs([("D", "2024-01", np.nan, 75.0, 32.0)])])
    out = balance(legs).set_index("unit_id")
    # the reference is still A, B, C: csat mean 70, sd 10
    assert out.loc["D", "z_csat"] == pytest.approx(0.5)
    assert math.isnan(out.loc["D", "z_esat"])
    assert math.isnan(out.loc["D", "imbalance"])
    assert out.loc["D", "weakest_leg"] is None
    assert out.loc["A", "z_esat"] == pytest.approx(-1.0)


def test_fewer_than_three_complete_units_give_no_z():
    legs = pd.concat([HAND.iloc[:2], _legs([("D", "2024-01", np.nan, 75.0, 32.0)])])
    out = balance(legs)
    assert out[["z_esat", "z_csat", "z_profit", "imbalance"]].isna().all().all()
    assert out["weakest_leg"].isna().all()


def test_leg_without_spread_gives_no_z():
    legs = HAND.assign(profit=30.0)
    out = balance(legs)
    assert out["z_profit"].isna().all()
    assert out["imbalance"].isna().all()
    assert out["z_esat"].tolist() == pytest.approx([-1.0, 0.0, 1.0])


def test_tie_on_lowest_z_names_the_first_leg():
    legs = _legs(
        [
            ("A", "2024-01", 60.0, 60.0, 40.0),
            ("B", "2024-01", 70.0, 70.0, 30.0),
            ("C", "2024-01", 80.0, 80.0, 20.0),
        ]
    )
    assert balance(legs).set_index("unit_id").loc["A", "weakest_leg"] == "esat"


def test_company_balance_hand_computed():
    df = pd.DataFrame(
        {
            "period": ["2024-01"] * 4 + ["2024-02"] * 2 + ["2024-03"],
            "imbalance": [1.0, 3.0, 2.0, np.nan, 0.5, 2.5, np.nan],
        }
    )
    out = company_balance(df).set_index("period")
    assert out.columns.tolist() == [
        "mean_imbalance", "median_imbalance", "share_imbalanced", "n_units"
    ]
    assert out.loc["2024-01"].tolist() == pytest.approx([2.0, 2.0, 2 / 3, 3])
    assert out.loc["2024-02"].tolist() == pytest.approx([1.5, 1.5, 0.5, 2])
    assert out.loc["2024-03", "n_units"] == 0
    assert math.isnan(out.loc["2024-03", "share_imbalanced"])


@pytest.mark.parametrize(("threshold", "share"), [(2.0, 2 / 3), (2.5, 1 / 3), (3.5, 0.0)])
def test_company_balance_threshold_from_settings(threshold, share):
    df = pd.DataFrame({"period": ["2024-01"] * 3, "imbalance": [1.0, 3.0, 2.0]})
    out = company_balance(df, Settings(imbalance_threshold=threshold))
    assert out["share_imbalanced"].iloc[0] == pytest.approx(share)


def test_balance_does_not_change_its_input():
    before = HAND.copy()
    balance(HAND)
    company_balance(balance(HAND), DEFAULT)
    pd.testing.assert_frame_equal(HAND, before)
