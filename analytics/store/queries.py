"""Reads: one named function per query, each returning a small DataFrame.

Every value is bound as a parameter; identifiers come only from allow-lists.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from analytics.filters import ALL, Filters
from analytics.store.transactions import transaction

GROUP_COLUMNS = {"region", "division", "unit_id", "period"}


def _where(f: Filters, alias: str = "m", unit_alias: str = "u") -> tuple[str, dict]:
    """The WHERE fragment for a selection and its parameters (datasette's pattern)."""
    clauses, params = ["TRUE"], {}
    if f.period_from:
        clauses.append(f"{alias}.period >= $period_from")
        params["period_from"] = f.period_from
    if f.period_to:
        clauses.append(f"{alias}.period <= $period_to")
        params["period_to"] = f.period_to
    for name, column, values in (
        ("regions", f"{unit_alias}.region", f.regions),
        ("divisions", f"{unit_alias}.division", f.divisions),
        ("units", f"{alias}.unit_id", f.units),
    ):
        if values:
            clauses.append(f"list_contains(${name}, {column})")
            params[name] = list(values)
    return " AND ".join(clauses), params


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number every load and rollback bumps: the cache key of every read."""
    return int(
        con.cursor()
        .execute("SELECT value FROM meta WHERE key = 'data_version'")
        .fetchall()[0][0]
    )


def periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every month with data, oldest first."""
    rows = con.cursor().execute("SELECT DISTINCT period FROM unit_month ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def units(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """units_df: unit_id, unit_name, region, division, headcount."""
    return (
        con.cursor()
        .execute(
            "SELECT unit_id, unit_name, region, division, headcount FROM units_current "
            "ORDER BY unit_id"
        )
        .df()
    )


def departments(con: duckdb.DuckDBPyConnection,
                units: tuple[str, ...] | None = None) -> list[str]:
    """Departments named in employee responses (of ``units`` only, when given: a manager
    is not told the departments of other units)."""
    where = "" if units is None else " AND list_contains($units, unit_id)"
    rows = (
        con.cursor()
        .execute(
            "SELECT DISTINCT department FROM employee_responses "
            f"WHERE department IS NOT NULL{where} ORDER BY 1",
            {} if units is None else {"units": list(units)},
        )
        .fetchall()
    )
    return [r[0] for r in rows]


def panel(con: duckdb.DuckDBPyConnection, filters: Filters = ALL) -> pd.DataFrame:
    """panel_df: unit_month rows with unit_name, region, division (docs/panel.md)."""
    where, params = _where(filters)
    return (
        con.cursor()
        .execute(
            f"""SELECT m.unit_id, u.unit_name, u.region, u.division, m.* EXCLUDE (unit_id)
                FROM unit_month m LEFT JOIN units_current u USING (unit_id)
                WHERE {where} ORDER BY m.period, m.unit_id""",
            params,
        )
        .df()
    )


_GROUP_SQL = """
SELECT {keys}
    sum(n_employee)::INTEGER AS n_employee,
    sum(n_employee * esat_index) / nullif(sum(n_employee), 0) AS esat_index,
    sum(esat_sat_n)::INTEGER AS esat_sat_n,
    sum(esat_sat_n) * 100.0 / nullif(sum(n_employee), 0) AS esat_pct_satisfied,
    sum(n_enps)::INTEGER AS n_enps,
    sum(enps_promoters)::INTEGER AS enps_promoters,
    sum(enps_detractors)::INTEGER AS enps_detractors,
    (sum(enps_promoters) - sum(enps_detractors)) * 100.0 / nullif(sum(n_enps), 0) AS enps,
    sum(n_customer)::INTEGER AS n_customer,
    sum(csat_sat_n)::INTEGER AS csat_sat_n,
    sum(csat_sat_n) * 100.0 / nullif(sum(n_customer), 0) AS csat_pct,
    sum(n_customer * csat_mean) / nullif(sum(n_customer), 0) AS csat_mean,
    sum(n_nps)::INTEGER AS n_nps,
    sum(nps_promoters)::INTEGER AS nps_promoters,
    sum(nps_detractors)::INTEGER AS nps_detractors,
    (sum(nps_promoters) - sum(nps_detractors)) * 100.0 / nullif(sum(n_nps), 0) AS nps,
    sum(n_complaints)::INTEGER AS n_complaints,
    sum(n_complaints) * 100.0 / nullif(sum(n_customer_responses), 0) AS complaint_rate,
    sum(revenue) AS revenue, sum(gross_profit) AS gross_profit,
    sum(gross_profit) * 100.0 / nullif(sum(revenue), 0) AS gross_margin_pct,
    sum(gross_profit - operating_costs) * 100.0
        / nullif(sum(revenue) FILTER (WHERE operating_costs IS NOT NULL), 0)
        AS operating_margin_pct,
    sum(m.headcount) FILTER (WHERE n_employee > 0) AS headcount,
    sum(n_employee) FILTER (WHERE m.headcount > 0) * 100.0
        / nullif(sum(m.headcount) FILTER (WHERE n_employee > 0), 0) AS response_rate,
    count(DISTINCT m.unit_id)::INTEGER AS n_units,
    {pooled_sd}
FROM (SELECT * FROM unit_month ORDER BY unit_id, period) m
LEFT JOIN units_current u USING (unit_id)
WHERE {where}
{group_by}
"""
# unit_month is read in (unit, month) order: the sums above are of floats, whose last bits
# depend on the order they are added in, and the order rows are stored in differs between
# a database file and a DuckLake (and after a replace); sorted first, both give the same
# figures to the last bit

# The pooled sd of a group from each part's n, mean and sd (law of total variance), so
# group means can be compared with Welch's t without re-reading responses.
_POOLED_SD = """sqrt((sum((n_employee - 1) * coalesce(esat_sd, 0) ^ 2)
        + sum(n_employee * esat_index ^ 2)
        - sum(n_employee * esat_index) ^ 2 / nullif(sum(n_employee), 0))
        / nullif(sum(n_employee) - 1, 0)) AS esat_sd,
    sqrt((sum((n_customer - 1) * coalesce(csat_sd, 0) ^ 2)
        + sum(n_customer * csat_mean ^ 2)
        - sum(n_customer * csat_mean) ^ 2 / nullif(sum(n_customer), 0))
        / nullif(sum(n_customer) - 1, 0)) AS csat_sd"""


def group_kpis(
    con: duckdb.DuckDBPyConnection, filters: Filters = ALL, by: tuple[str, ...] = ()
) -> pd.DataFrame:
    """kpis_df: the metrics of metrics.md §3 pooled over a selection, per group in ``by``.

    Pooled from the per-unit counts and sums, which equals computing from the responses;
    margins are weighted by revenue. Columns as in docs/panel.md plus n_units.
    """
    bad = set(by) - GROUP_COLUMNS
    if bad:
        raise ValueError(f"cannot group by {sorted(bad)}")
    keys = "".join(f"{'m' if k in ('unit_id', 'period') else 'u'}.{k}, " for k in by)
    group_by = f"GROUP BY {keys.rstrip(', ')} ORDER BY {keys.rstrip(', ')}" if by else ""
    where, params = _where(filters)
    sql = _GROUP_SQL.format(keys=keys, where=where, group_by=group_by, pooled_sd=_POOLED_SD)
    return con.cursor().execute(sql, params).df()


def median_resolution(con: duckdb.DuckDBPyConnection, filters: Filters = ALL) -> float | None:
    """Median resolution_hours over resolved complaints of a selection (not poolable)."""
    where, params = _where(filters)
    rows = (
        con.cursor()
        .execute(
            f"""SELECT median(resolution_hours) FROM customer_responses m
                LEFT JOIN units_current u USING (unit_id)
                WHERE m.complaint AND m.resolved AND {where}""",
            params,
        )
        .fetchall()
    )
    return rows[0][0]


def replaced_batches(con: duckdb.DuckDBPyConnection, batch_id: int) -> list[int]:
    """The batches whose rows ``batch_id`` replaced and keeps aside: rolling it back puts
    them back."""
    return [r[0] for r in con.cursor().execute(
        "SELECT DISTINCT batch_id FROM batch_scope_replaced WHERE replaced_by = $b "
        "ORDER BY 1", {"b": int(batch_id)}).fetchall()]


def batches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """batches_df: every upload batch, newest first."""
    return (
        con.cursor()
        .execute(
            """SELECT batch_id, dataset, file_name, sha256, uploaded_by, uploaded_at,
                      rows_loaded, rows_rejected, status, is_demo, replaced_by, note
               FROM batches ORDER BY batch_id DESC"""
        )
        .df()
    )


def demo_batches(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Ids of loaded batches that hold demo data."""
    rows = (
        con.cursor()
        .execute("SELECT batch_id FROM batches WHERE is_demo AND status = 'loaded' ORDER BY 1")
        .fetchall()
    )
    return [r[0] for r in rows]


def has_data(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any unit × month exists."""
    return con.cursor().execute("SELECT count(*) FROM unit_month").fetchall()[0][0] > 0


def read_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """Stored settings overrides (JSON in meta), {} when none."""
    rows = (
        con.cursor().execute("SELECT value FROM meta WHERE key = 'settings'").fetchall()
    )
    return json.loads(rows[0][0]) if rows else {}


def write_settings(con: duckdb.DuckDBPyConnection, values: dict) -> None:
    """Store settings overrides."""
    with transaction(con) as cur:
        cur.execute("DELETE FROM meta WHERE key = 'settings'")
        cur.execute("INSERT INTO meta VALUES ('settings', $v)", {"v": json.dumps(values)})
        cur.execute(
            "UPDATE meta SET value = (value::BIGINT + 1)::VARCHAR WHERE key = 'data_version'"
        )


def database_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file behind a connection (None in memory)."""
    rows = con.cursor().execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def unit_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every known unit id."""
    return [r[0] for r in con.cursor().execute("SELECT DISTINCT unit_id FROM units").fetchall()]


def rejected_rows(con: duckdb.DuckDBPyConnection, batch_id: int) -> pd.DataFrame:
    """rejected_df: the rows a batch left out (row, column, value, reason)."""
    return con.cursor().execute(
        "SELECT row_no AS row, column_name AS column, value, reason FROM rejected_rows "
        "WHERE batch_id = $b ORDER BY row_no", {"b": batch_id}).df()


def data_quality(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """quality_df: per month, rows stored per dataset and units missing each leg."""
    return con.cursor().execute(
        """WITH m AS (SELECT period,
                count(*) AS units,
                count(*) FILTER (WHERE n_employee IS NULL OR n_employee = 0)
                    AS units_without_esat,
                count(*) FILTER (WHERE n_customer IS NULL OR n_customer = 0)
                    AS units_without_csat,
                count(*) FILTER (WHERE revenue IS NULL) AS units_without_financials,
                sum(n_employee) AS employee_responses,
                sum(n_customer_responses) AS customer_responses
            FROM unit_month GROUP BY period)
           SELECT * FROM m ORDER BY period DESC"""
    ).df()


def content_digest(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """An md5 of every table's rows (order-independent): proof that nothing changed."""
    cur = con.cursor()
    tables = [r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main' "
        "AND database_name = current_database() "
        "ORDER BY 1").fetchall()]
    out = {}
    for t in tables:  # names come from the catalogue, not from users
        out[t] = cur.execute(
            f"SELECT coalesce(md5(string_agg(r, '|' ORDER BY r)), '') "
            f"FROM (SELECT CAST(x AS VARCHAR) AS r FROM {t} AS x)").fetchall()[0][0]
    return out
