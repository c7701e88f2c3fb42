"""Casewatch: case file queues and statutory time limits for police forces in England and Wales.

Entry point: page set-up, navigation and the shared sidebar. Pages get their data through
``ui.data`` and their filters through ``ui.filters``; no queries run here.
"""

from __future__ import annotations

import html
from datetime import date

import streamlit as st

from core.access import ROLE_LABELS
from ui import auth, data, filters, freshness, joim

st.set_page_config(page_title="Casewatch", page_icon="⚖️", layout="wide")

# Each url_path equals its file's name: Streamlit's front end checks a deep link against the
# pages/ folder's file names before the script runs, so any other path shows "Page not found".
HOME = st.Page("pages/home.py", title="Overview", icon="🏠", default=True, url_path="home")
CASE_PAGES = [
    HOME,
    st.Page("pages/stl_watch.py", title="STL watch", icon="⏳", url_path="stl_watch"),
    st.Page("pages/submission_queue.py", title="Submission queue", icon="📥", url_path="submission_queue"),
    st.Page("pages/my_team.py", title="My Team", icon="👥", url_path="my_team"),
    st.Page("pages/ngap_tracker.py", title="NGAP tracker", icon="🚦", url_path="ngap_tracker"),
    st.Page("pages/quality.py", title="Case-building quality", icon="🧰", url_path="quality"),
    st.Page("pages/changes.py", title="What changed", icon="🔀", url_path="changes"),
    st.Page("pages/joim.py", title="JOIM view", icon="🤝", url_path="joim"),
]
DATA_PAGE = st.Page("pages/data.py", title="Data", icon="🗂️", url_path="data")
AUDIT_PAGE = st.Page("pages/audit.py", title="Audit log", icon="🔏", url_path="audit")


def pages_for(acc) -> dict[str, list]:
    """The pages a role may open; a page not listed cannot be reached by link either."""
    if acc.role == "administrator":  # loads data and reads the audit log; sees no case data
        return {"Administration": [HOME, DATA_PAGE, AUDIT_PAGE]}
    if acc.pseudonymise:  # the CPS/JOIM viewer: the joint, pseudonymised view only
        return {"Casewatch (joint view)": CASE_PAGES}
    return {"Casewatch": [*CASE_PAGES, DATA_PAGE]}


marking = data.settings().marking
# The marking comes from the force's settings, never from extract data; it is escaped anyway. The
# second copy is fixed to the foot of every printed page (and hidden on screen).
st.html(
    "<style>.cw-print-marking{display:none}"
    "@media print{.cw-print-marking{display:block;position:fixed;bottom:0;left:0;right:0;text-align:center;"
    "font-weight:700;letter-spacing:.08em;background:#fff}}</style>"
    f"<div style='text-align:center;font-weight:700;letter-spacing:.08em'>{html.escape(marking)}</div>"
    f"<div class='cw-print-marking'>{html.escape(marking)}</div>"
)

gen = data.generation()
acc = auth.current(gen)  # signs in, resolves role and scope, or stops with the reason
# JOIM mode (a shared screen with the CPS in the room) moves the page list to the top and hides the
# sidebar, so the switch is read before the navigation is built.
shared_screen = joim.toggle()
nav = st.navigation(pages_for(acc), position="top" if shared_screen else "sidebar")

if gen is None:
    if acc.can_load and nav.url_path == "data":
        nav.run()  # the Data page's upload works on an empty store
        st.stop()
    st.title("Casewatch")
    st.warning(
        "No data has been loaded yet. Load the bundled synthetic sample with "
        "`python cli.py load-sample`, your own extracts with `python cli.py load FILE ...`, or (as an "
        "administrator) upload them on the Data page."
    )
    st.stop()

st.session_state["filters"] = f = filters.sidebar(gen, date.today())
freshness.banner(f)  # stale-data banner; sets st.session_state["stale"]
if shared_screen:
    stamp = data.data_as_of(gen)
    joim.header(stamp["finished_at"].max() if not stamp.empty else None, f.as_of)
with st.sidebar:
    st.caption(f"Signed in as {acc.name or acc.user} · {ROLE_LABELS.get(acc.role or '', 'no role')}")
    if data.settings().auth_mode == "oidc":
        st.button("Sign out", on_click=st.logout, key="sign_out", icon="🚪")
auth.consulted(nav.title, f, acc)
nav.run()
