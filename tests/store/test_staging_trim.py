"""Cells are trimmed of spaces, tabs and no-break spaces at their ends only, and a cell of
nothing but those is empty (NULL): in the text read and in the one-pass typed read."""

from __future__ import annotations

import duckdb
import pytest

from analytics.store import staging

CELLS = {
    "plain": "plain", " lead": "lead", "trail ": "trail", "\tboth\t": "both",
    "\u00a0nbsp\u00a0": "nbsp", "in\tside": "in\tside", "in side": "in side",
    "x\u00a0": "x", "\u00a0\t ": None, "": None, " \t\u00a0mixed \u00a0\t": "mixed",
    "é ": "é", " 日本": "日本",
}


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "cells.csv"
    rows = ["a,b"] + [f'"{k}",{i}' for i, k in enumerate(CELLS)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_text_read_trims_ends_only(csv_file):
    cur = duckdb.connect()
    staging.load_raw(cur, str(csv_file), ",", ["a", "b"])
    got = dict(cur.execute("SELECT b, a FROM _raw ORDER BY _row").fetchall())
    assert [got[str(i)] for i in range(len(CELLS))] == list(CELLS.values())


def test_one_pass_read_trims_the_same(csv_file):
    cur = duckdb.connect()
    file = staging.RawFile(str(csv_file), ",", ("a", "b"))
    n = file.read_typed(
        cur, lambda cells: f"CREATE TEMP TABLE _fused AS SELECT a AS src__a, b AS src__b, "
                           f"_blank_rest FROM {cells}", {}, {"src__a": "a", "src__b": "b"})
    assert n == len(CELLS)
    got = dict(cur.execute('SELECT b, a FROM _raw ORDER BY _row').fetchall())
    assert [got[str(i)] for i in range(len(CELLS))] == list(CELLS.values())
