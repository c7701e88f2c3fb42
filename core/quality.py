"""Case-building quality: first-time right, rejection and action-plan themes, timeliness, training needs.

Why this module exists
----------------------
The joint police/CPS inspection (HMICFRS & HMCPSI, "Joint case building by the police and CPS",
10 July 2025; domain.md section 8) found no shared, trusted measures of file quality. Joint
Operational Improvement Meetings (JOIMs) and case-building leads need to see how often files are
right first time, why they are not, how long each step takes, and which teams and officers keep
failing for the same reason, with the cases behind every figure. This module holds the page's
definitions, settings, queries (``core/queries/quality.sql``) and figures; pages/quality.py only
renders. No Streamlit here.

Unit and snapshot
-----------------
A case is one URN of one force. Case-level columns are repeated on every offence row (the extract
contract); where a case's rows disagree, the earliest date, the worse outcome (REJECTED,
ACTION_PLAN), the most resubmissions and the lowest collar number (with its team and name, as My
Team attributes files) are taken, so a case is first-time right only if all its rows say so. Its
reasons are the distinct reasons over all its rows (two defendants' files can carry different
ones). The cohort rules are SQL macros (``MACROS``), applied to a case's columns for the rates and
to the rows that carry reasons for the themes, so the two readings cannot drift apart. The extract
is a snapshot, so each rule below says what it can see:

* the triage columns hold one triage date and outcome (the sample generator documents them as the
  *first* triage; a force extract may hold the latest), and ``resubmission_count`` counts
  resubmissions. A file accepted with resubmissions was rejected before, whichever triage is
  recorded, so the definition below holds for both readings;
* only the latest CPS decision is dated; ``action_plan_reasons`` keeps the reasons of an earlier
  action plan, so a file later charged still shows that it had one (domain.md 4.5; core.queue A3);
* resubmission dates and the date an action plan was answered are not in the extract.

Every rule is worked out as of the as-of date: an event dated after it has not happened yet.
Measures cover the period filter's window, from its start to the earlier of its end and the as-of
date.

Definitions (shown beside each measure on the page: ``DEFINITIONS``, ``TIMELINESS``)
-------------------------------------------------------------------------------------
CJS first-time right
    Of the cases triaged by CJS in the window (triage date in the window and an outcome recorded),
    those ACCEPTED with no resubmission (``resubmission_count`` 0 or blank). Source: the NFS
    triage outcome (domain.md 4.4).
CPS compliant first time
    Of the charging requests sent to the CPS in the window and decided by the as-of date, those
    whose decision (charge, NFA or out of court) came without an action plan: the decision is not
    ACTION_PLAN and no action-plan reasons are recorded. NFA and out-of-court decisions count as
    compliant: the file was enough to decide on; only an action plan says it was not (DG6, the
    prosecutor's action plan, domain.md 4.3 and 4.5). A charging request is a file sent to the CPS
    with a CPS decision recorded, or sent before any charge (a file sent after charge with no
    decision is a post-charge file and is not counted).
Themes
    Action-plan reasons are "THEME - detail" (the Director's Guidance Assessment categories,
    domain.md 4.5): the theme is the text before " - ". Rejection reasons (the 13 NFS
    non-compliance reasons, domain.md 4.4) have no theme in their text, so the force maps them
    (``QualitySettings.rejection_themes``; force choice, not national policy). A mapping entry
    wins over the " - " rule; a reason with neither is ``OTHER_THEME``.
Training need
    A team with at least ``min_repeats_team`` cases, or an officer with at least
    ``min_repeats_officer``, with a reason of the same theme (or the same reason, ``need_by``) in
    the window, counted once per case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from core.export import ExportColumn, ExportSheet
from core.forces import FORCE_NAMES
from core.scope import Scope

if TYPE_CHECKING:  # core.config imports this module lazily for its settings table
    from core.config import Thresholds

LEVELS = {"force": "Force", "team": "Team", "officer": "Officer"}
"""Ways to group the measures: by force, by the case's team, by its officer in the case."""
KINDS = {"rejection": "CJS triage rejections", "action_plan": "CPS action plans"}
"""The two kinds of reason: NFS rejection at CJS triage, and the CPS prosecutor's action plan."""
KIND_SHORT = {"rejection": "CJS rejection", "action_plan": "CPS action plan"}
NEED_BY = {"theme": "Theme", "reason": "Reason"}
GRAINS = {"week": "Week", "month": "Month"}
NO_GROUP = "(none recorded)"
"""The team or officer of cases with none recorded."""
OTHER_THEME = "OTHER (no theme mapped)"
"""The theme of a reason that the force's mapping does not list and that has no ' - ' in it."""

DEFINITIONS = {
    "cjs_ftr": (
        "CJS first-time right = cases triaged by CJS in the period that were ACCEPTED with no "
        "resubmission, out of all cases triaged in the period (triage date in the period, outcome "
        "recorded). A file accepted after a resubmission was rejected before, so it is not first-time "
        "right. Triages dated after the as-of date have not happened yet."
    ),
    "cps_ftr": (
        "CPS compliant first time = charging requests sent to the CPS in the period and decided by the "
        "as-of date whose decision (charge, NFA or out of court) came without an action plan, out of all "
        "of them. NFA and out of court count: the file was enough to decide on. A file later charged "
        "after an action plan is not compliant first time (its action-plan reasons are kept). Requests "
        "still awaiting a decision are not in the rate; files sent after charge with no CPS decision are "
        "post-charge files, not charging requests."
    ),
    "rejection": (
        "Cases in the CJS triage cohort (triaged in the period) with each National File Standard "
        "rejection reason, counted once per case and reason; a theme counts a case once however many "
        "of its reasons it has. Themes of rejection reasons are the force's mapping (settings "
        "[quality] rejection_themes). Share = cases with the reason out of all cases triaged."
    ),
    "action_plan": (
        "Cases in the CPS cohort (charging requests sent in the period, decided by the as-of date) with "
        "each action-plan reason, counted once per case and reason; the theme is the text before ' - ' "
        "(Director's Guidance Assessment category). Share = cases with the reason out of all decided "
        "requests."
    ),
    "needs": (
        "A training need is a team with at least {min_team} cases, or an officer with at least "
        "{min_officer} cases, with a reason of the same {need_by} in the period (counted once per case). "
        "Share = those cases out of the team's or officer's cases in the same cohort (triaged at CJS, or "
        "decided by the CPS). The trend is the number of such cases week by week (Monday weeks)."
    ),
}

TIMELINESS = {
    "arrest_to_submission": (
        "Arrest to submission",
        "Days from the arrest date to the file's first submission to CJS, for cases submitted in the "
        "period that record an arrest (voluntary attendances have none).",
    ),
    "submission_to_triage": (
        "Submission to CJS triage",
        "Days from first submission to the recorded CJS triage, for cases triaged in the period.",
    ),
    "cps_decision": (
        "Sent to CPS to decision (no action plan)",
        "Days from the file being sent to the CPS to the charging decision, for requests sent in the "
        "period and decided without an action plan.",
    ),
    "cps_action_plan": (
        "Sent to CPS to action plan",
        "Days from the file being sent to the CPS to the action plan, for requests sent in the period "
        "whose latest decision is an action plan.",
    ),
    "cps_decision_after_plan": (
        "Sent to CPS to decision after an action plan",
        "Days from the file being first sent to the CPS to the final decision, for requests sent in the "
        "period that were decided after an action plan: the police's work on the plan and the CPS's "
        "second review are inside this time.",
    ),
    "action_plan_open": (
        "Action plans still open (days since set)",
        "Days from the action plan to the as-of date, for requests sent in the period whose latest "
        "decision is an action plan: plans the police have not yet answered with a decision following.",
    ),
}
ACTION_PLAN_TURNAROUND_NOTE = (
    "Action-plan turnaround (action plan to the police's resubmission) cannot be worked out from the "
    "extract: it is a snapshot that keeps only the latest CPS decision and its date, and no resubmission "
    "dates. Once a later decision is recorded, the action plan's own date is gone. What can be measured "
    "is shown instead: how long open action plans have been waiting, and the whole sent-to-decision time "
    "of requests decided after an action plan beside that of requests decided without one."
)
COHORT_LABELS = {
    "cjs": {
        "not_triaged": "not triaged by the as-of date (not submitted, awaiting triage, or triaged later)",
        "before": "triaged before the period",
        "after": "triaged after the period",
    },
    "cps": {
        "awaiting": "sent in the period, no CPS decision by the as-of date",
        "post_charge": "sent to the CPS after charge with no CPS decision (a post-charge file)",
        "not_sent": "not sent to the CPS by the as-of date",
        "before": "sent to the CPS before the period",
        "after": "sent to the CPS after the period",
    },
}

DEFAULT_REJECTION_THEMES: tuple[tuple[str, str], ...] = (
    ("NO/MISSING MG11S", "EVIDENCE"),
    ("NO/MISSING EXHIBITS", "EVIDENCE"),
    ("HARD MEDIA NOT PROVIDED", "EVIDENCE"),
    ("NO SUMMARY OF INTERVIEW", "EVIDENCE"),
    ("NO/MISSING DISCLOSURE SCHEDULE", "DISCLOSURE"),
    ("THIRD-PARTY MATERIAL NOT PROVIDED", "DISCLOSURE"),
    ("MISSING SUSPECT'S PREVIOUS CONVICTIONS", "PREVIOUS CONVICTIONS"),
    ("MISSING VICTIM/WITNESS PREVIOUS CONVICTIONS", "PREVIOUS CONVICTIONS"),
    ("NO MG3", "FILE FORMS AND SUPERVISION"),
    ("NO/INCOMPLETE SUPERVISOR'S COMMENTS", "FILE FORMS AND SUPERVISION"),
    ("NO DA (DV) CHECKLIST", "FILE FORMS AND SUPERVISION"),
    ("CASE MATERIAL NOT CORRECTLY RECEIVED", "ADMINISTRATION"),
    ("INCOMPLETE OIC CONTACT DETAILS", "ADMINISTRATION"),
)
"""The 13 NFS rejection reasons (domain.md 4.4) grouped as the NFS groups the file's content:
evidence (statements, exhibits, media, interview), disclosure, previous convictions, the forms and
supervision, and administration. Force choice, not national policy: override in ``[quality]``."""


@dataclass(frozen=True)
class QualitySettings:
    """Settings of the Case-building quality page (force choice, not law). TOML table ``[quality]``.

    Why these defaults: three cases with the same theme in a twelve-week period is a pattern for one
    officer (once is chance, twice a coincidence); a team pools several officers, so it takes five.
    """

    min_repeats_officer: int = 3
    """An officer is listed as a training need at this many cases with the same theme (or reason)."""
    min_repeats_team: int = 5
    """A team is listed as a training need at this many cases with the same theme (or reason)."""
    need_by: str = "theme"
    """'theme' groups repeated reasons by theme; 'reason' needs the very same reason repeated."""
    trend_grain: str = "week"
    """Buckets of the charts over time: 'week' (Monday weeks) or 'month'."""
    chart_groups: int = 25
    """Most forces, teams or officers drawn on a chart; the table twin lists every one."""
    chart_themes: int = 8
    """Most themes (or reasons) drawn as separate series on the charts by group and over time."""
    list_cap: int = 500
    """Most cases listed behind a training need or a reason (the page says how many more there are)."""
    timeliness_edges: tuple[int, ...] = (1, 3, 7, 14, 28, 56)
    """Upper ends, in days, of the bands of the timeliness distributions (the last band is open)."""
    rejection_themes: tuple[tuple[str, str], ...] = DEFAULT_REJECTION_THEMES
    """Theme of each rejection reason, as [reason, theme] pairs; matched ignoring case."""

    def __post_init__(self) -> None:
        themes = tuple(tuple(str(x).strip() for x in pair) for pair in self.rejection_themes)
        if any(len(pair) != 2 or not all(pair) for pair in themes):
            raise ValueError("quality.rejection_themes must be [reason, theme] pairs of non-empty text")
        object.__setattr__(self, "rejection_themes", themes)
        edges = tuple(int(e) for e in self.timeliness_edges)
        if not edges or any(e < 0 for e in edges) or list(edges) != sorted(set(edges)):
            raise ValueError("quality.timeliness_edges must be increasing whole numbers of days, 0 or more")
        object.__setattr__(self, "timeliness_edges", edges)
        for name in ("min_repeats_officer", "min_repeats_team", "chart_groups", "chart_themes", "list_cap"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"quality.{name} must be a whole number of 1 or more, not {value!r}")
        if self.need_by not in NEED_BY:
            raise ValueError(f"quality.need_by must be one of {sorted(NEED_BY)}, not {self.need_by!r}")
        if self.trend_grain not in GRAINS:
            raise ValueError(f"quality.trend_grain must be one of {sorted(GRAINS)}, not {self.trend_grain!r}")


DEFAULT_SETTINGS = QualitySettings()

MACROS = (
    # In the CJS triage cohort: triaged (date and outcome recorded) by the as-of date, in the window.
    """CREATE OR REPLACE TEMP MACRO quality_cjs_in(triaged_on, outcome, as_of, win_start, win_end) AS
        coalesce(triaged_on <= as_of AND outcome IS NOT NULL AND triaged_on BETWEEN win_start AND win_end, false)""",
    # CJS first-time right: accepted with no resubmission (a file accepted after one was rejected before).
    """CREATE OR REPLACE TEMP MACRO quality_cjs_first_time(outcome, resubmissions) AS
        coalesce(outcome = 'ACCEPTED' AND coalesce(resubmissions, 0) = 0, false)""",
    # A charging request: a CPS decision is recorded, or the file went to the CPS before any charge (a
    # file sent after charge with no CPS decision is a post-charge file).
    """CREATE OR REPLACE TEMP MACRO quality_cps_request(decision, sent_on, commenced_on) AS
        coalesce(decision IS NOT NULL OR commenced_on IS NULL OR sent_on < commenced_on, false)""",
    # A charging request sent to the CPS by the as-of date, in the window.
    """CREATE OR REPLACE TEMP MACRO quality_cps_sent_in(sent_on, decision, commenced_on, as_of, win_start, win_end) AS
        coalesce(sent_on <= as_of AND sent_on BETWEEN win_start AND win_end, false)
        AND quality_cps_request(decision, sent_on, commenced_on)""",
    # A CPS decision made by the as-of date.
    """CREATE OR REPLACE TEMP MACRO quality_decided(decided_on, decision, as_of) AS
        coalesce(decided_on <= as_of AND decision IS NOT NULL, false)""",
    # CPS compliant first time: the decision is not an action plan and no earlier action plan is recorded.
    """CREATE OR REPLACE TEMP MACRO quality_cps_first_time(decision, had_action_plan) AS
        coalesce(decision <> 'ACTION_PLAN' AND NOT had_action_plan, false)""",
)
"""The cohort rules as SQL macros (installed on each query's cursor): one definition, used on a case's
columns and on the rows that carry its reasons."""
QUALITY_QUERIES = ("quality_ftr", "quality_cohorts", "quality_reasons", "quality_timeliness",
                   "quality_training_needs", "quality_cases_behind")


# -- queries -------------------------------------------------------------------------------------
def window(period: tuple[date, date], as_of: date) -> tuple[date, date]:
    """The measurement window: the period, cut at the as-of date (later events have not happened)."""
    start, end = period
    return start, min(end, as_of)


def _run(con: duckdb.DuckDBPyConnection, name: str, scope: Scope, as_of: date, period: tuple[date, date],
         **extra: Any) -> pd.DataFrame:
    from core import queries  # here, not at the top: core.queries imports core.config

    start, end = window(period, as_of)
    themes = extra.pop("themes", DEFAULT_SETTINGS.rejection_themes)
    params: dict[str, Any] = {
        **scope.params(),
        "as_of": as_of,
        "win_start": start,
        "win_end": end,
        "all_cases": False,
        "level": "team",
        "grain": "week",
        "no_group": NO_GROUP,
        "other_theme": OTHER_THEME,
        "theme_keys": [reason.upper() for reason, _ in themes],
        "theme_values": [theme for _, theme in themes],
    }
    clash = set(extra) & set(scope.params())
    if clash:  # a page argument must never overwrite the viewer's scope
        raise ValueError(f"parameter(s) {sorted(clash)} would overwrite the scope")
    params.update(extra)
    if params["level"] not in LEVELS:
        raise ValueError(f"level must be one of {sorted(LEVELS)}, not {params['level']!r}")
    if params["grain"] not in GRAINS:
        raise ValueError(f"grain must be one of {sorted(GRAINS)}, not {params['grain']!r}")
    return queries.run(con, name, params, macros=MACROS)


def first_time_right(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *,
                     period: tuple[date, date], level: str = "team", grain: str = "week") -> pd.DataFrame:
    """First-time-right counts (``DEFINITIONS``) in one pass: per force, team or officer (grain
    'group') and per week or month of the triage date ('cjs') and of the date sent to the CPS ('cps').
    Split with ``ftr_groups`` and ``ftr_trend``."""
    return _run(con, "quality_ftr", scope, as_of, period, level=level, grain=grain)


def cohorts(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *,
            period: tuple[date, date]) -> pd.DataFrame:
    """Every case in scope by how it falls for each measure (the page's reconciliation)."""
    return _run(con, "quality_cohorts", scope, as_of, period, all_cases=True)


def reasons(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *,
            period: tuple[date, date], kind: str, level: str = "team", grain: str = "week",
            themes: tuple[tuple[str, str], ...] = DEFAULT_REJECTION_THEMES) -> pd.DataFrame:
    """Cases per reason and theme of one ``kind``, overall, per group and per bucket (column grain)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    return _run(con, "quality_reasons", scope, as_of, period, kind=kind, level=level, grain=grain, themes=themes)


def timeliness(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *,
               period: tuple[date, date], edges: tuple[int, ...] = DEFAULT_SETTINGS.timeliness_edges
               ) -> pd.DataFrame:
    """Interval statistics per measure (``TIMELINESS``): overall, per team and per band of ``edges``."""
    return _run(con, "quality_timeliness", scope, as_of, period, edges=list(edges))


def training_needs(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *,
                   period: tuple[date, date], need_by: str = DEFAULT_SETTINGS.need_by,
                   min_team: int = DEFAULT_SETTINGS.min_repeats_team,
                   min_officer: int = DEFAULT_SETTINGS.min_repeats_officer,
                   themes: tuple[tuple[str, str], ...] = DEFAULT_REJECTION_THEMES) -> pd.DataFrame:
    """Teams and officers with repeated reasons of the same theme (or reason) in the window."""
    if need_by not in NEED_BY:
        raise ValueError(f"need_by must be one of {sorted(NEED_BY)}, not {need_by!r}")
    return _run(con, "quality_training_needs", scope, as_of, period, need_by=need_by, min_team=int(min_team),
                min_officer=int(min_officer), themes=themes)


def cases_behind(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *,
                 period: tuple[date, date], kind: str, item: str = "", match_by: str = "theme",
                 who_level: str = "all", who_force: str = "", who: str = "",
                 themes: tuple[tuple[str, str], ...] = DEFAULT_REJECTION_THEMES,
                 cap: int = DEFAULT_SETTINGS.list_cap) -> pd.DataFrame:
    """The cases behind a training need (``who_level`` team/officer) or a ranked reason (``all``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    if match_by not in ("theme", "reason", "any"):
        raise ValueError(f"match_by must be theme, reason or any, not {match_by!r}")
    if who_level not in ("all", "force", "team", "officer"):
        raise ValueError(f"who_level must be all, force, team or officer, not {who_level!r}")
    return _run(con, "quality_cases_behind", scope, as_of, period, kind=kind, item=item, match_by=match_by,
                who_level=who_level, who_force=who_force, who=who, themes=themes, cap=int(cap))


# -- pure helpers for the page -------------------------------------------------------------------
def rate(numerator: int, denominator: int) -> float | None:
    """A percentage to one decimal place, or None when nothing was measured."""
    return round(100.0 * numerator / denominator, 1) if denominator else None


def rate_text(numerator: int, denominator: int) -> str:
    """'50.0% (4 of 8)', or 'no cases' when the denominator is 0."""
    value = rate(numerator, denominator)
    return "no cases" if value is None else f"{value:.1f}% ({numerator:,} of {denominator:,})"


COUNT_COLUMNS = ("cjs_triaged", "cjs_first_time", "cps_decided", "cps_first_time", "cps_awaiting")


def totals(groups: pd.DataFrame) -> dict[str, int]:
    """The scope's numerators and denominators: the sums of the per-group rows (each case is in one group)."""
    return {c: int(groups[c].sum()) if len(groups) else 0 for c in COUNT_COLUMNS}


def with_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``cjs_rate`` and ``cps_rate`` (percent, one decimal; None where nothing was measured)."""
    return df.assign(
        cjs_rate=[rate(int(n), int(d)) for n, d in zip(df["cjs_first_time"], df["cjs_triaged"], strict=True)],
        cps_rate=[rate(int(n), int(d)) for n, d in zip(df["cps_first_time"], df["cps_decided"], strict=True)],
    )


def ftr_groups(df: pd.DataFrame) -> pd.DataFrame:
    """The per-group rows of ``first_time_right`` with their rates, lowest CJS rate first (groups with
    no triage last), then the busiest."""
    part = df[df["grain"] == "group"]
    cols = ["force_code", "team", "oic_id", "oic_name", *COUNT_COLUMNS]
    out = with_rates(part[cols].reset_index(drop=True))
    out = out.sort_values(["cjs_rate", "cjs_triaged", "cps_rate", "force_code", "team", "oic_id"],
                          ascending=[True, False, True, True, True, True], na_position="last")
    return out.reset_index(drop=True)


def buckets(win: tuple[date, date], grain: str) -> list[date]:
    """Start dates of the weeks (Mondays) or months that overlap the window, oldest first."""
    start, end = win
    if start > end:
        return []
    if grain == "month":
        first, last = start.replace(day=1), end.replace(day=1)
        months = (last.year - first.year) * 12 + last.month - first.month
        return [date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
                for i in range(months + 1)]
    monday = start - timedelta(days=start.weekday())
    return [monday + timedelta(weeks=i) for i in range((end - monday).days // 7 + 1)]


def ftr_trend(df: pd.DataFrame, win: tuple[date, date], grain: str) -> pd.DataFrame:
    """Both measures per bucket of the window (zeros included), with the bucket's first and last day
    inside the window and the rates. CJS cases are bucketed by triage date, CPS by date sent."""
    rows = []
    cjs = df[df["grain"] == "cjs"].set_index(pd.to_datetime(df.loc[df["grain"] == "cjs", "bucket"]).dt.date)
    cps = df[df["grain"] == "cps"].set_index(pd.to_datetime(df.loc[df["grain"] == "cps", "bucket"]).dt.date)
    for b in buckets(win, grain):
        last = (date(b.year + b.month // 12, b.month % 12 + 1, 1) - timedelta(days=1)) if grain == "month" \
            else b + timedelta(days=6)
        rows.append({
            "bucket": b, "from_date": max(b, win[0]), "to_date": min(last, win[1]),
            "cjs_triaged": int(cjs.at[b, "cjs_triaged"]) if b in cjs.index else 0,
            "cjs_first_time": int(cjs.at[b, "cjs_first_time"]) if b in cjs.index else 0,
            "cps_decided": int(cps.at[b, "cps_decided"]) if b in cps.index else 0,
            "cps_first_time": int(cps.at[b, "cps_first_time"]) if b in cps.index else 0,
            "cps_awaiting": int(cps.at[b, "cps_awaiting"]) if b in cps.index else 0,
        })
    out = pd.DataFrame(rows, columns=["bucket", "from_date", "to_date", *COUNT_COLUMNS])
    return with_rates(out) if len(out) else out.assign(cjs_rate=[], cps_rate=[])


def group_label(df: pd.DataFrame, level: str) -> pd.Series:
    """How a row's force, team or officer is named on a chart (with the force when rows span several)."""
    many = df["force_code"].nunique() > 1 if len(df) else False

    def one(row: pd.Series) -> str:
        force = FORCE_NAMES.get(row["force_code"], row["force_code"])
        if level == "force":
            return str(force)
        if level == "team":
            return f"{row['team']} · {force}" if many else str(row["team"])
        name = row.get("oic_name")
        who = f"{row['oic_id']} · {name}" if isinstance(name, str) and name else str(row["oic_id"])
        return f"{who} · {force}" if many else who

    return df.apply(one, axis=1) if len(df) else pd.Series([], dtype=str)


@dataclass(frozen=True)
class Reconciliation:
    in_scope: int
    shown: int
    excluded: tuple[tuple[str, int], ...]

    @property
    def adds_up(self) -> bool:
        return self.in_scope == self.shown + sum(n for _, n in self.excluded)


def reconciliation(counts: pd.DataFrame, measure: str) -> Reconciliation:
    """Cases in scope = the measure's cohort + each reason a case is outside it (``quality_cohorts``)."""
    part = counts[counts["measure"] == measure]
    got = dict(zip(part["category"], part["cases"].astype(int), strict=True))
    labels = COHORT_LABELS[measure]
    return Reconciliation(
        in_scope=int(part["cases"].sum()),
        shown=got.get("counted", 0),
        excluded=tuple((text, got.get(code, 0)) for code, text in labels.items()),
    )


def split_reasons(df: pd.DataFrame, grain: str) -> pd.DataFrame:
    """The rows of one grain of ``reasons`` (e.g. 'theme', 'group_reason'), without the grain column."""
    return df[df["grain"] == grain].drop(columns="grain").reset_index(drop=True)


def ranked(df: pd.DataFrame, *, by: str, cohort_size: int) -> pd.DataFrame:
    """Themes (``by='theme'``) or reasons ranked by cases, with rank and share of the cohort."""
    part = split_reasons(df, "theme" if by == "theme" else "reason")
    cols = ["theme"] if by == "theme" else ["theme", "reason"]
    out = part[cols + ["cases"]].sort_values(["cases"] + cols, ascending=[False] + [True] * len(cols))
    out = out.reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    out["share"] = [rate(int(n), cohort_size) for n in out["cases"]]
    out["item"] = out[by]
    return out


def by_group(df: pd.DataFrame, *, by: str, level: str) -> pd.DataFrame:
    """Cases per group and theme (or reason), one row per group and item, with the group's label."""
    part = split_reasons(df, "group_theme" if by == "theme" else "group_reason")
    if part.empty:
        return part.assign(label=pd.Series(dtype=str), item=pd.Series(dtype=str))
    part = part.assign(label=group_label(part, level), item=part[by])
    return part


def by_bucket(df: pd.DataFrame, starts: pd.Series, *, by: str) -> pd.DataFrame:
    """Cases per bucket (week or month, ``starts`` from ``buckets``) and theme (or reason), a full grid
    with zeros, oldest first."""
    part = split_reasons(df, "bucket_theme" if by == "theme" else "bucket_reason")
    items = sorted(part[by].unique().tolist()) if len(part) else []
    grid = pd.MultiIndex.from_product([list(starts), items], names=["bucket", "item"]).to_frame(index=False)
    if part.empty or grid.empty:
        return grid.assign(cases=pd.Series(dtype="int64"))
    counts = part.assign(item=part[by], bucket=pd.to_datetime(part["bucket"]))[["bucket", "item", "cases"]]
    grid["bucket"] = pd.to_datetime(grid["bucket"])
    out = grid.merge(counts, on=["bucket", "item"], how="left")
    out["cases"] = out["cases"].fillna(0).astype("int64")
    return out.sort_values(["bucket", "item"]).reset_index(drop=True)


def top_items(df: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` items with the most cases (ties by name)."""
    if df.empty:
        return []
    sums = df.groupby("item")["cases"].sum().reset_index().sort_values(["cases", "item"], ascending=[False, True])
    return sums["item"].head(n).tolist()


def pivot(df: pd.DataFrame, index: str, items: list[str]) -> pd.DataFrame:
    """One row per ``index`` value, one column per item (cases), and their sum ("all listed"). A case
    with reasons of two items counts in each, so the sum can exceed the number of cases."""
    if df.empty:
        return pd.DataFrame(columns=[index, *items, "all listed"])
    wide = df.pivot_table(index=index, columns="item", values="cases", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=items, fill_value=0)
    wide.columns = [str(c) for c in wide.columns]
    wide["all listed"] = wide.sum(axis=1)
    return wide.reset_index()


def band_labels(edges: tuple[int, ...]) -> list[str]:
    """'0–1 days', '2–3 days', ..., '57+ days' for ``edges`` (1, 3, ..., 56)."""
    labels, low = [], 0
    for e in edges:
        labels.append(f"{low} days" if low == e else f"{low}–{e} days")
        low = e + 1
    labels.append(f"{low}+ days")
    return labels


def timeliness_summary(df: pd.DataFrame) -> pd.DataFrame:
    """One row per measure in ``TIMELINESS`` order: title, cases, out-of-order, median and spread."""
    part = df[df["grain"] == "all"].set_index("measure")
    rows = []
    for measure, (title, definition) in TIMELINESS.items():
        row = part.loc[measure] if measure in part.index else None
        rows.append({
            "measure": measure,
            "title": title,
            "cases": int(row["cases"]) if row is not None else 0,
            "median_days": row["median_days"] if row is not None else None,
            "p25_days": row["p25_days"] if row is not None else None,
            "p75_days": row["p75_days"] if row is not None else None,
            "p90_days": row["p90_days"] if row is not None else None,
            "max_days": row["max_days"] if row is not None else None,
            "out_of_order": int(row["out_of_order"]) if row is not None else 0,
            "definition": definition,
        })
    return pd.DataFrame(rows)


def timeliness_bands(df: pd.DataFrame, measure: str, edges: tuple[int, ...]) -> pd.DataFrame:
    """Cases per band of one measure, every band listed (zeros included), in band order."""
    part = df[(df["grain"] == "band") & (df["measure"] == measure) & (df["band"] >= 0)]
    got = dict(zip(part["band"].astype(int), part["cases"].astype(int), strict=True))
    labels = band_labels(edges)
    return pd.DataFrame({"band": labels, "cases": [got.get(i, 0) for i in range(len(labels))]})


def timeliness_by_team(df: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per force and team: cases, median and spread of one measure, slowest median first."""
    part = df[(df["grain"] == "team") & (df["measure"] == measure) & (df["cases"] > 0)]
    cols = ["force_code", "team", "cases", "median_days", "p25_days", "p75_days", "p90_days", "max_days"]
    out = part[cols].sort_values(["median_days", "cases", "team"], ascending=[False, False, True])
    return out.reset_index(drop=True)


# -- figures ---------------------------------------------------------------------------------------
CJS_COLOUR = "#1d4ed8"
CPS_COLOUR = "#b45309"
CPS_LIGHT = "#f4a261"
"""Blue and orange: the pair colour-blind readers tell apart best; each bar also carries its text."""


def ftr_figure(df: pd.DataFrame, *, top: int, group_title: str) -> go.Figure:
    """Both first-time-right rates for the ``top`` groups with most cases triaged, as labelled bars.

    ``df`` is ``ftr_groups`` with a ``label`` column. Each bar's text gives the rate and its
    numerator and denominator; the two measures differ by name, order (CJS first) and colour.
    """
    shown = df.sort_values(["cjs_triaged", "cps_decided", "label"], ascending=[False, False, True]).head(top)
    shown = shown.sort_values(["cjs_rate", "label"], na_position="last")
    fig = go.Figure()
    for name, num, den, pct, colour, ink in (
        ("CJS triage: accepted first time", "cjs_first_time", "cjs_triaged", "cjs_rate", CJS_COLOUR, "#ffffff"),
        ("CPS: decided without an action plan", "cps_first_time", "cps_decided", "cps_rate", CPS_LIGHT, "#000000"),
    ):
        fig.add_trace(go.Bar(
            x=shown[pct], y=shown["label"], orientation="h", name=name,
            marker={"color": colour},
            text=[rate_text(int(n), int(d)) for n, d in zip(shown[num], shown[den], strict=True)],
            textposition="inside", insidetextanchor="end", textfont={"color": ink},
            hovertemplate="%{y}<br>" + name + ": %{text}<extra></extra>",
        ))
    fig.update_layout(
        barmode="group",
        title=f"First-time right by {group_title.lower()} (the {len(shown)} with most cases triaged)",
        xaxis={"title": "% first-time right", "range": [0, 100]},
        yaxis={"autorange": "reversed", "type": "category"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        height=120 + 44 * max(len(shown), 1),
    )
    return fig


def ftr_trend_figure(df: pd.DataFrame, grain: str) -> go.Figure:
    """Both first-time-right rates per bucket as two labelled lines (solid and dashed)."""
    fig = go.Figure()
    for name, num, den, pct, colour, dash, symbol in (
        ("CJS triage: accepted first time", "cjs_first_time", "cjs_triaged", "cjs_rate", CJS_COLOUR, "solid",
         "circle"),
        ("CPS: decided without an action plan", "cps_first_time", "cps_decided", "cps_rate", CPS_COLOUR, "dash",
         "square"),
    ):
        fig.add_trace(go.Scatter(
            x=df["bucket"], y=df[pct], mode="lines+markers", name=name, connectgaps=False,
            line={"color": colour, "dash": dash}, marker={"symbol": symbol},
            text=[rate_text(int(n), int(d)) for n, d in zip(df[num], df[den], strict=True)],
            hovertemplate=f"{GRAINS[grain]} of %{{x|%d/%m/%Y}}<br>{name}: %{{text}}<extra></extra>",
        ))
    fig.update_layout(
        title=f"First-time right {GRAINS[grain].lower()} by {GRAINS[grain].lower()}",
        xaxis_title=f"{GRAINS[grain].lower()} beginning",
        yaxis={"title": "% first-time right", "range": [0, 105]},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        height=360,
    )
    return fig


def ranked_figure(df: pd.DataFrame, *, by: str, kind: str, top: int) -> go.Figure:
    """Cases per theme or reason, most first, with the share of the cohort in the bar's text.
    Each bar carries its item as customdata, so selecting it lists its cases."""
    shown = df.head(top)
    fig = go.Figure(go.Bar(
        x=shown["cases"], y=shown["item"], orientation="h",
        marker_color=CJS_COLOUR if kind == "rejection" else CPS_COLOUR,
        text=[f"{int(n):,} ({s:.1f}%)" if s is not None and not pd.isna(s) else f"{int(n):,}"
              for n, s in zip(shown["cases"], shown["share"], strict=True)],
        textposition="auto", customdata=shown["item"],
        hovertemplate="%{y}: %{text} of the cohort<extra></extra>",
    ))
    fig.update_layout(
        title=f"{KINDS[kind]}: cases by {NEED_BY[by].lower()} (select a bar to list its cases)",
        xaxis_title="cases", yaxis={"autorange": "reversed", "type": "category"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=90 + 30 * max(len(shown), 1), showlegend=False,
    )
    return fig


def by_group_figure(df: pd.DataFrame, items: list[str], *, top: int, group_title: str, by: str) -> go.Figure:
    """Stacked bars of cases per theme (or reason) for the ``top`` groups with most cases."""
    sums = df.groupby("label")["cases"].sum().sort_values(ascending=False)
    labels = sums.head(top).index.tolist()
    fig = go.Figure()
    for item in items:
        part = df[(df["item"] == item) & df["label"].isin(labels)].set_index("label")["cases"]
        values = [int(part.get(lbl, 0)) for lbl in labels]
        fig.add_trace(go.Bar(x=values, y=labels, orientation="h", name=item,
                             text=[str(v) if v else "" for v in values], textposition="inside",
                             hovertemplate="%{y}<br>" + item.replace("%", "%%") + ": %{x}<extra></extra>"))
    fig.update_layout(
        barmode="stack",
        title=f"Cases by {NEED_BY[by].lower()} for the {len(labels)} {group_title.lower()}s with most",
        xaxis_title="cases (a case with reasons of two kinds counts in each)",
        yaxis={"autorange": "reversed", "type": "category"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=200 + 26 * max(len(labels), 1),
    )
    return fig


def by_bucket_figure(df: pd.DataFrame, items: list[str], *, grain: str, by: str) -> go.Figure:
    """One line per theme (or reason): cases per week or month."""
    symbols = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down")
    dashes = ("solid", "dash", "dot", "dashdot")
    fig = go.Figure()
    for i, item in enumerate(items):
        part = df[df["item"] == item]
        fig.add_trace(go.Scatter(x=part["bucket"], y=part["cases"], mode="lines+markers", name=item,
                                 line={"dash": dashes[i % len(dashes)]},
                                 marker={"symbol": symbols[i % len(symbols)]},
                                 hovertemplate=f"%{{x|%d/%m/%Y}}<br>{item.replace('%', '%%')}: %{{y}}<extra></extra>"))
    top = int(df["cases"].max()) if len(df) else 0
    fig.update_layout(
        title=f"Cases by {NEED_BY[by].lower()}, {GRAINS[grain].lower()} by {GRAINS[grain].lower()}",
        xaxis_title=f"{GRAINS[grain].lower()} beginning",
        yaxis={"title": "cases", "rangemode": "tozero", "range": [0, max(1, math.ceil(top * 1.1))]},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=420,
    )
    return fig


def bands_figure(df: pd.DataFrame, title: str) -> go.Figure:
    """Cases per band of days, as labelled columns."""
    fig = go.Figure(go.Bar(x=df["band"], y=df["cases"], marker_color=CJS_COLOUR,
                           text=[f"{int(n):,}" for n in df["cases"]], textposition="auto",
                           hovertemplate="%{x}: %{y:,} cases<extra></extra>"))
    fig.update_layout(title=f"{title}: how many days it took", xaxis={"title": "days", "type": "category"},
                      yaxis_title="cases", margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=340)
    return fig


def team_medians_figure(df: pd.DataFrame, title: str, *, top: int) -> go.Figure:
    """Median days per team (slowest first) with the middle half (25th to 75th percentile) as whiskers."""
    shown = df.head(top)
    fig = go.Figure(go.Bar(
        x=shown["median_days"], y=shown["label"], orientation="h", marker_color=CPS_COLOUR,
        error_x={"type": "data", "symmetric": False, "array": shown["p75_days"] - shown["median_days"],
                 "arrayminus": shown["median_days"] - shown["p25_days"]},
        customdata=shown[["cases", "p25_days", "p75_days"]].to_numpy(),
        hovertemplate="%{y}: median %{x:g} days, middle half %{customdata[1]:g}–%{customdata[2]:g} days "
                      "(%{customdata[0]:,} cases)<extra></extra>",
    ))
    fig.update_layout(title=f"{title}: median days by team, slowest first (whiskers: middle half of cases)",
                      xaxis_title="days", yaxis={"autorange": "reversed", "type": "category"},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=100 + 28 * max(len(shown), 1),
                      showlegend=False)
    return fig


# -- export ----------------------------------------------------------------------------------------
NEEDS_EXPORT_COLUMNS = (
    ExportColumn("who_level", "Team or officer", "text", 10),
    ExportColumn("force_code", "Force", "text", 6),
    ExportColumn("team", "Team", "text", 28),
    ExportColumn("oic_id", "Officer", "text", 10),
    ExportColumn("oic_name", "Officer name", "text", 18),
    ExportColumn("kind_label", "Kind", "text", 16),
    ExportColumn("item", "Theme or reason", "text", 30),
    ExportColumn("cases", "Cases", "int", 8),
    ExportColumn("cohort_cases", "Of cases in cohort", "int", 10),
    ExportColumn("share", "Share %", "int", 8),
    ExportColumn("reasons", "Reasons (cases)", "text", 50),
    ExportColumn("first_seen", "First in period", "date", 12),
    ExportColumn("last_seen", "Last in period", "date", 12),
    ExportColumn("weekly_text", "Cases week by week", "text", 30),
)
CASES_EXPORT_COLUMNS = (
    ExportColumn("urn", "URN", "text", 14),
    ExportColumn("force_code", "Force", "text", 6),
    ExportColumn("team", "Team", "text", 28),
    ExportColumn("oic_id", "OIC", "text", 10),
    ExportColumn("oic_name", "OIC name", "text", 18),
    ExportColumn("matching_reasons", "Matching reasons", "text", 40),
    ExportColumn("arrest_date", "Arrested", "date", 12),
    ExportColumn("submitted_on", "Submitted to CJS", "date", 12),
    ExportColumn("triaged_on", "CJS triage", "date", 12),
    ExportColumn("triage_outcome", "Triage outcome", "text", 12),
    ExportColumn("resubmissions", "Resubmissions", "int", 8),
    ExportColumn("rejection_reasons", "Rejection reasons", "text", 40),
    ExportColumn("sent_on", "Sent to CPS", "date", 12),
    ExportColumn("decided_on", "CPS decision", "date", 12),
    ExportColumn("decision", "Decision", "text", 12),
    ExportColumn("action_plan_reasons", "Action-plan reasons", "text", 40),
)


def needs_for_export(needs: pd.DataFrame) -> pd.DataFrame:
    """The training-needs list with the kind as text and the weekly counts as text."""
    return needs.assign(
        kind_label=needs["kind"].map(lambda k: KIND_SHORT.get(k, k)),
        weekly_text=needs["weekly"].map(lambda w: ", ".join(str(int(x)) for x in w) if w is not None else ""),
    )


def export_sheets(needs: pd.DataFrame, case_list: pd.DataFrame, *, needs_title: str,
                  list_title: str) -> list[ExportSheet]:
    """The page's XLSX: the training-needs list and the cases behind the selected need."""
    return [
        ExportSheet("Training needs", needs_for_export(needs), NEEDS_EXPORT_COLUMNS, needs_title),
        ExportSheet("Cases", case_list, CASES_EXPORT_COLUMNS, list_title),
    ]
