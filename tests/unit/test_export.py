"""Round-trip tests for core.export (reliability.md O10, O15, BI-31, SC-19).

Every workbook is built from a small DataFrame made here, written under
tmp_path (or to BytesIO) and read back with openpyxl.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import enum
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from core.export import (
    BAND_STYLES,
    ExportColumn,
    ExportSheet,
    ExportTooLarge,
    escape_cell,
    write_report_csv,
    write_report_xlsx,
)

MARKING = "OFFICIAL-SENSITIVE"
AS_OF = dt.date(2025, 3, 3)
GENERATED_AT = dt.datetime(2025, 3, 3, 9, 15, 0, tzinfo=dt.timezone.utc)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")

NASTY = [
    '=HYPERLINK("http://x")',
    "+cmd",
    "-12",
    "@SUM(1)",
    "\tx",
    "O’Brien £500 é",
    "<script>",
    "\rcr",
    "\0nul",
    "  =1+1",
    None,
]

COLUMNS = [
    ExportColumn("case_id", "Case ID", "text"),
    ExportColumn("suspect", "Suspect name", "text", width=30),
    ExportColumn("offence_date", "Offence date", "date"),
    ExportColumn("stl_date", "STL date", "date"),
    ExportColumn("days_remaining", "Days remaining", "int"),
    ExportColumn("band", "Band", "band"),
]
N_COLS = len(COLUMNS)
HEADER_ROW = 3  # 1-based: marking, title, header
FIRST_DATA_ROW = HEADER_ROW + 1


def make_cases() -> pd.DataFrame:
    n = len(NASTY)
    bands = ["BLACK", "RED", "AMBER", "GREEN", "COMMENCED", "NO_LIMIT", "UNKNOWN"]
    offence = [dt.date(2024, 9, 1) + dt.timedelta(days=i) for i in range(n)]
    offence[3] = None
    stl = pd.to_datetime([dt.date(2025, 3, 1) + dt.timedelta(days=i) for i in range(n)])
    stl = stl.where([i != 2 for i in range(n)])  # one NaT
    days = pd.array([-12, -1, 0, 5, 30, None, 12, 7, 3, 1000, 2], dtype="Int64")
    return pd.DataFrame(
        {
            "case_id": [f"CF-{i:04d}" for i in range(n)],
            "suspect": NASTY,
            "offence_date": offence,
            "stl_date": stl,
            "days_remaining": days,
            "band": [bands[i % len(bands)] for i in range(n)],
            "ignored": ["not exported"] * n,
        }
    )


def expected_cell(value, kind):
    """What the export should store for one source value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if kind == "date":
        return value.date() if isinstance(value, dt.datetime) else value
    if kind == "int":
        return int(value)
    return escape_cell(value)


def read_back(cell_value):
    """openpyxl leaves OOXML _xHHHH_ escapes (CR, NUL) encoded; decode them."""
    if isinstance(cell_value, str):
        return unescape(cell_value)
    if isinstance(cell_value, dt.datetime):
        return cell_value.date()
    return cell_value


def write_cases_xlsx(target, df=None, **kwargs):
    return write_report_xlsx(
        make_cases() if df is None else df,
        target,
        columns=COLUMNS,
        marking=MARKING,
        title="Cases nearing STL — Team A & B",
        as_of=AS_OF,
        generated_at=GENERATED_AT,
        sheet_name="Cases",
        **kwargs,
    )


@pytest.fixture
def xlsx_path(tmp_path: Path) -> Path:
    path = tmp_path / "report.xlsx"
    write_cases_xlsx(path)
    return path


# --------------------------------------------------------------------------
# escape_cell
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd", "'+cmd"),
        ("-12", "'-12"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\0x", "'\0x"),
        ("  =1+1", "'  =1+1"),
        ("O’Brien £500 é", "O’Brien £500 é"),
        ("<script>", "<script>"),
        ("a=b", "a=b"),
        ("'=already", "'=already"),
        ("", ""),
        ("   ", "   "),
    ],
)
def test_escape_cell_prefixes_text_that_starts_with_a_formula_trigger(value, expected):
    assert escape_cell(value) == expected


@pytest.mark.parametrize("value", [-12, 3.5, None, dt.date(2025, 1, 1), pd.NaT])
def test_escape_cell_leaves_non_text_values_untouched(value):
    assert escape_cell(value) is value


def test_export_column_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        ExportColumn("x", "X", "money")  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------


def test_xlsx_round_trip_keeps_rows_values_and_types(xlsx_path: Path):
    df = make_cases()
    wb = openpyxl.load_workbook(xlsx_path)
    ws = wb["Cases"]

    header = [c.value for c in ws[HEADER_ROW]][:N_COLS]
    assert header == [c.header for c in COLUMNS]
    assert ws.max_row == HEADER_ROW + len(df)
    assert ws.max_column == N_COLS  # the "ignored" column is not exported

    for i, row in enumerate(ws.iter_rows(min_row=FIRST_DATA_ROW, max_col=N_COLS)):
        for col, cell in zip(COLUMNS, row, strict=True):
            want = expected_cell(df[col.name].iloc[i], col.kind)
            assert read_back(cell.value) == want, (i, col.name)
            if want is None:
                continue
            if col.kind == "date":
                assert cell.is_date and cell.number_format == "dd/mm/yyyy"
            elif col.kind == "int":
                assert cell.data_type == "n" and isinstance(cell.value, int)
            else:
                assert cell.data_type == "s"


def test_xlsx_negative_number_stays_a_number_but_text_minus_twelve_is_escaped(xlsx_path):
    ws = openpyxl.load_workbook(xlsx_path)["Cases"]
    assert ws.cell(FIRST_DATA_ROW, 5).value == -12
    assert ws.cell(FIRST_DATA_ROW + 2, 2).value == "'-12"


def test_xlsx_has_no_cell_that_starts_with_a_formula_trigger(xlsx_path):
    wb = openpyxl.load_workbook(xlsx_path)
    checked = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                value = read_back(cell.value)
                if isinstance(value, str) and value:
                    checked += 1
                    assert not value.startswith(TRIGGERS), (ws.title, cell.coordinate)
    assert checked > len(NASTY)
    suspects = [read_back(c.value) for c in wb["Cases"]["B"][HEADER_ROW:]]
    escaped = [s for s in suspects if s and s.startswith("'")]
    assert len(escaped) == 8  # every trigger value in NASTY, and only those


def test_xlsx_band_is_text_and_coloured_by_conditional_formatting(xlsx_path):
    df = make_cases()
    ws = openpyxl.load_workbook(xlsx_path)["Cases"]
    bands = [c.value for c in ws["F"][HEADER_ROW:]]
    assert bands == df["band"].tolist()

    last = HEADER_ROW + len(df)
    rules = {}
    for cf_range in ws.conditional_formatting:
        assert str(cf_range.sqref) == f"F{FIRST_DATA_ROW}:F{last}"
        for rule in cf_range.rules:
            assert rule.type == "cellIs" and rule.operator == "equal"
            rules[rule.formula[0].strip('"')] = rule
    assert set(rules) == set(BAND_STYLES)
    red_fill = rules["RED"].dxf.fill
    assert red_fill.bgColor.rgb.endswith(BAND_STYLES["RED"][0].lstrip("#").upper())
    black = rules["BLACK"].dxf
    assert black.font.color.rgb.endswith("FFFFFF")


def test_xlsx_sheet_layout_freeze_filter_and_print_setup(xlsx_path):
    ws = openpyxl.load_workbook(xlsx_path)["Cases"]
    n = len(make_cases())
    assert ws["A1"].value == MARKING
    assert "Cases nearing STL" in ws["A2"].value and "03/03/2025" in ws["A2"].value
    assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:F{HEADER_ROW + n}"
    assert ws.cell(HEADER_ROW, 1).font.b

    assert MARKING in ws.oddHeader.center.text
    assert MARKING in ws.oddFooter.center.text
    assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text
    assert "Team A && B" in ws.oddFooter.left.text  # '&' escaped as a literal
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"

    assert ws.column_dimensions["B"].width == pytest.approx(30, abs=1)
    assert ws.column_dimensions["C"].width >= 10


def test_xlsx_notes_sheet_and_properties(xlsx_path):
    wb = openpyxl.load_workbook(xlsx_path)
    assert wb.sheetnames == ["Notes", "Cases"]
    assert wb.active.title == "Cases"
    notes = wb["Notes"]
    values = [c.value for row in notes.iter_rows() for c in row if c.value is not None]
    assert values[0] == MARKING
    assert dt.datetime(2025, 3, 3) in values  # as-at date as a real date
    assert "03/03/2025 09:15 GMT" in values
    assert "Cases" in values and len(make_cases()) in values
    assert {"BLACK", "RED", "AMBER", "GREEN", "COMMENCED", "NO_LIMIT", "UNKNOWN"} <= set(values)
    assert MARKING in notes.oddHeader.center.text

    assert wb.properties.created == dt.datetime(2025, 3, 3, 9, 15)
    assert wb.properties.modified == dt.datetime(2025, 3, 3, 9, 15)
    assert MARKING in wb.properties.keywords


def test_xlsx_is_byte_identical_for_equal_inputs(tmp_path: Path):
    first, second = io.BytesIO(), io.BytesIO()
    write_cases_xlsx(first)
    write_cases_xlsx(second)
    assert first.getvalue() == second.getvalue()

    on_disk = tmp_path / "r.xlsx"
    write_cases_xlsx(on_disk)
    assert hashlib.sha256(on_disk.read_bytes()).digest() == hashlib.sha256(
        first.getvalue()
    ).digest()

    later = io.BytesIO()
    write_report_xlsx(
        make_cases(),
        later,
        columns=COLUMNS,
        marking=MARKING,
        title="Cases nearing STL — Team A & B",
        as_of=AS_OF,
        generated_at=GENERATED_AT + dt.timedelta(minutes=1),
        sheet_name="Cases",
    )
    assert later.getvalue() != first.getvalue()


def test_xlsx_several_sheets_each_get_their_own_title_and_counts(tmp_path: Path):
    custody = pd.DataFrame(
        {
            "custody_ref": ["=1+1", "C-2"],
            "target_date": [dt.date(2025, 2, 1), dt.date(2025, 2, 20)],
            "days_late": [30, 11],
        }
    )
    custody_cols = [
        ExportColumn("custody_ref", "Custody ref"),
        ExportColumn("target_date", "File target date", "date"),
        ExportColumn("days_late", "Days late", "int"),
    ]
    path = tmp_path / "multi.xlsx"
    total = write_report_xlsx(
        [
            ExportSheet("Cases", make_cases(), COLUMNS, "Cases nearing STL"),
            ExportSheet("Custody late", custody, custody_cols, "Custody files late"),
        ],
        path,
        marking=MARKING,
        title="Insight report",
        as_of=AS_OF,
        generated_at=GENERATED_AT,
    )
    assert total == len(make_cases()) + 2
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Notes", "Cases", "Custody late"]
    ws = wb["Custody late"]
    assert ws["A2"].value.startswith("Custody files late")
    assert ws.cell(FIRST_DATA_ROW, 1).value == "'=1+1"
    assert ws.cell(FIRST_DATA_ROW, 2).value == dt.datetime(2025, 2, 1)
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:C{HEADER_ROW + 2}"
    assert not list(ws.conditional_formatting)  # no band column, no rules
    notes = [c.value for row in wb["Notes"].iter_rows() for c in row]
    assert "Custody late" in notes and 2 in notes


def test_xlsx_empty_frame_writes_header_only(tmp_path: Path):
    path = tmp_path / "empty.xlsx"
    assert write_cases_xlsx(path, df=make_cases().iloc[0:0], include_notes=False) == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Cases"]
    ws = wb["Cases"]
    assert ws.max_row == HEADER_ROW
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:F{HEADER_ROW}"


def test_xlsx_row_cap_raises_before_anything_is_written(tmp_path: Path):
    path = tmp_path / "big.xlsx"
    with pytest.raises(ExportTooLarge, match="CSV") as info:
        write_cases_xlsx(path, max_rows=5)
    assert info.value.rows == len(make_cases()) and info.value.max_rows == 5
    assert not path.exists()
    write_cases_xlsx(path, max_rows=len(make_cases()))  # at the cap is fine
    assert path.exists()


def test_xlsx_default_row_cap_is_one_hundred_thousand():
    big = pd.DataFrame({"case_id": ["x"] * 100_001})
    with pytest.raises(ExportTooLarge):
        write_report_xlsx(
            big,
            io.BytesIO(),
            columns=[ExportColumn("case_id", "Case ID")],
            marking=MARKING,
            title="t",
            as_of=AS_OF,
            generated_at=GENERATED_AT,
        )


@pytest.mark.parametrize("name", ["Notes", "notes", "bad/name", "x" * 32, "", "'q"])
def test_xlsx_rejects_bad_or_reserved_sheet_names(name):
    with pytest.raises(ValueError, match="sheet name"):
        write_report_xlsx(
            [ExportSheet(name, make_cases(), COLUMNS, "t")],
            io.BytesIO(),
            marking=MARKING,
            title="t",
            as_of=AS_OF,
            generated_at=GENERATED_AT,
        )


def test_xlsx_rejects_duplicate_sheet_names():
    sheet = ExportSheet("Cases", make_cases(), COLUMNS, "t")
    with pytest.raises(ValueError, match="Duplicate"):
        write_report_xlsx(
            [sheet, sheet],
            io.BytesIO(),
            marking=MARKING,
            title="t",
            as_of=AS_OF,
            generated_at=GENERATED_AT,
            include_notes=False,
        )


def test_xlsx_rejects_a_missing_dataframe_column():
    with pytest.raises(ValueError, match="no column"):
        write_report_xlsx(
            make_cases(),
            io.BytesIO(),
            columns=[ExportColumn("nope", "Nope")],
            marking=MARKING,
            title="t",
            as_of=AS_OF,
            generated_at=GENERATED_AT,
        )


class Band(enum.StrEnum):
    RED = "RED"
    GREEN = "GREEN"


def test_xlsx_and_csv_handle_awkward_dtypes_without_losing_type_or_safety(tmp_path: Path):
    df = pd.DataFrame(
        {
            "n_float": [-3.0, float("nan"), 2.5],
            "n_dec": [decimal.Decimal("-7"), decimal.Decimal("1.5"), None],
            "n_text": ["-12", 4, None],  # text in an int column is still text
            "when": [dt.date(1890, 1, 1), "=not a date", pd.Timestamp("2025-01-02 13:45")],
            "band": [Band.RED, Band.GREEN, None],
            "officer": [1234, -5, dt.date(2025, 1, 2)],  # non-text in a text column
        }
    )
    cols = [
        ExportColumn("n_float", "F", "int"),
        ExportColumn("n_dec", "D", "int"),
        ExportColumn("n_text", "T", "int"),
        ExportColumn("when", "When", "date"),
        ExportColumn("band", "Band", "band"),
        ExportColumn("officer", "Officer", "text"),
    ]
    kwargs = dict(columns=cols, marking=MARKING, title="t", as_of=AS_OF,
                  generated_at=GENERATED_AT)
    path = tmp_path / "odd.xlsx"
    write_report_xlsx(df, path, include_notes=False, **kwargs)
    ws = openpyxl.load_workbook(path).active
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=FIRST_DATA_ROW)]
    assert got == [
        [-3, -7, "'-12", "01/01/1890", "RED", "1234"],
        [None, 1.5, 4, "'=not a date", "GREEN", "'-5"],
        [2.5, None, None, dt.datetime(2025, 1, 2), None, "02/01/2025"],
    ]

    buffer = io.BytesIO()
    write_report_csv(df, buffer, **kwargs)
    rows = list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig"), newline="")))
    assert rows[6:-1] == [
        ["-3", "-7", "'-12", "01/01/1890", "RED", "1234"],
        ["", "1.5", "4", "'=not a date", "GREEN", "'-5"],
        ["2.5", "", "", "02/01/2025", "", "02/01/2025"],
    ]


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def write_cases_csv(target, **kwargs):
    return write_report_csv(
        make_cases(),
        target,
        columns=COLUMNS,
        marking=MARKING,
        title="Cases nearing STL",
        as_of=AS_OF,
        generated_at=GENERATED_AT,
        **kwargs,
    )


def test_csv_round_trip_has_bom_marking_first_and_last_and_escaped_cells(tmp_path: Path):
    path = tmp_path / "report.csv"
    assert write_cases_csv(path) == len(make_cases())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.endswith(b"\r\n")

    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == [MARKING]
    assert rows[-1] == [MARKING]
    assert rows[1] == ["Cases nearing STL"]
    assert rows[2] == ["As at: 03/03/2025"]
    assert rows[3] == ["Generated: 03/03/2025 09:15 GMT"]
    assert rows[4] == []
    assert rows[5] == [c.header for c in COLUMNS]

    data = rows[6:-1]
    df = make_cases()
    assert len(data) == len(df)
    for i, row in enumerate(data):
        assert len(row) == N_COLS
        for col, text in zip(COLUMNS, row, strict=True):
            want = expected_cell(df[col.name].iloc[i], col.kind)
            if want is None:
                assert text == ""
            elif col.kind == "date":
                assert text == want.strftime("%d/%m/%Y")
            else:
                assert text == str(want)
            if col.kind != "int" and text:
                assert not text.startswith(TRIGGERS), (i, col.name, text)

    suspects = [r[1] for r in data]
    assert suspects[:5] == ['\'=HYPERLINK("http://x")', "'+cmd", "'-12", "'@SUM(1)", "'\tx"]
    assert "O’Brien £500 é" in suspects and "<script>" in suspects
    assert data[0][4] == "-12"  # the number in the typed int column is not escaped


def test_csv_quotes_per_rfc_4180(tmp_path: Path):
    path = tmp_path / "quoted.csv"
    write_cases_csv(path)
    text = path.read_bytes().decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"")"' in text  # embedded quotes doubled
    assert "\"'\rcr\"" in text  # a field with CR is quoted


def test_csv_to_bytesio_leaves_stream_open_and_matches_file(tmp_path: Path):
    buffer = io.BytesIO()
    write_cases_csv(buffer)
    assert not buffer.closed
    path = tmp_path / "same.csv"
    write_cases_csv(path)
    assert buffer.getvalue() == path.read_bytes()


def test_csv_row_cap_raises_and_writes_nothing(tmp_path: Path):
    path = tmp_path / "big.csv"
    with pytest.raises(ExportTooLarge):
        write_cases_csv(path, max_rows=3)
    assert not path.exists()


# --------------------------------------------------------------------------
# Hygiene
# --------------------------------------------------------------------------


def test_export_module_does_not_import_streamlit():
    root = Path(__file__).resolve().parents[2]
    code = "import sys, core.export; sys.exit('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=root, check=False)
    assert result.returncode == 0


def test_generation_time_is_shown_in_uk_local_time(tmp_path: Path):
    buffer = io.BytesIO()
    summer = dt.datetime(2025, 7, 1, 12, 0, tzinfo=dt.timezone.utc)
    write_report_csv(
        make_cases(), buffer, columns=COLUMNS, marking=MARKING, title="t",
        as_of=AS_OF, generated_at=summer,
    )
    lines = buffer.getvalue().decode("utf-8-sig").split("\r\n")
    assert lines[3] == "Generated: 01/07/2025 13:00 BST"
