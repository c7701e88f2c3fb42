"""Loader tests: messy CSV and XLSX extracts built inside each test, loaded into a temporary store."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from core.store import Store
from data_loaders.load import LoadError, load_extracts
from tests.conftest import CASE_HEADER, case_row, custody_row, write_csv


def published(settings) -> duckdb.DuckDBPyConnection:
    return Store(settings.store_dir).connect_read()


def rows(settings, sql: str, params=None) -> list[tuple]:
    con = published(settings)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def conservation(settings) -> list[tuple]:
    return rows(settings, "SELECT file_name, rows_read, rows_loaded, rows_quarantined FROM load_log ORDER BY file_name")


def test_clean_csv_loads_every_row_and_logs_hash_and_counts(tmp_path, settings):
    path = write_csv(tmp_path / "cases.csv", [case_row(urn=f"36AB00{i:03d}26") for i in range(5)])
    report = load_extracts([path], settings)
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files] == [(5, 5, 0)]
    log = rows(settings, "SELECT file_name, sha256, kind, rows_read, rows_loaded FROM load_log")
    import hashlib

    assert log == [("cases.csv", hashlib.sha256(path.read_bytes()).hexdigest(), "case_files", 5, 5)]


def test_ambiguous_uk_dates_are_read_day_first(tmp_path, settings):
    path = write_csv(tmp_path / "c.csv", [case_row(offence_start_date="01/02/2026", created_date="03/04/2026")])
    load_extracts([path], settings)
    assert rows(settings, "SELECT offence_start_date, created_date FROM case_offences") == [
        (date(2026, 2, 1), date(2026, 4, 3))
    ]


def test_iso_and_excel_serial_dates_are_accepted(tmp_path, settings):
    path = write_csv(
        tmp_path / "c.csv",
        [case_row(urn="36AB0000126", offence_start_date="2026-02-01"), case_row(urn="36AB0000226", offence_start_date="46054")],
    )
    load_extracts([path], settings)
    got = dict(rows(settings, "SELECT urn, offence_start_date FROM case_offences"))
    assert got == {"36AB0000126": date(2026, 2, 1), "36AB0000226": date(2026, 2, 1)}


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("31/02/2026", "not a valid date"),
        ("02/13/2026", "not a valid date"),
        ("01/02/26", "implausible date"),
        ("yesterday", "not a valid date"),
    ],
)
def test_bad_dates_are_quarantined_with_file_row_column_and_reason(tmp_path, settings, bad, reason):
    good = [case_row(urn=f"36AB00{i:03d}26") for i in range(9)]
    path = write_csv(tmp_path / "c.csv", [*good[:4], case_row(urn="36AB0099926", offence_start_date=bad), *good[4:]])
    load_extracts([path], settings)
    q = rows(settings, "SELECT file_name, src_row, column_name, value, reason FROM quarantine")
    assert len(q) == 1
    file_name, row, column, value, why = q[0]
    assert (file_name, row, column, value) == ("c.csv", 6, "offence_start_date", bad)
    assert reason in why
    assert conservation(settings) == [("c.csv", 10, 9, 1)]


def test_utf8_bom_and_windows_1252_are_decoded(tmp_path, settings):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + write_csv(tmp_path / "x.csv", [case_row(oic_name="Zoë")]).read_bytes())
    cp = write_csv(tmp_path / "cp.csv", [case_row(force_code="37", urn="37AB0000126", oic_name="O’Brien £500 é")],
                   encoding="cp1252")
    report = load_extracts([bom, cp], settings)
    assert sorted((f.file_name, f.encoding) for f in report.files) == [("bom.csv", "utf-8-sig"), ("cp.csv", "cp1252")]
    assert sorted(r[0] for r in rows(settings, "SELECT oic_name FROM case_offences")) == ["O’Brien £500 é", "Zoë"]


def test_undecodable_bytes_refuse_the_file_naming_line(tmp_path, settings):
    path = write_csv(tmp_path / "c.csv", [case_row(), case_row(urn="36AB0000226")])
    data = path.read_bytes().replace(b"Officer Test A", b"Officer \x81Test", 1)
    path.write_bytes(data.replace(b"Norwich", b"Norw\xe9ch", 1))
    with pytest.raises(LoadError) as err:
        load_extracts([path], settings)
    assert "file c.csv, row 2" in str(err.value) and "cannot decode" in str(err.value)
    assert not Store(settings.store_dir).has_data()


def test_references_keep_leading_zeros(tmp_path, settings):
    path = write_csv(tmp_path / "c.csv", [case_row(defendant_id="007123", oic_id="0042")])
    load_extracts([path], settings)
    assert rows(settings, "SELECT defendant_id, oic_id FROM case_offences") == [("007123", "0042")]


def test_headers_match_case_and_space_insensitively_with_synonyms_in_any_order(tmp_path, settings):
    header = ["  TEAM ", "Offence Code", "Case URN", "Force", "Defendant", "Offence Date", "Home address"]
    path = write_csv(tmp_path / "c.csv", [["Norwich CID", "cj88001", "36/ab/00001/26", "36", "D9", "15/01/2026", "1 Road"]], header)
    report = load_extracts([path], settings)
    assert report.files[0].ignored_columns == ["Home address"]
    assert rows(settings, "SELECT team, offence_code, urn, force_code, offence_start_date FROM case_offences") == [
        ("Norwich CID", "CJ88001", "36AB0000126", "36", date(2026, 1, 15))
    ]
    columns = [r[0] for r in rows(settings, "SELECT column_name FROM information_schema.columns WHERE table_name = 'case_offences'")]
    assert not any("address" in c for c in columns)


def test_preamble_repeated_header_and_blank_rows_are_skipped_and_counted(tmp_path, settings):
    a, b = case_row(urn="36AB0000126"), case_row(urn="36AB0000226")
    path = write_csv(
        tmp_path / "c.csv",
        [a, dict(zip(CASE_HEADER, CASE_HEADER, strict=True)), {h: "" for h in CASE_HEADER}, b],
        CASE_HEADER,
        preamble=["OFFICIAL-SENSITIVE", "Case file report printed by synthetic user"],
        delimiter=";",
    )
    report = load_extracts([path], settings)
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_skipped) == (2, 2, 0, 2)
    assert sorted(r[0] for r in rows(settings, "SELECT src_row FROM case_offences")) == [4, 7]


def test_ragged_rows_and_quoted_line_breaks(tmp_path, settings):
    lines = [",".join(CASE_HEADER)]
    good = case_row(urn="36AB0000126", defendant_name='"Synthetic\nPerson"')
    lines.append(",".join(good[h] if h != "defendant_name" else good[h] for h in CASE_HEADER))
    lines.append("36,36AB0000226,D2")
    too_many = case_row(urn="36AB0000326")
    lines.append(",".join(too_many[h] for h in CASE_HEADER) + ",extra,more")
    for i in range(4, 12):
        r = case_row(urn=f"36AB00{i:03d}26")
        lines.append(",".join(r[h] for h in CASE_HEADER))
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_extracts([path], settings)
    q = dict(rows(settings, "SELECT src_row, reason FROM quarantine"))
    assert q == {3: "the row has fewer fields than the header", 4: "the row has more fields than the header"}
    assert rows(settings, "SELECT defendant_name FROM case_offences WHERE urn = '36AB0000126'") == [("Synthetic\nPerson",)]
    assert conservation(settings) == [("c.csv", 11, 9, 2)]


def test_exact_duplicates_are_quarantined_and_key_clashes_reported_not_merged(tmp_path, settings):
    rows_in = [case_row(urn=f"36AB00{i:03d}26") for i in range(8)]
    rows_in.append(case_row(urn="36AB0000126"))  # exact duplicate of row 3
    rows_in.append(case_row(urn="36AB0000226", team="Breckland CID"))  # same key as row 4, different team
    path = write_csv(tmp_path / "c.csv", rows_in)
    load_extracts([path], settings)
    assert rows(settings, "SELECT src_row, reason FROM quarantine") == [(10, "exact duplicate of row 3")]
    warnings = rows(settings, "SELECT src_row, reason FROM load_warning")
    assert len(warnings) == 1 and warnings[0][0] == 11 and "as row 4" in warnings[0][1]
    assert rows(settings, "SELECT count(*) FROM case_offences WHERE urn = '36AB0000226'") == [(2,)]


def test_missing_required_column_refuses_the_file_by_name(tmp_path, settings):
    header = [h for h in CASE_HEADER if h != "team"]
    path = write_csv(tmp_path / "no_team.csv", [case_row()], header)
    with pytest.raises(LoadError) as err:
        load_extracts([path], settings)
    assert "file no_team.csv, row 1" in str(err.value) and "team" in str(err.value)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "legacy .xls"),
        (b"%PDF-1.7 not data", "PDF"),
        (b"PK\x03\x04 truncated", "not a valid zip"),
        (b"hello,world\n1,2\n", "no header row"),
    ],
)
def test_wrong_kinds_of_file_are_refused_clearly(tmp_path, settings, content, message):
    path = tmp_path / "weird.xlsx"
    path.write_bytes(content)
    with pytest.raises(LoadError) as err:
        load_extracts([path], settings)
    assert "file weird.xlsx" in str(err.value) and message in str(err.value)


def test_too_many_bad_rows_refuse_the_file(tmp_path, settings):
    path = write_csv(tmp_path / "c.csv", [case_row(urn=f"36AB00{i:03d}26", offence_start_date="bad") for i in range(5)])
    with pytest.raises(LoadError) as err:
        load_extracts([path], settings)
    assert "5 of 5 rows cannot be used" in str(err.value)


def test_a_failed_load_leaves_the_published_data_in_place_and_readable(tmp_path, settings):
    good = write_csv(tmp_path / "good.csv", [case_row()])
    load_extracts([good], settings)
    store = Store(settings.store_dir)
    before = store.current()
    bad = write_csv(tmp_path / "bad.csv", [case_row(urn="36AB0000226")], [h for h in CASE_HEADER if h != "urn"])
    with pytest.raises(LoadError):
        load_extracts([good, bad], settings)
    assert store.current() == before
    assert rows(settings, "SELECT urn FROM case_offences") == [("36AB0000126",)]
    assert not list(settings.store_dir.glob("*.tmp*"))
    assert store.attempts()[-1]["status"] == "refused"


def test_a_crash_mid_load_publishes_nothing(tmp_path, settings, monkeypatch):
    load_extracts([write_csv(tmp_path / "a.csv", [case_row()])], settings)
    store = Store(settings.store_dir)
    before = store.current()
    import data_loaders.load as load_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(load_module, "compute_stls", boom)
    with pytest.raises(RuntimeError):
        load_extracts([write_csv(tmp_path / "b.csv", [case_row(urn="36AB0000226")])], settings)
    assert store.current() == before
    assert rows(settings, "SELECT urn FROM case_offences") == [("36AB0000126",)]
    assert store.attempts()[-1]["status"] == "failed"


def test_a_new_extract_replaces_only_its_own_force(tmp_path, settings):
    load_extracts([write_csv(tmp_path / "n.csv", [case_row(), case_row(urn="36AB0000226")])], settings)
    load_extracts([write_csv(tmp_path / "s.csv", [case_row(force_code="37", urn="37AB0000126")])], settings)
    load_extracts([write_csv(tmp_path / "n2.csv", [case_row(urn="36AB0000926")])], settings)
    assert sorted(r[0] for r in rows(settings, "SELECT urn FROM case_offences")) == ["36AB0000926", "37AB0000126"]
    assert len(rows(settings, "SELECT DISTINCT load_id FROM load_log")) == 3


def test_stl_columns_are_computed_at_load(tmp_path, settings):
    path = write_csv(
        tmp_path / "c.csv",
        [
            case_row(urn="36AB0000126", offence_start_date="31/08/2026"),
            case_row(urn="36AB0000226", offence_code="TH68010", offence_start_date="31/08/2026"),
            case_row(urn="36AB0000326", offence_code="ZZ99999", offence_start_date="31/08/2026"),
        ],
    )
    load_extracts([path], settings)
    got = {r[0]: r[1:] for r in rows(settings, "SELECT urn, stl_date, stl_rule FROM case_offences")}
    assert got["36AB0000126"] == (date(2027, 2, 28), "S127")
    assert got["36AB0000226"] == (None, "NO_STATUTORY_LIMIT")
    assert got["36AB0000326"] == (None, "UNKNOWN_OFFENCE")


def test_custody_extract_loads_with_bail_end_dates(tmp_path, settings):
    path = write_csv(tmp_path / "custody.csv", [custody_row(), custody_row(custody_record_id="AYL-26-000124", disposal="rui")])
    load_extracts([path], settings)
    got = rows(settings, "SELECT custody_record_id, disposal, bail_end_date FROM custody ORDER BY 1")
    # Arrested 1 Nov 2026: bail starts 2 Nov; three months beginning with 2 Nov end on 1 Feb 2027 (R7).
    assert got == [("AYL-26-000123", "PRE_CHARGE_BAIL", date(2027, 2, 1)), ("AYL-26-000124", "RUI", None)]


def test_force_column_mapping_file(tmp_path, settings):
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("extract,their_header,our_column\ncase_files,Athena Ref,urn\ncase_files,Unit Name,team\n")
    header = ["force_code", "Athena Ref", "defendant_id", "offence_code", "Unit Name"]
    path = write_csv(tmp_path / "c.csv", [["36", "36AB0000126", "D1", "CJ88001", "King's Lynn CID"]], header)
    load_extracts([path], replace(settings, column_mapping=mapping))
    assert rows(settings, "SELECT urn, team FROM case_offences") == [("36AB0000126", "King's Lynn CID")]


def _xlsx(path: Path, header: list[str], data: list[list[object]], *, preamble: list[str] = (), sheet: str = "Cases") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for line in preamble:
        ws.append([line])
    ws.append(header)
    for r in data:
        ws.append(r)
    wb.save(path)
    return path


def test_xlsx_with_real_dates_text_dates_numbers_and_preamble(tmp_path, settings):
    header = ["Force", "URN", "Defendant", "Offence Code", "Offence Date", "Team", "DA", "Offence Seq"]
    path = _xlsx(
        tmp_path / "cases.xlsx",
        header,
        [
            [36, "36AB0000126", "007", "CJ88001", date(2026, 2, 1), "Norwich CID", "Y", 1],
            [36, "36AB0000226", 7, "CJ88001", "01/03/2026", "Norwich CID", "N", 1],
            [36, "36AB0000326", "D3", "CJ88001", 46054, "Norwich CID", None, 1],
            [36, "36AB0000426", "D4", "CJ88001", "not a date", "Norwich CID", "N", 1],
            *[[36, f"36AB00{i:03d}26", "D", "CJ88001", date(2026, 5, 5), "Norwich CID", "N", 1] for i in range(5, 12)],
        ],
        preamble=["OFFICIAL-SENSITIVE", ""],
    )
    report = load_extracts([path], settings)
    f = report.files[0]
    assert (f.format, f.sheet, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("xlsx", "Cases", 11, 10, 1)
    got = {r[0]: r[1:] for r in rows(settings, "SELECT urn, defendant_id, offence_start_date, da_flag FROM case_offences")}
    assert got["36AB0000126"] == ("007", date(2026, 2, 1), True)
    assert got["36AB0000226"] == ("7", date(2026, 3, 1), False)
    assert got["36AB0000326"] == ("D3", date(2026, 2, 1), None)
    assert rows(settings, "SELECT src_row, column_name FROM quarantine") == [(7, "offence_start_date")]


def test_xlsx_with_two_extract_sheets_is_refused(tmp_path, settings):
    header = ["Force", "URN", "Defendant", "Offence Code", "Team"]
    path = _xlsx(tmp_path / "two.xlsx", header, [[36, "36AB0000126", "D", "CJ88001", "T"]])
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.create_sheet("Copy")
    ws.append(header)
    wb.save(path)
    with pytest.raises(LoadError) as err:
        load_extracts([path], settings)
    assert "more than one sheet" in str(err.value)


def test_xlsx_declaring_xml_entities_is_refused(tmp_path, settings):
    good = _xlsx(tmp_path / "g.xlsx", ["Force", "URN", "Defendant", "Offence Code", "Team"], [[36, "36AB0000126", "D", "CJ88001", "T"]])
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                doctype = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>'
                data = data.replace(b"?>", b"?>" + doctype, 1) if data.startswith(b"<?xml") else doctype + data
            dst.writestr(item, data)
    with pytest.raises(LoadError) as err:
        load_extracts([evil], settings)
    assert "declares XML entities" in str(err.value)


def test_full_cjs_offence_index_can_be_loaded(tmp_path, settings, cjs_offences):
    path = write_csv(
        tmp_path / "c.csv",
        [case_row(urn="36AB0000126", offence_code="AB06001", offence_start_date="15/01/2026")],
    )
    load_extracts([path], settings)
    assert rows(settings, "SELECT stl_rule FROM case_offences") == [("UNKNOWN_OFFENCE",)]
    settings2 = replace(settings, offence_index=cjs_offences)
    load_extracts([path], settings2)
    assert rows(settings2, "SELECT stl_date, stl_rule FROM case_offences") == [(date(2026, 7, 15), "S127")]


def test_offences_settled_without_dates_match_the_per_row_engine(tmp_path, monkeypatch):
    # The loader settles no-limit offences once per (code, mode) pair; every STL column must be
    # what the per-row engine gives, on the whole sample.
    from core.config import Settings
    import data_loaders.load as load_module

    sample = sorted(p for p in Settings().sample_dir.iterdir() if p.suffix in (".csv", ".xlsx") and "case" in p.name)
    cols = ("urn, defendant_id, offence_seq, offence_title_ref, mode_of_trial_resolved, stl_date, stl_rule, "
            "stl_source, stl_alt_date, stl_long_stop_date, stl_extendable, stl_note, stl_last_working_day")
    fast = replace(Settings(), store_dir=tmp_path / "fast")
    load_extracts(sample, fast)
    slow = replace(Settings(), store_dir=tmp_path / "slow")
    monkeypatch.setattr(load_module, "_resolve_without_dates", lambda *args: None)
    load_extracts(sample, slow)
    sql = f"SELECT {cols} FROM case_offences ORDER BY urn, defendant_id, offence_seq"
    got, want = rows(fast, sql), rows(slow, sql)
    assert len(got) > 20_000 and got == want
    assert sum(1 for r in got if r[6] == "NO_STATUTORY_LIMIT") > 5_000


def test_a_file_over_the_row_limit_is_refused_before_it_is_checked(tmp_path, settings):
    path = write_csv(tmp_path / "big.csv", [case_row(urn=f"36AB{n:05d}26", defendant_id=f"D{n}") for n in range(1, 12)])
    with pytest.raises(LoadError) as err:
        load_extracts([path], replace(settings, max_rows_per_file=10))
    assert "big.csv" in str(err.value) and "11 rows, more than the 10" in str(err.value)
    load_extracts([path], replace(settings, max_rows_per_file=11))  # at the limit: accepted


def test_a_zip_bomb_workbook_is_refused_before_parsing(tmp_path, settings):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (200 * 1024 * 1024) + b"/>")
    with pytest.raises(LoadError) as err:
        load_extracts([bomb], settings)
    assert "zip bomb" in str(err.value) and "bomb.xlsx" in str(err.value)
