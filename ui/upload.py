"""The Data page's upload section: pick extract files, load them with a progress bar, show the
outcome.

The files are loaded by ``data_loaders.subprocess_load`` in a separate, resource-limited process
(never parsed inside the web server), from a private temporary folder deleted afterwards. After a
published load the page reruns so every part of it, the sidebar and the freshness banner read the
new generation; the outcome is kept in session state to be shown after that rerun.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core import data_quality as dq
from data_loaders import subprocess_load
from ui import auth, data

KEY_ROUND = "data_upload_round"
"""Bumped after each load so the uploader starts empty (its key changes)."""
KEY_OUTCOME = "data_upload_outcome"
KEY_BUTTON = "data_load_button"
KEY_DISMISS = "data_outcome_dismiss"


def uploader_key() -> str:
    return f"data_upload_{st.session_state.get(KEY_ROUND, 0)}"


def max_upload_mb(settings: Any) -> int:
    """The per-file cap: the force's setting, never above the server's own ``server.maxUploadSize``."""
    server = int(st.get_option("server.maxUploadSize"))
    return max(1, min(int(settings.upload_max_mb), server))


def section(served: pd.DataFrame | None) -> None:
    """Render the upload section. ``served`` is ``ui.data.data_as_of`` of the served generation
    (None when nothing has been loaded yet)."""
    settings = data.settings()
    if not auth.get().can_load:
        how = ("In local mode, choose 'administrator' under 'Local mode: act as' in the sidebar."
               if settings.auth_mode == "local" and settings.roles_file is None else "Ask yours to load new data.")
        st.info(f"Loading extracts is for administrators (docs/access.md). {how}", icon="🔒")
        return
    limit = max_upload_mb(settings)
    st.markdown(
        "Load one or more **custody** or **case-file** extracts (CSV or XLSX). Files load together: all "
        "of them are published as one new version of the data, or none is. Each extract replaces the "
        "rows of the forces it contains; rows that cannot be used are set aside (quarantined) with "
        "their reason, and a file with more than "
        f"{settings.max_quarantine_share:.0%} unusable rows is refused whole (probably the wrong file)."
    )
    outcome = st.session_state.get(KEY_OUTCOME)
    if outcome is not None:
        show_outcome(outcome, served)
        if st.button("Clear this report", key=KEY_DISMISS, icon="✖️"):
            st.session_state.pop(KEY_OUTCOME, None)
            st.rerun()
    files = st.file_uploader(
        "Extract files",
        type=["csv", "xlsx"],
        accept_multiple_files=True,
        key=uploader_key(),
        max_upload_size=limit,
        help=f"CSV or XLSX, at most {limit} MB each. The file names you give are only recorded, "
             "never used to store the files.",
    )
    if not files:
        return
    names = ", ".join(md_escape(subprocess_load.safe_display_name(f.name)) for f in files)
    st.caption(f"Ready to load {len(files)} file(s): {names}.")
    if st.button(f"Load {len(files)} file(s)", type="primary", key=KEY_BUTTON, icon="⬆️"):
        run(files, settings)


def run(files: list[Any], settings: Any) -> None:
    """Load the uploaded files with a progress bar, keep the outcome, and rerun the app."""
    with st.status(f"Loading {len(files)} file(s)…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(fraction: float, message: str) -> None:
            bar.progress(fraction, text=message)

        acc = auth.get()
        outcome = subprocess_load.load_uploads([(f.name, f) for f in files], settings, on_progress=progress,
                                               actor=acc.user or "anonymous", role=acc.role)
        label = {
            "published": "Load published",
            "refused": "Load refused: nothing was published",
            "failed": "Load failed: nothing was published",
        }[outcome.status]
        status.update(label=label, state="complete" if outcome.published else "error", expanded=False)
    st.session_state[KEY_OUTCOME] = {
        "status": outcome.status,
        "report": outcome.report,
        "errors": outcome.errors,
        "message": outcome.message,
        "steps": outcome.steps,
    }
    if outcome.published:
        # Cached results are keyed by the generation, so every page reads the new data on its next
        # run anyway; the entries of the previous generation are cleared so they free their memory.
        # Connections (cache_resource) are left alone: another session may be mid-query on one.
        st.cache_data.clear()
    st.session_state[KEY_ROUND] = st.session_state.get(KEY_ROUND, 0) + 1
    st.rerun()


def show_outcome(outcome: dict[str, Any], served: pd.DataFrame | None) -> None:
    """The report of the last load of this session: per-file counts, or every error."""
    status = outcome["status"]
    if status == "published":
        report = outcome["report"] or {}
        files = report.get("files") or []
        quarantined = sum(int(f["rows_quarantined"]) for f in files)
        st.success(
            f"Load {report.get('load_id')} published ({len(files)} file(s)). Every page now shows the new "
            "data: cached results are keyed by the data's generation, so each page switches to it on its "
            "next run, and the results cached for the previous data have been cleared.",
            icon="✅",
        )
        st.table(dq.report_frame(files))
        if quarantined:
            st.warning(
                f"{quarantined:,} row(s) were set aside (quarantined) and are not in the data: the "
                f"Validation report tab lists each one with its file, row, column and reason (load "
                f"{report.get('load_id')}).",
                icon="⚠️",
            )
        warnings = sum(int(f.get("warnings") or 0) for f in files)
        if warnings:
            st.info(
                f"{warnings:,} row(s) share a key with another row but differ: both were loaded. See "
                "'Duplicate key' under Data-quality checks.",
                icon="ℹ️",
            )
        return
    still = _still_served(served)
    if status == "refused":
        st.error(f"Load refused: nothing was published. {still}", icon="⛔")
        errors = dq.errors_frame(outcome["errors"])
        st.markdown(f"**{len(errors)} problem(s) found** (file, row and column where known):")
        st.table(errors)
    else:
        st.error(f"The load failed: {outcome['message'] or 'unknown error'}. Nothing was published. {still}",
                 icon="❌")
    if outcome.get("steps"):
        with st.expander("Steps of the load"):
            st.table(pd.DataFrame({"Step": outcome["steps"]}))


def md_escape(text: str) -> str:
    """Text from a user (a file name) made inert in Markdown: every markup character escaped."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()<>#+-.!|~$" else ch for ch in text)


def _still_served(served: pd.DataFrame | None) -> str:
    if served is None or served.empty:
        return "No data has been loaded yet."
    newest = served["finished_at"].max()
    return f"The previous data is still served (loaded {newest:%d/%m/%Y %H:%M} UTC)."
