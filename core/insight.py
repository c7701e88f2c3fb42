"""The Insight report: open cases nearing their STL and still unsubmitted, and custody records
whose file missed its target date (Norfolk's 'Insight report', seed document).

Shared by the headless command (``cli.py insight``) and the dashboard, so the file a scheduled
run writes and the file a user downloads are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from core import queries
from core.config import Thresholds
from core.export import ExportColumn, ExportSheet, write_report_csv, write_report_xlsx
from core.scope import Scope

CASE_COLUMNS = (
    ExportColumn("band", "Band", "band", 12),
    ExportColumn("last_working_day", "Last working day", "date", 14),
    ExportColumn("stl_date", "STL date", "date", 12),
    ExportColumn("days_remaining", "Days left", "int", 9),
    ExportColumn("urn", "URN", "text", 14),
    ExportColumn("defendant_id", "Defendant ref", "text", 14),
    ExportColumn("offence_code", "Offence code", "text", 11),
    ExportColumn("offence_title", "Offence", "text", 40),
    ExportColumn("offence_start_date", "Offence date", "date", 12),
    ExportColumn("stl_rule", "Rule", "text", 16),
    ExportColumn("stl_source", "Source", "text", 40),
    ExportColumn("stl_note", "Note", "text", 40),
    ExportColumn("oic_id", "OIC", "text", 10),
    ExportColumn("oic_name", "OIC name", "text", 20),
    ExportColumn("team", "Team", "text", 28),
    ExportColumn("supervisor_name", "Supervisor", "text", 20),
    ExportColumn("file_stage", "File stage", "text", 16),
    ExportColumn("file_status", "File status", "text", 14),
    ExportColumn("force_code", "Force", "text", 6),
)

CUSTODY_COLUMNS = (
    ExportColumn("file_target_date", "File target date", "date", 14),
    ExportColumn("days_overdue", "Days overdue", "int", 10),
    ExportColumn("custody_record_id", "Custody record", "text", 16),
    ExportColumn("arrest_date", "Arrest date", "date", 12),
    ExportColumn("custody_suite", "Custody suite", "text", 16),
    ExportColumn("disposal", "Disposal", "text", 16),
    ExportColumn("urn", "URN", "text", 14),
    ExportColumn("file_position", "File position", "text", 24),
    ExportColumn("oic_id", "OIC", "text", 10),
    ExportColumn("oic_name", "OIC name", "text", 20),
    ExportColumn("team", "Team", "text", 28),
    ExportColumn("force_code", "Force", "text", 6),
)


@dataclass
class InsightReport:
    as_of: date
    horizon_days: int
    cases: pd.DataFrame
    custody: pd.DataFrame

    @property
    def title(self) -> str:
        return f"Insight report: unsubmitted cases with an STL within {self.horizon_days} days"


def build(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date, thresholds: Thresholds) -> InsightReport:
    return InsightReport(
        as_of=as_of,
        horizon_days=thresholds.insight_days,
        cases=queries.insight_cases(con, scope, as_of, thresholds),
        custody=queries.custody_missed_target(con, scope, as_of, thresholds),
    )


def sheets(report: InsightReport) -> list[ExportSheet]:
    return [
        ExportSheet("STL nearing", report.cases, CASE_COLUMNS, report.title),
        ExportSheet("Custody missed target", report.custody, CUSTODY_COLUMNS,
                    "Custody records whose file was not submitted by its target date"),
    ]


def write(report: InsightReport, out_dir: Path, *, marking: str, generated_at: datetime,
          formats: tuple[str, ...] = ("csv", "xlsx")) -> list[Path]:
    """Write the report into ``out_dir``; file names carry the as-of date. Returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"insight-{report.as_of.isoformat()}"
    written = []
    if "csv" in formats:
        cases_csv = out_dir / f"{stem}-cases.csv"
        write_report_csv(report.cases, cases_csv, columns=CASE_COLUMNS, marking=marking,
                         title=report.title, as_of=report.as_of, generated_at=generated_at)
        custody_csv = out_dir / f"{stem}-custody.csv"
        write_report_csv(report.custody, custody_csv, columns=CUSTODY_COLUMNS, marking=marking,
                         title="Custody records whose file was not submitted by its target date",
                         as_of=report.as_of, generated_at=generated_at)
        written += [cases_csv, custody_csv]
    if "xlsx" in formats:
        xlsx = out_dir / f"{stem}.xlsx"
        write_report_xlsx(sheets(report), xlsx, marking=marking, title=report.title,
                          as_of=report.as_of, generated_at=generated_at)
        written.append(xlsx)
    return written
