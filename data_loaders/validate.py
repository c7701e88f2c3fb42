"""Typing and checking a staged extract in SQL: every row is either loaded or quarantined.

For each canonical column the contract names a type; this module builds one SELECT that turns
the staged text into typed values and, beside each value, the reason it could not be used (or
NULL). A row with any reason goes to quarantine with its file, row number, the first failing
column and every reason; all other rows are loaded. Blank rows and repeated header rows are
skipped and counted. Exact duplicate rows after the first are quarantined ("exact duplicate of
row N"); rows that share a key but differ are loaded and reported as warnings, never merged.

SQL text is built only from the contract (column names, allowed codes): no value from a file is
ever written into SQL. Identifiers come from ``c<N>`` positions, and literal codes pass through
``_lit`` which refuses anything but plain upper-case words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from data_loaders.contract import BOOL, CODE, DATE, INT, LIST, MONEY, TEXT, TIMESTAMP, Column, Extract, normalise_header
from data_loaders.read import Staged

NULL_TOKENS = ("", "N/A", "NA/", "NULL", "-", "NONE", "#N/A")
_SAFE = re.compile(r"^[A-Z0-9_ ]*$")
_TRIM = "' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(8203) || chr(65279)"
# Trimming with a character set costs about three times a plain trim, so each row is checked once
# for tabs, line breaks, no-break spaces, zero-width spaces and BOMs (``contains`` runs at memchr
# speed) and only the cells of such rows get the character-set trim.
_EXOTIC = ("chr(9)", "chr(10)", "chr(13)", "chr(160)", "chr(8203)", "chr(65279)")


def _trim(expr: str, exotic: str = "exotic") -> str:
    return f"(CASE WHEN {exotic} THEN trim({expr}, {_TRIM}) ELSE trim({expr}) END)"

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
TIMESTAMP_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d-%m-%Y %H:%M",
)


def _lit(text: str) -> str:
    if not _SAFE.match(text):
        raise ValueError(f"refusing to put {text!r} into SQL")
    return "'" + text + "'"


def _lit_text(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_ ,/()]*", text):
        raise ValueError(f"refusing to put {text!r} into SQL")
    return "'" + text + "'"


def _fold(text: str) -> str:
    return re.sub(r"[\s\-/]+", "_", text.upper())


def _canon_code(expr: str) -> str:
    """Upper case with spaces, dashes and slashes as underscores (runs folded), without a regex
    per cell: the regex only runs when a doubled underscore shows a run to fold."""
    x = f"upper(replace(replace(replace({expr}, ' ', '_'), '-', '_'), '/', '_'))"
    return f"(CASE WHEN contains({x}, '__') THEN regexp_replace({x}, '_+', '_', 'g') ELSE {x} END)"


def _typed(col: Column) -> tuple[str, str, str]:
    """SQL for one column, in three layers: (cleaned text from the trimmed cell ``__S__``, typed
    value from the cleaned text ``__T__``, reason-or-NULL from ``__T__`` and the value ``__V__``).

    Each layer is computed once in its own CTE, so no expression is evaluated twice per row.
    """
    if col.type == TEXT:
        return "nullif(__S__, '')", "__T__", "NULL"
    nulls = ", ".join(f"'{n}'" for n in NULL_TOKENS if _SAFE.match(n) or n in ("", "-", "N/A", "#N/A"))
    t = f"(CASE WHEN length(__S__) <= 4 AND upper(__S__) IN ({nulls}) THEN NULL ELSE __S__ END)"
    if col.type in (DATE, TIMESTAMP):
        fmts = TIMESTAMP_FORMATS + DATE_FORMATS if col.type == TIMESTAMP else DATE_FORMATS + TIMESTAMP_FORMATS
        tries = "try_strptime(__T__, [" + ", ".join(f"'{f}'" for f in fmts) + "])"
        serial = (
            "CASE WHEN regexp_full_match(__T__, '\\d{5}(\\.\\d+)?') "
            "THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST(__T__ AS DOUBLE) * 86400000000) AS BIGINT)) END"
        )
        v = f"coalesce({tries}, {serial})"
        if col.type == DATE:
            v = f"CAST({v} AS DATE)"
        lo = "DATE '1900-01-01'" if col.type == DATE else "TIMESTAMP '1900-01-01'"
        hi = "DATE '2100-12-31'" if col.type == DATE else "TIMESTAMP '2100-12-31'"
        expected = "dd/mm/yyyy" if col.type == DATE else "dd/mm/yyyy hh:mm"
        reason = (
            f"CASE WHEN __T__ IS NULL THEN NULL WHEN __V__ IS NULL THEN 'not a valid date (expected {expected}, day first)' "
            f"WHEN __V__ < {lo} OR __V__ > {hi} THEN 'implausible date (two-digit year?)' END"
        )
        return t, v, reason
    if col.type == BOOL:
        v = (
            "CASE WHEN upper(__T__) IN ('Y','YES','TRUE','T','1') THEN true "
            "WHEN upper(__T__) IN ('N','NO','FALSE','F','0') THEN false END"
        )
        return t, v, "CASE WHEN __T__ IS NOT NULL AND __V__ IS NULL THEN 'not a yes/no value (use Y or N)' END"
    if col.type == INT:
        v = "try_cast(try_cast(__T__ AS DOUBLE) AS BIGINT)"
        reason = (
            "CASE WHEN __T__ IS NOT NULL AND (__V__ IS NULL OR try_cast(__T__ AS DOUBLE) <> __V__) "
            "THEN 'not a whole number' END"
        )
        return t, v, reason
    if col.type == MONEY:
        v = "try_cast(replace(replace(__T__, '£', ''), ',', '') AS DECIMAL(18,2))"
        return t, v, "CASE WHEN __T__ IS NOT NULL AND __V__ IS NULL THEN 'not an amount of money' END"
    if col.type == LIST:
        v = (
            "CASE WHEN __T__ IS NULL THEN NULL ELSE list_filter(list_transform("
            "regexp_split_to_array(__T__, '[;|,]'), lambda x: upper(trim(x))), lambda x: x <> '') END"
        )
        return t, v, "NULL"
    if col.type == CODE:
        canon = _canon_code("__T__")
        if col.value_synonyms:
            whens = " ".join(f"WHEN {_lit(_fold(a))} THEN {_lit(b)}" for a, b in col.value_synonyms)
            canon = f"(CASE {canon} {whens} ELSE {canon} END)"
        if col.name in ("custody_record_id", "person_id", "defendant_id"):
            # References are kept as given (upper-cased): digits are never reformatted.
            canon = "upper(__T__)"
        if col.name in ("urn", "force_code", "offence_code"):
            # Separators dropped (R15: 36/AB/01234/25 -> 36AB0123425); the URN pattern is checked later.
            canon = "upper(replace(replace(replace(replace(__T__, '/', ''), ' ', ''), '-', ''), '.', ''))"
        if col.name in ("oic_id", "supervisor_id", "ngap_allocated_officer_id"):
            canon = "(CASE WHEN contains(__T__, '  ') THEN upper(regexp_replace(__T__, '\\s+', ' ', 'g')) ELSE upper(__T__) END)"
        if col.allowed:
            allowed = ", ".join(_lit(a) for a in col.allowed)
            message = _lit_text("not one of " + ", ".join(col.allowed))
            reason = f"CASE WHEN __T__ IS NOT NULL AND __V__ NOT IN ({allowed}) THEN {message} END"
        elif col.name == "force_code":
            reason = "CASE WHEN __T__ IS NOT NULL AND NOT regexp_full_match(__V__, '\\d{2}') THEN 'a force code is two digits' END"
        else:
            reason = "NULL"
        return t, canon, reason
    raise ValueError(f"unknown column type {col.type}")


@dataclass
class Checked:
    staged: Staged
    typed_table: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_skipped: int
    forces: list[str]


def check(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    *,
    load_id: int,
    typed_table: str,
    quarantine_table: str = "quarantine",
    warning_table: str = "load_warning",
) -> Checked:
    """Type the staged rows into ``typed_table`` and put unusable rows into quarantine."""
    ext = staged.extract
    trimmed, cleaned, typed, reasoned, problems = [], [], [], [], []
    for col in ext.columns:
        pos = staged.mapping.get(col.name)
        if pos is None:
            typed.append(f"NULL::{_duck_type(col)} AS {col.name}")
            continue
        t, v, r = _typed(col)
        s_col, t_col = f"s_{col.name}", f"t_{col.name}"
        trimmed.append(f"{_trim(f'c{pos}')} AS {s_col}")
        cleaned.append(f"{t.replace('__S__', s_col)} AS {t_col}")
        typed.append(f"CAST({v.replace('__T__', t_col)} AS {_duck_type(col)}) AS {col.name}")
        r_sql = r.replace("__T__", t_col).replace("__V__", col.name)
        if col.required:
            missing = f"WHEN {t_col} IS NULL THEN 'required value is missing'"
            r_sql = f"CASE {missing} ELSE {r_sql} END" if r_sql != "NULL" else f"CASE {missing} END"
        if r_sql == "NULL":
            continue
        reasoned.append(f"{r_sql} AS r_{col.name}")
        problems.append(
            f"CASE WHEN r_{col.name} IS NOT NULL THEN "
            f"{{'column': '{col.name}', 'value': {t_col}, 'reason': r_{col.name}}} END"
        )
    # Rows that only repeat the header (concatenated exports) and blank rows are skipped.
    positions = sorted(set(staged.mapping.values()))
    header_norm, header_params = _header_norm_sql(staged)
    width = max(positions) + 1 if positions else 0
    all_cols = ", ".join(f"coalesce(c{i}, '')" for i in range(width))
    row_text = "concat(" + ", ".join(f"c{p}" for p in positions) + ")"
    exotic = " OR ".join(f"contains(row_text, {ch})" for ch in _EXOTIC)
    any_problem = " OR ".join(f"r_{n} IS NOT NULL" for n in (x.split(" AS r_")[1] for x in reasoned)) or "false"
    problem_list = f"list_filter([{', '.join(problems)}], lambda x: x IS NOT NULL)" if problems else "[]"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __typed AS
        WITH row0 AS (
            SELECT *, {row_text} AS row_text FROM {staged.table}
        ), row1 AS (
            SELECT *, ({exotic}) AS exotic FROM row0
        ), s AS (
            SELECT src_row, too_few, too_many,
                   (trim(row_text, {_TRIM}) = '' OR ({header_norm})) AS skip,
                   hash({all_cols}) AS row_hash, {", ".join(trimmed)}
            FROM row1
        ), t AS (
            SELECT src_row, too_few, too_many, skip, row_hash, {", ".join(cleaned)} FROM s
        ), v AS (
            SELECT *, {", ".join(typed)} FROM t
        ), r AS (
            SELECT *{"".join(", " + x for x in reasoned)} FROM v
        )
        SELECT src_row, too_few, too_many, skip, {", ".join(c.name for c in ext.columns)},
               CASE WHEN {any_problem} THEN {problem_list} ELSE [] END AS problems,
               min(src_row) OVER (PARTITION BY skip, row_hash) AS first_same_row
        FROM r
        """,
        header_params,
    )
    skipped = con.execute("SELECT count(*) FILTER (WHERE skip), count(*) FROM __typed").fetchall()[0]
    rows_skipped, rows_total = int(skipped[0]), int(skipped[1])
    con.execute("DELETE FROM __typed WHERE skip")
    con.execute(
        f"""
        INSERT INTO {quarantine_table}
            (load_id, file_name, src_row, column_name, value, reason, raw_record)
        SELECT $load_id, $file, q.src_row,
               CASE WHEN q.too_many OR q.too_few THEN NULL
                    WHEN len(q.problems) = 0 THEN NULL
                    ELSE q.problems[1].column END,
               CASE WHEN q.too_many OR q.too_few OR len(q.problems) = 0 THEN NULL ELSE q.problems[1].value END,
               CASE WHEN q.too_many THEN 'the row has more fields than the header'
                    WHEN q.too_few THEN 'the row has fewer fields than the header'
                    WHEN len(q.problems) = 0 THEN 'exact duplicate of row ' || q.first_same_row
                    ELSE array_to_string(list_transform(q.problems, lambda p: p.column || ': ' || p.reason), '; ') END,
               {_raw_record_sql(staged)}
        FROM __typed q JOIN {staged.table} s ON q.src_row = s.src_row
        WHERE q.too_many OR q.too_few OR len(q.problems) > 0 OR q.first_same_row < q.src_row
        """,
        {"load_id": load_id, "file": staged.file_name},
    )
    keep = ", ".join(c.name for c in ext.columns)
    if "offence_seq" in ext.by_name and "offence_seq" not in staged.mapping:
        # Number the offences of each defendant in file order when the extract has no sequence.
        keep = keep.replace(
            "offence_seq",
            "CAST(row_number() OVER (PARTITION BY force_code, urn, defendant_id ORDER BY src_row) AS BIGINT)"
            " AS offence_seq",
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {typed_table} AS
        SELECT {keep}, src_row, $file AS src_file, $load_id::BIGINT AS load_id
        FROM __typed
        WHERE NOT too_many AND NOT too_few AND len(problems) = 0 AND first_same_row = src_row
        """,
        {"file": staged.file_name, "load_id": load_id},
    )
    # Same key, different content: both rows are kept and the later one is reported.
    key = list(ext.key)
    if all(k in staged.mapping or k == "offence_seq" for k in key):
        cols = ", ".join(key)
        con.execute(
            f"""
            INSERT INTO {warning_table} (load_id, file_name, src_row, column_name, value, reason)
            SELECT $load_id, $file, src_row, {_lit_ident(key[-1])}, CAST({key[-1]} AS VARCHAR),
                   'same {"/".join(key)} as row ' || first_row || ' but different values: both kept'
            FROM (SELECT src_row, {cols}, min(src_row) OVER (PARTITION BY {cols}) AS first_row FROM {typed_table})
            WHERE first_row < src_row
            """,
            {"load_id": load_id, "file": staged.file_name},
        )
    counts = con.execute(
        f"SELECT (SELECT count(*) FROM {typed_table}), "
        f"(SELECT count(*) FROM {quarantine_table} WHERE load_id = $load_id AND file_name = $file)",
        {"load_id": load_id, "file": staged.file_name},
    ).fetchall()[0]
    loaded, quarantined = int(counts[0]), int(counts[1])
    rows_read = rows_total - rows_skipped
    if loaded + quarantined != rows_read:
        raise AssertionError(
            f"{staged.file_name}: row conservation failed: read {rows_read}, loaded {loaded}, quarantined {quarantined}"
        )
    forces = [r[0] for r in con.execute(f"SELECT DISTINCT force_code FROM {typed_table} ORDER BY 1").fetchall()]
    con.execute("DROP TABLE __typed")
    con.execute(f"DROP TABLE {staged.table}")
    return Checked(staged, typed_table, rows_read, loaded, quarantined, rows_skipped, forces)


def _lit_ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(name)
    return "'" + name + "'"


def _duck_type(col: Column) -> str:
    return {
        TEXT: "VARCHAR",
        CODE: "VARCHAR",
        DATE: "DATE",
        TIMESTAMP: "TIMESTAMP",
        BOOL: "BOOLEAN",
        INT: "BIGINT",
        MONEY: "DECIMAL(18,2)",
        LIST: "VARCHAR[]",
    }[col.type]


def _header_norm_sql(staged: Staged) -> tuple[str, dict[str, str]]:
    """SQL (and its parameters) that is true for a row repeating the file's own header cells."""
    parts, params = [], {}
    for pos, text in enumerate(staged.header_cells):
        if pos in staged.mapping.values() and text.strip():
            parts.append(f"lower(trim(coalesce(c{pos}, ''))) = $h{pos}")
            params[f"h{pos}"] = text.strip().lower()
    return ("(" + " AND ".join(parts) + ")" if parts else "false"), params


def _raw_record_sql(staged: Staged) -> str:
    """The row as the file had it, as 'header=value' pairs for the quarantine report."""
    pieces = []
    for name, pos in sorted(staged.mapping.items(), key=lambda kv: kv[1]):
        pieces.append(f"{_lit_ident(name)} || '=' || coalesce(s.c{pos}, '')")
    return "concat_ws(' | ', " + ", ".join(pieces) + ")" if pieces else "NULL"


def table_ddl(ext: Extract, name: str, extra: str = "") -> str:
    cols = ",\n    ".join(f"{c.name} {_duck_type(c)}" for c in ext.columns)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n    {cols},\n    src_row BIGINT, src_file VARCHAR, load_id BIGINT{extra}\n)"


__all__ = ["check", "Checked", "table_ddl", "normalise_header"]
