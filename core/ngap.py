"""The NGAP allocations tracker's traffic light (force policy, configurable; not law).

A Not Guilty Anticipated Plea case that has had its first hearing needs an upgrade file: the
remaining statements, exhibits and disclosure schedules for trial. The deadline is set by local
Transforming Summary Justice protocols, not statute (domain.md 5.2: UNCONFIRMED nationally), so
the extract carries the force's own ``upgrade_file_due_date`` and this module only judges it.

Lights, most urgent first, each with text and an icon as well as a colour:

* UNALLOCATED — no officer allocated (or allocated after the as-of date);
* OVERDUE — the upgrade file due date has passed;
* DUE_SOON — due within ``due_soon_days`` (inclusive), today included;
* NO_DUE_DATE — allocated but no due date recorded (a data gap, shown, not assumed safe);
* ON_TRACK — otherwise.

The rule above is shared with the Overview (home.sql ``ngap_light_counts``) and pinned by tests.
Below it is the NGAP allocations tracker page's logic (pages/ngap_tracker.py): its configuration
(``NgapTrackerRules``), its query functions over ``core/queries/ngap.sql`` (same population and
rule as the Overview, so the two pages agree by construction), the row reconciliation, the
reconstructed weekly trend and the page's figures and export columns.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from core.export import ExportColumn, ExportSheet
from core.forces import FORCE_NAMES
from core.scope import Scope

if TYPE_CHECKING:  # core.config may import this module (tracker settings), so not at run time
    from core.config import Thresholds

UNALLOCATED = "UNALLOCATED"
OVERDUE = "OVERDUE"
DUE_SOON = "DUE_SOON"
NO_DUE_DATE = "NO_DUE_DATE"
ON_TRACK = "ON_TRACK"
LIGHT_ORDER = (UNALLOCATED, OVERDUE, DUE_SOON, NO_DUE_DATE, ON_TRACK)
LIGHT_LABELS = {
    UNALLOCATED: "🔴 Unallocated",
    OVERDUE: "⛔ Overdue",
    DUE_SOON: "🟠 Due soon",
    NO_DUE_DATE: "❔ No due date",
    ON_TRACK: "🟢 On track",
}
LIGHT_COLOURS = {
    UNALLOCATED: "#b3261e",
    OVERDUE: "#7a1712",
    DUE_SOON: "#d97706",
    NO_DUE_DATE: "#6b7280",
    ON_TRACK: "#2e7d32",
}


def ngap_light(
    allocated_officer: str | None,
    allocation_date: date | None,
    upgrade_due: date | None,
    as_of: date,
    due_soon_days: int = 7,
) -> str:
    """Traffic light for one NGAP case as of ``as_of`` (events after ``as_of`` have not happened).

    Source: local TSJ case-progression protocol (upgrade file deadline), domain.md 5.2; the
    thresholds are force configuration. ``due_soon_days`` is inclusive: a file due exactly that
    many days ahead is DUE_SOON; one due today is DUE_SOON; one due yesterday is OVERDUE.
    """
    if not allocated_officer or (allocation_date is not None and allocation_date > as_of):
        return UNALLOCATED
    if upgrade_due is None:
        return NO_DUE_DATE
    days = (upgrade_due - as_of).days
    if days < 0:
        return OVERDUE
    if days <= due_soon_days:
        return DUE_SOON
    return ON_TRACK


NGAP_LIGHT_MACRO = f"""
CREATE OR REPLACE TEMP MACRO ngap_light(officer, allocated_on, due, as_of, soon) AS
    CASE
        WHEN officer IS NULL OR officer = '' OR (allocated_on IS NOT NULL AND allocated_on > as_of) THEN '{UNALLOCATED}'
        WHEN due IS NULL THEN '{NO_DUE_DATE}'
        WHEN due < as_of THEN '{OVERDUE}'
        WHEN due - as_of <= soon THEN '{DUE_SOON}'
        ELSE '{ON_TRACK}'
    END
"""


# ---------------------------------------------------------------------------------------------
# The NGAP allocations tracker page (pages/ngap_tracker.py): its configuration, its queries
# (core/queries/ngap.sql) and the pure helpers the page renders with. Added for issue 3; the rule
# above is unchanged and is what the Overview (home.sql ngap_light_counts) uses too.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NgapTrackerRules:
    """Configuration of the NGAP tracker page (force choice, not law; defaults documented here).

    The light itself keeps its one threshold in ``core.config.Thresholds.ngap_due_soon_days``
    (default 7 days, inclusive), shared with the Overview so the two pages can never disagree.
    Suggested settings key for the lead to wire in: ``[ngap_tracker]`` with the fields below.
    """

    list_cap: int = 500
    """The case list shows at most this many rows (the cap is applied in SQL; the page says how
    many more there are). 500 rows is a working list a CJS manager can scan; more means narrow it."""
    chart_groups: int = 20
    """The backlog chart shows this many sections (or teams) with the largest backlog; the table
    twin always lists every one. 20 bars stay readable on a 1080-pixel-high shared screen."""
    trend_step_days: int = 7
    """Spacing of the trend points, in days back from the end of the period (weekly by default)."""

    def __post_init__(self) -> None:
        if self.list_cap < 1 or self.chart_groups < 1 or self.trend_step_days < 1:
            raise ValueError("NGAP tracker settings must be positive")


DEFAULT_RULES = NgapTrackerRules()

GROUP_BY = {"section": "Section leader", "team": "Team"}
"""Ways to group the backlog: the NGAP section leader recorded on the allocation, or the OIC's team."""
NO_GROUP = "(none recorded)"
"""The backlog row for cases with no section leader as of the as-of date (usually the unallocated
cases: a section leader is recorded with the allocation)."""
NGAP_QUERIES = ("ngap_case_counts", "ngap_cases", "ngap_backlog", "ngap_workload", "ngap_trend")


def _run(con: duckdb.DuckDBPyConnection, name: str, scope: Scope, as_of: date, thresholds: Thresholds,
         **extra: Any) -> pd.DataFrame:
    from core import queries  # here, not at the top: core.queries imports core.config

    params: dict[str, Any] = {
        **scope.params(),
        **queries.rule_params(as_of, thresholds),
        "group_by": "section",
        "drill_groups": [],
        "drill_officers": [],
        "no_group": NO_GROUP,
    }
    clash = set(extra) & set(scope.params())
    if clash:  # a page argument must never overwrite the viewer's scope
        raise ValueError(f"parameter(s) {sorted(clash)} would overwrite the scope")
    params.update(extra)
    if params["group_by"] not in GROUP_BY:
        raise ValueError(f"group_by must be one of {sorted(GROUP_BY)}, not {params['group_by']!r}")
    return queries.run(con, name, params)


def case_counts(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    group_by: str = "section",
    groups: tuple[str, ...] = (),
    officers: tuple[str, ...] = (),
) -> pd.DataFrame:
    """NGAP cases in scope by light (columns light, cases, in_drill).

    ``cases`` is the Overview's count (same population, same rule); ``in_drill`` counts the cases
    that also match the drill-down (``groups``: backlog ``group_key`` values; ``officers``:
    workload ``officer_key`` values; empty means no drill-down).
    """
    return _run(con, "ngap_case_counts", scope, as_of, thresholds, group_by=group_by,
                drill_groups=list(groups), drill_officers=list(officers))


def cases(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    lights: tuple[str, ...] = LIGHT_ORDER,
    group_by: str = "section",
    groups: tuple[str, ...] = (),
    officers: tuple[str, ...] = (),
    cap: int = DEFAULT_RULES.list_cap,
) -> pd.DataFrame:
    """The NGAP case list: the chosen lights and drill-down, most urgent first, at most ``cap`` rows.

    Allocation columns are as of ``as_of`` (an allocation dated later is blank, and the case is
    UNALLOCATED); ``stl_band`` is the worst STL band of the case's offences (R2-R6, R12).
    """
    return _run(con, "ngap_cases", scope, as_of, thresholds, lights=list(lights), group_by=group_by,
                drill_groups=list(groups), drill_officers=list(officers), cap=int(cap))


def backlog(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *, group_by: str = "section"
) -> pd.DataFrame:
    """NGAP cases per force and section leader (or team) by light, largest backlog first."""
    return _run(con, "ngap_backlog", scope, as_of, thresholds, group_by=group_by)


def workload(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> pd.DataFrame:
    """NGAP cases per allocated officer (as of ``as_of``) by light, most overdue first."""
    return _run(con, "ngap_workload", scope, as_of, thresholds)


def trend(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    period: tuple[date, date],
    step_days: int = DEFAULT_RULES.trend_step_days,
) -> pd.DataFrame:
    """The backlog reconstructed from dates, one row per step back from the end of ``period``.

    Why reconstructed: the extract is a snapshot with no history table, so the past is read from
    the dates on today's open NGAP cases. On day d a case counts if it had reached its first
    hearing by d (``first_hearing_date``, else ``commenced_date``); it is unallocated on d if it
    had no officer or was allocated after d, and overdue on d if it was allocated by d and its
    upgrade file was due before d: ``ngap_light`` evaluated as of d. Days after ``as_of`` are not
    reconstructed (events after the as-of date have not happened). See ``TREND_LIMITS``.
    """
    start, end = period
    return _run(con, "ngap_trend", scope, as_of, thresholds, period_start=start, period_end=end,
                step=int(step_days))


TREND_LIMITS = (
    "Reconstructed from dates, not from a history of the extract: each point counts today's open "
    "NGAP cases that had reached their first hearing by that day (first hearing date, or the charge "
    "date when it is missing), unallocated if nobody was allocated by then, overdue if allocated but "
    "the upgrade file was due before then (the same light rule, applied as of that day). Limits: "
    "cases since closed or moved on (for example to the Crown Court) are no longer in the NGAP list, "
    "so earlier weeks undercount; only the current allocation and due date are recorded, so a "
    "reallocation or a moved due date is read as if it had always been so; a case with an officer "
    "but no allocation date counts as allocated throughout."
)


# -- pure helpers for the page ---------------------------------------------------------------
def light_totals(counts: pd.DataFrame) -> dict[str, int]:
    """Cases per light in LIGHT_ORDER, zeros included (from ``case_counts``)."""
    got = dict(zip(counts["light"], counts["cases"], strict=True))
    return {light: int(got.get(light, 0)) for light in LIGHT_ORDER}


@dataclass(frozen=True)
class Reconciliation:
    in_scope: int
    shown: int
    excluded: tuple[tuple[str, int], ...]

    @property
    def adds_up(self) -> bool:
        return self.in_scope == self.shown + sum(n for _, n in self.excluded)


def reconciliation(counts: pd.DataFrame, lights: Iterable[str], shown: int, cap: int) -> Reconciliation:
    """NGAP cases in scope = shown + not shown because of the light selector, the drill-down or the cap.

    Each case falls in exactly one bucket, in this order: its light is not selected; else it is
    outside the drill-down; else it is beyond the first ``cap`` rows; else it is shown.
    """
    chosen = set(lights)
    in_scope = int(counts["cases"].sum())
    selected = counts[counts["light"].isin(chosen)]
    not_selected = in_scope - int(selected["cases"].sum())
    matching = int(selected["in_drill"].sum())
    outside_drill = int(selected["cases"].sum()) - matching
    return Reconciliation(
        in_scope=in_scope,
        shown=shown,
        excluded=(
            ("light not selected", not_selected),
            ("outside the section, team or officer drilled into", outside_drill),
            (f"beyond the first {cap:,} rows of the list", matching - shown),
        ),
    )


def with_group_label(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``label``: the group name, with the force name when the rows span several forces
    (two forces can each have a section leader of the same name)."""
    out = df.copy()
    if out["force_code"].nunique() > 1:
        out["label"] = [f"{g} · {FORCE_NAMES.get(f, f)}" for g, f in zip(out["group_name"], out["force_code"],
                                                                        strict=True)]
    else:
        out["label"] = out["group_name"]
    return out


def selected_keys(points: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The ``customdata`` keys of the chart points a user selected (sorted, no duplicates)."""
    keys = set()
    for point in points:
        value = point.get("customdata")
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            keys.add(value)
    return tuple(sorted(keys))


def charted_groups(df: pd.DataFrame) -> pd.DataFrame:
    """The backlog rows the chart can show: named groups with unallocated or overdue cases."""
    return df[(df["group_name"] != NO_GROUP) & ((df["unallocated"] + df["overdue"]) > 0)]


def backlog_figure(df: pd.DataFrame, *, top: int, group_title: str) -> go.Figure:
    """Stacked bars of unallocated and overdue cases for the ``top`` named groups with any backlog.

    ``df`` is ``with_group_label(backlog(...))`` (already largest first). The ``NO_GROUP`` rows are
    left off the chart: cases not yet given to a section (usually every unallocated case) would
    dwarf the sections' bars; the page states their number and the table twin lists them. Each
    bar carries its ``group_key`` as customdata for drill-down; the two lights differ by label,
    hatch pattern and colour, never colour alone.
    """
    shown = charted_groups(df).head(top)
    fig = go.Figure()
    for light, column, pattern in ((UNALLOCATED, "unallocated", ""), (OVERDUE, "overdue", "/")):
        fig.add_trace(
            go.Bar(
                x=shown[column],
                y=shown["label"],
                orientation="h",
                name=LIGHT_LABELS[light],
                marker={"color": LIGHT_COLOURS[light], "pattern": {"shape": pattern}},
                text=[f"{n:,}" if n else "" for n in shown[column]],
                textposition="inside",
                customdata=shown["group_key"],
                hovertemplate=f"%{{y}}<br>{LIGHT_LABELS[light]}: %{{x:,}}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title=f"NGAP backlog by {group_title.lower()}: unallocated and overdue (select a bar to see its cases)",
        xaxis_title="cases",
        yaxis={"autorange": "reversed", "type": "category"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        height=110 + 26 * max(len(shown), 1),
    )
    return fig


def trend_figure(df: pd.DataFrame) -> go.Figure:
    """Weekly unallocated and overdue counts as two labelled lines (solid and dashed)."""
    fig = go.Figure()
    for light, column, dash, symbol in ((UNALLOCATED, "unallocated", "solid", "circle"),
                                        (OVERDUE, "overdue", "dash", "square")):
        fig.add_trace(
            go.Scatter(
                x=df["week_ending"],
                y=df[column],
                mode="lines+markers",
                name=LIGHT_LABELS[light],
                line={"color": LIGHT_COLOURS[light], "dash": dash},
                marker={"symbol": symbol},
                hovertemplate=f"%{{x|%d/%m/%Y}}<br>{LIGHT_LABELS[light]}: %{{y:,}}<extra></extra>",
            )
        )
    top = int(df[["unallocated", "overdue"]].to_numpy().max()) if len(df) else 0
    fig.update_layout(
        title="NGAP backlog week by week (reconstructed from dates)",
        xaxis_title="week ending",
        yaxis={"title": "cases", "rangemode": "tozero", "range": [0, max(1, math.ceil(top * 1.1))]},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        height=360,
    )
    return fig


# -- export ------------------------------------------------------------------------------------
CASE_EXPORT_COLUMNS = (
    ExportColumn("light_label", "Light", "text", 16),
    ExportColumn("stl_band", "STL risk", "band", 12),
    ExportColumn("upgrade_file_due_date", "Upgrade file due", "date", 14),
    ExportColumn("days_to_due", "Days to due", "int", 10),
    ExportColumn("urn", "URN", "text", 14),
    ExportColumn("defendant_id", "Defendant ref", "text", 14),
    ExportColumn("allocated_officer_id", "Allocated officer", "text", 14),
    ExportColumn("allocated_officer_name", "Officer name", "text", 20),
    ExportColumn("section_leader", "Section leader", "text", 20),
    ExportColumn("allocation_date", "Allocated on", "date", 12),
    ExportColumn("first_hearing_date", "First hearing", "date", 12),
    ExportColumn("trial_date", "Trial", "date", 12),
    ExportColumn("team", "Team", "text", 28),
    ExportColumn("oic_id", "OIC", "text", 10),
    ExportColumn("file_stage", "File stage", "text", 18),
    ExportColumn("file_status", "File status", "text", 14),
    ExportColumn("force_code", "Force", "text", 6),
)
BACKLOG_EXPORT_COLUMNS = (
    ExportColumn("label", "Section or team", "text", 30),
    ExportColumn("unallocated", "Unallocated", "int", 12),
    ExportColumn("overdue", "Overdue", "int", 10),
    ExportColumn("due_soon", "Due soon", "int", 10),
    ExportColumn("no_due_date", "No due date", "int", 12),
    ExportColumn("on_track", "On track", "int", 10),
    ExportColumn("cases", "All NGAP cases", "int", 14),
)
WORKLOAD_EXPORT_COLUMNS = (
    ExportColumn("officer_id", "Officer", "text", 12),
    ExportColumn("officer_name", "Name", "text", 20),
    ExportColumn("section_leaders", "Section leader", "text", 24),
    ExportColumn("overdue", "Overdue", "int", 10),
    ExportColumn("due_soon", "Due soon", "int", 10),
    ExportColumn("no_due_date", "No due date", "int", 12),
    ExportColumn("on_track", "On track", "int", 10),
    ExportColumn("cases", "Allocated NGAP cases", "int", 14),
    ExportColumn("force_code", "Force", "text", 6),
)


def export_sheets(case_list: pd.DataFrame, backlog_df: pd.DataFrame, workload_df: pd.DataFrame,
                  *, list_title: str, group_title: str) -> list[ExportSheet]:
    """The page's XLSX: the case list as shown, the backlog table and the officer workload."""
    listed = case_list.assign(light_label=case_list["light"].map(lambda x: LIGHT_LABELS.get(x, x)))
    return [
        ExportSheet("NGAP cases", listed, CASE_EXPORT_COLUMNS, list_title),
        ExportSheet("Backlog", backlog_df, BACKLOG_EXPORT_COLUMNS, f"NGAP cases by {group_title.lower()}"),
        ExportSheet("Workload", workload_df, WORKLOAD_EXPORT_COLUMNS, "NGAP cases per allocated officer"),
    ]
