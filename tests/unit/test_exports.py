"""CSV/XLSX downloads neutralise cells a spreadsheet would run as a formula."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.read.exports import neutralise_formulas


@pytest.mark.parametrize(("cell", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tTAB", "'\tTAB"),
    ("Friendly staff", "Friendly staff"),
    ("", ""),
])
def test_text_cells(cell, expected):
    assert neutralise_formulas(pd.DataFrame({"c": [cell]}))["c"].iloc[0] == expected


def test_numbers_stay_numbers_and_input_is_unchanged():
    frame = pd.DataFrame({"margin": [-3.5, 2.0], "name": ["=evil", "ok"]})
    out = neutralise_formulas(frame)
    assert out["margin"].tolist() == [-3.5, 2.0]
    assert frame["name"].iloc[0] == "=evil"


def test_column_names_too():
    assert list(neutralise_formulas(pd.DataFrame({"=x": [1]})).columns) == ["'=x"]
