"""What changed since the last JOIM: the load the last meeting saw, compared with the load served now.

New at-risk cases, cases cleared, cases that slipped a band, cases that went BLACK and the teams that
moved most, then the cases at risk in every kept load (a trend from real history). Definitions and
queries are in core/changes.py and core/queries/changes.sql; the snapshots and their retention in
core/history.py. The "Print layout" toggle renders plain tables between two protective markings for
the browser's Print; the export is the marked XLSX pack.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core import changes
from core.forces import force_label
from core.stl import BAND_LABELS
from core.store import StoreError
from ui import data, filters, widgets

SETTINGS = data.settings().section("changes")
HISTORY_DAYS = data.settings().history_days
KEEP = data.settings().keep_generations


LIST_COLUMNS = {
    "band_before": st.column_config.TextColumn("Band at last JOIM", pinned=True),
    "band_now": st.column_config.TextColumn("Band now", pinned=True),
    "urn": st.column_config.TextColumn("URN", pinned=True),
    "defendant_id": "Defendant ref",
    "team": "Team",
    "oic_id": "OIC",
    "stl_date": st.column_config.DateColumn("STL date now", format="DD/MM/YYYY"),
    "last_working_day": st.column_config.DateColumn(
        "Last working day", format="DD/MM/YYYY", help="The last working day on or before the STL."),
    "stl_date_before": st.column_config.DateColumn("STL date then", format="DD/MM/YYYY"),
    "force_code": "Force",
}
PRINT_LIST_LABELS = {
    "band_before": "Band at last JOIM", "band_now": "Band now", "urn": "URN", "defendant_id": "Defendant ref",
    "team": "Team", "oic_id": "OIC", "last_working_day": "Last working day", "force_code": "Force",
}
TEAM_COLUMNS = {
    "label": st.column_config.TextColumn("Team", pinned=True),
    "at_risk_before": st.column_config.NumberColumn("At risk at last JOIM", format="%d"),
    "at_risk_now": st.column_config.NumberColumn("At risk now", format="%d"),
    "net_change": st.column_config.NumberColumn("Net change", format="%+d"),
    "new_at_risk": st.column_config.NumberColumn("New at risk", format="%d"),
    "cleared": st.column_config.NumberColumn("Cleared", format="%d"),
    "slipped": st.column_config.NumberColumn("Slipped", format="%d"),
    "went_black": st.column_config.NumberColumn("Went ⬛ BLACK", format="%d"),
}
TEAM_PRINT_LABELS = {
    "label": "Team", "at_risk_before": "At risk then", "at_risk_now": "At risk now", "net_change": "Net change",
    "new_at_risk": "New", "cleared": "Cleared", "slipped": "Slipped", "went_black": "Went BLACK",
}


def _md(text: str) -> str:
    """Escape Markdown so a value is shown as typed."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", text)


def _when(ts: pd.Timestamp) -> str:
    return f"{ts:%a %d/%m/%Y %H:%M} UTC"


def _view(df: pd.DataFrame) -> pd.DataFrame:
    """A change list for display: bands as text and icon (absent: 'not an open case'), force names."""
    return df.assign(
        band_before=widgets.band_text(df["band_before"]).fillna(changes.GONE_LABEL),
        band_now=widgets.band_text(df["band_now"]).fillna(changes.GONE_LABEL),
        force_code=df["force_code"].map(force_label),
    )


def _fmt(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return f"{pd.Timestamp(value):%d/%m/%Y}" if not isinstance(value, str) else value


# -- the page ----------------------------------------------------------------------------------------
f = filters.current()
marking = data.settings().marking
st.title("What changed since the last JOIM")

snaps = data.q(changes.snapshot_list, f)
current = snaps[snaps["current"]].iloc[-1] if snaps["current"].any() else None

with st.container(key="changes_controls"):
    printing = st.toggle("Print layout", key="changes_print",
                         help="Plain tables with the protective marking at top and bottom, ready for the "
                              "browser's Print (Ctrl+P). No charts or selection.")
    mode = st.segmented_control(
        "Compare the load served now with", ["joim", "pick"], default="joim", required=True,
        format_func={"joim": "The load the last JOIM saw", "pick": "A load I choose"}.get,
        key="changes_mode", bind="query-params",
    )
    mode = mode if mode in ("joim", "pick") else "joim"
    earlier = snaps[~snaps["current"]]
    base_row = None
    base_as_of: date | None = None
    if mode == "joim":
        left, right = st.columns([1, 2], vertical_alignment="bottom")
        joim_on = left.date_input(
            "Last JOIM on", value=f.as_of - timedelta(days=SETTINGS.joim_interval_days), format="DD/MM/YYYY",
            key="changes_joim_on", bind="query-params",
            help="The meeting saw the newest load on or before this day; that load is judged as of this day. "
                 f"Defaults to {SETTINGS.joim_interval_days} days before the as-of date.",
        )
        joim_on = joim_on if isinstance(joim_on, date) else f.as_of - timedelta(days=SETTINGS.joim_interval_days)
        on_or_before = snaps[snaps["loaded_on"] <= joim_on]
        if joim_on > f.as_of:
            st.warning(f"The last JOIM date ({joim_on:%d/%m/%Y}) is after the as-of date ({f.as_of:%d/%m/%Y}): "
                       "choose an earlier day, or move the as-of date in the sidebar.", icon="📅")
        elif len(on_or_before):
            base_row = on_or_before.iloc[-1]
            base_as_of = joim_on
            right.markdown(f"🕰️ That meeting saw the load of **{_when(base_row['loaded_at'])}**"
                           + (" (the load served now)." if base_row["current"] else "."))
    elif len(earlier):
        labels = {g: f"{_when(t)}" for g, t in zip(earlier["generation"], earlier["loaded_at"], strict=True)}
        picked = st.selectbox(
            "Load to compare with", list(reversed(earlier["generation"].tolist())), format_func=labels.get,
            key="changes_base", help="Any load still kept; it is judged as of its own load day.",
        )
        if picked in labels:
            base_row = earlier[earlier["generation"] == picked].iloc[-1]
            base_as_of = base_row["loaded_on"]

history_note = (
    f"Every load is kept as a dated snapshot while it is within {HISTORY_DAYS} days of the newest load (the "
    f"newest {KEEP} are kept whatever their age; settings history_days and keep_generations), so this page "
    "compares real loads, not a reconstruction."
)

comp = None
if len(snaps) < 2:
    only = _when(current["loaded_at"]) if current is not None else "not known"
    st.metric("Loads kept", f"{len(snaps):,}", border=True, width="content",
              help="Loads kept as dated snapshots (see 'Loads kept' below).")
    st.info(
        f"Only one load is kept so far (loaded {only}), so there is nothing to compare it with yet. "
        "What changed needs two loads: from the next load on, each load is kept as a dated snapshot and this "
        f"page compares the one the last JOIM saw with the one served now. {history_note}",
        icon="🕰️",
    )
elif base_row is None:
    oldest = snaps.iloc[0]
    if mode == "joim" and joim_on > f.as_of:
        pass  # said above
    elif mode == "joim":
        st.warning(
            f"No load is kept from on or before {joim_on:%d/%m/%Y}: the oldest kept was loaded "
            f"{_when(oldest['loaded_at'])}. Choose a later JOIM date, or compare with a load you choose.",
            icon="🕰️",
        )
    else:
        st.info("Only the load served now is kept, so there is no other load to choose.", icon="🕰️")
else:
    try:
        comp = data.q(changes.compare, f, base=str(base_row["generation"]), base_as_of=base_as_of,
                      cap=SETTINGS.list_cap)
    except StoreError:
        st.warning("That load is no longer kept (retention removed it after a new load). Choose another.",
                   icon="🕰️")

if comp is not None:
    same = bool(base_row["current"])
    base_text = (f"the load of {_when(base_row['loaded_at'])} judged as of {base_as_of:%d/%m/%Y}")
    now_text = (f"the load served now ({_when(current['loaded_at'])}) judged as of {f.as_of:%d/%m/%Y}"
                if current is not None else f"the load served now, judged as of {f.as_of:%d/%m/%Y}")
    if printing:
        widgets.print_layout_css("changes", "changes_controls")
        with st.container(key="changes_marking_top"):
            st.markdown(f"**{_md(marking)}**")
    st.caption(
        f"Comparing {base_text} with {now_text}. Counts are cases (URN and defendant) with an open offence, "
        "each banded by its worst STL band as on the Overview; at risk means 🔴 RED, 🟠 AMBER or ⬛ BLACK."
    )
    if same:
        st.info("The last JOIM date resolves to the load served now: there has been no load since, so the "
                "changes below come only from time passing between the two dates.", icon="ℹ️")

    rows = changes.headline(comp)
    if printing:
        st.subheader("Summary")
        st.table(pd.DataFrame([(label, f"{n:,}") for label, n, _ in rows], columns=["Measure", "Cases"])
                 .set_index("Measure"))
    else:
        before, now = rows[0][1], rows[1][1]
        cols = st.columns(3)
        cols[0].metric(rows[0][0], f"{before:,}", help=rows[0][2], border=True)
        cols[1].metric(rows[1][0], f"{now:,}", delta=f"{now - before:+,}", delta_color="inverse",
                       help=rows[1][2], border=True)
        for col, (label, n, help_text) in zip(st.columns(4), rows[2:], strict=True):
            col.metric(label, f"{n:,}", help=help_text, border=True)
    st.caption(
        f"At risk now = at risk at the last JOIM − cleared + new at risk: {comp.count('at_risk_now'):,} = "
        f"{comp.count('at_risk_before'):,} − {comp.count('cleared'):,} + {comp.count('new_at_risk'):,}."
    )

    for name, title in changes.LISTS.items():
        df = comp.lists[name]
        total = comp.count(name)
        st.subheader(f"{title} ({total:,})")
        note = changes.LIST_HELP[name]
        if total > len(df):
            note += f" Showing the first {len(df):,} of {total:,}, most severe band now first."
        st.caption(note)
        if df.empty:
            st.caption("None.")
            continue
        shown = _view(df)
        if printing:
            out = shown[list(PRINT_LIST_LABELS)].copy()
            out["last_working_day"] = out["last_working_day"].map(_fmt)
            st.table(out.rename(columns=PRINT_LIST_LABELS).set_index("URN"))
        else:
            st.dataframe(shown, hide_index=True, key=f"changes_list_{name}", column_order=list(LIST_COLUMNS),
                         column_config=LIST_COLUMNS)

    st.subheader("Teams with the biggest movement")
    teams = comp.teams.assign(label=changes.team_labels(comp.teams))
    moved = int((teams["net_change"] != 0).sum())
    st.caption(
        f"Net change in cases at risk per team: now (by each case's team now) minus at the last JOIM (by its team "
        f"then). {moved:,} of {len(teams):,} teams with a case at risk moved; the chart shows the "
        f"{min(SETTINGS.chart_teams, moved)} biggest, the table lists every team."
    )
    team_table = teams[list(TEAM_COLUMNS)]
    if printing:
        st.table(team_table.rename(columns=TEAM_PRINT_LABELS).set_index("Team"))
    elif moved:
        widgets.chart_and_table(data.figure(changes.movement_figure, teams, top=SETTINGS.chart_teams), team_table,
                                key="changes_teams_chart", select=False, column_config=TEAM_COLUMNS)
    else:
        st.dataframe(team_table, hide_index=True, column_config=TEAM_COLUMNS, key="changes_teams_table")

    in_scope, shown_n, excluded = changes.reconciliation(comp.summary, changes.shown_cases(comp.lists))
    widgets.reconcile("cases (open in either load)", in_scope, shown_n, excluded)

    if printing:
        with st.container(key="changes_marking_bottom"):
            st.markdown(f"**{_md(marking)}**")

if not printing:
    # -- the trend from real history ----------------------------------------------------------------
    st.subheader("Cases at risk, load by load")
    start, end = f.period
    names = changes.trend_snapshots(snaps, (start, end), SETTINGS.trend_points)
    with st.spinner(f"Counting the cases at risk in {len(names)} kept load(s)…"):
        # One cached query per snapshot: a new period or a new load only counts the loads not seen yet.
        points = [data.q(changes.trend_point, f, snapshot=name) for name in names]
    trend = pd.concat(points, ignore_index=True) if points else pd.DataFrame(columns=changes.TREND_COLUMNS)
    if trend.empty:
        st.info(f"No load kept was loaded between {start:%d/%m/%Y} and {end:%d/%m/%Y} (the sidebar's period).")
    else:
        st.caption(
            f"{len(trend):,} kept load{'s' if len(trend) != 1 else ''} between {start:%d/%m/%Y} and {end:%d/%m/%Y} (the sidebar's period; at most "
            f"one a day and {SETTINGS.trend_points} in all). Each load is judged on its own load day: what was at "
            "risk when that extract came in, counted as on the Overview."
        )
        widgets.chart_and_table(
            data.figure(changes.trend_figure, trend),
            trend[["loaded_on", "black", "red", "amber", "at_risk", "cases"]],
            key="changes_trend_chart",
            select=False,
            column_config={
                "loaded_on": st.column_config.DateColumn("Load day", format="DD/MM/YYYY"),
                "black": st.column_config.NumberColumn(BAND_LABELS["BLACK"], format="%d"),
                "red": st.column_config.NumberColumn(BAND_LABELS["RED"], format="%d"),
                "amber": st.column_config.NumberColumn(BAND_LABELS["AMBER"], format="%d"),
                "at_risk": st.column_config.NumberColumn("At risk", format="%d"),
                "cases": st.column_config.NumberColumn("Open cases", format="%d"),
            },
        )

    if comp is not None:
        scope_text = ("all forces in your scope" if len(f.scope.forces) > 1 and f.scope.teams is None
                      else "forces " + ", ".join(force_label(c) for c in f.scope.forces)
                      + ("" if f.scope.teams is None else "; teams " + ", ".join(f.scope.teams)))
        described = [
            ("Last JOIM load", f"{_when(base_row['loaded_at'])}, judged as of {base_as_of:%d/%m/%Y}"),
            ("Load now", (_when(current["loaded_at"]) if current is not None else "") + f", judged as of "
             f"{f.as_of:%d/%m/%Y}"),
            ("Scope", scope_text),
        ]
        widgets.export_button(
            "Export what changed (XLSX)",
            lambda: changes.export_sheets(comp, described=described, trend_df=trend),
            file_name=f"what-changed-{base_as_of.isoformat()}-to-{f.as_of.isoformat()}.xlsx",
            title="What changed since the last JOIM",
            as_of=f.as_of,
            key="changes_export",
        )

    with st.expander(f"Loads kept ({len(snaps):,})"):
        st.caption(history_note)
        st.dataframe(
            snaps.assign(current=snaps["current"].map({True: "✅ served now", False: ""}))[
                ["loaded_at", "current", "generation"]].iloc[::-1],
            hide_index=True,
            key="changes_snapshots",
            column_config={
                "loaded_at": st.column_config.DatetimeColumn("Loaded (UTC)", format="DD/MM/YYYY HH:mm"),
                "current": "Served",
                "generation": "Snapshot file",
            },
        )
