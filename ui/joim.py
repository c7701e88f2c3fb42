"""JOIM mode: the shared screen of a Joint Operational Improvement Meeting.

One switch (the sidebar's "JOIM mode", also ``?joim=true`` in the URL) turns any page into a
meeting screen: large type and high contrast, page links along the top and no sidebar, a "data as
of" clock, and every name, collar number and URN replaced by a stable pseudonym
(``core.pseudonym``) before it reaches the browser. The presenter can reveal one selected row on
purpose; nothing else is ever unmasked.

Masking happens in ``ui.data.q`` on the way out of the cache, so every page is covered without
page code of its own, and selections made on masked tables are turned back into real keys on the
way in (``unmask``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from core.pseudonym import OFFICER, Pseudonymiser
from ui import data

KEY = "joim"
_KNOWN = "_joim_known"
_REVEALED = "_joim_revealed"

# Constant text only: no data or settings are ever put into this HTML.
CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
button[data-testid="stExpandSidebarButton"] { display: none !important; }
.stApp, .stApp p, .stApp li, .stApp label, .stApp span, .stApp td, .stApp th { color: #000; }
.stApp { background: #fff; }
html { font-size: 20px; }
.stApp h1 { font-size: 2.6rem !important; }
.stApp h2 { font-size: 2.0rem !important; }
.stApp h3 { font-size: 1.6rem !important; }
div[data-testid="stMetricValue"] { font-size: 3.2rem !important; font-weight: 800; }
div[data-testid="stMetricLabel"] p { font-size: 1.3rem !important; font-weight: 700; }
.stApp table { font-size: 1.15rem; }
.stApp table th { background: #000; color: #fff !important; }
.stApp table td, .stApp table th { border: 1px solid #000 !important; }
</style>
"""


def active() -> bool:
    """Whether this run renders for a shared screen. The sidebar toggle (bound to the URL) sets it;
    a viewer whose role only allows the joint view is always in it (``force``)."""
    return bool(st.session_state.get("_joim_forced")) or bool(st.session_state.get(KEY))


def force(on: bool) -> None:
    """Pin JOIM mode on for this session whatever the toggle says (the CPS/JOIM viewer role)."""
    st.session_state["_joim_forced"] = on


@st.cache_resource
def _server_key() -> bytes:
    """The pseudonym key: random per server start, never stored, never sent to a browser."""
    return secrets.token_bytes(32)


@st.cache_data(max_entries=4, show_spinner=False)
def _people(gen: str) -> frozenset[str]:
    """Officers' and supervisors' names and collar numbers in a generation (hundreds, not millions)."""
    from core.queries import people  # noqa: PLC0415

    return frozenset(people(data.connection(gen)))


def pseudonymiser() -> Pseudonymiser:
    known = st.session_state.setdefault(_KNOWN, {})
    gen = data.generation()
    return Pseudonymiser(_server_key(), known, _people(gen) if gen else frozenset())


def present(result: Any) -> Any:
    """A query result as this viewer may see it: pseudonymised in JOIM mode, unchanged otherwise."""
    return pseudonymiser().apply(result) if active() else result


def unmask(value: Any) -> Any:
    """Query arguments from a masked selection, turned back into the real keys."""
    return pseudonymiser().unmask(value) if active() else value


def officer_label(oic: str, name: str | None) -> str:
    """How the officer filter names an officer: collar and name, or a pseudonym in JOIM mode."""
    if active():
        return pseudonymiser().label(oic, OFFICER) or oic
    return f"{oic} · {name}" if name else oic


def officer_pseudonyms():
    """``officer_label`` in JOIM mode for many officers in one run (the officer filter's
    ``format_func``): the pseudonymiser is made once, not once per officer."""
    p = pseudonymiser()
    return lambda oic: p.label(oic, OFFICER) or oic


def toggle() -> bool:
    """The switch, in the sidebar; shown before the page list so it is the first thing there."""
    with st.sidebar:
        st.toggle(
            "JOIM mode (shared screen)", key=KEY, bind="query-params",
            help="For a meeting with another organisation in the room: large type, no sidebar, names "
                 "and URNs replaced by pseudonyms. Also ?joim=true in the link.",
        )
    return active()


def _leave() -> None:
    st.session_state[KEY] = False


def header(loaded_at: datetime | None, as_of) -> None:
    """Large type, no sidebar, and the meeting bar: data as of, viewing date, a live clock, exit."""
    st.html(CSS)
    bar = st.container(horizontal=True, vertical_alignment="center")
    with bar:
        stamp = f"{loaded_at:%d/%m/%Y %H:%M} UTC" if loaded_at is not None else "not known"
        st.markdown(f"**🤝 JOIM mode** · names and URNs pseudonymised · **Data as of {stamp}** · "
                    f"viewing as of **{as_of:%d/%m/%Y}**")
        _clock()
        if not st.session_state.get("_joim_forced"):
            st.button("Leave JOIM mode", on_click=_leave, key="joim_leave", icon="🚪")


@st.fragment(run_every=30)
def _clock() -> None:
    # The UI may read the clock; rules never do. Minutes are enough for a meeting.
    st.markdown(f"🕒 **{datetime.now(UTC):%H:%M} UTC**")


def reveal(rows: pd.DataFrame, selected: list[int], key: str) -> None:
    """Let the presenter reveal exactly one selected row of a masked table, on purpose.

    Nothing is shown until the presenter presses the button for the selected row; the revealed row
    is shown alone, with a note that it is visible to the room, and is hidden again when the
    selection changes.
    """
    if not active() or rows.empty:
        return
    if not selected or selected[0] >= len(rows):
        st.caption("🔒 Select one row and press 'Reveal' to show its real names and URN to the room.")
        return
    row = rows.iloc[selected[0]]
    ident = f"{key}:{selected[0]}:{'|'.join(str(v) for v in row.to_numpy())}"
    if st.button("👁️ Reveal this row to the room", key=f"{key}_reveal"):
        st.session_state[_REVEALED] = ident
    if st.session_state.get(_REVEALED) == ident:
        real = pseudonymiser().reveal(row.to_dict())
        st.warning("Revealed on purpose: this row's real values are visible to everyone in the room.")
        st.table(pd.DataFrame([real]).astype(str))
        if st.button("Hide it again", key=f"{key}_hide"):
            st.session_state.pop(_REVEALED, None)
            st.rerun()
