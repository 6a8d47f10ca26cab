"""Rolling back a corrected file puts back the rows it replaced (metrics.md §6: a batch can
be rolled back; a replace is atomic). The replaced rows wait in ``*_replaced`` tables
marked with the batch that replaced them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analytics.ingest.mapping import Mapping
from analytics.ingest.pipeline import ingest_file
from analytics.store import queries
from analytics.store.load import rollback_batch

DATA = ("customer_responses", "customer_items", "customer_item_scales", "unit_month")
MAPPING = Mapping(columns={"unit_id": "unit_id", "response_date": "response_date",
                           "response_id": "response_id", "csat": "csat",
                           "speed": "item:speed"})


def _load(con, tmp_path: Path, name: str, units: dict[str, int], seed: int) -> int:
    """A customer file of September with ``n`` responses per unit; its batch id."""
    rng = np.random.default_rng(seed)
    frames = [pd.DataFrame({
        "unit_id": unit, "response_date": "2026-09-15",
        "response_id": [f"{name}-{unit}-{i}" for i in range(n)],
        "csat": rng.integers(1, 6, n), "speed": rng.integers(1, 6, n),
    }) for unit, n in units.items()]
    path = tmp_path / f"{name}.csv"
    pd.concat(frames).to_csv(path, index=False)
    result, _ = ingest_file(con, path, "customer", MAPPING)
    assert result.status == "loaded", result.errors
    return result.batch_id


def _data(con) -> dict[str, str]:
    digest = queries.content_digest(con)
    return {t: digest[t] for t in DATA}


def _counts(con) -> dict[str, int]:
    return queries.panel(con).set_index("unit_id").n_customer.to_dict()


def _status(con) -> dict[int, tuple[str, object]]:
    batches = queries.batches(con).set_index("batch_id")
    return {int(b): (r.status, None if pd.isna(r.replaced_by) else int(r.replaced_by))
            for b, r in batches.iterrows()}


def _waiting(con) -> int:
    return sum(con.execute(f"SELECT count(*) FROM {t}_replaced").fetchall()[0][0]
               for t in ("customer_responses", "customer_items", "batch_scope"))


def test_rollback_of_a_whole_replacement_restores_the_earlier_batch(tiny_duck, tmp_path):
    a = _load(tiny_duck, tmp_path, "a", {"U01": 20, "U02": 10}, seed=1)
    before = _data(tiny_duck)
    b = _load(tiny_duck, tmp_path, "b", {"U01": 7, "U02": 8}, seed=2)
    assert _status(tiny_duck)[a] == ("replaced", b)
    assert _counts(tiny_duck) == {"U01": 7, "U02": 8}
    assert rollback_batch(tiny_duck, b)
    assert _counts(tiny_duck) == {"U01": 20, "U02": 10}
    assert _data(tiny_duck) == before
    assert _status(tiny_duck)[a] == ("loaded", None)
    assert _waiting(tiny_duck) == 0


def test_rollback_of_a_partial_replacement_restores_only_its_unit_months(tiny_duck, tmp_path):
    a = _load(tiny_duck, tmp_path, "a", {"U01": 20, "U02": 10}, seed=1)
    before = _data(tiny_duck)
    b = _load(tiny_duck, tmp_path, "b", {"U02": 4}, seed=2)
    assert _counts(tiny_duck) == {"U01": 20, "U02": 4}
    assert _status(tiny_duck)[a] == ("loaded", b)
    assert rollback_batch(tiny_duck, b)
    assert _data(tiny_duck) == before
    assert _status(tiny_duck)[a] == ("loaded", None)
    assert "restored by the rollback of #" in queries.batches(tiny_duck).set_index(
        "batch_id").note[a]


def test_a_chain_of_corrections_unwinds_in_any_order(tiny_duck, tmp_path):
    a = _load(tiny_duck, tmp_path, "a", {"U01": 20, "U02": 10}, seed=1)
    before = _data(tiny_duck)
    b = _load(tiny_duck, tmp_path, "b", {"U01": 5, "U02": 6}, seed=2)  # replaces a whole
    c = _load(tiny_duck, tmp_path, "c", {"U02": 3}, seed=3)  # replaces b's U02
    assert _counts(tiny_duck) == {"U01": 5, "U02": 3}
    # b goes: a's U01 comes back; a's U02 stays replaced, now by c, which covers it
    assert rollback_batch(tiny_duck, b)
    assert _counts(tiny_duck) == {"U01": 20, "U02": 3}
    assert _status(tiny_duck)[a] == ("loaded", c)
    # c goes: a's U02 comes back, and b's rows (rolled back) never do
    assert rollback_batch(tiny_duck, c)
    assert _counts(tiny_duck) == {"U01": 20, "U02": 10}
    assert _data(tiny_duck) == before
    assert _waiting(tiny_duck) == 0


def test_rows_of_a_rolled_back_batch_are_never_restored(tiny_duck, tmp_path):
    a = _load(tiny_duck, tmp_path, "a", {"U01": 20, "U02": 10}, seed=1)
    b = _load(tiny_duck, tmp_path, "b", {"U02": 4}, seed=2)  # a keeps U01
    assert rollback_batch(tiny_duck, a)  # a's U01 goes, and its replaced U02 with it
    assert _counts(tiny_duck) == {"U02": 4}
    assert rollback_batch(tiny_duck, b)
    assert queries.panel(tiny_duck).n_customer.fillna(0).sum() == 0
    assert _status(tiny_duck)[a][0] == "rolled_back"
    assert _waiting(tiny_duck) == 0
