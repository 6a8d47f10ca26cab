"""The employee cells kept per data version equal a fresh read, and a load, rollback or
settings change (each bumps the data version) makes the next read a fresh one."""

from __future__ import annotations

import duckdb
import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.access import privacy
from analytics.filters import Filters
from analytics.store import queries, responses
from analytics.store.load import rollback_batch


@pytest.fixture(autouse=True)
def _empty_memo():
    responses.clear_memo()
    yield
    responses.clear_memo()


def _fresh(con, f: Filters) -> pd.DataFrame:
    return responses._employee_groups(con, f, responses.CELL_KEYS)


def test_the_keys_are_the_privacy_layers_cells():
    assert responses.CELL_KEYS == privacy.CELL_KEYS


@pytest.mark.parametrize("window", [(None, None), ("2026-01", None), (None, "2026-03"),
                                    ("2026-02", "2026-02"), ("2030-01", "2030-12")])
def test_kept_cells_equal_a_fresh_read(demo_db, window):
    f = Filters(period_from=window[0], period_to=window[1])
    fresh = _fresh(demo_db, f)
    kept = responses.employee_groups(demo_db, f, privacy.CELL_KEYS)
    pdt.assert_frame_equal(kept, fresh)
    assert len(responses._MEMO) == 1  # it came from the memo
    if window != ("2030-01", "2030-12"):
        assert len(kept) > 0


def test_callers_get_copies(demo_db):
    first = responses.employee_groups(demo_db, Filters(), privacy.CELL_KEYS)
    first["n_responses"] = -1
    again = responses.employee_groups(demo_db, Filters(), privacy.CELL_KEYS)
    assert (again["n_responses"] > 0).all()


def test_other_selections_read_the_responses(demo_db):
    units = tuple(queries.units(demo_db)["unit_id"][:2])
    f = Filters(units=units)
    pdt.assert_frame_equal(responses.employee_groups(demo_db, f, privacy.CELL_KEYS),
                           _fresh(demo_db, f))
    assert responses._MEMO == {}


def test_a_rollback_is_seen(demo_db):
    before = responses.employee_groups(demo_db, Filters(), privacy.CELL_KEYS)
    batch = demo_db.execute("SELECT max(batch_id) FROM batches WHERE dataset = 'employee' "
                            "AND status = 'loaded'").fetchone()[0]
    assert rollback_batch(demo_db, batch)
    after = responses.employee_groups(demo_db, Filters(), privacy.CELL_KEYS)
    pdt.assert_frame_equal(after, _fresh(demo_db, Filters()))
    assert after["n_responses"].sum() < before["n_responses"].sum()


def test_a_settings_change_reads_again(demo_db):
    responses.employee_groups(demo_db, Filters(), privacy.CELL_KEYS)
    version = next(iter(responses._MEMO.values()))[0]
    queries.write_settings(demo_db, {"min_group_size": 7})
    responses.employee_groups(demo_db, Filters(), privacy.CELL_KEYS)
    assert next(iter(responses._MEMO.values()))[0] == str(int(version) + 1)


def test_a_load_is_seen(demo_db):
    f = Filters(period_from="2026-01")
    responses.employee_groups(demo_db, f, privacy.CELL_KEYS)
    # a new response written the way a load does: rows, then the version bump
    demo_db.execute("""INSERT INTO employee_responses (batch_id, row_no, unit_id, period,
                       department, esat, esat_lo, esat_hi) VALUES
                       (999, 1, 'U01', '2026-02', 'Zzz new', 5, 1, 5)""")
    kept = responses.employee_groups(demo_db, f, privacy.CELL_KEYS)
    assert "Zzz new" not in set(kept["department"])  # same version: the kept cells
    demo_db.execute("UPDATE meta SET value = (value::BIGINT + 1)::VARCHAR "
                    "WHERE key = 'data_version'")
    kept = responses.employee_groups(demo_db, f, privacy.CELL_KEYS)
    pdt.assert_frame_equal(kept, _fresh(demo_db, f))
    assert "Zzz new" in set(kept["department"])


def test_in_memory_databases_are_not_kept():
    from analytics.store.schema import migrate

    con = duckdb.connect(":memory:")
    migrate(con)
    out = responses.employee_groups(con, Filters(), privacy.CELL_KEYS)
    assert out.empty and responses._MEMO == {}
