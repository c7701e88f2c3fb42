"""Data: load extracts in the browser, the validation report, data-quality checks and the load history.

Every row set aside at load and every served row a check flags is listed with its file and row
number, so an analyst can find it in the extract. The rules live in core.data_quality and
core/queries/data_quality.sql; loading runs in a separate process (data_loaders.subprocess_load).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import data_quality as dq
from core import freshness
from core.export import ExportSheet
from ui import data, filters, joim, upload, widgets
from ui.freshness import utcnow

settings = data.settings()
PAGE = settings.section("data_page")
f = filters.current()

if joim.active():
    # This page lists extract rows as the files had them (names, URNs and free text in the raw
    # record), which no pseudonymisation by column name can make safe for a shared screen.
    st.title("Data")
    st.info("The Data page is not shown in JOIM mode: it lists extract rows as the files had them. "
            "Leave JOIM mode to load data or read the validation report.", icon="🤝")
    st.stop()
served = data.data_as_of(f.generation)
loads = data.q(dq.loads, f)
history = data.q(dq.load_history, f)
in_data = history[history["rows_served"] > 0]
counts = data.q(dq.check_counts, f, known_teams=PAGE.known_teams, rare_team_records=PAGE.rare_team_records)

# The same judgement as the stale-data banner: each extract (force and kind) in the viewer's forces
# by its newest load; the page shows the oldest of them.
extracts = freshness.by_extract(
    ((r.kind, list(r.forces), r.finished_at.to_pydatetime()) for r in served.itertuples(index=False)),
    utcnow(), settings.stale_after_hours, forces=f.scope.forces,
)
oldest = extracts[0] if extracts else None

st.title("Data")
if served.empty:
    st.caption(f"Served now: {Path(f.generation).name}, with no load recorded.")
else:
    newest = served["finished_at"].max()
    st.caption(
        f"Served now: generation {Path(f.generation).name}, from {len(in_data)} extract file(s); newest "
        f"loaded {newest:%d/%m/%Y %H:%M} UTC. Data older than {settings.stale_after_hours} hours is marked "
        "stale on every page. The checks below follow the sidebar's force, team and officer filters; the "
        "validation report and the load history cover whole files."
    )

latest = loads.iloc[0] if not loads.empty else None
cols = st.columns(4)
cols[0].metric("Rows served", f"{int(in_data['rows_served'].sum()):,}", border=True,
               help="Rows of the extract files behind the data now served (all forces, both extracts).")
cols[1].metric("Quarantined in the latest load",
               f"{int(latest['rows_quarantined']):,}" if latest is not None else "–",
               border=True, help="Rows set aside by the newest load: see the Validation report tab.")
cols[2].metric("Rows flagged by checks", f"{int(counts['flagged'].sum()):,}", border=True,
               help="Served rows in your scope flagged by a data-quality check (a row can be flagged by "
                    "more than one check).")
cols[3].metric(
    "Age of the oldest extract", "unknown" if oldest is None else freshness.describe_age(oldest.status.age),
    border=True, delta=None if oldest is None else ("stale" if oldest.status.stale else "fresh"),
    delta_color="red" if oldest is not None and oldest.status.stale else "gray", delta_arrow="off",
    help=("Each force's custody and case-file extracts are judged by their newest load; this is the oldest "
          "of them in your scope" + (f" ({oldest.label})" if oldest else "") + ". Stale after "
          f"{settings.stale_after_hours} hours."),
)

tab_upload, tab_report, tab_checks, tab_history = st.tabs(
    ["⬆️ Upload extracts", "🧾 Validation report", "🔍 Data-quality checks", "🕘 Load history"]
)

# -- upload ---------------------------------------------------------------------------------------------
with tab_upload:
    upload.section(served)

# -- validation report -----------------------------------------------------------------------------------
ALL_LOADS = 0
with tab_report:
    st.subheader("Validation report: rows set aside at load")
    if loads.empty:
        st.info("No load is recorded in the served data.")
    else:
        labels = {int(r["load_id"]): dq.load_label(r) for r in loads.to_dict("records")}
        # The key carries the newest load, so a new load resets the choice to it.
        chosen = st.selectbox(
            "Load", [ALL_LOADS, *labels], index=1, key=f"data_report_load_{next(iter(labels))}",
            format_func=lambda i: "All loads" if i == ALL_LOADS else labels[i],
            help="Newest first. A refused load published nothing, so it has no rows here: its errors "
                 "are in the Load history tab.",
        )
        ids = tuple(labels) if chosen == ALL_LOADS else (int(chosen),)
        picked = loads[loads["load_id"].isin(ids)]
        expected = int(picked["rows_quarantined"].sum())
        total = data.q(dq.quarantine_count, f, load_ids=ids)
        rows = data.q(dq.quarantined, f, load_ids=ids, cap=PAGE.export_cap)
        shown = rows.head(PAGE.list_cap)
        c = st.columns(4)
        c[0].metric("Rows read", f"{int(picked['rows_read'].sum()):,}")
        c[1].metric("Loaded", f"{int(picked['rows_loaded'].sum()):,}")
        c[2].metric("Quarantined", f"{expected:,}")
        c[3].metric("Skipped (blank or repeated header)", f"{int(picked['rows_skipped'].sum()):,}")
        if rows.empty:
            st.success("No row of this load was set aside: every row read was loaded.", icon="✅")
        else:
            st.caption(
                "Each row below was not loaded. 'Row in file' is the spreadsheet row number (the header "
                "is row 1 when the file has no title lines above it); 'Column' is the first column that "
                "failed and 'Reason' lists every problem found in the row."
                + (f" Showing the first {len(shown):,} of {total:,}; the export holds up to "
                   f"{PAGE.export_cap:,}." if total > len(shown) else "")
            )
            st.dataframe(
                shown, hide_index=True, key="data_quarantine_table",
                column_config={
                    "load_id": st.column_config.NumberColumn("Load", format="%d"),
                    "file_name": st.column_config.TextColumn("File", pinned=True),
                    "src_row": st.column_config.NumberColumn("Row in file", format="%d", pinned=True),
                    "column_name": "Column",
                    "value": "Value",
                    "reason": st.column_config.TextColumn("Reason", width="large"),
                    "raw_record": st.column_config.TextColumn("The row as the file had it", width="large"),
                },
            )
        widgets.reconcile(
            "quarantined rows", expected, len(shown),
            [(f"beyond the first {PAGE.list_cap:,} rows listed (in the export)", len(rows) - len(shown)),
             (f"beyond the export cap of {PAGE.export_cap:,} rows", total - len(rows))],
        )
        widgets.export_button(
            "Export the validation report (XLSX)",
            lambda: [ExportSheet("Quarantined rows", rows, dq.QUARANTINE_EXPORT,
                                 "Validation report: rows set aside at load")],
            file_name=f"casewatch-validation-report-{'all' if chosen == ALL_LOADS else chosen}.xlsx",
            title="Casewatch validation report",
            as_of=f.as_of,
            key="data_report_export",
        )

# -- data-quality checks ------------------------------------------------------------------------------------
with tab_checks:
    st.subheader("Data-quality checks on the served data")
    st.caption(
        "Rows that loaded but look wrong, within your scope. Counts are rows of the extracts (one offence "
        "row of a case file, or one custody record); choose a check to list the rows behind it."
    )
    st.dataframe(
        counts[["title", "flagged", "definition"]], hide_index=True, key="data_check_counts",
        column_config={
            "title": st.column_config.TextColumn("Check", pinned=True),
            "flagged": st.column_config.NumberColumn("Rows flagged", format="%d"),
            "definition": st.column_config.TextColumn("What it means", width="large"),
        },
    )
    flagged = dict(zip(counts["check_id"], counts["flagged"], strict=True))
    check = st.selectbox(
        "Show the rows behind", list(dq.CHECK_IDS), key="data_check",
        format_func=lambda c: f"{dq.BY_ID[c].title} ({int(flagged.get(c, 0)):,} rows)",
    )
    check = check if check in dq.BY_ID else dq.CHECK_IDS[0]
    st.caption(dq.BY_ID[check].definition)
    if check == "unknown_team":
        st.caption(
            f"Team list configured: {len(PAGE.known_teams)} team(s)." if PAGE.known_teams else
            f"No team list is configured ([data_page] known_teams), so a team name carried by "
            f"{PAGE.rare_team_records} record(s) or fewer of its force is flagged."
        )
    behind = data.q(dq.check_rows, f, check=check, known_teams=PAGE.known_teams,
                    rare_team_records=PAGE.rare_team_records, cap=PAGE.export_cap)
    listed = behind.head(PAGE.list_cap)
    n = int(flagged.get(check, 0))
    if listed.empty:
        st.success("No row in your scope is flagged by this check.", icon="✅")
    else:
        if n > len(listed):
            st.caption(f"Showing the first {len(listed):,} of {n:,} rows, in file order.")
        st.dataframe(
            listed, hide_index=True, key="data_check_rows",
            column_config={
                "source": "Extract",
                "force_code": "Force",
                "team": "Team",
                "oic_id": "OIC",
                "urn": st.column_config.TextColumn("URN", pinned=True),
                "person": "Defendant / person",
                "record": "Record",
                "field": "Field",
                "value": "Value",
                "detail": st.column_config.TextColumn("Why it is flagged", width="large"),
                "src_file": "File",
                "src_row": st.column_config.NumberColumn("Row in file", format="%d"),
            },
        )
    widgets.reconcile(
        f"rows flagged by '{dq.BY_ID[check].title}'", n, len(listed),
        [(f"beyond the first {PAGE.list_cap:,} rows listed (in the export)", len(behind) - len(listed)),
         (f"beyond the export cap of {PAGE.export_cap:,} rows", n - len(behind))],
    )
    widgets.export_button(
        "Export these rows (XLSX)",
        lambda: [ExportSheet("Flagged rows", behind, dq.CHECK_EXPORT, f"Data-quality check: {dq.BY_ID[check].title}")],
        file_name=f"casewatch-check-{check}.xlsx",
        title=f"Casewatch data-quality check: {dq.BY_ID[check].title}",
        as_of=f.as_of,
        key="data_check_export",
    )

# -- load history -------------------------------------------------------------------------------------------
with tab_history:
    st.subheader("Published loads")
    st.caption("Every file of every load recorded in the load log of the served data, newest first.")
    st.dataframe(
        history.assign(adds_up=history["adds_up"].map({True: "✅ yes", False: "⚠️ no"})),
        hide_index=True, key="data_load_history",
        column_order=["load_id", "finished_at", "file_name", "kind", "forces", "rows_read", "rows_loaded",
                      "rows_quarantined", "rows_skipped", "warnings", "adds_up", "rows_served", "format",
                      "encoding", "sheet", "ignored_columns", "generation", "sha256"],
        column_config={
            "load_id": st.column_config.NumberColumn("Load", format="%d", pinned=True),
            "finished_at": st.column_config.DatetimeColumn("Loaded (UTC)", format="DD/MM/YYYY HH:mm"),
            "file_name": "File",
            "kind": "Extract",
            "forces": "Forces",
            "rows_read": st.column_config.NumberColumn("Read", format="%d"),
            "rows_loaded": st.column_config.NumberColumn("Loaded", format="%d"),
            "rows_quarantined": st.column_config.NumberColumn("Quarantined", format="%d"),
            "rows_skipped": st.column_config.NumberColumn("Skipped", format="%d"),
            "warnings": st.column_config.NumberColumn("Warnings", format="%d"),
            "adds_up": st.column_config.TextColumn("Read = loaded + quarantined"),
            "rows_served": st.column_config.NumberColumn(
                "Still served", format="%d", help="Rows of this file in the data now: a later extract of the "
                                                  "same force and kind replaces them."),
            "ignored_columns": "Columns not kept",
            "sha256": "SHA-256",
        },
    )
    st.subheader("Every load attempt")
    st.caption(
        f"From the store's attempt log, newest first (at most {PAGE.attempts_shown}): refused and failed "
        "loads published nothing, so only this log records them."
    )
    attempts = dq.attempts_frame(data.store().attempts(), PAGE.attempts_shown)
    st.dataframe(
        attempts, hide_index=True, key="data_attempts",
        column_config={
            "at": st.column_config.DatetimeColumn("When (UTC)", format="DD/MM/YYYY HH:mm:ss"),
            "outcome": "Outcome",
            "files": "Files",
            "load_id": st.column_config.NumberColumn("Load", format="%d"),
            "generation": "Generation",
            "errors": st.column_config.TextColumn("Errors", width="large"),
        },
    )
