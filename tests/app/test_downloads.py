"""Downloads are made on demand and neutralise formula cells in both formats."""

from __future__ import annotations

import io

import pandas as pd

from ui.components import to_csv_bytes, to_xlsx_bytes

FRAME = pd.DataFrame({"unit_name": ["=HYPERLINK(\"x\")", "Leeds"], "margin": [-2.5, 30.0]})


def test_csv_is_neutralised_utf8_with_bom():
    data = to_csv_bytes(FRAME)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back.unit_name.tolist() == ["'=HYPERLINK(\"x\")", "Leeds"]
    assert back.margin.tolist() == [-2.5, 30.0]


def test_xlsx_is_neutralised_and_numbers_stay_numbers():
    back = pd.read_excel(io.BytesIO(to_xlsx_bytes(FRAME)), engine="openpyxl")
    assert back.unit_name.tolist() == ["'=HYPERLINK(\"x\")", "Leeds"]
    assert back.margin.tolist() == [-2.5, 30.0]
