"""STL watch: Norfolk's 'Insight report' as a page. Every open case with a statutory time limit, by
band and last safe working day, a countdown, an eight-week calendar of expiries, custody records whose
file missed its target date, and the BLACK list of cases lost to an STL.

Why this module exists
----------------------
A summary-only offence must be prosecuted within six months (MCA 1980 s.127; domain.md R2), some
within a longer, evidence-based limit (s.39A CJA 1988, RTOA 1988 s.6; R3, R4). A CJS manager needs
one list that says which cases are closest to losing that chance, *which rule* set the date, and the
inputs to that rule, so anyone in a JOIM can check the arithmetic. This module holds the page's
queries, its pure logic (countdown buckets, the calendar grid, the "how it was worked out" text, the
row reconciliation) and its figures and export sheets. It never imports Streamlit.

How the counts add up
---------------------
The unit is the **case** (force, URN and defendant: the extract has one row per offence). The SQL
query ``stl_watch_cases`` (core/queries/stl_watch.sql) puts every case with an offence row in the
viewer's scope into exactly one category, in this order:

1. ``not_created``: every offence row was created after the as-of date (it did not exist yet);
2. ``closed``: the file is closed (every offence row created by the as-of date is on a closed file);
3. ``commenced``: proceedings were commenced on or before every STL (band COMMENCED, R6);
4. ``no_limit``: no offence has a statutory limit (band NO_LIMIT, R5);
5. ``band_not_selected``: the case's band is not one the viewer chose;
6. ``not_drilled``: outside the countdown bar or calendar day the viewer clicked;
7. ``listed``: in the list (on this page or another; the list is paged in SQL).

The list page, the band metrics, the countdown, the calendar and the reconciliation all come from
one query over that classification (``stl_watch_page``, run by :func:`watch` via ``_compose``): one
scan, so they cannot disagree, and the categories sum to the cases in scope by construction. The
case band is its worst offence band, as on the Overview page, so the band metrics equal the
Overview's. The BLACK list (cases lost to an STL in the sidebar's period, closed files included) and
the custody list are separate, capped queries with their own totals.

Speed (1M offence rows, 658k cases, both forces, on the 2-core reference machine while it was busy):
:func:`watch` ~1.0 s CPU / 0.5-0.9 s wall, about 3x the Overview's band count, because it finds a
governing offence per case; a team's scope is ~0.2 s. Results are cached by ``ui.data.q``, so only a
change of filters, bands, drill-down or page runs it again.

Dates
-----
``last_working_day`` is the latest working day on or before the STL (computed at load by
``core.calendar.WorkingCalendar``): an STL on a Saturday falls back to the Friday, on a bank-holiday
Monday to the Friday before (Pontypridd Juvenile Court ex p B (1988): informations laid on the
Friday for a limit expiring on a Saturday). The legal STL date never moves; the page shows both.
Every rule takes ``as_of``; events dated after it count as not yet happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from core import queries
from core.calendar import (
    WorkingCalendar,
    add_months,
    bank_holidays_for_year,
    end_of_period_beginning_with,
)
from core.charts import BAND_COLOURS
from core.config import Thresholds
from core.export import ExportColumn, ExportSheet
from core.insight import CUSTODY_COLUMNS
from core.scope import Scope
from core.stl import (
    AMBER,
    BAND_LABELS,
    BLACK,
    GREEN,
    KNOWLEDGE_RULES,
    RED,
    RULES,
    S39A,
    UNKNOWN,
)

# ---------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchSettings:
    """Page settings (force configuration, not law). Defaults are what the page uses today.

    page_size
        Cases per page of the list; the list is paged in SQL so it stays fast at a million
        offence rows and ships at most this many rows to the browser (performance.md goal 6).
    calendar_weeks
        Weeks in the calendar heat-map, starting on the Monday of the as-of week (8: the issue's
        "next eight weeks", enough to show a Christmas or Easter cluster coming).
    black_list_cap
        Most BLACK cases listed under the team-by-month matrix (the matrix itself is not capped).
    black_chart_teams
        Teams drawn in the BLACK matrix chart (most cases first); its table twin lists every team.
    custody_cap
        Most custody records listed as past their file target date.
    working_day_horizon_days
        How far ahead working days are counted for the "working days left" column: three years
        and two months covers the longest limit (3-year long stops, R4) from any as-of date.
    """

    page_size: int = 500
    calendar_weeks: int = 8
    black_list_cap: int = 500
    black_chart_teams: int = 25
    custody_cap: int = 500
    working_day_horizon_days: int = 3 * 366 + 62


DEFAULT_SETTINGS = WatchSettings()

SELECTABLE_BANDS: tuple[str, ...] = (BLACK, RED, UNKNOWN, AMBER, GREEN)
"""Bands a case on the list can have (COMMENCED and NO_LIMIT cases are not live STLs)."""

DEFAULT_BANDS: tuple[str, ...] = (RED, AMBER, BLACK, UNKNOWN)
"""The band selector's default: everything that needs action, i.e. all but GREEN."""

LIST_BAND_ORDER: tuple[str, ...] = (RED, UNKNOWN, AMBER, GREEN, BLACK)
"""Order of bands in the list. Cases that can still be saved come first (RED, then UNKNOWN, which is
treated as urgent because its STL cannot be worked out, R16); BLACK cases, whose time has passed,
come last so that a long tail of old BLACK cases never pushes the RED ones off the first page."""

CATEGORY_REASONS: tuple[tuple[str, str], ...] = (
    ("closed", "file closed"),
    ("commenced", "proceedings commenced on or before every STL"),
    ("no_limit", "no statutory time limit (either-way or indictable-only)"),
    ("band_not_selected", "band not selected"),
    ("not_drilled", "outside the countdown bar or calendar day chosen"),
    ("not_created", "file created after the as-of date"),
)
"""Reasons a case in scope is not listed, in the order the reconciliation shows them."""

BUCKETS: tuple[tuple[int, str], ...] = (
    (-2, "STL passed"),
    (-3, "No STL date: check"),
    (-1, "Last working day passed"),
    (0, "Today"),
    (1, "1 working day"),
    (2, "2 working days"),
    (3, "3 working days"),
    (4, "4 working days"),
    (5, "5 working days"),
    (10, "6–10 working days"),
    (20, "11–20 working days"),
    (99, "Over 20 working days"),
)
"""Countdown buckets (key, label): working days from the as-of date to the last working day."""
BUCKET_LABELS: dict[int, str] = dict(BUCKETS)

# ---------------------------------------------------------------------------------------
# Running the queries
# ---------------------------------------------------------------------------------------
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def _compose(tail: str) -> str:
    """A query over the case classification: ``WITH watch_cases AS MATERIALIZED (stl_watch_cases) <tail>``.

    Only fixed SQL text from core/queries/stl_watch.sql is joined here; values stay bound.
    """
    base = queries.queries()["stl_watch_cases"]
    return f"WITH watch_cases AS MATERIALIZED (\n{base}\n)\n{queries.queries()[tail]}"


def _run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    """Run ``sql`` on its own prepared cursor, binding exactly the parameters it mentions."""
    wanted = set(_PARAM.findall(sql))
    missing = wanted - set(params)
    if missing:
        raise KeyError(f"STL watch query needs parameter(s): {', '.join(sorted(missing))}")
    cur = queries.prepare(con)
    try:
        return cur.execute(sql, {k: params[k] for k in wanted}).df()
    finally:
        cur.close()


def working_calendar(closures: Iterable[str | date] = ()) -> WorkingCalendar:
    """The England & Wales working calendar plus local closures (ISO strings or dates)."""
    return WorkingCalendar(d if isinstance(d, date) else date.fromisoformat(d) for d in closures)


def upcoming_working_days(as_of: date, calendar: WorkingCalendar, horizon_days: int) -> list[date]:
    """Working days after ``as_of`` (exclusive) up to ``as_of + horizon_days`` (inclusive), in order."""
    out = []
    d = as_of
    for _ in range(horizon_days):
        d += timedelta(days=1)
        if calendar.is_working_day(d):
            out.append(d)
    return out


def _base_params(
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    bands: Sequence[str],
    drill_bucket: int | None,
    drill_day: date | None,
    closures: Sequence[str],
    horizon_days: int,
) -> dict[str, Any]:
    calendar = working_calendar(closures)
    return {
        **scope.params(),
        **queries.rule_params(as_of, thresholds),
        "bands": [b for b in bands if b in SELECTABLE_BANDS],
        "drill_bucket": drill_bucket,
        "drill_day": drill_day,
        "working_days": upcoming_working_days(as_of, calendar, max(horizon_days, 60)),
        "list_band_order": list(LIST_BAND_ORDER),
    }


_LIVE = ("band_not_selected", "not_drilled", "listed")
_CHOSEN = ("not_drilled", "listed")


@dataclass(frozen=True, eq=False)
class WatchSummary:
    """The counts behind the page: every case in scope once, grouped by page category, band,
    countdown bucket and (for cases in the chosen bands with an STL in the calendar) STL day.

    Everything the page counts is a sum over ``groups``, so the numbers agree by construction.
    The derived tables are computed once per summary (``cached_property``): a page reads them many
    times per rerun, and at a million rows regrouping on every read cost ~0.5 s a rerun.
    """

    groups: pd.DataFrame
    """Columns category, band, bucket, day (date or None), cases, offence_rows."""

    def _sum(self, mask: pd.Series, column: str = "cases") -> int:
        return int(self.groups.loc[mask, column].sum())

    @cached_property
    def categories(self) -> dict[str, tuple[int, int]]:
        g = self.groups.groupby("category")[["cases", "offence_rows"]].sum()
        return {k: (int(r.cases), int(r.offence_rows)) for k, r in g.iterrows()}

    @property
    def cases_in_scope(self) -> int:
        return int(self.groups["cases"].sum())

    @property
    def offence_rows_in_scope(self) -> int:
        return int(self.groups["offence_rows"].sum())

    def cases(self, category: str) -> int:
        return self._sum(self.groups["category"] == category)

    def offence_rows(self, category: str) -> int:
        return self._sum(self.groups["category"] == category, "offence_rows")

    @cached_property
    def bands(self) -> dict[str, int]:
        """Cases on a live STL (in a selectable band) by band, whatever the band choice."""
        live = self.groups[self.groups["category"].isin(_LIVE)]
        return {b: int(n) for b, n in live.groupby("band")["cases"].sum().items()}

    @property
    def in_chosen_bands(self) -> int:
        """Cases in the chosen bands, before any drill-down (listed + not_drilled)."""
        return self._sum(self.groups["category"].isin(_CHOSEN))

    @cached_property
    def countdown(self) -> pd.DataFrame:
        """Cases in the chosen bands by countdown bucket and band (columns bucket, band, cases)."""
        chosen = self.groups[self.groups["category"].isin(_CHOSEN)]
        out = chosen.groupby(["bucket", "band"], as_index=False)["cases"].sum()
        return out.astype({"bucket": int, "cases": int})

    @cached_property
    def days(self) -> pd.DataFrame:
        """Cases in the chosen bands by STL day in the calendar window and band (date, band, cases)."""
        dated = self.groups[self.groups["day"].notna()]
        out = dated.groupby(["day", "band"], as_index=False)["cases"].sum().rename(columns={"day": "date"})
        out["date"] = [_d(d) for d in out["date"]]
        return out.astype({"cases": int})


@dataclass(frozen=True, eq=False)
class Watch:
    """One run of the page's main query: the counts (``summary``) and one page of the list (``cases``)."""

    summary: WatchSummary
    cases: pd.DataFrame
    """Columns of ``CASE_COLUMNS`` plus position, bucket, offence_rows and total_listed."""
    page: int
    page_size: int

    @property
    def total_listed(self) -> int:
        """Cases in the list over all pages, as counted by the list itself."""
        return total_of(self.cases, "total_listed") if len(self.cases) else self.summary.cases("listed")

    @property
    def pages(self) -> int:
        return max(1, -(-self.summary.cases("listed") // self.page_size))


_GROUP_COLUMNS = ["category", "band", "bucket", "day", "cases", "offence_rows"]


def watch(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    bands: Sequence[str] = DEFAULT_BANDS,
    drill_bucket: int | None = None,
    drill_day: date | None = None,
    page: int = 1,
    page_size: int = DEFAULT_SETTINGS.page_size,
    calendar_weeks: int = DEFAULT_SETTINGS.calendar_weeks,
    closures: Sequence[str] = (),
    horizon_days: int = DEFAULT_SETTINGS.working_day_horizon_days,
) -> Watch:
    """Classify every case in scope once and return the counts and one page of the list.

    ``bands``: the bands listed; ``drill_bucket`` / ``drill_day``: narrow the list to one countdown
    bucket / one governing STL day (the charts' drill-down); ``page`` is 1-based. The list is sorted
    by band (``LIST_BAND_ORDER``) then last working day, and each row's ``how`` explains its date.
    """
    params = _base_params(scope, as_of, thresholds, bands, drill_bucket, drill_day, closures, horizon_days)
    params["calendar_end"] = calendar_start(as_of) + timedelta(weeks=calendar_weeks, days=-1)
    params["page_size"] = max(int(page_size), 1)
    params["page_offset"] = max(int(page) - 1, 0) * params["page_size"]
    df = _run_sql(con, _compose("stl_watch_page"), params)
    groups = df.loc[df["part"] == "group", _GROUP_COLUMNS].reset_index(drop=True)
    groups["day"] = [_d(d) for d in groups["day"]]
    groups = groups.astype({"cases": int, "offence_rows": int, "bucket": int})
    rows = df.loc[df["part"] == "row"].drop(columns=["part", "category", "day", "cases"]).reset_index(drop=True)
    rows = rows.astype({c: int for c in ("position", "bucket", "offence_rows", "total_listed")})
    if "offence_seq" in rows:
        rows["offence_seq"] = rows["offence_seq"].astype("Int64")
    for c in ("working_days_left", "days_remaining"):
        rows[c] = rows[c].astype("Int64")
    return Watch(WatchSummary(groups), with_explanations(rows, as_of, working_calendar(closures)),
                 max(int(page), 1), params["page_size"])


def _query_params(scope: Scope, as_of: date, thresholds: Thresholds) -> dict[str, Any]:
    return {**scope.params(), **queries.rule_params(as_of, thresholds)}


def case_offences(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    force_code: str,
    urn: str,
    defendant_id: str,
    closures: Sequence[str] = (),
) -> pd.DataFrame:
    """Every offence of one case (URN + defendant) in scope with its own band and STL arithmetic."""
    params = {**_query_params(scope, as_of, thresholds), "case_force": force_code, "case_urn": urn,
              "case_defendant": defendant_id}
    df = queries.run(con, "stl_watch_case_offences", params)
    return with_explanations(df, as_of, working_calendar(closures))


def black_by_team_month(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    period: tuple[date, date],
) -> pd.DataFrame:
    """Cases lost to an STL by force, team and month of the first lost STL, within ``period``."""
    start, end = period
    params = {**_query_params(scope, as_of, thresholds), "period_start": start, "period_end": end}
    df = queries.run(con, "stl_watch_black_by_team_month", params)
    df["cases"] = df["cases"].astype(int)
    return df


def black_cases(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    period: tuple[date, date],
    force_code: str | None = None,
    team: str | None = None,
    month: date | None = None,
    limit: int = DEFAULT_SETTINGS.black_list_cap,
    closures: Sequence[str] = (),
) -> pd.DataFrame:
    """The BLACK list: cases lost to an STL in ``period`` (optionally one force/team/month), newest first."""
    start, end = period
    params = {**_query_params(scope, as_of, thresholds), "period_start": start, "period_end": end,
              "pick_force": force_code, "pick_team": team, "pick_month": month, "limit": max(int(limit), 1)}
    df = queries.run(con, "stl_watch_black_cases", params)
    return with_explanations(df, as_of, working_calendar(closures))


def custody_missed_target(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    limit: int = DEFAULT_SETTINGS.custody_cap,
) -> pd.DataFrame:
    """Custody records past their file target date with no file submitted (the Insight report's
    second list), oldest target first, at most ``limit`` rows, with ``total_rows``."""
    params = {**_query_params(scope, as_of, thresholds), "limit": max(int(limit), 1)}
    return queries.run(con, "stl_watch_custody_missed_target", params)


def total_of(df: pd.DataFrame, column: str = "total_rows") -> int:
    """The uncapped total a capped query reports on every row (0 for no rows)."""
    return int(df[column].iloc[0]) if len(df) else 0


# ---------------------------------------------------------------------------------------
# How each date was worked out
# ---------------------------------------------------------------------------------------


def _d(value: Any) -> date | None:
    """A date from a DataFrame cell (Timestamp, date or missing)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return None


def _fmt(d: date) -> str:
    return f"{d:%a} {d:%d/%m/%Y}"


def _short(d: date) -> str:
    return f"{d:%d/%m/%Y}"


def day_note(d: date, calendar: WorkingCalendar) -> str:
    """Why ``d`` is not a working day ('' if it is): bank holiday name, weekend or local closure."""
    names = []
    holiday = bank_holidays_for_year(d.year).get(d)
    if holiday:
        names.append(f"bank holiday: {holiday}")
    if d.weekday() >= 5:
        names.append("weekend")
    if not names and not calendar.is_working_day(d):
        names.append("local closure")
    return ", ".join(names)


def _derivations(row: Mapping[str, Any]) -> list[tuple[str, date]]:
    """Candidate derivations of the STL date from the row's inputs, most specific first."""
    rule = row.get("stl_rule")
    start, end = _d(row.get("offence_start_date")), _d(row.get("offence_end_date"))
    statement, knowledge = _d(row.get("statement_vri_date")), _d(row.get("knowledge_date"))
    long_stop = _d(row.get("stl_long_stop_date"))
    out: list[tuple[str, date]] = []
    if rule == S39A and statement:
        out.append((f"first statement/VRI {_short(statement)} + 6 months", add_months(statement, 6)))
    if rule in KNOWLEDGE_RULES and knowledge:
        out.append((f"knowledge date {_short(knowledge)} + 6 months", add_months(knowledge, 6)))
        out.append((f"6 months beginning with knowledge date {_short(knowledge)}",
                    end_of_period_beginning_with(knowledge, 6)))
    if long_stop and rule in (S39A, *KNOWLEDGE_RULES):
        out.append(("long stop", long_stop))
    if start:
        out.append((f"offence date {_short(start)} + 6 months", add_months(start, 6)))
    if end and end != start:
        out.append((f"offence end date {_short(end)} + 6 months", add_months(end, 6)))
    return out


def explain(row: Mapping[str, Any], as_of: date, calendar: WorkingCalendar) -> str:
    """One line that lets anyone check the date: the sum that gives the STL and the working-day step.

    E.g. "offence date 05/06/2026 + 6 months = STL Sat 05/12/2026; last working day Fri 04/12/2026
    (Sat 05/12/2026 weekend)". The rule's legal source and any judgement are in the source and
    note columns beside it; this line only shows the arithmetic (R0 add_months, corresponding-date
    rule; R0b "beginning with" periods end a day earlier).
    """
    stl = _d(row.get("stl_date"))
    rule = row.get("stl_rule") or ""
    if stl is None:
        return f"{rule}: {RULES.get(rule, 'no STL date')}"
    how = next((text for text, result in _derivations(row) if result == stl), None)
    parts = [f"{how} = STL {_fmt(stl)}" if how else f"STL {_fmt(stl)} ({RULES.get(rule, rule)})"]
    lwd = _d(row.get("last_working_day"))
    if lwd is not None and lwd != stl:
        skipped = []
        d = stl
        while d > lwd:
            note = day_note(d, calendar)
            if note:
                skipped.append(f"{_fmt(d)} {note}")
            d -= timedelta(days=1)
        parts.append(f"last working day {_fmt(lwd)} ({'; '.join(skipped)})")
    elif lwd is not None:
        parts.append("a working day")
    commenced = _d(row.get("commenced_date"))
    if commenced is not None and commenced <= as_of:
        parts.append(f"commenced {_short(commenced)} ({'in time' if commenced <= stl else 'after the STL'})")
    return "; ".join(parts)


def with_explanations(df: pd.DataFrame, as_of: date, calendar: WorkingCalendar) -> pd.DataFrame:
    """``df`` with a ``how`` column (see :func:`explain`); ``df`` is a small page of rows."""
    df = df.copy()
    df["how"] = [explain(r, as_of, calendar) for r in df.to_dict("records")] if len(df) else pd.Series(dtype=object)
    return df


# ---------------------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    """Cases (or offence rows) in scope = shown + each exclusion, for ``widgets.reconcile``."""

    in_scope: int
    shown: int
    excluded: list[tuple[str, int]] = field(default_factory=list)

    @property
    def adds_up(self) -> bool:
        return self.in_scope == self.shown + sum(n for _, n in self.excluded)


def reconcile_cases(w: Watch) -> Reconciliation:
    """Cases in scope = cases shown on this page + cases excluded, by reason.

    "On other pages" comes from the list's own total (a window count over the listed cases), the
    other figures from the grouped counts, so a disagreement would show as an unaccounted difference.
    """
    s = w.summary
    shown = len(w.cases)
    excluded = [(why, s.cases(cat)) for cat, why in CATEGORY_REASONS]
    excluded.append((f"on other pages of the list ({w.page_size:,} cases a page)", w.total_listed - shown))
    return Reconciliation(s.cases_in_scope, shown, excluded)


def reconcile_offence_rows(w: Watch) -> Reconciliation:
    """The same reconciliation counted in offence rows: every offence row of a case goes with it."""
    s = w.summary
    shown = int(w.cases["offence_rows"].sum()) if len(w.cases) else 0
    excluded = [(why, s.offence_rows(cat)) for cat, why in CATEGORY_REASONS]
    excluded.append(("offence rows of cases on other pages of the list", s.offence_rows("listed") - shown))
    return Reconciliation(s.offence_rows_in_scope, shown, excluded)


# ---------------------------------------------------------------------------------------
# Countdown
# ---------------------------------------------------------------------------------------


def countdown_table(s: WatchSummary) -> pd.DataFrame:
    """One row per countdown bucket (all buckets, in order): cases by band and in total."""
    rows = []
    for key, label in BUCKETS:
        part = s.countdown[s.countdown["bucket"] == key]
        by_band = dict(zip(part["band"], part["cases"], strict=True))
        row = {"bucket": key, "countdown": label}
        for band in LIST_BAND_ORDER:
            row[band] = int(by_band.get(band, 0))
        row["cases"] = int(part["cases"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def countdown_figure(table: pd.DataFrame, labels: Mapping[str, str] | None = None,
                     colours: Mapping[str, str] | None = None) -> go.Figure:
    """Horizontal stacked bars of cases by countdown bucket (soonest at the top after the passed and
    undated ones), one trace per band, each labelled with its text label and counts. ``labels`` and
    ``colours`` replace the bands' own (the dashboard shows GREEN as unknown while data is stale)."""
    labels = {**BAND_LABELS, **(labels or {})}
    colours = {**BAND_COLOURS, **(colours or {})}
    fig = go.Figure()
    for band in LIST_BAND_ORDER:
        if not table[band].any():
            continue
        fig.add_trace(go.Bar(
            y=table["countdown"], x=table[band], name=labels[band], orientation="h",
            marker_color=colours[band], customdata=table["bucket"],
            text=[f"{n:,}" if n else "" for n in table[band]], textposition="inside",
            insidetextanchor="middle", textangle=0,
            hovertemplate="%{y}: %{x:,} " + labels[band] + "<extra></extra>",
        ))
    fig.update_layout(
        barmode="stack", title="Cases by working days left to the last working day",
        yaxis={"title": None, "type": "category", "categoryorder": "array",
               "categoryarray": list(table["countdown"]), "autorange": "reversed"},
        xaxis_title="cases", height=440, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.15}, clickmode="event+select",
    )
    return fig


# ---------------------------------------------------------------------------------------
# Calendar heat-map
# ---------------------------------------------------------------------------------------


def calendar_start(as_of: date) -> date:
    """The Monday of the as-of week: the calendar's first cell."""
    return as_of - timedelta(days=as_of.weekday())


def calendar_grid(s: WatchSummary, as_of: date, weeks: int, calendar: WorkingCalendar) -> pd.DataFrame:
    """One row per day of ``weeks`` weeks from the Monday of the as-of week.

    Columns: date, week_start, weekday (0 = Monday), day_type ("Working day", "Weekend", "Bank
    holiday: <name>", "Local closure"), working (bool), past (before as_of: no count shown), cases
    (chosen bands whose governing STL is that day) and one column per band that can fall in the future.
    """
    start = calendar_start(as_of)
    by_day: dict[date, dict[str, int]] = {}
    for d, band, n in zip(s.days["date"], s.days["band"], s.days["cases"], strict=True):
        by_day.setdefault(d, {})[band] = int(n)
    rows = []
    for i in range(weeks * 7):
        d = start + timedelta(days=i)
        note = day_note(d, calendar)
        holiday = bank_holidays_for_year(d.year).get(d)
        if holiday:
            day_type = f"Bank holiday: {holiday}"
        elif d.weekday() >= 5:
            day_type = "Weekend"
        elif note:
            day_type = "Local closure"
        else:
            day_type = "Working day"
        counts = by_day.get(d, {})
        row = {"date": d, "week_start": start + timedelta(weeks=i // 7), "weekday": d.weekday(),
               "day_type": day_type, "working": calendar.is_working_day(d), "past": d < as_of}
        for band in (RED, AMBER, GREEN):
            row[band] = counts.get(band, 0)
        row["cases"] = sum(counts.values())
        rows.append(row)
    return pd.DataFrame(rows)


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def calendar_figure(grid: pd.DataFrame, labels: Mapping[str, str] | None = None) -> go.Figure:
    """The calendar as a grid of square markers (selectable, unlike a plotly heatmap): weeks down,
    days across, colour by cases; weekends have a grey outline, bank holidays a black one and "BH".
    The hover names each band by ``labels`` (default: the band codes)."""
    labels = labels or {}
    weeks = [f"w/c {d:%d %b}" for d in grid["week_start"]]
    text, line_colour, line_width, colour, hover = [], [], [], [], []
    for r in grid.itertuples(index=False):
        count = "" if r.past else (f"<b>{r.cases}</b>" if r.cases else "·")
        tag = " BH" if r.day_type.startswith("Bank holiday") else ""
        text.append(f"{r.date.day}{tag}<br>{count}")
        if r.day_type.startswith("Bank holiday"):
            line_colour.append("#111111"), line_width.append(4)
        elif not r.working:
            line_colour.append("#9ca3af"), line_width.append(3)
        else:
            line_colour.append("#e5e7eb"), line_width.append(1)
        colour.append(None if r.past else r.cases)
        bands = ", ".join(f"{labels.get(b, b)} {getattr(r, b)}" for b in (RED, AMBER, GREEN) if getattr(r, b))
        hover.append(f"{_fmt(r.date)}<br>{r.day_type}<br>"
                     + ("before the as-of date" if r.past else f"{r.cases} case(s){': ' + bands if bands else ''}"))
    top = max([c for c in colour if c] or [1])
    fig = go.Figure(go.Scatter(
        x=[_DAY_NAMES[w] for w in grid["weekday"]], y=weeks, mode="markers+text",
        marker={"symbol": "square", "size": 46, "color": [c if c is not None else 0 for c in colour],
                "colorscale": [[0, "#f8fafc"], [0.001, "#fde2e1"], [1, "#b3261e"]], "cmin": 0,
                "showscale": True, "colorbar": {"title": "cases"},
                "line": {"color": line_colour, "width": line_width}},
        text=text, customdata=[d.isoformat() for d in grid["date"]],
        textfont={"size": 11, "color": ["#ffffff" if c and c >= top / 2 else "#111111" for c in colour]},
        hovertext=hover, hoverinfo="text",
    ))
    fig.update_layout(
        title="STL expiries by day (BH = bank holiday; grey outline = weekend)",
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": list(_DAY_NAMES), "side": "top"},
        yaxis={"type": "category", "autorange": "reversed"},
        height=90 + 52 * max(grid["week_start"].nunique(), 1), margin={"l": 10, "r": 10, "t": 70, "b": 10},
        clickmode="event+select", showlegend=False,
    )
    return fig


def calendar_table(grid: pd.DataFrame) -> pd.DataFrame:
    """The calendar's table twin: days from the as-of date on, with day type and counts."""
    out = grid[~grid["past"]].copy()
    out["day"] = [_DAY_NAMES[w] for w in out["weekday"]]
    return out[["date", "day", "day_type", "cases", RED, AMBER, GREEN]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# BLACK list
# ---------------------------------------------------------------------------------------


def period_months(period: tuple[date, date]) -> list[date]:
    """First days of the months that overlap ``period`` (inclusive)."""
    start, end = period
    m = start.replace(day=1)
    out = []
    while m <= end:
        out.append(m)
        m = (m.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def black_matrix(df: pd.DataFrame, period: tuple[date, date]) -> pd.DataFrame:
    """Team-by-month table of BLACK cases: one row per force and team, one column per month of the
    period (label "Mon YYYY"), a total; teams with most cases first."""
    months = period_months(period)
    labels = [f"{m:%b %Y}" for m in months]
    if df.empty:
        return pd.DataFrame(columns=["force_code", "team", *labels, "total"])
    d = df.assign(month=[_d(m) for m in df["month"]])
    pivot = d.pivot_table(index=["force_code", "team"], columns="month", values="cases", aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(columns=months, fill_value=0)
    pivot.columns = labels
    pivot["total"] = pivot.sum(axis=1)
    pivot = pivot.reset_index().sort_values(["total", "force_code", "team"], ascending=[False, True, True])
    return pivot.reset_index(drop=True).astype({c: int for c in [*labels, "total"]})


def black_figure(matrix: pd.DataFrame, period: tuple[date, date]) -> go.Figure:
    """The team-by-month matrix as square markers (selectable); text is the count."""
    months = period_months(period)
    labels = [f"{m:%b %Y}" for m in months]
    xs, ys, counts, custom = [], [], [], []
    for r in matrix.to_dict("records"):
        for m, label in zip(months, labels, strict=True):
            xs.append(label), ys.append(f"{r['team']} ({r['force_code']})"), counts.append(int(r[label]))
            custom.append([r["force_code"], r["team"], m.isoformat()])
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers+text",
        marker={"symbol": "square", "size": 30, "color": counts,
                "colorscale": [[0, "#f8fafc"], [0.001, "#d1d5db"], [1, "#111111"]], "cmin": 0,
                "showscale": True, "colorbar": {"title": "cases"}},
        text=[str(n) if n else "" for n in counts],
        textfont={"color": ["#ffffff" if n and n >= max(counts or [1]) / 2 else "#111111" for n in counts]},
        customdata=custom, hovertemplate="%{y}, %{x}: %{text} BLACK case(s)<extra></extra>",
    ))
    fig.update_layout(
        title="⬛ BLACK cases by team and month the STL passed",
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": labels, "side": "top"},
        yaxis={"type": "category", "autorange": "reversed"},
        height=110 + 34 * max(len(matrix), 1), margin={"l": 10, "r": 10, "t": 80, "b": 10},
        clickmode="event+select", showlegend=False,
    )
    return fig


# ---------------------------------------------------------------------------------------
# Chart selections
# ---------------------------------------------------------------------------------------


def _custom(point: Mapping[str, Any]) -> Any:
    c = point.get("customdata")
    return c[0] if isinstance(c, (list, tuple)) and len(c) == 1 else c


def picked_bucket(points: Sequence[Mapping[str, Any]]) -> int | None:
    """The countdown bucket of the first selected bar segment, if any."""
    for p in points:
        c = _custom(p)
        try:
            key = int(c)
        except (TypeError, ValueError):
            continue
        if key in BUCKET_LABELS:
            return key
    return None


def picked_day(points: Sequence[Mapping[str, Any]]) -> date | None:
    """The date of the first selected calendar cell, if any."""
    for p in points:
        c = _custom(p)
        try:
            return date.fromisoformat(str(c))
        except ValueError:
            continue
    return None


def picked_team_month(points: Sequence[Mapping[str, Any]]) -> tuple[str, str, date] | None:
    """(force, team, month) of the first selected BLACK matrix cell, if any."""
    for p in points:
        c = p.get("customdata")
        if isinstance(c, (list, tuple)) and len(c) == 3:
            try:
                return str(c[0]), str(c[1]), date.fromisoformat(str(c[2]))
            except ValueError:
                continue
    return None


# ---------------------------------------------------------------------------------------
# Columns and export (the same definitions style as core.insight)
# ---------------------------------------------------------------------------------------

_RULE_INPUTS = (
    ExportColumn("stl_rule", "Rule", "text", 16),
    ExportColumn("how", "How it was worked out", "text", 60),
    ExportColumn("offence_start_date", "Offence date", "date", 12),
    ExportColumn("offence_end_date", "Offence end date", "date", 12),
    ExportColumn("statement_vri_date", "Statement/VRI date", "date", 12),
    ExportColumn("knowledge_date", "Knowledge date", "date", 12),
    ExportColumn("commenced_date", "Commenced", "date", 12),
    ExportColumn("submitted_to_cjs_date", "Submitted to CJS", "date", 12),
    ExportColumn("stl_alt_date", "Alt date (end of range)", "date", 12),
    ExportColumn("stl_long_stop_date", "Long stop", "date", 12),
    ExportColumn("stl_source", "Source", "text", 40),
    ExportColumn("stl_note", "Note", "text", 40),
)

CASE_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("band", "Band", "band", 12),
    ExportColumn("last_working_day", "Last working day", "date", 14),
    ExportColumn("working_days_left", "Working days left", "int", 9),
    ExportColumn("stl_date", "STL date", "date", 12),
    ExportColumn("days_remaining", "Days left", "int", 9),
    ExportColumn("urn", "URN", "text", 14),
    ExportColumn("defendant_id", "Defendant ref", "text", 14),
    ExportColumn("offence_code", "Offence code", "text", 11),
    ExportColumn("offence_title", "Offence", "text", 40),
    *_RULE_INPUTS,
    ExportColumn("offence_rows", "Offences", "int", 9),
    ExportColumn("oic_id", "OIC", "text", 10),
    ExportColumn("oic_name", "OIC name", "text", 20),
    ExportColumn("team", "Team", "text", 28),
    ExportColumn("supervisor_name", "Supervisor", "text", 20),
    ExportColumn("file_stage", "File stage", "text", 16),
    ExportColumn("file_status", "File status", "text", 14),
    ExportColumn("force_code", "Force", "text", 6),
)
"""The case list, on screen and in the export (same columns, same order)."""

OFFENCE_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("band", "Band", "band", 12),
    ExportColumn("offence_seq", "No.", "int", 5),
    ExportColumn("offence_code", "Offence code", "text", 11),
    ExportColumn("offence_title", "Offence", "text", 40),
    ExportColumn("mode_of_trial_resolved", "Mode of trial", "text", 14),
    ExportColumn("last_working_day", "Last working day", "date", 14),
    ExportColumn("stl_date", "STL date", "date", 12),
    ExportColumn("days_remaining", "Days left", "int", 9),
    *_RULE_INPUTS,
    ExportColumn("file_status", "File status", "text", 14),
    ExportColumn("urn", "URN", "text", 14),
    ExportColumn("defendant_id", "Defendant ref", "text", 14),
)
"""The selected case's offences."""

BLACK_CASE_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("band", "Band", "band", 12),
    ExportColumn("stl_date", "STL date (lost on)", "date", 12),
    ExportColumn("last_working_day", "Last working day", "date", 14),
    ExportColumn("days_since", "Days since", "int", 9),
    ExportColumn("team", "Team", "text", 28),
    ExportColumn("urn", "URN", "text", 14),
    ExportColumn("defendant_id", "Defendant ref", "text", 14),
    ExportColumn("offence_code", "Offence code", "text", 11),
    ExportColumn("offence_title", "Offence", "text", 40),
    *_RULE_INPUTS,
    ExportColumn("oic_id", "OIC", "text", 10),
    ExportColumn("oic_name", "OIC name", "text", 20),
    ExportColumn("supervisor_name", "Supervisor", "text", 20),
    ExportColumn("file_status", "File status", "text", 14),
    ExportColumn("force_code", "Force", "text", 6),
)
"""The BLACK list (cases lost to an STL)."""

COUNTDOWN_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("countdown", "Working days left", "text", 24),
    *(ExportColumn(b, b, "int", 9) for b in LIST_BAND_ORDER),
    ExportColumn("cases", "Cases", "int", 9),
)

CALENDAR_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("date", "Date", "date", 12),
    ExportColumn("day", "Day", "text", 6),
    ExportColumn("day_type", "Day type", "text", 36),
    ExportColumn("cases", "Cases", "int", 9),
    *(ExportColumn(b, b, "int", 9) for b in (RED, AMBER, GREEN)),
)


def black_matrix_columns(matrix: pd.DataFrame) -> tuple[ExportColumn, ...]:
    """Columns of the team-by-month table (its month columns depend on the period)."""
    months = [c for c in matrix.columns if c not in ("force_code", "team", "total")]
    return (
        ExportColumn("team", "Team", "text", 28),
        ExportColumn("force_code", "Force", "text", 6),
        *(ExportColumn(m, m, "int", 10) for m in months),
        ExportColumn("total", "Total", "int", 9),
    )


@dataclass(frozen=True, eq=False)
class Screen:
    """What the page shows, table by table: the export writes exactly these frames."""

    as_of: date
    bands: tuple[str, ...]
    cases: pd.DataFrame
    offences: pd.DataFrame
    countdown: pd.DataFrame
    calendar: pd.DataFrame
    custody: pd.DataFrame
    black_matrix: pd.DataFrame
    black_cases: pd.DataFrame
    drill: str = ""

    @property
    def title(self) -> str:
        chosen = ", ".join(self.bands) if self.bands else "no bands"
        extra = f"; {self.drill}" if self.drill else ""
        return f"STL watch: open cases with a statutory time limit ({chosen}{extra})"


def export_sheets(screen: Screen) -> list[ExportSheet]:
    """The workbook of what is on screen, formatted like the headless Insight report
    (``core.export.write_report_xlsx``; the custody sheet uses ``core.insight.CUSTODY_COLUMNS``)."""
    return [
        ExportSheet("STL watch cases", screen.cases, CASE_COLUMNS, screen.title),
        ExportSheet("Case offences", screen.offences, OFFENCE_COLUMNS,
                    "Offences of the selected case, each with its STL arithmetic"),
        ExportSheet("Countdown", screen.countdown, COUNTDOWN_COLUMNS,
                    "Cases in the chosen bands by working days left to the last working day"),
        ExportSheet("Calendar", screen.calendar, CALENDAR_COLUMNS,
                    "STL expiries by day for the chosen bands, weekends and bank holidays marked"),
        ExportSheet("Custody missed target", screen.custody, CUSTODY_COLUMNS,
                    "Custody records whose file was not submitted by its target date"),
        ExportSheet("BLACK by team and month", screen.black_matrix, black_matrix_columns(screen.black_matrix),
                    "Cases lost to an STL (proceedings not commenced by the STL) by team and month"),
        ExportSheet("BLACK list", screen.black_cases, BLACK_CASE_COLUMNS,
                    "Cases lost to an STL in the period, most recent first"),
    ]
