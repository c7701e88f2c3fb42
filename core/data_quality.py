"""The Data page's logic: data-quality checks, the validation report and the load history.

Why this page exists (issue 4 point 3; features.md idea 10, "a validation report that never hides
rows"; reliability.md decision 10 and O7): every figure in Casewatch must be traceable to rows, and
the people who load extracts must see exactly which rows were set aside and why, and which served
rows look wrong even though they could be loaded.

Three things are reported, each traceable to a file and a row number in it:

* **The validation report**: the rows the loader quarantined (``quarantine`` table; written by
  ``data_loaders.validate``): file, row, first failing column, its value and every reason. It is
  chosen by load, and covers whole files whatever the sidebar filters: a row that could not be
  read may have no valid force or team to filter on.
* **Data-quality checks** over the served rows (``core/queries/data_quality.sql``), limited by the
  viewer's scope. Rows that load cleanly can still be wrong; each check is defined in ``CHECKS``
  (shown beside its count on the page) and counts rows of the extract (one offence row of a case
  file, one custody record), so every count can be found in the files.
* **The load history**: every load in the load log of the served generation, and every load
  *attempt* from the store's attempt log (``Store.attempts``), refused and failed ones included
  (a refused load publishes nothing, so only the attempt log knows of it).

Choices, documented here because they are judgement calls:

* *Unknown team*: without a configured team list (``DataPageSettings.known_teams``) a team name is
  flagged when it is carried by no more than ``rare_team_records`` records (cases, counted as URN
  and defendant, plus custody records) of its force across both extracts: a team that exists has
  many records, a misspelling has one. With a list, any team not on it (compared trimmed and
  case-insensitively) is flagged. A record with no team at all is always flagged: it falls
  outside every team filter.
* *Unknown offence code*: the code is not in the offence reference the load used (the bundled
  extract of the CJS Offence Index, or the force's full index, ``Settings.offence_index``), or its
  mode of trial could not be settled. With the bundled reference many real codes are unknown;
  the STL was then worked out from the extract's own mode of trial where it had one (domain.md R1).
  Custody offence codes are not checked (the reference is not kept with custody records).
* *Duplicates*: rows sharing their key (force, URN, defendant, offence number; or force and custody
  record) with an earlier row of the same file but differing in other columns: the loader keeps
  both and records a load warning (exact duplicates are quarantined instead, so they are in the
  validation report).
* *Impossible date order* is strictly-before: two events on the same day are possible.

Pure functions; query functions take ``(con, scope, as_of, thresholds, **kw)`` so the page can cache
them through ``ui.data.q`` (the as-of date does not change any check: they judge the extract as it is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from core.export import ExportColumn
from core.scope import Scope

if TYPE_CHECKING:  # core.config imports this module lazily (page settings), so not at run time
    from core.config import Thresholds


@dataclass(frozen=True)
class DataPageSettings:
    """Configuration of the Data page (settings table ``[data_page]``). Force choice, not law."""

    known_teams: tuple[str, ...] = ()
    """The force's team names. Empty (the default): a team is 'unknown' when its name is carried by
    no more than ``rare_team_records`` records of its force. Set: any team not in this list is."""
    rare_team_records: int = 1
    """Without a team list, a team name on this many records of its force or fewer is flagged."""
    list_cap: int = 1000
    """Rows listed on screen for a check or the validation report (the counts are always whole)."""
    export_cap: int = 100_000
    """Rows written to an XLSX export (the XLSX row cap of core.export)."""
    attempts_shown: int = 200
    """Load attempts listed, newest first."""

    def __post_init__(self) -> None:
        if self.rare_team_records < 1 or self.list_cap < 1 or self.export_cap < 1 or self.attempts_shown < 1:
            raise ValueError("Data page settings must be positive")


DEFAULT_SETTINGS = DataPageSettings()


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    definition: str


CHECKS: tuple[Check, ...] = (
    Check("missing_offence_date", "Missing offence date",
          "Offence rows with no offence date. The statutory time limit cannot be worked out, so the "
          "band is UNKNOWN (never 'no limit'; domain.md R1, R16)."),
    Check("impossible_date_order", "Impossible date order",
          "Dates in an order that cannot happen, one row per broken pair: submitted to CJS before the "
          "file was created; triaged before submission; CPS decision before the file was sent to the "
          "CPS; charged (proceedings commenced) or arrested before the offence date; offence end before "
          "its start; custody disposal before the arrest. Same-day events are allowed."),
    Check("unknown_team", "Unknown team",
          "Records with no team, or whose team is not in the configured team list; without a list, "
          "whose team name is carried by only one record (by default) of its force in either extract: "
          "probably a misspelling, and invisible under the right team's filter."),
    Check("unknown_offence_code", "Unknown offence code",
          "Offence rows whose offence code is not in the offence reference used at load (the bundled "
          "extract of the CJS Offence Index, or the force's full index), or whose mode of trial is "
          "unknown. The time limit then rests on the extract's own mode of trial, or cannot be worked out."),
    Check("duplicate", "Duplicate key",
          "Rows with the same force, URN, defendant and offence number (custody: the same custody record) "
          "as an earlier row of the same file but different values. Both were loaded; the loader "
          "recorded a warning. Exact duplicate rows are quarantined instead (validation report)."),
    Check("urn_format", "URN format",
          "URNs that do not match the URN format: force (2 digits), unit (2 characters), number "
          "(5 digits), year (2 digits), separators removed (36/AB/01234/25 is 36AB0123425; domain.md R15). "
          "Custody records with no URN yet are not flagged."),
)
CHECK_IDS = tuple(c.id for c in CHECKS)
BY_ID: Mapping[str, Check] = {c.id: c for c in CHECKS}


def _params(scope: Scope, known_teams: Iterable[str], rare_team_records: int) -> dict[str, Any]:
    if int(rare_team_records) < 1:
        raise ValueError("rare_team_records must be at least 1")
    return {
        **scope.params(),
        "known_teams": sorted({t.strip().lower() for t in known_teams if t and t.strip()}),
        "rare_team_records": int(rare_team_records),
    }


def check_counts(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    known_teams: tuple[str, ...] = (),
    rare_team_records: int = DEFAULT_SETTINGS.rare_team_records,
) -> pd.DataFrame:
    """Rows flagged by each check in the viewer's scope (columns check_id, title, definition, flagged),
    one row per check in ``CHECKS`` order, zeros included."""
    from core import queries  # here, not at the top: core.queries imports core.config

    got = queries.run(con, "dq_counts", _params(scope, known_teams, rare_team_records))
    counts = dict(zip(got["check_id"], got["flagged"], strict=True))
    return pd.DataFrame({
        "check_id": list(CHECK_IDS),
        "title": [c.title for c in CHECKS],
        "definition": [c.definition for c in CHECKS],
        "flagged": [int(counts.get(c.id, 0)) for c in CHECKS],
    })


def check_rows(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    check: str,
    known_teams: tuple[str, ...] = (),
    rare_team_records: int = DEFAULT_SETTINGS.rare_team_records,
    cap: int = DEFAULT_SETTINGS.list_cap,
) -> pd.DataFrame:
    """The rows behind one check, in file order, at most ``cap``: source, force_code, team, oic_id,
    urn, person, record, field, value, detail, src_file, src_row."""
    from core import queries

    if check not in BY_ID:
        raise ValueError(f"unknown check {check!r}; one of {', '.join(CHECK_IDS)}")
    params = {**_params(scope, known_teams, rare_team_records), "check": check, "cap": int(cap)}
    return queries.run(con, "dq_check_rows", params)


def loads(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> pd.DataFrame:
    """Every load in the served generation's load log, newest first, with its files and row counts.
    Whole-store: not limited by scope (a load is not one team's)."""
    from core import queries

    return queries.run(con, "dq_loads", {})


def quarantined(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    as_of: date,
    thresholds: Thresholds,
    *,
    load_ids: tuple[int, ...],
    cap: int = DEFAULT_SETTINGS.list_cap,
) -> pd.DataFrame:
    """The quarantined rows of the loads ``load_ids``, at most ``cap`` (load_id, file_name, src_row,
    column_name, value, reason, raw_record). Whole files: not limited by scope (see module doc)."""
    from core import queries

    return queries.run(con, "dq_quarantined", {"loads": [int(i) for i in load_ids], "cap": int(cap)})


def quarantine_count(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds, *, load_ids: tuple[int, ...]
) -> int:
    """How many quarantined rows the loads ``load_ids`` have (the validation report's total)."""
    from core import queries

    df = queries.run(con, "dq_quarantine_count", {"loads": [int(i) for i in load_ids]})
    return int(df["quarantined"].iloc[0])


def load_history(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> pd.DataFrame:
    """One row per file of every load in the load log, newest first, with ``rows_served`` (rows of
    the file still in the data: a later extract of the same force and kind replaces them) and a
    conservation column ``adds_up``: rows read = rows loaded + rows quarantined (the loader's own
    invariant)."""
    from core import queries

    df = queries.run(con, "dq_load_history", {})
    df["adds_up"] = df["rows_read"] == df["rows_loaded"] + df["rows_quarantined"]
    return df


# -- pure helpers for the page --------------------------------------------------------------------
ATTEMPT_LABELS = {
    "published": "✅ Published",
    "refused": "⛔ Refused",
    "failed": "❌ Failed",
    "pruned": "🗑️ Old generations removed",
}


def attempts_frame(entries: Sequence[Mapping[str, Any]], limit: int = DEFAULT_SETTINGS.attempts_shown) -> pd.DataFrame:
    """The store's load-attempt log (``Store.attempts()``) as a table, newest first, at most ``limit``
    rows: at (UTC), outcome (text with an icon), files, load_id, generation, errors."""
    rows = []
    for e in entries:
        at = pd.to_datetime(e.get("at"), utc=True, errors="coerce")
        status = str(e.get("status", ""))
        details = [str(x) for x in e.get("errors") or ()]
        if status == "pruned" and e.get("removed"):
            details = [f"removed {len(e['removed'])} generation(s) past retention"]
        rows.append({
            "at": at.tz_convert(None) if not pd.isna(at) else pd.NaT,
            "outcome": ATTEMPT_LABELS.get(status, status),
            "files": ", ".join(str(f) for f in e.get("files") or ()),
            "load_id": e.get("load_id"),
            "generation": e.get("generation"),
            "errors": "; ".join(details),
        })
    df = pd.DataFrame(rows, columns=["at", "outcome", "files", "load_id", "generation", "errors"])
    df["load_id"] = df["load_id"].astype("Int64")
    return df.iloc[::-1].head(limit).reset_index(drop=True)


def report_frame(files: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A load report (the ``files`` of a published load) as a table, one row per file, with the
    conservation check 'adds up' (read = loaded + quarantined) as text."""
    rows = []
    for f in files:
        read, loaded, quar = int(f["rows_read"]), int(f["rows_loaded"]), int(f["rows_quarantined"])
        rows.append({
            "File": str(f["file_name"]),
            "Extract": {"case_files": "Case files", "custody": "Custody"}.get(f.get("kind"), str(f.get("kind"))),
            "Forces": ", ".join(f.get("forces") or ()),
            "Rows read": read,
            "Loaded": loaded,
            "Quarantined": quar,
            "Skipped (blank or repeated header)": int(f.get("rows_skipped") or 0),
            "Warnings": int(f.get("warnings") or 0),
            "Adds up": "✅ yes" if read == loaded + quar else "⚠️ no",
            "Columns not kept": ", ".join(f.get("ignored_columns") or ()) or "none",
        })
    return pd.DataFrame(rows)


def errors_frame(errors: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A refused load's file-level errors as a table: file, row, column, problem."""
    return pd.DataFrame(
        [{
            "File": str(e.get("file") or ""),
            "Row": "" if e.get("row") is None else str(e["row"]),
            "Column": str(e.get("column") or ""),
            "Problem": str(e.get("reason") or e.get("message") or ""),
        } for e in errors],
        columns=["File", "Row", "Column", "Problem"],
    )


def load_label(row: Mapping[str, Any]) -> str:
    """'Load 3 · 24/11/2026 06:12 UTC · 2 files, 14 quarantined' for the load selector."""
    at = row.get("finished_at")
    known = isinstance(at, (datetime, pd.Timestamp)) and not pd.isna(at)
    when = f"{at:%d/%m/%Y %H:%M} UTC" if known else "time unknown"
    n = int(row.get("file_count") or 0)
    q = int(row.get("rows_quarantined") or 0)
    return f"Load {int(row['load_id'])} · {when} · {n} file{'s' if n != 1 else ''}, {q:,} quarantined"


QUARANTINE_EXPORT = (
    ExportColumn("load_id", "Load", "int"),
    ExportColumn("file_name", "File"),
    ExportColumn("src_row", "Row in file", "int"),
    ExportColumn("column_name", "Column"),
    ExportColumn("value", "Value"),
    ExportColumn("reason", "Reason"),
    ExportColumn("raw_record", "The row as the file had it", width=80),
)
CHECK_EXPORT = (
    ExportColumn("source", "Extract"),
    ExportColumn("force_code", "Force"),
    ExportColumn("team", "Team"),
    ExportColumn("oic_id", "OIC"),
    ExportColumn("urn", "URN"),
    ExportColumn("person", "Defendant / person"),
    ExportColumn("record", "Record"),
    ExportColumn("field", "Field"),
    ExportColumn("value", "Value"),
    ExportColumn("detail", "Why it is flagged", width=70),
    ExportColumn("src_file", "File"),
    ExportColumn("src_row", "Row in file", "int"),
)
