"""Writing upload batches: one transaction per load, replace, rollback, summary refresh."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics.store.transactions import transaction
from analytics.store.validate import ID_COLUMN

DATASETS = ("units", "employee", "customer", "financials")

#: Canonical columns stored per dataset, in table order (metrics.md §2).
STORED_COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "unit_name", "region", "division", "manager_email", "headcount"),
    "employee": (
        "row_no", "unit_id", "period", "response_date", "respondent_id", "department",
        "role", "tenure_band", "esat", "esat_lo", "esat_hi", "enps", "comment",
    ),
    "customer": (
        "row_no", "unit_id", "period", "response_date", "response_id", "channel",
        "csat", "csat_lo", "csat_hi", "nps", "complaint", "resolved",
        "resolution_hours", "comment",
    ),
    "financials": (
        "unit_id", "period", "revenue", "cost_of_sales", "gross_profit",
        "operating_costs", "labour_cost", "headcount", "transactions",
        "target_margin_pct",
    ),
}
TABLES = {
    "units": "units",
    "employee": "employee_responses",
    "customer": "customer_responses",
    "financials": "financials",
}
ITEM_TABLES = {"employee": "employee_items", "customer": "customer_items"}
#: the scale (lo, hi) of each item per batch
ITEM_SCALES = {"employee": "employee_item_scales", "customer": "customer_item_scales"}

_SUMMARY_SQL = """
WITH k AS (SELECT DISTINCT unit_id, period FROM _touched),
e AS (
    SELECT unit_id, period,
        count(esat)::INTEGER AS n_employee,
        avg((esat - esat_lo) / (esat_hi - esat_lo) * 100) AS esat_index,
        stddev_samp((esat - esat_lo) / (esat_hi - esat_lo) * 100) AS esat_sd,
        (count(*) FILTER (WHERE esat >= esat_hi - 1))::INTEGER AS esat_sat_n,
        count(enps)::INTEGER AS n_enps,
        (count(*) FILTER (WHERE enps >= 9))::INTEGER AS enps_promoters,
        (count(*) FILTER (WHERE enps <= 6))::INTEGER AS enps_detractors
    FROM employee_responses SEMI JOIN k USING (unit_id, period)
    GROUP BY unit_id, period
),
c AS (
    SELECT unit_id, period,
        count(csat)::INTEGER AS n_customer,
        count(*)::INTEGER AS n_customer_responses,
        (count(*) FILTER (WHERE csat >= csat_hi - 1))::INTEGER AS csat_sat_n,
        avg((csat - csat_lo) / (csat_hi - csat_lo) * 100) AS csat_mean,
        stddev_samp((csat - csat_lo) / (csat_hi - csat_lo) * 100) AS csat_sd,
        count(nps)::INTEGER AS n_nps,
        (count(*) FILTER (WHERE nps >= 9))::INTEGER AS nps_promoters,
        (count(*) FILTER (WHERE nps <= 6))::INTEGER AS nps_detractors,
        (count(*) FILTER (WHERE complaint))::INTEGER AS n_complaints,
        median(resolution_hours) FILTER (WHERE complaint AND resolved)
            AS median_resolution_hours
    FROM customer_responses SEMI JOIN k USING (unit_id, period)
    GROUP BY unit_id, period
),
f AS (
    SELECT unit_id, period,
        sum(revenue) AS revenue, sum(cost_of_sales) AS cost_of_sales,
        sum(gross_profit) AS gross_profit, sum(operating_costs) AS operating_costs,
        sum(headcount) AS headcount
    FROM financials SEMI JOIN k USING (unit_id, period)
    GROUP BY unit_id, period
),
u AS (SELECT unit_id, headcount FROM units_current)
SELECT k.unit_id, k.period,
    e.n_employee, e.esat_index, e.esat_sd, e.esat_sat_n,
    e.esat_sat_n * 100.0 / nullif(e.n_employee, 0) AS esat_pct_satisfied,
    e.n_enps, e.enps_promoters, e.enps_detractors,
    (e.enps_promoters - e.enps_detractors) * 100.0 / nullif(e.n_enps, 0) AS enps,
    c.n_customer, c.csat_sat_n * 100.0 / nullif(c.n_customer, 0) AS csat_pct,
    c.csat_sat_n, c.csat_mean, c.csat_sd,
    c.n_nps, c.nps_promoters, c.nps_detractors,
    (c.nps_promoters - c.nps_detractors) * 100.0 / nullif(c.n_nps, 0) AS nps,
    c.n_complaints, c.n_complaints * 100.0 / nullif(c.n_customer_responses, 0)
        AS complaint_rate,
    c.median_resolution_hours,
    f.revenue, f.cost_of_sales, f.gross_profit, f.operating_costs,
    f.gross_profit * 100.0 / nullif(f.revenue, 0) AS gross_margin_pct,
    (f.gross_profit - f.operating_costs) * 100.0 / nullif(f.revenue, 0)
        AS operating_margin_pct,
    coalesce(f.headcount, u.headcount) AS headcount,
    e.n_employee * 100.0 / nullif(coalesce(f.headcount, u.headcount), 0) AS response_rate,
    c.n_customer_responses
FROM k
LEFT JOIN e USING (unit_id, period)
LEFT JOIN c USING (unit_id, period)
LEFT JOIN f USING (unit_id, period)
LEFT JOIN u USING (unit_id)
WHERE e.unit_id IS NOT NULL OR c.unit_id IS NOT NULL OR f.unit_id IS NOT NULL
"""


@dataclass
class BatchMeta:
    """Who loaded what: the batch record of metrics.md §6."""

    dataset: str
    file_name: str
    sha256: str
    uploaded_by: str = "local"
    rows_rejected: int = 0
    is_demo: bool = False
    note: str = ""


def _scope_sql(dataset: str, scope: str | None = None) -> str:
    """The unit × months of ``_stage``; ``scope`` names a table that holds them already
    (unit_id, period, rows), as the ingest code builds once per upload."""
    units = f"(SELECT DISTINCT unit_id FROM {scope or '_stage'})"
    if dataset == "units":
        return (
            f"SELECT DISTINCT s.unit_id, m.period FROM {units} s "
            "JOIN (SELECT DISTINCT unit_id, period FROM unit_month) m USING (unit_id)"
        )
    if scope:
        return f"SELECT unit_id, period FROM {scope}"
    return "SELECT DISTINCT unit_id, period FROM _stage"


class StaleCheck(Exception):
    """Between an upload's check and its commit, another load changed what it would do.

    ``identical`` is a loaded batch of the very same file; ``added`` the batches (id,
    file name) that now share a unit × month with the upload and were not among those
    it was checked to replace; ``duplicates`` the batches loaded since the check that
    hold a response id of the upload. Raised inside the write transaction, so nothing is
    written.
    """

    def __init__(self, identical: int | None = None,
                 added: list[tuple[int, str]] | None = None,
                 duplicates: list[tuple[int, str]] | None = None) -> None:
        super().__init__(identical, added, duplicates)
        self.identical = identical
        self.added = added or []
        self.duplicates = duplicates or []


def last_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    """The newest batch id (0 for none): a check remembers it, so the commit can look for
    response ids that batches loaded since then hold."""
    return con.cursor().execute(
        "SELECT coalesce(max(batch_id), 0) FROM batches").fetchall()[0][0]


def find_identical(con: duckdb.DuckDBPyConnection, dataset: str, sha256: str) -> int | None:
    """The loaded batch of ``dataset`` with this file hash, if any."""
    rows = con.cursor().execute(
        "SELECT batch_id FROM batches WHERE dataset = $d AND sha256 = $h "
        "AND status = 'loaded' ORDER BY batch_id LIMIT 1",
        {"d": dataset, "h": sha256},
    ).fetchall()
    return rows[0][0] if rows else None


def overlapping_batches(
    con: duckdb.DuckDBPyConnection, dataset: str, stage: pd.DataFrame | str,
    *, scope: str | None = None,
) -> pd.DataFrame:
    """Loaded batches of ``dataset`` that share a unit × month with the staged rows.

    ``con`` is the cursor that staged the upload (its temp tables are visible there);
    ``scope`` an ingest-chosen table of the staged unit × months (see ``_scope_sql``).
    Returns columns batch_id, file_name, uploaded_at, rows_loaded, n_overlap.
    """
    cur = con
    _register_stage(cur, stage)
    return cur.execute(
        f"""SELECT b.batch_id, b.file_name, b.uploaded_at, b.rows_loaded,
                   count(*) AS n_overlap
            FROM batches b JOIN batch_scope s USING (batch_id)
            JOIN ({_scope_sql(dataset, scope)}) n USING (unit_id, period)
            WHERE b.dataset = $d AND b.status = 'loaded' AND $d <> 'units'
            GROUP BY ALL ORDER BY b.batch_id""",
        {"d": dataset},
    ).df()


def _register_stage(cur: duckdb.DuckDBPyConnection, stage: pd.DataFrame | str) -> None:
    if isinstance(stage, pd.DataFrame):
        cur.register("_stage", stage)
    elif stage != "_stage":
        # ``stage`` is an internal table name chosen by the ingest code, never user text
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _stage AS SELECT * FROM {stage}")


def write_batch(
    con: duckdb.DuckDBPyConnection,
    meta: BatchMeta,
    stage: pd.DataFrame | str,
    items: pd.DataFrame | str | None = None,
    rejected: pd.DataFrame | None = None,
    replace: list[int] | None = None,
    progress=None,
    *,
    same_cursor: bool = False,
    item_scales: pd.DataFrame | str | None = None,
    scope: str | None = None,
    recheck: bool = False,
    checked_through: int | None = None,
) -> int:
    """Write one batch in a single transaction and refresh the touched summary rows.

    ``stage`` holds the validated canonical rows of ``meta.dataset`` (columns of
    ``STORED_COLUMNS``; absent optional ones are NULL); ``items`` the long rating items
    (row_no, item, value, and lo, hi unless ``item_scales`` gives each item's scale as
    item, lo, hi); ``rejected`` the rows kept back (row_no, column_name, value, reason);
    ``replace`` the batch ids this one supersedes; ``scope`` an ingest-chosen table of
    the staged unit × months with their row counts (unit_id, period, rows), so the
    staged rows are not grouped again. Either all of it lands or none of it.
    With ``recheck`` (an upload checked earlier, perhaps while other sessions loaded),
    the identical-file and overlap checks run again inside the transaction, under the
    write lock: the batches overlapping now are replaced, and :class:`StaleCheck` is
    raised (nothing written) when the same file was loaded meanwhile or a batch not in
    ``replace`` now overlaps, so no unit × month is ever counted twice; with
    ``checked_through`` (the newest batch when the upload was checked), also when a
    batch loaded since then holds one of its response ids.
    Returns the new batch id.
    """
    if meta.dataset not in DATASETS:
        raise ValueError(f"unknown dataset {meta.dataset!r}")
    step = progress or (lambda fraction, text: None)
    with transaction(con, new_cursor=not same_cursor) as cur:
        _register_stage(cur, stage)
        if recheck:
            replace = _recheck(cur, meta, scope, replace or [], checked_through)
        batch_id = cur.execute(
            "SELECT coalesce(max(batch_id), 0) + 1 FROM batches"
        ).fetchall()[0][0]
        present = {r[0] for r in cur.execute("DESCRIBE _stage").fetchall()}
        cols = STORED_COLUMNS[meta.dataset]
        select = ", ".join(c if c in present else f"NULL AS {c}" for c in cols)
        table = TABLES[meta.dataset]
        step(0.2, "Writing rows")
        if meta.dataset == "units":
            cur.execute(
                f"INSERT INTO units ({', '.join(cols)}, batch_id) "
                f"SELECT {select}, $b FROM _stage",
                {"b": batch_id},
            )
        else:
            cur.execute(
                f"INSERT INTO {table} (batch_id, {', '.join(cols)}) "
                f"SELECT $b, {select} FROM _stage",
                {"b": batch_id},
            )
            # Units not yet known are created from the first upload that names them.
            cur.execute(
                f"""INSERT INTO units (unit_id, unit_name, batch_id)
                   SELECT DISTINCT unit_id, unit_id, $b FROM {scope or '_stage'}
                   WHERE unit_id NOT IN (SELECT unit_id FROM units)""",
                {"b": batch_id},
            )
        if items is not None and meta.dataset in ITEM_TABLES:
            step(0.4, "Writing rating items")
            _write_items(cur, meta.dataset, batch_id, items, item_scales)
        count = f"SELECT sum(rows) FROM {scope}" if scope else "SELECT count(*) FROM _stage"
        rows_loaded = cur.execute(count).fetchall()[0][0]
        cur.execute(
            "INSERT INTO batches VALUES ($b, $d, $f, $h, $u, $t, $n, $r, 'loaded', $demo,"
            " NULL, $note)",
            {
                "b": batch_id, "d": meta.dataset, "f": meta.file_name, "h": meta.sha256,
                "u": meta.uploaded_by, "t": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "n": rows_loaded, "r": meta.rows_rejected, "demo": meta.is_demo,
                "note": meta.note,
            },
        )
        cur.execute(
            "INSERT INTO batch_scope SELECT $b, unit_id, period "
            f"FROM ({_scope_sql(meta.dataset, scope)})",
            {"b": batch_id},
        )
        if rejected is not None and len(rejected):
            cur.register("_rejected", rejected)
            cur.execute(
                "INSERT INTO rejected_rows SELECT $b, row_no, column_name, value, reason "
                "FROM _rejected",
                {"b": batch_id},
            )
        for old in replace or []:
            _supersede(cur, old, batch_id, meta.dataset)
        step(0.7, "Refreshing the unit × month summary")
        _refresh(cur, [batch_id, *(replace or [])])
        _bump_version(cur)
    step(1.0, "Done")
    return batch_id


def _recheck(cur: duckdb.DuckDBPyConnection, meta: BatchMeta, scope: str | None,
             confirmed: list[int], checked_through: int | None) -> list[int]:
    """The batches to replace now; StaleCheck when they differ from ``confirmed``, or
    when a batch newer than ``checked_through`` holds a response id of ``_stage``."""
    same = cur.execute(
        "SELECT min(batch_id) FROM batches WHERE dataset = $d AND sha256 = $h "
        "AND status = 'loaded'", {"d": meta.dataset, "h": meta.sha256}).fetchall()[0][0]
    if same is not None:
        raise StaleCheck(identical=int(same))
    now = overlapping_batches(cur, meta.dataset, "_stage", scope=scope)
    added = [(int(b), str(f)) for b, f in zip(now.batch_id, now.file_name, strict=True)
             if int(b) not in set(confirmed)]
    if added:
        raise StaleCheck(added=added)
    id_col = ID_COLUMN.get(meta.dataset)
    present = {r[0] for r in cur.execute("DESCRIBE _stage").fetchall()}
    if checked_through is not None and id_col in present:
        # batch ids only grow: the zone maps skip every row group loaded before the check
        dup = cur.execute(
            f"""SELECT DISTINCT t.batch_id, b.file_name FROM {TABLES[meta.dataset]} t
                JOIN batches b USING (batch_id)
                WHERE t.batch_id > $since AND NOT list_contains($replace, t.batch_id)
                  AND t.{id_col} IN (SELECT {id_col} FROM _stage) ORDER BY 1""",
            {"since": checked_through, "replace": [int(b) for b in now.batch_id]},
        ).fetchall()
        if dup:
            raise StaleCheck(duplicates=[(int(b), str(f)) for b, f in dup])
    return [int(b) for b in now.batch_id]


def _write_items(cur: duckdb.DuckDBPyConnection, dataset: str, batch_id: int,
                 items: pd.DataFrame | str, scales: pd.DataFrame | str | None) -> None:
    """Insert a batch's rating items and the scale of each item."""
    source = _source(cur, "_items", items)
    if scales is None:  # a frame with lo, hi on every row: one scale per item, or refuse
        two = cur.execute(
            f"SELECT item FROM {source} WHERE value IS NOT NULL GROUP BY item "
            "HAVING count(DISTINCT (lo, hi)) > 1 ORDER BY item").fetchall()
        if two:
            raise ValueError(f"items with more than one scale: {[r[0] for r in two]}")
        scale_sql = (f"SELECT item, any_value(lo), any_value(hi) FROM {source} "
                     "WHERE value IS NOT NULL GROUP BY item")
    else:
        scale_sql = f"SELECT item, lo, hi FROM {_source(cur, '_item_scales', scales)}"
    cur.execute(f"INSERT INTO {ITEM_SCALES[dataset]} SELECT $b, * FROM ({scale_sql})",
                {"b": batch_id})
    # a staged upload's items (a table name) are already those of its kept rows; a
    # frame's are matched to the rows written
    keep = "" if isinstance(items, str) else "SEMI JOIN _stage s USING (row_no)"
    cur.execute(
        f"INSERT INTO {ITEM_TABLES[dataset]} SELECT $b, i.row_no, i.item, i.value "
        f"FROM {source} i {keep} WHERE i.value IS NOT NULL",
        {"b": batch_id},
    )


def _source(cur: duckdb.DuckDBPyConnection, name: str, data: pd.DataFrame | str) -> str:
    """The name to read ``data`` by: a registered frame, or an ingest-chosen table name."""
    if isinstance(data, pd.DataFrame):
        cur.register(name, data)
        return name
    return data


def _supersede(cur: duckdb.DuckDBPyConnection, old: int, new: int, dataset: str) -> None:
    """Move the unit × months of batch ``new`` out of batch ``old``, into the
    ``*_replaced`` tables (marked ``replaced_by`` = ``new``: a rollback of ``new`` puts
    them back).

    A corrected file for the same units and months replaces the earlier batch whole;
    where it covers only some of them, the earlier batch keeps the rest.
    """
    keys = "(unit_id, period) IN (SELECT unit_id, period FROM batch_scope WHERE batch_id = $n)"
    ids = {"o": old, "n": new}
    # items carry no unit or month: they go with their responses, so before them
    table, items = TABLES[dataset], ITEM_TABLES.get(dataset)
    if items:
        rows = f"row_no IN (SELECT row_no FROM {table} WHERE batch_id = $o AND {keys})"
        _move(cur, items, f"{items}_replaced", f"batch_id = $o AND {rows}", ids, "$n")
    _move(cur, table, f"{table}_replaced", f"batch_id = $o AND {keys}", ids, "$n")
    _move(cur, "batch_scope", "batch_scope_replaced", f"batch_id = $o AND {keys}", ids, "$n")
    left = cur.execute("SELECT count(*) FROM batch_scope WHERE batch_id = $o",
                       {"o": old}).fetchall()[0][0]
    cur.execute(
        "UPDATE batches SET status = CASE WHEN $left = 0 THEN 'replaced' ELSE status END, "
        "replaced_by = $n, note = concat_ws('; ', nullif(note, ''), CASE WHEN $left = 0 "
        "THEN 'replaced by #' ELSE 'some unit-months replaced by #' END || $n::VARCHAR) "
        "WHERE batch_id = $o",
        {"o": old, "n": new, "left": left},
    )


def _move(cur: duckdb.DuckDBPyConnection, source: str, target: str, where: str,
          params: dict, replaced_by: str | None) -> None:
    """Move the rows of ``source`` matching ``where`` to ``target``: into a ``*_replaced``
    table marked ``replaced_by`` (SQL), or back out of one when it is None."""
    if replaced_by is None:
        select = f"SELECT * EXCLUDE (replaced_by) FROM {source} WHERE {where}"
    else:
        select = f"SELECT *, {replaced_by} AS replaced_by FROM {source} WHERE {where}"
    cur.execute(f"INSERT INTO {target} BY NAME {select}", params)
    cur.execute(f"DELETE FROM {source} WHERE {where}", params)


def _restore_replaced(cur: duckdb.DuckDBPyConnection, batch_id: int, dataset: str) -> list[int]:
    """Put back the rows that batch ``batch_id`` (being rolled back) replaced; return the
    batches that got rows back.

    A unit × month that a later loaded batch covers now stays replaced, by that batch
    (rolling it back restores it in turn). The rolled-back batch's own replaced rows are
    dropped: nothing restores a rolled-back batch.
    """
    if dataset == "units":  # units batches are never replaced
        return []
    table, items = TABLES[dataset], ITEM_TABLES.get(dataset)
    for t in (table, items, "batch_scope"):
        if t:
            cur.execute(f"DELETE FROM {t}_replaced WHERE batch_id = $b", {"b": batch_id})
    # each replaced unit × month, and the loaded batch that covers it now (if any)
    cur.execute(
        """CREATE OR REPLACE TEMP TABLE _back AS
           SELECT r.batch_id, r.unit_id, r.period, (
               SELECT max(s.batch_id) FROM batch_scope s JOIN batches USING (batch_id)
               WHERE dataset = $d AND status = 'loaded' AND s.batch_id <> $b
                 AND s.unit_id = r.unit_id AND s.period IS NOT DISTINCT FROM r.period
           ) AS now_by
           FROM batch_scope_replaced r WHERE r.replaced_by = $b""",
        {"b": batch_id, "d": dataset})
    for t in (table, "batch_scope"):  # still covered: replaced by the batch covering it
        cur.execute(f"""UPDATE {t}_replaced r SET replaced_by = k.now_by FROM _back k
                        WHERE r.replaced_by = $b AND k.now_by IS NOT NULL
                          AND r.batch_id = k.batch_id AND r.unit_id = k.unit_id
                          AND r.period IS NOT DISTINCT FROM k.period""", {"b": batch_id})
    if items:
        cur.execute(f"""UPDATE {items}_replaced i SET replaced_by = t.replaced_by
                        FROM {table}_replaced t
                        WHERE i.replaced_by = $b AND t.batch_id = i.batch_id
                          AND t.row_no = i.row_no""", {"b": batch_id})
        _move(cur, f"{items}_replaced", items, "replaced_by = $b", {"b": batch_id}, None)
    for t in (table, "batch_scope"):  # what is still marked by this batch goes back
        _move(cur, f"{t}_replaced", t, "replaced_by = $b", {"b": batch_id}, None)
    restored = [r[0] for r in cur.execute(
        "SELECT DISTINCT batch_id FROM _back WHERE now_by IS NULL ORDER BY 1").fetchall()]
    cur.execute(
        """UPDATE batches SET status = 'loaded',
               replaced_by = (SELECT max(replaced_by) FROM batch_scope_replaced r
                              WHERE r.batch_id = batches.batch_id),
               note = concat_ws('; ', nullif(note, ''),
                                'rows restored by the rollback of #' || $b::VARCHAR)
           WHERE list_contains($ids, batch_id)""", {"b": batch_id, "ids": restored})
    return restored


def _remove_rows(cur: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    for table in (*TABLES.values(), *ITEM_TABLES.values(), *ITEM_SCALES.values()):
        if table != "units":
            cur.execute(f"DELETE FROM {table} WHERE batch_id = $b", {"b": batch_id})
    # A units upload's rows go with it; units a survey batch created go only when no
    # other data still names them.
    cur.execute(
        """DELETE FROM units WHERE batch_id = $b AND (
               $b IN (SELECT batch_id FROM batches WHERE dataset = 'units')
               OR unit_id NOT IN (
                   SELECT unit_id FROM employee_responses UNION SELECT unit_id
                   FROM customer_responses UNION SELECT unit_id FROM financials))""",
        {"b": batch_id},
    )


def _refresh(cur: duckdb.DuckDBPyConnection, batch_ids: list[int]) -> None:
    """Recompute the summary rows of the unit × months these batches touch."""
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _touched AS SELECT DISTINCT unit_id, period "
        "FROM batch_scope WHERE list_contains($ids, batch_id)",
        {"ids": batch_ids},
    )
    refresh_summary(cur)


def refresh_summary(cur: duckdb.DuckDBPyConnection, everything: bool = False) -> None:
    """Recompute unit_month for the keys in ``_touched`` (or for all data)."""
    if everything:
        cur.execute(
            """CREATE OR REPLACE TEMP TABLE _touched AS
               SELECT unit_id, period FROM employee_responses
               UNION SELECT unit_id, period FROM customer_responses
               UNION SELECT unit_id, period FROM financials
               UNION SELECT unit_id, period FROM unit_month"""
        )
    cur.execute("DELETE FROM unit_month WHERE (unit_id, period) IN (SELECT * FROM _touched)")
    cur.execute(f"INSERT INTO unit_month BY NAME ({_SUMMARY_SQL})")


def _bump_version(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(
        "UPDATE meta SET value = (value::BIGINT + 1)::VARCHAR WHERE key = 'data_version'"
    )


def rollback_batch(con: duckdb.DuckDBPyConnection, batch_id: int, by: str = "local") -> bool:
    """Undo a loaded batch in one transaction; False when there was nothing to undo."""
    batch_id = int(batch_id)
    with transaction(con) as cur:
        status = cur.execute(
            "SELECT status FROM batches WHERE batch_id = $b", {"b": batch_id}
        ).fetchall()
        if not status or status[0][0] != "loaded":
            return False
        _remove_rows(cur, batch_id)
        dataset = cur.execute("SELECT dataset FROM batches WHERE batch_id = $b",
                              {"b": batch_id}).fetchall()[0][0]
        cur.execute(
            "UPDATE batches SET status = 'rolled_back', note = concat_ws('; ', note, $n) "
            "WHERE batch_id = $b",
            {"b": batch_id, "n": f"rolled back by {by}"},
        )
        _restore_replaced(cur, batch_id, dataset)
        _refresh(cur, [batch_id])
        _bump_version(cur)
    return True
