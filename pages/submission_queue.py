"""Submission queue: case files with CJS and the CPS by stage, age, priority and whose court they are in."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import queue as q
from core.export import ExportColumn, ExportSheet
from ui import data, filters, widgets

KEY_STAGE = "queue_stage"

f = filters.current()
# The lead wires ``[queue]`` settings into Settings.queue (core.queue.QueuePolicy.from_mapping);
# until then the documented defaults apply.
policy: q.QueuePolicy = data.settings().section("queue")

st.title("Submission queue")
st.caption(
    f"As of {f.as_of:%A %d %B %Y}. One case file = one URN. In the queue = submitted to CJS and not yet "
    "finished (charged, a final CPS decision, or decided/closed), at one of the five queue stages; files "
    "rejected at triage are back with the police and counted separately."
)

pos = data.q(q.positions, f, policy=policy)
counts = q.stage_counts(pos)
n_at = dict(zip(counts["position"], counts["files"], strict=True))
queue_now = sum(n_at[s] for s in q.STAGES)
weeks = data.q(q.weekly, f, period=f.period, policy=policy)

in_queue = pos[pos["position"].isin(q.STAGES)]
delta = None
if not weeks.empty and weeks["week_end"].iloc[-1].date() == f.as_of and len(weeks) > 1:
    delta = f"{queue_now - int(weeks['queue'].iloc[0]):+,} since {weeks['week_end'].iloc[0]:%d/%m}"
m1, m2, m3, m4 = st.columns(4)
m1.metric("In the CJS queue", f"{queue_now:,}", delta=delta, delta_color="inverse", border=True,
          help="Case files at one of the five queue stages on the as-of date.")
m2.metric(f"⏳ STL within {policy.cps_window_days} days", f"{int(in_queue['stl_in_window'].sum()):,}", border=True,
          help=f"Files in the queue whose earliest open STL falls within {policy.cps_window_days} days and which "
               "are not charged: the CPS may take up to 28 days to decide (domain.md 4.2, R12). They go first.")
m3.metric("Oldest in the queue", f"{int(in_queue['oldest_days'].max()) if not in_queue.empty else 0:,} days",
          border=True, help="Days since the oldest queued file was first submitted to CJS.")
m4.metric("↩️ Returned to police", f"{n_at[q.REJECTED]:,}", border=True,
          help="Rejected at CJS triage and not yet resubmitted: the ball is in the police's court.")

# -- stage selector, stage and age charts --------------------------------------------------
chosen = st.pills(
    "Stages to list", options=list(q.STAGES), format_func=q.STAGE_LABELS.get, selection_mode="multi",
    default=list(q.STAGES), key=KEY_STAGE, bind="query-params",
    help="Narrows the age chart, the whose-court split and the lists below. None chosen = all stages.",
)
stages: list[str] = [s for s in q.STAGES if s in (chosen or q.STAGES)]

left, right = st.columns(2)
with left:
    bar_counts = counts[counts["position"].isin(q.STAGES)]
    picked = widgets.chart_and_table(
        data.figure(q.stage_bar, bar_counts, stages),
        bar_counts.assign(position=bar_counts["position"].map(q.STAGE_LABELS)),
        key="queue_stage_chart",
        column_config={"position": "Stage", "files": st.column_config.NumberColumn("Case files", format="%d")},
    )
drill_stage = next((p["customdata"] for p in picked if p.get("customdata") in q.STAGES), None)
if drill_stage:
    stages = [drill_stage]
with right:
    ages = q.age_distribution(pos, stages, policy)
    picked_age = widgets.chart_and_table(
        data.figure(q.age_bar, ages), ages[["age_band", "files"]], key="queue_age_chart",
        column_config={"age_band": "Days since submission", "files": st.column_config.NumberColumn("Case files", format="%d")},
    )
age_bucket = next((int(p["customdata"]) for p in picked_age if p.get("customdata") is not None), None)
if drill_stage or age_bucket is not None:
    parts = [q.STAGE_LABELS[drill_stage]] if drill_stage else []
    parts += [policy.age_labels()[age_bucket]] if age_bucket is not None else []
    st.info(f"Drilled down to {' and '.join(parts)} (chosen on a chart; double-click the chart to clear).", icon="🔎")

# -- over time -------------------------------------------------------------------------------
st.subheader("Over time")
st.caption(f"Weeks ending on {weeks['week_end'].iloc[-1]:%d/%m/%Y} and every 7 days before, back to the start of the period. "
           + q.HISTORY_CAPTION if not weeks.empty else q.HISTORY_CAPTION)
if weeks.empty:
    st.info("The period ends before it starts, or after the as-of date only: choose a period in the sidebar.")
else:
    week_table = weeks.rename(columns={"week_end": "Week ending", **q.STAGE_LABELS, "arrived": "Arrived",
                                       "completed": "Completed", "queue": "In the queue", "open": "Open incl. rejected",
                                       "net": "Net change"})
    c1, c2 = st.columns(2)
    with c1:
        widgets.chart_and_table(data.figure(q.weekly_stage_chart, weeks), week_table, key="queue_weekly_chart", select=False,
                                column_config={"Week ending": st.column_config.DateColumn(format="DD/MM/YYYY")})
    with c2:
        widgets.chart_and_table(data.figure(q.flow_chart, weeks), week_table[["Week ending", "Arrived", "Completed", "Net change",
                                                                  "Open incl. rejected"]],
                                key="queue_flow_chart", select=False,
                                column_config={"Week ending": st.column_config.DateColumn(format="DD/MM/YYYY")})

times = data.q(q.stage_times, f, period=f.period)
c1, c2 = st.columns(2)
with c1:
    st.subheader("Median time in each stage")
    st.caption(f"Files that entered the queue, transitions that ended between {f.period[0]:%d/%m/%Y} and "
               f"{min(f.period[1], f.as_of):%d/%m/%Y}. Only the latest CPS decision is dated, so a file's earlier "
               "action plans are seen only through its action-plan reasons.")
    widgets.chart_and_table(
        data.figure(q.stage_times_chart, times), times.drop(columns=["transition", "short"]), key="queue_times_chart", select=False,
        column_config={"label": "Transition", "holder": "Held by", "files": st.column_config.NumberColumn("Files", format="%d"),
                       "median_days": st.column_config.NumberColumn("Median days", format="%.1f"),
                       "p90_days": st.column_config.NumberColumn("90th percentile", format="%.1f")},
    )
with c2:
    st.subheader("Ball in whose court")
    held = q.held_by_stage(pos, [*stages, q.REJECTED])
    st.caption(q.HELD_CAPTION)
    widgets.chart_and_table(
        data.figure(q.held_chart, held),
        held.assign(position=held["position"].map(lambda p: q.STAGE_LABELS.get(p, q.ALL_SHOWN_LABEL))),
        key="queue_held_chart", select=False,
        column_config={"position": "Stage", "files": "Files",
                       **{h: f"{q.HOLDER_LABELS[h]} (total days)" for h in q.HOLDERS},
                       **{f"mean_{h}": f"{q.HOLDER_LABELS[h]} (days per file)" for h in q.HOLDERS}},
    )

# -- the list --------------------------------------------------------------------------------
LIST_COLUMNS = {
    "priority": st.column_config.TextColumn("Priority", pinned=True),
    "urn": st.column_config.TextColumn("URN", pinned=True),
    "stage": "Stage",
    "age_days": st.column_config.NumberColumn("Age (days)", format="%d", help="Days since first submission to CJS."),
    "submitted_to_cjs_date": st.column_config.DateColumn("Submitted", format="DD/MM/YYYY"),
    "stl_date": st.column_config.DateColumn("Earliest open STL", format="DD/MM/YYYY"),
    "stl_days_remaining": st.column_config.NumberColumn("STL days left", format="%d"),
    "band": "STL band",
    "factors": "Priority factors",
    "police_days": st.column_config.NumberColumn("👮 Police days", format="%d"),
    "cjs_days": st.column_config.NumberColumn("🏛️ CJS/CPS days", format="%d"),
    "unattributed_days": st.column_config.NumberColumn("❔ Not attributable", format="%d"),
    "team": "Team",
    "oic_id": "OIC",
}


def _display(df: pd.DataFrame) -> pd.DataFrame:
    out = df.assign(stage=df["stage"].map(q.STAGE_LABELS), band=widgets.band_text(df["band"]))
    return out[list(LIST_COLUMNS)]


st.subheader("Files in priority order")
lists: q.QueueLists = data.q(q.queue_lists, f, stages=tuple(stages), age_bucket=age_bucket, policy=policy)
listed = lists.priority
st.caption(f"Showing {len(listed):,} of {lists.matching:,} files, first {policy.list_limit:,} in priority order: "
           f"{policy.order_text()}. Select a row to see the file.")
event = st.dataframe(_display(listed), hide_index=True, column_config=LIST_COLUMNS, key="queue_list_table",
                     on_select="rerun", selection_mode="single-row")
selected = listed.iloc[event.selection.rows[0]] if event and event.selection.rows else None

widgets.export_button(
    "Export the list (XLSX)",
    lambda: [ExportSheet("Submission queue", listed.assign(stage=listed["stage"].map(q.STAGE_LABELS)), [
        ExportColumn("priority", "Priority", "text", 30), ExportColumn("urn", "URN", "text", 14),
        ExportColumn("stage", "Stage", "text", 28), ExportColumn("age_days", "Age (days)", "int", 10),
        ExportColumn("submitted_to_cjs_date", "Submitted", "date", 12),
        ExportColumn("stl_date", "Earliest open STL", "date", 14), ExportColumn("band", "STL band", "band", 12),
        ExportColumn("factors", "Priority factors", "text", 40), ExportColumn("police_days", "Police days", "int", 10),
        ExportColumn("cjs_days", "CJS/CPS days", "int", 10), ExportColumn("unattributed_days", "Not attributable", "int", 10),
        ExportColumn("team", "Team", "text", 30), ExportColumn("oic_id", "OIC", "text", 10),
    ], "Submission queue in priority order")],
    file_name=f"submission-queue-{f.as_of:%Y-%m-%d}.xlsx", title="Submission queue", as_of=f.as_of, key="queue_export",
)

st.subheader("Oldest in the queue")
oldest = lists.oldest
event_old = st.dataframe(_display(oldest), hide_index=True, column_config=LIST_COLUMNS, key="queue_oldest_table",
                         on_select="rerun", selection_mode="single-row")
if selected is None and event_old and event_old.selection.rows:
    selected = oldest.iloc[event_old.selection.rows[0]]

# -- one file ----------------------------------------------------------------------------------
if selected is not None:
    with st.container(border=True):
        st.subheader(f"File {selected['urn']} · {q.STAGE_LABELS[selected['stage']]}")
        st.caption(f"{selected['priority']}. {selected['team']}, OIC {selected['oic_id']}. "
                   f"{int(selected['defendants'])} defendant(s), {int(selected['offences'])} offence(s).")
        d1, d2, d3 = st.columns(3)
        d1.metric(q.HOLDER_LABELS["police_days"], f"{int(selected['police_days'])} days", border=True)
        d2.metric(q.HOLDER_LABELS["cjs_days"], f"{int(selected['cjs_days'])} days", border=True)
        d3.metric(q.HOLDER_LABELS["unattributed_days"], f"{int(selected['unattributed_days'])} days", border=True)
        t1, t2 = st.columns([1, 2])
        with t1:
            st.dataframe(q.file_timeline(selected), hide_index=True, column_config={
                "event": "Event", "date": st.column_config.DateColumn("Date", format="DD/MM/YYYY")})
            resubmitted = 0 if pd.isna(selected["resubmission_count"]) else int(selected["resubmission_count"])
            st.caption(f"Resubmissions so far: {resubmitted} (not dated in the extract).")
        with t2:
            offences = data.q(q.file_offences, f, force_code=str(selected["force_code"]), urn=str(selected["urn"]))
            st.dataframe(offences.assign(band=widgets.band_text(offences["band"])), hide_index=True, column_config={
                "defendant_id": "Defendant", "offence_seq": "No.", "offence_code": "Code", "offence_title": "Offence",
                "mode_of_trial": "Mode", "offence_start_date": st.column_config.DateColumn("Offence date", format="DD/MM/YYYY"),
                "stl_date": st.column_config.DateColumn("STL", format="DD/MM/YYYY"), "stl_rule": "Rule",
                "days_remaining": "Days left", "band": "Band", "bail_status": "Bail status"})

rec = q.reconcile(pos, stages, age_bucket, policy)
widgets.reconcile("case files", rec.in_scope, rec.shown, rec.excluded)
