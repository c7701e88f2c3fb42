"""The CJS submission queue: where each case file stands, for how long, who holds it, what goes first.

Why this module exists
----------------------
Criminal Justice Services (CJS) managers run the queue of case files that officers have
submitted for triage and onward to the CPS. They need to know how long it is, whether it is
growing, what has waited longest, where the time goes (police, CJS or CPS) and which files must
be looked at first. The extracts give a *snapshot*: the file's current status plus a handful of
dated events. This module says exactly what can be rebuilt from that snapshot, and the SQL in
``core/queries/queue.sql`` applies it (macros ``queue_position``, ``queue_finished_on``,
``queue_held``), so the counts, the list and the history use one definition.

A file is one URN
-----------------
The case-file extract has one row per offence, with case-level columns repeated on every row
(``data_loaders/contract.py``). A file is one URN of one force. It stands where its first row in
the extract (lowest ``src_row``) stands and takes its dates and status from that row, so that
co-defendants whose rows disagree still give one coherent answer; its STL is the earliest open
STL of its offences (domain.md R5) and its flags (custody, DA, vulnerable victim) are true if any
row has them. Queries that need only some files first pick the URNs with a qualifying row, then
read every row of those URNs: exact, and fast at a million rows.

Where a file stands on day *d*
------------------------------
* ``NOT_SUBMITTED``: no ``submitted_to_cjs_date``, or one after *d* (events after the as-of date
  have not happened yet).
* ``FINISHED``: finished on or before *d*. Finished is the earliest of ``commenced_date``
  (charge, requisition or information laid, R6) and ``cps_decision_date`` with a final decision
  (CHARGE, NFA, OUT_OF_COURT). A DECIDED or CLOSED file with neither date (a police NFA or
  out-of-court decision, a closure) has no dated finish, so the last dated event on the file
  stands in for it (approximation A1 below). A file charged before it was submitted (a
  post-charge file, e.g. after a custody charge) is finished before it arrives, so it never
  counts in this pre-charge queue.
* One of the five queue stages, ``AWAITING_TRIAGE``, ``ACCEPTED``, ``SENT_TO_CPS``,
  ``ACTION_PLAN``, ``RESUBMITTED`` (the contract's ``file_status`` values); or ``REJECTED``:
  rejected at triage and back with the police awaiting resubmission, which is open but not in
  the CJS queue.

What the snapshot can and cannot tell us
----------------------------------------
Can: when each file was created, first submitted, first triaged (and that triage's outcome), sent
to the CPS and charged; the *latest* CPS decision and its date; the status on the extract date.

Cannot, so approximated (each approximation is shown on screen in a caption):

A1. Undated finishes: a police NFA/out-of-court decision or a closure carries no date; the last
    dated event is used, which can understate how long such files stayed in the queue.
A2. Undated status changes: resubmissions, re-triages, an action plan being answered. When no
    dated event on a file falls after *d*, its current status is taken as its status on *d*
    (changes are assumed to have happened by *d*); otherwise the stage is read from the dates
    alone (``queue_stage_from_dates``): a file whose first triage was a rejection counts as
    REJECTED until its next dated event, because its resubmission date is unknown.
A3. Only the latest CPS decision is dated: an earlier action plan on a file that later got a
    final decision is invisible in the history and the stage times (``action_plan_reasons``
    at least tells us one happened).
A4. Bail/custody status, DA and vulnerability flags are as on the extract date, also when the
    as-of date is moved back.
The weekly history therefore reconstructs the queue from the dates; its final week equals the
"now" count only when the period ends on the as-of date.

Ball in whose court (features.md 3 idea 7)
-------------------------------------------
For each open file the days from creation to *d* are split at its dated events, which are kept
in order so the parts always add up to *d* - created:

* police: creation to submission (building the file); first rejection to *d* while the file is
  back with the police (REJECTED); action plan to *d* while the action plan is open;
* CJS/CPS: submission to first triage; after an acceptance until sent to the CPS (or *d*) --
  the file is with CJS awaiting sending or a charging decision; sent to the CPS to its decision
  (or *d*);
* unattributed: first rejection to the next dated event when the file has since been resubmitted
  (the resubmission date is not in the extract, so the police rework and the CJS re-triage
  cannot be told apart); action plan to *d* when the file has since gone back to the CPS.

Priority (domain.md 4.2 and R12)
--------------------------------
The CPS may take up to 28 days to decide (HMCPSI 2020; CPS publishes "% decided within 28 days",
domain.md 4.2), which is why R12 suggests files reach the CPS at least 28 days before the STL.
So a file whose earliest open STL falls within ``cps_window_days`` (default 28) of the as-of
date, not yet commenced, goes first; then custody/remand (``bail_status`` CUSTODY or REMANDED),
domestic abuse, a vulnerable victim; then the oldest submission. The order of the factors is
configuration (:class:`QueuePolicy`), applied in SQL through bound list parameters: the list is
sorted by the factor flags in the configured order (most important first), then by submission
date. Each row shows its rank as text ("1 · STL in CPS window").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from core.queries import queries, rule_params, run
from core.scope import Scope

if TYPE_CHECKING:  # core.config may one day hold a QueuePolicy: no import cycle at run time
    from core.config import Thresholds

# -- positions -------------------------------------------------------------------------------
AWAITING_TRIAGE = "AWAITING_TRIAGE"
ACCEPTED = "ACCEPTED"
SENT_TO_CPS = "SENT_TO_CPS"
ACTION_PLAN = "ACTION_PLAN"
RESUBMITTED = "RESUBMITTED"
REJECTED = "REJECTED"
NOT_SUBMITTED = "NOT_SUBMITTED"
FINISHED = "FINISHED"

STAGES: tuple[str, ...] = (AWAITING_TRIAGE, ACCEPTED, SENT_TO_CPS, ACTION_PLAN, RESUBMITTED)
"""The queue stages (contract ``file_status`` values), in the order the page shows them."""
OPEN_POSITIONS: tuple[str, ...] = (*STAGES, REJECTED)
"""Submitted and not finished: the queue stages plus files back with the police."""

STAGE_LABELS: dict[str, str] = {
    AWAITING_TRIAGE: "📥 Awaiting CJS triage",
    ACCEPTED: "✅ Accepted by CJS",
    SENT_TO_CPS: "📤 Sent to CPS",
    ACTION_PLAN: "📝 CPS action plan returned",
    RESUBMITTED: "🔁 Resubmitted, awaiting re-triage",
    REJECTED: "↩️ Rejected, back with the police",
}
POSITION_LABELS: dict[str, str] = {
    **STAGE_LABELS,
    NOT_SUBMITTED: "not submitted to CJS by the as-of date (incl. files opened later)",
    FINISHED: "finished: charged, final CPS decision, or decided/closed",
}
STAGE_COLOURS: dict[str, str] = {
    AWAITING_TRIAGE: "#1d4f91",
    ACCEPTED: "#3b82c4",
    SENT_TO_CPS: "#6d28d9",
    ACTION_PLAN: "#b45309",
    RESUBMITTED: "#0f766e",
    REJECTED: "#9ca3af",
}

# -- priority factors --------------------------------------------------------------------------
STL_IN_CPS_WINDOW = "STL_IN_CPS_WINDOW"
CUSTODY = "CUSTODY"
DOMESTIC_ABUSE = "DOMESTIC_ABUSE"
VULNERABLE_VICTIM = "VULNERABLE_VICTIM"
FACTORS: tuple[str, ...] = (STL_IN_CPS_WINDOW, CUSTODY, DOMESTIC_ABUSE, VULNERABLE_VICTIM)
"""Every factor the SQL knows, in the order ``queue_list`` lists their flags (keep the two in step)."""
FACTOR_LABELS: dict[str, str] = {
    STL_IN_CPS_WINDOW: "STL in CPS window",
    CUSTODY: "Custody / remand",
    DOMESTIC_ABUSE: "Domestic abuse",
    VULNERABLE_VICTIM: "Vulnerable victim",
}
NO_FACTOR_LABEL = "No priority factor (oldest first)"

# -- ball in whose court -----------------------------------------------------------------------
HOLDERS: tuple[str, ...] = ("police_days", "cjs_days", "unattributed_days")
HOLDER_LABELS: dict[str, str] = {
    "police_days": "👮 Police",
    "cjs_days": "🏛️ CJS / CPS",
    "unattributed_days": "❔ Not attributable",
}
HOLDER_COLOURS: dict[str, str] = {"police_days": "#1d4f91", "cjs_days": "#b45309", "unattributed_days": "#9ca3af"}
ALL_SHOWN_LABEL = "All of these files"
HELD_CAPTION = (
    "Whose court: police = creation to submission, plus time back with the police after a rejection "
    "or while a CPS action plan is open; CJS/CPS = submission to first triage, after acceptance until "
    "sent to the CPS, and with the CPS until its decision. Not attributable = from a rejection to the "
    "next dated event once the file has been resubmitted, or from an action plan once the file has "
    "gone back to the CPS: the extract does not date resubmissions or re-sends. Only the latest CPS "
    "decision is dated, so earlier action plans are not seen."
)
HISTORY_CAPTION = (
    "Rebuilt from the dates in the extract: a file is open on a day if it was submitted by then and "
    "had not finished (charged, final CPS decision, or decided/closed). Undated police decisions and "
    "closures count from the file's last dated event; resubmission dates are not in the extract, so "
    "a file whose first triage was a rejection shows as rejected until its next dated event unless "
    "its current status already applies; custody and flags are as on the extract date."
)

# -- stage transitions (queue_stage_times) ----------------------------------------------------
TRANSITIONS: dict[str, tuple[str, str, str]] = {
    "BUILD": ("Created → submitted to CJS", "Created → submitted", "Police"),
    "TRIAGE": ("Submitted → first CJS triage", "Submitted → triaged", "CJS"),
    "ACCEPTED_TO_CPS": ("Accepted at first triage → sent to CPS", "Accepted → to CPS", "CJS"),
    "REJECTED_TO_CPS": ("Rejected at first triage → sent to CPS (police rework and re-triage)", "Rejected → to CPS",
                        "Mixed"),
    "ACCEPTED_TO_POLICE_CHARGE": ("Accepted → charged on a police decision", "Accepted → police charge",
                                  "Police decision maker"),
    "CPS_DECISION": ("Sent to CPS → CPS decision (no action plan)", "With CPS → decision", "CPS"),
    "CPS_ACTION_PLAN": ("Sent to CPS → action plan returned", "With CPS → action plan", "CPS"),
    "CPS_DECISION_AFTER_PLAN": ("Sent to CPS → final decision after an action plan (incl. police work)",
                                "With CPS → decision after plan", "Mixed"),
    "DECISION_TO_CHARGE": ("CPS charge decision → charged", "CPS decision → charged", "Police"),
    "SUBMITTED_TO_FINISHED": ("Submitted → charged or final CPS decision (whole queue time)", "Submitted → finished",
                              "All"),
}
"""Code → (label, short label for the chart, who holds the file during it). Median over files whose
transition ended in the period; a transition is only measured where both of its dates are in the extract."""


@dataclass(frozen=True)
class QueuePolicy:
    """Submission-queue settings (force policy, not law). Defaults are the issue's and domain.md's.

    Settings key for the lead to wire: ``[queue]`` in the settings TOML, read with
    :meth:`QueuePolicy.from_mapping` (e.g. ``factor_order = ["CUSTODY", "STL_IN_CPS_WINDOW"]``).
    """

    factor_order: tuple[str, ...] = FACTORS
    """Priority factors, most important first (names from :data:`FACTORS`); leave one out to ignore it."""
    cps_window_days: int = 28
    """A file's STL is 'in the CPS window' when it falls within this many days of the as-of date
    (inclusive) and proceedings have not commenced: the CPS may take up to 28 days to decide
    (domain.md 4.2; R12 suggests files reach the CPS at least 28 days before the STL)."""
    custody_statuses: tuple[str, ...] = ("CUSTODY", "REMANDED")
    """``bail_status`` values that count as custody/remand."""
    age_edges: tuple[int, ...] = (7, 14, 28, 56)
    """Age bands in days since submission: 0–7, 8–14, 15–28, 29–56, 57 or more."""
    list_limit: int = 500
    """The priority list shows at most this many files (the total is shown beside it)."""
    oldest_limit: int = 10
    """Rows in the 'oldest in the queue' table."""
    max_weeks: int = 104
    """The weekly history covers at most this many weeks, however long the period."""

    def __post_init__(self) -> None:
        unknown = [f for f in self.factor_order if f not in FACTORS]
        if unknown:
            raise ValueError(f"unknown priority factor(s): {', '.join(unknown)}; known: {', '.join(FACTORS)}")
        if len(set(self.factor_order)) != len(self.factor_order):
            raise ValueError("a priority factor is listed twice")
        if self.cps_window_days < 0:
            raise ValueError("cps_window_days must be 0 or more")
        if list(self.age_edges) != sorted(set(self.age_edges)) or any(e < 0 for e in self.age_edges):
            raise ValueError("age_edges must be increasing, non-negative whole days")
        if self.list_limit < 1 or self.oldest_limit < 1 or self.max_weeks < 1:
            raise ValueError("list_limit, oldest_limit and max_weeks must be at least 1")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QueuePolicy:
        """A policy from a settings table (TOML ``[queue]``); unknown keys are an error."""
        known = {f.name: f for f in fields(cls)}
        bad = set(data) - set(known)
        if bad:
            raise ValueError(f"unknown queue setting(s): {', '.join(sorted(bad))}")
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("factor_order", "custody_statuses"):
                changes[key] = tuple(str(v).upper() for v in value)
            elif key == "age_edges":
                changes[key] = tuple(int(v) for v in value)
            else:
                changes[key] = int(value)
        return replace(cls(), **changes)

    def priority_text(self, rank: int) -> str:
        """Rank as shown on screen: ``"1 · STL in CPS window"``; past the factors, no factor."""
        if 1 <= rank <= len(self.factor_order):
            return f"{rank} · {FACTOR_LABELS[self.factor_order[rank - 1]]}"
        return f"{len(self.factor_order) + 1} · {NO_FACTOR_LABEL}"

    def order_text(self) -> str:
        """The configured order in words, for a caption."""
        parts = [self.priority_text(i + 1) for i in range(len(self.factor_order) + 1)]
        window = f" (STL within {self.cps_window_days} days and not commenced)" if STL_IN_CPS_WINDOW in self.factor_order else ""
        return "  ›  ".join(parts) + window

    def age_labels(self) -> list[str]:
        """One label per age band, index = the band number the SQL returns."""
        labels, low = [], 0
        for edge in self.age_edges:
            labels.append(f"{low}–{edge} days")
            low = edge + 1
        labels.append(f"{low} days or more")
        return labels


DEFAULT_POLICY = QueuePolicy()

_STATEMENT_END = re.compile(r";\s*$", re.M)


def _macros() -> list[str]:
    return [s.strip() for s in _STATEMENT_END.split(queries()["queue_macros"]) if s.strip()]


def _run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run a named query of queue.sql with the queue macros installed on its cursor."""
    return run(con, name, params, macros=_macros())


def _params(scope: Scope, as_of: date, thresholds: Thresholds, policy: QueuePolicy) -> dict[str, Any]:
    return {
        **scope.params(),
        **rule_params(as_of, thresholds),
        "window_days": policy.cps_window_days,
        "age_edges": list(policy.age_edges),
        "custody_statuses": list(policy.custody_statuses),
        # 1-based positions in FACTORS, the order queue_list builds its flag list in.
        "factor_positions": [FACTORS.index(f) + 1 for f in policy.factor_order],
    }


# -- query functions: fn(con, scope, as_of, thresholds, **kwargs), for ui.data.q -----------------
def positions(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds,
    *, policy: QueuePolicy = DEFAULT_POLICY,
) -> pd.DataFrame:
    """Case files in scope by position and age band as of ``as_of`` (see ``queue_positions``)."""
    return _run(con, "queue_positions", _params(scope, as_of, thresholds, policy))


def queue_count(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds,
    *, policy: QueuePolicy = DEFAULT_POLICY,
) -> int:
    """Case files in scope at one of the five queue stages as of ``as_of``: the sum of ``positions``
    over :data:`STAGES`, counted without the per-file measures (the Overview's figure)."""
    df = _run(con, "queue_count", {**_params(scope, as_of, thresholds, policy), "stages": list(STAGES)})
    return int(df["files"].iloc[0])


@dataclass(frozen=True)
class QueueLists:
    """The two lists of the page, from one query: files in priority order and the oldest files."""

    priority: pd.DataFrame
    """At most ``policy.list_limit`` files, most urgent first, with ``priority`` and ``factors`` text."""
    oldest: pd.DataFrame
    """At most ``policy.oldest_limit`` files, earliest submission first."""
    matching: int
    """Files that matched the stages and age band (before either cap)."""


def queue_lists(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds,
    *, stages: Sequence[str] = STAGES, age_bucket: int | None = None, policy: QueuePolicy = DEFAULT_POLICY,
) -> QueueLists:
    """Files at ``stages`` (optionally one age band) as of ``as_of``: the first ``policy.list_limit``
    in priority order and the ``policy.oldest_limit`` oldest, both capped in SQL."""
    params = {
        **_params(scope, as_of, thresholds, policy),
        "stages": list(stages),
        "age_bucket": -1 if age_bucket is None else int(age_bucket),
        "limit": policy.list_limit,
        "oldest_limit": policy.oldest_limit,
    }
    df = _run(con, "queue_list", params)
    df["priority"] = [policy.priority_text(int(r)) for r in df["priority_rank"]]
    df["factors"] = [
        " · ".join(FACTOR_LABELS[f] for f, on in zip(policy.factor_order, flags, strict=True) if on)
        for flags in df["priority_flags"]
    ]
    matching = int(df["matching_files"].iloc[0]) if not df.empty else 0
    priority = df[df["priority_row"] <= policy.list_limit].sort_values("priority_row").reset_index(drop=True)
    oldest = df[df["age_row"] <= policy.oldest_limit].sort_values("age_row").reset_index(drop=True)
    return QueueLists(priority, oldest, matching)


def weekly(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds,
    *, period: tuple[date, date], policy: QueuePolicy = DEFAULT_POLICY,
) -> pd.DataFrame:
    """The queue at the end of each week of ``period`` (weeks end on the period's last day, or on
    ``as_of`` if that is earlier: later events have not happened), with arrivals and completions.

    Columns: week_end, one per open position (:data:`OPEN_POSITIONS`), arrived, completed, queue
    (the five stages), open (queue + REJECTED), net (arrived - completed). By construction
    ``open`` of a week = ``open`` of the week before + ``net``.
    """
    start, end = period
    last = min(end, as_of)
    cols = ["week_end", *OPEN_POSITIONS, "arrived", "completed", "queue", "open", "net"]
    if last < start:
        return pd.DataFrame(columns=cols)
    weeks = min((last - start).days // 7 + 1, policy.max_weeks)
    df = _run(con, "queue_weekly", {**scope.params(), "last_week_end": last, "weeks": weeks})
    df["queue"] = df[list(STAGES)].sum(axis=1)
    df["open"] = df["queue"] + df[REJECTED]
    df["net"] = df["arrived"] - df["completed"]
    return df[cols]


def stage_times(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds,
    *, period: tuple[date, date],
) -> pd.DataFrame:
    """Median and 90th-percentile days per transition ending in ``period`` (up to ``as_of``), one
    row per :data:`TRANSITIONS` entry in that order (files 0 and no median where none ended)."""
    start, end = period
    got = _run(con, "queue_stage_times", {**scope.params(), "start": start, "end": min(end, as_of)})
    got = got.set_index("transition")
    rows = []
    for code, (label, short, holder) in TRANSITIONS.items():
        has = code in got.index
        rows.append({
            "transition": code, "label": label, "short": short, "holder": holder,
            "files": int(got.at[code, "files"]) if has else 0,
            "median_days": float(got.at[code, "median_days"]) if has else None,
            "p90_days": float(got.at[code, "p90_days"]) if has else None,
        })
    return pd.DataFrame(rows, columns=["transition", "label", "short", "holder", "files", "median_days", "p90_days"])


def file_offences(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds,
    *, force_code: str, urn: str,
) -> pd.DataFrame:
    """The offences of one case file (within scope) with their STL and band as of ``as_of``."""
    params = {**scope.params(), **rule_params(as_of, thresholds), "force_code": force_code, "urn": urn}
    return _run(con, "queue_file_offences", params)


# -- pure summaries of ``positions`` ----------------------------------------------------------
def stage_counts(pos: pd.DataFrame, include: Iterable[str] = OPEN_POSITIONS) -> pd.DataFrame:
    """Files per position (every position in ``include``, zeros kept), columns position, files."""
    include = list(include)
    got = pos.groupby("position")["files"].sum() if not pos.empty else pd.Series(dtype="int64")
    return pd.DataFrame({"position": include, "files": [int(got.get(p, 0)) for p in include]})


def age_distribution(pos: pd.DataFrame, stages: Sequence[str], policy: QueuePolicy = DEFAULT_POLICY) -> pd.DataFrame:
    """Files at ``stages`` per age band since submission: age_bucket, age_band (label), files."""
    labels = policy.age_labels()
    sel = pos[pos["position"].isin(list(stages)) & pos["age_bucket"].notna()]
    got = sel.groupby("age_bucket")["files"].sum()
    return pd.DataFrame({
        "age_bucket": list(range(len(labels))),
        "age_band": labels,
        "files": [int(got.get(i, 0)) for i in range(len(labels))],
    })


def held_by_stage(pos: pd.DataFrame, include: Sequence[str] = OPEN_POSITIONS) -> pd.DataFrame:
    """Ball in whose court per position and in total: files, days per holder and mean days per file."""
    rows = []
    for p in [*include, "ALL"]:
        sel = pos[pos["position"].isin(include if p == "ALL" else [p])]
        n = int(sel["files"].sum())
        row: dict[str, Any] = {"position": p, "files": n}
        for h in HOLDERS:
            total = int(sel[h].sum())
            row[h] = total
            row[f"mean_{h}"] = round(total / n, 1) if n else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def file_timeline(file: Mapping[str, Any]) -> pd.DataFrame:
    """The dated events of one listed file (a row of ``QueueLists``), for its detail panel."""
    def text(value: Any) -> str:
        return value.replace("_", " ").lower() if isinstance(value, str) else ""

    rows = [
        ("File created", file["created_date"]),
        ("First submitted to CJS", file["submitted_to_cjs_date"]),
        (f"First CJS triage {text(file['cjs_triage_outcome'])}".strip(), file["cjs_triage_date"]),
        ("Sent to CPS", file["sent_to_cps_date"]),
        (f"CPS decision {text(file['cps_decision'])}".strip(), file["cps_decision_date"]),
    ]
    return pd.DataFrame(rows, columns=["event", "date"])


@dataclass(frozen=True)
class Reconciliation:
    """Case files in scope = shown + each exclusion (exact, from one ``positions`` result)."""

    in_scope: int
    shown: int
    excluded: list[tuple[str, int]] = field(default_factory=list)
    matching: int = 0
    """Files that match the stage/age selection (the list shows at most ``policy.list_limit``)."""

    @property
    def balanced(self) -> bool:
        return self.in_scope == self.shown + sum(n for _, n in self.excluded)


def reconcile(
    pos: pd.DataFrame, stages: Sequence[str], age_bucket: int | None, policy: QueuePolicy = DEFAULT_POLICY,
) -> Reconciliation:
    """Split the files in scope into shown and excluded-with-a-reason for the page's footer."""
    def n(mask: pd.Series) -> int:
        return int(pos.loc[mask, "files"].sum())

    stages = list(stages)
    in_queue = pos["position"].isin(STAGES)
    selected = pos["position"].isin(stages)
    in_band = pos["age_bucket"] == age_bucket if age_bucket is not None else pd.Series(True, index=pos.index)
    matching = n(selected & in_band)
    shown = min(matching, policy.list_limit)
    excluded = [
        (POSITION_LABELS[NOT_SUBMITTED], n(pos["position"] == NOT_SUBMITTED)),
        (POSITION_LABELS[FINISHED], n(pos["position"] == FINISHED)),
        ("rejected and back with the police, awaiting resubmission (not in the CJS queue)",
         n((pos["position"] == REJECTED) & ~selected)),
        ("in the queue at a stage not selected", n(in_queue & ~selected)),
    ]
    if age_bucket is not None:
        excluded.append(("at a selected stage but outside the chosen age band", n(selected & ~in_band)))
    excluded.append((f"beyond the first {policy.list_limit:,} in priority order", matching - shown))
    return Reconciliation(int(pos["files"].sum()), shown, excluded, matching)


# -- figures (plotly, no Streamlit) -----------------------------------------------------------
def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    # Bar labels that do not fit are hidden rather than shrunk or turned on their side.
    fig.update_layout(title=title, height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      uniformtext={"minsize": 11, "mode": "hide"})
    return fig


def stage_bar(counts: pd.DataFrame, selected: Sequence[str] = STAGES) -> go.Figure:
    """One horizontal bar per position, labelled with text and count; unselected stages faded."""
    fig = go.Figure(go.Bar(
        x=counts["files"], y=[STAGE_LABELS[p] for p in counts["position"]], orientation="h",
        marker_color=[STAGE_COLOURS[p] for p in counts["position"]],
        marker_opacity=[1.0 if p in selected else 0.35 for p in counts["position"]],
        text=[f"{n:,}" for n in counts["files"]], textposition="auto",
        customdata=counts["position"], hovertemplate="%{y}: %{x:,} files<extra></extra>",
    ))
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis_title="case files", showlegend=False)
    return _layout(fig, "Case files by stage (click a bar to list its files)", 60 + 40 * max(len(counts), 1))


def age_bar(ages: pd.DataFrame) -> go.Figure:
    """Files per age band since submission; each bar carries its band number for drill-down."""
    fig = go.Figure(go.Bar(
        x=ages["age_band"], y=ages["files"], marker_color="#1d4f91",
        text=[f"{n:,}" for n in ages["files"]], textposition="auto",
        customdata=ages["age_bucket"], hovertemplate="%{x}: %{y:,} files<extra></extra>",
    ))
    fig.update_layout(xaxis_title="days since first submission to CJS", yaxis_title="case files", showlegend=False)
    return _layout(fig, "Age of the selected files (click a bar to list them)", 320)


def weekly_stage_chart(weeks: pd.DataFrame) -> go.Figure:
    """Stacked bars of the queue by stage at each week's end, rejected files on top, open total as a line."""
    fig = go.Figure()
    for p in OPEN_POSITIONS:
        fig.add_bar(x=weeks["week_end"], y=weeks[p], name=STAGE_LABELS[p], marker_color=STAGE_COLOURS[p],
                    customdata=[p] * len(weeks), hovertemplate=f"{STAGE_LABELS[p]}: %{{y:,}}<extra></extra>")
    fig.add_scatter(x=weeks["week_end"], y=weeks["queue"], name="In the CJS queue", mode="lines+markers",
                    line={"color": "#111111"}, hovertemplate="In the queue: %{y:,}<extra></extra>")
    fig.update_layout(barmode="stack", xaxis_title="week ending", yaxis_title="case files",
                      legend={"orientation": "h", "y": -0.25, "traceorder": "normal"})
    return _layout(fig, "Queue at the end of each week, by stage", 420)


def flow_chart(weeks: pd.DataFrame) -> go.Figure:
    """Arrivals against completions per week, with the open backlog as a line on a second axis."""
    fig = go.Figure()
    fig.add_bar(x=weeks["week_end"], y=weeks["arrived"], name="📥 Arrived (submitted)", marker_color="#1d4f91",
                hovertemplate="Arrived: %{y:,}<extra></extra>")
    fig.add_bar(x=weeks["week_end"], y=weeks["completed"], name="🏁 Completed (finished)", marker_color="#2e7d32",
                hovertemplate="Completed: %{y:,}<extra></extra>")
    fig.add_scatter(x=weeks["week_end"], y=weeks["open"], name="Open backlog (incl. rejected)", yaxis="y2",
                    mode="lines+markers", line={"color": "#111111", "dash": "dot"})
    fig.update_layout(barmode="group", xaxis_title="week ending", yaxis_title="case files per week",
                      yaxis2={"title": "open files", "overlaying": "y", "side": "right", "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.25})
    return _layout(fig, "Weekly arrivals against completions, and the backlog", 420)


def stage_times_chart(times: pd.DataFrame) -> go.Figure:
    """Median days per transition (90th percentile in the hover), labelled with who holds the file."""
    shown = times[times["files"] > 0]
    fig = go.Figure(go.Bar(
        x=shown["median_days"], y=[f"{s} ({h})" for s, h in zip(shown["short"], shown["holder"], strict=True)],
        orientation="h", marker_color="#3b82c4", text=[f"{m:g} d" for m in shown["median_days"]],
        textposition="outside", cliponaxis=False, customdata=shown[["label", "p90_days", "files"]].values,
        hovertemplate="%{customdata[0]}<br>median %{x:g} days, 90th percentile %{customdata[1]:g}, "
                      "%{customdata[2]:,} files<extra></extra>",
    ))
    top = float(shown["median_days"].max()) if not shown.empty else 1.0
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis={"title": "median days", "range": [0, top * 1.2]},
                      showlegend=False)
    return _layout(fig, "Median days per stage", 80 + 38 * max(len(shown), 1))


def held_chart(held: pd.DataFrame) -> go.Figure:
    """Mean days per file by holder, one stacked bar per position and one for all open files."""
    names = [STAGE_LABELS.get(p, ALL_SHOWN_LABEL) for p in held["position"]]
    fig = go.Figure()
    for h in HOLDERS:
        fig.add_bar(y=names, x=held[f"mean_{h}"], name=HOLDER_LABELS[h], orientation="h",
                    marker_color=HOLDER_COLOURS[h], text=[f"{v:g}" for v in held[f"mean_{h}"]],
                    textposition="inside", hovertemplate=f"{HOLDER_LABELS[h]}: %{{x:g}} days per file<extra></extra>")
    fig.update_layout(barmode="stack", yaxis={"autorange": "reversed"}, xaxis_title="mean days per file",
                      legend={"orientation": "h", "y": -0.2, "traceorder": "normal"})
    return _layout(fig, "Ball in whose court: days held, per file", 90 + 40 * max(len(held), 1))
