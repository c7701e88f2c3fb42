"""NGAP tracker: allocations and upgrade-file deadlines for Not Guilty Anticipated Plea cases.

The NGAP cases counted on the Overview (same population, same light rule, core.ngap), with who
holds each one, when its upgrade file is due and its STL risk; the backlog by section leader or
team, each officer's load, and the backlog week by week. All rules live in core.ngap and
core/queries/ngap.sql; this page reads the filters, asks for data and renders.
"""

from __future__ import annotations

import streamlit as st

from core import ngap
from core.forces import force_label
from ui import data, filters, widgets

RULES = data.settings().section("ngap_tracker")
f = filters.current()
soon = data.settings().thresholds.ngap_due_soon_days

st.title("NGAP tracker")
st.caption(
    f"As of {f.as_of:%A %d %B %Y}. NGAP cases (anticipated not-guilty plea) at first hearing or awaiting "
    f"their upgrade file, not closed: the cases the Overview counts. The upgrade-file deadline is the "
    f"force's own (local TSJ protocol, not statute); 'due soon' means due within {soon} days, today "
    f"included. Counts are cases (URN and defendant)."
)

# The headline counts go at the top but are drawn later: they come from the same query as the
# list's reconciliation, which needs the drill-down chosen on the chart and the workload table.
headline = st.container()

# -- backlog by section or team -------------------------------------------------------------------
st.subheader("Backlog: unallocated and overdue")
group_by = st.segmented_control(
    "Group by", list(ngap.GROUP_BY), format_func=ngap.GROUP_BY.get, default="section",
    required=True, key="ngap_group_by", bind="query-params",
    help="Section leader: recorded with the NGAP allocation. Team: the officer in the case's team.",
)
group_by = group_by if group_by in ngap.GROUP_BY else "section"
group_title = ngap.GROUP_BY[group_by]
backlog = ngap.with_group_label(data.q(ngap.backlog, f, group_by=group_by))
workload = data.q(ngap.workload, f)

# Drill-down: the chart's and the workload table's selections from the previous run are in
# session state under the widgets' keys (the widgets themselves are drawn further down).
chart_key = f"ngap_backlog_{group_by}"
chart_points = ((st.session_state.get(chart_key) or {}).get("selection") or {}).get("points") or []
drill_groups = tuple(k for k in ngap.selected_keys(chart_points) if k in set(backlog["group_key"]))
picked_rows = ((st.session_state.get("ngap_workload") or {}).get("selection") or {}).get("rows") or []
drill_officers = tuple(workload["officer_key"].iloc[r] for r in picked_rows
                       if 0 <= r < min(len(workload), RULES.list_cap))

if backlog.empty:
    st.info("No NGAP cases in your scope.")
else:
    charted = ngap.charted_groups(backlog)
    no_group = backlog[backlog["group_name"] == ngap.NO_GROUP]
    note = (f"The chart shows the {min(RULES.chart_groups, len(charted))} of {len(charted)} "
            f"{group_title.lower()}s with unallocated or overdue cases that have the most; the table lists "
            f"all {len(backlog)} rows. Select a bar (or several with the box tool) to list only its cases "
            "below.")
    if not no_group.empty:
        note += (f" Not charted: {int(no_group['cases'].sum()):,} cases with no {group_title.lower()} yet "
                 f"({int(no_group['unallocated'].sum()):,} of them unallocated); they are the "
                 f"'{ngap.NO_GROUP}' rows of the table, and 🔴 Unallocated in the list below finds them.")
    st.caption(note)
    table = backlog[["label", "unallocated", "overdue", "due_soon", "no_due_date", "on_track", "cases"]]
    widgets.chart_and_table(
        data.figure(ngap.backlog_figure, backlog, top=RULES.chart_groups, group_title=group_title), table, key=chart_key,
        column_config={
            "label": st.column_config.TextColumn(group_title, pinned=True),
            "unallocated": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.UNALLOCATED], format="%d"),
            "overdue": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.OVERDUE], format="%d"),
            "due_soon": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.DUE_SOON], format="%d"),
            "no_due_date": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.NO_DUE_DATE], format="%d"),
            "on_track": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.ON_TRACK], format="%d"),
            "cases": st.column_config.NumberColumn("All NGAP cases", format="%d"),
        },
    )

# -- headline: the same numbers as the Overview -------------------------------------------------
counts = data.q(ngap.case_counts, f, group_by=group_by, groups=drill_groups, officers=drill_officers)
totals = ngap.light_totals(counts)
with headline:
    for row in (ngap.LIGHT_ORDER[:4], ngap.LIGHT_ORDER[4:]):
        cols = st.columns(4)
        for col, light in zip(cols, row, strict=False):
            col.metric(ngap.LIGHT_LABELS[light], f"{totals[light]:,}", border=True)
        if len(row) < 4:
            cols[len(row)].metric("All NGAP cases", f"{sum(totals.values()):,}", border=True,
                                  help="Every NGAP case in your scope: the sum of the five lights. The "
                                       "Overview counts the same cases by the same rule.")

# -- workload per allocated officer ---------------------------------------------------------------
st.subheader("Workload per allocated officer")
# The table shows at most list_cap officers (a large force has thousands); the export has them all.
workload_shown = workload.head(RULES.list_cap)
st.caption(
    f"{len(workload):,} officers hold NGAP cases as of the as-of date (allocations dated later are not "
    "counted). Select a row to list only that officer's cases below."
    + (f" The first {len(workload_shown):,} are listed here; {len(workload) - len(workload_shown):,} more are "
       "in the export, which has them all." if len(workload_shown) < len(workload) else "")
)
st.dataframe(
    workload_shown,
    hide_index=True,
    height=320,
    key="ngap_workload",
    on_select="rerun",
    selection_mode="single-row",
    column_order=["officer_id", "officer_name", "section_leaders", "overdue", "due_soon", "no_due_date",
                  "on_track", "cases", "force_code"],
    column_config={
        "officer_id": st.column_config.TextColumn("Officer", pinned=True),
        "officer_name": "Name",
        "section_leaders": "Section leader",
        "overdue": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.OVERDUE], format="%d"),
        "due_soon": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.DUE_SOON], format="%d"),
        "no_due_date": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.NO_DUE_DATE], format="%d"),
        "on_track": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.ON_TRACK], format="%d"),
        "cases": st.column_config.NumberColumn("Allocated NGAP cases", format="%d"),
        "force_code": st.column_config.TextColumn("Force"),
    },
)

# -- the case list -------------------------------------------------------------------------------
st.subheader("NGAP cases")
lights = st.pills(
    "Lights to list", list(ngap.LIGHT_ORDER), selection_mode="multi", default=list(ngap.LIGHT_ORDER),
    format_func=ngap.LIGHT_LABELS.get, key="ngap_lights", bind="query-params",
    help="Filters the list below; the counts above always cover every light.",
)
lights = tuple(x for x in ngap.LIGHT_ORDER if x in (lights or ()))

if drill_groups or drill_officers:
    parts = []
    if drill_groups:
        names = backlog.set_index("group_key")["label"]
        parts.append(f"{group_title.lower()} " + ", ".join(str(names.get(k, k)) for k in drill_groups))
    if drill_officers:
        people = workload.set_index("officer_key")
        parts.append("officer " + ", ".join(
            f"{people.at[k, 'officer_id']} ({people.at[k, 'officer_name']})"
            if isinstance(people.at[k, "officer_name"], str) else str(people.at[k, "officer_id"])
            for k in drill_officers))
    st.info("Drilled into " + " and ".join(parts) + ". Clear the selection above to list every case.", icon="🔎")

case_list = data.q(ngap.cases, f, lights=lights, group_by=group_by, groups=drill_groups,
                   officers=drill_officers, cap=RULES.list_cap)
rec = ngap.reconciliation(counts, lights, len(case_list), RULES.list_cap)
beyond = rec.excluded[-1][1]
if not lights:
    st.info("Choose at least one light to list cases.")
elif case_list.empty:
    st.caption("No NGAP case matches the lights and drill-down chosen.")
elif beyond:
    st.caption(f"Showing the first {len(case_list):,} of {len(case_list) + beyond:,} matching cases, most "
               "urgent first. Narrow the lights or drill into a section or officer to see the rest.")
else:
    st.caption(f"{len(case_list):,} matching cases, most urgent first.")

shown = case_list.assign(
    light=widgets.light_text(case_list["light"]),
    stl_band=widgets.band_text(case_list["stl_band"]),
    force_code=case_list["force_code"].map(force_label),
)
st.dataframe(
    shown,
    hide_index=True,
    key="ngap_case_list",
    column_order=["light", "stl_band", "upgrade_file_due_date", "days_to_due", "urn", "defendant_id",
                  "allocated_officer_id", "allocated_officer_name", "section_leader", "allocation_date",
                  "first_hearing_date", "trial_date", "team", "oic_id", "oic_name", "file_stage",
                  "file_status", "offences", "force_code"],
    column_config={
        "light": st.column_config.TextColumn("Light", pinned=True),
        "stl_band": st.column_config.TextColumn(
            "STL risk", help="The worst statutory time limit band among the case's offences (rules R2-R6, R12)."),
        "upgrade_file_due_date": st.column_config.DateColumn("Upgrade file due", format="DD/MM/YYYY"),
        "days_to_due": st.column_config.NumberColumn("Days to due", format="%d",
                                                     help="Negative: days overdue."),
        "urn": st.column_config.TextColumn("URN", pinned=True),
        "defendant_id": "Defendant ref",
        "allocated_officer_id": "Allocated officer",
        "allocated_officer_name": "Officer name",
        "section_leader": "Section leader",
        "allocation_date": st.column_config.DateColumn("Allocated on", format="DD/MM/YYYY"),
        "first_hearing_date": st.column_config.DateColumn("First hearing", format="DD/MM/YYYY"),
        "trial_date": st.column_config.DateColumn("Trial", format="DD/MM/YYYY"),
        "team": "Team",
        "oic_id": "OIC",
        "oic_name": "OIC name",
        "file_stage": "File stage",
        "file_status": "File status",
        "offences": st.column_config.NumberColumn("Offences", format="%d"),
        "force_code": "Force",
    },
)
widgets.reconcile("NGAP cases", rec.in_scope, rec.shown, list(rec.excluded))

list_title = (f"NGAP cases: first {len(case_list):,} of {len(case_list) + beyond:,} matching"
              if beyond else f"NGAP cases: {len(case_list):,} matching")
widgets.export_button(
    "Export list, backlog and workload (XLSX)",
    lambda: ngap.export_sheets(case_list, backlog, workload, list_title=list_title, group_title=group_title),
    file_name=f"ngap-tracker-{f.as_of.isoformat()}.xlsx",
    title="NGAP tracker",
    as_of=f.as_of,
    key="ngap_export",
)

# -- trend -----------------------------------------------------------------------------------------
st.subheader("Backlog trend")
start, end = f.period
trend = data.q(ngap.trend, f, period=(start, end), step_days=RULES.trend_step_days)
if trend.empty:
    st.info("The trend period ends before it starts, or starts after the as-of date: choose a period in the "
            "sidebar that ends on or before the as-of date.")
else:
    widgets.chart_and_table(
        data.figure(ngap.trend_figure, trend),
        trend,
        key="ngap_trend_chart",
        select=False,
        column_config={
            "week_ending": st.column_config.DateColumn("Week ending", format="DD/MM/YYYY"),
            "unallocated": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.UNALLOCATED], format="%d"),
            "overdue": st.column_config.NumberColumn(ngap.LIGHT_LABELS[ngap.OVERDUE], format="%d"),
            "after_first_hearing": st.column_config.NumberColumn(
                "Past first hearing", format="%d",
                help="Cases of today's NGAP list that had reached their first hearing by that day."),
        },
    )
st.caption(ngap.TREND_LIMITS)
