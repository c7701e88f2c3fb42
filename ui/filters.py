"""The shared sidebar: as-of date, force and team filters, and the 'data as of' stamp.

Widget values live in the URL (``bind="query-params"``), so a copied link reproduces the view.
Filters only ever narrow the viewer's scope (``Scope.narrow``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from core.forces import force_label
from core.scope import Scope
from ui import data

KEY_AS_OF = "as_of"
KEY_FORCE = "force"
KEY_TEAM = "team"


@dataclass(frozen=True)
class Filters:
    generation: str
    scope: Scope
    as_of: date

    @property
    def key(self) -> tuple:
        return (self.generation, self.scope.forces, self.scope.teams, self.as_of)


def viewer_scope(gen: str) -> Scope:
    """What this viewer may see. Until sign-in exists (local mode) that is every force loaded."""
    return Scope.everything(data.all_forces(gen))


def sidebar(gen: str, today: date) -> Filters:
    base = viewer_scope(gen)
    with st.sidebar:
        as_of = st.date_input(
            "As of",
            value=today,
            format="DD/MM/YYYY",
            key=KEY_AS_OF,
            bind="query-params",
            help="Rules are worked out as on this date. Change it to look back.",
        )
        forces = st.multiselect(
            "Force",
            options=list(base.forces),
            format_func=force_label,
            key=KEY_FORCE,
            bind="query-params",
            placeholder="All forces",
        )
        scope = base.narrow(forces=forces)
        teams_df = data.forces_and_teams(gen, scope.forces)
        teams = st.multiselect(
            "Team",
            options=sorted(teams_df["team"].unique().tolist()),
            key=KEY_TEAM,
            bind="query-params",
            placeholder="All teams",
        )
        scope = scope.narrow(teams=teams)
        _stamp(gen)
    return Filters(gen, scope, as_of if isinstance(as_of, date) else today)


def _stamp(gen: str) -> None:
    df = data.data_as_of(gen)
    if df.empty:
        return
    newest = df["finished_at"].max()
    st.caption(f"Data loaded {newest:%d/%m/%Y %H:%M} UTC from {len(df)} extract file(s).")
