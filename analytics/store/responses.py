"""Reads on the response-level tables: small aggregates per group, never raw employee rows.

Each function is one named query returning a DataFrame. Values are bound as parameters;
group keys, tables and score columns come only from the allow-lists below. Scores are
normalised to 0-100 as ``(value - lo) / (hi - lo) * 100`` (metrics.md §3). The selection
follows :func:`analytics.store.queries._where`; the department filter applies to the
employee tables only (customers have no department), so it is ignored for customer reads.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from analytics.filters import ALL, Filters
from analytics.store.queries import _where, database_file


class _Dataset(NamedTuple):
    responses: str
    items: str
    scales: str
    outcome: str
    recommend: str


DATASETS: dict[str, _Dataset] = {
    "employee": _Dataset("employee_responses", "employee_items", "employee_item_scales",
                         "esat", "enps"),
    "customer": _Dataset("customer_responses", "customer_items", "customer_item_scales",
                         "csat", "nps"),
}
#: items joined to their response (unit, month, outcome) and their batch's scale (s.lo, s.hi)
_ITEMS = """{items} i
        JOIN {responses} r ON r.batch_id = i.batch_id AND r.row_no = i.row_no
        JOIN {scales} s ON s.batch_id = i.batch_id AND s.item = i.item"""
#: group keys each dataset may be grouped by, and the column each one reads
GROUP_KEYS: dict[str, dict[str, str]] = {
    "employee": {"unit_id": "r.unit_id", "period": "r.period", "region": "u.region",
                 "division": "u.division", "department": "r.department"},
    "customer": {"unit_id": "r.unit_id", "period": "r.period", "region": "u.region",
                 "division": "u.division", "channel": "r.channel"},
}
#: response rates need a headcount, which exists per unit and month only (alias e: the
#: unit-month counts of the selection)
RATE_KEYS: dict[str, str] = {"unit_id": "e.unit_id", "period": "e.period",
                             "region": "u.region", "division": "u.division"}

_FROM = """{table} r LEFT JOIN units_current u ON u.unit_id = r.unit_id"""


def _dataset(dataset: str) -> _Dataset:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}")
    return DATASETS[dataset]


def _keys(dataset: str, by: tuple[str, ...]) -> tuple[str, str]:
    """SELECT and GROUP BY fragments for allow-listed group keys (both '' for no keys)."""
    allowed = GROUP_KEYS[dataset]
    bad = [k for k in by if k not in allowed]
    if bad or len(set(by)) != len(by):
        raise ValueError(f"cannot group {dataset} data by {list(by)}")
    select = "".join(f"{allowed[k]} AS {k}, " for k in by)
    group = ", ".join(allowed[k] for k in by)
    return select, group


def _filter(dataset: str, filters: Filters) -> tuple[str, dict]:
    """The selection's WHERE fragment on alias ``r`` (responses) and ``u`` (units)."""
    where, params = _where(filters, alias="r", unit_alias="u")
    if dataset == "employee" and filters.departments:
        where += " AND list_contains($departments, r.department)"
        params["departments"] = list(filters.departments)
    return where, params


def _group_tail(group: str, extra: str = "") -> str:
    cols = ", ".join(c for c in (group, extra) if c)
    return f"GROUP BY {cols} ORDER BY {cols}" if cols else ""


def _norm(value: str, lo: str, hi: str) -> str:
    return f"({value} - {lo}) / nullif({hi} - {lo}, 0) * 100"


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pd.DataFrame:
    return con.cursor().execute(sql, params).df()


def employee_groups(
    con: duckdb.DuckDBPyConnection, filters: Filters = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """employee_groups_df: ESAT and eNPS per group, pooled over responses.

    Columns: the ``by`` keys, n_responses, n_employee (esat answers), esat_index, esat_sd,
    esat_sat_n, esat_pct_satisfied, n_enps, enps_promoters, enps_detractors, enps,
    n_comments (non-blank comments). With no keys: one row, n_responses 0 when empty.
    """
    if by == CELL_KEYS and _periods_only(filters):
        held = _memo_cells(con)
        if held is not None:
            cells, rows = held
            months = [p for p in rows if (not filters.period_from or p >= filters.period_from)
                      and (not filters.period_to or p <= filters.period_to)]
            if months:  # (an empty read has DuckDB's dtypes of an empty result)
                keep = np.sort(np.concatenate([rows[p] for p in months]))
                return cells.take(keep).reset_index(drop=True)
    return _employee_groups(con, filters, by)


#: the privacy layer's cells (analytics.access.privacy.CELL_KEYS): every read of a page asks
#: for them over its months, so they are worked out once per database and data version
CELL_KEYS: tuple[str, ...] = ("unit_id", "period", "department")
_MEMO: dict[str, tuple[str, pd.DataFrame, dict[str, np.ndarray]]] = {}
_MEMO_LOCK = threading.Lock()


def _periods_only(f: Filters) -> bool:
    return not (f.regions or f.divisions or f.units or f.departments) and f.scope is None


def clear_memo() -> None:
    """Forget the per-version employee cells (benchmarks of a cold start)."""
    with _MEMO_LOCK:
        _MEMO.clear()


def _memo_cells(
    con: duckdb.DuckDBPyConnection,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]] | None:
    """Employee groups by unit, month and department over all months, as of the current
    data version (every load, rollback and settings change bumps it); None in memory.

    The version and the cells are read in one transaction, so they belong together; one
    frame per database file is kept, with the positions of each month's rows (callers
    take copies of their months' rows).
    """
    path = database_file(con)
    if path is None:
        return None
    with _MEMO_LOCK:
        cur = con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            version = cur.execute(
                "SELECT value FROM meta WHERE key = 'data_version'").fetchall()[0][0]
            held = _MEMO.get(path)
            if held is None or held[0] != version:
                cells = _employee_groups(cur, ALL, CELL_KEYS, _run_here)
                held = (version, cells, cells.groupby("period", sort=False).indices)
                _MEMO[path] = held
            cur.execute("COMMIT")
        finally:
            cur.close()
        return held[1], held[2]


def _run_here(cur: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pd.DataFrame:
    """:func:`_run` on ``cur`` itself (inside its transaction)."""
    return cur.execute(sql, params).df()


def _employee_groups(
    con: duckdb.DuckDBPyConnection, filters: Filters, by: tuple[str, ...], run=_run
) -> pd.DataFrame:
    """:func:`employee_groups` read from the responses."""
    select, group = _keys("employee", by)
    where, params = _filter("employee", filters)
    esat = _norm("r.esat", "r.esat_lo", "r.esat_hi")
    sql = f"""
        SELECT {select}
            count(*)::INTEGER AS n_responses,
            count(r.esat)::INTEGER AS n_employee,
            avg({esat}) AS esat_index,
            stddev_samp({esat}) AS esat_sd,
            (count(*) FILTER (WHERE r.esat >= r.esat_hi - 1))::INTEGER AS esat_sat_n,
            count(*) FILTER (WHERE r.esat >= r.esat_hi - 1) * 100.0
                / nullif(count(r.esat), 0) AS esat_pct_satisfied,
            count(r.enps)::INTEGER AS n_enps,
            (count(*) FILTER (WHERE r.enps >= 9))::INTEGER AS enps_promoters,
            (count(*) FILTER (WHERE r.enps <= 6))::INTEGER AS enps_detractors,
            (count(*) FILTER (WHERE r.enps >= 9) - count(*) FILTER (WHERE r.enps <= 6))
                * 100.0 / nullif(count(r.enps), 0) AS enps,
            (count(*) FILTER (WHERE trim(r.comment) <> ''))::INTEGER AS n_comments
        FROM {_FROM.format(table="employee_responses")}
        WHERE {where}
        {_group_tail(group)}"""
    return run(con, sql, params)


def customer_groups(
    con: duckdb.DuckDBPyConnection, filters: Filters = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """customer_groups_df: CSAT, NPS and complaints per group, pooled over responses.

    Columns: the ``by`` keys, n_customer_responses, n_customer (csat answers), csat_sat_n,
    csat_pct, csat_mean, n_nps, nps_promoters, nps_detractors, nps, n_complaints,
    complaint_rate (complaints per 100 responses), n_comments.
    """
    select, group = _keys("customer", by)
    where, params = _filter("customer", filters)
    csat = _norm("r.csat", "r.csat_lo", "r.csat_hi")
    sql = f"""
        SELECT {select}
            count(*)::INTEGER AS n_customer_responses,
            count(r.csat)::INTEGER AS n_customer,
            (count(*) FILTER (WHERE r.csat >= r.csat_hi - 1))::INTEGER AS csat_sat_n,
            count(*) FILTER (WHERE r.csat >= r.csat_hi - 1) * 100.0
                / nullif(count(r.csat), 0) AS csat_pct,
            avg({csat}) AS csat_mean,
            count(r.nps)::INTEGER AS n_nps,
            (count(*) FILTER (WHERE r.nps >= 9))::INTEGER AS nps_promoters,
            (count(*) FILTER (WHERE r.nps <= 6))::INTEGER AS nps_detractors,
            (count(*) FILTER (WHERE r.nps >= 9) - count(*) FILTER (WHERE r.nps <= 6))
                * 100.0 / nullif(count(r.nps), 0) AS nps,
            (count(*) FILTER (WHERE r.complaint))::INTEGER AS n_complaints,
            count(*) FILTER (WHERE r.complaint) * 100.0 / nullif(count(*), 0)
                AS complaint_rate,
            (count(*) FILTER (WHERE trim(r.comment) <> ''))::INTEGER AS n_comments
        FROM {_FROM.format(table="customer_responses")}
        WHERE {where}
        {_group_tail(group)}"""
    return _run(con, sql, params)


def item_means(
    con: duckdb.DuckDBPyConnection, dataset: str, filters: Filters = ALL,
    by: tuple[str, ...] = (),
) -> pd.DataFrame:
    """item_means_df: each rating item's mean score (0-100) per group.

    Columns: the ``by`` keys, item, n (answers), mean, sd. Items without a usable scale
    (hi <= lo) are left out.
    """
    d = _dataset(dataset)
    select, group = _keys(dataset, by)
    where, params = _filter(dataset, filters)
    score = _norm("i.value", "s.lo", "s.hi")
    sql = f"""
        SELECT {select} i.item AS item, count(*)::INTEGER AS n,
            avg({score}) AS mean, stddev_samp({score}) AS sd
        FROM {_ITEMS.format(**d._asdict())}
        LEFT JOIN units_current u ON u.unit_id = r.unit_id
        WHERE {where} AND s.hi > s.lo
        {_group_tail(group, "i.item")}"""
    return _run(con, sql, params)


def item_correlations(
    con: duckdb.DuckDBPyConnection, dataset: str, filters: Filters = ALL
) -> pd.DataFrame:
    """item_correlations_df: each item against the outcome (esat or csat), per response.

    The item's normalised score is paired with the same response's normalised outcome
    (joined on batch_id, row_no); pairs missing either side are dropped. Spearman's rho is
    Pearson's r of average ranks (ties share their mean rank), as scipy computes it.

    Columns: item, n (pairs), mean and sd (the item's score over those pairs), r
    (Pearson), rho (Spearman). r and rho are NULL when either side is constant.
    """
    d = _dataset(dataset)
    where, params = _filter(dataset, filters)
    score = _norm("i.value", "s.lo", "s.hi")
    outcome = _norm(f"r.{d.outcome}", f"r.{d.outcome}_lo", f"r.{d.outcome}_hi")
    sql = f"""
        WITH p AS (
            SELECT i.item, {score} AS x, {outcome} AS y
            FROM {_ITEMS.format(**d._asdict())}
            LEFT JOIN units_current u ON u.unit_id = r.unit_id
            WHERE {where} AND s.hi > s.lo AND {outcome} IS NOT NULL
        ), ranked AS (
            SELECT item, x, y,
                rank() OVER (PARTITION BY item ORDER BY x)
                    + (count(*) OVER (PARTITION BY item, x) - 1) / 2.0 AS rx,
                rank() OVER (PARTITION BY item ORDER BY y)
                    + (count(*) OVER (PARTITION BY item, y) - 1) / 2.0 AS ry
            FROM p
        )
        SELECT item, count(*)::INTEGER AS n, avg(x) AS mean, stddev_samp(x) AS sd,
            CASE WHEN stddev_pop(x) > 0 AND stddev_pop(y) > 0 THEN corr(x, y) END AS r,
            CASE WHEN stddev_pop(x) > 0 AND stddev_pop(y) > 0 THEN corr(rx, ry) END AS rho
        FROM ranked GROUP BY item ORDER BY item"""
    return _run(con, sql, params)


def nps_distribution(
    con: duckdb.DuckDBPyConnection, dataset: str, filters: Filters = ALL,
    by: tuple[str, ...] = (),
) -> pd.DataFrame:
    """nps_distribution_df: how many answered each point 0..10 of eNPS (or NPS) per group.

    Columns: the ``by`` keys, score (int 0-10), n. Scores nobody gave have no row.
    """
    d = _dataset(dataset)
    select, group = _keys(dataset, by)
    where, params = _filter(dataset, filters)
    col = f"r.{d.recommend}"
    sql = f"""
        SELECT {select} round({col})::INTEGER AS score, count(*)::INTEGER AS n
        FROM {_FROM.format(table=d.responses)}
        WHERE {where} AND {col} IS NOT NULL
        {_group_tail(group, "score")}"""
    return _run(con, sql, params)


def complaints_by_unit(
    con: duckdb.DuckDBPyConnection, filters: Filters = ALL
) -> pd.DataFrame:
    """complaints_df: complaints and how they were handled, per unit.

    Columns: unit_id, unit_name, region, responses (customer responses), complaints,
    complaint_rate (complaints per 100 responses), resolved (complaints marked resolved),
    pct_resolved (resolved per 100 complaints; a complaint with no resolved flag counts as
    not resolved), median_resolution_hours (over resolved complaints with a time).
    """
    where, params = _filter("customer", filters)
    sql = f"""
        SELECT r.unit_id, any_value(u.unit_name) AS unit_name, any_value(u.region) AS region,
            count(*)::INTEGER AS responses,
            (count(*) FILTER (WHERE r.complaint))::INTEGER AS complaints,
            count(*) FILTER (WHERE r.complaint) * 100.0 / count(*) AS complaint_rate,
            (count(*) FILTER (WHERE r.complaint AND r.resolved))::INTEGER AS resolved,
            count(*) FILTER (WHERE r.complaint AND r.resolved) * 100.0
                / nullif(count(*) FILTER (WHERE r.complaint), 0) AS pct_resolved,
            median(r.resolution_hours) FILTER (WHERE r.complaint AND r.resolved)
                AS median_resolution_hours
        FROM {_FROM.format(table="customer_responses")}
        WHERE {where}
        GROUP BY r.unit_id ORDER BY r.unit_id"""
    return _run(con, sql, params)


def comments(
    con: duckdb.DuckDBPyConnection, dataset: str, filters: Filters = ALL,
    by: tuple[str, ...] = (), limit: int = 500,
) -> pd.DataFrame:
    """comments_df: free-text comments per group, newest months first, at most ``limit`` each.

    Only the text and the group keys are read: never a respondent or response id, date or
    row number. Within a month the order is a hash of the row, not the file's order.

    Columns: the ``by`` keys, comment (trimmed text), n_comments (all non-blank comments
    of the group, before the limit).
    """
    d = _dataset(dataset)
    select, group = _keys(dataset, by)
    where, params = _filter(dataset, filters)
    part = f"PARTITION BY {group}" if group else ""
    params["limit"] = int(limit)
    sql = f"""
        SELECT {select} trim(r.comment) AS comment,
            (count(*) OVER ({part}))::INTEGER AS n_comments
        FROM {_FROM.format(table=d.responses)}
        WHERE {where} AND trim(r.comment) <> ''
        QUALIFY row_number() OVER (
            {part} ORDER BY r.period DESC, hash(r.batch_id, r.row_no)) <= $limit
        ORDER BY {group + ", " if group else ""}r.period DESC, hash(r.batch_id, r.row_no)"""
    return _run(con, sql, params)


def response_rates(
    con: duckdb.DuckDBPyConnection, filters: Filters = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """response_rates_df: employee responses per 100 heads, per group.

    Headcount is the unit-month's (financials, else the unit's). A group's rate pools its
    unit-months that have both responses and a headcount: sum of responses / sum of
    headcount * 100, so over several months it is the average monthly response rate. The
    department filter, if set, is refused: headcount is not known per department.

    Columns: the ``by`` keys, responses, headcount, response_rate (NULL without headcount).
    """
    if filters.departments:
        raise ValueError("response rates need a headcount, which is not known per department")
    if any(k not in RATE_KEYS for k in by) or len(set(by)) != len(by):
        raise ValueError(f"cannot compute response rates by {list(by)}")
    select = "".join(f"{RATE_KEYS[k]} AS {k}, " for k in by)
    group = ", ".join(RATE_KEYS[k] for k in by)
    where, params = _filter("employee", filters)
    sql = f"""
        WITH e AS (
            SELECT r.unit_id, r.period, count(*) AS n
            FROM {_FROM.format(table="employee_responses")}
            WHERE {where} GROUP BY r.unit_id, r.period
        )
        SELECT {select} sum(e.n)::INTEGER AS responses,
            sum(m.headcount) FILTER (WHERE m.headcount > 0) AS headcount,
            sum(e.n) FILTER (WHERE m.headcount > 0) * 100.0
                / nullif(sum(m.headcount) FILTER (WHERE m.headcount > 0), 0)
                AS response_rate
        FROM e LEFT JOIN unit_month m ON m.unit_id = e.unit_id AND m.period = e.period
        LEFT JOIN units_current u ON u.unit_id = e.unit_id
        {_group_tail(group)}"""
    return _run(con, sql, params)
