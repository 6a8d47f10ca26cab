"""Schema migrations: a database made by an earlier version opens without loss."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from analytics.store import connect, responses
from analytics.store.schema import MIGRATIONS, SCHEMA_VERSION, current_version

P = "2026-09"
# batch, row, unit, csat; items (courtesy, speed) on 1-5, speed skipped on row 3
RESPONSES = [(1, 1, "U1", 5.0), (1, 2, "U1", 3.0), (1, 3, "U2", 1.0), (2, 1, "U2", 4.0)]
ITEMS = [(1, 1, "courtesy", 5.0), (1, 1, "speed", 4.0), (1, 2, "courtesy", 3.0),
         (1, 2, "speed", 2.0), (1, 3, "courtesy", 1.0), (2, 1, "courtesy", 2.0)]


def _v1_database(path, scale) -> None:
    """A file as version 1 left it: only MIGRATIONS[0], items in the long layout."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for statement in MIGRATIONS[0]:
        con.execute(statement)
    con.execute("INSERT INTO schema_version VALUES (1, now())")
    for batch, row, unit, csat in RESPONSES:
        con.execute(
            "INSERT INTO customer_responses (batch_id, row_no, unit_id, period, csat, "
            "csat_lo, csat_hi) VALUES (?, ?, ?, ?, ?, 1, 5)", [batch, row, unit, P, csat])
    units = {(b, r): u for b, r, u, _c in RESPONSES}
    for batch, row, item, value in ITEMS:
        lo, hi = scale(batch, row, item)
        con.execute("INSERT INTO customer_items VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [batch, row, units[batch, row], P, item, value, lo, hi])
    con.execute("INSERT INTO employee_items VALUES (7, 1, 'U1', ?, 'tools', 3, 1, 5)", [P])
    con.close()


def test_v1_items_survive_the_narrow_layout(tmp_path):
    path = tmp_path / "v1.duckdb"
    _v1_database(path, lambda b, _row, _item: (0.0, 10.0) if b == 2 else (1.0, 5.0))
    con = connect(path)
    try:
        assert current_version(con) == SCHEMA_VERSION == 3
        items = con.execute("SELECT batch_id, row_no, item, value FROM customer_items "
                            "ORDER BY ALL").fetchall()
        assert items == sorted(ITEMS)
        scales = con.execute("SELECT * FROM customer_item_scales ORDER BY ALL").fetchall()
        assert scales == [(1, "courtesy", 1.0, 5.0), (1, "speed", 1.0, 5.0),
                          (2, "courtesy", 0.0, 10.0)]
        assert con.execute("SELECT * FROM employee_items").fetchall() == [(7, 1, "tools", 3.0)]
        assert con.execute("SELECT * FROM employee_item_scales").fetchall() == [
            (7, "tools", 1.0, 5.0)]
        # unit and month now come from the response: the reads give what v1 stored
        means = responses.item_means(con, "customer", by=("unit_id",))
        got = {(r.unit_id, r.item): (r.n, r.mean) for r in means.itertuples()}
        assert got == {
            ("U1", "courtesy"): (2, pytest.approx((100 + 50) / 2)),
            ("U1", "speed"): (2, pytest.approx((75 + 25) / 2)),
            ("U2", "courtesy"): (2, pytest.approx((0 + 20) / 2)),
        }
        # 3: replaced rows wait beside each table, with the batch that replaced them
        for table in ("customer_responses", "customer_items", "employee_responses",
                      "employee_items", "financials", "batch_scope"):
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            kept = [r[0] for r in con.execute(f"DESCRIBE {table}_replaced").fetchall()]
            assert kept == [*cols, "replaced_by"], table
            assert con.execute(f"SELECT count(*) FROM {table}_replaced").fetchall() == [(0,)]
    finally:
        con.close()
    con = connect(path)  # a second open changes nothing
    try:
        assert current_version(con) == 3
        assert con.execute("SELECT count(*) FROM customer_items").fetchall()[0][0] == len(ITEMS)
    finally:
        con.close()


def test_migration_refuses_an_item_with_two_scales_and_keeps_the_file(tmp_path):
    path = tmp_path / "v1.duckdb"
    # row 2 of batch 1 answered speed on 0-10, row 1 on 1-5: one column cannot hold both
    _v1_database(path, lambda b, row, item: (0.0, 10.0) if (b, row, item) == (1, 2, "speed")
                 else (1.0, 5.0))
    with pytest.raises(duckdb.Error, match="two scales"):
        connect(path)
    con = duckdb.connect(str(path))
    try:
        assert con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] == 1
        cols = [r[0] for r in con.execute("DESCRIBE customer_items").fetchall()]
        assert cols[-2:] == ["lo", "hi"]
        assert con.execute("SELECT count(*) FROM customer_items").fetchall()[0][0] == len(ITEMS)
    finally:
        con.close()


def test_frames_with_two_scales_for_one_item_are_refused(tiny_duck):
    from analytics.store.load import BatchMeta, write_batch

    rows = pd.DataFrame({"row_no": [1, 2], "unit_id": "U1", "period": P, "csat": [4.0, 5.0],
                         "csat_lo": 1.0, "csat_hi": 5.0})
    items = pd.DataFrame({"row_no": [1, 2], "item": "speed", "value": [4.0, 8.0],
                          "lo": [1.0, 0.0], "hi": [5.0, 10.0]})
    with pytest.raises(ValueError, match="more than one scale"):
        write_batch(tiny_duck, BatchMeta("customer", "c.csv", "h"), rows, items)
    assert tiny_duck.execute("SELECT count(*) FROM customer_responses").fetchall()[0][0] == 0
