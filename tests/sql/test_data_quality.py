"""Query tests of the Data page (core/queries/data_quality.sql through core.data_quality).

One case-file extract and one custody extract, loaded together through the real loader. Each row
below makes one point; ``src_row`` is the spreadsheet row (the header is row 1, so the n-th data
row is row n + 1). Every expected value is worked out by hand from these rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from core import data_quality as dq
from core.config import Settings, Thresholds
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from tests.conftest import CASE_HEADER, CUSTODY_HEADER, case_row, custody_row, write_csv

AS_OF = date(2026, 11, 24)
T = Thresholds()
NORFOLK = Scope(("36",))
BOTH = Scope(("36", "37"))
CASE_COLS = CASE_HEADER + ["cjs_triage_date", "sent_to_cps_date", "cps_decision_date", "arrest_date",
                           "offence_end_date", "mode_of_trial"]
CUSTODY_COLS = CUSTODY_HEADER + ["disposal_datetime"]


def urn(n: int, force: str = "36") -> str:
    return f"{force}AB{n:05d}26"


# Case files. Defaults (tests.conftest.case_row): force 36, team Norwich CID, common assault
# CJ88001 (in the bundled offence reference), offence 01/09/2026, created 02/09/2026.
CASES = [
    case_row(urn=urn(1)),  # row 2: clean
    case_row(urn=urn(2), offence_start_date=""),  # row 3: missing offence date
    case_row(urn=urn(3), submitted_to_cjs_date="01/09/2026"),  # row 4: submitted 1 Sep, created 2 Sep
    case_row(urn=urn(4), submitted_to_cjs_date="10/09/2026", cjs_triage_date="09/09/2026"),  # row 5
    case_row(urn=urn(5), sent_to_cps_date="20/09/2026", cps_decision_date="19/09/2026"),  # row 6
    case_row(urn=urn(6), commenced_date="31/08/2026", arrest_date="30/08/2026"),  # row 7: two broken pairs
    case_row(urn=urn(7), submitted_to_cjs_date="02/09/2026", cjs_triage_date="02/09/2026",  # row 8: same
             sent_to_cps_date="02/09/2026", cps_decision_date="02/09/2026",  # days are all possible
             commenced_date="02/09/2026", arrest_date="01/09/2026"),
    case_row(urn=urn(8), offence_end_date="31/08/2026"),  # row 9: ends before it starts
    case_row(urn=urn(9), team="Norwich CDI"),  # row 10: a team name used once (typo)
    case_row(urn=urn(10), team="Solo Team", offence_seq="1"),  # rows 11-12: a team with one case
    case_row(urn=urn(10), team="Solo Team", offence_seq="2"),  # of two offences = one record
    case_row(urn=urn(11), team="Breckland CID"),  # rows 13-14: a team with two cases
    case_row(urn=urn(12), team="Breckland CID"),
    case_row(urn=urn(13), offence_code="XX00901"),  # row 15: unknown code, no mode of trial
    case_row(urn=urn(14), offence_code="RT88584", mode_of_trial="SUMMARY"),  # row 16: unknown, mode given
    case_row(urn=urn(15), offence_seq="1"),  # row 17
    case_row(urn=urn(15), offence_seq="1", offence_code="CJ88116"),  # row 18: same key as row 17, differs
    case_row(urn="36AB12"),  # row 19: URN in the wrong format
    case_row(urn=urn(17), offence_start_date="31/02/2026"),  # row 20: not a date: quarantined
    case_row(force_code="37", urn=urn(1, "37"), team="Ipswich CID", offence_start_date=""),  # row 21
    case_row(force_code="37", urn=urn(2, "37"), team="Ipswich CID"),  # row 22: Suffolk, clean
]
CUSTODY = [
    custody_row(custody_record_id="AYL-26-000001"),  # row 2: clean
    custody_row(custody_record_id="AYL-26-000002", disposal_datetime="01/11/2026 09:00"),  # row 3: before arrest
    custody_row(custody_record_id="AYL-26-000003", team=""),  # row 4: no team
    custody_row(custody_record_id="AYL-26-000004", urn="BAD1"),  # row 5: URN in the wrong format
    custody_row(custody_record_id="AYL-26-000005", urn=""),  # row 6: no URN yet: not flagged
    custody_row(custody_record_id="AYL-26-000006", disposal_datetime="01/11/2026 10:30"),  # row 7: same time
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dq")
    settings = replace(Settings(), store_dir=tmp / "store")
    cases = write_csv(tmp / "cases.csv", CASES, CASE_COLS)
    custody = write_csv(tmp / "custody.csv", CUSTODY, CUSTODY_COLS)
    load_extracts([cases, custody], settings)
    return settings, tmp


@pytest.fixture(scope="module")
def con(loaded):
    connection = Store(loaded[0].store_dir).connect_read()
    yield connection
    connection.close()


def counts(con, scope=NORFOLK, **kw) -> dict[str, int]:
    df = dq.check_counts(con, scope, AS_OF, T, **kw)
    assert df["check_id"].tolist() == list(dq.CHECK_IDS)  # every check, in order, zeros included
    return dict(zip(df["check_id"], df["flagged"], strict=True))


def flagged(con, check: str, scope=NORFOLK, **kw) -> list[tuple]:
    df = dq.check_rows(con, scope, AS_OF, T, check=check, **kw)
    return list(zip(df["source"], df["src_row"], df["field"], strict=True))


def test_each_check_counts_the_rows_made_to_fail_it(con):
    assert counts(con) == {
        "missing_offence_date": 1,  # row 3 (Suffolk's row 21 is out of scope)
        "impossible_date_order": 7,  # case rows 4, 5, 6, 7 (twice), 9; custody row 3
        "unknown_team": 4,  # case rows 10, 11, 12; custody row 4
        "unknown_offence_code": 2,  # rows 15, 16
        "duplicate": 1,  # row 18
        "urn_format": 2,  # case row 19; custody row 5
    }


def test_counts_widen_with_the_scope(con):
    got = counts(con, BOTH)
    assert got["missing_offence_date"] == 2  # row 21 too
    assert got["unknown_team"] == 4  # Ipswich CID has two records: not flagged


def test_the_rows_behind_each_check(con):
    assert flagged(con, "missing_offence_date") == [("case file", 3, "offence_start_date")]
    assert flagged(con, "impossible_date_order") == [
        ("case file", 4, "submitted_to_cjs_date"),
        ("case file", 5, "cjs_triage_date"),
        ("case file", 6, "cps_decision_date"),
        ("case file", 7, "arrest_date"),
        ("case file", 7, "commenced_date"),
        ("case file", 9, "offence_end_date"),
        ("custody", 3, "disposal_datetime"),
    ]
    assert flagged(con, "unknown_team") == [
        ("case file", 10, "team"), ("case file", 11, "team"), ("case file", 12, "team"), ("custody", 4, "team"),
    ]
    assert flagged(con, "unknown_offence_code") == [("case file", 15, "offence_code"), ("case file", 16, "offence_code")]
    assert flagged(con, "duplicate") == [("case file", 18, "offence_seq")]
    assert flagged(con, "urn_format") == [("case file", 19, "urn"), ("custody", 5, "urn")]


def test_each_flagged_row_says_why_and_where(con):
    df = dq.check_rows(con, NORFOLK, AS_OF, T, check="impossible_date_order")
    assert list(df.columns) == ["source", "force_code", "team", "oic_id", "urn", "person", "record", "field",
                                "value", "detail", "src_file", "src_row"]
    first = df.iloc[0]
    assert (first["urn"], first["person"], first["record"], first["src_file"]) == (urn(3), "D1", "offence 1", "cases.csv")
    assert first["value"] == "01/09/2026"
    assert first["detail"] == ("Submitted before the file was created: submitted to CJS 01/09/2026 is before "
                               "created 02/09/2026.")
    custody = df[df["source"] == "custody"].iloc[0]
    assert custody["record"] == "AYL-26-000002" and custody["src_file"] == "custody.csv"
    assert custody["detail"] == "Disposed of before the arrest: disposal 01/11/2026 09:00 is before arrest 01/11/2026 10:30."

    teams = dq.check_rows(con, NORFOLK, AS_OF, T, check="unknown_team").set_index("src_row")["detail"]
    assert teams[10] == "Team name used on only 1 record(s) of this force: a misspelling?"
    assert teams[11] == teams[12]  # one case of two offences: one record
    codes = dq.check_rows(con, NORFOLK, AS_OF, T, check="unknown_offence_code").set_index("src_row")
    assert codes.at[15, "value"] == "XX00901" and "cannot be worked out" in codes.at[15, "detail"]
    assert codes.at[16, "value"] == "RT88584" and "(SUMMARY)" in codes.at[16, "detail"]
    dup = dq.check_rows(con, NORFOLK, AS_OF, T, check="duplicate").iloc[0]
    assert "as row 17" in dup["detail"] and dup["urn"] == urn(15)


def test_a_team_filter_limits_the_rows_but_not_what_counts_as_rare(con):
    solo = Scope(("36",), ("Solo Team",))
    assert counts(con, solo) == {"missing_offence_date": 0, "impossible_date_order": 0, "unknown_team": 2,
                                 "unknown_offence_code": 0, "duplicate": 0, "urn_format": 0}
    officer = Scope(("36",), None, ("PC 9999",))
    assert sum(counts(con, officer).values()) == 0


def test_a_configured_team_list_decides_instead(con):
    known = ("Norwich CID", "breckland cid", " Solo Team ")
    assert counts(con, known_teams=known)["unknown_team"] == 2
    df = dq.check_rows(con, NORFOLK, AS_OF, T, check="unknown_team", known_teams=known)
    assert dict(zip(df["src_row"], df["detail"], strict=True)) == {
        10: "Team not in the configured list of teams.",
        4: "No team recorded: the record is outside every team filter.",
    }


def test_the_rarity_threshold_is_configurable(con):
    assert counts(con, rare_team_records=2)["unknown_team"] == 6  # Breckland CID's two rows as well
    with pytest.raises(ValueError):
        counts(con, rare_team_records=0)


def test_the_row_list_is_capped_but_the_count_is_not(con):
    assert len(dq.check_rows(con, NORFOLK, AS_OF, T, check="impossible_date_order", cap=3)) == 3
    with pytest.raises(ValueError):
        dq.check_rows(con, NORFOLK, AS_OF, T, check="no_such_check")


def test_a_quarantined_row_is_in_the_validation_report_not_in_any_check(con):
    loads = dq.loads(con, NORFOLK, AS_OF, T)
    assert loads[["load_id", "files", "file_count", "rows_read", "rows_loaded", "rows_quarantined"]].values.tolist() == [
        [1, "cases.csv, custody.csv", 2, 27, 26, 1]
    ]
    q = dq.quarantined(con, NORFOLK, AS_OF, T, load_ids=(1,))
    assert q[["load_id", "file_name", "src_row", "column_name", "value"]].values.tolist() == [
        [1, "cases.csv", 20, "offence_start_date", "31/02/2026"]
    ]
    assert "not a valid date" in q.iloc[0]["reason"] and f"urn={urn(17)}" in q.iloc[0]["raw_record"]
    assert dq.quarantine_count(con, NORFOLK, AS_OF, T, load_ids=(1,)) == 1
    assert dq.quarantine_count(con, NORFOLK, AS_OF, T, load_ids=(2,)) == 0
    for check in dq.CHECK_IDS:
        assert 20 not in dq.check_rows(con, BOTH, AS_OF, T, check=check).query("source == 'case file'")["src_row"].tolist()


def test_the_load_history_shows_every_file_and_what_is_still_served(loaded):
    settings, tmp = loaded
    other = replace(settings, store_dir=tmp / "store2")
    load_extracts([tmp / "cases.csv", tmp / "custody.csv"], other)
    # A second load of Suffolk case files replaces the two Suffolk rows of the first load.
    suffolk = write_csv(tmp / "suffolk.csv", [case_row(force_code="37", urn=urn(3, "37"), team="Ipswich CID")],
                        CASE_COLS)
    load_extracts([suffolk], other)
    con = Store(other.store_dir).connect_read()
    try:
        history = dq.load_history(con, NORFOLK, AS_OF, T)
        got = history[["load_id", "file_name", "rows_read", "rows_loaded", "rows_quarantined", "rows_served",
                       "adds_up"]].values.tolist()
        assert got == [
            [2, "suffolk.csv", 1, 1, 0, 1, True],
            [1, "cases.csv", 21, 20, 1, 18, True],
            [1, "custody.csv", 6, 6, 0, 6, True],
        ]
        assert dq.loads(con, NORFOLK, AS_OF, T)["load_id"].tolist() == [2, 1]
        assert dq.quarantine_count(con, NORFOLK, AS_OF, T, load_ids=(1, 2)) == 1
    finally:
        con.close()


# -- the pure helpers ---------------------------------------------------------------------------------
def test_attempts_are_listed_newest_first_with_their_outcome():
    entries = [
        {"at": "2026-11-24T06:00:00+00:00", "files": ["a.csv"], "status": "published", "load_id": 1,
         "generation": "gen-1.duckdb"},
        {"at": "2026-11-24T07:00:00+00:00", "files": ["b.csv"], "status": "refused",
         "errors": ["file b.csv: no header row found", "file c.csv, row 4: bad"]},
        {"at": "2026-11-24T08:00:00+00:00", "files": [], "status": "pruned", "removed": ["gen-0.duckdb"]},
    ]
    df = dq.attempts_frame(entries)
    assert df["outcome"].tolist() == ["🗑️ Old generations removed", "⛔ Refused", "✅ Published"]
    assert df.loc[1, "errors"] == "file b.csv: no header row found; file c.csv, row 4: bad"
    assert df.loc[2, "load_id"] == 1 and pd.isna(df.loc[1, "load_id"])
    assert df.loc[2, "at"] == pd.Timestamp("2026-11-24 06:00:00")
    assert len(dq.attempts_frame(entries, limit=1)) == 1
    assert dq.attempts_frame([]).empty


def test_a_load_report_checks_that_each_file_adds_up():
    files = [{"file_name": "a.csv", "kind": "case_files", "forces": ["36"], "rows_read": 10, "rows_loaded": 8,
              "rows_quarantined": 2, "rows_skipped": 1, "warnings": 0, "ignored_columns": ["notes"]},
             {"file_name": "b.csv", "kind": "custody", "forces": ["37"], "rows_read": 5, "rows_loaded": 4,
              "rows_quarantined": 0, "rows_skipped": 0, "warnings": 1, "ignored_columns": []}]
    df = dq.report_frame(files)
    assert df["Adds up"].tolist() == ["✅ yes", "⚠️ no"]
    assert df["Columns not kept"].tolist() == ["notes", "none"]
    errors = dq.errors_frame([{"file": "c.csv", "row": 4, "column": "urn", "reason": "bad"},
                              {"file": "d.csv", "row": None, "column": None, "reason": "no header row"}])
    assert errors.values.tolist() == [["c.csv", "4", "urn", "bad"], ["d.csv", "", "", "no header row"]]
