"""Schema and ordered migrations.

Portable to a shared DuckLake catalog: no PRIMARY KEY, UNIQUE, index or sequence is
relied on; uniqueness is checked in validation SQL and batch ids are allocated inside
the load transaction.
"""

from __future__ import annotations

import duckdb

from analytics.store.transactions import transaction

# Each migration is a list of statements; the position + 1 is the version it brings the
# database to. Never edit a released migration: append a new one.
MIGRATIONS: list[list[str]] = [
    # 1: the datasets of metrics.md §2, batches, the unit x month summary, settings
    [
        """CREATE TABLE units (
            unit_id VARCHAR NOT NULL, unit_name VARCHAR, region VARCHAR,
            division VARCHAR, manager_email VARCHAR, headcount DOUBLE,
            batch_id INTEGER)""",
        """CREATE TABLE employee_responses (
            batch_id INTEGER NOT NULL, row_no INTEGER NOT NULL,
            unit_id VARCHAR NOT NULL, period VARCHAR NOT NULL, response_date DATE,
            respondent_id VARCHAR, department VARCHAR, role VARCHAR, tenure_band VARCHAR,
            esat DOUBLE, esat_lo DOUBLE, esat_hi DOUBLE, enps DOUBLE, comment VARCHAR)""",
        """CREATE TABLE employee_items (
            batch_id INTEGER NOT NULL, row_no INTEGER NOT NULL,
            unit_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
            item VARCHAR NOT NULL, value DOUBLE NOT NULL, lo DOUBLE, hi DOUBLE)""",
        """CREATE TABLE customer_responses (
            batch_id INTEGER NOT NULL, row_no INTEGER NOT NULL,
            unit_id VARCHAR NOT NULL, period VARCHAR NOT NULL, response_date DATE,
            response_id VARCHAR, channel VARCHAR,
            csat DOUBLE, csat_lo DOUBLE, csat_hi DOUBLE, nps DOUBLE,
            complaint BOOLEAN, resolved BOOLEAN, resolution_hours DOUBLE,
            comment VARCHAR)""",
        """CREATE TABLE customer_items (
            batch_id INTEGER NOT NULL, row_no INTEGER NOT NULL,
            unit_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
            item VARCHAR NOT NULL, value DOUBLE NOT NULL, lo DOUBLE, hi DOUBLE)""",
        """CREATE TABLE financials (
            batch_id INTEGER NOT NULL, unit_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
            revenue DOUBLE, cost_of_sales DOUBLE, gross_profit DOUBLE,
            operating_costs DOUBLE, labour_cost DOUBLE, headcount DOUBLE,
            transactions DOUBLE, target_margin_pct DOUBLE)""",
        """CREATE TABLE batches (
            batch_id INTEGER NOT NULL, dataset VARCHAR NOT NULL, file_name VARCHAR,
            sha256 VARCHAR, uploaded_by VARCHAR, uploaded_at TIMESTAMP,
            rows_loaded INTEGER, rows_rejected INTEGER, status VARCHAR,
            is_demo BOOLEAN DEFAULT false, replaced_by INTEGER, note VARCHAR)""",
        """CREATE TABLE batch_scope (
            batch_id INTEGER NOT NULL, unit_id VARCHAR, period VARCHAR)""",
        """CREATE TABLE rejected_rows (
            batch_id INTEGER NOT NULL, row_no INTEGER, column_name VARCHAR,
            value VARCHAR, reason VARCHAR)""",
        """CREATE TABLE unit_month (
            unit_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
            n_employee INTEGER, esat_index DOUBLE, esat_sd DOUBLE, esat_sat_n INTEGER,
            esat_pct_satisfied DOUBLE, n_enps INTEGER, enps_promoters INTEGER,
            enps_detractors INTEGER, enps DOUBLE,
            n_customer INTEGER, csat_pct DOUBLE, csat_sat_n INTEGER, csat_mean DOUBLE,
            csat_sd DOUBLE, n_nps INTEGER, nps_promoters INTEGER, nps_detractors INTEGER,
            nps DOUBLE, n_complaints INTEGER, complaint_rate DOUBLE,
            median_resolution_hours DOUBLE,
            revenue DOUBLE, cost_of_sales DOUBLE, gross_profit DOUBLE,
            operating_costs DOUBLE, gross_margin_pct DOUBLE, operating_margin_pct DOUBLE,
            headcount DOUBLE, response_rate DOUBLE, n_customer_responses INTEGER)""",
        # the current attributes of each unit: its latest row (a units upload adds a row,
        # a rollback removes it, and the earlier row shows again)
        """CREATE VIEW units_current AS
            SELECT * EXCLUDE (rn) FROM (
                SELECT *, row_number() OVER (PARTITION BY unit_id ORDER BY batch_id DESC) AS rn
                FROM units) WHERE rn = 1""",
        """CREATE TABLE mappings (
            name VARCHAR NOT NULL, dataset VARCHAR NOT NULL, header_signature VARCHAR,
            mapping_json VARCHAR NOT NULL, saved_at TIMESTAMP)""",
        "CREATE TABLE meta (key VARCHAR NOT NULL, value VARCHAR)",
        "INSERT INTO meta VALUES ('data_version', '0')",
    ],
    # 2: rating items in a narrow layout. A response's items are (batch_id, row_no, item,
    # value); its unit and month are the response's, and an item's scale is one row per
    # batch in <dataset>_item_scales, so a load writes half the columns (4M cells of items
    # per 1M responses). A batch whose item has two scales cannot be narrowed: the
    # migration stops before changing anything.
    [
        statement
        for dataset in ("employee", "customer")
        for statement in (
            f"""SELECT error('{dataset}_items: an item has two scales in batch '
                             || batch_id || ' (' || item || '); the file was left untouched')
                FROM {dataset}_items GROUP BY batch_id, item
                HAVING count(DISTINCT (lo, hi)) > 1""",
            f"""CREATE TABLE {dataset}_item_scales (
                batch_id INTEGER NOT NULL, item VARCHAR NOT NULL, lo DOUBLE, hi DOUBLE)""",
            f"""INSERT INTO {dataset}_item_scales
                SELECT batch_id, item, any_value(lo), any_value(hi) FROM {dataset}_items
                GROUP BY batch_id, item ORDER BY batch_id, item""",
            f"""CREATE TABLE {dataset}_items_v2 (
                batch_id INTEGER NOT NULL, row_no INTEGER NOT NULL,
                item VARCHAR NOT NULL, value DOUBLE NOT NULL)""",
            f"""INSERT INTO {dataset}_items_v2
                SELECT batch_id, row_no, item, value FROM {dataset}_items""",
            f"DROP TABLE {dataset}_items",
            f"ALTER TABLE {dataset}_items_v2 RENAME TO {dataset}_items",
        )
    ],
    # 3: the rows a corrected file replaced are kept (with the batch that replaced them),
    # so rolling that batch back restores them instead of leaving its months empty
    [
        *(f"""CREATE TABLE {table}_replaced AS
              SELECT *, NULL::INTEGER AS replaced_by FROM {table} LIMIT 0"""
          for table in ("employee_responses", "customer_responses", "financials",
                        "employee_items", "customer_items", "batch_scope")),
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file, 0 for a new file."""
    cur = con.cursor()
    exists = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version' "
        "AND table_catalog = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the database to ``SCHEMA_VERSION``, each migration in its own transaction.

    Each step checks the version again inside its transaction (under the writers' lock):
    two processes opening a new shared store at once migrate it once.
    """
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"The database has schema version {version}, newer than this program "
            f"({SCHEMA_VERSION}). Upgrade the program; the file was left untouched."
        )
    if version == SCHEMA_VERSION:
        return SCHEMA_VERSION
    with transaction(con) as tx:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with transaction(con) as tx:
            if current_version(tx) >= target:  # another process did it meanwhile
                continue
            for statement in MIGRATIONS[target - 1]:
                tx.execute(statement)
            tx.execute("INSERT INTO schema_version VALUES (?, now())", [target])
    return SCHEMA_VERSION
