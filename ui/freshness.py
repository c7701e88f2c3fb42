"""The stale-data banner shown on every page (dashboard.py calls ``banner`` once per run).

The rule is ``core.freshness``; this module reads the clock (the UI's job, never a rule's), finds
the newest load of each extract in the viewer's forces, shows a warning banner when any is older
than ``Settings.stale_after_hours`` and leaves the answer in ``st.session_state["stale"]`` for the
pages (while it is True, a GREEN band must not be presented as safe).
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from core import freshness
from ui import data

STATE_KEY = "stale"


def utcnow() -> datetime:
    """The current time (UTC). A function of its own so tests can move the clock."""
    return datetime.now(UTC)


def banner(f) -> bool:
    """Show the stale-data banner if the data in ``f``'s scope (``ui.filters.Filters``) is stale;
    store and return the flag."""
    if not f.scope.forces:  # a viewer who may see no force sees no figures: nothing to warn about
        st.session_state[STATE_KEY] = False
        return False
    settings = data.settings()
    files = data.data_as_of(f.generation)
    items = freshness.by_extract(
        ((r.kind, list(r.forces) if r.forces is not None else [], r.finished_at.to_pydatetime())
         for r in files.itertuples(index=False)),
        utcnow(),
        settings.stale_after_hours,
        forces=f.scope.forces,
    )
    text = freshness.banner_text(items, settings.stale_after_hours)
    stale = text is not None
    st.session_state[STATE_KEY] = stale
    if stale:
        st.warning(text, icon="⏰")
    return stale
