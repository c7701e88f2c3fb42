"""Load history: every published load kept as a dated snapshot, and the rule that retires them.

Why this module exists
----------------------
The store publishes each load as a complete, self-contained generation file
(``gen-<UTC load time>-<n>.duckdb``, see ``core.store``). Kept for a while instead of being
deleted at the next load, those files are a real history of the extracts: the "what changed since
the last JOIM" view (``core.changes``) compares two of them, and its trend counts the cases at risk
in each. Nothing is reconstructed from dates.

A snapshot's date is its **load time**, the UTC time stamped in the generation's file name when the
load began (the ``now`` of ``data_loaders.load.load_extracts``, also ``load_log.started_at``). It is
read from the name, so listing snapshots opens no database.

Retention (reliability.md O8, O14; DPA 2018 s.39: kept no longer than necessary, with time limits
for review). A load's snapshot is kept while it was loaded within ``history_days`` of the newest
load, and the newest ``keep_generations`` are always kept, whatever their age; the served
generation is never deleted. The rule (:func:`retention_plan`) takes the reference time as an
argument and never reads the clock. Each deletion is recorded in the store's load-attempt log as a
``pruned`` entry naming the generation files removed (file names are load times: no personal data).

Disk: every snapshot is a full copy (about 18% of the extracts' CSV size, performance.md section 1),
so ``history_days = 400`` with one load a day keeps about 400 copies; set it to what the force's
retention schedule and disk allow.

Opening snapshots: the one place a path is written into SQL
------------------------------------------------------------
:func:`attach` opens a private in-memory DuckDB and ``ATTACH``es snapshot files to it
``READ_ONLY`` under fixed aliases, then switches off file and network access and locks the
configuration, exactly as ``Store.connect_read`` does for the dashboard's connection. DuckDB's
``ATTACH`` takes its path only as a string literal, never as a bound parameter, so this is the one
exception to "values are always bound": the path must be one of the store's own generation files
(checked against ``Store.generations()``, and its name must match the generation pattern), the
alias must be a plain lower-case word, and any quote in the path is doubled. A private instance is
used because the dashboard's shared connection has ``ATTACH`` switched off (reliability.md
decision 7), and must keep it off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from core.store import Store, StoreError

GEN_NAME = re.compile(r"^gen-(\d{8}T\d{12})-(\d+)\.duckdb$")
"""A published generation's file name: ``gen-<UTC load time, %Y%m%dT%H%M%S%f>-<n>.duckdb``."""
_ALIAS = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_HARDEN = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET enable_progress_bar = false",
    "SET lock_configuration = true",
)


def loaded_at(name: str) -> datetime | None:
    """The UTC load time stamped in a generation file name, or None if the name is not one."""
    m = GEN_NAME.match(name)
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Snapshot:
    """One published load kept on disk."""

    name: str
    path: Path
    loaded_at: datetime
    """UTC time the load began (from the file name)."""
    current: bool = False
    """True for the generation the dashboard serves."""

    @property
    def loaded_on(self) -> date:
        """The UTC calendar day of the load: the day whose extract this snapshot holds."""
        return self.loaded_at.date()

    @property
    def label(self) -> str:
        return f"{self.loaded_at:%a %d/%m/%Y %H:%M} UTC" + (" (current)" if self.current else "")


def snapshots(store: Store) -> list[Snapshot]:
    """The store's snapshots, oldest first, from the file names alone (no database is opened).

    Files whose names carry no load time (never written by ``Store``) are left out.
    """
    try:
        current = store.current().name
    except StoreError:
        current = None
    out = []
    for path in store.generations():
        at = loaded_at(path.name)
        if at is not None:
            out.append(Snapshot(path.name, path, at, path.name == current))
    return out


def resolve(snaps: Sequence[Snapshot], on: date) -> Snapshot | None:
    """The snapshot a meeting held on ``on`` would have seen: the newest loaded on or before that
    day (a load on the meeting day itself counts). None when every snapshot is later."""
    chosen = None
    for snap in sorted(snaps, key=lambda s: (s.loaded_at, s.name)):
        if snap.loaded_on <= on:
            chosen = snap
    return chosen


def thin(snaps: Sequence[Snapshot], start: date, end: date, max_points: int) -> list[Snapshot]:
    """Snapshots for a trend over ``start``..``end`` (inclusive): the last load of each day, at most
    ``max_points`` of them, spread evenly and always keeping the newest. Oldest first."""
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    per_day: dict[date, Snapshot] = {}
    for snap in sorted(snaps, key=lambda s: (s.loaded_at, s.name)):
        if start <= snap.loaded_on <= end:
            per_day[snap.loaded_on] = snap
    days = [per_day[d] for d in sorted(per_day)]
    if len(days) <= max_points:
        return days
    if max_points == 1:
        return [days[-1]]
    step = (len(days) - 1) / (max_points - 1)
    picked = sorted({round(len(days) - 1 - i * step) for i in range(max_points)})
    return [days[i] for i in picked]


# -- retention ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetentionPlan:
    kept: tuple[str, ...]
    removed: tuple[str, ...]


def retention_plan(
    names: Iterable[str],
    *,
    keep: int,
    history_days: int,
    reference: datetime,
    current: str | None,
) -> RetentionPlan:
    """Which generation files to keep and which to delete.

    Kept: the newest ``keep`` generations (by name, which sorts by load time); every generation
    loaded within ``history_days`` days of ``reference`` (the newest load's time), the boundary
    included (exactly ``history_days`` days older is kept, a microsecond more is not); generations
    stamped later than ``reference``; and ``current``, always. A name with no load time counts as
    outside the window. Source: reliability.md O8/O14 (retention by time limit, logged erasure).
    """
    if keep < 0 or history_days < 0:
        raise ValueError("keep and history_days must not be negative")
    if reference.tzinfo is None:
        raise ValueError("reference must be a timezone-aware time (UTC)")
    ordered = sorted(set(names))
    newest = set(ordered[len(ordered) - keep:]) if keep else set()
    oldest_kept = reference - timedelta(days=history_days)
    kept, removed = [], []
    for name in ordered:
        at = loaded_at(name)
        if name in newest or name == current or (at is not None and at >= oldest_kept):
            kept.append(name)
        else:
            removed.append(name)
    return RetentionPlan(tuple(kept), tuple(removed))


# -- opening snapshots ---------------------------------------------------------------------------
def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def attach(store: Store, files: Mapping[str, str | Path]) -> duckdb.DuckDBPyConnection:
    """A private, hardened in-memory DuckDB with each ``alias -> generation`` attached READ_ONLY.

    Each file must be one of ``store``'s generation files (given by name or path); anything else
    raises StoreError before any SQL runs. See the module docstring for why this is the one place
    a value is written into SQL. Close the connection when done.
    """
    known = {p.name: p for p in store.generations()}
    resolved: dict[str, Path] = {}
    for alias, file in files.items():
        if not _ALIAS.match(alias) or alias in ("memory", "system", "temp", "main"):
            raise ValueError(f"not a usable database alias: {alias!r}")
        name = Path(file).name
        if not GEN_NAME.match(name) or name not in known:
            raise StoreError(f"{name!r} is not a snapshot kept in this store")
        if Path(file).name != str(file) and Path(file).resolve() != known[name].resolve():
            raise StoreError(f"{file!r} is not a snapshot kept in this store")
        resolved[alias] = known[name]
    con = duckdb.connect(":memory:")
    try:
        for alias, path in resolved.items():
            con.execute(f"ATTACH {_literal(path)} AS {alias} (READ_ONLY)")
        for stmt in _HARDEN:
            con.execute(stmt)
    except BaseException:
        con.close()
        raise
    return con


# -- listing with details (the cli 'history' command, the page's snapshot table) -------------------
def details(store: Store, snaps: Sequence[Snapshot] | None = None) -> pd.DataFrame:
    """One row per snapshot, oldest first: its load time, when it was published, the files of its
    load, the forces it holds and its row counts. Opens each snapshot (read-only)."""
    rows = []
    for snap in snapshots(store) if snaps is None else snaps:
        con = attach(store, {"snap": snap.name})
        try:
            meta = dict(con.execute("SELECT key, value FROM snap.meta").fetchall())
            files = [r[0] for r in con.execute(
                "SELECT file_name FROM snap.load_log WHERE generation = $g ORDER BY file_name",
                {"g": snap.name}).fetchall()]
            load_id = con.execute("SELECT max(load_id) FROM snap.load_log").fetchall()[0][0]
            forces = [r[0] for r in con.execute(
                "SELECT DISTINCT force_code FROM (SELECT force_code FROM snap.case_offences "
                "UNION ALL SELECT force_code FROM snap.custody) ORDER BY 1").fetchall()]
            case_rows = con.execute("SELECT count(*) FROM snap.case_offences").fetchall()[0][0]
            custody_rows = con.execute("SELECT count(*) FROM snap.custody").fetchall()[0][0]
        finally:
            con.close()
        published = meta.get("published_at")
        rows.append({
            "generation": snap.name,
            "loaded_at": snap.loaded_at.replace(tzinfo=None),
            "published_at": pd.Timestamp(published).tz_convert("UTC").tz_localize(None) if published else pd.NaT,
            "load_id": load_id,
            "files": ", ".join(files),
            "forces": ", ".join(forces),
            "case_offence_rows": int(case_rows),
            "custody_rows": int(custody_rows),
            "current": snap.current,
        })
    return pd.DataFrame(rows, columns=["generation", "loaded_at", "published_at", "load_id", "files", "forces",
                                       "case_offence_rows", "custody_rows", "current"])


def erasures(store: Store) -> list[dict]:
    """The retention deletions recorded in the store's load-attempt log, oldest first."""
    return [a for a in store.attempts() if a.get("status") == "pruned"]
