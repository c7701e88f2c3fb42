"""JOIM view: the joint measures a Joint Operational Improvement Meeting steps through together.

One measure at a time, large enough for a shared screen, advancing on its own every
``[joim] advance_seconds`` (pausable, with previous/next and a jump to any measure). The order and
choice of measures are the meeting's agreement (``core.joim``). Names and URNs are pseudonymised
whenever JOIM mode is on (``ui.joim``); the presenter can reveal one selected row on purpose.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pandas as pd
import streamlit as st

from core import changes as ch
from core import joim as jm
from core import quality as ql
from core import queue as q
from core import stl_watch as sw
from core.charts import category_bar
from core.ngap import LIGHT_COLOURS, LIGHT_ORDER
from core.stl import AMBER, BAND_ORDER, RED, UNKNOWN
from ui import data, filters, joim
from ui.format import BAND_COLOURS, BAND_LABELS, LIGHT_LABELS

CFG: jm.JoimSettings = data.settings().section("joim")
KEY_INDEX, KEY_PLAY, KEY_LAST = "joim_slide", "joim_play", "_joim_last_advance"

f = filters.current()
measures = list(CFG.measures)
index = int(st.session_state.get(KEY_INDEX, 0)) % len(measures)

if not joim.active():
    st.info("Turn on **JOIM mode** in the sidebar (or add `?joim=true` to the link) before sharing this screen: "
            "it hides the sidebar, enlarges the type and replaces names and URNs with pseudonyms.", icon="🤝")


def go(delta: int) -> None:
    st.session_state[KEY_INDEX] = jm.step(int(st.session_state.get(KEY_INDEX, 0)), len(measures), delta)
    st.session_state[KEY_LAST] = time.monotonic()


def jump() -> None:
    st.session_state[KEY_INDEX] = measures.index(st.session_state["joim_jump"])
    st.session_state[KEY_LAST] = time.monotonic()


controls = st.container(horizontal=True, vertical_alignment="center")
with controls:
    st.button("◀ Previous", on_click=go, args=(-1,), key="joim_prev")
    playing = st.toggle("Play", value=True, key=KEY_PLAY,
                        help=f"Move to the next measure every {CFG.advance_seconds} seconds.")
    st.button("Next ▶", on_click=go, args=(1,), key="joim_next")
    st.session_state["joim_jump"] = measures[index]
    st.selectbox("Measure", measures, format_func=jm.MEASURES.get, key="joim_jump", on_change=jump,
                 label_visibility="collapsed", width=420)


# -- the slides ----------------------------------------------------------------------------------
def stl_risk() -> None:
    counts = data.home_counts(f.generation, *f.scope_key, f.as_of)
    band_n = dict(zip(counts["bands"]["band"], counts["bands"]["cases"], strict=True))
    for row in (BAND_ORDER[:4], BAND_ORDER[4:]):
        for col, band in zip(st.columns(4), row, strict=False):
            col.metric(BAND_LABELS[band], f"{band_n.get(band, 0):,}", border=True)
    full = pd.DataFrame({"band": list(BAND_ORDER), "cases": [band_n.get(b, 0) for b in BAND_ORDER]})
    chart, table = st.columns([3, 2])
    chart.plotly_chart(data.figure(category_bar, full, "band", "cases", BAND_LABELS, BAND_COLOURS, "Cases by STL band", "cases"),
                       key="joim_band_chart")
    table.table(full.assign(band=full["band"].map(BAND_LABELS)).rename(columns={"band": "Band", "cases": "Cases"})
                .set_index("Band"))


def at_risk() -> None:
    w = data.q(sw.watch, f, bands=(RED, UNKNOWN, AMBER), page=1, page_size=CFG.at_risk_rows,
               calendar_weeks=1, closures=tuple(data.settings().extra_closures))
    if w.cases.empty:
        st.success("No open case is RED, AMBER or of unknown limit.")
        return
    cols = ["band", "last_working_day", "working_days_left", "urn", "offence_title", "oic_name", "team", "file_stage"]
    shown = w.cases[cols].assign(band=w.cases["band"].map(BAND_LABELS))
    st.caption(f"The {len(shown)} cases nearest their last safe working day of {w.total_listed:,} RED, AMBER or "
               "unknown. Select a row to reveal it, if the meeting needs to.")
    event = st.dataframe(
        shown, hide_index=True, on_select="rerun", selection_mode="single-row", key="joim_at_risk",
        column_config={"band": "Band", "last_working_day": st.column_config.DateColumn("Last working day",
                                                                                       format="DD/MM/YYYY"),
                       "working_days_left": "Working days left", "urn": "URN", "offence_title": "Offence",
                       "oic_name": "OIC", "team": "Team", "file_stage": "Stage"},
    )
    joim.reveal(shown, list(event.selection.rows) if event and event.selection else [], "joim_at_risk")


def black() -> None:
    counts = data.q(sw.black_by_team_month, f, period=f.period)
    matrix = sw.black_matrix(counts, f.period)
    st.caption(f"Cases whose STL passed without proceedings, {f.period[0]:%d/%m/%Y} to {f.period[1]:%d/%m/%Y}.")
    if matrix.empty:
        st.success("No case was lost to an STL in the period.")
        return
    st.metric("⬛ Cases lost in the period", f"{int(matrix['total'].sum()):,}", border=True)
    left, right = st.columns([3, 2])
    left.plotly_chart(data.figure(sw.black_figure, matrix.head(15), f.period), key="joim_black_chart")
    right.table(matrix[["team", "total"]].head(15).rename(columns={"team": "Team", "total": "Cases"}).set_index("Team"))


def queue() -> None:
    policy: q.QueuePolicy = data.settings().section("queue")
    pos = data.q(q.positions, f, policy=policy)
    counts = q.stage_counts(pos)
    n_at = dict(zip(counts["position"], counts["files"], strict=True))
    in_queue = pos[pos["position"].isin(q.STAGES)]
    m = st.columns(3)
    m[0].metric("In the CJS queue", f"{sum(n_at[s] for s in q.STAGES):,}", border=True)
    m[1].metric(f"⏳ STL within {policy.cps_window_days} days", f"{int(in_queue['stl_in_window'].sum()):,}",
                border=True)
    m[2].metric("↩️ Returned to police", f"{n_at[q.REJECTED]:,}", border=True)
    left, right = st.columns(2)
    stages = counts[counts["position"].isin(q.STAGES)]
    left.plotly_chart(data.figure(q.stage_bar, stages), key="joim_queue_chart")
    right.table(stages.assign(position=stages["position"].map(q.STAGE_LABELS))
                .rename(columns={"position": "Stage", "files": "Case files"}).set_index("Stage"))
    held = q.held_by_stage(pos)
    st.caption("Ball in whose court: days held by the police and by the CPS, per file in each stage.")
    st.table(held)


def ngap() -> None:
    counts = data.home_counts(f.generation, *f.scope_key, f.as_of)["ngap"]
    lights = dict(zip(counts["light"], counts["cases"], strict=True))
    full = pd.DataFrame({"light": list(LIGHT_ORDER), "cases": [lights.get(x, 0) for x in LIGHT_ORDER]})
    for col, light in zip(st.columns(len(LIGHT_ORDER)), LIGHT_ORDER, strict=True):
        col.metric(LIGHT_LABELS[light], f"{lights.get(light, 0):,}", border=True)
    left, right = st.columns([3, 2])
    left.plotly_chart(data.figure(category_bar, full, "light", "cases", LIGHT_LABELS, LIGHT_COLOURS, "NGAP cases by light", "cases"),
                      key="joim_ngap_chart")
    right.table(full.assign(light=full["light"].map(LIGHT_LABELS)).rename(columns={"light": "Light", "cases": "Cases"})
                .set_index("Light"))


def quality() -> None:
    ftr = data.q(ql.first_time_right, f, period=f.period, level="team", grain="week")
    groups = ql.ftr_groups(ftr)
    groups = groups.assign(label=ql.group_label(groups, "team"))
    total = ql.totals(groups)
    st.caption(f"Cases triaged or sent to the CPS from {f.period[0]:%d/%m/%Y} to {f.period[1]:%d/%m/%Y}.")
    m = st.columns(2)
    cjs = ql.rate(total["cjs_first_time"], total["cjs_triaged"])
    cps = ql.rate(total["cps_first_time"], total["cps_decided"])
    m[0].metric("CJS first-time right", "–" if cjs is None else f"{cjs:.1f}%", border=True,
                help=ql.DEFINITIONS["cjs_ftr"])
    m[0].caption(f"{total['cjs_first_time']:,} of {total['cjs_triaged']:,} cases triaged")
    m[1].metric("CPS compliant first time", "–" if cps is None else f"{cps:.1f}%", border=True,
                help=ql.DEFINITIONS["cps_ftr"])
    m[1].caption(f"{total['cps_first_time']:,} of {total['cps_decided']:,} charging requests decided")
    if groups.empty:
        st.info("No case in scope was triaged or sent to the CPS in the period.")
        return
    left, right = st.columns([3, 2])
    left.plotly_chart(data.figure(ql.ftr_figure, groups, top=12, group_title="Team"), key="joim_quality_chart")
    table = ql.with_rates(groups).sort_values("cjs_triaged", ascending=False).head(12)
    right.table(table[["label", "cjs_rate", "cjs_triaged", "cps_rate", "cps_decided"]].rename(columns={
        "label": "Team", "cjs_rate": "CJS first-time right %", "cjs_triaged": "Triaged",
        "cps_rate": "CPS compliant %", "cps_decided": "CPS decided"}).set_index("Team").round(1))


def changes() -> None:
    cfg: ch.ChangesSettings = data.settings().section("changes")
    snaps = data.q(ch.snapshot_list, f)
    joim_on = f.as_of - timedelta(days=cfg.joim_interval_days)
    before = snaps[snaps["loaded_on"] <= joim_on]
    if before.empty:
        st.info(f"No load is kept from on or before {joim_on:%d/%m/%Y} ({cfg.joim_interval_days} days before the "
                "as-of date), so there is nothing to compare yet: every load is kept as a dated snapshot, and "
                "the What changed page compares them once there are two.", icon="🕰️")
        return
    base = before.iloc[-1]
    comp = data.q(ch.compare, f, base=str(base["generation"]), base_as_of=joim_on, cap=cfg.list_cap)
    st.caption(f"The load the JOIM of {joim_on:%d/%m/%Y} saw, against the load served now as of {f.as_of:%d/%m/%Y}.")
    rows = ch.headline(comp)
    cols = st.columns(3)
    cols[0].metric(rows[0][0], f"{rows[0][1]:,}", border=True, help=rows[0][2])
    cols[1].metric(rows[1][0], f"{rows[1][1]:,}", delta=f"{rows[1][1] - rows[0][1]:+,}", delta_color="inverse",
                   border=True, help=rows[1][2])
    for col, (label, n, help_text) in zip(st.columns(4), rows[2:], strict=True):
        col.metric(label, f"{n:,}", border=True, help=help_text)
    teams = comp.teams.assign(label=ch.team_labels(comp.teams))
    moved = teams[teams["net_change"] != 0]
    if not moved.empty:
        left, right = st.columns([3, 2])
        left.plotly_chart(data.figure(ch.movement_figure, teams, top=12), key="joim_changes_chart")
        right.table(moved.reindex(moved["net_change"].abs().sort_values(ascending=False).index).head(12)
                    [["label", "net_change"]].rename(columns={"label": "Team", "net_change": "Net change at risk"})
                    .set_index("Team"))


SLIDES = {"stl_risk": stl_risk, "at_risk": at_risk, "black": black, "queue": queue, "ngap": ngap,
          "quality": quality, "changes": changes}


@st.fragment(run_every=CFG.advance_seconds if playing else None)
def slide() -> None:
    now = time.monotonic()
    last = st.session_state.setdefault(KEY_LAST, now)
    current = int(st.session_state.get(KEY_INDEX, 0)) % len(measures)
    if playing and jm.due_to_advance(last, now, CFG.advance_seconds):
        current = jm.step(current, len(measures), 1)
        st.session_state[KEY_INDEX] = current
        st.session_state[KEY_LAST] = now
    key = measures[current]
    st.header(jm.MEASURES[key])
    st.caption(f"Measure {current + 1} of {len(measures)}"
               + (f" · moves on every {CFG.advance_seconds} s" if playing else " · paused"))
    SLIDES[key]()


slide()
