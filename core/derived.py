"""Tables the loader derives from the extracts once per load (see core/queries/derived.sql).

``case_file`` holds one row per case file (force_code, urn) with its first row's file-level
columns, so the Submission queue and the Overview's queue count read ~0.65 rows per offence row
with no regrouping, instead of regrouping every offence row on every query. A store published
before the table existed is still served: :func:`statements_for` gives the cursor a temporary
view with the same definition, so answers never depend on which version wrote the store.
"""

from __future__ import annotations

import duckdb

from core.queries import queries

CASE_FILE = "case_file"


def build(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build every derived table from the published extract tables (the loader calls this
    after the STL dates are worked out, inside the generation being built)."""
    con.execute(f"CREATE OR REPLACE TABLE {CASE_FILE} AS {queries()['case_file_build']}")


def has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    cur = con.cursor()
    try:
        return bool(cur.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = $t", {"t": CASE_FILE}).fetchall()[0][0])
    finally:
        cur.close()


def statements_for(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Statements to run on a query's cursor first: none when the store has the derived tables,
    else temporary views computing them (a read-only store written by an older version)."""
    if has_tables(con):
        return []
    return [f"CREATE OR REPLACE TEMP VIEW {CASE_FILE} AS {queries()['case_file_build']}"]
