"""My Team: each section leader's workload per officer, and the team's cases that need action today.

Why this module exists
----------------------
A section leader (sergeant) must know, every morning, who is carrying what and which cases cannot
wait. The extracts give the raw rows; this module holds the page's queries (``my_team.sql``), the
load-score weights, and the chart of them. It never imports Streamlit, so the same numbers can be
produced headless and tested on a hand-made scenario.

Definitions (as of the as-of date; events dated after it count as not yet happened)
-------------------------------------------------------------------------------------
Open case file
    One URN + defendant with an offence row that is not closed (stage or status ``CLOSED``) and
    was created on or before the as-of date: the Overview's "open cases" (``stl_band_counts``).
Open investigation
    One URN at the pre-charge stage, not closed or decided and not commenced as of the as-of date:
    exactly the Overview's ``review_counts`` population, so the 28-day review numbers agree.
28-day review
    ``review_due(last review, created, review_period_days)`` and ``review_status`` (domain.md R13):
    OVERDUE once the due date has passed, DUE within ``review_due_soon_days``.
Files due
    A file submission deadline, from either source:
    (a) a custody record's ``file_target_date`` while no case file for its URN has been submitted
    to CJS on or before the as-of date (the Insight report's custody definition); or
    (b) an NGAP case awaiting its upgrade file (anticipated plea NGAP, stage FIRST_HEARING_NGAP or
    UPGRADE_NG, open): its ``upgrade_file_due_date``, attributed to the case's OIC.
    Overdue when the date is before the as-of date; due soon when it falls within
    ``ngap_due_soon_days`` (the NGAP tracker's window) from the as-of date, inclusive.
Next STL
    The earliest STL date on or after the as-of date among offences on the officer's open case
    files not yet commenced (R2-R6; submitted files still count: the clock runs until charge).
Load score
    See :class:`MyTeamConfig`.
Needs action today
    An open case file with an overdue or due 28-day review, an STL band of RED, BLACK or AMBER
    and proceedings not commenced, an NGAP upgrade file overdue or due soon, or a custody file
    target passed; and a custody record past its target with no open case file in scope. Each
    row carries its reasons as text. Order: files whose STL is at risk first, by the last working
    day before the STL (the day the file must be in by); then the rest by their earliest due date
    (review, upgrade file or custody target). A GREEN file with an overdue review is ordered by the
    review, not by an STL months away.

Officer attribution: a case file or investigation belongs to the lowest collar number recorded on
its rows (with that row's team and name), so each is counted once and the officers' numbers add
up to the team's. Items with no officer recorded are counted apart and reconciled.

Known limit, shared with the Overview: ``last_review_date`` is the extract's latest review, so when
looking back (an as-of date before that review) the review counts as done; the Overview's
``review_counts`` does the same, and this page keeps its numbers equal to the Overview's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from core import queries
from core.charts import BAND_COLOURS
from core.config import Thresholds
from core.scope import Scope
from core.stl import AMBER, BAND_LABELS, BLACK, RED

LEVELS = ("scope", "force", "team", "officer")
"""Drill levels of ``workload``, widest first."""


@dataclass(frozen=True)
class MyTeamConfig:
    """The My Team page's settings (force policy, not law). Suggested settings key: ``[my_team]``.

    Load score of an officer = sum over their open case files of
    ``case_weight + (red_extra if RED, black_extra if BLACK, amber_extra if AMBER, else 0)``,
    the band being the worst STL band of the file's offences (domain.md R12), as on the Overview.

    Why these defaults: every open file is work, so each weighs ``case_weight`` = 1 and the score
    reads as "files, adjusted for urgency". A RED file must reach CJS (or be charged) within
    14 (7) days, so it crowds out other work this week: +3 makes one RED file count like four
    routine ones. An AMBER file needs building within six weeks: +1. A BLACK file is past its STL:
    the deadline cannot be saved, but recording the outcome, telling the victim and explaining the
    loss to a supervisor still fall to the officer, so +1, as much as AMBER and less than RED, so
    an officer with old BLACK files is not ranked above one with live RED deadlines. Weights are
    whole numbers because the score only ranks officers; fractions would add no information.
    """

    case_weight: int = 1
    """Weight of every open case file."""
    red_extra: int = 3
    """Added for a file whose worst STL band is RED."""
    black_extra: int = 1
    """Added for a file whose worst STL band is BLACK (STL passed)."""
    amber_extra: int = 1
    """Added for a file whose worst STL band is AMBER."""
    max_teams: int = 200
    """Most team rows returned by ``workload`` (busiest first); the rest are counted, not listed."""
    max_officers: int = 200
    """Most officer rows returned by ``workload`` (busiest first)."""
    max_cases: int = 300
    """Most rows returned by ``cases`` (the today list and an officer's cases)."""

    def __post_init__(self) -> None:
        for name in ("case_weight", "red_extra", "black_extra", "amber_extra"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"my_team.{name} must be a whole number of 0 or more, not {value!r}")
        for name in ("max_teams", "max_officers", "max_cases"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"my_team.{name} must be a whole number of 1 or more, not {value!r}")

    def load_score(self, files: int, red: int, black: int, amber: int) -> int:
        """The load score of ``files`` open case files of which ``red``/``black``/``amber`` are in
        those bands (the reference definition; the SQL computes the same per file)."""
        return (
            files * self.case_weight + red * self.red_extra + black * self.black_extra + amber * self.amber_extra
        )

    def params(self) -> dict[str, Any]:
        return {
            "w_case": self.case_weight,
            "w_red": self.red_extra,
            "w_black": self.black_extra,
            "w_amber": self.amber_extra,
            "max_teams": self.max_teams,
            "max_officers": self.max_officers,
            "max_cases": self.max_cases,
        }


DEFAULT_CONFIG = MyTeamConfig()


def _params(scope: Scope, as_of: date, thresholds: Thresholds, config: MyTeamConfig) -> dict[str, Any]:
    return {**scope.params(), **queries.rule_params(as_of, thresholds), **config.params()}


def workload(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    config: MyTeamConfig = DEFAULT_CONFIG,
) -> pd.DataFrame:
    """Workload rows for every drill level of ``scope`` (column ``level``: scope, force, team,
    officer), busiest first, teams and officers capped by ``config``; ``rows_in_level`` says how
    many there were before the cap. The single ``scope`` row also carries the reconciliation
    counts (``files_in_scope`` = files + no_officer_files + files_closed + files_not_created, and
    likewise for investigations)."""
    return queries.run(con, "my_team_workload", _params(scope, as_of, thresholds, config))


def cases(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    needs_action: bool = True,
    config: MyTeamConfig = DEFAULT_CONFIG,
) -> pd.DataFrame:
    """Open case files of ``scope`` (and custody records past their file target with no open case
    file), with the reasons each needs action, in the "needs action today" order (module
    docstring). ``needs_action`` keeps only rows with a reason (the today list); False gives an
    officer's whole case list. Capped at ``config.max_cases``; ``total_rows`` says how many there
    were."""
    params = _params(scope, as_of, thresholds, config) | {"needs_action": needs_action}
    return queries.run(con, "my_team_cases", params)


def level(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of one drill level of a ``workload`` frame, index reset."""
    if name not in LEVELS:
        raise ValueError(f"unknown level {name!r}")
    return df[df["level"] == name].reset_index(drop=True)


def load_chart(officers: pd.DataFrame, config: MyTeamConfig = DEFAULT_CONFIG, top: int = 30) -> go.Figure:
    """Stacked bars of the load score of the ``top`` busiest officers: the open-file base and the
    RED, BLACK and AMBER additions, each named in text in the legend and hover (never colour
    alone). ``customdata`` carries the officer's collar number so a selected bar can drill down."""
    df = officers.head(top)
    labels = [f"{o} · {n}" if isinstance(n, str) and n else str(o)
              for o, n in zip(df["oic_id"], df["oic_name"], strict=True)]
    parts = [
        ("Open files", df["files"] * config.case_weight, "#6b7280"),
        (f"{BAND_LABELS[RED]} extra", df["red"] * config.red_extra, BAND_COLOURS[RED]),
        (f"{BAND_LABELS[BLACK]} extra", df["black"] * config.black_extra, BAND_COLOURS[BLACK]),
        (f"{BAND_LABELS[AMBER]} extra", df["amber"] * config.amber_extra, BAND_COLOURS[AMBER]),
    ]
    fig = go.Figure()
    for name, values, colour in parts:
        fig.add_trace(
            go.Bar(
                x=values,
                y=labels,
                orientation="h",
                name=name,
                marker_color=colour,
                customdata=df["oic_id"],
                hovertemplate="%{y}<br>" + name + ": %{x}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title="Load score by officer (busiest first)",
        xaxis_title="load score",
        yaxis={"autorange": "reversed"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=80 + 26 * max(len(df), 1),
        legend={"orientation": "h", "y": -0.15},
    )
    return fig
