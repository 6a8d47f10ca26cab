"""Reads on the response-level tables: small aggregates per group, never raw employee rows.

Employee figures are not read here: they come only from the published table set
(:mod:`analytics.store.cells` and :mod:`analytics.read.published`); what is left here for
employees (rating-item means) serves the schema's own tests.

Each function is one named query returning a DataFrame. Values are bound as parameters;
group keys, tables and score columns come only from the allow-lists below. Scores are
normalised to 0-100 as ``(value - lo) / (hi - lo) * 100`` (metrics.md §3). The selection
follows :func:`analytics.store.queries._where`; the department filter applies to the
employee tables only (customers have no department), so it is ignored for customer reads.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb
import pandas as pd

from analytics.filters import ALL, Filters
from analytics.store.queries import _where


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
