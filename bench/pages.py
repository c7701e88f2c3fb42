"""Casewatch per-page benchmark: each page's full rerun through Streamlit, its data work alone in
DuckDB, and the same data work in plain pandas, at a chosen number of case-file rows.

Usage (from the repository root, with the project venv)::

    .venv/bin/python -m bench.pages [--rows 1000000] [--data-dir DIR] [--pages home stl_watch ...]
                                    [--reruns 5] [--repeat 5] [--out bench/out] [--quiet-wait 120]
                                    [--reload] [--anchor 2026-11-24]

Data
----
``--data-dir DIR`` (default: a temporary folder, removed afterwards) holds the generated CSVs and
the store built from them (``DIR/store``). Missing CSVs are generated with
``sample_data.generate.generate`` (seed 36, anchor ``--anchor``) and loaded with
``data_loaders.load.load_extracts``, each in its own process (times reported, never part of a page
figure). A store already in ``DIR/store`` is reused unless ``--reload``; its generation's file
time and the code fingerprint at run time are reported. Keep DIR outside the repository.

What is measured, per page (home, stl_watch, submission_queue, my_team, ngap_tracker), each part
in a FRESH Python process (``python -m bench.worker page_app|page_duckdb|page_pandas``; peak RSS
is the child's ``ru_maxrss`` from ``os.wait4``, as in ``bench.run``):

1. ``page_app`` — the full rerun through Streamlit's ``AppTest`` running ``dashboard.py`` with
   ``CASEWATCH_STORE`` = the store, switched to the page before its first run, as-of date fixed at
   the anchor through the URL (``as_of`` query parameter), the sidebar's default period (12 weeks
   to the as-of date), all forces, signed in as the default local identity (role cjs_manager, every
   force; ``server.address`` set to loopback and the audit log in a scratch folder, as
   tests/app/conftest.py does). ``PagesManager.uses_pages_directory`` is pinned to False as the
   server has it (tests/app/conftest.py). Streamlit, pandas, DuckDB, plotly and the page's
   ``core``/``ui`` modules are imported before the clock starts (import time reported apart).
   Timed (wall, in process): the **first run** (cold caches: connection, sidebar and page queries
   all miss); **cached reruns** (``--reruns``, every ``st.cache_*`` hit); a **filter change**
   that misses the cache (one force chosen in the sidebar, each force in turn; then back to all
   forces); and **reruns after ``st.cache_data.clear()``** (``--reruns``; the same queries as (2)
   re-run on the warm connection: with (2) this gives the page's overhead, i.e. Streamlit
   building and shipping its elements). Every run must end without an exception.
2. ``page_duckdb`` — the page's data work alone: the ``core`` functions the page runs through
   ``ui.data.q`` (and the sidebar's cached queries), with the arguments the page passes in its
   default view, on one ``Store.connect_read()`` connection: first call (cold buffer pool), then
   1 warm-up + median of ``--repeat``.
3. ``page_pandas`` — the same data work in plain pandas/numpy (no DuckDB after loading) on
   DataFrames loaded from the store (only the columns the page needs; load time and frame size
   reported apart), timed the same way. Its answers (the headline counts and tables of every
   item; see ``answers`` below) are **asserted equal** to the DuckDB answers. Small pure helpers
   of ``core`` that format query results (``with_explanations`` on a 500-row page, the
   ``WatchSummary`` / ``QueueLists`` containers, ``upcoming_working_days``) are shared by both
   sides; every scan, filter, join, group and sort over the store's rows is pandas.
   The twins mirror the calls one to one: each recomputes its own population from the frames, as
   each DuckDB query does (the NGAP tracker's five calls each rebuild the NGAP case population).
   They are written as a careful pandas author would: Arrow chunks combined at load (counted in
   the load time), only the needed columns sorted or copied, string columns kept Arrow-backed,
   per-case aggregates keyed by ``groupby(...).ngroup()`` codes rather than joins on a 3-string
   MultiIndex (which cost 4-9 s at 1M rows in pandas 3.1).

Before each process the harness waits for other processes to use < 0.5 cores, but at most
``--quiet-wait`` seconds in total over the whole run (default 120), and records the cores other
processes used during each process ("other load"; ⚠ at ≥ 0.5). A fingerprint of the product
files (``core``, ``ui``, ``pages``, ``dashboard.py``, ``data_loaders``) is taken at the start and
the end; the report warns if they changed during the run.

Writes ``<out>/pages-<rows>.md`` and ``<out>/pages-<rows>.json`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("home", "stl_watch", "submission_queue", "my_team", "ngap_tracker")
APP_ONLY = ("quality", "changes", "joim")
"""Pages measured through Streamlit only: no plain-pandas twin of their data work is written yet."""
TITLES = {
    "home": "Overview",
    "stl_watch": "STL watch",
    "submission_queue": "Submission queue",
    "my_team": "My Team",
    "ngap_tracker": "NGAP tracker",
    "quality": "Case-building quality",
    "changes": "What changed since the last JOIM",
    "joim": "JOIM view",
}
PAGE_HAS_TITLE = {"joim": False}
"""The JOIM view's heading is the measure on screen, not an st.title."""
ANCHOR = "2026-11-24"
PERIOD_WEEKS = 12
"""ui.filters.DEFAULT_PERIOD_WEEKS (checked in the AppTest worker; not imported here, it imports streamlit)."""


# =============================================================================================
# Shared context: the page's default view
# =============================================================================================
@dataclass(frozen=True)
class Ctx:
    as_of: date
    forces: tuple[str, ...]

    @property
    def period(self) -> tuple[date, date]:
        return (self.as_of - timedelta(weeks=PERIOD_WEEKS), self.as_of)

    @property
    def scope(self):
        from core.scope import Scope

        return Scope.everything(self.forces)

    @property
    def settings(self):
        from core.config import Settings

        return _settings(Settings)

    @property
    def thresholds(self):
        return self.settings.thresholds

    @property
    def closures(self) -> tuple[str, ...]:
        return tuple(self.settings.extra_closures)


_SETTINGS: list[Any] = []


def _settings(cls):
    if not _SETTINGS:
        _SETTINGS.append(cls.load())
    return _SETTINGS[0]


@dataclass(frozen=True)
class Item:
    """One cached data call of a page: ``run(source, prev)`` where source is a DuckDB connection
    (DuckDB side) or the loaded frames (pandas side), ``prev`` the results of earlier items."""

    name: str
    run: Callable[[Any, dict[str, Any]], Any]


# =============================================================================================
# Canonical answers (the same function for both sides of an item)
# =============================================================================================
def _canon(v: Any) -> Any:
    import numpy as np
    import pandas as pd

    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_canon(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return None
        return int(f) if f.is_integer() else round(f, 6)
    if isinstance(v, (pd.Timestamp, datetime)):
        if pd.isna(v):
            return None
        ts = pd.Timestamp(v)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else _canon(pd.Timestamp(v))
    if isinstance(v, date):
        return v.isoformat()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def tab(df, cols: list[str] | None = None, sort: bool = False) -> list[list[Any]]:
    """A frame as a list of rows of canonical values (``cols`` in that order; ``sort``: order-free)."""
    cols = list(df.columns) if cols is None else cols
    rows = [[_canon(x) for x in r] for r in df[cols].itertuples(index=False, name=None)]
    if sort:
        rows.sort(key=lambda r: [(x is None, str(x)) for x in r])
    return rows


def answer(page: str, name: str, result: Any) -> Any:
    """The canonical answer of one item's result: what the two sides must agree on."""
    import pandas as pd

    if name == "all_forces":
        return [_canon(x) for x in result]
    if name == "forces_and_teams":
        return tab(result, ["force_code", "team", "oic_id", "oic_name"])
    if name == "data_as_of":
        return tab(result, ["file_name", "kind", "rows_read", "rows_loaded", "rows_quarantined"])
    if name == "cjs_queue_length":
        return int(result)
    if name in ("stl_band_counts", "review_counts", "ngap_light_counts"):
        return tab(result)
    if name == "watch":
        from core import stl_watch as sw

        g = result.summary.groups
        cases = result.cases
        return {
            "groups": tab(g, ["category", "band", "bucket", "day", "cases", "offence_rows"], sort=True),
            "bands": {k: int(v) for k, v in sorted(result.summary.bands.items())},
            "countdown": tab(sw.countdown_table(result.summary)),
            "pages": result.pages,
            "cases": tab(cases, WATCH_CASE_COLS),
        }
    if name == "custody_missed_target":
        return tab(result, ["force_code", "custody_record_id", "urn", "team", "oic_id", "file_target_date",
                            "arrest_date", "days_overdue", "file_position", "total_rows"])
    if name == "black_by_team_month":
        return tab(result, ["force_code", "team", "month", "cases"])
    if name == "black_cases":
        return tab(result, ["month", "stl_date", "last_working_day", "days_since", "force_code", "team", "urn",
                            "defendant_id", "offence_seq", "offence_code", "offence_title", "stl_rule",
                            "commenced_date", "submitted_to_cjs_date", "oic_id", "file_status", "how",
                            "total_rows"])
    if name == "case_offences":
        return tab(result, ["band", "offence_seq", "offence_code", "offence_title", "stl_rule", "stl_date",
                            "last_working_day", "days_remaining", "commenced_date", "submitted_to_cjs_date",
                            "how", "urn", "defendant_id"])
    if name == "positions":
        return tab(result, ["position", "age_bucket", "files", "stl_in_window", "police_days", "cjs_days",
                            "unattributed_days", "oldest_days"], sort=True)
    if name == "weekly":
        return tab(result)
    if name == "stage_times":
        return tab(result, ["transition", "files", "median_days", "p90_days"])
    if name == "queue_lists":
        return {"matching": result.matching, "priority": tab(result.priority, QUEUE_LIST_COLS),
                "oldest": tab(result.oldest, QUEUE_LIST_COLS)}
    if name == "workload" and page == "my_team":
        return tab(result, MY_TEAM_COLS)
    if name == "backlog":
        return tab(result, ["force_code", "group_name", "group_key", "unallocated", "overdue", "due_soon",
                            "no_due_date", "on_track", "cases"])
    if name == "workload":
        return tab(result, ["force_code", "officer_id", "officer_key", "officer_name", "section_leaders", "overdue",
                            "due_soon", "no_due_date", "on_track", "cases"])
    if name == "case_counts":
        return tab(result, ["light", "cases", "in_drill"])
    if name == "cases":
        return tab(result, NGAP_CASE_COLS)
    if name == "trend":
        return tab(result, ["week_ending", "unallocated", "overdue", "after_first_hearing"])
    if isinstance(result, pd.DataFrame):
        return tab(result)
    return _canon(result)


def headline(page: str, name: str, ans: Any) -> str:
    """A short human summary of an answer (for the report), e.g. '7 bands, 61,208 cases'."""
    def rows(x):
        return f"{len(x):,} rows"

    if name == "cjs_queue_length":
        return f"{ans:,} files"
    if name in ("stl_band_counts", "ngap_light_counts", "review_counts", "case_counts"):
        return f"{sum(r[1] for r in ans):,} in {len(ans)} groups"
    if name == "watch":
        listed = ans["cases"][0][WATCH_CASE_COLS.index("total_listed")] if ans["cases"] else 0
        return f"{sum(r[4] for r in ans['groups']):,} cases, {listed:,} listed"
    if name == "queue_lists":
        return f"{ans['matching']:,} files, {len(ans['priority'])} listed"
    if name == "positions":
        return f"{sum(r[2] for r in ans):,} files"
    if isinstance(ans, list):
        return rows(ans)
    return ""


WATCH_CASE_COLS = ["position", "band", "last_working_day", "working_days_left", "stl_date", "days_remaining",
                   "force_code", "urn", "defendant_id", "offence_seq", "offence_code", "offence_title", "stl_rule",
                   "offence_start_date", "statement_vri_date", "commenced_date", "submitted_to_cjs_date",
                   "stl_long_stop_date", "stl_source", "oic_id", "team", "file_status", "offence_rows", "bucket",
                   "total_listed", "how"]
QUEUE_LIST_COLS = ["force_code", "urn", "stage", "priority", "factors", "priority_row", "age_row",
                   "submitted_to_cjs_date", "age_days", "age_bucket", "stl_date", "stl_days_remaining", "band",
                   "police_days", "cjs_days", "unattributed_days", "cjs_triage_date", "cps_decision_date",
                   "file_status_in_extract", "team", "oic_id", "defendants", "offences", "matching_files"]
MY_TEAM_COLS = ["level", "force_code", "team", "oic_id", "oic_name", "officers", "investigations", "files",
                "load_score", "red", "black", "amber", "next_stl", "next_stl_last_working_day", "reviews_overdue",
                "reviews_due", "files_overdue", "files_due_soon", "custody_overdue", "upgrade_overdue",
                "no_officer_investigations", "no_officer_files", "no_officer_reviews_overdue",
                "no_officer_reviews_due", "no_officer_files_overdue", "no_officer_files_due_soon",
                "files_in_scope", "files_closed", "files_not_created", "investigations_in_scope",
                "investigations_closed", "investigations_charged", "investigations_not_created", "rows_in_level"]
NGAP_CASE_COLS = ["light", "stl_band", "force_code", "urn", "defendant_id", "allocated_officer_id",
                  "allocated_officer_name", "section_leader", "allocation_date", "upgrade_file_due_date",
                  "days_to_due", "first_hearing_date", "trial_date", "oic_id", "oic_name", "team", "file_stage",
                  "file_status", "offences"]


# =============================================================================================
# DuckDB side: the core functions each page runs (through ui.data.q) in its default view
# =============================================================================================
ALL_FORCES_SQL = (
    "SELECT DISTINCT force_code FROM (SELECT force_code FROM case_offences "
    "UNION SELECT force_code FROM custody) ORDER BY 1"
)
"""ui.data.all_forces's SQL (ui.data imports streamlit, so it is repeated here)."""


def duck_items(page: str, ctx: Ctx) -> list[Item]:
    from core import queries as Q
    from core.scope import Scope

    scope, as_of, th, period, closures = ctx.scope, ctx.as_of, ctx.thresholds, ctx.period, ctx.closures

    def all_forces(con, prev):
        cur = con.cursor()
        try:
            return tuple(r[0] for r in cur.execute(ALL_FORCES_SQL).fetchall())
        finally:
            cur.close()

    items = [
        Item("all_forces", all_forces),
        Item("forces_and_teams", lambda con, prev: Q.forces_and_teams(con, Scope(scope.forces, None))),
        Item("data_as_of", lambda con, prev: Q.data_as_of(con)),
    ]
    if page == "home":
        items += [
            Item("stl_band_counts", lambda con, prev: Q.stl_band_counts(con, scope, as_of, th)),
            Item("cjs_queue_length", lambda con, prev: Q.cjs_queue_length(con, scope, as_of, th)),
            Item("review_counts", lambda con, prev: Q.review_counts(con, scope, as_of, th)),
            Item("ngap_light_counts", lambda con, prev: Q.ngap_light_counts(con, scope, as_of, th)),
        ]
    elif page == "stl_watch":
        from core import stl_watch as sw

        cfg = ctx.settings.section("stl_watch")

        def case_offences(con, prev):
            row = prev["watch"].cases.iloc[0]
            return sw.case_offences(con, scope, as_of, th, force_code=row["force_code"], urn=row["urn"],
                                    defendant_id=row["defendant_id"], closures=closures)

        items += [
            Item("watch", lambda con, prev: sw.watch(
                con, scope, as_of, th, bands=tuple(sw.DEFAULT_BANDS), drill_bucket=None, drill_day=None, page=1,
                page_size=cfg.page_size, calendar_weeks=cfg.calendar_weeks, closures=closures)),
            Item("custody_missed_target", lambda con, prev: sw.custody_missed_target(
                con, scope, as_of, th, limit=cfg.custody_cap)),
            Item("black_by_team_month", lambda con, prev: sw.black_by_team_month(con, scope, as_of, th, period=period)),
            Item("black_cases", lambda con, prev: sw.black_cases(
                con, scope, as_of, th, period=period, force_code=None, team=None, month=None,
                limit=cfg.black_list_cap, closures=closures)),
            Item("case_offences", case_offences),
        ]
    elif page == "submission_queue":
        from core import queue as q

        policy = ctx.settings.section("queue")
        items += [
            Item("positions", lambda con, prev: q.positions(con, scope, as_of, th, policy=policy)),
            Item("weekly", lambda con, prev: q.weekly(con, scope, as_of, th, period=period, policy=policy)),
            Item("stage_times", lambda con, prev: q.stage_times(con, scope, as_of, th, period=period)),
            Item("queue_lists", lambda con, prev: q.queue_lists(
                con, scope, as_of, th, stages=tuple(q.STAGES), age_bucket=None, policy=policy)),
        ]
    elif page == "my_team":
        from core import my_team

        config = ctx.settings.section("my_team")
        items += [Item("workload", lambda con, prev: my_team.workload(con, scope, as_of, th, config=config))]
    elif page == "ngap_tracker":
        from core import ngap

        rules = ctx.settings.section("ngap_tracker")
        items += [
            Item("backlog", lambda con, prev: ngap.backlog(con, scope, as_of, th, group_by="section")),
            Item("workload", lambda con, prev: ngap.workload(con, scope, as_of, th)),
            Item("case_counts", lambda con, prev: ngap.case_counts(
                con, scope, as_of, th, group_by="section", groups=(), officers=())),
            Item("cases", lambda con, prev: ngap.cases(
                con, scope, as_of, th, lights=tuple(ngap.LIGHT_ORDER), group_by="section", groups=(), officers=(),
                cap=rules.list_cap)),
            Item("trend", lambda con, prev: ngap.trend(
                con, scope, as_of, th, period=period, step_days=rules.trend_step_days)),
        ]
    else:
        raise ValueError(f"unknown page {page!r}")
    return items


# =============================================================================================
# pandas side: frames loaded from the store, and plain-pandas twins of each item
# =============================================================================================
SIDEBAR_CO = ["force_code", "team", "oic_id", "oic_name", "load_id"]
SIDEBAR_CU = ["force_code", "team", "oic_id", "oic_name", "load_id"]
PAGE_CO = {
    "home": ["urn", "defendant_id", "file_status", "file_stage", "created_date", "stl_date", "stl_rule",
             "submitted_to_cjs_date", "commenced_date", "last_review_date", "anticipated_plea",
             "ngap_allocated_officer_id", "ngap_allocation_date", "upgrade_file_due_date", "src_row",
             "cjs_triage_date", "cjs_triage_outcome", "sent_to_cps_date", "cps_decision_date", "cps_decision"],
    "stl_watch": ["urn", "defendant_id", "supervisor_name", "created_date", "file_status", "file_stage",
                  "stl_date", "stl_rule", "stl_last_working_day", "submitted_to_cjs_date", "commenced_date",
                  "offence_seq", "offence_code", "offence_title", "offence_title_ref", "offence_start_date",
                  "offence_end_date", "victim_statement_date", "vri_date", "knowledge_date", "stl_alt_date",
                  "stl_long_stop_date", "stl_extendable", "stl_source", "stl_note", "src_row",
                  "mode_of_trial_resolved", "is_continuing", "da_flag"],
    "submission_queue": ["urn", "defendant_id", "src_row", "file_status", "file_stage", "created_date",
                         "submitted_to_cjs_date", "cjs_triage_date", "cjs_triage_outcome", "sent_to_cps_date",
                         "cps_decision_date", "cps_decision", "commenced_date", "stl_date", "stl_rule",
                         "resubmission_count", "bail_status", "da_flag", "vulnerable_victim_flag",
                         "action_plan_reasons"],
    "my_team": ["urn", "defendant_id", "last_review_date", "created_date", "stl_date", "stl_last_working_day",
                "commenced_date", "upgrade_file_due_date", "stl_rule", "submitted_to_cjs_date", "anticipated_plea",
                "file_stage", "file_status"],
    "ngap_tracker": ["urn", "defendant_id", "anticipated_plea", "file_stage", "file_status",
                     "ngap_allocated_officer_id", "ngap_allocated_officer_name", "ngap_allocation_date",
                     "ngap_section_leader", "upgrade_file_due_date", "first_hearing_date", "commenced_date",
                     "trial_date", "stl_date", "stl_rule", "submitted_to_cjs_date"],
}
PAGE_CU = {
    "stl_watch": ["custody_record_id", "custody_suite", "arrest_datetime", "disposal", "urn", "file_target_date"],
    "my_team": ["custody_record_id", "urn", "file_target_date", "arrest_datetime"],
}


def load_frames(store_dir: str, page: str) -> dict[str, Any]:
    """case_offences / custody / load_log as pandas frames (only the columns ``page`` needs)."""
    import pandas as pd
    import pyarrow as pa

    from core.store import Store

    def mapper(t):
        return pd.ArrowDtype(t) if pa.types.is_list(t) else None

    co_cols = list(dict.fromkeys(SIDEBAR_CO + PAGE_CO[page]))
    cu_cols = list(dict.fromkeys(SIDEBAR_CU + PAGE_CU.get(page, [])))
    con = Store(store_dir).connect_read()
    cur = con.cursor()  # a cursor: a second connect_read() in a process returns a connection mid-result
    try:
        rid = "rowid AS rid, " if page == "stl_watch" else ""
        frames = {
            "co": cur.sql(f"SELECT {rid}{', '.join(co_cols)} FROM case_offences").to_arrow_table()
            .combine_chunks().to_pandas(date_as_object=False, types_mapper=mapper),
            "cu": cur.sql(f"SELECT {', '.join(cu_cols)} FROM custody").to_arrow_table()
            .combine_chunks().to_pandas(date_as_object=False, types_mapper=mapper),
            "log": cur.sql("SELECT * FROM load_log").to_arrow_table().to_pandas(date_as_object=False),
        }
    finally:
        cur.close()
        con.close()
    return frames


# -- helpers ----------------------------------------------------------------------------------
def _np():
    import numpy as np

    return np


def _b(mask) -> Any:
    """A boolean numpy array; missing values count as False (SQL: NULL in a WHERE is not true)."""
    np = _np()
    if hasattr(mask, "to_numpy"):
        if getattr(mask, "dtype", None) == object:
            return mask.eq(True).to_numpy(dtype=bool)
        return np.asarray(mask.to_numpy(dtype=bool, na_value=False), dtype=bool)
    return np.asarray(mask, dtype=bool)


def _d(s) -> Any:
    """A date column as numpy datetime64[D] (NaT for missing)."""
    np = _np()
    return s.to_numpy(dtype="datetime64[ms]", na_value=np.datetime64("NaT")).astype("datetime64[D]")


def _days(a, b) -> Any:
    """a - b in days as float (NaN where either is missing)."""
    np = _np()
    return (a - b) / np.timedelta64(1, "D")


def _as_of(ctx: Ctx) -> Any:
    return _np().datetime64(ctx.as_of, "D")


def _in_scope(df, ctx: Ctx) -> Any:
    """Scope.everything: every team and officer of the scope's forces."""
    return _b(df["force_code"].isin(list(ctx.forces)))


def _scoped(df, ctx: Ctx, cols: list[str] | None = None):
    """The rows of ``df`` in scope (only ``cols``, if given): no copy when every row is in scope."""
    mask = _in_scope(df, ctx)
    out = df if cols is None else df[cols]
    return out if mask.all() else out.loc[mask]


QCOLS = ["force_code", "urn", "src_row", "file_status", "file_stage", "cjs_triage_outcome", "cps_decision",
         "created_date", "submitted_to_cjs_date", "cjs_triage_date", "sent_to_cps_date", "cps_decision_date",
         "commenced_date"]
"""The columns the queue rules read (queue_position, queue_finished_on, queue_held)."""


def _band_rank(stl, rule, sub, com, A, th) -> Any:
    """core.sql_macros.stl_band as a 0-based position in BAND_ORDER (numpy, vectorised)."""
    np = _np()
    from core.stl import AMBER, BAND_ORDER, BLACK, COMMENCED, GREEN, NO_LIMIT, NO_STATUTORY_LIMIT, RED, UNKNOWN

    r = {b: i for i, b in enumerate(BAND_ORDER)}
    days = _days(stl, A)
    committed = com <= A
    unsub = ~(sub <= A)
    conds = [
        _b(rule == NO_STATUTORY_LIMIT), np.isnat(stl), committed & (com <= stl), committed, A > stl,
        days <= th.red_days_uncharged, unsub & (days <= th.red_days_unsubmitted),
        unsub & (days <= th.amber_days_unsubmitted),
    ]
    choices = [r[NO_LIMIT], r[UNKNOWN], r[COMMENCED], r[BLACK], r[BLACK], r[RED], r[RED], r[AMBER]]
    return np.select(conds, choices, default=r[GREEN])


def _date_col(arr) -> Any:
    """numpy datetime64[D] -> a pandas datetime column (as DuckDB's DATE reads back)."""
    import pandas as pd

    return pd.Series(arr.astype("datetime64[ms]"))


def _review_status(due, A, soon) -> Any:
    np = _np()
    left = _days(due, A)
    return np.select([np.isnat(due), A > due, left <= soon], ["UNKNOWN", "OVERDUE", "DUE"], default="OK")


def _ngap_light(has_officer, allocated_on, due, A, soon) -> Any:
    np = _np()
    from core.ngap import DUE_SOON, NO_DUE_DATE, ON_TRACK, OVERDUE, UNALLOCATED

    left = _days(due, A)
    unalloc = ~has_officer | (allocated_on > A)
    return np.select([unalloc, np.isnat(due), due < A, left <= soon], [UNALLOCATED, NO_DUE_DATE, OVERDUE, DUE_SOON],
                     default=ON_TRACK)


def _sort_nulls(values, first: bool = False) -> Any:
    """A float sort key for dates/numbers with missing values last (or first), as SQL NULLS LAST/FIRST."""
    np = _np()
    if np.issubdtype(values.dtype, np.datetime64):
        out = values.astype("datetime64[D]").astype("int64").astype(float)
        out[np.isnat(values)] = -np.inf if first else np.inf
        return out
    out = np.asarray(values, dtype=float).copy()
    out[np.isnan(out)] = -np.inf if first else np.inf
    return out


# -- sidebar ----------------------------------------------------------------------------------
def pd_all_forces(fr, ctx, prev):
    import pandas as pd

    both = pd.concat([fr["co"]["force_code"], fr["cu"]["force_code"]]).dropna().unique()
    return tuple(sorted(both))


def pd_forces_and_teams(fr, ctx, prev):
    import pandas as pd

    cols = ["force_code", "team", "oic_id", "oic_name"]
    both = pd.concat([fr["co"][cols], fr["cu"][cols]], ignore_index=True)
    both = both[_in_scope(both, ctx) & _b(both["team"].notna())]
    out = both.groupby(["force_code", "team", "oic_id"], dropna=False, sort=False)["oic_name"].max().reset_index()
    return out.sort_values(["force_code", "team", "oic_id"], na_position="last").reset_index(drop=True)


def pd_data_as_of(fr, ctx, prev):
    import pandas as pd

    ids = pd.concat([fr["co"]["load_id"], fr["cu"]["load_id"]]).unique()
    log = fr["log"]
    out = log[log["load_id"].isin(ids)]
    return out.sort_values(["finished_at", "file_name"], ascending=[False, True]).reset_index(drop=True)


# -- Overview ---------------------------------------------------------------------------------
def pd_stl_band_counts(fr, ctx, prev):
    import pandas as pd

    from core.stl import BAND_ORDER

    d, A, th = fr["co"], _as_of(ctx), ctx.thresholds
    created = _d(d["created_date"])
    keep = (_in_scope(d, ctx) & ~_b(d["file_status"] == "CLOSED") & ~_b(d["file_stage"] == "CLOSED")
            & ~(created > A))
    d = d.loc[keep, ["force_code", "urn", "defendant_id", "stl_date", "stl_rule", "submitted_to_cjs_date",
                     "commenced_date"]]
    rank = _band_rank(_d(d["stl_date"]), d["stl_rule"], _d(d["submitted_to_cjs_date"]), _d(d["commenced_date"]), A, th)
    worst = (pd.DataFrame({"f": d["force_code"].array, "u": d["urn"].array, "d": d["defendant_id"].array,
                           "r": rank})
             .groupby(["f", "u", "d"], dropna=False, sort=False)["r"].min())
    counts = worst.value_counts().sort_index()
    return pd.DataFrame({"band": [BAND_ORDER[i] for i in counts.index], "cases": counts.to_numpy()})


def pd_review_counts(fr, ctx, prev):
    import pandas as pd

    d, A, th = fr["co"], _as_of(ctx), ctx.thresholds
    com, created = _d(d["commenced_date"]), _d(d["created_date"])
    keep = (_in_scope(d, ctx) & _b(d["file_stage"] == "PRE_CHARGE") & ~_b(d["file_status"].isin(["CLOSED", "DECIDED"]))
            & ~(com <= A) & ~(created > A))
    lrd = _d(d["last_review_date"])[keep]
    lrd[lrd > A] = _np().datetime64("NaT")
    inv = (pd.DataFrame({"f": d["force_code"].array[keep], "u": d["urn"].array[keep],
                         "last": _date_col(lrd), "created": _date_col(created[keep])})
           .groupby(["f", "u"], dropna=False, sort=False).agg(last=("last", "max"), created=("created", "min")))
    due = _d(inv["last"].fillna(inv["created"])) + _np().timedelta64(th.review_period_days, "D")
    status = _review_status(due, A, th.review_due_soon_days)
    order = ["OVERDUE", "DUE", "OK", "UNKNOWN"]
    counts = pd.Series(status).value_counts()
    got = [s for s in order if s in counts.index]
    return pd.DataFrame({"status": got, "investigations": [int(counts[s]) for s in got]})


def _ngap_population(d, ctx):
    """home.sql ngap_light_counts / ngap.sql ngap_population: the rows of NGAP cases."""
    return (_in_scope(d, ctx) & _b(d["anticipated_plea"] == "NGAP")
            & _b(d["file_stage"].isin(["FIRST_HEARING_NGAP", "UPGRADE_NG"])) & ~_b(d["file_status"] == "CLOSED"))


def pd_ngap_light_counts(fr, ctx, prev):
    import pandas as pd

    from core.ngap import LIGHT_ORDER

    d, A, th = fr["co"], _as_of(ctx), ctx.thresholds
    d = d.loc[_ngap_population(d, ctx)]
    g = (d[["force_code", "urn", "defendant_id", "ngap_allocated_officer_id", "ngap_allocation_date",
            "upgrade_file_due_date"]]
         .groupby(["force_code", "urn", "defendant_id"], dropna=False, sort=False)
         .agg(officer=("ngap_allocated_officer_id", "count"), allocated=("ngap_allocation_date", "min"),
              due=("upgrade_file_due_date", "min")))
    # any_value() skips NULLs (and the loader stores '' as NULL): "an officer" = a non-null value
    light = _ngap_light(_b(g["officer"] > 0), _d(g["allocated"]), _d(g["due"]), A, th.ngap_due_soon_days)
    counts = pd.Series(light).value_counts()
    got = [x for x in LIGHT_ORDER if x in counts.index]
    return pd.DataFrame({"light": got, "cases": [int(counts[x]) for x in got]})


# -- Submission queue -------------------------------------------------------------------------
STAGES_ = ("AWAITING_TRIAGE", "ACCEPTED", "SENT_TO_CPS", "ACTION_PLAN", "RESUBMITTED")


class _QFrame:
    """The queue columns of some rows: text columns as boolean masks (compared as pandas Series),
    dates as numpy datetime64[D]."""

    def __init__(self, d) -> None:
        status, stage = d["file_status"], d["file_stage"]
        self.status_is = {x: _b(status == x) for x in (*STAGES_, "REJECTED", "IN_PROGRESS", "DECIDED", "CLOSED")}
        self.stage_closed = _b(stage == "CLOSED")
        self.out_rej = _b(d["cjs_triage_outcome"] == "REJECTED")
        self.out_acc = _b(d["cjs_triage_outcome"] == "ACCEPTED")
        decision = d["cps_decision"]
        self.dec_plan = _b(decision == "ACTION_PLAN")
        self.dec_final = _b(decision.notna()) & ~self.dec_plan  # decision <> 'ACTION_PLAN' (NULL is not)
        self.dec_charge = _b(decision == "CHARGE")
        self.created = _d(d["created_date"])
        self.sub = _d(d["submitted_to_cjs_date"])
        self.tri = _d(d["cjs_triage_date"])
        self.sent = _d(d["sent_to_cps_date"])
        self.dec_on = _d(d["cps_decision_date"])
        self.com = _d(d["commenced_date"])

    def finished_on(self):
        """queue_finished_on."""
        np = _np()
        nat = np.datetime64("NaT")
        final_dec = np.where(self.dec_final, self.dec_on, nat)
        first = np.fmin(self.com, final_dec)
        closed = self.status_is["DECIDED"] | self.status_is["CLOSED"] | self.stage_closed
        last_event = np.fmax(np.fmax(self.sub, self.tri), np.fmax(self.sent, self.dec_on))
        return np.where(~np.isnat(first), first, np.where(closed, last_event, nat))

    def position(self, d, finished_on=None):
        """queue_position on day d (a scalar datetime64[D]), as an array of position names."""
        np = _np()
        fin = self.finished_on() if finished_on is None else finished_on
        latest = np.fmax(np.fmax(np.fmax(self.created, self.sub), np.fmax(self.tri, self.sent)),
                         np.fmax(self.dec_on, self.com))
        settled = latest <= d
        from_dates = np.select(
            [self.dec_plan & (self.dec_on <= d), self.sent <= d, (self.tri <= d) & self.out_rej, self.tri <= d],
            ["ACTION_PLAN", "SENT_TO_CPS", "REJECTED", "ACCEPTED"], default="AWAITING_TRIAGE")
        back = self.status_is["REJECTED"] | self.status_is["IN_PROGRESS"]
        return np.select(
            [np.isnat(self.sub) | (self.sub > d), fin <= d,
             *(settled & self.status_is[x] for x in STAGES_), settled & back],
            ["NOT_SUBMITTED", "FINISHED", *STAGES_, "REJECTED"], default=from_dates)

    def held(self, d, position):
        """queue_held: (police, cjs, unattributed) day arrays; NaN where the file is not open."""
        np = _np()
        nat = np.datetime64("NaT")
        s = self.sub
        c = np.fmin(self.created, s)
        t = np.where(self.tri <= d, np.fmax(self.tri, s), nat)
        x = np.where(self.sent <= d, np.fmax(self.sent, np.where(np.isnat(t), s, t)), nat)
        a = np.where(self.dec_plan & (self.dec_on <= d) & (self.sent <= d), np.fmax(self.dec_on, x), nat)
        tn, xn, an = ~np.isnat(t), ~np.isnat(x), ~np.isnat(a)
        rej_pos = position == "REJECTED"
        out_rej = self.out_rej
        out_not_rej = ~self.out_rej  # coalesce(outcome, 'ACCEPTED') <> 'REJECTED'

        def dd(u, v):
            return _days(u, v)

        police = (dd(s, c) + np.where(tn & out_rej & rej_pos & ~xn, dd(d, t), 0)
                  + np.where(an & (position == "ACTION_PLAN"), dd(d, a), 0))
        first_of = np.where(tn, t, np.where(xn, x, d))
        cjs = (np.where(~tn & ~xn & rej_pos, 0, dd(first_of, s))
               + np.where(tn & out_not_rej, dd(np.where(xn, x, d), t), 0)
               + np.where(xn, dd(np.where(an, a, d), x), 0))
        unattr = (np.where(~tn & ~xn & rej_pos, dd(d, s), 0)
                  + np.where(tn & out_rej & ~(rej_pos & ~xn), dd(np.where(xn, x, d), t), 0)
                  + np.where(an & (position != "ACTION_PLAN"), dd(d, a), 0))
        open_ = ~np.isin(position, ["NOT_SUBMITTED", "FINISHED"])
        return (np.where(open_, police, np.nan), np.where(open_, cjs, np.nan), np.where(open_, unattr, np.nan))


def _first_rows(d, keys=("force_code", "urn")):
    """The first row (lowest src_row) of each file."""
    return d.sort_values("src_row", kind="stable").drop_duplicates(list(keys))


def _age_bucket(age, edges) -> Any:
    np = _np()
    out = np.zeros(len(age), dtype=float)
    for e in edges:
        out += age > e
    out[np.isnan(age)] = np.nan
    return out


def pd_positions(fr, ctx, prev):
    import pandas as pd

    np = _np()
    policy = ctx.settings.section("queue")
    A = _as_of(ctx)
    d = _scoped(fr["co"], ctx, [*QCOLS, "stl_date"])
    rows = _QFrame(d)
    pos = rows.position(A)
    is_open = ~np.isin(pos, ["NOT_SUBMITTED", "FINISHED"])
    stl, com = _d(d["stl_date"]), _d(d["commenced_date"])
    nxt = np.where(is_open & (stl >= A) & ~(com <= A), stl, np.datetime64("NaT"))
    rows_ = d[QCOLS].assign(_pos=pos, _next=_date_col(nxt).to_numpy())
    rows_["_next"] = rows_.groupby(["force_code", "urn"], dropna=False, sort=False)["_next"].transform("min")
    first = rows_.sort_values("src_row", kind="stable").drop_duplicates(["force_code", "urn"])
    fpos = first["_pos"].to_numpy()
    f = _QFrame(first)
    age = np.where(np.isin(fpos, ["NOT_SUBMITTED", "FINISHED"]), np.nan, _days(A, f.sub))
    nx = _d(first["_next"])
    in_window = nx <= A + np.timedelta64(policy.cps_window_days, "D")
    police, cjs, unattr = f.held(A, fpos)
    m = pd.DataFrame({"position": fpos, "age_bucket": _age_bucket(age, policy.age_edges),
                      "win": in_window & ~np.isnan(age), "police": police, "cjs": cjs, "unattr": unattr, "age": age})
    out = (m.groupby(["position", "age_bucket"], dropna=False, sort=True)
           .agg(files=("position", "size"), stl_in_window=("win", "sum"), police_days=("police", "sum"),
                cjs_days=("cjs", "sum"), unattributed_days=("unattr", "sum"), oldest_days=("age", "max"))
           .reset_index())
    return out


def pd_cjs_queue_length(fr, ctx, prev):
    pos = pd_positions(fr, ctx, prev)
    return int(pos.loc[pos["position"].isin(STAGES_), "files"].sum())


def pd_weekly(fr, ctx, prev):
    import pandas as pd

    np = _np()
    from core.queue import OPEN_POSITIONS, REJECTED, STAGES

    policy = ctx.settings.section("queue")
    start, end = ctx.period
    last = min(end, ctx.as_of)
    cols = ["week_end", *OPEN_POSITIONS, "arrived", "completed", "queue", "open", "net"]
    if last < start:
        return pd.DataFrame(columns=cols)
    weeks = min((last - start).days // 7 + 1, policy.max_weeks)
    L = np.datetime64(last, "D")
    first = _first_rows(_scoped(fr["co"], ctx, QCOLS))
    f = _QFrame(first)
    fin = f.finished_on()
    floor = np.fmax(f.sub, L - np.timedelta64(7 * weeks, "D"))
    keep = (f.sub <= L) & (np.isnat(fin) | (fin > floor))
    rel = _QFrame(first.loc[keep])
    rfin = fin[keep]
    out = []
    for k in range(weeks - 1, -1, -1):
        w = L - np.timedelta64(7 * k, "D")
        on = rel.sub <= w
        p = rel.position(w, rfin)[on]
        row = {"week_end": pd.Timestamp(w)}
        for s in OPEN_POSITIONS:
            row[s] = int((p == s).sum())
        sub, fn = rel.sub[on], rfin[on]
        row["arrived"] = int(((sub > w - np.timedelta64(7, "D")) & (np.isnat(fn) | (fn > sub))).sum())
        row["completed"] = int(((fn > w - np.timedelta64(7, "D")) & (fn <= w) & (fn > sub)).sum())
        out.append(row)
    df = pd.DataFrame(out)
    df["queue"] = df[list(STAGES)].sum(axis=1)
    df["open"] = df["queue"] + df[REJECTED]
    df["net"] = df["arrived"] - df["completed"]
    return df[cols]


def pd_stage_times(fr, ctx, prev):
    import pandas as pd

    np = _np()
    from core.queue import TRANSITIONS

    start, end = ctx.period
    end = min(end, ctx.as_of)
    S, E = np.datetime64(start, "D"), np.datetime64(end, "D")
    d = _scoped(fr["co"], ctx, [*QCOLS, "action_plan_reasons"])
    sub = _d(d["submitted_to_cjs_date"])

    def within(col):
        x = _d(d[col])
        return (x >= S) & (x <= E)

    cand = (sub <= E) & (within("submitted_to_cjs_date") | within("cjs_triage_date") | within("sent_to_cps_date")
                         | within("cps_decision_date") | within("commenced_date"))
    urns = d.loc[cand, ["force_code", "urn"]].drop_duplicates()
    rows = d.merge(urns, on=["force_code", "urn"], how="inner")
    had = (rows["action_plan_reasons"].list.len().fillna(0) > 0).to_numpy(dtype=bool)
    had_plan = pd.DataFrame({"f": rows["force_code"], "u": rows["urn"], "h": had}).groupby(
        ["f", "u"], dropna=False, sort=False)["h"].any()
    first = _first_rows(rows)
    first = first.loc[_d(first["submitted_to_cjs_date"]) <= E]
    q = _QFrame(first)
    hp = had_plan.reindex(pd.MultiIndex.from_arrays([first["force_code"], first["urn"]])).to_numpy(dtype=bool)
    fin = q.finished_on()
    nat = np.datetime64("NaT")
    dated_finish = np.fmin(q.com, np.where(q.dec_final, q.dec_on, nat))
    cps = ~np.isnat(q.sent) & (np.isnat(q.com) | (q.sent < q.com))
    keep = np.isnat(fin) | (fin > q.sub)
    acc, rej = q.out_acc, q.out_rej
    plan, final = q.dec_plan, q.dec_final
    spans = [
        ("BUILD", q.created <= q.sub, q.sub, q.created),
        ("TRIAGE", q.tri >= q.sub, q.tri, q.sub),
        ("ACCEPTED_TO_CPS", cps & acc & (q.sent >= q.tri), q.sent, q.tri),
        ("REJECTED_TO_CPS", cps & rej & (q.sent >= q.tri), q.sent, q.tri),
        ("ACCEPTED_TO_POLICE_CHARGE", ~cps & acc & (q.com >= q.tri), q.com, q.tri),
        ("CPS_DECISION", cps & final & ~hp & (q.dec_on >= q.sent), q.dec_on, q.sent),
        ("CPS_ACTION_PLAN", cps & plan & (q.dec_on >= q.sent), q.dec_on, q.sent),
        ("CPS_DECISION_AFTER_PLAN", cps & final & hp & (q.dec_on >= q.sent), q.dec_on, q.sent),
        ("DECISION_TO_CHARGE", cps & q.dec_charge & (q.com >= q.dec_on), q.com, q.dec_on),
        ("SUBMITTED_TO_FINISHED", dated_finish > q.sub, dated_finish, q.sub),
    ]
    got = {}
    for code, cond, ended, began in spans:
        sel = keep & cond & (ended >= S) & (ended <= E)
        days = pd.Series(_days(ended[sel], began[sel]))
        if len(days):
            got[code] = (len(days), float(days.median()), float(days.quantile(0.9)))
    rows_out = []
    for code, (label, short, holder) in TRANSITIONS.items():
        n, med, p90 = got.get(code, (0, None, None))
        rows_out.append({"transition": code, "label": label, "short": short, "holder": holder, "files": n,
                         "median_days": med, "p90_days": p90})
    return pd.DataFrame(rows_out, columns=["transition", "label", "short", "holder", "files", "median_days", "p90_days"])


def pd_queue_lists(fr, ctx, prev):
    import pandas as pd

    np = _np()
    from core.queue import FACTOR_LABELS, FACTORS, STAGES, QueueLists

    policy = ctx.settings.section("queue")
    A, th = _as_of(ctx), ctx.thresholds
    d = _scoped(fr["co"], ctx)
    first = _first_rows(d[[*QCOLS, "team", "oic_id", "oic_name", "resubmission_count"]])
    fq = _QFrame(first)
    fpos = fq.position(A)
    at_stage = np.isin(fpos, list(STAGES))
    first, fpos = first.loc[at_stage], fpos[at_stage]
    rows = d[["force_code", "urn", "defendant_id", "stl_date", "stl_rule", "commenced_date", "submitted_to_cjs_date",
              "bail_status", "da_flag", "vulnerable_victim_flag"]].merge(
        first[["force_code", "urn"]], on=["force_code", "urn"], how="inner")
    stl, com = _d(rows["stl_date"]), _d(rows["commenced_date"])
    rank = _band_rank(stl, rows["stl_rule"], _d(rows["submitted_to_cjs_date"]), com, A, th)
    per = pd.DataFrame({
        "force_code": rows["force_code"].array, "urn": rows["urn"].array,
        "next": _date_col(np.where((stl >= A) & ~(com <= A), stl, np.datetime64("NaT"))), "rank": rank,
        "custody": _b(rows["bail_status"].isin(list(policy.custody_statuses))),
        "da": _b(rows["da_flag"]), "vv": _b(rows["vulnerable_victim_flag"]),
        "defendant_id": rows["defendant_id"].array,
    }).groupby(["force_code", "urn"], dropna=False, sort=False).agg(
        next_stl=("next", "min"), rank=("rank", "min"), in_custody=("custody", "any"), domestic_abuse=("da", "any"),
        vulnerable_victim=("vv", "any"), defendants=("defendant_id", "nunique"), offences=("rank", "size"))
    from core.stl import BAND_ORDER

    f = first.merge(per.reset_index(), on=["force_code", "urn"], how="left")
    fq = _QFrame(f)
    age = _days(A, fq.sub)
    nx = _d(f["next_stl"])
    in_window = _b(nx <= A + np.timedelta64(policy.cps_window_days, "D"))
    police, cjs, unattr = fq.held(A, fpos)
    flags_all = {"STL_IN_CPS_WINDOW": in_window, "CUSTODY": _b(f["in_custody"]),
                 "DOMESTIC_ABUSE": _b(f["domestic_abuse"]), "VULNERABLE_VICTIM": _b(f["vulnerable_victim"])}
    flags = [flags_all[name] for name in policy.factor_order]
    out = pd.DataFrame({
        "force_code": f["force_code"].array, "urn": f["urn"].array, "stage": fpos,
        "submitted_to_cjs_date": _date_col(fq.sub), "age_days": age, "age_bucket": _age_bucket(age, policy.age_edges),
        "stl_date": _date_col(nx), "stl_days_remaining": _days(nx, A),
        "band": [BAND_ORDER[int(r)] for r in f["rank"].to_numpy()],
        "police_days": police, "cjs_days": cjs, "unattributed_days": unattr,
        "cjs_triage_date": _date_col(fq.tri),
        "cps_decision_date": _date_col(np.where(fq.dec_on <= A, fq.dec_on, np.datetime64("NaT"))),
        "file_status_in_extract": f["file_status"].array, "team": f["team"].array,
        "oic_id": f["oic_id"].array, "defendants": f["defendants"].to_numpy(), "offences": f["offences"].to_numpy(),
    })
    for i, fl in enumerate(flags):
        out[f"_f{i}"] = fl
    n = len(flags)
    out["priority_rank"] = [next((i + 1 for i in range(n) if r[i]), n + 1)
                            for r in zip(*flags, strict=True)] if n and len(out) else n + 1
    out["priority_flags"] = list(zip(*flags, strict=True)) if n else [()] * len(out)
    sub_key = _sort_nulls(fq.sub)
    out["_sub"] = sub_key
    by_priority = out.sort_values([*(f"_f{i}" for i in range(n)), "_sub", "force_code", "urn"],
                                  ascending=[False] * n + [True, True, True], kind="stable")
    out.loc[by_priority.index, "priority_row"] = range(1, len(out) + 1)
    by_age = out.sort_values(["_sub", "force_code", "urn"], kind="stable")
    out.loc[by_age.index, "age_row"] = range(1, len(out) + 1)
    out["matching_files"] = len(out)
    out = out[(out["priority_row"] <= policy.list_limit) | (out["age_row"] <= policy.oldest_limit)]
    out["priority"] = [policy.priority_text(int(r)) for r in out["priority_rank"]]
    out["factors"] = [" · ".join(FACTOR_LABELS[x] for x, on in zip(policy.factor_order, fl, strict=True) if on)
                      for fl in out["priority_flags"]]
    assert set(policy.factor_order) <= set(FACTORS)
    priority = out[out["priority_row"] <= policy.list_limit].sort_values("priority_row").reset_index(drop=True)
    oldest = out[out["age_row"] <= policy.oldest_limit].sort_values("age_row").reset_index(drop=True)
    return QueueLists(priority, oldest, len(first))


# -- STL watch --------------------------------------------------------------------------------
_EPOCH = "1900-01-01"


def _watch_params(ctx):
    from core import stl_watch as sw

    cfg = ctx.settings.section("stl_watch")
    cal = sw.working_calendar(ctx.closures)
    wd = sw.upcoming_working_days(ctx.as_of, cal, max(sw.DEFAULT_SETTINGS.working_day_horizon_days, 60))
    end = sw.calendar_start(ctx.as_of) + timedelta(weeks=cfg.calendar_weeks, days=-1)
    return cfg, cal, wd, end


def pd_watch(fr, ctx, prev):
    import pandas as pd

    np = _np()
    from core import stl_watch as sw
    from core.stl import BAND_ORDER

    cfg, cal, wd, cal_end = _watch_params(ctx)
    A, th = _as_of(ctx), ctx.thresholds
    bands = [b for b in sw.DEFAULT_BANDS if b in sw.SELECTABLE_BANDS]
    d = _scoped(fr["co"], ctx)
    stl, lwd = _d(d["stl_date"]), _d(d["stl_last_working_day"])
    created = _d(d["created_date"])
    is_created = ~(created > A)
    is_open = ~_b(d["file_status"] == "CLOSED") & ~_b(d["file_stage"] == "CLOSED")
    rank = _band_rank(stl, d["stl_rule"], _d(d["submitted_to_cjs_date"]), _d(d["commenced_date"]), A, th)
    epoch = np.datetime64(_EPOCH, "D")

    def key(x):
        k = np.clip(_days(x, epoch), 0, 65534)
        k[np.isnan(k)] = 65535
        return k.astype(np.int64)

    per = pd.DataFrame({"force_code": d["force_code"].array, "urn": d["urn"].array,
                        "defendant_id": d["defendant_id"].array, "rank": rank, "lk": key(lwd), "sk": key(stl),
                        "rid": d["rid"].to_numpy(), "created": is_created, "eligible": is_created & is_open})
    keys = ["force_code", "urn", "defendant_id"]
    # one code per case (numbered by first appearance), then per-case arrays indexed by code
    code = per.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    n = int(code.max()) + 1 if len(code) else 0
    c = per.loc[~pd.Series(code).duplicated().to_numpy(), keys].reset_index(drop=True)
    c["offence_rows"] = np.bincount(code, minlength=n)
    c["any_created"] = np.bincount(code, weights=is_created, minlength=n) > 0
    gov = (per.assign(_c=code)[per["eligible"].to_numpy()].sort_values(["rank", "lk", "sk", "rid"], kind="stable")
           .drop_duplicates("_c"))
    for col in ("rank", "lk", "sk", "rid"):
        arr = np.full(n, np.nan)
        arr[gov["_c"].to_numpy()] = gov[col].to_numpy(dtype=float)
        c[col] = arr
    band = np.array([BAND_ORDER[int(r)] if r == r else None for r in c["rank"].to_numpy(dtype=float)], dtype=object)

    def back(k):
        k = k.to_numpy(dtype=float, na_value=np.nan)
        out = np.full(len(k), np.datetime64("NaT"), dtype="datetime64[D]")
        ok = ~np.isnan(k) & (k < 65535)
        out[ok] = epoch + k[ok].astype(np.int64).astype("timedelta64[D]")
        return out

    c_lwd, c_stl = back(c["lk"]), back(c["sk"])
    no_band = np.array([x is None for x in band], dtype=bool)
    W = np.array(wd, dtype="datetime64[D]")
    bucket = np.select(
        [band == "BLACK", np.isnat(c_stl) | np.isnat(c_lwd), c_lwd < A, c_lwd == A, c_lwd <= W[0], c_lwd <= W[1],
         c_lwd <= W[2], c_lwd <= W[3], c_lwd <= W[4], c_lwd <= W[9], c_lwd <= W[19]],
        [-2, -3, -1, 0, 1, 2, 3, 4, 5, 10, 20], default=99)
    category = np.select(
        [~c["any_created"].to_numpy(dtype=bool), no_band, band == "COMMENCED", band == "NO_LIMIT",
         ~np.isin(band.astype(str), bands)],
        ["not_created", "closed", "commenced", "no_limit", "band_not_selected"], default="listed")
    E = np.datetime64(cal_end, "D")
    day = np.where(np.isin(category, ["listed", "not_drilled"]) & (c_stl >= A) & (c_stl <= E), c_stl,
                   np.datetime64("NaT"))
    g = pd.DataFrame({"category": category, "band": band, "bucket": bucket, "day": _date_col(day),
                      "offence_rows": c["offence_rows"].to_numpy()})
    groups = (g.groupby(["category", "band", "bucket", "day"], dropna=False, sort=False)
              .agg(cases=("offence_rows", "size"), offence_rows=("offence_rows", "sum")).reset_index())
    groups["band"] = groups["band"].astype(object).where(groups["band"].notna(), None)
    groups["day"] = [sw._d(x) for x in groups["day"]]
    groups = groups[["category", "band", "bucket", "day", "cases", "offence_rows"]].astype(
        {"cases": int, "offence_rows": int, "bucket": int})
    # the list: listed cases by band (LIST_BAND_ORDER), last working day (NULLS FIRST), STL date, keys
    order = {b: i for i, b in enumerate(sw.LIST_BAND_ORDER)}
    listed = pd.DataFrame({"force_code": c["force_code"], "urn": c["urn"], "defendant_id": c["defendant_id"],
                           "band": band, "lwd": _date_col(c_lwd), "stl": _date_col(c_stl), "rid": c["rid"],
                           "offence_rows": c["offence_rows"], "bucket": bucket,
                           "_b": [order.get(x, 99) for x in band], "_l": _sort_nulls(c_lwd, first=True),
                           "_s": _sort_nulls(c_stl)})[category == "listed"]
    listed = listed.sort_values(["_b", "_l", "_s", "force_code", "urn", "defendant_id"], kind="stable")
    total = len(listed)
    page = listed.head(max(int(cfg.page_size), 1)).reset_index(drop=True)
    page["position"] = range(1, len(page) + 1)
    co = fr["co"]
    o = co.iloc[pd.Index(co["rid"]).get_indexer(page["rid"].astype(np.int64).to_numpy())].reset_index(drop=True)
    p_lwd, p_stl = _d(page["lwd"]), _d(page["stl"])
    left = np.searchsorted(W, p_lwd, side="right").astype(float)
    left[~((p_lwd >= A) & (p_lwd <= W[-1]))] = np.nan
    com, sub = _d(o["commenced_date"]), _d(o["submitted_to_cjs_date"])
    rows = pd.DataFrame({
        "position": page["position"], "band": page["band"], "last_working_day": page["lwd"],
        "working_days_left": pd.array(left, dtype="Float64").astype("Int64"), "stl_date": page["stl"],
        "days_remaining": pd.array(_days(p_stl, A), dtype="Float64").astype("Int64"),
        "force_code": page["force_code"], "urn": page["urn"], "defendant_id": page["defendant_id"],
        "offence_seq": o["offence_seq"].astype("Int64"), "offence_code": o["offence_code"],
        "offence_title": o["offence_title"].fillna(o["offence_title_ref"]), "stl_rule": o["stl_rule"],
        "offence_start_date": o["offence_start_date"], "offence_end_date": o["offence_end_date"],
        "statement_vri_date": _date_col(np.fmin(_d(o["victim_statement_date"]), _d(o["vri_date"]))),
        "knowledge_date": o["knowledge_date"],
        "commenced_date": _date_col(np.where(com <= A, com, np.datetime64("NaT"))),
        "submitted_to_cjs_date": _date_col(np.where(sub <= A, sub, np.datetime64("NaT"))),
        "stl_alt_date": o["stl_alt_date"], "stl_long_stop_date": o["stl_long_stop_date"],
        "stl_extendable": o["stl_extendable"], "stl_source": o["stl_source"], "stl_note": o["stl_note"],
        "oic_id": o["oic_id"], "oic_name": o["oic_name"], "team": o["team"], "supervisor_name": o["supervisor_name"],
        "file_stage": o["file_stage"], "file_status": o["file_status"], "offence_rows": page["offence_rows"],
        "bucket": page["bucket"].astype(int), "total_listed": total,
    })
    return sw.Watch(sw.WatchSummary(groups), sw.with_explanations(rows, ctx.as_of, cal), 1, max(int(cfg.page_size), 1))


def pd_custody_missed_target(fr, ctx, prev):
    import pandas as pd

    np = _np()
    cfg = ctx.settings.section("stl_watch")
    A = _as_of(ctx)
    co = fr["co"][["force_code", "urn", "submitted_to_cjs_date"]]
    co = co[_b(co["force_code"].isin(list(ctx.forces)))]
    submitted = (co.groupby(["force_code", "urn"], sort=False)["submitted_to_cjs_date"].min()
                 .rename("submitted_on").reset_index())   # NULL URNs never join in SQL: groupby drops them
    cu = fr["cu"]
    arrest = cu["arrest_datetime"].to_numpy(dtype="datetime64[ms]", na_value=np.datetime64("NaT")).astype("datetime64[D]")
    target = _d(cu["file_target_date"])
    c = cu[_in_scope(cu, ctx) & (target < A) & (arrest <= A)].copy()
    c["arrest_date"] = _date_col(arrest[_in_scope(cu, ctx) & (target < A) & (arrest <= A)]).to_numpy()
    c["_m"] = True
    m = c.merge(submitted.assign(_found=True), on=["force_code", "urn"], how="left")
    m.loc[m["urn"].isna(), ["_found", "submitted_on"]] = [np.nan, pd.NaT]
    on = _d(m["submitted_on"])
    m = m[np.isnat(on) | (on > A)]
    found = _b(m["_found"].fillna(False).astype(bool))
    on = _d(m["submitted_on"])
    m = m.assign(days_overdue=_days(A, _d(m["file_target_date"])),
                 file_position=np.where(~found, "no case file found",
                                        np.where(np.isnat(on), "case file not submitted",
                                                 "submitted after the as-of date")))
    m = m.sort_values(["file_target_date", "force_code", "custody_record_id"], kind="stable")
    total = len(m)
    out = m.head(max(int(cfg.custody_cap), 1)).reset_index(drop=True)
    out["total_rows"] = total
    return out


def _black_rows(fr, ctx):
    """Offence rows in scope, created by as_of, in band BLACK (stl_watch.sql's ``lost``)."""
    from core.stl import BAND_ORDER

    d = fr["co"]
    A, th = _as_of(ctx), ctx.thresholds
    keep = _in_scope(d, ctx) & ~(_d(d["created_date"]) > A)
    rank = _band_rank(_d(d["stl_date"]), d["stl_rule"], _d(d["submitted_to_cjs_date"]), _d(d["commenced_date"]), A, th)
    return d.loc[keep & (rank == BAND_ORDER.index("BLACK"))]


def pd_black_by_team_month(fr, ctx, prev):
    np = _np()
    start, end = ctx.period
    d = _black_rows(fr, ctx)
    lost = d.groupby(["force_code", "urn", "defendant_id"], dropna=False, sort=False).agg(
        lost_on=("stl_date", "min"), team=("team", "min")).reset_index()
    on = _d(lost["lost_on"])
    lost = lost[(on >= np.datetime64(start, "D")) & (on <= np.datetime64(end, "D"))]
    lost = lost.assign(month=lost["lost_on"].dt.to_period("M").dt.to_timestamp())
    out = lost.groupby(["force_code", "team", "month"], dropna=False, sort=False).size().rename("cases").reset_index()
    out = out.sort_values(["month", "force_code", "team"], na_position="last").reset_index(drop=True)
    out["cases"] = out["cases"].astype(int)
    return out[["force_code", "team", "month", "cases"]]


def pd_black_cases(fr, ctx, prev):
    import pandas as pd

    np = _np()
    from core import stl_watch as sw

    cfg, cal, _, _ = _watch_params(ctx)
    A = _as_of(ctx)
    start, end = ctx.period
    d = _black_rows(fr, ctx)
    keys = ["force_code", "urn", "defendant_id"]
    team = d.groupby(keys, dropna=False, sort=False)["team"].min().rename("case_team")
    first = (d.assign(_s=_sort_nulls(_d(d["stl_date"])), _q=_sort_nulls(d["offence_seq"].to_numpy(dtype=float)))
             .sort_values(["_s", "_q", "src_row"], kind="stable").drop_duplicates(keys))
    first = first.join(team, on=keys)
    s = _d(first["stl_date"])
    first = first[(s >= np.datetime64(start, "D")) & (s <= np.datetime64(end, "D"))]
    s = _d(first["stl_date"])
    com, sub = _d(first["commenced_date"]), _d(first["submitted_to_cjs_date"])
    out = pd.DataFrame({
        "band": "BLACK", "month": first["stl_date"].dt.to_period("M").dt.to_timestamp().to_numpy(),
        "stl_date": first["stl_date"].to_numpy(), "last_working_day": first["stl_last_working_day"].to_numpy(),
        "days_since": _days(A, s), "force_code": first["force_code"].array, "team": first["case_team"].array,
        "urn": first["urn"].array, "defendant_id": first["defendant_id"].array,
        "offence_seq": first["offence_seq"].to_numpy(), "offence_code": first["offence_code"].array,
        "offence_title": first["offence_title"].fillna(first["offence_title_ref"]).to_numpy(),
        "stl_rule": first["stl_rule"].array, "offence_start_date": first["offence_start_date"].to_numpy(),
        "offence_end_date": first["offence_end_date"].to_numpy(),
        "statement_vri_date": np.fmin(_d(first["victim_statement_date"]), _d(first["vri_date"])).astype("datetime64[ms]"),
        "knowledge_date": first["knowledge_date"].to_numpy(),
        "commenced_date": np.where(com <= A, com, np.datetime64("NaT")).astype("datetime64[ms]"),
        "submitted_to_cjs_date": np.where(sub <= A, sub, np.datetime64("NaT")).astype("datetime64[ms]"),
        "stl_alt_date": first["stl_alt_date"].to_numpy(), "stl_long_stop_date": first["stl_long_stop_date"].to_numpy(),
        "stl_extendable": first["stl_extendable"].to_numpy(), "stl_source": first["stl_source"].array,
        "stl_note": first["stl_note"].array, "oic_id": first["oic_id"].array,
        "oic_name": first["oic_name"].array, "supervisor_name": first["supervisor_name"].array,
        "file_stage": first["file_stage"].array, "file_status": first["file_status"].array,
    })
    out = out.assign(_s=-_sort_nulls(_d(out["stl_date"]))).sort_values(
        ["_s", "force_code", "urn", "defendant_id"], kind="stable").drop(columns="_s")
    total = len(out)
    out = out.head(max(int(cfg.black_list_cap), 1)).reset_index(drop=True)
    out["total_rows"] = total
    return sw.with_explanations(out, ctx.as_of, cal)


def pd_case_offences(fr, ctx, prev):
    import pandas as pd

    np = _np()
    from core import stl_watch as sw
    from core.stl import BAND_ORDER

    _, cal, _, _ = _watch_params(ctx)
    A, th = _as_of(ctx), ctx.thresholds
    row = prev["watch"].cases.iloc[0]
    d = fr["co"]
    keep = (_in_scope(d, ctx) & _b(d["force_code"] == row["force_code"]) & _b(d["urn"] == row["urn"])
            & _b(d["defendant_id"] == row["defendant_id"]) & ~(_d(d["created_date"]) > A))
    d = d.loc[keep]
    d = d.assign(_q=_sort_nulls(d["offence_seq"].to_numpy(dtype=float))).sort_values(["_q", "src_row"], kind="stable")
    stl, com, sub = _d(d["stl_date"]), _d(d["commenced_date"]), _d(d["submitted_to_cjs_date"])
    rank = _band_rank(stl, d["stl_rule"], sub, com, A, th)
    out = pd.DataFrame({
        "band": [BAND_ORDER[i] for i in rank], "offence_seq": d["offence_seq"].to_numpy(),
        "offence_code": d["offence_code"].array,
        "offence_title": d["offence_title"].fillna(d["offence_title_ref"]).to_numpy(),
        "mode_of_trial_resolved": d["mode_of_trial_resolved"].array, "stl_rule": d["stl_rule"].array,
        "stl_date": d["stl_date"].to_numpy(), "last_working_day": d["stl_last_working_day"].to_numpy(),
        "days_remaining": _days(stl, A), "offence_start_date": d["offence_start_date"].to_numpy(),
        "offence_end_date": d["offence_end_date"].to_numpy(), "is_continuing": d["is_continuing"].to_numpy(),
        "da_flag": d["da_flag"].to_numpy(),
        "statement_vri_date": np.fmin(_d(d["victim_statement_date"]), _d(d["vri_date"])).astype("datetime64[ms]"),
        "victim_statement_date": d["victim_statement_date"].to_numpy(), "vri_date": d["vri_date"].to_numpy(),
        "knowledge_date": d["knowledge_date"].to_numpy(),
        "commenced_date": np.where(com <= A, com, np.datetime64("NaT")).astype("datetime64[ms]"),
        "submitted_to_cjs_date": np.where(sub <= A, sub, np.datetime64("NaT")).astype("datetime64[ms]"),
        "stl_alt_date": d["stl_alt_date"].to_numpy(), "stl_long_stop_date": d["stl_long_stop_date"].to_numpy(),
        "stl_extendable": d["stl_extendable"].to_numpy(), "stl_source": d["stl_source"].array,
        "stl_note": d["stl_note"].array, "file_stage": d["file_stage"].array,
        "file_status": d["file_status"].array, "force_code": d["force_code"].array,
        "urn": d["urn"].array, "defendant_id": d["defendant_id"].array,
    })
    return sw.with_explanations(out, ctx.as_of, cal)


# -- My Team ----------------------------------------------------------------------------------
def pd_my_team_workload(fr, ctx, prev):
    import pandas as pd

    np = _np()
    from core.stl import BAND_ORDER

    config = ctx.settings.section("my_team")
    A, th = _as_of(ctx), ctx.thresholds
    NAT = np.datetime64("NaT")
    d = _scoped(fr["co"], ctx)
    created, com = _d(d["created_date"]), _d(d["commenced_date"])
    stl, lwd = _d(d["stl_date"]), _d(d["stl_last_working_day"])
    lrd = _d(d["last_review_date"])
    lrd = np.where(lrd <= A, lrd, NAT)
    rank = _band_rank(stl, d["stl_rule"], _d(d["submitted_to_cjs_date"]), com, A, th)
    status_closed = _b(d["file_status"] == "CLOSED")
    stage_closed = _b(d["file_stage"] == "CLOSED")
    not_created = created > A
    file_state = np.select([not_created, status_closed | stage_closed], [2, 1], default=0)
    inv_state = np.select(
        [not_created, _b(d["file_status"].isin(["CLOSED", "DECIDED"])) | stage_closed,
         ~_b(d["file_stage"] == "PRE_CHARGE") | (com <= A)], [3, 1, 2], default=0)
    ngap_stage = _b(d["anticipated_plea"] == "NGAP") & _b(d["file_stage"].isin(["FIRST_HEARING_NGAP", "UPGRADE_NG"]))
    open_ = file_state == 0
    ahead = open_ & (stl >= A) & ~(com <= A)
    r = pd.DataFrame({
        "force_code": d["force_code"].array, "urn": d["urn"].array, "defendant_id": d["defendant_id"].array,
        "oic_id": d["oic_id"].array, "team": d["team"].array, "oic_name": d["oic_name"].array,
        "state": file_state, "band_pos": np.where(open_, rank, np.nan),
        "next_stl": _date_col(np.where(ahead, stl, NAT)), "next_lwd": _date_col(np.where(ahead, lwd, NAT)),
        "upgrade_due": _date_col(np.where(open_ & ngap_stage, _d(d["upgrade_file_due_date"]), NAT)),
        "inv_state": inv_state,
        "last_review_date": _date_col(np.where(inv_state == 0, lrd, NAT)),
        "started": _date_col(np.where(inv_state == 0, created, NAT)),
    })
    fkeys = ["force_code", "urn", "defendant_id"]

    def by_code(frame, keys, extra_sort):
        """Group codes (first appearance order), the key columns per code, and each code's lowest
        row by ``extra_sort`` (NULLs last): DuckDB's min() of a struct, field by field."""
        code = frame.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
        first = frame.loc[~pd.Series(code).duplicated().to_numpy(), keys].reset_index(drop=True)
        low = (frame[extra_sort].assign(_c=code).sort_values(extra_sort, na_position="last", kind="stable")
               .drop_duplicates("_c").set_index("_c").sort_index().reset_index(drop=True))
        return code, first, low

    code, files, who = by_code(r, fkeys, ["oic_id", "team", "oic_name"])
    agg = r.assign(_c=code).groupby("_c", sort=True).agg(
        state=("state", "min"), band_pos=("band_pos", "min"), next_stl=("next_stl", "min"), next_lwd=("next_lwd", "min"),
        upgrade_due=("upgrade_due", "min"), inv_state=("inv_state", "min"),
        last_review_date=("last_review_date", "max"), started=("started", "min")).reset_index(drop=True)
    files = pd.concat([files, agg, who], axis=1)
    bp = files["band_pos"].to_numpy()
    files["band"] = [BAND_ORDER[int(x)] if x == x else None for x in bp]
    # investigations: one per URN
    ikeys = ["force_code", "urn"]
    icode, inv, iwho = by_code(files, ikeys, ["oic_id", "team"])
    iagg = files.assign(_c=icode).groupby("_c", sort=True).agg(
        state=("inv_state", "min"), last=("last_review_date", "max"), started=("started", "min")).reset_index(drop=True)
    inv = pd.concat([inv, iagg, iwho], axis=1)
    due = _d(inv["last"].fillna(inv["started"])) + np.timedelta64(th.review_period_days, "D")
    inv["review"] = _review_status(due, A, th.review_due_soon_days)
    # custody files still due
    cu = fr["cu"]
    arrest = cu["arrest_datetime"].to_numpy(dtype="datetime64[ms]", na_value=NAT).astype("datetime64[D]")
    target = _d(cu["file_target_date"])
    k = cu[_in_scope(cu, ctx) & (target <= A + np.timedelta64(th.ngap_due_soon_days, "D")) & (arrest <= A)]
    allco = fr["co"]
    sub_urns = allco.loc[_d(allco["submitted_to_cjs_date"]) <= A, ["force_code", "urn"]].dropna().drop_duplicates()
    k = k.merge(sub_urns.assign(_hit=True), on=["force_code", "urn"], how="left")
    k = k[~_b(k["_hit"].fillna(False).astype(bool)) | k["urn"].isna().to_numpy()]
    kdue = _d(k["file_target_date"])
    cust = pd.DataFrame({"force_code": k["force_code"].array, "team": k["team"].array,
                         "oic_id": k["oic_id"].array, "oic_name": k["oic_name"].array,
                         "custody_overdue": (kdue < A).astype(int), "custody_due_soon": (kdue >= A).astype(int)})
    okeys = ["force_code", "team", "oic_id"]
    fs = files["state"].to_numpy()
    up = _d(files["upgrade_due"])
    fpart = pd.DataFrame({
        "force_code": files["force_code"].array, "team": files["team"].array, "oic_id": files["oic_id"].array,
        "oic_name": files["oic_name"].array, "files": (fs == 0).astype(int),
        "red": ((fs == 0) & (files["band"] == "RED").to_numpy()).astype(int),
        "black": ((fs == 0) & (files["band"] == "BLACK").to_numpy()).astype(int),
        "amber": ((fs == 0) & (files["band"] == "AMBER").to_numpy()).astype(int),
        "next_stl": files["next_stl"].to_numpy(), "next_lwd": files["next_lwd"].to_numpy(),
        "files_in_scope": 1, "files_closed": (fs == 1).astype(int), "files_not_created": (fs == 2).astype(int),
        "upgrade_overdue": ((fs == 0) & (up < A)).astype(int),
        "upgrade_due_soon": ((fs == 0) & (up >= A) & (up <= A + np.timedelta64(th.ngap_due_soon_days, "D"))).astype(int),
    })
    ist = inv["state"].to_numpy()
    ipart = pd.DataFrame({
        "force_code": inv["force_code"].array, "team": inv["team"].array, "oic_id": inv["oic_id"].array,
        "investigations": (ist == 0).astype(int),
        "reviews_overdue": ((ist == 0) & (inv["review"] == "OVERDUE").to_numpy()).astype(int),
        "reviews_due": ((ist == 0) & (inv["review"] == "DUE").to_numpy()).astype(int),
        "investigations_in_scope": 1, "investigations_closed": (ist == 1).astype(int),
        "investigations_charged": (ist == 2).astype(int), "investigations_not_created": (ist == 3).astype(int),
    })
    counts = ["files", "red", "black", "amber", "investigations", "reviews_overdue", "reviews_due", "custody_overdue",
              "custody_due_soon", "upgrade_overdue", "upgrade_due_soon", "files_in_scope", "files_closed",
              "files_not_created", "investigations_in_scope", "investigations_closed", "investigations_charged",
              "investigations_not_created"]
    allp = pd.concat([fpart, ipart, cust], ignore_index=True)
    for col in counts:
        allp[col] = allp[col].fillna(0).astype(np.int64)
    off = allp.groupby(okeys, dropna=False, sort=False).agg(
        oic_name=("oic_name", "max"), next_stl=("next_stl", "min"), next_lwd=("next_lwd", "min"),
        **{col: (col, "sum") for col in counts}).reset_index()
    named = off["oic_id"].notna().to_numpy()
    off["_named"] = named
    off["_active"] = named & ((off["files"] + off["investigations"] + off["custody_overdue"] + off["custody_due_soon"]
                               + off["upgrade_overdue"] + off["upgrade_due_soon"]) > 0).to_numpy()
    off["load_score"] = (off["files"] * config.case_weight + off["red"] * config.red_extra
                         + off["black"] * config.black_extra + off["amber"] * config.amber_extra)
    off["files_overdue"] = off["custody_overdue"] + off["upgrade_overdue"]
    off["files_due_soon"] = off["custody_due_soon"] + off["upgrade_due_soon"]
    named_sum = ["investigations", "files", "load_score", "red", "black", "amber", "reviews_overdue", "reviews_due",
                 "files_overdue", "files_due_soon", "custody_overdue", "upgrade_overdue"]
    for col in named_sum:
        off[f"n_{col}"] = off[col].where(off["_named"], 0)
    nobody = {"no_officer_investigations": "investigations", "no_officer_files": "files",
              "no_officer_reviews_overdue": "reviews_overdue", "no_officer_reviews_due": "reviews_due",
              "no_officer_files_overdue": "files_overdue", "no_officer_files_due_soon": "files_due_soon"}
    for new, col in nobody.items():
        off[new] = off[col].where(~off["_named"], 0)
    off["n_next_stl"] = off["next_stl"].where(off["_named"])
    off["n_next_lwd"] = off["next_lwd"].where(off["_named"])
    off["_has_named"] = off["_named"].astype(int)
    recon = ["files_in_scope", "files_closed", "files_not_created", "investigations_in_scope", "investigations_closed",
             "investigations_charged", "investigations_not_created"]
    agg = {"officers": ("_active", "sum"), "_has_named": ("_has_named", "sum"),
           **{col: (f"n_{col}", "sum") for col in named_sum},
           "next_stl": ("n_next_stl", "min"), "next_stl_last_working_day": ("n_next_lwd", "min"),
           **{new: (new, "sum") for new in nobody}, **{col: (col, "sum") for col in recon}}
    levels = []
    for level, keys in (("scope", []), ("force", ["force_code"]), ("team", ["force_code", "team"]),
                        ("officer", okeys)):
        if keys:
            g = off.groupby(keys, dropna=False, sort=False).agg(oic_name=("oic_name", "max"), **agg).reset_index()
        else:
            g = off.assign(_all=0).groupby("_all").agg(oic_name=("oic_name", "max"), **agg).reset_index(drop=True)
            if off.empty:
                g = pd.DataFrame([{col: 0 for col in agg}])
        for col in okeys:
            if col not in g:
                g[col] = None
        if level != "officer":
            g["oic_name"] = None
        g["level"] = level
        levels.append(g)
    out = pd.concat(levels, ignore_index=True)
    out = out[~((out["level"] == "officer") & out["oic_id"].isna())].copy()
    out["rows_in_level"] = out.groupby("level")["level"].transform("size")
    # QUALIFY ranks on the raw aggregates (NULL, sorted last, where a group has no named officer);
    # the final ORDER BY on the coalesced ones.
    raw = out["_has_named"] > 0
    desc = {}
    for col in ("load_score", "reviews_overdue", "files"):
        desc[col] = np.where(raw, -out[col].to_numpy(dtype=float), np.inf)
    out["_r1"], out["_r2"], out["_r3"] = desc["load_score"], desc["reviews_overdue"], desc["files"]
    out = out.sort_values(["_r1", "_r2", "_r3", "force_code", "team", "oic_id"], na_position="last", kind="stable")
    out["_rn"] = out.groupby("level").cumcount() + 1
    cap = out["level"].map({"team": config.max_teams, "officer": config.max_officers}).fillna(1_000_000)
    out = out[out["_rn"] <= cap]
    out["_lv"] = out["level"].map({"scope": 0, "force": 1, "team": 2, "officer": 3})
    out["_c1"], out["_c2"], out["_c3"] = -out["load_score"], -out["reviews_overdue"], -out["files"]
    out = out.sort_values(["_lv", "_c1", "_c2", "_c3", "force_code", "team", "oic_id"], na_position="last",
                          kind="stable")
    return out.reset_index(drop=True)


# -- NGAP tracker -----------------------------------------------------------------------------
def _ngap_cases_frame(fr, ctx, group_by="section"):
    """ngap.sql's ngap_population + cases + keyed CTEs, one row per NGAP case."""
    import pandas as pd

    np = _np()
    from core.ngap import NO_GROUP
    from core.stl import BAND_ORDER

    A, th = _as_of(ctx), ctx.thresholds
    d = fr["co"].loc[_ngap_population(fr["co"], ctx)]
    rank = _band_rank(_d(d["stl_date"]), d["stl_rule"], _d(d["submitted_to_cjs_date"]), _d(d["commenced_date"]), A, th)
    keys = ["force_code", "urn", "defendant_id"]
    code = d.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    n = int(code.max()) + 1 if len(code) else 0
    d = d.assign(_rank=rank, _c=code)
    g = d.groupby("_c", sort=True).agg(
        officers=("ngap_allocated_officer_id", "count"), allocated_on=("ngap_allocation_date", "min"),
        due=("upgrade_file_due_date", "min"), officer_id=("ngap_allocated_officer_id", "min"),
        section_recorded=("ngap_section_leader", "min"), team=("team", "min"), oic_id=("oic_id", "min"),
        first_hearing_date=("first_hearing_date", "min"), commenced_date=("commenced_date", "min"),
        trial_date=("trial_date", "min"), file_stage=("file_stage", "min"), file_status=("file_status", "min"),
        offences=("urn", "size"), worst=("_rank", "min")).reset_index(drop=True)
    g = pd.concat([d.loc[~pd.Series(code).duplicated().to_numpy(), keys].reset_index(drop=True), g], axis=1)

    def arg_min(value: str, by: str):
        """DuckDB arg_min(value, by): the value at the lowest ``by``, rows with either NULL skipped."""
        x = (d[d[value].notna() & d[by].notna()].sort_values(by, kind="stable").drop_duplicates("_c"))
        out = pd.Series(pd.NA, index=range(n), dtype=d[value].dtype)
        out.iloc[x["_c"].to_numpy()] = x[value].to_numpy()
        return out

    g["officer_name"] = arg_min("ngap_allocated_officer_name", "ngap_allocated_officer_id")
    g["oic_name"] = arg_min("oic_name", "oic_id")
    alloc, due = _d(g["allocated_on"]), _d(g["due"])
    later = alloc > A
    g["light"] = _ngap_light(_b(g["officers"] > 0), alloc, due, A, th.ngap_due_soon_days)
    g["stl_band"] = [BAND_ORDER[int(w)] for w in g["worst"].to_numpy()]
    g["allocated_officer_id"] = g["officer_id"].where(~later)
    g["allocated_officer_name"] = g["officer_name"].where(~later)
    g["section_leader"] = g["section_recorded"].where(~later)
    g["allocation_date"] = g["allocated_on"].where(~later)
    g["days_to_due"] = _days(due, A)
    grp = (g["team"] if group_by == "team" else g["section_leader"]).astype(object)
    g["group_name"] = grp.where(grp.notna(), NO_GROUP)
    g["group_key"] = g["force_code"].astype(object) + "/" + g["group_name"].astype(object)
    g["officer_key"] = (g["force_code"].astype(object) + "/" + g["allocated_officer_id"].astype(object)).where(
        g["allocated_officer_id"].notna(), None)
    return g


def pd_ngap_case_counts(fr, ctx, prev):
    import pandas as pd

    from core.ngap import LIGHT_ORDER

    g = _ngap_cases_frame(fr, ctx)
    counts = g["light"].value_counts()
    got = [x for x in LIGHT_ORDER if x in counts.index]
    return pd.DataFrame({"light": got, "cases": [int(counts[x]) for x in got], "in_drill": [int(counts[x]) for x in got]})


def pd_ngap_cases(fr, ctx, prev):
    from core.ngap import LIGHT_ORDER

    rules = ctx.settings.section("ngap_tracker")
    g = _ngap_cases_frame(fr, ctx)
    g = g[g["light"].isin(list(LIGHT_ORDER))]
    g = g.assign(_l=g["light"].map({x: i for i, x in enumerate(LIGHT_ORDER)}), _d=_sort_nulls(_d(g["due"])))
    g = g.sort_values(["_l", "_d", "force_code", "urn", "defendant_id"], kind="stable").head(int(rules.list_cap))
    return g.rename(columns={"due": "upgrade_file_due_date"}).reset_index(drop=True)


def pd_ngap_backlog(fr, ctx, prev):
    from core.ngap import with_group_label  # noqa: F401  (the page adds the label; not part of the query)

    g = _ngap_cases_frame(fr, ctx)
    lights = {"unallocated": "UNALLOCATED", "overdue": "OVERDUE", "due_soon": "DUE_SOON", "no_due_date": "NO_DUE_DATE",
              "on_track": "ON_TRACK"}
    for col, light in lights.items():
        g[col] = (g["light"] == light).astype(int)
    out = g.groupby(["force_code", "group_name", "group_key"], sort=False).agg(
        **{col: (col, "sum") for col in lights}, cases=("light", "size")).reset_index()
    out["_b"] = -(out["unallocated"] + out["overdue"])
    out["_c"] = -out["cases"]
    return out.sort_values(["_b", "_c", "group_name", "force_code"], kind="stable").drop(columns=["_b", "_c"]) \
        .reset_index(drop=True)


def pd_ngap_workload(fr, ctx, prev):
    g = _ngap_cases_frame(fr, ctx)
    g = g[(g["light"] != "UNALLOCATED") & g["allocated_officer_id"].notna()]
    lights = {"overdue": "OVERDUE", "due_soon": "DUE_SOON", "no_due_date": "NO_DUE_DATE", "on_track": "ON_TRACK"}
    for col, light in lights.items():
        g[col] = (g["light"] == light).astype(int)

    def sections(s):
        vals = sorted(set(s.dropna()))
        return "; ".join(vals) if vals else None

    out = g.groupby(["force_code", "allocated_officer_id", "officer_key"], sort=False).agg(
        officer_name=("allocated_officer_name", "min"), section_leaders=("section_leader", sections),
        **{col: (col, "sum") for col in lights}, cases=("light", "size")).reset_index()
    out = out.rename(columns={"allocated_officer_id": "officer_id"})
    out = out.assign(_a=-out["overdue"], _b=-out["due_soon"], _c=-out["cases"]).sort_values(
        ["_a", "_b", "_c", "officer_id", "force_code"], kind="stable")
    return out.drop(columns=["_a", "_b", "_c"]).reset_index(drop=True)


def pd_ngap_trend(fr, ctx, prev):
    import pandas as pd

    np = _np()
    rules = ctx.settings.section("ngap_tracker")
    th = ctx.thresholds
    start, end = ctx.period
    g = _ngap_cases_frame(fr, ctx)
    reached = np.where(~np.isnat(_d(g["first_hearing_date"])), _d(g["first_hearing_date"]), _d(g["commenced_date"]))
    has, alloc, due = _b(g["officers"] > 0), _d(g["allocated_on"]), _d(g["due"])
    days = []
    d = min(end, ctx.as_of)
    while d >= start:
        days.append(d)
        d -= timedelta(days=int(rules.trend_step_days))
    rows = []
    for day in sorted(days):
        D = np.datetime64(day, "D")
        on = reached <= D
        light = _ngap_light(has[on], alloc[on], due[on], D, th.ngap_due_soon_days)
        rows.append({"week_ending": pd.Timestamp(day), "unallocated": int((light == "UNALLOCATED").sum()),
                     "overdue": int((light == "OVERDUE").sum()), "after_first_hearing": int(on.sum())})
    return pd.DataFrame(rows, columns=["week_ending", "unallocated", "overdue", "after_first_hearing"])


def pandas_items(page: str, ctx: Ctx) -> list[Item]:
    def it(name, fn):
        return Item(name, lambda fr, prev, fn=fn: fn(fr, ctx, prev))

    items = [it("all_forces", pd_all_forces), it("forces_and_teams", pd_forces_and_teams),
             it("data_as_of", pd_data_as_of)]
    items += {
        "home": [it("stl_band_counts", pd_stl_band_counts), it("cjs_queue_length", pd_cjs_queue_length),
                 it("review_counts", pd_review_counts), it("ngap_light_counts", pd_ngap_light_counts)],
        "stl_watch": [it("watch", pd_watch), it("custody_missed_target", pd_custody_missed_target),
                      it("black_by_team_month", pd_black_by_team_month), it("black_cases", pd_black_cases),
                      it("case_offences", pd_case_offences)],
        "submission_queue": [it("positions", pd_positions), it("weekly", pd_weekly), it("stage_times", pd_stage_times),
                             it("queue_lists", pd_queue_lists)],
        "my_team": [it("workload", pd_my_team_workload)],
        "ngap_tracker": [it("backlog", pd_ngap_backlog), it("workload", pd_ngap_workload),
                         it("case_counts", pd_ngap_case_counts), it("cases", pd_ngap_cases),
                         it("trend", pd_ngap_trend)],
    }[page]
    return items


# =============================================================================================
# Workers (run by ``python -m bench.worker page_app|page_duckdb|page_pandas``, one fresh process each)
# =============================================================================================
def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time_items(items: list[Item], source: Any, repeat: int) -> dict[str, Any]:
    """First pass (cold: each item's first call, in page order; it is also the warm-up), then
    ``repeat`` passes of the whole data work in page order."""
    prev: dict[str, Any] = {}
    first: dict[str, float] = {}
    t0 = time.perf_counter()
    for it in items:
        t = time.perf_counter()
        prev[it.name] = it.run(source, prev)
        first[it.name] = time.perf_counter() - t
    first_total = time.perf_counter() - t0
    times: dict[str, list[float]] = {it.name: [] for it in items}
    seq: list[float] = []
    c0 = _cpu()
    for _ in range(repeat):
        s0 = time.perf_counter()
        for it in items:
            t = time.perf_counter()
            prev[it.name] = it.run(source, prev)
            times[it.name].append(time.perf_counter() - t)
        seq.append(time.perf_counter() - s0)
    cpu = (_cpu() - c0) / max(repeat, 1)
    return {"first": first, "first_total": first_total, "times": times, "seq": seq, "cpu_per_seq": cpu,
            "names": [it.name for it in items], "results": prev}


def m_page_duckdb(spec: dict) -> dict:
    import core.queries  # noqa: F401  (imports before the clock)
    from core.store import Store

    page = spec["page"]
    ctx = Ctx(date.fromisoformat(spec["as_of"]), tuple(spec["forces"]))
    for mod in ("core.stl_watch", "core.queue", "core.my_team", "core.ngap"):
        __import__(mod)
    rss0 = _rss_mib()
    t = time.perf_counter()
    con = Store(spec["store_dir"]).connect_read()
    connect_s = time.perf_counter() - t
    r = _time_items(duck_items(page, ctx), con, spec["repeat"])
    con.close()
    results = r.pop("results")
    return {"wall": median(r["seq"]), "connect_s": connect_s, "rss_after_imports": rss0, "rss_end": _rss_mib(), **r,
            "answers": {n: answer(page, n, results[n]) for n in r["names"]}}


def m_page_pandas(spec: dict) -> dict:
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    page = spec["page"]
    ctx = Ctx(date.fromisoformat(spec["as_of"]), tuple(spec["forces"]))
    for mod in ("core.stl_watch", "core.queue", "core.my_team", "core.ngap"):
        __import__(mod)
    rss0 = _rss_mib()
    t = time.perf_counter()
    frames = load_frames(spec["store_dir"], page)
    load_s = time.perf_counter() - t
    rss_loaded = _rss_mib()
    frame_mib = sum(float(df.memory_usage(deep=True).sum()) for df in frames.values()) / 2**20
    r = _time_items(pandas_items(page, ctx), frames, spec["repeat"])
    results = r.pop("results")
    return {"wall": median(r["seq"]), "load_s": load_s, "rss_after_imports": rss0, "rss_loaded": rss_loaded,
            "rss_end": _rss_mib(), "frame_mib": frame_mib,
            "frame_shape": {k: [len(v), len(v.columns)] for k, v in frames.items()}, **r,
            "answers": {n: answer(page, n, results[n]) for n in r["names"]}}


def m_page_app(spec: dict) -> dict:
    """The page through Streamlit's AppTest, as tests/app/conftest.py runs the dashboard."""
    os.environ["CASEWATCH_STORE"] = spec["store_dir"]
    # The audit trail of page views goes to the harness's scratch folder, not beside the data.
    os.environ["CASEWATCH_AUDIT"] = spec["audit_path"]
    page = spec["page"]
    t = time.perf_counter()
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    import ui.data  # noqa: F401
    import ui.filters
    import ui.format  # noqa: F401
    import ui.widgets  # noqa: F401

    for mod in ("core.charts", "core.stl_watch", "core.queue", "core.my_team", "core.ngap", "core.export"):
        __import__(mod)
    imports_s = time.perf_counter() - t
    if ui.filters.DEFAULT_PERIOD_WEEKS != PERIOD_WEEKS:
        raise RuntimeError("bench.pages.PERIOD_WEEKS no longer matches ui.filters.DEFAULT_PERIOD_WEEKS")

    # A real server sets this to False the first time st.navigation runs; AppTest resets it before
    # every run (see tests/app/conftest.py, navigation_like_the_server).
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    # Local mode (the default sign-in, role cjs_manager: every force) is refused unless the server is
    # bound to loopback, as bin/dashboard binds it; AppTest has no server (tests/app/conftest.py).
    from streamlit import config as st_config

    st_config.set_option("server.address", "localhost")

    as_of = date.fromisoformat(spec["as_of"])
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=spec.get("timeout", 600))
    at.query_params["as_of"] = spec["as_of"]
    at.switch_page(f"pages/{page}.py")

    def check(what: str) -> None:
        if at.exception:
            raise RuntimeError(f"{page} {what}: {[e.value for e in at.exception]}")
        try:
            got = at.date_input(key="as_of").value
        except KeyError:
            said = [x.value for x in (*at.error, *at.warning, *at.info)][:5]
            raise RuntimeError(f"{page} {what}: the page stopped before the sidebar; it said {said}") from None
        if got != as_of:
            raise RuntimeError(f"{page} {what}: as-of date is {got}, not {as_of}")
        titles = [x.value for x in at.title]
        if PAGE_HAS_TITLE.get(page, True) and TITLES[page] not in titles:
            raise RuntimeError(f"{page} {what}: title {titles}, expected {TITLES[page]!r}")

    def timed(action: Callable[[], Any], what: str) -> float:
        t0 = time.perf_counter()
        action()
        dt = time.perf_counter() - t0
        check(what)
        return dt

    rss0 = _rss_mib()
    c0 = _cpu()
    first = timed(at.run, "first run")
    first_cpu = _cpu() - c0
    rss_first = _rss_mib()
    metrics = [[m.label, m.value] for m in at.metric]
    elements = {"metric": len(at.metric), "dataframe": len(at.dataframe), "table": len(at.table)}
    cached = [timed(at.run, "cached rerun") for _ in range(spec["reruns"])]
    miss = {}
    for force in spec["forces"]:
        miss[force] = timed(lambda force=force: at.multiselect(key="force").set_value([force]).run(),
                            f"force {force}")
    back = timed(lambda: at.multiselect(key="force").set_value([]).run(), "back to all forces")
    if [[m.label, m.value] for m in at.metric] != metrics:
        raise RuntimeError(f"{page}: the metrics changed after going back to all forces")
    cleared = []
    c0 = _cpu()
    for _ in range(spec["reruns"]):
        st.cache_data.clear()
        cleared.append(timed(at.run, "rerun after st.cache_data.clear()"))
    cleared_cpu = (_cpu() - c0) / max(spec["reruns"], 1)
    return {"wall": median(cached), "imports_s": imports_s, "first": first, "first_cpu": first_cpu,
            "cached": cached, "miss": miss, "back_to_all": back, "cleared": cleared, "cleared_cpu": cleared_cpu,
            "rss_after_imports": rss0, "rss_after_first": rss_first, "rss_end": _rss_mib(),
            "metrics": metrics, "elements": elements}


# =============================================================================================
# Orchestration
# =============================================================================================
FINGERPRINT = ("core/*.py", "core/queries/*.sql", "core/reference/*.csv", "ui/*.py", "pages/*.py", "dashboard.py",
               "data_loaders/*.py")


def fingerprint() -> dict[str, Any]:
    h = hashlib.sha256()
    newest = 0.0
    for pattern in FINGERPRINT:
        for p in sorted(ROOT.glob(pattern)):
            h.update(p.relative_to(ROOT).as_posix().encode())
            h.update(p.read_bytes())
            newest = max(newest, p.stat().st_mtime)
    return {"sha256": h.hexdigest()[:12], "newest": datetime.fromtimestamp(newest, UTC).strftime("%H:%M:%S UTC")}


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if a[k] != b.get(k):
                return _first_difference(a[k], b.get(k), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} rows (DuckDB) vs {len(b)} (pandas)"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: DuckDB {str(a)[:300]} / pandas {str(b)[:300]}"


class Harness:
    def __init__(self, quiet_budget: float, work: Path) -> None:
        self.quiet_left = quiet_budget
        self.work = work

    def run(self, method: str, spec: dict):
        from bench import run as R

        R.QUIET_WAIT[0] = max(self.quiet_left, 0.0)
        t = time.perf_counter()
        run = R.run_worker(method, spec, self.work)
        waited = max(time.perf_counter() - t - run.proc_wall - 1.0, 0.0)
        self.quiet_left -= waited
        return run


def _ms(values: list[float]) -> str:
    v = [x * 1000 for x in values]
    if len(v) == 1:
        return f"{v[0]:,.0f}"
    return f"{median(v):,.0f} ({min(v):,.0f}–{max(v):,.0f})"


def _s(x: float) -> str:
    return f"{x:,.2f}"


def render(res: dict[str, Any]) -> str:
    res = {**res, "pages": [p for p in res["pages"] if p in res["results"]]}
    m = res["machine"]
    lines = [
        f"### Casewatch pages — {res['rows']:,} case-file rows",
        "",
        f"`{res['command']}` — {m['when']}, {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB; Python "
        f"{m['python']}, duckdb {m['duckdb']}, pandas {m['pandas']}, streamlit {res['streamlit']}; commit "
        f"{m['commit']} + working tree; product code fingerprint {res['code']['sha256']} (newest file "
        f"{res['code']['newest']}). As of {res['as_of']} (the generator's anchor), period "
        f"{res['period'][0]} – {res['period'][1]}, all forces ({', '.join(res['forces'])}).",
        "",
    ]
    if res["code_at_end"]["sha256"] != res["code"]["sha256"]:
        lines += [f"⚠ Product code changed during the run (fingerprint at end {res['code_at_end']['sha256']}, newest "
                  f"file {res['code_at_end']['newest']}): figures may mix two versions.", ""]
    d = res["data"]
    lines += [
        f"Store: {d['case_offences']:,} offence rows, {d['custody']:,} custody rows, {d['store_mib']:.0f} MiB "
        f"({d['store_note']}).",
        "",
        "#### Full rerun through Streamlit (AppTest, fresh process per page; seconds)",
        "",
        "Cached rerun: every query a cache hit, so it is the page's own cost (entry point, sidebar, building "
        "and shipping its elements). One force chosen: a filter change that misses the cache (each force in "
        "turn). Cleared: `st.cache_data.clear()` then rerun, the same queries as the data-work columns below.",
        "",
        "| page | first run (cold caches, fresh process) | cached rerun, median (min–max) | one force chosen (cache miss) | "
        "rerun after `st.cache_data.clear()`, median | cleared − cached (data work in the page) | data work alone, "
        "DuckDB warm | peak RSS MiB | other load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for page in res["pages"]:
        p = res["results"][page]
        a, dk = p["app"], p["duckdb"]
        cleared, cached = median(a["cleared"]), median(a["cached"])
        work_text = f"{median(dk['seq']):.2f}" if dk else "– (no twin)"
        miss = " / ".join(f"{v:.2f}" for v in a["miss"].values())
        warn = " ⚠" if p["other_load"]["app"] >= 0.5 else ""
        lines.append(
            f"| {TITLES[page]} | {a['first']:.2f} | {cached:.3f} ({min(a['cached']):.3f}–{max(a['cached']):.3f}) | "
            f"{miss} | {cleared:.2f} ({min(a['cleared']):.2f}–{max(a['cleared']):.2f}) | {cleared - cached:.2f} | "
            f"{work_text} | {p['peak_rss_mib']['app']:,.0f} | {p['other_load']['app']:.2f}{warn} |")
    twins = [pg for pg in res["pages"] if res["results"][pg]["duckdb"]]
    lines += [
        "",
        "#### Data work alone: DuckDB (`core` functions) beside plain pandas (seconds; warm = median (min–max) of "
        f"{res['repeat']} passes of the page's calls in order)",
        "",
        "| page | DuckDB first pass (cold) | DuckDB warm | pandas first pass | pandas warm | pandas ÷ DuckDB | "
        "pandas load from store (frame MiB) | peak RSS MiB DuckDB / pandas | answers equal | other load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for page in twins:
        p = res["results"][page]
        dk, pd_ = p["duckdb"], p["pandas"]
        eq = all(p["equal"].values())
        ol = max(p["other_load"]["duckdb"], p["other_load"]["pandas"])
        lines.append(
            f"| {TITLES[page]} | {dk['first_total']:.2f} | {median(dk['seq']):.2f} ({min(dk['seq']):.2f}–"
            f"{max(dk['seq']):.2f}) | {pd_['first_total']:.2f} | {median(pd_['seq']):.2f} ({min(pd_['seq']):.2f}–"
            f"{max(pd_['seq']):.2f}) | {median(pd_['seq']) / median(dk['seq']):.1f}× | {pd_['load_s']:.2f} "
            f"({pd_['frame_mib']:,.0f}) | {p['peak_rss_mib']['duckdb']:,.0f} / {p['peak_rss_mib']['pandas']:,.0f} | "
            f"{'yes, ' + str(len(p['equal'])) + ' of ' + str(len(p['equal'])) if eq else 'NO'} | "
            f"{p['other_load']['duckdb']:.2f} / {p['other_load']['pandas']:.2f}{' ⚠' if ol >= 0.5 else ''} |")
    lines += [
        "",
        "#### Per call (warm medians, ms; the sidebar's three calls run on every page)",
        "",
        "| page | call | DuckDB ms | pandas ms | pandas ÷ DuckDB | equal | answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for page in twins:
        p = res["results"][page]
        for name in p["duckdb"]["names"]:
            if name in ("all_forces", "forces_and_teams", "data_as_of") and page != twins[0]:
                continue
            dt, pt = p["duckdb"]["times"][name], p["pandas"]["times"][name]
            lines.append(
                f"| {TITLES[page]} | {name} | {_ms(dt)} | {_ms(pt)} | {median(pt) / median(dt):.1f}× | "
                f"{'yes' if p['equal'][name] else 'NO'} | {p['summaries'][name]} |")
    lines += ["", "#### Budgets (performance.md, 'Pages and queries', at 1M rows)", "",
              "| page | 4. every query ≤ 150 ms | 5. queries ≤ 250 ms | 5. warm rerun ≤ 150 ms | "
              "5. cold caches ≤ 2 × (warm rerun + queries): cleared data cache | same: first run in a fresh "
              "process |", "|---|---|---|---|---|---|"]
    for page in twins:
        p = res["results"][page]
        a, dk = p["app"], p["duckdb"]
        over = [f"{n} {median(v) * 1000:,.0f}" for n, v in dk["times"].items() if median(v) > 0.150]
        work, warm, cleared = median(dk["seq"]), median(a["cached"]), median(a["cleared"])
        limit = 2 * (warm + work)

        def verdict(ok: bool) -> str:
            return "met" if ok else "**missed**"

        lines.append(
            f"| {TITLES[page]} | {verdict(not over)}{': ' + ', '.join(over) + ' ms' if over else ''} | "
            f"{verdict(work <= 0.250)} ({work * 1000:,.0f} ms) | {verdict(warm <= 0.150)} ({warm * 1000:,.0f} ms) | "
            f"{verdict(cleared <= limit)} ({cleared:.2f} s; limit {limit:.2f} s) | "
            f"{verdict(a['first'] <= limit)} ({a['first']:.2f} s) |")
    for page, err in res.get("errors", {}).items():
        lines += ["", f"⚠ {TITLES[page]} was not measured: {err.strip().splitlines()[-1][:300]}"]
    lines += [
        "",
        "Imports before the clock (AppTest process): " + "; ".join(
            f"{TITLES[pg]} {res['results'][pg]['app']['imports_s']:.1f} s" for pg in res["pages"]) + ". "
        "DuckDB `connect_read()`: " + "; ".join(
            f"{res['results'][pg]['duckdb']['connect_s'] * 1000:.0f} ms" for pg in twins[:1]) + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from bench import run as R

    ap = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="case-file rows (default 1,000,000)")
    ap.add_argument("--data-dir", type=Path, help="CSVs and DIR/store (generated/loaded if missing, reused if present)")
    ap.add_argument("--pages", nargs="*", default=list(PAGES + APP_ONLY), choices=PAGES + APP_ONLY,
                    help="pages to measure (default all; " + ", ".join(APP_ONLY) + " through Streamlit only)")
    ap.add_argument("--reruns", type=int, default=5, help="cached reruns and cleared-cache reruns per page (default 5)")
    ap.add_argument("--repeat", type=int, default=5, help="warm passes of the data work per side (default 5)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="folder for pages-<rows>.md/.json")
    ap.add_argument("--quiet-wait", type=float, default=120.0,
                    help="seconds in total to wait for other processes to go below 0.5 cores (default 120)")
    ap.add_argument("--reload", action="store_true", help="load the CSVs into DIR/store again even if it exists")
    ap.add_argument("--anchor", default=ANCHOR, help="generator anchor date and the pages' as-of date")
    ap.add_argument("--seed", type=int, default=36, help="generator seed (default 36)")
    args = ap.parse_args(argv)

    import streamlit

    command = "python -m bench.pages " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="casewatch-pages-"))
    work = scratch / "work"
    work.mkdir()
    h = Harness(args.quiet_wait, work)
    as_of = date.fromisoformat(args.anchor)
    res: dict[str, Any] = {
        "command": command.strip(), "rows": args.rows, "repeat": args.repeat, "reruns": args.reruns,
        "machine": R.machine_info(), "streamlit": streamlit.__version__, "code": fingerprint(), "as_of": args.anchor,
        "period": [d.isoformat() for d in Ctx(as_of, ()).period], "pages": list(args.pages), "results": {},
        "errors": {},
    }
    started = time.perf_counter()
    try:
        data_dir = args.data_dir or scratch / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        files = R.classify(list(data_dir.iterdir()))
        if not files["case_files"]:
            print(f"generating {args.rows:,} case-file rows into {data_dir} …", flush=True)
            run = h.run("generate", {"out_dir": str(data_dir), "anchor": args.anchor, "seed": args.seed,
                                     "rows": args.rows})
            res["generate"] = {"wall_s": run.result["wall"], "peak_rss_mib": run.peak_rss_mib}
            files = R.classify([Path(p) for p in run.result["files"].values()])
        n_case = R.count_rows(files["case_files"])
        if n_case != args.rows:
            raise SystemExit(f"{data_dir} holds {n_case:,} case-file rows, not --rows {args.rows:,}")
        store_dir = data_dir / "store"
        if args.reload or not (store_dir / "CURRENT").exists():
            print(f"loading into {store_dir} …", flush=True)
            run = h.run("load", {"files": [str(p) for p in files["case_files"] + files["custody"]],
                                 "store_dir": str(store_dir), "instrument": False})
            res["load"] = {"wall_s": run.result["wall"], "peak_rss_mib": run.peak_rss_mib}
            note = f"loaded now in {run.result['wall']:.0f} s"
        from core.store import Store

        con = Store(store_dir).connect_read()
        cur = con.cursor()
        gen = Store(store_dir).current()
        forces = tuple(r[0] for r in cur.execute(ALL_FORCES_SQL).fetchall())
        n_co = cur.execute("SELECT count(*) FROM case_offences").fetchall()[0][0]
        n_cu = cur.execute("SELECT count(*) FROM custody").fetchall()[0][0]
        cur.close()
        con.close()
        if "load" not in res:
            note = f"reused, published {datetime.fromtimestamp(gen.stat().st_mtime, UTC):%Y-%m-%d %H:%M} UTC"
        res["data"] = {"dir": str(data_dir), "case_offences": n_co, "custody": n_cu,
                       "store_mib": gen.stat().st_size / 2**20, "store_note": note}
        res["forces"] = list(forces)
        print(f"store: {n_co:,} offence rows, {n_cu:,} custody rows; forces {forces}", flush=True)

        failures = []
        for page in args.pages:
            spec = {"page": page, "store_dir": str(store_dir), "as_of": args.anchor, "forces": list(forces),
                    "repeat": args.repeat, "reruns": args.reruns, "audit_path": str(scratch / "audit.jsonl")}
            print(f"{page} …", flush=True)
            runs = {}
            try:
                sides = (("app", "page_app"), ("duckdb", "page_duckdb"), ("pandas", "page_pandas"))
                for side, method in sides[:1] if page in APP_ONLY else sides:
                    runs[side] = h.run(method, spec)
                    r = runs[side].result
                    print(f"  {side}: {r['wall']:.3f} s (median), peak {runs[side].peak_rss_mib:,.0f} MiB, "
                          f"other load {runs[side].other_load:.2f}", flush=True)
            except RuntimeError as exc:  # a page that fails is reported, the others still measured
                print(f"  FAILED: {exc}", flush=True)
                res["errors"][page] = str(exc)[-3000:]
                continue
            if page in APP_ONLY:
                res["results"][page] = {
                    "app": runs["app"].result, "duckdb": None, "pandas": None, "equal": {},
                    "peak_rss_mib": {"app": runs["app"].peak_rss_mib},
                    "process_wall_s": {"app": runs["app"].proc_wall},
                    "child_cpu_s": {"app": runs["app"].child_cpu},
                    "other_load": {"app": runs["app"].other_load},
                }
                continue
            da, pa_ = runs["duckdb"].result.pop("answers"), runs["pandas"].result.pop("answers")
            equal = {n: da[n] == pa_.get(n) for n in da}
            for n, ok in equal.items():
                if not ok:
                    failures.append(f"{page}.{n}: {_first_difference(da[n], pa_.get(n))}")
            res["results"][page] = {
                "app": runs["app"].result, "duckdb": runs["duckdb"].result, "pandas": runs["pandas"].result,
                "equal": equal,
                "summaries": {n: headline(page, n, da[n]) for n in da},
                "digest": {n: hashlib.sha256(json.dumps(da[n], sort_keys=True).encode()).hexdigest()[:12] for n in da},
                "peak_rss_mib": {k: v.peak_rss_mib for k, v in runs.items()},
                "process_wall_s": {k: v.proc_wall for k, v in runs.items()},
                "child_cpu_s": {k: v.child_cpu for k, v in runs.items()},
                "other_load": {k: v.other_load for k, v in runs.items()},
            }
            print(f"  answers equal: {all(equal.values())} ({len(equal)} calls)", flush=True)
        res["code_at_end"] = fingerprint()
        res["harness_wall_s"] = time.perf_counter() - started
        res["quiet_wait_left_s"] = h.quiet_left
        stem = f"pages-{args.rows}"
        (args.out / f"{stem}.json").write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
        md = render(res)
        (args.out / f"{stem}.md").write_text(md + "\n", encoding="utf-8")
        print()
        print(md)
        print(f"written {args.out / stem}.md and .json (harness {res['harness_wall_s']:.0f} s)")
        if res["errors"]:
            failures += [f"{page} failed: {err[-500:]}" for page, err in res["errors"].items()]
        if failures:
            raise AssertionError("pandas answers differ from DuckDB answers:\n" + "\n".join(failures))
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
