"""The DuckDB stl_band macro must agree with core.stl.band_for on every input."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.sql_macros import MACROS_SQL, STL_BAND_MACRO, install_macros
from core.stl import (
    BAND_ORDER,
    CHECK_S22,
    MISSING_OFFENCE_DATE,
    NO_STATUTORY_LIMIT,
    S39A,
    S127,
    UNKNOWN_OFFENCE,
    BandThresholds,
    band_for,
    days_remaining,
)

STL = date(2025, 7, 15)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    install_macros(c)
    yield c
    c.close()


def sql_band(con, stl_date, rule, as_of, submitted, commenced, t: BandThresholds | None = None):
    if t is None:
        return con.execute("SELECT stl_band(?, ?, ?, ?, ?)", [stl_date, rule, as_of, submitted, commenced]).fetchone()[0]
    return con.execute(
        "SELECT stl_band(?, ?, ?, ?, ?, ?, ?, ?)",
        [stl_date, rule, as_of, submitted, commenced, t.red_days_unsubmitted, t.red_days_uncharged, t.amber_days_unsubmitted],
    ).fetchone()[0]


# Boundary table: the day before / on / after each threshold, submitted or not, plus the
# commenced / no-limit / unknown branches.
BOUNDARY_CASES = [
    (STL, S127, STL - timedelta(days=d), (STL - timedelta(days=d + 1)) if sub else None, None)
    for d in (43, 42, 41, 15, 14, 13, 8, 7, 6, 1, 0, -1, -30)
    for sub in (False, True)
] + [
    (STL, S127, STL, None, STL),
    (STL, S127, STL + timedelta(days=1), None, STL + timedelta(days=1)),
    (STL, S127, STL - timedelta(days=5), None, STL - timedelta(days=3)),
    (STL, S127, STL - timedelta(days=20), STL - timedelta(days=19), None),
    (STL, S127, STL - timedelta(days=20), STL - timedelta(days=20), None),
    (None, NO_STATUTORY_LIMIT, STL, None, None),
    (STL, NO_STATUTORY_LIMIT, STL, None, None),
    (None, UNKNOWN_OFFENCE, STL, None, None),
    (None, MISSING_OFFENCE_DATE, STL, None, STL),
    (None, None, STL, None, None),
    (STL, None, STL - timedelta(days=50), None, None),
    (STL, CHECK_S22, STL - timedelta(days=10), None, None),
]


@pytest.mark.parametrize(("stl_date", "rule", "as_of", "submitted", "commenced"), BOUNDARY_CASES)
def test_the_sql_macro_matches_band_for_on_the_threshold_boundaries(con, stl_date, rule, as_of, submitted, commenced):
    assert sql_band(con, stl_date, rule, as_of, submitted, commenced) == band_for(stl_date, rule, as_of, submitted, commenced)


@pytest.mark.parametrize(
    "t",
    [BandThresholds(), BandThresholds(21, 10, 56), BandThresholds(0, 0, 0), BandThresholds(7, 14, 28)],
)
@pytest.mark.parametrize("days_before", range(-2, 60, 1))
def test_the_sql_macro_matches_band_for_with_custom_thresholds(con, t, days_before):
    as_of = STL - timedelta(days=days_before)
    for submitted in (None, as_of - timedelta(days=1)):
        assert sql_band(con, STL, S127, as_of, submitted, None, t) == band_for(STL, S127, as_of, submitted, None, t)


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31))
rules = st.sampled_from([S127, S39A, CHECK_S22, NO_STATUTORY_LIMIT, UNKNOWN_OFFENCE, MISSING_OFFENCE_DATE, None])
thresholds = st.builds(
    BandThresholds,
    red_days_unsubmitted=st.integers(0, 60),
    red_days_uncharged=st.integers(0, 60),
    amber_days_unsubmitted=st.integers(0, 120),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stl_date=st.none() | dates,
    rule=rules,
    as_of=dates,
    submitted=st.none() | dates,
    commenced=st.none() | dates,
    t=thresholds,
)
def test_the_sql_macro_agrees_with_band_for_on_generated_inputs(con, stl_date, rule, as_of, submitted, commenced, t):
    assert sql_band(con, stl_date, rule, as_of, submitted, commenced, t) == band_for(stl_date, rule, as_of, submitted, commenced, t)


def test_the_macro_bands_a_whole_table_in_one_query(con):
    rows = [(STL, S127, STL - timedelta(days=d), None, None) for d in range(-5, 100)]
    con.execute("CREATE OR REPLACE TEMP TABLE t (stl_date DATE, stl_rule VARCHAR, as_of DATE, submitted DATE, commenced DATE)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    got = con.execute(
        "SELECT stl_band(stl_date, stl_rule, as_of, submitted, commenced) FROM t ORDER BY as_of DESC"
    ).fetchall()
    assert [g[0] for g in got] == [band_for(*r) for r in rows]


def test_timestamp_arguments_are_banded_by_their_date(con):
    got = con.execute(
        "SELECT stl_band(?::TIMESTAMP, 'S127', ?::TIMESTAMP, NULL, ?::TIMESTAMP)",
        [datetime(2025, 7, 15, 0, 0), datetime(2025, 7, 15, 18, 0), datetime(2025, 7, 15, 23, 59)],
    ).fetchone()[0]
    assert got == "COMMENCED"


@pytest.mark.parametrize(
    ("stl_date", "as_of"),
    [(STL, STL), (STL, STL - timedelta(days=42)), (STL, STL + timedelta(days=3)), (None, STL), (STL, None)],
)
def test_stl_days_remaining_matches_days_remaining(con, stl_date, as_of):
    got = con.execute("SELECT stl_days_remaining(?::DATE, ?::DATE)", [stl_date, as_of]).fetchone()[0]
    assert got == days_remaining(stl_date, as_of)


def test_the_macro_uses_the_band_names_from_core_stl_and_never_reads_the_clock():
    for band in BAND_ORDER:
        assert f"'{band}'" in STL_BAND_MACRO
    for sql in MACROS_SQL:
        lowered = sql.lower()
        assert "current_date" not in lowered and "now()" not in lowered and "today()" not in lowered


def test_install_macros_can_run_twice_on_the_same_connection():
    c = duckdb.connect()
    install_macros(c)
    install_macros(c)
    assert c.execute("SELECT stl_band(DATE '2025-07-15', 'S127', DATE '2025-07-16', NULL, NULL)").fetchone()[0] == "BLACK"
    c.close()
