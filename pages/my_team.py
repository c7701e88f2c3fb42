"""My Team: a section leader's view of who carries what, and which cases need action today.

Drill down force → team → officer → case by selecting a row in each table; the sidebar filters
start the drill at their level (one team chosen: its officers at once; one officer: their cases).
Definitions (open case file, open investigation, files due, next STL, load score) are in
``core/my_team.py``; the 28-day review numbers use the Overview's definition (domain.md R13), so
they agree with it. The "Print layout" toggle renders plain tables between two protective
markings for the browser's Print.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date

import pandas as pd
import streamlit as st

from core import my_team
from core.forces import force_label
from core.scope import Scope
from ui import data, filters, widgets
from ui.format import BAND_LABELS, REVIEW_LABELS

# Load-score weights and list caps; the lead may wire these to a ``[my_team]`` settings table.
CONFIG = data.settings().section("my_team")


LOAD_TEXT = (f"each open case file counts {CONFIG.case_weight}, plus {CONFIG.red_extra} if its STL band is RED, "
             f"{CONFIG.black_extra} if BLACK and {CONFIG.amber_extra} if AMBER")

HELP = f"""
**Open case file**: a URN and defendant with an offence not closed and created on or before the
as-of date (the Overview's "open cases"). **Open investigation**: a URN at the pre-charge stage,
not closed or decided and not charged as of the as-of date (the Overview's 28-day review count).

**28-day review** (domain.md R13): due 28 days after the last review, or after the file was
created if never reviewed; *overdue* once that date has passed, *due* within 7 days.

**Files due**: a custody record's file target date while no case file for its URN has been
submitted to CJS (as in the Insight report), and an NGAP case's upgrade file due date. *Overdue*
once the date has passed; *due soon* within 7 days (the NGAP tracker's window).

**Next STL**: the earliest statutory time limit still ahead among the officer's open case files
not yet charged, with the last working day before it.

**Load score**: {LOAD_TEXT}. RED files must go this week, so they weigh most; BLACK files can no
longer be saved but still need recording and explaining; AMBER files need building within six weeks.

**Today's actions**: the team's cases with an overdue or due review, an STL that is RED, BLACK or
AMBER and not yet charged, an NGAP upgrade file overdue or due soon, or a custody file target that
has passed. Cases whose STL is at risk come first, by the last working day before the STL (the day
the file must be in by); then the rest by their earliest due date.
"""

COUNT_COLUMNS = {
    "load_score": st.column_config.NumberColumn("Load score", format="%d", help=LOAD_TEXT.capitalize()),
    "files": st.column_config.NumberColumn("Open files", format="%d"),
    "investigations": st.column_config.NumberColumn("Open investigations", format="%d"),
    "reviews_overdue": st.column_config.NumberColumn("Reviews ⛔ overdue", format="%d"),
    "reviews_due": st.column_config.NumberColumn("Reviews 🟠 due", format="%d"),
    "files_overdue": st.column_config.NumberColumn("Files ⛔ overdue", format="%d"),
    "files_due_soon": st.column_config.NumberColumn("Files 🟠 due soon", format="%d"),
    "red": st.column_config.NumberColumn("🔴 RED", format="%d", help=BAND_LABELS["RED"]),
    "black": st.column_config.NumberColumn("⬛ BLACK", format="%d", help=BAND_LABELS["BLACK"]),
    "amber": st.column_config.NumberColumn("🟠 AMBER", format="%d", help=BAND_LABELS["AMBER"]),
    "next_stl": st.column_config.DateColumn("Next STL", format="DD/MM/YYYY"),
    "next_stl_last_working_day": st.column_config.DateColumn("Last working day", format="DD/MM/YYYY"),
}
COUNT_ORDER = list(COUNT_COLUMNS)
CASE_LABELS = {
    "last_working_day": "Last working day", "stl_date": "STL date", "band": "STL band",
    "reason_text": "Needs action because", "urn": "URN", "defendant_id": "Defendant ref", "officer": "Officer",
    "due_date": "Earliest due", "review_status": "28-day review", "review_due": "Review due",
    "upgrade_due": "Upgrade file due", "custody_target": "Custody file target", "custody_record_id": "Custody record",
    "file_stage": "File stage", "file_status": "File status",
}
CASE_COLUMNS = {
    col: (st.column_config.DateColumn(label, format="DD/MM/YYYY") if col in
          ("last_working_day", "stl_date", "due_date", "review_due", "upgrade_due", "custody_target")
          else st.column_config.TextColumn(label, width="large" if col == "reason_text" else None))
    for col, label in CASE_LABELS.items()
}
PRINT_COUNT_LABELS = {
    "load_score": "Load", "files": "Files", "investigations": "Investigations", "reviews_overdue": "Reviews overdue",
    "reviews_due": "Reviews due", "files_overdue": "Files overdue", "files_due_soon": "Files due soon",
    "red": "RED", "black": "BLACK", "amber": "AMBER", "next_stl": "Next STL",
    "next_stl_last_working_day": "Last working day",
}
PRINT_CASE_COLUMNS = ["last_working_day", "stl_date", "band", "reason_text", "urn", "defendant_id", "officer",
                      "due_date"]


# -- small rendering helpers ---------------------------------------------------------------
def _digest(*parts: object) -> str:
    """A short stable tag of the view a table belongs to, so a selection never outlives it."""
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:10]


def _md(text: str) -> str:
    """Escape Markdown so a setting is shown as typed."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", text)


def _officer(oic: object, name: object) -> str:
    if not isinstance(oic, str) or not oic:
        return "— no officer recorded"
    return f"{oic} · {name}" if isinstance(name, str) and name else oic


def _fmt_date(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d/%m/%Y}"


def _cell(value: object) -> str:
    if isinstance(value, pd.Timestamp | date):
        return _fmt_date(value)
    return "" if value is None or (not isinstance(value, str | list) and pd.isna(value)) else str(value)


def _within(f: filters.Filters, scope: Scope) -> filters.Filters:
    return replace(f, scope=scope)


def _workload(f: filters.Filters, scope: Scope) -> pd.DataFrame:
    return data.q(my_team.workload, _within(f, scope), config=CONFIG)


def _cases(f: filters.Filters, scope: Scope, needs_action: bool) -> pd.DataFrame:
    return data.q(my_team.cases, _within(f, scope), needs_action=needs_action, config=CONFIG)


def _case_view(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["band"] = widgets.band_text(out["band"]).where(out["band"].notna(), "")
    out["review_status"] = out["review_status"].map(lambda s: REVIEW_LABELS.get(s, "") if isinstance(s, str) else "")
    out["officer"] = [_officer(o, n) for o, n in zip(out["oic_id"], out["oic_name"], strict=True)]
    out["defendant_id"] = out["defendant_id"].fillna("— custody record only")
    return out


def _select_row(df: pd.DataFrame, *, key: str, order: list[str], config: dict, remembered: int | None,
                height: int | str = "auto") -> int | None:
    """A single-row selectable table; the selected row's index, or None."""
    default = {"selection": {"rows": [remembered]}} if remembered is not None else None
    event = st.dataframe(df, key=key, on_select="rerun", selection_mode="single-row", hide_index=True,
                         column_order=order, column_config=config, selection_default=default, height=height)
    rows = list(event.selection.rows) if event and event.selection else []
    return rows[0] if rows and rows[0] < len(df) else None


def _case_detail(case: pd.Series) -> None:
    """Every column of one case, as a two-column table: the last step of the drill."""
    with st.container(border=True):
        st.markdown(f"**Case {_md(_cell(case['urn']) or _cell(case['custody_record_id']))}**")
        st.table(pd.DataFrame({"": list(CASE_LABELS.values()),
                               "value": [_cell(case[c]) for c in CASE_LABELS]}).set_index(""))


def _index_of(df: pd.DataFrame, **match: object) -> int | None:
    if df.empty or any(v is None for v in match.values()):
        return None
    hit = df.index[(df[list(match)] == pd.Series(match)).all(axis=1)]
    return int(hit[0]) if len(hit) else None


def _capped(shown: int, total: int, what: str, cap: int) -> None:
    if total > shown:
        st.caption(f"Showing the {shown:,} busiest of {total:,} {what} (the list is capped at {cap:,}).")


# -- the page --------------------------------------------------------------------------------
f = filters.current()
marking = data.settings().marking
st.title("My Team")
with st.container(key="team_print_switch"):
    printing = st.toggle("Print layout", key="team_print",
                         help="Plain tables with the protective marking at top and bottom, ready for the "
                              "browser's Print (Ctrl+P). No tabs, charts or selection.")

top = _workload(f, f.scope)
totals = my_team.level(top, "scope").iloc[0]

# The drill path: forces, teams, officers chosen so far. Selections live in the tables; the path
# is remembered so the print layout (which has no tables to select in) prints the same view.
remembered: dict = st.session_state.get("team_drill", {})
path: dict = {"force": None, "team": None, "officer": None}
scope = f.scope
current = top  # the workload frame of the narrowest scope chosen so far

show_forces = len(scope.forces) > 1 and scope.teams is None and scope.officers is None
show_teams = scope.officers is None and not (scope.teams is not None and len(scope.teams) == 1)


def _narrowed(base: Scope, **kw: list[str]) -> Scope | None:
    s = base.narrow(**kw)
    return None if s.is_empty else s


if printing:
    # Follow the remembered path, never wider than the sidebar's scope.
    if show_forces and remembered.get("force"):
        s = _narrowed(scope, forces=[remembered["force"]])
        if s is not None:
            path["force"], scope = remembered["force"], s
    if show_teams and remembered.get("team"):
        fc, team = remembered["team"]
        s = _narrowed(scope, forces=[fc], teams=[team])
        if s is not None:
            path["team"], scope = (fc, team), s
    if remembered.get("officer"):
        fc, team, oic = remembered["officer"]
        s = _narrowed(scope, forces=[fc], teams=[team], officers=[oic])
        if s is not None:
            path["officer"] = (fc, team, oic)
else:
    st.caption(f"As of {f.as_of:%A %d %B %Y}. Select a row to drill down: force → team → officer → case.")

# -- headline figures (the sidebar's scope; reviews agree with the Overview) -------------------
review_overdue = int(totals["reviews_overdue"] + totals["no_officer_reviews_overdue"])
review_due = int(totals["reviews_due"] + totals["no_officer_reviews_due"])
headline = [
    ("Open investigations", f"{int(totals['investigations'] + totals['no_officer_investigations']):,}",
     "Pre-charge URNs not closed, decided or charged (the Overview's review population)."),
    ("Open case files", f"{int(totals['files'] + totals['no_officer_files']):,}",
     "URN + defendant, not closed (the Overview's open cases)."),
    ("Load score", f"{int(totals['load_score']):,}", LOAD_TEXT.capitalize() + " (officers recorded)."),
    ("Next STL", _fmt_date(totals["next_stl"]) or "none",
     f"The earliest STL still ahead on an open, uncharged file; last working day before it: "
     f"{_fmt_date(totals['next_stl_last_working_day']) or 'n/a'}."),
    ("Reviews ⛔ overdue", f"{review_overdue:,}",
     f"28-day reviews {REVIEW_LABELS['OVERDUE'].lower()}: the next review date has passed (as on the Overview)."),
    ("Reviews 🟠 due", f"{review_due:,}",
     f"28-day reviews {REVIEW_LABELS['DUE'].lower()} (as on the Overview)."),
    ("Files ⛔ overdue", f"{int(totals['files_overdue'] + totals['no_officer_files_overdue']):,}",
     "Custody file targets passed with no file submitted, and NGAP upgrade files past due."),
    ("Files 🟠 due soon", f"{int(totals['files_due_soon'] + totals['no_officer_files_due_soon']):,}",
     "Custody file targets and NGAP upgrade files due within 7 days."),
]

if not printing:
    for row in (headline[:4], headline[4:]):
        for col, (label, value, help_text) in zip(st.columns(4), row, strict=True):
            if label == "Next STL" and pd.notna(totals["next_stl"]):
                # Days in the figure and the date below it, so both fit at 1280 px.
                days = (pd.Timestamp(totals["next_stl"]).date() - f.as_of).days
                when = "today" if days == 0 else f"in {days} day" + ("" if days == 1 else "s")
                col.metric(label, when if days >= 0 else f"{-days} days ago", delta=value, delta_color="off",
                           delta_arrow="off", help=help_text, border=True)
            else:
                col.metric(label, value, help=help_text, border=True)

    work_tab, today_tab, help_tab = st.tabs(["Workload", "Today's actions", "How these are counted"])
    with work_tab:
        digest = _digest(f.generation, f.scope_key, f.as_of)
        # 1. Forces.
        if show_forces:
            st.subheader("Forces")
            forces = my_team.level(current, "force")
            forces = forces.assign(force=forces["force_code"].map(force_label))
            i = _select_row(forces, key=f"team_forces_{digest}", order=["force", "officers", *COUNT_ORDER],
                            config={"force": "Force", "officers": st.column_config.NumberColumn("Officers"),
                                    **COUNT_COLUMNS},
                            remembered=_index_of(forces, force_code=remembered.get("force")))
            if i is not None:
                path["force"] = forces.loc[i, "force_code"]
                scope = scope.narrow(forces=[path["force"]])
                current = _workload(f, scope)
        # 2. Teams.
        if show_teams:
            st.subheader("Teams" + (f" in {force_label(path['force'])}" if path["force"] else ""))
            teams = my_team.level(current, "team")
            teams = teams.assign(force=teams["force_code"].map(force_label))
            remembered_team = remembered.get("team") or (None, None)
            i = _select_row(teams, key=f"team_teams_{_digest(digest, path['force'])}",
                            order=["team", "force", "officers", *COUNT_ORDER, "no_officer_files"],
                            config={"team": st.column_config.TextColumn("Team", pinned=True), "force": "Force",
                                    "officers": st.column_config.NumberColumn("Officers"), **COUNT_COLUMNS,
                                    "no_officer_files": st.column_config.NumberColumn("Files with no officer")},
                            remembered=_index_of(teams, force_code=remembered_team[0], team=remembered_team[1]),
                            height=min(38 + 35 * max(len(teams), 1), 420))
            _capped(len(teams), int(teams["rows_in_level"].max()) if len(teams) else 0, "teams", CONFIG.max_teams)
            if i is not None:
                path["team"] = (teams.loc[i, "force_code"], teams.loc[i, "team"])
                scope = scope.narrow(forces=[path["team"][0]], teams=[path["team"][1]])
                current = _workload(f, scope)
        elif scope.teams is not None and len(scope.teams) == 1 and scope.officers is None:
            st.caption(f"Team chosen in the sidebar: {scope.teams[0]}")

        # 3. Officers.
        officers = my_team.level(current, "officer")
        officers = officers.assign(officer=[_officer(o, n) for o, n in
                                            zip(officers["oic_id"], officers["oic_name"], strict=True)])
        where = (f" of {path['team'][1]}" if path["team"]
                 else f" of {scope.teams[0]}" if scope.teams is not None and len(scope.teams) == 1 else "")
        st.subheader(f"Officers{where}, busiest first")
        table_tab, chart_tab = st.tabs(["Table", "Load chart"])
        with table_tab:
            remembered_officer = remembered.get("officer") or (None, None, None)
            i = _select_row(officers, key=f"team_officers_{_digest(digest, path['force'], path['team'])}",
                            order=["officer", *(["team"] if officers["team"].nunique() > 1 else []), *COUNT_ORDER],
                            config={"officer": st.column_config.TextColumn("Officer", pinned=True), "team": "Team",
                                    **COUNT_COLUMNS},
                            remembered=_index_of(officers, force_code=remembered_officer[0],
                                                 team=remembered_officer[1], oic_id=remembered_officer[2]),
                            height=min(38 + 35 * max(len(officers), 1), 460))
            _capped(len(officers), int(officers["rows_in_level"].max()) if len(officers) else 0, "officers",
                    CONFIG.max_officers)
        with chart_tab:
            if officers.empty:
                st.info("No officers in this scope.")
            else:
                event = st.plotly_chart(data.figure(my_team.load_chart, officers, CONFIG),
                                        key=f"team_load_chart_{_digest(digest, path['force'], path['team'])}",
                                        on_select="rerun", selection_mode=("points",))
                points = list(event.selection.points) if event and event.selection else []
                if i is None and points:
                    picked = officers.index[officers["oic_id"] == points[0].get("customdata")]
                    i = int(picked[0]) if len(picked) else None
                st.caption("The table twin of this chart is the Table tab; select a bar to see that officer's cases.")
        if i is None and scope.officers is not None and len(officers) == 1:
            i = 0  # one officer chosen in the sidebar: their cases at once
        if i is not None:
            row = officers.loc[i]
            path["officer"] = (row["force_code"], row["team"], row["oic_id"])

        # 4. The officer's cases.
        if path["officer"]:
            fc, team, oic = path["officer"]
            officer_scope = scope.narrow(forces=[fc], teams=[team], officers=[oic])
            st.subheader(f"Open cases of {_officer(oic, officers.loc[i, 'oic_name'])}")
            own = _case_view(_cases(f, officer_scope, needs_action=False))
            j = _select_row(own, key=f"team_cases_{_digest(digest, path['officer'])}",
                            order=list(CASE_COLUMNS), config=CASE_COLUMNS, remembered=None,
                            height=min(38 + 35 * max(len(own), 1), 460))
            total = int(own["total_rows"].max()) if len(own) else 0
            if total > len(own):
                st.caption(f"Showing {len(own):,} of {total:,} cases (the list is capped at {CONFIG.max_cases:,}).")
            if j is not None:
                _case_detail(own.loc[j])
        else:
            st.caption("Select an officer to see their open cases.")

        # Reconciliation for the scope the officer table shows.
        here = my_team.level(current, "scope").iloc[0]
        shown_files = int(officers["files"].sum())
        widgets.reconcile(
            "open case files (URN + defendant)", int(here["files_in_scope"]), shown_files,
            [("no officer recorded", int(here["no_officer_files"])),
             ("closed", int(here["files_closed"])),
             ("created after the as-of date", int(here["files_not_created"])),
             ("held by officers beyond the list cap", int(here["files"]) - shown_files)],
        )
        shown_inv = int(officers["investigations"].sum())
        widgets.reconcile(
            "investigations (URNs)", int(here["investigations_in_scope"]), shown_inv,
            [("no officer recorded", int(here["no_officer_investigations"])),
             ("closed or decided", int(here["investigations_closed"])),
             ("charged, or past the pre-charge stage", int(here["investigations_charged"])),
             ("created after the as-of date", int(here["investigations_not_created"])),
             ("held by officers beyond the list cap", int(here["investigations"]) - shown_inv)],
        )

    with today_tab:
        team_level = path["team"] is not None or scope.teams is not None or scope.officers is not None
        if not team_level:
            st.info("Choose a team (select a row in the Teams table, or use the sidebar) to see its list "
                    "of cases needing action today.")
        else:
            today = _case_view(_cases(f, scope, needs_action=True))
            total = int(today["total_rows"].max()) if len(today) else 0
            who = path["team"][1] if path["team"] else ", ".join(scope.teams or ()) or "the chosen officers"
            st.subheader(f"Needs action today: {who}")
            st.caption(f"{total:,} cases, by the last working day before the STL, then the earliest due date."
                       + (f" Showing the first {len(today):,}." if total > len(today) else ""))
            j = _select_row(today, key=f"team_today_{_digest(digest, path['force'], path['team'])}",
                            order=list(CASE_COLUMNS), config=CASE_COLUMNS, remembered=None)
            if j is not None:
                _case_detail(today.loc[j])

    with help_tab:
        st.markdown(HELP)

    st.session_state["team_drill"] = {k: v for k, v in path.items() if v is not None}

else:
    # -- print layout: plain tables between two markings; no tabs, charts or selection ---------
    widgets.print_layout_css("team", "team_print_switch")
    with st.container(key="team_marking_top"):
        st.markdown(f"**{_md(marking)}**")
    described = (f"team {path['team'][1]}" if path["team"]
                 else f"force {force_label(path['force'])}" if path["force"]
                 else "teams: " + ", ".join(scope.teams) if scope.teams is not None
                 else "forces: " + ", ".join(force_label(c) for c in scope.forces))
    st.markdown(f"**My Team, as of {f.as_of:%A %d %B %Y}** ({_md(described)})")

    st.subheader("Summary")
    st.table(pd.DataFrame([(label, value) for label, value, _ in headline], columns=["Measure", "Value"])
             .set_index("Measure"))

    def _print_counts(df: pd.DataFrame, first: dict[str, str]) -> pd.DataFrame:
        out = df[list(first) + list(PRINT_COUNT_LABELS)].copy()
        for col in ("next_stl", "next_stl_last_working_day"):
            out[col] = out[col].map(_fmt_date)
        return out.rename(columns={**first, **PRINT_COUNT_LABELS})

    current = _workload(f, scope) if scope != f.scope else top
    if show_forces and not path["force"] and not path["team"]:
        forces = my_team.level(current, "force")
        forces = forces.assign(force=forces["force_code"].map(force_label))
        st.subheader("Forces")
        st.table(_print_counts(forces, {"force": "Force"}).set_index("Force"))
    if show_teams and not path["team"]:
        teams = my_team.level(current, "team")
        st.subheader("Teams")
        st.table(_print_counts(teams, {"team": "Team"}).set_index("Team"))
    officers = my_team.level(current, "officer")
    officers = officers.assign(officer=[_officer(o, n) for o, n in zip(officers["oic_id"], officers["oic_name"],
                                                                       strict=True)])
    st.subheader("Officers" + (f" of {path['team'][1]}" if path["team"] else "") + ", busiest first")
    st.table(_print_counts(officers, {"officer": "Officer", "team": "Team"}).set_index("Officer"))

    def _print_cases(df: pd.DataFrame) -> pd.DataFrame:
        out = _case_view(df)[PRINT_CASE_COLUMNS].copy()
        for col in ("last_working_day", "stl_date", "due_date"):
            out[col] = out[col].map(_fmt_date)
        return out.rename(columns=CASE_LABELS)

    if path["officer"]:
        fc, team, oic = path["officer"]
        st.subheader(f"Open cases of {oic}")
        st.table(_print_cases(_cases(f, scope.narrow(forces=[fc], teams=[team], officers=[oic]), False)))
    if path["team"] or scope.teams is not None or scope.officers is not None:
        today = _cases(f, scope, True)
        st.subheader("Needs action today")
        total = int(today["total_rows"].max()) if len(today) else 0
        st.caption(f"{total:,} cases" + (f"; the first {len(today):,} shown." if total > len(today) else "."))
        st.table(_print_cases(today))
    with st.container(key="team_marking_bottom"):
        st.markdown(f"**{_md(marking)}**")
