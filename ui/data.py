"""The dashboard's access to the store: one read-only connection per published generation, and
cached query results keyed by generation, scope and as-of date.

Only this module caches. Every cached function takes the generation name and the viewer's scope
as arguments, so a new load invalidates results without a manual clear and two scopes never
share an entry. Core query functions stay undecorated.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from core import queries
from core.config import Settings
from core.scope import Scope
from core.store import NoData, Store


@st.cache_resource
def settings() -> Settings:
    return Settings.load()


def store() -> Store:
    return Store(settings().store_dir)


@st.cache_resource(max_entries=3)
def _connection(generation: str) -> duckdb.DuckDBPyConnection:
    return store().connect_read(Path(generation))


def generation() -> str | None:
    """The published generation's path, read from the pointer on every run (a cheap file read)."""
    try:
        return str(store().current())
    except NoData:
        return None


def connection(gen: str) -> duckdb.DuckDBPyConnection:
    return _connection(gen)


def _scope(forces: tuple[str, ...], teams: tuple[str, ...] | None) -> Scope:
    return Scope(forces, teams)


@st.cache_data(max_entries=64, show_spinner=False)
def forces_and_teams(gen: str, forces: tuple[str, ...]) -> pd.DataFrame:
    return queries.forces_and_teams(connection(gen), Scope(forces, None))


@st.cache_data(max_entries=8, show_spinner=False)
def all_forces(gen: str) -> tuple[str, ...]:
    cur = connection(gen).cursor()
    try:
        rows = cur.execute(
            "SELECT DISTINCT force_code FROM (SELECT force_code FROM case_offences "
            "UNION SELECT force_code FROM custody) ORDER BY 1"
        ).fetchall()
    finally:
        cur.close()
    return tuple(r[0] for r in rows)


@st.cache_data(max_entries=8, show_spinner=False)
def data_as_of(gen: str) -> pd.DataFrame:
    return queries.data_as_of(connection(gen))


@st.cache_data(max_entries=256, show_spinner=False)
def home_counts(
    gen: str, forces: tuple[str, ...], teams: tuple[str, ...] | None, as_of: date
) -> dict[str, object]:
    con = connection(gen)
    scope = _scope(forces, teams)
    t = settings().thresholds
    return {
        "bands": queries.stl_band_counts(con, scope, as_of, t),
        "queue": queries.cjs_queue_length(con, scope, as_of, t),
        "reviews": queries.review_counts(con, scope, as_of, t),
        "ngap": queries.ngap_light_counts(con, scope, as_of, t),
    }


@st.cache_data(max_entries=64, show_spinner=False)
def insight(gen: str, forces: tuple[str, ...], teams: tuple[str, ...] | None, as_of: date):
    from core import insight as insight_report

    return insight_report.build(connection(gen), _scope(forces, teams), as_of, settings().thresholds)
