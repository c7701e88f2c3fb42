"""The NGAP allocations tracker's traffic light (force policy, configurable; not law).

A Not Guilty Anticipated Plea case that has had its first hearing needs an upgrade file: the
remaining statements, exhibits and disclosure schedules for trial. The deadline is set by local
Transforming Summary Justice protocols, not statute (domain.md 5.2: UNCONFIRMED nationally), so
the extract carries the force's own ``upgrade_file_due_date`` and this module only judges it.

Lights, most urgent first, each with text and an icon as well as a colour:

* UNALLOCATED — no officer allocated (or allocated after the as-of date);
* OVERDUE — the upgrade file due date has passed;
* DUE_SOON — due within ``due_soon_days`` (inclusive), today included;
* NO_DUE_DATE — allocated but no due date recorded (a data gap, shown, not assumed safe);
* ON_TRACK — otherwise.
"""

from __future__ import annotations

from datetime import date

UNALLOCATED = "UNALLOCATED"
OVERDUE = "OVERDUE"
DUE_SOON = "DUE_SOON"
NO_DUE_DATE = "NO_DUE_DATE"
ON_TRACK = "ON_TRACK"
LIGHT_ORDER = (UNALLOCATED, OVERDUE, DUE_SOON, NO_DUE_DATE, ON_TRACK)
LIGHT_LABELS = {
    UNALLOCATED: "🔴 Unallocated",
    OVERDUE: "⛔ Overdue",
    DUE_SOON: "🟠 Due soon",
    NO_DUE_DATE: "❔ No due date",
    ON_TRACK: "🟢 On track",
}
LIGHT_COLOURS = {
    UNALLOCATED: "#b3261e",
    OVERDUE: "#7a1712",
    DUE_SOON: "#d97706",
    NO_DUE_DATE: "#6b7280",
    ON_TRACK: "#2e7d32",
}


def ngap_light(
    allocated_officer: str | None,
    allocation_date: date | None,
    upgrade_due: date | None,
    as_of: date,
    due_soon_days: int = 7,
) -> str:
    """Traffic light for one NGAP case as of ``as_of`` (events after ``as_of`` have not happened).

    Source: local TSJ case-progression protocol (upgrade file deadline), domain.md 5.2; the
    thresholds are force configuration. ``due_soon_days`` is inclusive: a file due exactly that
    many days ahead is DUE_SOON; one due today is DUE_SOON; one due yesterday is OVERDUE.
    """
    if not allocated_officer or (allocation_date is not None and allocation_date > as_of):
        return UNALLOCATED
    if upgrade_due is None:
        return NO_DUE_DATE
    days = (upgrade_due - as_of).days
    if days < 0:
        return OVERDUE
    if days <= due_soon_days:
        return DUE_SOON
    return ON_TRACK


NGAP_LIGHT_MACRO = f"""
CREATE OR REPLACE TEMP MACRO ngap_light(officer, allocated_on, due, as_of, soon) AS
    CASE
        WHEN officer IS NULL OR officer = '' OR (allocated_on IS NOT NULL AND allocated_on > as_of) THEN '{UNALLOCATED}'
        WHEN due IS NULL THEN '{NO_DUE_DATE}'
        WHEN due < as_of THEN '{OVERDUE}'
        WHEN due - as_of <= soon THEN '{DUE_SOON}'
        ELSE '{ON_TRACK}'
    END
"""
