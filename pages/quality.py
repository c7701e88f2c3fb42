"""Case-building quality: first-time right, reasons as themes, timeliness and training needs.

For a case-building lead and the JOIM: how often files are right first time at CJS triage and at
the CPS, why they are not (rejection and action-plan reasons ranked as themes, by force, team or
officer and over time), how long each step takes, and which teams and officers keep failing for the
same reason, with the cases behind each. Every definition lives in core.quality and is shown beside
its measure; this page reads the filters, asks for data and renders.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import quality
from core.forces import force_label
from ui import data, filters, widgets

RULES = data.settings().section("quality")
f = filters.current()
win = quality.window(f.period, f.as_of)
grain = RULES.trend_grain
themes = RULES.rejection_themes

st.title("Case-building quality")
st.caption(
    f"As of {f.as_of:%A %d %B %Y}. Measured over {win[0]:%d/%m/%Y} to {win[1]:%d/%m/%Y}: the period chosen in "
    "the sidebar, cut at the as-of date (events dated after it have not happened yet). A case is one URN. The "
    "extract is a snapshot: it keeps one CJS triage outcome, the number of resubmissions and the latest CPS "
    "decision, so each measure below says exactly what it counts."
)
if win[0] > win[1]:
    st.info("The period starts after the as-of date: choose a period in the sidebar that starts on or before it.")
    st.stop()

level = st.segmented_control(
    "Group by", list(quality.LEVELS), format_func=quality.LEVELS.get, default="team", required=True,
    key="quality_level", bind="query-params",
    help="Force; the case's team; or its officer in the case (collar number). The sidebar filters narrow all of it.",
)
level = level if level in quality.LEVELS else "team"
group_title = quality.LEVELS[level]

ftr = data.q(quality.first_time_right, f, period=f.period, level=level, grain=grain)
groups = data.derived(quality.ftr_groups, ftr)
groups = groups.assign(label=data.derived(quality.group_label, groups, level))
total = quality.totals(groups)
timing = data.q(quality.timeliness, f, period=f.period, edges=RULES.timeliness_edges)
summary = data.derived(quality.timeliness_summary, timing).set_index("measure")


def _days(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:g} days"


# -- headline --------------------------------------------------------------------------------------
cols = st.columns(4)
cjs_rate = quality.rate(total["cjs_first_time"], total["cjs_triaged"])
cps_rate = quality.rate(total["cps_first_time"], total["cps_decided"])
cols[0].metric("CJS first-time right", "–" if cjs_rate is None else f"{cjs_rate:.1f}%", border=True,
               help=quality.DEFINITIONS["cjs_ftr"])
cols[0].caption(f"{total['cjs_first_time']:,} of {total['cjs_triaged']:,} cases triaged")
cols[1].metric("CPS compliant first time", "–" if cps_rate is None else f"{cps_rate:.1f}%", border=True,
               help=quality.DEFINITIONS["cps_ftr"])
cols[1].caption(f"{total['cps_first_time']:,} of {total['cps_decided']:,} charging requests decided; "
                f"{total['cps_awaiting']:,} awaiting a decision")
for col, measure in zip(cols[2:], ("arrest_to_submission", "submission_to_triage"), strict=True):
    row = summary.loc[measure]
    col.metric(f"Median: {row['title']}", _days(row["median_days"]), border=True,
               help=quality.TIMELINESS[measure][1])
    col.caption(f"{int(row['cases']):,} cases; 90% within {_days(row['p90_days'])}")

# -- 1. first-time right ---------------------------------------------------------------------------
st.header("First-time right")
st.caption("**CJS triage.** " + quality.DEFINITIONS["cjs_ftr"])
st.caption("**CPS.** " + quality.DEFINITIONS["cps_ftr"])
RATE_COLUMNS = {
    "label": st.column_config.TextColumn(group_title, pinned=True),
    "cjs_first_time": st.column_config.NumberColumn("CJS: accepted first time", format="%d"),
    "cjs_triaged": st.column_config.NumberColumn("CJS: triaged", format="%d"),
    "cjs_rate": st.column_config.NumberColumn("CJS first-time right %", format="%.1f",
                                              help=quality.DEFINITIONS["cjs_ftr"]),
    "cps_first_time": st.column_config.NumberColumn("CPS: decided without action plan", format="%d"),
    "cps_decided": st.column_config.NumberColumn("CPS: decided", format="%d"),
    "cps_rate": st.column_config.NumberColumn("CPS compliant first time %", format="%.1f",
                                              help=quality.DEFINITIONS["cps_ftr"]),
    "cps_awaiting": st.column_config.NumberColumn("CPS: awaiting decision", format="%d"),
}
if groups.empty:
    st.info("No case in your scope was triaged or sent to the CPS in the period.")
else:
    st.caption(f"The chart shows the {min(RULES.chart_groups, len(groups))} of {len(groups)} "
               f"{group_title.lower()}s with most cases triaged, lowest CJS rate first; the table lists every one "
               "with its numerator and denominator.")
    widgets.chart_and_table(
        data.figure(quality.ftr_figure, groups, top=RULES.chart_groups, group_title=group_title),
        groups[list(RATE_COLUMNS)],
        key=f"quality_ftr_{level}", select=False, column_config=RATE_COLUMNS,
    )

st.subheader(f"Over time ({quality.GRAINS[grain].lower()} by {quality.GRAINS[grain].lower()})")
st.caption(f"CJS cases by the {quality.GRAINS[grain].lower()} of their triage, CPS requests by the "
           f"{quality.GRAINS[grain].lower()} they were sent; the first and last "
           f"{quality.GRAINS[grain].lower()} are cut to the period. A gap in a line is a "
           f"{quality.GRAINS[grain].lower()} with no case.")
trend = data.derived(quality.ftr_trend, ftr, win, grain)
widgets.chart_and_table(
    data.figure(quality.ftr_trend_figure, trend, grain), trend.drop(columns=["bucket", "cps_awaiting"]),
    key="quality_ftr_trend", select=False,
    column_config={
        "from_date": st.column_config.DateColumn("From", format="DD/MM/YYYY"),
        "to_date": st.column_config.DateColumn("To", format="DD/MM/YYYY"),
        **{k: v for k, v in RATE_COLUMNS.items() if k not in ("label", "cps_awaiting")},
    },
)

counts = data.q(quality.cohorts, f, period=f.period)
for measure, title, shown in (("cjs", "cases in the CJS triage measure", total["cjs_triaged"]),
                              ("cps", "cases in the CPS measure", total["cps_decided"])):
    rec = quality.reconciliation(counts, measure)
    widgets.reconcile(title, rec.in_scope, rec.shown, list(rec.excluded))
    if rec.shown != shown:
        st.warning(f"The {title} ({rec.shown:,}) differ from the sum over {group_title.lower()}s ({shown:,}): "
                   "please report this.")

# -- shared case list ------------------------------------------------------------------------------
CASE_COLUMNS = {
    "urn": st.column_config.TextColumn("URN", pinned=True),
    "matching_reasons": st.column_config.TextColumn("Matching reasons"),
    "team": "Team",
    "oic_id": "OIC",
    "oic_name": "OIC name",
    "arrest_date": st.column_config.DateColumn("Arrested", format="DD/MM/YYYY"),
    "submitted_on": st.column_config.DateColumn("Submitted to CJS", format="DD/MM/YYYY"),
    "triaged_on": st.column_config.DateColumn("CJS triage", format="DD/MM/YYYY"),
    "triage_outcome": "Triage outcome",
    "resubmissions": st.column_config.NumberColumn("Resubmissions", format="%d"),
    "rejection_reasons": "Rejection reasons",
    "sent_on": st.column_config.DateColumn("Sent to CPS", format="DD/MM/YYYY"),
    "decided_on": st.column_config.DateColumn("CPS decision", format="DD/MM/YYYY"),
    "decision": "Decision",
    "action_plan_reasons": "Action-plan reasons",
    "force_code": "Force",
}


def case_list(df: pd.DataFrame, key: str) -> None:
    shown = df.assign(force_code=df["force_code"].map(force_label))
    st.dataframe(shown, hide_index=True, key=key, column_order=list(CASE_COLUMNS), column_config=CASE_COLUMNS)


def matching(df: pd.DataFrame) -> int:
    return int(df["matching_cases"].iloc[0]) if len(df) else 0


# -- 2. reasons --------------------------------------------------------------------------------------
st.header("Rejection and action-plan reasons")
c1, c2 = st.columns(2)
kind = c1.segmented_control("Reasons", list(quality.KINDS), format_func=quality.KINDS.get, default="rejection",
                            required=True, key="quality_kind", bind="query-params")
kind = kind if kind in quality.KINDS else "rejection"
by = c2.segmented_control("Rank", list(quality.NEED_BY), format_func=lambda b: f"By {b}", default="theme",
                          required=True, key="quality_by", bind="query-params",
                          help="A theme groups reasons of the same kind; a case counts once per theme.")
by = by if by in quality.NEED_BY else "theme"
st.caption(quality.DEFINITIONS[kind])
if kind == "rejection":
    with st.expander("Themes of rejection reasons (force settings)"):
        st.dataframe(pd.DataFrame(themes, columns=["reason", "theme"]), hide_index=True)

cohort_size = total["cjs_triaged"] if kind == "rejection" else total["cps_decided"]
reasons = data.q(quality.reasons, f, period=f.period, kind=kind, level=level, grain=grain, themes=themes)
ranked = data.derived(quality.ranked, reasons, by=by, cohort_size=cohort_size)
if ranked.empty:
    st.info(f"No {quality.KINDS[kind].lower()} in the period for your scope.")
else:
    st.caption(f"{quality.KINDS[kind]}: {len(ranked)} {by}s among {cohort_size:,} cases in the cohort. "
               "Select a bar to list the cases behind it.")
    points = widgets.chart_and_table(
        data.figure(quality.ranked_figure, ranked, by=by, kind=kind, top=RULES.chart_groups),
        ranked.drop(columns=["item"]), key=f"quality_rank_{kind}_{by}",
        column_config={
            "rank": st.column_config.NumberColumn("Rank", format="%d"),
            "theme": "Theme", "reason": "Reason",
            "cases": st.column_config.NumberColumn("Cases", format="%d"),
            "share": st.column_config.NumberColumn("Share of cohort %", format="%.1f"),
        },
    )
    picked = [p.get("customdata") for p in points if isinstance(p.get("customdata"), str)]
    if picked:
        item = picked[0]
        behind = data.q(quality.cases_behind, f, period=f.period, kind=kind, item=item, match_by=by,
                        themes=themes, cap=RULES.list_cap)
        st.markdown(f"**Cases with the {by} “{item}”** ({matching(behind):,}, most recent first)")
        case_list(behind, key="quality_reason_cases")
        expected = int(ranked.loc[ranked["item"] == item, "cases"].sum())
        widgets.reconcile(f"cases with this {by}", expected, len(behind),
                          [(f"beyond the first {RULES.list_cap:,} rows", matching(behind) - len(behind))])

    st.subheader(f"By {group_title.lower()}")
    grouped = data.derived(quality.by_group, reasons, by=by, level=level)
    all_items = ranked["item"].tolist()
    top = quality.top_items(grouped, RULES.chart_themes)
    st.caption(f"The chart stacks the {len(top)} {by}s with most cases for the {RULES.chart_groups} "
               f"{group_title.lower()}s with most; the table lists every {group_title.lower()} and every {by}.")
    widgets.chart_and_table(
        data.figure(quality.by_group_figure, grouped, top, top=RULES.chart_groups, group_title=group_title, by=by),
        data.derived(quality.pivot, grouped, "label", all_items).rename(columns={"label": group_title}),
        key=f"quality_group_{kind}_{by}_{level}", select=False,
    )

    st.subheader("Over time")
    st.caption(f"Cases by the {quality.GRAINS[grain].lower()} of their triage (rejections) or of the date sent "
               f"to the CPS (action plans); the first and last {quality.GRAINS[grain].lower()} are cut to the "
               "period, so they can look low.")
    over_time = data.derived(quality.by_bucket, reasons, pd.Series(quality.buckets(win, grain)), by=by)
    widgets.chart_and_table(
        data.figure(quality.by_bucket_figure, over_time, top, grain=grain, by=by),
        data.derived(quality.pivot, over_time, "bucket", all_items).rename(columns={"bucket": f"{quality.GRAINS[grain]} beginning"}),
        key=f"quality_time_{kind}_{by}", select=False,
    )

# -- 3. timeliness -----------------------------------------------------------------------------------
st.header("Timeliness")
TIME_COLUMNS = {
    "cases": st.column_config.NumberColumn("Cases", format="%d"),
    "median_days": st.column_config.NumberColumn("Median days", format="%g"),
    "p25_days": st.column_config.NumberColumn("25th percentile", format="%g"),
    "p75_days": st.column_config.NumberColumn("75th percentile", format="%g"),
    "p90_days": st.column_config.NumberColumn("90th percentile", format="%g"),
    "max_days": st.column_config.NumberColumn("Longest", format="%d"),
}
st.caption("Whole days between the dates in the extract. Intervals whose dates are in the wrong order are left "
           "out of every figure and counted in 'Dates out of order'.")
st.dataframe(
    summary.reset_index()[["title", "cases", "median_days", "p25_days", "p75_days", "p90_days", "max_days",
                           "out_of_order", "definition"]],
    hide_index=True, key="quality_timeliness_summary",
    column_config={
        "title": st.column_config.TextColumn("Measure", pinned=True),
        **TIME_COLUMNS,
        "out_of_order": st.column_config.NumberColumn("Dates out of order", format="%d"),
        "definition": st.column_config.TextColumn("Definition", width="large"),
    },
)
st.info(quality.ACTION_PLAN_TURNAROUND_NOTE, icon="ℹ️")
measure = st.selectbox("Measure", list(quality.TIMELINESS), format_func=lambda m: quality.TIMELINESS[m][0],
                       key="quality_measure")
measure = measure if measure in quality.TIMELINESS else "arrest_to_submission"
title, definition = quality.TIMELINESS[measure]
st.caption(definition)
bands = data.derived(quality.timeliness_bands, timing, measure, RULES.timeliness_edges)
widgets.chart_and_table(data.figure(quality.bands_figure, bands, title), bands, key=f"quality_bands_{measure}", select=False,
                        column_config={"band": "Days", "cases": st.column_config.NumberColumn("Cases", format="%d")})
teams = data.derived(quality.timeliness_by_team, timing, measure)
if not teams.empty:
    teams = teams.assign(label=data.derived(quality.group_label, teams, "team"))
    widgets.chart_and_table(
        data.figure(quality.team_medians_figure, teams, title, top=RULES.chart_groups),
        teams[["label", "cases", "median_days", "p25_days", "p75_days", "p90_days", "max_days"]],
        key=f"quality_team_times_{measure}", select=False,
        column_config={
            "label": st.column_config.TextColumn("Team", pinned=True),
            **TIME_COLUMNS,
        },
    )

# -- 4. training needs -----------------------------------------------------------------------------
st.header("Training needs")
st.caption(quality.DEFINITIONS["needs"].format(min_team=RULES.min_repeats_team,
                                               min_officer=RULES.min_repeats_officer, need_by=RULES.need_by))
needs = data.q(quality.training_needs, f, period=f.period, need_by=RULES.need_by,
               min_team=RULES.min_repeats_team, min_officer=RULES.min_repeats_officer, themes=themes)
c1, c2 = st.columns(2)
who_levels = c1.pills("Show", ["team", "officer"], selection_mode="multi", default=["team", "officer"],
                      format_func=lambda w: {"team": "Teams", "officer": "Officers"}[w], key="quality_need_who")
kinds = c2.pills("Kinds", list(quality.KINDS), selection_mode="multi", default=list(quality.KINDS),
                 format_func=quality.KINDS.get, key="quality_need_kinds")
listed = needs[needs["who_level"].isin(who_levels or []) & needs["kind"].isin(kinds or [])].reset_index(drop=True)
listed = listed.assign(weekly=listed["weekly"].map(lambda w: [int(x) for x in w]),
                       kind_label=listed["kind"].map(quality.KIND_SHORT.get),
                       who_label=listed["who_level"].map({"team": "Team", "officer": "Officer"}.get),
                       force_label=listed["force_code"].map(force_label))
# The table shows at most list_cap needs (a large force has thousands); the export has them all.
shown_needs = listed.head(RULES.list_cap)
if len(shown_needs) < len(listed):
    st.caption(f"{len(listed):,} of {len(needs):,} training needs match; the first {len(shown_needs):,} are listed "
               f"here and {len(listed) - len(shown_needs):,} more are in the export, which has all {len(listed):,}. "
               "Select a row to list the cases behind it.")
else:
    st.caption(f"{len(listed):,} of {len(needs):,} training needs shown. Select a row to list the cases behind it.")
event = st.dataframe(
    shown_needs, hide_index=True, key="quality_needs", on_select="rerun", selection_mode="single-row",
    column_order=["who_label", "team", "oic_id", "oic_name", "kind_label", "item", "cases", "cohort_cases", "share",
                  "weekly", "reasons", "first_seen", "last_seen", "force_label"],
    column_config={
        "who_label": st.column_config.TextColumn("Who", pinned=True),
        "team": "Team",
        "oic_id": st.column_config.TextColumn("Officer", pinned=True),
        "oic_name": "Officer name",
        "kind_label": "Kind",
        "item": st.column_config.TextColumn(quality.NEED_BY[RULES.need_by]),
        "cases": st.column_config.NumberColumn("Cases", format="%d"),
        "cohort_cases": st.column_config.NumberColumn(
            "Of cases", format="%d", help="The team's or officer's cases triaged (rejections) or decided by the CPS "
                                          "(action plans) in the period."),
        "share": st.column_config.NumberColumn("Share %", format="%.1f"),
        "weekly": st.column_config.LineChartColumn("Week by week", y_min=0,
                                                   help="Cases with this theme each week of the period."),
        "reasons": st.column_config.TextColumn("Reasons (cases)", width="large"),
        "first_seen": st.column_config.DateColumn("First", format="DD/MM/YYYY"),
        "last_seen": st.column_config.DateColumn("Last", format="DD/MM/YYYY"),
        "force_label": "Force",
    },
)
rows = (event.selection.rows if event and event.selection else []) or []
need_cases = pd.DataFrame(columns=[c.name for c in quality.CASES_EXPORT_COLUMNS])
list_title = "No training need selected"
if rows and rows[0] < len(shown_needs):
    need = listed.iloc[rows[0]]
    who = need["team"] if need["who_level"] == "team" else need["oic_id"]
    need_cases = data.q(quality.cases_behind, f, period=f.period, kind=need["kind"], item=need["item"],
                        match_by=RULES.need_by, who_level=need["who_level"], who_force=need["force_code"], who=who,
                        themes=themes, cap=RULES.list_cap)
    name = f"{need['oic_id']} {need['oic_name']}" if need["who_level"] == "officer" else need["team"]
    list_title = (f"Cases behind the training need: {name}, {quality.KIND_SHORT[need['kind']].lower()} "
                  f"{RULES.need_by} {need['item']}")
    st.markdown(f"**{list_title}** ({matching(need_cases):,} cases, most recent first)")
    case_list(need_cases, key="quality_need_cases")
    widgets.reconcile("cases behind this training need", int(need["cases"]), len(need_cases),
                      [(f"beyond the first {RULES.list_cap:,} rows", matching(need_cases) - len(need_cases))])
else:
    st.caption("Select a training need above to see the cases behind it.")

widgets.export_button(
    "Export training needs and cases (XLSX)",
    lambda: quality.export_sheets(listed, need_cases, needs_title=f"Training needs, {win[0]:%d/%m/%Y} to "
                                  f"{win[1]:%d/%m/%Y}", list_title=list_title),
    file_name=f"case-building-quality-{f.as_of.isoformat()}.xlsx",
    title="Case-building quality: training needs",
    as_of=f.as_of,
    key="quality_export",
)
