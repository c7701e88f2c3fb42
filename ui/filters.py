"""The shared sidebar: as-of date, force, team, officer and period filters, and the data stamp.

Every filter is bound to the URL (``bind="query-params"``): the values persist from page to page
and a copied link reproduces the view. Filters only ever narrow the viewer's scope
(``Scope.narrow``); they can never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from core.forces import force_label
from core.scope import Scope
from ui import auth, data, joim

KEY_AS_OF = "as_of"
KEY_FORCE = "force"
KEY_TEAM = "team"
KEY_OFFICER = "officer"
KEY_PERIOD = "period"
DEFAULT_PERIOD_WEEKS = 12


@dataclass(frozen=True)
class Filters:
    generation: str
    scope: Scope
    as_of: date
    period: tuple[date, date]
    """Window for trend charts and lagging measures (inclusive), ending on the as-of date by default."""

    @property
    def scope_key(self) -> tuple:
        return (self.scope.forces, self.scope.teams, self.scope.officers)


def viewer_scope(gen: str) -> Scope:
    """What this viewer may see: their role's scope (``ui.auth``, default deny) within the forces
    loaded. Every filter below narrows it; nothing widens it."""
    granted = auth.get().scope
    loaded = set(data.all_forces(gen))
    return Scope(tuple(f for f in granted.forces if f in loaded), granted.teams, granted.officers)


def _officer_labels(ids: tuple[str, ...], labels: tuple[str, ...]):
    """The officer filter's ``format_func``: collar number and name, or a pseudonym in JOIM mode.
    Whether JOIM mode is on is read once per run, not once per officer."""
    if joim.active():
        return joim.officer_pseudonyms()
    return dict(zip(ids, labels, strict=True)).get


def sidebar(gen: str, today: date) -> Filters:
    base = viewer_scope(gen)
    with st.sidebar:
        as_of = st.date_input(
            "As of",
            value=today,
            format="DD/MM/YYYY",
            key=KEY_AS_OF,
            bind="query-params",
            help="Every rule is worked out as on this date. Move it back to see the past: events "
            "dated after it (submissions, charges) count as not yet happened.",
        )
        as_of = as_of if isinstance(as_of, date) else today
        forces = st.multiselect(
            "Force", options=list(base.forces), format_func=force_label, key=KEY_FORCE,
            bind="query-params", placeholder="All forces",
        )
        scope = base.narrow(forces=forces)
        team_options, _, _ = data.sidebar_choices(gen, scope.forces, scope.teams, scope.officers, ())
        teams = st.multiselect(
            "Team", options=team_options, key=KEY_TEAM,
            bind="query-params", placeholder="All teams",
        )
        _, officer_ids, officer_labels = data.sidebar_choices(
            gen, scope.forces, scope.teams, scope.officers, tuple(sorted(set(teams)))
        )
        scope = scope.narrow(teams=teams)
        officers = st.multiselect(
            "Officer", options=officer_ids, format_func=_officer_labels(officer_ids, officer_labels),
            key=KEY_OFFICER, bind="query-params", placeholder="All officers",
        )
        scope = scope.narrow(officers=officers)
        period = st.date_input(
            "Period for trends",
            value=(as_of - timedelta(weeks=DEFAULT_PERIOD_WEEKS), as_of),
            format="DD/MM/YYYY",
            key=KEY_PERIOD,
            bind="query-params",
            help="The window for trend charts and lagging measures such as the BLACK list.",
        )
        start, end = _period(period, as_of)
        _stamp(gen)
    return Filters(gen, scope, as_of, (start, end))


def _period(value: object, as_of: date) -> tuple[date, date]:
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, date) for v in value):
        start, end = value
        return (min(start, end), max(start, end))
    return (as_of - timedelta(weeks=DEFAULT_PERIOD_WEEKS), as_of)


def _stamp(gen: str) -> None:
    df = data.data_as_of(gen)
    if df.empty:
        return
    newest = df["finished_at"].max()
    st.caption(f"Data loaded {newest:%d/%m/%Y %H:%M} UTC from {len(df)} extract file(s).")


def current() -> Filters:
    """The filters the entry point worked out for this run (pages call this).

    When a fresh server's very first request is a deep link (``/stl_watch``), Streamlit still
    believes the app is a pages-folder app (it only learns otherwise when st.navigation first
    runs) and executes the page file on its own, without dashboard.py. The page then finds no
    filters: mark the app as a navigation app, as st.navigation itself does, and rerun through
    the entry point.
    """
    found = st.session_state.get("filters")
    if found is None:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return found
