"""How old the served data is, and whether it is too old to trust (the freshness guard).

Why: a dashboard that says nothing about the age of its data invites people to act on last week's
picture; a GREEN band on stale data is the dangerous case, because the file it calls safe may have
moved on since (features.md idea 9; reliability.md O7, FT-18: "stale banner with 'as of' time on
every page"). The threshold is force policy, not law: ``Settings.stale_after_hours`` (default 36
hours, a nightly extract that missed one run plus a working morning).

Rules (pinned by tests/unit/test_freshness.py):

* age = ``now - loaded_at``, both taken as UTC (a naive value is UTC: the load log stores naive
  UTC times);
* the data is **stale when its age is strictly greater than** ``max_age_hours``: at exactly the
  threshold it is still fresh, one microsecond later it is stale;
* a load time after ``now`` (the server clock went back) counts as age zero, not stale, and the
  message says the clock disagrees;
* with several extracts (each force's custody and case-file extracts are loaded on their own
  schedules), each is judged by its own newest load and the data is stale if any of them is.

Pure functions: ``now`` is always an argument, the clock is never read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.forces import force_label

KIND_LABELS = {"case_files": "case-file extract", "custody": "custody extract"}


@dataclass(frozen=True)
class Staleness:
    loaded_at: datetime
    """When the data was loaded (UTC, timezone-aware)."""
    age: timedelta
    """``now - loaded_at``; never negative."""
    max_age_hours: int
    stale: bool
    """True when ``age`` is more than ``max_age_hours`` hours."""
    message: str
    """One sentence for the banner, with the load time and the age in words."""
    clock_behind: bool = False
    """The load time is after ``now``: the server clock disagrees with the load log."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def describe_age(age: timedelta) -> str:
    """An age in words, coarse enough to read at a glance: '45 min', '5 h', '2 days 3 h'."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, _ = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h"
    days, rest = divmod(hours, 24)
    return f"{days} days {rest} h" if rest else f"{days} days"


def format_time(value: datetime) -> str:
    """'06:12 Tue 24 Nov 2026 UTC' (the sidebar's data stamp is in UTC too)."""
    v = _utc(value)
    return f"{v:%H:%M %a} {v.day} {v:%b %Y} UTC"


def staleness(loaded_at: datetime, now: datetime, max_age_hours: int) -> Staleness:
    """Judge data loaded at ``loaded_at`` as of ``now`` against ``max_age_hours`` (a whole number of
    hours, at least 1). Stale when the age is strictly greater than the threshold."""
    if isinstance(max_age_hours, bool) or not isinstance(max_age_hours, int) or max_age_hours < 1:
        raise ValueError(f"max_age_hours must be a whole number of hours, at least 1, not {max_age_hours!r}")
    loaded, current = _utc(loaded_at), _utc(now)
    raw_age = current - loaded
    behind = raw_age < timedelta(0)
    age = max(raw_age, timedelta(0))
    stale = age > timedelta(hours=max_age_hours)
    when = format_time(loaded)
    if behind:
        message = f"Data loaded {when}, which is after the server's current time: check the server clock."
    elif stale:
        message = (f"Stale data: loaded {when}, {describe_age(age)} ago, older than the "
                   f"{max_age_hours}-hour freshness threshold.")
    else:
        message = f"Data as of {when} ({describe_age(age)} old)."
    return Staleness(loaded, age, max_age_hours, stale, message, behind)


@dataclass(frozen=True)
class ExtractFreshness:
    force_code: str
    kind: str
    status: Staleness

    @property
    def label(self) -> str:
        return f"{force_label(self.force_code)} {KIND_LABELS.get(self.kind, self.kind)}"


def by_extract(
    files: Iterable[tuple[str, Sequence[str], datetime]],
    now: datetime,
    max_age_hours: int,
    forces: Iterable[str] | None = None,
) -> list[ExtractFreshness]:
    """Freshness of each (force, extract kind) from the files behind the served data.

    ``files`` holds ``(kind, forces, loaded_at)`` per file (``queries.data_as_of``); each force and
    kind is judged by its newest load. ``forces`` limits the answer to the viewer's forces (None:
    all). Sorted stalest first.
    """
    wanted = None if forces is None else set(forces)
    newest: dict[tuple[str, str], datetime] = {}
    for kind, file_forces, loaded_at in files:
        for force in file_forces or ():
            if wanted is not None and force not in wanted:
                continue
            key = (force, kind)
            at = _utc(loaded_at)
            if key not in newest or at > newest[key]:
                newest[key] = at
    out = [ExtractFreshness(f, k, staleness(at, now, max_age_hours)) for (f, k), at in newest.items()]
    return sorted(out, key=lambda e: (e.status.loaded_at, e.force_code, e.kind))


def banner_text(items: Sequence[ExtractFreshness], max_age_hours: int) -> str | None:
    """The stale-data banner for ``by_extract``'s answer, or None when nothing is stale.

    No extract at all (no load recorded for the viewer's forces) is treated as stale: the age of
    the data cannot be shown, so it must not be presented as current.
    """
    if not items:
        return ("Stale data: there is no record of when the data in your scope was loaded, so its age "
                "cannot be shown. Treat every figure as possibly out of date.")
    stale = [i for i in items if i.status.stale]
    if not stale:
        return None
    parts = [f"{i.label} loaded {format_time(i.status.loaded_at)} ({describe_age(i.status.age)} ago)" for i in stale]
    return (f"Stale data: {'; '.join(parts)}. That is older than the {max_age_hours}-hour freshness "
            "threshold, so figures may be out of date and a GREEN (safe) rating cannot be relied on. "
            "Load a new extract on the Data page.")
