"""Reading extract files into an untyped staging table, with no judgement about values.

Every extract, CSV or XLSX, becomes the same thing: a DuckDB table of text columns ``c0..cN``
(positions in the file), a ``src_row`` column numbering rows as a spreadsheet would (the header
row is row 1 when the file has no preamble) and ``too_few`` / ``too_many`` flags for CSV records
whose field count does not match the header. Typing and validation happen in SQL afterwards
(``validate.py``), so the two formats share one set of rules.

CSV: the encoding is decided by strict decoding (UTF-8, with or without BOM, else Windows-1252,
else the file is refused naming the byte and line); a Windows-1252 file is transcoded to UTF-8 in
a temporary file. The delimiter (comma, semicolon, tab or pipe) and the header row are found from
the first lines: report titles and protective markings above the header are skipped and counted.
DuckDB then reads every field as text, single-threaded so that quoted line breaks and ragged
rows are handled and records keep their order.

XLSX: the container is checked before parsing (entry count, declared uncompressed size,
compression ratio, no external entities) and read with calamine. Dates held as Excel dates become
ISO text; numbers keep their digits (so a reference Excel turned into a number can be spotted).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

from data_loaders.contract import EXTRACTS, Extract, header_lookup, normalise_header

HEADER_SCAN_LINES = 50
MAX_XLSX_ENTRIES = 10_000
MAX_XLSX_UNCOMPRESSED = 2 * 1024**3
MIN_XLSX_RATIO = 0.002  # compressed/uncompressed; a zip bomb is far below this
NULL_SENTINEL = "\x01__casewatch_null__\x01"


class ExtractError(ValueError):
    """A whole file cannot be loaded. The message names the file and, where known, row and column."""

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None):
        self.file, self.row, self.column, self.reason = file, row, column, message
        where = [f"file {file}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


@dataclass
class Staged:
    """An extract file read into the staging table ``table`` of a DuckDB connection."""

    file_name: str
    extract: Extract
    table: str
    fmt: str
    encoding: str | None
    header_row: int
    """Spreadsheet row number of the header (1 when there is no preamble)."""
    mapping: dict[str, int]
    """Canonical column name -> position in the file."""
    ignored_columns: list[str]
    """Headers in the file that the contract does not know: dropped, never stored."""
    header_cells: list[str] = field(default_factory=list)
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


def sniff_format(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise ExtractError(path.name, "the file is empty")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExtractError(path.name, "this is a legacy .xls (or other OLE) file; save it as .xlsx or CSV")
    if head.startswith(b"%PDF"):
        raise ExtractError(path.name, "this is a PDF, not an extract; export the data as CSV or XLSX")
    return "csv"


# -- CSV --------------------------------------------------------------------------------------
def _check_decodes(path: Path, encoding: str) -> tuple[int, int] | None:
    """Decode the whole file strictly; return (byte offset, line) of the first failure, or None."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    lines = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start, lines + chunk[: exc.start].count(b"\n")
            offset += len(chunk)
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset, lines
    return None


def decide_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) if the file decodes strictly as UTF-8, else Windows-1252, else refuse."""
    utf8_fail = _check_decodes(path, "utf-8")
    if utf8_fail is None:
        return "utf-8"
    if _check_decodes(path, "cp1252") is None:
        return "cp1252"
    byte, line = utf8_fail
    raise ExtractError(
        path.name,
        f"cannot decode the file as UTF-8 or Windows-1252 (first bad byte at offset {byte}, line {line})",
        row=line,
    )


def _read_head(path: Path, encoding: str) -> list[str]:
    lines: list[str] = []
    with open(path, encoding=encoding, errors="strict", newline="") as fh:
        for _ in range(HEADER_SCAN_LINES):
            line = fh.readline()
            if not line:
                break
            lines.append(line.rstrip("\r\n"))
    return lines


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", -1
    for delim in (",", ";", "\t", "|"):
        score = max((line.count(delim) for line in lines), default=0)
        if score > best_score:
            best, best_score = delim, score
    return best


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _match_header(
    file_name: str, rows: list[list[str]], extracts: list[Extract], extra: dict[str, dict[str, str]]
) -> tuple[Extract, int, dict[str, int], list[str]]:
    """Find the header row and the extract it belongs to among the first rows of a file."""
    best: tuple[int, int, Extract, int] | None = None  # (matches, -row, extract, row index)
    for extract in extracts:
        lookup = header_lookup(extract, extra.get(extract.kind))
        for i, cells in enumerate(rows):
            names = {lookup.get(normalise_header(str(c))) for c in cells if str(c).strip()}
            names.discard(None)
            score = len(names)
            if score >= 3 and (best is None or (score, -i) > (best[0], best[1])):
                best = (score, -i, extract, i)
    if best is None:
        kinds = " or ".join(e.title.lower() for e in extracts)
        raise ExtractError(file_name, f"no header row found in the first {len(rows)} rows: is this a {kinds}?")
    _, _, extract, index = best
    lookup = header_lookup(extract, extra.get(extract.kind))
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    for pos, cell in enumerate(rows[index]):
        text = str(cell).strip()
        name = lookup.get(normalise_header(text)) if text else None
        if name is None or name in mapping:
            if text:
                ignored.append(text)
            continue
        mapping[name] = pos
    missing = [c for c in extract.required if c not in mapping]
    if missing:
        hints = []
        for m in missing:
            close = difflib.get_close_matches(normalise_header(m), [normalise_header(str(c)) for c in rows[index]], n=1)
            hints.append(f"{m}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ExtractError(
            file_name,
            f"{extract.title} is missing required column(s): {', '.join(hints)}",
            row=index + 1,
        )
    return extract, index, mapping, ignored


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    *,
    kinds: list[Extract] | None = None,
    extra: dict[str, dict[str, str]] | None = None,
    display_name: str | None = None,
    workdir: Path | None = None,
) -> Staged:
    name = display_name or path.name
    extracts = kinds or list(EXTRACTS.values())
    encoding = decide_encoding(path)
    head = _read_head(path, encoding)
    if not any(line.strip() for line in head):
        raise ExtractError(name, "the file has no rows")
    delimiter = _sniff_delimiter(head[:10])
    rows = [_split(line, delimiter) for line in head]
    extract, index, mapping, ignored = _match_header(name, rows, extracts, extra or {})
    width = len(rows[index])
    source = path
    if encoding != "utf-8":
        tmp = tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", suffix=".csv", delete=False, dir=workdir
        )
        with tmp, open(path, encoding=encoding, newline="") as src:
            while chunk := src.read(1 << 22):
                tmp.write(chunk)
        source = Path(tmp.name)
    columns = {f"c{i}": "VARCHAR" for i in range(width + 1)}
    cols_sql = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width + 1))
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT row_number() OVER () + $header_row AS src_row, *
            FROM read_csv($path, header = false, skip = $skip, auto_detect = false,
                          delim = $delim, quote = '"', escape = '"',
                          columns = {{{cols_sql}}}, null_padding = true, parallel = false,
                          nullstr = $nullstr, strict_mode = false)
            """,
            {
                "path": str(source),
                "skip": index + 1,
                "header_row": index + 1,
                "delim": delimiter,
                "nullstr": NULL_SENTINEL,
            },
        )
        last = f"c{width}"
        firsts = " OR ".join(f"c{i} IS NULL" for i in range(width))
        con.execute(
            f"""ALTER TABLE {table} ADD COLUMN too_many BOOLEAN;
                ALTER TABLE {table} ADD COLUMN too_few BOOLEAN;
                UPDATE {table} SET too_many = {last} IS NOT NULL, too_few = ({firsts});"""
        )
    except (duckdb.OutOfMemoryException, MemoryError):
        raise  # the machine's limit, not the file's fault: the load fails, it is not refused
    except duckdb.Error as exc:
        raise ExtractError(name, f"the CSV cannot be parsed: {str(exc).splitlines()[0]}") from None
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    del columns
    return Staged(
        file_name=name,
        extract=extract,
        table=table,
        fmt="csv",
        encoding="utf-8-sig" if _has_bom(path) else encoding,
        header_row=index + 1,
        mapping=mapping,
        ignored_columns=ignored,
        header_cells=[str(c) for c in rows[index]],
    )


def _has_bom(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(3) == codecs.BOM_UTF8


# -- XLSX -------------------------------------------------------------------------------------
def check_xlsx_container(path: Path, name: str) -> None:
    """Refuse zip bombs and XML entity tricks before any parser sees the file."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_XLSX_ENTRIES:
                raise ExtractError(name, f"the workbook has {len(infos)} parts; at most {MAX_XLSX_ENTRIES} are accepted")
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos)
            if total > MAX_XLSX_UNCOMPRESSED:
                raise ExtractError(name, "the workbook would expand to more than 2 GiB; it is refused")
            if total and packed / total < MIN_XLSX_RATIO and total > 50 * 1024**2:
                raise ExtractError(name, "the workbook is compressed suspiciously well (possible zip bomb); refused")
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise ExtractError(name, "this zip file is not an Excel workbook (no xl/workbook.xml)")
            for info in infos:
                if info.filename.endswith(".xml") or info.filename.endswith(".rels"):
                    with zf.open(info) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise ExtractError(name, f"the workbook part {info.filename} declares XML entities; refused")
    except zipfile.BadZipFile:
        raise ExtractError(name, "the file looks like a workbook but is not a valid zip container (truncated or corrupt)") from None


def _cell_text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != time(0) else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def stage_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    *,
    kinds: list[Extract] | None = None,
    extra: dict[str, dict[str, str]] | None = None,
    display_name: str | None = None,
) -> Staged:
    import pyarrow as pa
    from python_calamine import CalamineError, CalamineWorkbook

    name = display_name or path.name
    extracts = kinds or list(EXTRACTS.values())
    check_xlsx_container(path, name)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except MemoryError:
        raise  # the machine's limit, not the file's fault
    except (CalamineError, Exception) as exc:  # calamine raises several error types
        raise ExtractError(name, f"the workbook cannot be read: {exc}") from None
    found: list[tuple[str, list[list[object]], Extract, int, dict[str, int], list[str]]] = []
    problems = []
    for sheet_name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(sheet_name)
        rows = sheet.to_python(skip_empty_area=False)
        if not rows:
            continue
        try:
            extract, index, mapping, ignored = _match_header(name, rows[:HEADER_SCAN_LINES], extracts, extra or {})
        except ExtractError as exc:
            problems.append(f"sheet {sheet_name!r}: {exc.reason}")
            continue
        found.append((sheet_name, rows, extract, index, mapping, ignored))
    if not found:
        detail = "; ".join(problems) or "every sheet is empty"
        raise ExtractError(name, f"no sheet holds an extract ({detail})")
    if len(found) > 1:
        sheets = ", ".join(repr(f[0]) for f in found)
        raise ExtractError(name, f"more than one sheet looks like an extract ({sheets}); keep one per file")
    sheet_name, rows, extract, index, mapping, ignored = found[0]
    width = max(len(rows[index]), max(mapping.values()) + 1)
    data = rows[index + 1 :]
    arrays = {
        "src_row": pa.array(range(index + 2, index + 2 + len(data)), type=pa.int64()),
    }
    for i in range(width):
        arrays[f"c{i}"] = pa.array([_cell_text(r[i]) if i < len(r) else "" for r in data], type=pa.string())
    arrays["too_many"] = pa.array([False] * len(data))
    arrays["too_few"] = pa.array([False] * len(data))
    arrow_table = pa.table(arrays)
    con.register("__xlsx_stage", arrow_table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM __xlsx_stage")
    finally:
        con.unregister("__xlsx_stage")
    return Staged(
        file_name=name,
        extract=extract,
        table=table,
        fmt="xlsx",
        encoding=None,
        header_row=index + 1,
        mapping=mapping,
        ignored_columns=ignored,
        header_cells=[_cell_text(c) for c in rows[index]],
        sheet=sheet_name,
    )


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    *,
    kind: str | None = None,
    extra: dict[str, dict[str, str]] | None = None,
    display_name: str | None = None,
    workdir: Path | None = None,
) -> Staged:
    """Stage one extract file of either format; ``kind`` forces custody or case_files."""
    name = display_name or path.name
    if not path.exists():
        raise ExtractError(name, "the file does not exist")
    kinds = [EXTRACTS[kind]] if kind else None
    fmt = sniff_format(path)
    if fmt == "xlsx":
        return stage_xlsx(con, path, table, kinds=kinds, extra=extra, display_name=name)
    return stage_csv(con, path, table, kinds=kinds, extra=extra, display_name=name, workdir=workdir)


def read_mapping_file(path: Path) -> dict[str, dict[str, str]]:
    """Read a force's column-mapping file: CSV with columns extract,their_header,our_column.

    ``extract`` is ``custody`` or ``case_files``. Unknown extracts or columns are refused so that
    a typo cannot silently leave a column unmapped.
    """
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    expected = {"extract", "their_header", "our_column"}
    if set(reader.fieldnames or ()) != expected:
        raise ExtractError(path.name, f"a mapping file needs exactly the columns {sorted(expected)}", row=1)
    mapping: dict[str, dict[str, str]] = {}
    for n, row in enumerate(reader, start=2):
        kind = (row["extract"] or "").strip()
        ours = (row["our_column"] or "").strip()
        if kind not in EXTRACTS:
            raise ExtractError(path.name, f"unknown extract {kind!r} (use custody or case_files)", row=n, column="extract")
        if ours not in EXTRACTS[kind].by_name:
            raise ExtractError(path.name, f"{ours!r} is not a column of the {kind} extract", row=n, column="our_column")
        mapping.setdefault(kind, {})[(row["their_header"] or "").strip()] = ours
    return mapping
