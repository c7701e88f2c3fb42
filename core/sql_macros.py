"""DuckDB macros that band STLs in SQL with exactly the logic of ``core.stl.band_for``.

Why this module exists
----------------------
Pages filter and count up to a million offence rows; banding them row by row in Python on
every rerun would be slow, so the band is computed in SQL. To keep one source of truth, the
SQL is *generated from* the ``core.stl`` band and rule constants, and
``tests/unit/test_sql_macros.py`` checks the macro against ``band_for`` on the threshold
boundaries and on hypothesis-generated inputs.

Macros (installed by :func:`install_macros`)::

    stl_band(stl_date, stl_rule, as_of, submitted_date, commenced_date,
             red_unsub := 14, red_unch := 7, amber_unsub := 42)  -> VARCHAR band
    stl_days_remaining(stl_date, as_of)                          -> BIGINT (NULL if either NULL)

All eight ``stl_band`` arguments may be passed positionally (DuckDB 2.0 accepts positional
values for parameters with defaults); the last three default to ``core.stl.BandThresholds()``.
Date arguments are cast to DATE, so TIMESTAMP columns are truncated to their day, matching
the Python function which works on dates. ``as_of`` is a parameter, never ``current_date``:
the caller decides what "today" is.
"""

from __future__ import annotations

from typing import Any

from core.stl import (
    AMBER,
    BLACK,
    COMMENCED,
    DEFAULT_THRESHOLDS,
    GREEN,
    NO_LIMIT,
    NO_STATUTORY_LIMIT,
    RED,
    UNKNOWN,
)

__all__ = ["STL_BAND_MACRO", "STL_DAYS_REMAINING_MACRO", "MACROS_SQL", "install_macros"]


def _q(text: str) -> str:
    """Quote a constant as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


_T = DEFAULT_THRESHOLDS

STL_DAYS_REMAINING_MACRO = """\
CREATE OR REPLACE MACRO stl_days_remaining(stl_date, as_of) AS
    CAST(stl_date AS DATE) - CAST(as_of AS DATE)"""

STL_BAND_MACRO = f"""\
CREATE OR REPLACE MACRO stl_band(
    stl_date, stl_rule, as_of, submitted_date, commenced_date,
    red_unsub := {_T.red_days_unsubmitted}, red_unch := {_T.red_days_uncharged}, amber_unsub := {_T.amber_days_unsubmitted}
) AS
CASE
    WHEN stl_rule = {_q(NO_STATUTORY_LIMIT)} THEN {_q(NO_LIMIT)}
    WHEN stl_date IS NULL THEN {_q(UNKNOWN)}
    WHEN commenced_date IS NOT NULL AND CAST(commenced_date AS DATE) <= CAST(as_of AS DATE) THEN
        CASE WHEN CAST(commenced_date AS DATE) <= CAST(stl_date AS DATE)
             THEN {_q(COMMENCED)} ELSE {_q(BLACK)} END
    WHEN CAST(as_of AS DATE) > CAST(stl_date AS DATE) THEN {_q(BLACK)}
    WHEN CAST(stl_date AS DATE) - CAST(as_of AS DATE) <= red_unch THEN {_q(RED)}
    WHEN (submitted_date IS NULL OR CAST(submitted_date AS DATE) > CAST(as_of AS DATE))
         AND CAST(stl_date AS DATE) - CAST(as_of AS DATE) <= red_unsub THEN {_q(RED)}
    WHEN (submitted_date IS NULL OR CAST(submitted_date AS DATE) > CAST(as_of AS DATE))
         AND CAST(stl_date AS DATE) - CAST(as_of AS DATE) <= amber_unsub THEN {_q(AMBER)}
    ELSE {_q(GREEN)}
END"""

MACROS_SQL: tuple[str, ...] = (STL_DAYS_REMAINING_MACRO, STL_BAND_MACRO)
"""Every macro statement, in install order."""


def install_macros(con: Any) -> None:
    """Create (or replace) the STL macros on a DuckDB connection.

    ``con`` is a ``duckdb.DuckDBPyConnection``. Macros are per-database objects: call this
    once per connection/database before running page queries that use ``stl_band``.
    """
    for statement in MACROS_SQL:
        con.execute(statement)
