"""Insight-report export: CSV and formatted XLSX files that are safe to open.

Why this module exists
----------------------
Insight reports (open cases nearing their statutory time limit and still
unsubmitted; custody records whose file missed its target date) leave the
dashboard as files a CJS manager opens in Excel.  Once a file has left the
server we no longer control who sees it or what a spreadsheet does with it, so
every export carries three safeguards:

* **Protective marking** (Government Security Classifications Policy, see
  reliability.md O10).  The data is personal data processed for law enforcement
  (DPA 2018 Part 3) and usually marked OFFICIAL-SENSITIVE.  The marking is the
  first *and* last line of a CSV; in an XLSX it is the top row of every sheet
  (kept on screen by the frozen panes), the centre of every printed page header
  and footer, a custom document property, and the first line of the Notes sheet.

* **Formula-injection escaping** (OWASP ASVS 5.0 V1.2.10, CWE-1236; O15, BI-31,
  SC-19).  Case and custody extracts contain free text typed by people (names,
  offence wording, notes).  A cell such as ``=HYPERLINK("http://x")`` or
  ``@SUM(1)`` would run as a formula in Excel or LibreOffice.  :func:`escape_cell`
  prefixes any *text* value that starts with ``= + - @``, tab, CR or NUL with an
  apostrophe.  Only real numbers in ``int`` columns and real dates in ``date``
  columns are left alone; the text ``"-12"`` is escaped, the number ``-12`` is
  not.  In XLSX every text value is also written with ``write_string`` so it
  can never be stored as a formula, and the workbook is created with the
  ``strings_to_*`` conversions switched off.  CSV quoting follows RFC 4180
  (the :mod:`csv` module, CRLF line ends, minimal quoting).

* **Determinism.**  Equal inputs give byte-identical files: the workbook's
  ``created``/``modified`` properties come from ``generated_at`` (never the
  clock), xlsxwriter's in-memory mode stamps every zip member with a fixed
  1980 date, and nothing else varies.  That makes exports testable by hash and
  lets an auditor confirm that a file matches a logged disclosure.

Design choices
--------------
* xlsxwriter writes, openpyxl is only used by tests to read back
  (performance.md section 2: xlsxwriter is 2-2.5x faster for formatted export).
* xlsxwriter runs with ``in_memory=True`` and *not* ``constant_memory``: in the
  benchmark the normal mode was faster at 100k rows (17 s vs 21 s), and
  ``constant_memory`` spools each sheet to temp files on disk, which would
  leave personal data in the server's temp directory (O14: no stray copies).
  Memory is bounded instead by ``max_rows`` (:class:`ExportTooLarge`).
* The band column is written as text ("RED", "BLACK", ...) so it reads without
  colour (colour-blind users, greyscale printers), and coloured by conditional
  formatting rules so a user who edits a band sees the colour follow.
* This module is pure Python: no Streamlit.  Whether a user may export, the
  role-based row caps and the disclosure log belong to the caller.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import enum
import io
import math
import numbers
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import xlsxwriter

__all__ = [
    "BAND_MEANINGS",
    "BAND_STYLES",
    "DEFAULT_XLSX_MAX_ROWS",
    "ExportColumn",
    "ExportSheet",
    "ExportTooLarge",
    "FORMULA_TRIGGERS",
    "escape_cell",
    "write_report_csv",
    "write_report_xlsx",
]

ColumnKind: TypeAlias = Literal["text", "date", "int", "band"]
Target: TypeAlias = "str | os.PathLike[str] | IO[bytes]"

_KINDS: frozenset[str] = frozenset({"text", "date", "int", "band"})

#: First characters that make a spreadsheet treat a text cell as a formula or
#: split it oddly: ``=``, ``+``, ``-``, ``@`` (ASVS V1.2.10), tab and NUL
#: (ASVS), carriage return (common guidance, e.g. OWASP CSV Injection page).
FORMULA_TRIGGERS: frozenset[str] = frozenset("=+-@\t\r\0")

#: Default row cap for XLSX.  A formatted XLSX costs ~17 s per 100k rows and
#: holds the whole workbook in memory; above this the UI offers CSV instead.
DEFAULT_XLSX_MAX_ROWS = 100_000

#: Band text -> (fill colour, font colour).  Text stays the source of truth;
#: colour is a visual aid.  Colours follow GOV.UK palette tones with contrast
#: chosen so the label stays legible on the fill.
BAND_STYLES: Mapping[str, tuple[str, str]] = {
    "BLACK": ("#0B0C0C", "#FFFFFF"),
    "RED": ("#D4351C", "#FFFFFF"),
    "AMBER": ("#FFBF47", "#0B0C0C"),
    "GREEN": ("#00703C", "#FFFFFF"),
    "COMMENCED": ("#D9D9D9", "#0B0C0C"),
    "NO_LIMIT": ("#D9D9D9", "#0B0C0C"),
    "UNKNOWN": ("#D9D9D9", "#0B0C0C"),
}

#: Default "how to read" text for the Notes sheet.  Thresholds are force
#: configuration (core.rag), so no day counts are quoted here.
BAND_MEANINGS: Mapping[str, str] = {
    "BLACK": "Time limit has passed and proceedings were not commenced (time-barred).",
    "RED": "Inside the red threshold before the time limit or target date: act now.",
    "AMBER": "Inside the amber buffer before the time limit or target date.",
    "GREEN": "Outside the buffer: no immediate action needed.",
    "COMMENCED": "Proceedings commenced (charge, requisition or information laid): "
    "the time limit no longer runs.",
    "NO_LIMIT": "No statutory time limit applies to this offence.",
    "UNKNOWN": "Band could not be worked out (missing or invalid date): check the "
    "source record.",
}

_NOTES_SHEET = "Notes"
_HEADER_FOOTER_LIMIT = 255  # Excel's limit per header/footer string.
_EXCEL_MIN_YEAR = 1900  # Excel's 1900 date system cannot show earlier dates.
_MAX_AUTO_WIDTH = 60
_MIN_AUTO_WIDTH = 8


class ExportTooLarge(ValueError):
    """Raised before anything is written when an export exceeds its row cap.

    ``rows`` is the number of data rows requested, ``max_rows`` the cap.  The UI
    should catch this and offer CSV (or narrower filters) instead.
    """

    def __init__(self, rows: int, max_rows: int, fmt: str) -> None:
        self.rows = rows
        self.max_rows = max_rows
        self.fmt = fmt
        super().__init__(
            f"{fmt} export of {rows:,} rows exceeds the limit of {max_rows:,} rows; "
            "narrow the filters or export as CSV instead."
        )


@dataclass(frozen=True, slots=True)
class ExportColumn:
    """One exported column.

    ``name`` is the DataFrame column, ``header`` the text shown to the user.
    ``kind`` decides how values are written:

    * ``"text"``: written as text, formula-escaped.  Non-string values are
      turned into text first (dates as dd/mm/yyyy).
    * ``"date"``: real dates (``date``, ``datetime``, ``Timestamp``) become Excel
      dates shown dd/mm/yyyy (CSV: the dd/mm/yyyy text).  A time part is
      dropped.  Dates before 1900 (Excel cannot hold them) and non-date values
      are written as escaped text so nothing is lost silently.
    * ``"int"``: real numbers are written as numbers, unescaped (``-12`` stays
      ``-12``).  Any text value in the column is treated as text and escaped.
    * ``"band"``: band label as text (e.g. ``"RED"``), escaped, and in XLSX
      coloured by conditional formatting from :data:`BAND_STYLES`.  Enum
      members are written as their string value.

    ``width`` is the XLSX column width in characters; ``None`` sizes it from
    the header and the longest value (capped).
    """

    name: str
    header: str
    kind: ColumnKind = "text"
    width: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(
                f"ExportColumn {self.name!r}: kind must be one of {sorted(_KINDS)}, "
                f"not {self.kind!r}"
            )
        if self.width is not None and not (0 < self.width <= 255):
            raise ValueError(f"ExportColumn {self.name!r}: width must be 1..255")


@dataclass(frozen=True, eq=False, slots=True)
class ExportSheet:
    """One data sheet of an XLSX report: sheet tab name, data, columns, title."""

    name: str
    df: pd.DataFrame
    columns: Sequence[ExportColumn]
    title: str


# --------------------------------------------------------------------------
# Cell values
# --------------------------------------------------------------------------


def escape_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection in one cell value.

    A ``str`` whose first character is one of ``= + - @``, tab, CR or NUL gets
    a leading apostrophe (OWASP ASVS 5.0 V1.2.10, CWE-1236).  As defence in
    depth, a string that starts with other whitespace followed by ``= + - @``
    (e.g. ``"  =1+1"``, which some importers trim) is escaped too.

    Anything that is not a ``str`` (numbers, dates, ``None``) is returned
    unchanged: the caller decides which columns are typed.  Note that the text
    ``"-12"`` *is* escaped; only real numbers in numeric columns are exempt.
    Escaping is idempotent: ``"'=x"`` does not start with a trigger, so it is
    returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    if first in FORMULA_TRIGGERS:
        return "'" + value
    if first.isspace():
        stripped = value.lstrip()
        if stripped and stripped[0] in FORMULA_TRIGGERS:
            return "'" + value
    return value


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        result = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return bool(result) if isinstance(result, (bool, np.bool_)) else False


def _fmt_date(value: dt.date) -> str:
    # Not strftime: %Y is not zero-padded for years < 1000 on every platform.
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def _as_number(value: Any) -> int | float | None:
    """Return a finite int/float for real numbers (not bools), else None."""
    if isinstance(value, decimal.Decimal):  # not a numbers.Real
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _as_text(value: Any) -> str:
    """Text form of a non-missing value, before escaping."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return f"{_fmt_date(value)} {value:%H:%M}"
    if isinstance(value, dt.date):
        return _fmt_date(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    number = _as_number(value)
    if number is not None:
        return str(number)
    return str(value)


# Prepared cells are plain typed values, so the writers dispatch on type:
# ``str`` = text (already escaped), ``date`` = date, ``int``/``float`` =
# number, ``None`` = empty.  Text columns only ever yield str/None; date
# columns date/str/None; int columns int/float/str/None.

_TRIGGER_START = tuple(FORMULA_TRIGGERS)


def _prep_text(value: Any) -> str | None:
    if type(value) is str:  # fast path: most cells
        if value and (value.startswith(_TRIGGER_START) or value[0].isspace()):
            return str(escape_cell(value))
        return value
    if _is_missing(value):
        return None
    return str(escape_cell(_as_text(value)))


def _prep_date(value: Any) -> dt.date | str | None:
    if value is None or value is pd.NaT:  # NaT is a datetime subclass
        return None
    if isinstance(value, dt.datetime):  # includes pd.Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    return _prep_text(value)


def _prep_int(value: Any) -> int | float | str | None:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        if value != value:  # NaN
            return None
    if _is_missing(value):
        return None
    number = _as_number(value)
    if number is not None:
        return number
    return _prep_text(value)


_PREPARERS: Mapping[str, Callable[[Any], Any]] = {
    "text": _prep_text,
    "band": _prep_text,
    "date": _prep_date,
    "int": _prep_int,
}


def _csv_text(cell: Any) -> str:
    """CSV text of a prepared cell."""
    if cell is None:
        return ""
    if type(cell) is str:
        return cell
    if isinstance(cell, dt.date):
        return _fmt_date(cell)
    return str(cell)


# --------------------------------------------------------------------------
# Validation shared by both writers
# --------------------------------------------------------------------------


def _check_columns(df: pd.DataFrame, columns: Sequence[ExportColumn], where: str) -> None:
    if not columns:
        raise ValueError(f"{where}: at least one ExportColumn is required")
    missing = [c.name for c in columns if c.name not in df.columns]
    if missing:
        raise ValueError(f"{where}: DataFrame has no column(s) {missing}")


def _check_cap(rows: int, max_rows: int | None, fmt: str) -> None:
    if max_rows is not None and rows > max_rows:
        raise ExportTooLarge(rows, max_rows, fmt)


_CHUNK_ROWS = 10_000


def _prepared_rows(df: pd.DataFrame, columns: Sequence[ExportColumn]) -> Iterator[tuple[Any, ...]]:
    """Yield prepared rows in order.

    Values are pulled out column by column in chunks (fast, and memory stays
    bounded by the chunk rather than doubling the frame).
    """
    preparers = [_PREPARERS[c.kind] for c in columns]
    series = [df[c.name] for c in columns]
    for start in range(0, len(df), _CHUNK_ROWS):
        stop = start + _CHUNK_ROWS
        prepared = [
            list(map(prep, s.iloc[start:stop].tolist()))
            for prep, s in zip(preparers, series, strict=True)
        ]
        yield from zip(*prepared, strict=True)


def _generated_text(generated_at: dt.datetime) -> str:
    """Human display of the generation time, UK local time if tz-aware."""
    if generated_at.tzinfo is None:
        return f"{_fmt_date(generated_at)} {generated_at:%H:%M}"
    try:
        from zoneinfo import ZoneInfo

        local = generated_at.astimezone(ZoneInfo("Europe/London"))
    except Exception:  # no tz database: fall back to UTC, still correct
        local = generated_at.astimezone(dt.timezone.utc)
    return f"{_fmt_date(local)} {local:%H:%M} {local.tzname()}"


def _created_property(generated_at: dt.datetime) -> dt.datetime:
    """xlsxwriter stamps 'created' with a literal 'Z': give it naive UTC."""
    if generated_at.tzinfo is None:
        return generated_at
    return generated_at.astimezone(dt.timezone.utc).replace(tzinfo=None)


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def write_report_csv(
    df: pd.DataFrame,
    target: Target,
    *,
    columns: Sequence[ExportColumn],
    marking: str,
    title: str,
    as_of: dt.date,
    generated_at: dt.datetime,
    max_rows: int | None = None,
) -> int:
    """Write an Insight report as CSV; return the number of data rows written.

    Layout (UTF-8 with BOM so Excel detects the encoding; CRLF line ends;
    RFC 4180 minimal quoting)::

        OFFICIAL-SENSITIVE
        <title>
        As at: dd/mm/yyyy
        Generated: dd/mm/yyyy HH:MM GMT|BST
        <blank line>
        <header row>
        <data rows...>
        OFFICIAL-SENSITIVE

    Text cells (and the preamble) are formula-escaped with :func:`escape_cell`;
    dates are dd/mm/yyyy; numbers in ``int`` columns are plain.  A program
    reading the file back must skip the 5 preamble lines and the final
    marking line (``pandas.read_csv(..., skiprows=5, skipfooter=1,
    engine="python", encoding="utf-8-sig")``).

    ``target`` is a path or a binary file-like object (e.g. ``BytesIO``); a
    file-like object is left open.  ``max_rows`` is ``None`` (no cap) by
    default because CSV is the fallback for large exports; pass the caller's
    role-based cap to enforce one.  :class:`ExportTooLarge` is raised before
    anything is written.
    """
    _check_columns(df, columns, "write_report_csv")
    _check_cap(len(df), max_rows, "CSV")

    def emit(stream: IO[str]) -> int:
        writer = csv.writer(stream, dialect="excel", lineterminator="\r\n")
        writer.writerow([escape_cell(marking)])
        writer.writerow([escape_cell(title)])
        writer.writerow([f"As at: {_fmt_date(as_of)}"])
        writer.writerow([f"Generated: {_generated_text(generated_at)}"])
        writer.writerow([])
        writer.writerow([escape_cell(c.header) for c in columns])
        count = 0
        for row in _prepared_rows(df, columns):
            writer.writerow([_csv_text(cell) for cell in row])
            count += 1
        writer.writerow([escape_cell(marking)])
        return count

    if isinstance(target, (str, os.PathLike)):
        path = os.fspath(target)
        try:
            with open(path, "w", encoding="utf-8-sig", newline="") as stream:
                return emit(stream)
        except BaseException:
            # Never leave a half-written file of personal data behind.
            try:
                os.remove(path)
            except OSError:
                pass
            raise
    wrapper = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]
    try:
        count = emit(wrapper)
        wrapper.flush()
    finally:
        wrapper.detach()  # leave the caller's stream open
    return count


# --------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------


def _hf_text(text: str) -> str:
    """Make text literal inside an Excel header/footer string."""
    return text.replace("&", "&&")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _check_sheet_names(sheets: Sequence[ExportSheet], include_notes: bool) -> None:
    seen: set[str] = set()
    if include_notes:
        seen.add(_NOTES_SHEET.casefold())
    for sheet in sheets:
        name = sheet.name
        if not name or len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
            raise ValueError(
                f"Invalid sheet name {name!r}: 1-31 characters, none of []:*?/\\"
            )
        if name.startswith("'") or name.endswith("'"):
            raise ValueError(f"Invalid sheet name {name!r}: cannot start or end with '")
        key = name.casefold()
        if key in seen:
            reserved = f"; {_NOTES_SHEET!r} is reserved" if include_notes else ""
            raise ValueError(
                f"Duplicate sheet name {name!r} (names are case-insensitive{reserved})"
            )
        seen.add(key)


class _Formats:
    """The workbook's cell formats, created once."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.marking = wb.add_format({"bold": True, "font_color": "#0B0C0C"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.header = wb.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": "#1D3557",
                "border": 1,
                "text_wrap": True,
                "valign": "top",
            }
        )
        self.text = wb.add_format({"num_format": "@"})
        self.date = wb.add_format({"num_format": "dd/mm/yyyy"})
        self.number = wb.add_format({"num_format": "General"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.bold = wb.add_format({"bold": True})
        self.band_cf = {
            band: wb.add_format({"bg_color": fill, "font_color": font, "bold": True})
            for band, (fill, font) in BAND_STYLES.items()
        }
        self.band_static = {
            band: wb.add_format(
                {"bg_color": fill, "font_color": font, "bold": True, "border": 1}
            )
            for band, (fill, font) in BAND_STYLES.items()
        }


def _page_setup(
    ws: Any, *, marking: str, title: str, as_of: dt.date, repeat_row: int | None
) -> None:
    mark = _hf_text(_clip(marking, 80))
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # fit to width, as many pages tall as needed
    ws.set_header(f'&C&"-,Bold"{mark}')
    left = _hf_text(_clip(f"{title} (as at {_fmt_date(as_of)})", 90))
    footer = f"&L{left}&C{mark}&RPage &P of &N"
    if len(footer) > _HEADER_FOOTER_LIMIT:  # pragma: no cover - guarded by clips
        footer = f"&C{mark}&RPage &P of &N"
    ws.set_footer(footer)
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)


def _write_data_sheet(
    wb: xlsxwriter.Workbook,
    fmt: _Formats,
    sheet: ExportSheet,
    *,
    marking: str,
    as_of: dt.date,
) -> None:
    ws = wb.add_worksheet(sheet.name)
    columns = list(sheet.columns)
    marking_row, title_row, header_row = 0, 1, 2
    first_data = header_row + 1

    ws.write_string(marking_row, 0, escape_cell(marking), fmt.marking)
    ws.write_string(
        title_row, 0, escape_cell(f"{sheet.title} (as at {_fmt_date(as_of)})"), fmt.title
    )

    widths = [len(c.header) for c in columns]
    for col, column in enumerate(columns):
        ws.write_string(header_row, col, escape_cell(column.header), fmt.header)

    write_string = ws.write_string
    write_number = ws.write_number
    write_datetime = ws.write_datetime
    text_fmt, date_fmt, number_fmt = fmt.text, fmt.date, fmt.number

    row = first_data
    for cells in _prepared_rows(sheet.df, columns):
        for col, cell in enumerate(cells):
            if cell is None:
                continue
            if type(cell) is str:
                write_string(row, col, cell, text_fmt)
                length = len(cell)
            elif isinstance(cell, dt.date):
                if cell.year >= _EXCEL_MIN_YEAR:
                    write_datetime(row, col, cell, date_fmt)
                    length = 10
                else:  # Excel cannot hold it as a date: keep it as text
                    write_string(row, col, _fmt_date(cell), text_fmt)
                    length = 10
            else:
                write_number(row, col, cell, number_fmt)
                length = len(str(cell))
            if length > widths[col]:
                widths[col] = length
        row += 1
    last_data = row - 1
    n_rows = row - first_data

    for col, column in enumerate(columns):
        width = column.width
        if width is None:
            floor = 12 if column.kind == "date" else _MIN_AUTO_WIDTH
            width = min(max(widths[col] + 2, floor), _MAX_AUTO_WIDTH)
        ws.set_column(col, col, width)

    last_col = len(columns) - 1
    ws.freeze_panes(first_data, 0)
    ws.autofilter(header_row, 0, max(last_data, header_row), last_col)

    if n_rows:
        for col, column in enumerate(columns):
            if column.kind != "band":
                continue
            for band, band_fmt in fmt.band_cf.items():
                ws.conditional_format(
                    first_data,
                    col,
                    last_data,
                    col,
                    {"type": "cell", "criteria": "==", "value": f'"{band}"', "format": band_fmt},
                )

    _page_setup(ws, marking=marking, title=sheet.title, as_of=as_of, repeat_row=header_row)
    ws.set_selection(first_data, 0, first_data, 0)


def _write_notes_sheet(
    wb: xlsxwriter.Workbook,
    fmt: _Formats,
    sheets: Sequence[ExportSheet],
    *,
    marking: str,
    title: str,
    as_of: dt.date,
    generated_at: dt.datetime,
    band_meanings: Mapping[str, str],
) -> None:
    ws = wb.add_worksheet(_NOTES_SHEET)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 90)
    r = 0
    ws.write_string(r, 0, escape_cell(marking), fmt.marking)
    r += 1
    ws.write_string(r, 0, escape_cell(title), fmt.title)
    r += 2
    ws.write_string(r, 0, "As at", fmt.bold)
    if as_of.year >= _EXCEL_MIN_YEAR:
        ws.write_datetime(r, 1, as_of, fmt.date)
    else:
        ws.write_string(r, 1, _fmt_date(as_of))
    r += 1
    ws.write_string(r, 0, "Generated", fmt.bold)
    ws.write_string(r, 1, _generated_text(generated_at))
    r += 1
    ws.write_string(r, 0, "Protective marking", fmt.bold)
    ws.write_string(r, 1, escape_cell(marking))
    r += 2

    ws.write_string(r, 0, "Sheet", fmt.header)
    ws.write_string(r, 1, "Rows", fmt.header)
    r += 1
    for sheet in sheets:
        ws.write_string(r, 0, escape_cell(sheet.name))
        ws.write_number(r, 1, len(sheet.df), fmt.number)
        r += 1
    r += 1

    ws.write_string(r, 0, "How to read the bands", fmt.bold)
    r += 1
    ws.write_string(r, 0, "Band", fmt.header)
    ws.write_string(r, 1, "Meaning", fmt.header)
    r += 1
    for band, meaning in band_meanings.items():
        ws.write_string(r, 0, escape_cell(band), fmt.band_static.get(band))
        ws.write_string(r, 1, escape_cell(meaning), fmt.wrap)
        r += 1
    r += 1

    notes = [
        "The band is written as text in every row; the colour is only a visual aid.",
        "A cell starting with an apostrophe (') was altered on export so that "
        "spreadsheet software cannot run it as a formula; the apostrophe is not "
        "part of the source record.",
        "Dates are shown dd/mm/yyyy. Days are counted as at the date above.",
        "This file contains personal data processed for law enforcement purposes "
        "(Data Protection Act 2018 Part 3). Handle it in line with its protective "
        "marking, keep it only on approved systems and delete it when no longer needed.",
    ]
    ws.write_string(r, 0, "Notes", fmt.bold)
    for line in notes:
        ws.write_string(r, 1, line, fmt.wrap)
        r += 1

    _page_setup(ws, marking=marking, title=title, as_of=as_of, repeat_row=None)


def write_report_xlsx(
    data: pd.DataFrame | Sequence[ExportSheet],
    target: Target,
    *,
    marking: str,
    title: str,
    as_of: dt.date,
    generated_at: dt.datetime,
    columns: Sequence[ExportColumn] | None = None,
    sheet_name: str = "Report",
    include_notes: bool = True,
    band_meanings: Mapping[str, str] | None = None,
    max_rows: int | None = DEFAULT_XLSX_MAX_ROWS,
) -> int:
    """Write a formatted Insight report workbook; return total data rows.

    ``data`` is either one DataFrame (then ``columns`` is required and the
    sheet is called ``sheet_name`` with ``title`` as its title) or a sequence
    of :class:`ExportSheet` (then ``columns`` must be ``None``; ``title`` is
    the workbook title used on the Notes sheet and in document properties).

    Each data sheet: row 1 the marking, row 2 the title and as-at date, row 3
    the styled header row, data below; panes frozen under the header (the
    marking stays on screen); autofilter over header and data; dates as real
    Excel dates (dd/mm/yyyy); ``int`` columns as numbers; band columns as
    text coloured by conditional formatting.  Print setup: A4 landscape, fit
    to one page wide, header row repeated, marking centred in page header and
    footer, "Page n of m" in the footer.

    With ``include_notes`` (default) a first sheet "Notes" holds the marking,
    as-at date, generation time, row counts per sheet, a key to the bands
    (``band_meanings``, default :data:`BAND_MEANINGS`) and handling notes.  The
    first data sheet is the one the workbook opens on.

    Output is deterministic: document created/modified times come from
    ``generated_at`` (tz-aware values are converted to UTC; naive values are
    taken as UTC).  ``target`` is a path or binary file-like (e.g. ``BytesIO``,
    left open, written from its current position).  The total row count over
    all sheets is checked against ``max_rows`` before anything is written:
    :class:`ExportTooLarge` (``None`` disables the cap; Excel's own limit of
    1,048,573 data rows per sheet is always enforced).
    """
    if isinstance(data, pd.DataFrame):
        if columns is None:
            raise ValueError("write_report_xlsx: columns is required when data is a DataFrame")
        sheets: list[ExportSheet] = [ExportSheet(sheet_name, data, columns, title)]
    else:
        if columns is not None:
            raise ValueError(
                "write_report_xlsx: pass columns inside each ExportSheet, not as an argument"
            )
        sheets = list(data)
        if not sheets:
            raise ValueError("write_report_xlsx: at least one sheet is required")

    for sheet in sheets:
        _check_columns(sheet.df, sheet.columns, f"sheet {sheet.name!r}")
    _check_sheet_names(sheets, include_notes)
    _check_cap(sum(len(s.df) for s in sheets), max_rows, "XLSX")
    excel_rows = 1_048_576 - 3
    for sheet in sheets:
        _check_cap(len(sheet.df), excel_rows, f"XLSX sheet {sheet.name!r}")

    output: Any = os.fspath(target) if isinstance(target, (str, os.PathLike)) else target
    wb = xlsxwriter.Workbook(
        output,
        {
            "in_memory": True,  # no temp files with personal data; fixed zip dates
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": False,
        },
    )
    fmt = _Formats(wb)
    wb.set_properties(
        {
            "title": _clip(title, 250),
            "subject": "Casewatch Insight report",
            "author": "Casewatch",
            "company": "",
            "category": _clip(marking, 250),
            "keywords": _clip(marking, 250),
            "comments": f"As at {_fmt_date(as_of)}. Protective marking: {marking}",
            "created": _created_property(generated_at),
        }
    )
    wb.set_custom_property("Protective marking", _clip(marking, 250))

    if include_notes:
        _write_notes_sheet(
            wb,
            fmt,
            sheets,
            marking=marking,
            title=title,
            as_of=as_of,
            generated_at=generated_at,
            band_meanings=BAND_MEANINGS if band_meanings is None else band_meanings,
        )
    first_data_ws = None
    for sheet in sheets:
        _write_data_sheet(wb, fmt, sheet, marking=marking, as_of=as_of)
        if first_data_ws is None:
            first_data_ws = wb.worksheets()[-1]
    if first_data_ws is not None:
        first_data_ws.activate()
    wb.close()
    return sum(len(s.df) for s in sheets)
