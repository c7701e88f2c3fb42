"""Named SQL queries, kept in ``*.sql`` files beside this module, and the functions that run them.

Each ``.sql`` file holds several queries, each introduced by ``-- name: <name>`` and a comment
saying what one row means. Values are always DuckDB named parameters (``$as_of``, ``$forces``)
bound at execution; ``run`` binds exactly the parameters a query mentions. Every query is limited
by the viewer's ``Scope`` (forces and teams), bound as ``$forces`` / ``$all_teams`` / ``$teams``.

The rules that depend on the as-of date (STL band, review status, NGAP light) are SQL macros
installed on each cursor by ``prepare`` (``core.sql_rules``); the rules that do not (the STL date
itself) were computed at load time by ``core.stl``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from core.config import Thresholds
from core.scope import Scope

HERE = Path(__file__).parent
_NAME = re.compile(r"^-- (name|fragment): (\w+)\s*$", re.M)
_INCLUDE = re.compile(r"\{\{> (\w+)\}\}")
_SCOPE = re.compile(r"\{\{scope(?: (\w+))?\}\}")
SCOPE_SQL = (
    "list_contains($forces, {a}force_code)"
    " AND ($all_teams OR list_contains($teams, {a}team))"
    " AND ($all_officers OR list_contains($officers, {a}oic_id))"
)
"""The viewer's scope as SQL. ``{{scope}}`` in a query expands to it; ``{{scope c}}`` for alias c."""
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")



@cache
def queries() -> dict[str, str]:
    """Every named query of the ``*.sql`` files, with fragments and the scope expanded.

    A ``-- fragment: <name>`` block is not a query: it is text that queries include with
    ``{{> <name>}}`` (a shared CTE, say), so a population several queries share is written once.
    """
    found: dict[str, str] = {}
    fragments: dict[str, str] = {}
    for path in sorted(HERE.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        parts = _NAME.split(text)
        for kind, name, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
            target = found if kind == "name" else fragments
            if name in target:
                raise ValueError(f"{kind} {name} is defined twice")
            target[name] = body.strip().rstrip(";")
    for name, body in found.items():
        body = _INCLUDE.sub(lambda m: fragments[m.group(1)], body)
        body = _SCOPE.sub(lambda m: SCOPE_SQL.format(a=f"{m.group(1)}." if m.group(1) else ""), body)
        found[name] = body
    return found


def prepare(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of ``con`` with the rule macros installed (macros are per cursor in DuckDB), and the
    derived tables as temporary views if the store was written before the loader built them."""
    from core import derived
    from core.sql_rules import install

    cur = con.cursor()
    install(cur)
    for statement in derived.statements_for(cur):
        cur.execute(statement)
    return cur


def run(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any], macros: Sequence[str] = ()
) -> pd.DataFrame:
    """Run the named query on its own cursor, binding the parameters it mentions; ``macros`` are
    extra statements (a page's own temporary macros) installed on the cursor first."""
    sql = queries()[name]
    wanted = set(_PARAM.findall(sql))
    missing = wanted - set(params)
    if missing:
        raise KeyError(f"query {name} needs parameter(s): {', '.join(sorted(missing))}")
    cur = prepare(con)
    try:
        for statement in macros:
            cur.execute(statement)
        return cur.execute(sql, {k: params[k] for k in wanted}).df()
    finally:
        cur.close()


def rule_params(as_of: date, thresholds: Thresholds) -> dict[str, Any]:
    from core.ngap import LIGHT_ORDER
    from core.stl import BAND_ORDER

    return {
        "as_of": as_of,
        "red_unsub": thresholds.red_days_unsubmitted,
        "red_unch": thresholds.red_days_uncharged,
        "amber_unsub": thresholds.amber_days_unsubmitted,
        "band_order": list(BAND_ORDER),
        "light_order": list(LIGHT_ORDER),
        "review_days": thresholds.review_period_days,
        "review_soon": thresholds.review_due_soon_days,
        "ngap_soon": thresholds.ngap_due_soon_days,
        "horizon": thresholds.insight_days,
    }


def _params(scope: Scope, as_of: date, thresholds: Thresholds) -> dict[str, Any]:
    return {**scope.params(), **rule_params(as_of, thresholds)}


# -- home page -------------------------------------------------------------------------------
def stl_band_counts(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> pd.DataFrame:
    """Cases not closed, by the worst STL band among their offences (columns band, cases)."""
    return run(con, "stl_band_counts", _params(scope, as_of, thresholds))


def cjs_queue_length(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> int:
    """Case files submitted to CJS and not yet finished as of ``as_of``: the Submission queue
    page's own definition (``core.queue``), so the Overview and that page always agree."""
    from core import queue

    return queue.queue_count(con, scope, as_of, thresholds)


def review_counts(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> pd.DataFrame:
    """Open investigations by 28-day review status (columns status, investigations)."""
    return run(con, "review_counts", _params(scope, as_of, thresholds))


def ngap_light_counts(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> pd.DataFrame:
    """NGAP cases awaiting an upgrade file, by traffic light (columns light, cases)."""
    return run(con, "ngap_light_counts", _params(scope, as_of, thresholds))


def data_as_of(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The files behind the published data, newest first."""
    return run(con, "data_as_of", {})


def forces_and_teams(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    return run(con, "forces_and_teams", scope.params())


# -- Insight report --------------------------------------------------------------------------
def insight_cases(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> pd.DataFrame:
    """Open, unsubmitted cases whose STL falls within ``thresholds.insight_days`` of ``as_of``."""
    return run(con, "insight_cases", _params(scope, as_of, thresholds))


def custody_missed_target(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds
) -> pd.DataFrame:
    """Custody records whose file target date passed with no case file submitted."""
    return run(con, "custody_missed_target", _params(scope, as_of, thresholds))


def people(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Officers', supervisors' and section leaders' names and collar numbers (for JOIM masking)."""
    return run(con, "people", {})["v"].tolist()
