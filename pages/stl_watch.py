"""STL watch: every open case with a statutory time limit, by band and last safe working day.

Norfolk's 'Insight report' as a page: the case list (paged in SQL), a countdown in working days, an
eight-week calendar of STL expiries with weekends and bank holidays marked, custody records whose file
missed its target date and the BLACK list of cases lost to an STL. Each row shows the rule applied and
its inputs. All rules and counting live in core.stl_watch and core/queries/stl_watch.sql; this page
reads the filters, asks for data and renders.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from core import stl_watch as sw
from core.export import ExportColumn
from core.forces import force_label
from core.stl import BAND_DESCRIPTIONS, GREEN
from ui import data, filters, widgets
from ui.format import BAND_COLOURS, BAND_LABELS, STALE_GREEN_LABEL, stale

CFG = data.settings().section("stl_watch")
KEY_BANDS, KEY_PAGE, KEY_CASES = "stl_bands", "stl_page", "stl_cases"
KEY_COUNTDOWN, KEY_CALENDAR, KEY_BLACK = "stl_countdown", "stl_calendar", "stl_black"

f = filters.current()
closures = tuple(data.settings().extra_closures)


def column_config(columns: Sequence[ExportColumn]) -> dict:
    """Table columns from the export definitions, so the screen and the XLSX show the same thing."""
    cfg: dict = {}
    for c in columns:
        if c.name == GREEN and stale():  # a count column of GREEN cases: not known to be safe
            cfg[c.name] = st.column_config.NumberColumn(STALE_GREEN_LABEL, format="%d")
        elif c.kind == "date":
            cfg[c.name] = st.column_config.DateColumn(c.header, format="DD/MM/YYYY")
        elif c.kind == "int":
            cfg[c.name] = st.column_config.NumberColumn(c.header, format="%d")
        else:
            width = {"how": "large", "offence_title": "medium", "stl_source": "medium", "stl_note": "medium"}
            cfg[c.name] = st.column_config.TextColumn(c.header, pinned=c.name == "urn" or None,
                                                      width=width.get(c.name))
    return cfg


def on_screen(df: pd.DataFrame, columns: Sequence[ExportColumn]) -> pd.DataFrame:
    """The frame as shown: the export's columns in order, bands as text with an icon."""
    out = df[[c.name for c in columns]].copy()
    if "band" in out:
        out["band"] = widgets.band_text(out["band"])
    return out


def points(key: str) -> list:
    """A chart's selected points from the previous run (the chart itself is drawn further down)."""
    return list(((st.session_state.get(key) or {}).get("selection") or {}).get("points") or [])


def back_to_first_page() -> None:
    """A new band choice starts the list again at page 1 (the pagination widget's default)."""
    st.session_state.pop(KEY_PAGE, None)


head, export_slot = st.columns([4, 1], vertical_alignment="bottom")
head.title("STL watch")
st.caption(
    f"As of {f.as_of:%A %d %B %Y}. Open cases (URN and defendant) with a statutory time limit, each at its "
    "governing offence: the one in the worst band, then with the earliest last working day. The last "
    "working day is the latest working day on or before the STL (a Saturday STL falls back to the Friday; "
    "a bank-holiday Monday to the Friday before). Every row shows the rule and its inputs."
)

# The headline counts go above the band choice but are drawn once the query has run.
headline = st.container()

# -- band choice and drill-down (read before the query; the charts are drawn further down) ------------
chosen = st.pills(
    "Bands in the list", options=list(sw.SELECTABLE_BANDS), selection_mode="multi",
    default=list(sw.DEFAULT_BANDS), format_func=lambda b: BAND_LABELS[b], key=KEY_BANDS,
    bind="query-params", on_change=back_to_first_page,
    help="Which bands the case list, countdown and calendar show. The band metrics above count every band.",
)
bands = tuple(b for b in sw.SELECTABLE_BANDS if b in (chosen or []))
drill_bucket = sw.picked_bucket(points(KEY_COUNTDOWN))
drill_day = sw.picked_day(points(KEY_CALENDAR))
page = max(int(st.session_state.get(KEY_PAGE) or 1), 1)

w = data.q(sw.watch, f, bands=bands, drill_bucket=drill_bucket, drill_day=drill_day, page=page,
           page_size=CFG.page_size, calendar_weeks=CFG.calendar_weeks, closures=closures)
if page > w.pages:  # the list got shorter (new filters or drill-down): go back to its first page
    st.session_state.pop(KEY_PAGE, None)
    page = 1
    w = data.q(sw.watch, f, bands=bands, drill_bucket=drill_bucket, drill_day=drill_day, page=1,
               page_size=CFG.page_size, calendar_weeks=CFG.calendar_weeks, closures=closures)
s = w.summary

custody = data.q(sw.custody_missed_target, f, limit=CFG.custody_cap)
black_counts = data.q(sw.black_by_team_month, f, period=f.period)
matrix = data.derived(sw.black_matrix, black_counts, f.period)
picked = sw.picked_team_month(points(KEY_BLACK))
black = data.q(sw.black_cases, f, period=f.period, force_code=picked[0] if picked else None,
               team=picked[1] if picked else None, month=picked[2] if picked else None,
               limit=CFG.black_list_cap, closures=closures)

# -- headline: cases per band (the Overview counts the same cases the same way) ------------------------
band_n = s.bands
with headline:
    row1 = st.columns(4)
    for col, band in zip(row1, sw.SELECTABLE_BANDS[:4], strict=True):
        col.metric(BAND_LABELS[band], f"{band_n.get(band, 0):,}", border=True, help=BAND_DESCRIPTIONS[band])
    row2 = st.columns(4)
    row2[0].metric(BAND_LABELS[GREEN], f"{band_n.get(GREEN, 0):,}", border=True, help=BAND_DESCRIPTIONS[GREEN])
    row2[1].metric("📋 In chosen bands", f"{s.in_chosen_bands:,}", border=True,
                   help="Cases in the bands chosen below: the case list before any drill-down.")
    row2[2].metric("🚓 Custody past target", f"{sw.total_of(custody):,}", border=True,
                   help="Custody records whose file target date has passed with no case file submitted to CJS.")
    row2[3].metric("⬛ Lost in period", f"{int(matrix['total'].sum()) if len(matrix) else 0:,}", border=True,
                   help=f"Cases whose first STL passed between {f.period[0]:%d/%m/%Y} and "
                        f"{f.period[1]:%d/%m/%Y} without proceedings (closed files included): the BLACK "
                        "list, a lagging measure.")

drill = []
if drill_bucket is not None:
    drill.append(f"countdown: {sw.BUCKET_LABELS[drill_bucket]}")
if drill_day is not None:
    drill.append(f"STL on {drill_day:%a %d/%m/%Y}")
drill_text = "; ".join(drill)
if drill:
    st.info(f"🔎 List narrowed to {drill_text}. Click the selected bar or day again, or double-click the "
            "chart's background, to see the whole list.")

cases_tab, custody_tab, black_tab = st.tabs(
    ["📋 Cases, countdown and calendar", "🚓 Custody past target", "⬛ BLACK list (lagging)"]
)

with cases_tab:
    left, right = st.columns(2)
    countdown = sw.countdown_table(s)
    with left:
        st.subheader("Countdown")
        st.caption("Cases in the chosen bands by working days left to their last working day (0 = today). "
                   "Select a bar to list only its cases.")
        widgets.chart_and_table(
            data.figure(sw.countdown_figure, countdown, BAND_LABELS, BAND_COLOURS), on_screen(countdown, sw.COUNTDOWN_COLUMNS), key=KEY_COUNTDOWN,
            column_config=column_config(sw.COUNTDOWN_COLUMNS),
        )
    grid = sw.calendar_grid(s, f.as_of, CFG.calendar_weeks, sw.working_calendar(closures))
    calendar = sw.calendar_table(grid)
    with right:
        st.subheader(f"STL expiries, next {CFG.calendar_weeks} weeks")
        st.caption("Cases in the chosen bands whose STL falls on each day. Weekends have a grey outline, "
                   "bank holidays a black one and 'BH': an STL on those days must be met on the working day "
                   "before. Select a day to list only its cases.")
        widgets.chart_and_table(
            data.figure(sw.calendar_figure, grid, BAND_LABELS), on_screen(calendar, sw.CALENDAR_COLUMNS), key=KEY_CALENDAR,
            column_config=column_config(sw.CALENDAR_COLUMNS),
        )

    st.subheader("Cases")
    shown_from = (w.page - 1) * w.page_size + 1
    if w.cases.empty:
        st.info("No cases in the chosen bands." if bands else "Choose at least one band to list cases.")
    else:
        st.caption(
            f"Cases {shown_from:,}–{shown_from + len(w.cases) - 1:,} of {w.total_listed:,}, by band (🔴 RED, "
            "❓ UNKNOWN, 🟠 AMBER, 🟢 GREEN, then ⬛ BLACK) and last working day. Select a row to see all "
            "offences of that case below."
        )
    event = st.dataframe(
        on_screen(w.cases, sw.CASE_COLUMNS), hide_index=True, height=420, key=KEY_CASES, on_select="rerun",
        selection_mode="single-row", column_config=column_config(sw.CASE_COLUMNS),
    )
    if w.pages > 1:
        st.pagination(w.pages, key=KEY_PAGE)

    rows = list(event.selection.rows) if event and event.selection else []
    offences = pd.DataFrame(columns=[c.name for c in sw.OFFENCE_COLUMNS])
    if not w.cases.empty:
        chosen_row = w.cases.iloc[rows[0] if rows and rows[0] < len(w.cases) else 0]
        offences = data.q(sw.case_offences, f, force_code=chosen_row["force_code"], urn=chosen_row["urn"],
                          defendant_id=chosen_row["defendant_id"], closures=closures)
        st.subheader(f"Offences of {chosen_row['urn']} · {chosen_row['defendant_id']}")
        st.caption(("Selected case." if rows else "The first case in the list; select a row to see another.")
                   + " Every offence of the URN and defendant, each with its own band and STL arithmetic.")
        st.dataframe(on_screen(offences, sw.OFFENCE_COLUMNS), hide_index=True, key="stl_offences",
                     column_config=column_config(sw.OFFENCE_COLUMNS))

    by_case = sw.reconcile_cases(w)
    widgets.reconcile("cases", by_case.in_scope, by_case.shown, by_case.excluded)
    by_row = sw.reconcile_offence_rows(w)
    widgets.reconcile("offence rows (the rows of the cases above)", by_row.in_scope, by_row.shown, by_row.excluded)

with custody_tab:
    total = sw.total_of(custody)
    st.caption(
        f"Custody records whose file target date has passed with no case file submitted to CJS by the as-of "
        f"date, oldest target first: {len(custody):,} of {total:,} shown"
        + (f" (the first {CFG.custody_cap:,})." if total > len(custody) else ".")
    )
    st.dataframe(on_screen(custody, sw.CUSTODY_COLUMNS), hide_index=True, key="stl_custody",
                 column_config=column_config(sw.CUSTODY_COLUMNS))

with black_tab:
    st.caption(
        f"Cases lost to a statutory time limit: proceedings not commenced on or before the STL (outcome 17, "
        f"'prosecution time limit expired'). Counted once per case, in the month its first STL passed, from "
        f"{f.period[0]:%d/%m/%Y} to {f.period[1]:%d/%m/%Y} (the sidebar's period). Files closed since are "
        "included. Select a cell to list only that team and month."
    )
    if matrix.empty:
        st.info("No cases lost to an STL in the period.")
    else:
        if len(matrix) > CFG.black_chart_teams:
            st.caption(f"The chart shows the {CFG.black_chart_teams} teams with most BLACK cases; the table "
                       f"lists all {len(matrix)}.")
        widgets.chart_and_table(
            data.figure(sw.black_figure, matrix.head(CFG.black_chart_teams), f.period),
            matrix[[c.name for c in sw.black_matrix_columns(matrix)]],
            key=KEY_BLACK, column_config=column_config(sw.black_matrix_columns(matrix)),
        )
    in_period = int(matrix["total"].sum()) if len(matrix) else 0
    picked_total = sw.total_of(black) if len(black) else 0
    where = f"{picked[1]} ({force_label(picked[0])}), {picked[2]:%B %Y}" if picked else "all teams and months"
    st.subheader(f"BLACK list: {where}")
    st.caption(f"Most recent first: {len(black):,} of {picked_total:,} shown.")
    st.dataframe(on_screen(black, sw.BLACK_CASE_COLUMNS), hide_index=True, key="stl_black_cases",
                 column_config=column_config(sw.BLACK_CASE_COLUMNS))
    widgets.reconcile(
        "BLACK cases in the period", in_period, len(black),
        [("outside the team and month chosen", in_period - picked_total),
         (f"beyond the first {CFG.black_list_cap:,}", picked_total - len(black))],
    )

screen = sw.Screen(
    as_of=f.as_of, bands=bands, cases=w.cases, offences=offences, countdown=countdown, calendar=calendar,
    custody=custody, black_matrix=matrix, black_cases=black, drill=drill_text,
)
with export_slot:
    widgets.export_button(
        "Export XLSX", lambda: sw.export_sheets(screen), file_name=f"stl-watch-{f.as_of:%Y-%m-%d}.xlsx",
        title=screen.title, as_of=f.as_of, key="stl_export",
    )
