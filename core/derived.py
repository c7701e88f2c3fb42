"""Tables the loader derives from the extracts once per load (see core/queries/derived.sql).

``case_file`` holds one row per case file (force_code, urn) with its first row's file-level
columns, so the Submission queue and the Overview's queue count read ~0.65 rows per offence row
with no regrouping, instead of regrouping every offence row on every query; ``ngap_part`` holds
the NGAP tracker's population pre-aggregated per case, team and officer, with each offence's STL
inputs, so the tracker's five queries and the Overview's lights no longer scan every offence row
(bands still depend on the as-of date and are worked out per query); ``officer_list`` holds the
sidebar's force/team/officer choices. A store published
before the table existed is still served: :func:`statements_for` gives the cursor a temporary
view with the same definition, so answers never depend on which version wrote the store.
"""

from __future__ import annotations

import duckdb

from core.queries import queries

CASE_FILE = "case_file"
NGAP_PART = "ngap_part"
OFFICER_LIST = "officer_list"
TABLES = {CASE_FILE: "case_file_build", NGAP_PART: "ngap_part_build", OFFICER_LIST: "officer_list_build"}
"""Each derived table and the named query (core/queries/derived.sql) that builds it."""


def build(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build every derived table from the published extract tables (the loader calls this
    after the STL dates are worked out, inside the generation being built)."""
    for table, query in TABLES.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} AS {queries()[query]}")


def _tables(cur: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND list_contains($t, table_name)",
        {"t": [*TABLES, "case_offences"]}).fetchall()}


def has_tables(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store ``cur`` reads has the derived tables (one catalog lookup, ~1 ms)."""
    return set(TABLES) <= _tables(cur)


def statements_for(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Statements to run on a query's cursor first (``core.queries.prepare`` runs them): none when
    the store has the derived tables, else temporary views computing them (a read-only store
    written by an older version). Temporary views live on the cursor, as the rule macros do."""
    found = _tables(cur)
    if "case_offences" not in found:  # not a store (the what-changed comparison's attached copies)
        return []
    return [f"CREATE OR REPLACE TEMP VIEW {table} AS {queries()[query]}"
            for table, query in TABLES.items() if table not in found]
