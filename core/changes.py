"""What changed since the last JOIM: two loads of the extracts compared, case by case.

Why this module exists
----------------------
A Joint Operational Improvement Meeting (features.md section 3, idea 6) wants to start from what
moved since it last met: which cases became at risk of losing their statutory time limit, which were
dealt with, which slipped a band, which were lost (BLACK), and which teams moved most. The store
keeps each load as a dated snapshot (``core.history``), so this is computed from real history: the
"base" is the load the last meeting saw (the newest loaded on or before the meeting day,
``core.history.resolve``) and the other side is the load served now.

Definitions (tests/sql/test_changes.py pins each one on a hand-made pair of loads)
-------------------------------------------------------------------------------
* **Case** and **band**: the Overview's (home.sql ``stl_band_counts``): a force, URN and defendant
  with an offence row not closed and created on or before the as-of date; its band is the worst
  ``stl_band`` among those rows (domain.md R2-R6, R12; ``core.stl.band_for``, pinned against the
  SQL macro by tests/unit/test_sql_macros.py). A case with no such row in a snapshot is *absent*
  from it (closed, or not in that extract).
* Each snapshot is judged at **its own as-of date**: the base at the meeting day (or, when a load is
  picked by hand, its load day), the current load at the sidebar's as-of date. Both use the same
  band thresholds (the settings in force now), so a change is a change in the data or in time, never
  in policy.
* **At risk**: band RED, AMBER or BLACK (``AT_RISK``). UNKNOWN is not counted as at risk here
  (the STL watch lists it as urgent, R16); it can still be on the lists as a band before or now.
* **New at risk**: at risk now, and absent or not at risk in the base.
* **Cleared**: at risk in the base, and now absent (closed, or gone from the extract) or not at risk
  (commenced, GREEN, no limit, unknown).
* **Slipped a band**: a step up the RAG ladder GREEN → AMBER → RED → BLACK, both bands on it
  (GREEN → RED counts; a case absent from the base has no band to slip from).
* **Went BLACK**: BLACK now, and absent or not BLACK in the base.
* **Team movement**: per force and team, cases at risk now (by the team now) less cases at risk in
  the base (by the team then): the net change; biggest absolute change first.

The lists overlap (a GREEN → AMBER case is new at risk *and* slipped). The reconciliation puts each
case in scope in either snapshot in exactly one bucket: on at least one list; not at risk either
time; at risk both times in the same band; at risk both times, band eased (RED → AMBER). And at
risk now = at risk in the base − cleared + new at risk, always.

How it runs
-----------
``compare`` opens a private, hardened DuckDB with both snapshots attached READ_ONLY
(``core.history.attach``), builds one table of the cases of both (one scan of each, the governing
offence found with a packed sort key as in stl_watch.sql), joins the team and officer back for the
cases at risk in either, and answers the summary, the four lists (capped in SQL) and the team table
from those. The trend (``trend_point``) counts the cases by band in one snapshot, judged at its own
load day; the page asks for each point separately so each is cached on its own.

Speed (1M offence rows, 369k cases, both forces, on the 2-core reference machine while it was busy,
load average 3-4): ``compare`` 1.0-2.9 s wall with both forces and 0.25-0.9 s for one team, where
the Overview's band count on one snapshot took 0.25-0.8 s in the same runs (a comparison reads two
snapshots, cold, in its own instance); a trend point 0.2-0.9 s. Results are cached by ``ui.data.q``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from core import history
from core.charts import BAND_COLOURS
from core.export import ExportColumn, ExportSheet
from core.scope import Scope
from core.stl import AMBER, BAND_LABELS, BAND_ORDER, BLACK, GREEN, RED
from core.store import Store, StoreError

if TYPE_CHECKING:  # core.config imports this module lazily (page settings), so not at run time
    from core.config import Thresholds

AT_RISK: tuple[str, ...] = (BLACK, RED, AMBER)
"""Bands that count as at risk of losing the STL (the issue's 'at-risk cases')."""
LADDER: tuple[str, ...] = (GREEN, AMBER, RED, BLACK)
"""The RAG ladder, least to most severe: a 'slip' is a step up it."""

LISTS: dict[str, str] = {
    "new_at_risk": "New at risk",
    "slipped": "Slipped a band",
    "went_black": "Went BLACK",
    "cleared": "Cleared",
}
"""The four change lists, in page order, with their titles."""
LIST_HELP: dict[str, str] = {
    "new_at_risk": "At risk now (RED, AMBER or BLACK) and not at risk, or not an open case, at the last JOIM.",
    "slipped": "Moved up the ladder GREEN → AMBER → RED → BLACK since the last JOIM.",
    "went_black": "BLACK now (the STL passed without proceedings) and not BLACK at the last JOIM.",
    "cleared": "At risk at the last JOIM and now not at risk: proceedings commenced, the file closed, the "
               "case gone from the extract, or the band eased to GREEN.",
}
GONE = "GONE"
"""Band shown for a case with no open offence row in scope in a snapshot (closed, not in that
extract, or, for a team's view, held by another team then)."""
GONE_LABEL = "➖ closed, gone or out of scope"
NO_TEAM = "(no team)"


@dataclass(frozen=True)
class ChangesSettings:
    """Configuration of the What changed page (force choice, not law). Settings table ``[changes]``.

    joim_interval_days
        The "Last JOIM on" date defaults to this many days before the as-of date (28: JOIMs are
        commonly monthly).
    list_cap
        Rows per change list (capped in SQL; the page says how many more there are).
    chart_teams
        Teams drawn in the movement chart (largest movement first); its table twin lists all.
    trend_points
        Most snapshots counted for the trend (one per day at most, spread evenly over the period,
        the newest always included): each point opens and scans one snapshot, about the Overview's
        band count each (0.3-0.8 s at a million offence rows on the 2-core reference machine), so
        12 points (weekly over the default 12-week period) keep a cold trend to a few seconds.
    """

    joim_interval_days: int = 28
    list_cap: int = 500
    chart_teams: int = 20
    trend_points: int = 12

    def __post_init__(self) -> None:
        if min(self.joim_interval_days, self.list_cap, self.chart_teams, self.trend_points) < 1:
            raise ValueError("What changed settings must be positive")


DEFAULT_SETTINGS = ChangesSettings()


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`: one-row summary, the four capped lists, the team table."""

    base: str
    base_as_of: date
    summary: pd.DataFrame
    lists: dict[str, pd.DataFrame]
    teams: pd.DataFrame

    def count(self, name: str) -> int:
        return int(self.summary[name].iloc[0])


def _store_of(con: duckdb.DuckDBPyConnection) -> tuple[Store, str]:
    """The store and current generation name behind the dashboard's connection to a generation."""
    cur = con.cursor()
    try:
        rows = cur.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()
    finally:
        cur.close()
    if not rows or not rows[0][0]:
        raise StoreError("the connection is not to a store generation")
    path = Path(rows[0][0])
    return Store(path.parent), path.name


def _params(scope: Scope, as_of: date, thresholds: Thresholds, **extra: Any) -> dict[str, Any]:
    from core import queries  # here, not at the top: core.queries imports core.config

    clash = set(extra) & set(scope.params())
    if clash:  # a page argument must never overwrite the viewer's scope
        raise ValueError(f"parameter(s) {sorted(clash)} would overwrite the scope")
    return {**scope.params(), **queries.rule_params(as_of, thresholds), "at_risk": list(AT_RISK),
            "ladder": list(LADDER), **extra}


def snapshot_list(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> pd.DataFrame:
    """The store's snapshots, oldest first (columns generation, loaded_at (UTC), loaded_on, current).

    ``con`` is the dashboard's connection to the current generation; the listing reads file names
    only (``core.history.snapshots``). Scope and as-of do not change it (the signature is the one
    ``ui.data.q`` calls).
    """
    store, _ = _store_of(con)
    snaps = history.snapshots(store)
    return pd.DataFrame(
        {
            "generation": [s.name for s in snaps],
            "loaded_at": [s.loaded_at.replace(tzinfo=None) for s in snaps],
            "loaded_on": [s.loaded_on for s in snaps],
            "current": [s.current for s in snaps],
        },
        columns=["generation", "loaded_at", "loaded_on", "current"],
    )


def compare(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    base: str,
    base_as_of: date,
    cap: int = DEFAULT_SETTINGS.list_cap,
) -> Comparison:
    """Compare the snapshot ``base`` (judged at ``base_as_of``) with the current generation (the
    one ``con`` is open on, judged at ``as_of``), within ``scope``. See the module docstring for
    every definition. Raises StoreError if ``base`` is not a snapshot kept in the store.
    """
    from core import queries

    store, current = _store_of(con)
    params = _params(scope, as_of, thresholds, base_as_of=base_as_of, cap=int(cap))
    private = history.attach(store, {"cur": current, "base": base})
    try:
        queries.run(private, "changes_build", params)
        queries.run(private, "changes_build_at_risk", params)
        summary = queries.run(private, "changes_summary", params)
        lists = {name: queries.run(private, "changes_list", {**params, "list": name}) for name in LISTS}
        teams = queries.run(private, "changes_teams", params)
    finally:
        private.close()
    return Comparison(base=base, base_as_of=base_as_of, summary=summary, lists=lists, teams=teams)


TREND_COLUMNS = ["generation", "loaded_on", *(b.lower() for b in BAND_ORDER), "at_risk", "cases"]


def trend_point(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *, snapshot: str
) -> pd.DataFrame:
    """One row of the trend: the cases in scope of the kept snapshot ``snapshot`` by band, judged at
    its own load day (``as_of`` is not used: a snapshot's point never moves). Columns TREND_COLUMNS."""
    from core import queries

    store, _ = _store_of(con)
    snap = next((s for s in history.snapshots(store) if s.name == snapshot), None)
    if snap is None:
        raise StoreError(f"{snapshot!r} is not a snapshot kept in this store")
    # The Overview's own count, run on the snapshot's file (read-only): one definition of "cases by band".
    snap_con = store.connect_read(store.root / snap.name)
    try:
        counts = queries.stl_band_counts(snap_con, scope, snap.loaded_on, thresholds)
    finally:
        snap_con.close()
    got = dict(zip(counts["band"], counts["cases"], strict=True))
    row: dict[str, Any] = {"generation": snap.name, "loaded_on": snap.loaded_on}
    row.update({band.lower(): int(got.get(band, 0)) for band in BAND_ORDER})
    row["at_risk"] = sum(int(got.get(b, 0)) for b in AT_RISK)
    row["cases"] = int(sum(got.values()))
    return pd.DataFrame([row], columns=TREND_COLUMNS)


def trend_snapshots(snaps: pd.DataFrame, period: tuple[date, date], max_points: int) -> list[str]:
    """The snapshots (names, oldest first) the trend counts: those loaded within ``period``
    (inclusive), the last of each day, at most ``max_points`` spread evenly, the newest always
    (``core.history.thin``). ``snaps`` is :func:`snapshot_list`'s frame."""
    as_snaps = [history.Snapshot(g, Path(g), pd.Timestamp(t).to_pydatetime().replace(tzinfo=UTC))
                for g, t in zip(snaps["generation"], snaps["loaded_at"], strict=True)]
    return [s.name for s in history.thin(as_snaps, period[0], period[1], max_points)]


def trend(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    period: tuple[date, date],
    max_points: int = DEFAULT_SETTINGS.trend_points,
) -> pd.DataFrame:
    """Cases at risk in each kept snapshot loaded within ``period`` (inclusive), oldest first.

    Each snapshot is judged at its own load day (what was at risk when that extract came in), so
    the points are real history, not a reconstruction. At most one point per day and ``max_points``
    in all (:func:`trend_snapshots`). Columns: generation, loaded_on, one column per band of
    ``BAND_ORDER`` (lower case), at_risk (BLACK + RED + AMBER) and cases (open cases in scope).
    Each point scans one snapshot (about the Overview's band count); the page asks for the points
    one by one (:func:`trend_point`) so each is cached on its own.
    """
    names = trend_snapshots(snapshot_list(con, scope, as_of, thresholds), period, max_points)
    frames = [trend_point(con, scope, as_of, thresholds, snapshot=name) for name in names]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TREND_COLUMNS)


# -- pure helpers for the page ---------------------------------------------------------------------
def band_or_gone(series: pd.Series) -> pd.Series:
    """Band codes, with GONE where the case was not an open case in that snapshot."""
    return series.astype(object).where(series.notna(), GONE)


def band_label(code: object) -> str:
    """A band code as text with its icon (never colour alone); GONE as 'not an open case'."""
    if code == GONE or code is None or (isinstance(code, float) and pd.isna(code)):
        return GONE_LABEL
    return BAND_LABELS.get(str(code), str(code))


def reconciliation(summary: pd.DataFrame, shown: int) -> tuple[int, int, list[tuple[str, int]]]:
    """(cases in scope in either load, shown, reasons not shown with counts) for ``ui.widgets.reconcile``.

    ``shown`` is the number of distinct cases displayed on the lists; listed cases beyond every
    list's cap are the remainder of ``listed``.
    """
    s = summary.iloc[0]
    excluded = [
        ("not at risk at either time", int(s["neither"])),
        ("at risk both times, same band", int(s["unchanged"])),
        ("at risk both times, band eased", int(s["eased"])),
        ("on a list, beyond the rows shown", int(s["listed"]) - shown),
    ]
    return int(s["cases"]), shown, excluded


def shown_cases(lists: dict[str, pd.DataFrame]) -> int:
    """Distinct cases (force, URN, defendant) across the displayed lists."""
    frames = [df[["force_code", "urn", "defendant_id"]] for df in lists.values() if len(df)]
    if not frames:
        return 0
    return int(len(pd.concat(frames).drop_duplicates()))


def movement_figure(teams: pd.DataFrame, *, top: int) -> go.Figure:
    """Net change in at-risk cases per team, the ``top`` biggest movements, as labelled bars.

    Rises and falls differ by sign, text ("+3", "−2"), hatch pattern and colour, never colour alone.
    """
    shown = teams[teams["net_change"] != 0].head(top)
    labels = _team_labels(shown)
    colours = ["#b3261e" if n > 0 else "#2e7d32" for n in shown["net_change"]]
    patterns = ["/" if n > 0 else "" for n in shown["net_change"]]
    fig = go.Figure(
        go.Bar(
            x=shown["net_change"],
            y=labels,
            orientation="h",
            marker={"color": colours, "pattern": {"shape": patterns}},
            text=[f"{n:+,}".replace("-", "−") for n in shown["net_change"]],
            textposition="auto",
            customdata=list(zip(shown["at_risk_before"], shown["at_risk_now"], strict=True)),
            hovertemplate="%{y}<br>net change %{x:+,}<br>then %{customdata[0]:,}, now %{customdata[1]:,}"
                          "<extra></extra>",
        )
    )
    fig.update_layout(
        title="Teams with the biggest movement: change in cases at risk (RED, AMBER or BLACK)",
        xaxis_title="cases at risk now minus at the last JOIM (more at risk: hatched)",
        yaxis={"autorange": "reversed", "type": "category"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=110 + 28 * max(len(shown), 1),
        showlegend=False,
    )
    return fig


def _team_labels(df: pd.DataFrame) -> list[str]:
    from core.forces import FORCE_NAMES

    if df["force_code"].nunique() > 1:
        return [f"{t} · {FORCE_NAMES.get(f, f)}" for t, f in zip(df["team"], df["force_code"], strict=True)]
    return [str(t) for t in df["team"]]


def team_labels(df: pd.DataFrame) -> pd.Series:
    """Team names, with the force name when the rows span several forces."""
    return pd.Series(_team_labels(df), index=df.index, dtype=object)


def trend_figure(df: pd.DataFrame) -> go.Figure:
    """Cases at risk per kept load: the total and each band as labelled lines, told apart by dash
    and marker as well as colour (never colour alone)."""
    fig = go.Figure()
    lines = (("at_risk", "At risk (all three)", "#374151", "solid", "circle", 3),
             ("black", BAND_LABELS[BLACK], BAND_COLOURS[BLACK], "dot", "x", 2),
             ("red", BAND_LABELS[RED], BAND_COLOURS[RED], "dash", "square", 2),
             ("amber", BAND_LABELS[AMBER], BAND_COLOURS[AMBER], "dashdot", "diamond", 2))
    for column, name, colour, dash, symbol, width in lines:
        fig.add_trace(
            go.Scatter(
                x=df["loaded_on"],
                y=df[column],
                mode="lines+markers",
                name=name,
                line={"color": colour, "dash": dash, "width": width},
                marker={"symbol": symbol, "size": 8},
                hovertemplate=f"%{{x|%d/%m/%Y}}<br>{name}: %{{y:,}}<extra></extra>",
            )
        )
    fig.update_layout(
        title="Cases at risk in each kept load (each judged on its load day)",
        xaxis={"title": "load day", "type": "date", "tickformat": "%d/%m/%Y"},
        yaxis={"title": "cases", "rangemode": "tozero"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        height=380,
    )
    return fig


# -- export ----------------------------------------------------------------------------------------
LIST_EXPORT_COLUMNS = (
    ExportColumn("band_before", "Band at last JOIM", "band", 14),
    ExportColumn("band_now", "Band now", "band", 12),
    ExportColumn("urn", "URN", "text", 14),
    ExportColumn("defendant_id", "Defendant ref", "text", 14),
    ExportColumn("team", "Team", "text", 28),
    ExportColumn("oic_id", "OIC", "text", 10),
    ExportColumn("stl_date", "STL date now", "date", 12),
    ExportColumn("last_working_day", "Last working day", "date", 14),
    ExportColumn("stl_date_before", "STL date then", "date", 12),
    ExportColumn("force_code", "Force", "text", 6),
)
TEAM_EXPORT_COLUMNS = (
    ExportColumn("label", "Team", "text", 30),
    ExportColumn("at_risk_before", "At risk at last JOIM", "int", 12),
    ExportColumn("at_risk_now", "At risk now", "int", 12),
    ExportColumn("net_change", "Net change", "int", 10),
    ExportColumn("new_at_risk", "New at risk", "int", 10),
    ExportColumn("cleared", "Cleared", "int", 10),
    ExportColumn("slipped", "Slipped", "int", 10),
    ExportColumn("went_black", "Went BLACK", "int", 10),
)
SUMMARY_EXPORT_COLUMNS = (
    ExportColumn("measure", "Measure", "text", 40),
    ExportColumn("value", "Value", "text", 28),
)
TREND_EXPORT_COLUMNS = (
    ExportColumn("loaded_on", "Load day", "date", 12),
    ExportColumn("black", "BLACK", "int", 8),
    ExportColumn("red", "RED", "int", 8),
    ExportColumn("amber", "AMBER", "int", 8),
    ExportColumn("at_risk", "At risk", "int", 10),
    ExportColumn("cases", "Open cases", "int", 10),
)


def headline(comp: Comparison) -> list[tuple[str, int, str]]:
    """(label, count, help) for the page's headline figures and the export's summary sheet."""
    return [
        ("At risk at the last JOIM", comp.count("at_risk_before"), "Cases RED, AMBER or BLACK in the base load."),
        ("At risk now", comp.count("at_risk_now"),
         "Cases RED, AMBER or BLACK now: the Overview's RED + AMBER + BLACK for the same as-of date and scope."),
        (LISTS["new_at_risk"], comp.count("new_at_risk"), LIST_HELP["new_at_risk"]),
        (LISTS["cleared"], comp.count("cleared"), LIST_HELP["cleared"]),
        (LISTS["slipped"], comp.count("slipped"), LIST_HELP["slipped"]),
        (LISTS["went_black"], comp.count("went_black"), LIST_HELP["went_black"]),
    ]


def export_sheets(
    comp: Comparison,
    *,
    described: Sequence[tuple[str, str]],
    trend_df: pd.DataFrame | None = None,
) -> list[ExportSheet]:
    """The XLSX pack: a summary, the four lists, the team movement and (if given) the trend.

    ``described`` are extra (measure, value) lines for the summary sheet: which loads were compared
    and at which dates, the scope.
    """
    summary = pd.DataFrame(
        list(described) + [(label, f"{n:,}") for label, n, _ in headline(comp)], columns=["measure", "value"]
    )
    sheets = [ExportSheet("Summary", summary, SUMMARY_EXPORT_COLUMNS, "What changed since the last JOIM")]
    for name, title in LISTS.items():
        df = comp.lists[name]
        out = df.assign(band_before=band_or_gone(df["band_before"]), band_now=band_or_gone(df["band_now"]))
        total = comp.count(name)
        sheets.append(ExportSheet(
            title[:31], out, LIST_EXPORT_COLUMNS,
            f"{title}: {len(df):,} of {total:,} cases" if total > len(df) else f"{title}: {total:,} cases",
        ))
    teams = comp.teams.assign(label=team_labels(comp.teams))
    sheets.append(ExportSheet("Team movement", teams, TEAM_EXPORT_COLUMNS,
                              "Teams by movement in cases at risk, biggest first"))
    if trend_df is not None and len(trend_df):
        sheets.append(ExportSheet("At-risk trend", trend_df, TREND_EXPORT_COLUMNS,
                                  "Cases at risk in each kept load, judged on its load day"))
    return sheets
