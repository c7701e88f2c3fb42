"""Casewatch: case file queues and statutory time limits for police forces in England and Wales.

Entry point: page set-up, navigation and the shared sidebar. Pages get their data through
``ui.data`` and their filters through ``ui.filters``; no queries run here.
"""

from __future__ import annotations

import html
from datetime import date

import streamlit as st

from ui import data, filters, joim

st.set_page_config(page_title="Casewatch", page_icon="⚖️", layout="wide")

# Each url_path equals its file's name: Streamlit's front end checks a deep link against the
# pages/ folder's file names before the script runs, so any other path shows "Page not found".
PAGES = {
    "Casewatch": [
        st.Page("pages/home.py", title="Overview", icon="🏠", default=True, url_path="home"),
        st.Page("pages/stl_watch.py", title="STL watch", icon="⏳", url_path="stl_watch"),
        st.Page("pages/submission_queue.py", title="Submission queue", icon="📥", url_path="submission_queue"),
        st.Page("pages/my_team.py", title="My Team", icon="👥", url_path="my_team"),
        st.Page("pages/ngap_tracker.py", title="NGAP tracker", icon="🚦", url_path="ngap_tracker"),
        st.Page("pages/joim.py", title="JOIM view", icon="🤝", url_path="joim"),
    ],
}

# JOIM mode (a shared screen with the CPS in the room) moves the page list to the top and hides the
# sidebar, so the switch is read before the navigation is built.
shared_screen = joim.toggle()
nav = st.navigation(PAGES, position="top" if shared_screen else "sidebar")
marking = data.settings().marking
# The marking comes from the force's settings, never from extract data; it is escaped anyway.
st.markdown(
    f"<div style='text-align:center;font-weight:700;letter-spacing:.08em'>{html.escape(marking)}</div>",
    unsafe_allow_html=True,
)

gen = data.generation()
if gen is None:
    st.title("Casewatch")
    st.warning(
        "No data has been loaded yet. Load the bundled synthetic sample with "
        "`python cli.py load-sample`, or your own extracts with `python cli.py load FILE ...`."
    )
    st.stop()

st.session_state["filters"] = filters.sidebar(gen, date.today())
if shared_screen:
    stamp = data.data_as_of(gen)
    joim.header(stamp["finished_at"].max() if not stamp.empty else None, st.session_state["filters"].as_of)
nav.run()
