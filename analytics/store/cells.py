"""The employee cells the published table set is built from (analytics.access.tables).

A *cell* is one unit's employees of one department in one month, the finest grain the
store keeps. These reads return, per cell, how many respondents gave each answer: never
a respondent, a row or a date. Everything a page shows of employees is a sum of these
counts over published groups of cells (analytics.read.published), so these are the only
employee aggregates the read layer starts from, with the comment lists of fixed groups.

Scores are normalised to 0-100 as ``(value - lo) / (hi - lo) * 100`` (metrics.md §3) and
rounded to 9 decimals, so that one answer of one scale is one value everywhere.
"""

from __future__ import annotations

import duckdb
import pandas as pd

_NORM = "round(({v} - {lo}) / nullif({hi} - {lo}, 0) * 100, 9)"


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None
         ) -> pd.DataFrame:
    return con.cursor().execute(sql, params or {}).df()


def employee_answer_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """answer_counts_df: respondents per cell and answer, for every employee figure.

    Columns: unit_id, period, department (NULL where not given), family (``'esat'``,
    ``'enps'`` or ``'item:<name>'``), value (0-100 for esat and items, the 0-10 point for
    eNPS), flag (esat: the answer is in the scale's top two points; else false), n.
    """
    esat = _NORM.format(v="r.esat", lo="r.esat_lo", hi="r.esat_hi")
    item = _NORM.format(v="i.value", lo="s.lo", hi="s.hi")
    sql = f"""
        SELECT r.unit_id, r.period, r.department, 'esat' AS family, {esat} AS value,
            (r.esat >= r.esat_hi - 1) AS flag, count(*)::INTEGER AS n
        FROM employee_responses r
        WHERE r.esat IS NOT NULL AND r.esat_hi > r.esat_lo
        GROUP BY ALL
        UNION ALL
        SELECT r.unit_id, r.period, r.department, 'enps', round(r.enps)::DOUBLE, false,
            count(*)::INTEGER
        FROM employee_responses r WHERE r.enps IS NOT NULL
        GROUP BY ALL
        UNION ALL
        SELECT r.unit_id, r.period, r.department, 'item:' || i.item, {item}, false,
            count(*)::INTEGER
        FROM employee_items i
        JOIN employee_responses r ON r.batch_id = i.batch_id AND r.row_no = i.row_no
        JOIN employee_item_scales s ON s.batch_id = i.batch_id AND s.item = i.item
        WHERE s.hi > s.lo
        GROUP BY ALL
        ORDER BY 4, 1, 2, 3, 5, 6"""
    return _run(con, sql)


def employee_cell_responses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """cell_responses_df: every response per cell (answered esat or not) and comments.

    Columns: unit_id, period, department (NULL where not given), n_responses, n_comments.
    """
    sql = """
        SELECT unit_id, period, department, count(*)::INTEGER AS n_responses,
            (count(*) FILTER (WHERE trim(comment) <> ''))::INTEGER AS n_comments
        FROM employee_responses GROUP BY ALL ORDER BY 1, 2, 3"""
    return _run(con, sql)


def employee_item_pairs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """item_pairs_df: per cell and employee item, the sums that give the item's
    correlation with ESAT over any union of cells (both normalised to 0-100).

    Columns: unit_id, period, department, item, n (answers with both), sx, sy, sxx, syy,
    sxy (x the item, y ESAT).
    """
    x = _NORM.format(v="i.value", lo="s.lo", hi="s.hi")
    y = _NORM.format(v="r.esat", lo="r.esat_lo", hi="r.esat_hi")
    sql = f"""
        WITH p AS (
            SELECT r.unit_id, r.period, r.department, i.item, {x} AS x, {y} AS y
            FROM employee_items i
            JOIN employee_responses r ON r.batch_id = i.batch_id AND r.row_no = i.row_no
            JOIN employee_item_scales s ON s.batch_id = i.batch_id AND s.item = i.item
            WHERE s.hi > s.lo AND r.esat IS NOT NULL AND r.esat_hi > r.esat_lo
        )
        SELECT unit_id, period, department, item, count(*)::INTEGER AS n,
            sum(x) AS sx, sum(y) AS sy, sum(x * x) AS sxx, sum(y * y) AS syy,
            sum(x * y) AS sxy
        FROM p GROUP BY ALL ORDER BY 1, 2, 3, 4"""
    return _run(con, sql)


def employee_comment_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """comment_counts_df: non-blank employee comments and respondents per unit and month.

    Columns: unit_id, period, n_comments, n_responses.
    """
    sql = """
        SELECT unit_id, period,
            (count(*) FILTER (WHERE trim(comment) <> ''))::INTEGER AS n_comments,
            count(*)::INTEGER AS n_responses
        FROM employee_responses GROUP BY ALL ORDER BY 1, 2"""
    return _run(con, sql)


def employee_comments_of(con: duckdb.DuckDBPyConnection, unit_months: pd.DataFrame,
                         limit: int = 500) -> pd.DataFrame:
    """comments_df: the comments of the given unit-months, as one list.

    ``unit_months`` has columns unit_id, period. Only the text is read (never a
    respondent or response id, date, department or row number); the order is a hash of
    the row, so it says nothing about when or where a comment was written.

    Columns: comment (trimmed text), n_comments (all non-blank comments of the list,
    before the limit).
    """
    if unit_months.empty:
        return pd.DataFrame({"comment": pd.Series(dtype=str),
                             "n_comments": pd.Series(dtype="int32")})
    keys = unit_months[["unit_id", "period"]].astype(str)
    sql = """
        SELECT trim(r.comment) AS comment, (count(*) OVER ())::INTEGER AS n_comments
        FROM employee_responses r
        JOIN (SELECT unnest($units) AS unit_id, unnest($periods) AS period) k
          ON k.unit_id = r.unit_id AND k.period = r.period
        WHERE trim(r.comment) <> ''
        QUALIFY row_number() OVER (ORDER BY hash(r.batch_id, r.row_no)) <= $limit
        ORDER BY hash(r.batch_id, r.row_no)"""
    return _run(con, sql, {"units": list(keys["unit_id"]), "periods": list(keys["period"]),
                           "limit": int(limit)})
