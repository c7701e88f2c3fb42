"""Rules that depend on the as-of date, as DuckDB macros, so pages can apply them to every row.

The Python functions in ``core.stl`` and ``core.ngap`` are the reference definitions (with their
legal sources and boundary tests); each macro here is checked against its Python twin by the
tests in ``tests/unit/test_sql_macros.py`` and ``tests/unit/test_sql_rules.py``. Macros are
temporary and per cursor, so ``install`` runs on every cursor a query uses.
"""

from __future__ import annotations

import duckdb

from core.ngap import NGAP_LIGHT_MACRO
from core.sql_macros import MACROS_SQL

REVIEW_MACROS = (
    # R13: next review = last review + period, or start + period if never reviewed.
    """CREATE OR REPLACE TEMP MACRO review_due(last_review, started, period) AS
        CAST(coalesce(last_review, started) + CAST(period AS INTEGER) AS DATE)""",
    """CREATE OR REPLACE TEMP MACRO review_status(due, as_of, soon) AS
        CASE WHEN due IS NULL THEN 'UNKNOWN'
             WHEN as_of > due THEN 'OVERDUE'
             WHEN due - as_of <= soon THEN 'DUE'
             ELSE 'OK' END""",
)


def install(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in MACROS_SQL:
        # Temporary macros: the published database is read-only, and temp objects need no write.
        con.execute(stmt.replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO", 1))
    con.execute(NGAP_LIGHT_MACRO)
    for stmt in REVIEW_MACROS:
        con.execute(stmt)
