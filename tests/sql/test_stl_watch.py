"""Query tests of the STL watch page (core.stl_watch, core/queries/stl_watch.sql) on a hand-made scenario.

As of Tuesday 24 November 2026. Every expected value is worked out by hand in the comments: STL =
offence date + 6 calendar months (s.127, R0/R2) unless stated; last working day (LWD) = the latest
working day on or before the STL (England & Wales bank holidays 2026: Fri 25 Dec Christmas Day, Sat 26
Dec Boxing Day, Mon 28 Dec Boxing Day (observed); 2027: Fri 1 Jan, Mon 3 May Early May). Bands (R12,
default thresholds): RED <= 14 days and unsubmitted (or <= 7 days), AMBER <= 42 days and unsubmitted.
Working days after Tue 24 Nov: 25 Nov = 1, 26 = 2, 27 = 3, 30 = 4, 1 Dec = 5, 2 = 6, 4 = 8, 10 = 12,
15 = 15, 18 = 18, 24 Dec = 22.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from io import BytesIO

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from core import queries
from core import stl_watch as sw
from core.config import Settings, Thresholds
from core.export import escape_cell, write_report_xlsx
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from tests.conftest import CASE_HEADER, case_row, custody_row, write_csv

AS_OF = date(2026, 11, 24)
T = Thresholds()
ALL = Scope(("36",))
NORWICH, BRECK = "Norwich CID", "Breckland CID"
FORMULA = '=HYPERLINK("http://example.invalid","click")'
MARKING = "OFFICIAL-SENSITIVE"

# urn -> the case's story. Common assault (CJ88001, summary) unless stated; created 02/09/2026.
CASES = {
    "A": ("36WA0000126", dict(offence_start_date="05/06/2026")),  # STL Sat 05/12 -> LWD Fri 04/12; 11 days: RED
    "B": ("36WA0000226", dict(offence_start_date="01/06/2026", oic_name=FORMULA)),  # STL Tue 01/12; 7 days: RED
    "C": ("36WA0000326", dict(offence_start_date="28/06/2026")),  # STL Mon 28/12 (BH) -> LWD Thu 24/12; 34 days: AMBER
    "D": ("36WA0000426", dict(offence_start_date="03/11/2026", created_date="04/11/2026")),  # STL Mon 03/05/2027 (BH) -> Fri 30/04: GREEN
    "E": ("36WA0000526", dict(offence_start_date="26/06/2026")),  # STL Sat 26/12 (BH) -> LWD Thu 24/12; 32 days: AMBER
    "F": ("36WA0000626", dict(offence_start_date="20/06/2026", submitted_to_cjs_date="01/11/2026",
                              file_status="SENT_TO_CPS")),  # STL Sun 20/12 -> Fri 18/12; submitted, 26 days: GREEN
    "G": ("36WA0000726", dict(offence_start_date="01/05/2026", team=BRECK)),  # STL Sun 01/11 passed: BLACK (Nov)
    "H": ("36WA0000826", dict(offence_start_date="15/04/2026", file_status="CLOSED",
                              file_stage="CLOSED")),  # STL Thu 15/10 passed, file closed: BLACK list only (Oct)
    "I": ("36WA0000926", dict(offence_start_date="10/04/2026", commenced_date="01/11/2026",
                              file_stage="FIRST_HEARING_GAP", file_status="DECIDED")),  # STL Sat 10/10, charged late: BLACK (Oct)
    "J": ("36WA0001026", dict(offence_start_date="01/05/2026", commenced_date="01/10/2026",
                              file_stage="FIRST_HEARING_GAP", file_status="DECIDED")),  # charged in time: COMMENCED
    "K": ("36WA0001126", dict(offence_code="TH68010")),  # theft, either way: NO_LIMIT
    "L": ("36WA0001226", dict(offence_code="ZZ99999")),  # unknown code: UNKNOWN, no dates
    "M": ("36WA0001326", dict(offence_start_date="20/11/2026", created_date="01/12/2026")),  # created after as-of
    "O": ("36WA0001526", dict(offence_start_date="01/03/2026", da_flag="Y",
                              victim_statement_date="10/06/2026")),  # s.39A: 10/06 + 6 months = Thu 10/12; 16 days: AMBER
    "Q": ("36WA0001626", dict(offence_start_date="02/06/2026", offence_end_date="10/06/2026")),  # range: from start, Wed 02/12; alt 10/12: RED
    "R": ("36WA0001726", dict(offence_start_date="01/02/2026")),  # STL Sat 01/08 -> Fri 31/07 passed: BLACK (Aug)
    "S": ("36WA0001826", dict(offence_code="RA88001", offence_start_date="01/01/2026",
                              knowledge_date="15/06/2026")),  # RTOA s.6: 15/06 + 6 months = Tue 15/12; 21 days: AMBER
}
# N: two offences on one case; the either-way theft has no limit, the assault governs.
TWO_OFFENCES = [
    case_row(urn="36WA0001426", offence_seq="1", offence_code="TH68010", offence_start_date="25/06/2026"),
    case_row(urn="36WA0001426", offence_seq="2", offence_start_date="25/06/2026"),  # STL Fri 25/12 (BH) -> Thu 24/12: AMBER
]
URN = {k: u for k, (u, _) in CASES.items()} | {"N": "36WA0001426"}
CUSTODY = [
    custody_row(custody_record_id="WYM-26-000001", urn=URN["B"], file_target_date="15/11/2026"),  # B unsubmitted: 9 days over
    custody_row(custody_record_id="WYM-26-000002", urn=URN["F"], file_target_date="15/11/2026"),  # F submitted 01/11: fine
    custody_row(custody_record_id="WYM-26-000003", urn="", file_target_date="20/11/2026"),  # no case file: 4 days over
    custody_row(custody_record_id="WYM-26-000004", urn=URN["A"], file_target_date="30/11/2026"),  # not yet due
]
HEADER = CASE_HEADER + ["offence_end_date", "knowledge_date"]
DEFAULT_ORDER = ["B", "Q", "A", "L", "O", "S", "N", "E", "C", "R", "I", "G"]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stl_watch")
    rows = [case_row(urn=u, **o) for u, o in CASES.values()] + TWO_OFFENCES
    settings = replace(Settings(), store_dir=tmp / "store")
    load_extracts([write_csv(tmp / "cases.csv", rows, HEADER), write_csv(tmp / "custody.csv", CUSTODY)], settings)
    connection = Store(settings.store_dir).connect_read()
    yield connection
    connection.close()


def letters(urns) -> list[str]:
    back = {u: k for k, u in URN.items()}
    return [back[u] for u in urns]


def d(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# -- the case list ------------------------------------------------------------------------------


def test_the_list_is_by_band_then_last_working_day(con):
    w = sw.watch(con, ALL, AS_OF, T)
    assert letters(w.cases["urn"]) == DEFAULT_ORDER
    got = w.cases[["band", "last_working_day", "stl_date", "working_days_left", "days_remaining"]]
    assert got.head(3).values.tolist() == [
        ["RED", d("2026-12-01"), d("2026-12-01"), 5, 7],  # B: a Tuesday, its own last working day
        ["RED", d("2026-12-02"), d("2026-12-02"), 6, 8],  # Q: from the start of its date range
        ["RED", d("2026-12-04"), d("2026-12-05"), 8, 11],  # A: Saturday STL falls back to Friday
    ]


def test_a_saturday_stl_falls_back_to_the_friday(con):
    a = sw.watch(con, ALL, AS_OF, T).cases.set_index("urn").loc[URN["A"]]
    assert (a["stl_date"], a["last_working_day"]) == (d("2026-12-05"), d("2026-12-04"))
    assert a["how"] == ("offence date 05/06/2026 + 6 months = STL Sat 05/12/2026; last working day "
                        "Fri 04/12/2026 (Sat 05/12/2026 weekend)")


def test_a_bank_holiday_monday_stl_falls_back_to_the_friday_before(con):
    w = sw.watch(con, ALL, AS_OF, T, bands=("GREEN",))
    dd = w.cases.set_index("urn").loc[URN["D"]]
    assert (dd["stl_date"], dd["last_working_day"]) == (d("2027-05-03"), d("2027-04-30"))
    assert "Mon 03/05/2027 bank holiday: May Day" in dd["how"]
    # The Christmas cluster: three STLs (Fri 25, Sat 26, Mon 28 Dec) share the last working day
    # Thu 24 Dec and are then in STL order.
    amber = sw.watch(con, ALL, AS_OF, T, bands=("AMBER",)).cases
    assert letters(amber["urn"]) == ["O", "S", "N", "E", "C"]
    assert amber["last_working_day"].tolist()[2:] == [d("2026-12-24")] * 3
    assert amber["stl_date"].tolist()[2:] == [d("2026-12-25"), d("2026-12-26"), d("2026-12-28")]


def test_each_row_shows_the_rule_and_its_inputs(con):
    rows = sw.watch(con, ALL, AS_OF, T).cases.set_index("urn")
    o, q, s = rows.loc[URN["O"]], rows.loc[URN["Q"]], rows.loc[URN["S"]]
    assert (o["stl_rule"], o["statement_vri_date"], o["stl_long_stop_date"]) == ("S39A", d("2026-06-10"), d("2028-03-01"))
    assert o["how"] == "first statement/VRI 10/06/2026 + 6 months = STL Thu 10/12/2026; a working day"
    assert (q["stl_rule"], q["offence_end_date"], q["stl_alt_date"]) == ("S127", d("2026-06-10"), d("2026-12-10"))
    assert "date range" in q["stl_note"]
    assert (s["stl_rule"], s["knowledge_date"]) == ("RTOA_S6", d("2026-06-15"))
    assert s["how"] == "knowledge date 15/06/2026 + 6 months = STL Tue 15/12/2026; a working day"
    assert rows.loc[URN["I"], "commenced_date"] == d("2026-11-01")
    assert "commenced 01/11/2026 (after the STL)" in rows.loc[URN["I"], "how"]
    assert rows.loc[URN["L"], "stl_rule"] == "UNKNOWN_OFFENCE" and pd.isna(rows.loc[URN["L"], "stl_date"])
    assert {c.name for c in sw.CASE_COLUMNS} <= set(rows.reset_index().columns)


def test_the_band_choice_filters_the_list(con):
    assert letters(sw.watch(con, ALL, AS_OF, T, bands=("GREEN",)).cases["urn"]) == ["F", "D"]
    assert letters(sw.watch(con, ALL, AS_OF, T, bands=("BLACK", "UNKNOWN")).cases["urn"]) == ["L", "R", "I", "G"]
    assert sw.watch(con, ALL, AS_OF, T, bands=()).cases.empty


def test_the_list_is_paged_in_sql(con):
    first = sw.watch(con, ALL, AS_OF, T, page=1, page_size=4)
    last = sw.watch(con, ALL, AS_OF, T, page=3, page_size=4)
    assert letters(first.cases["urn"]) == DEFAULT_ORDER[:4]
    assert letters(last.cases["urn"]) == DEFAULT_ORDER[8:]
    assert (first.total_listed, first.pages, last.total_listed) == (12, 3, 12)
    assert sw.reconcile_cases(last).excluded[-1][1] == 12 - 4  # the other two pages
    assert sw.reconcile_cases(last).adds_up


def test_selecting_a_case_lists_all_its_offences(con):
    df = sw.case_offences(con, ALL, AS_OF, T, force_code="36", urn=URN["N"], defendant_id="D1")
    assert df[["offence_seq", "offence_code", "band", "stl_rule", "stl_date"]].values.tolist() == [
        [1, "TH68010", "NO_LIMIT", "NO_STATUTORY_LIMIT", pd.NaT],
        [2, "CJ88001", "AMBER", "S127", d("2026-12-25")],
    ]
    assert df.loc[1, "how"] == ("offence date 25/06/2026 + 6 months = STL Fri 25/12/2026; last working day "
                                "Thu 24/12/2026 (Fri 25/12/2026 bank holiday: Christmas Day)")


def test_the_team_filter_narrows_the_list(con):
    w = sw.watch(con, ALL.narrow(teams=[BRECK]), AS_OF, T)
    assert letters(w.cases["urn"]) == ["G"]
    assert w.summary.cases_in_scope == 1


def test_looking_back_treats_later_events_as_not_yet_happened(con):
    # On 30 Sep 2026 case J was not yet charged (charged 1 Oct): STL Sun 1 Nov is 32 days away, AMBER.
    w = sw.watch(con, ALL, date(2026, 9, 30), T)
    j = w.cases.set_index("urn").loc[URN["J"]]
    assert (j["band"], j["last_working_day"]) == ("AMBER", d("2026-10-30"))
    assert pd.isna(j["commenced_date"])


# -- counts and reconciliation ----------------------------------------------------------------------


def test_every_case_in_scope_is_counted_once_in_one_category(con):
    s = sw.watch(con, ALL, AS_OF, T).summary
    assert s.categories == {
        "listed": (12, 13),  # RED B Q A, UNKNOWN L, AMBER O S N(2 rows) E C, BLACK R I G
        "band_not_selected": (2, 2),  # GREEN D F
        "closed": (1, 1),  # H
        "commenced": (1, 1),  # J
        "no_limit": (1, 1),  # K
        "not_created": (1, 1),  # M
    }
    cur = con.cursor()
    try:
        distinct, rows = cur.execute(
            "SELECT count(DISTINCT (force_code, urn, defendant_id)), count(*) FROM case_offences"
        ).fetchone()
    finally:
        cur.close()
    assert (s.cases_in_scope, s.offence_rows_in_scope) == (distinct, rows) == (18, 19)


def test_band_metrics_equal_the_overview_counts(con):
    s = sw.watch(con, ALL, AS_OF, T).summary
    assert s.bands == {"RED": 3, "UNKNOWN": 1, "AMBER": 5, "GREEN": 2, "BLACK": 3}
    home = queries.stl_band_counts(con, ALL, AS_OF, T)
    assert s.bands == {b: n for b, n in zip(home["band"], home["cases"], strict=True) if b in sw.SELECTABLE_BANDS}


def test_the_reconciliation_adds_up_in_cases_and_in_offence_rows(con):
    w = sw.watch(con, ALL, AS_OF, T, bands=("RED", "GREEN"), drill_bucket=10, page_size=1)
    by_case, by_row = sw.reconcile_cases(w), sw.reconcile_offence_rows(w)
    assert by_case.adds_up and by_row.adds_up
    assert (by_case.in_scope, by_case.shown) == (18, 1)
    assert dict(by_case.excluded) == {
        "file closed": 1,
        "proceedings commenced on or before every STL": 1,
        "no statutory time limit (either-way or indictable-only)": 1,
        "band not selected": 9,  # UNKNOWN L, AMBER O S N E C, BLACK R I G
        "outside the countdown bar or calendar day chosen": 3,  # B (5 working days), D and F (later)
        "file created after the as-of date": 1,
        "on other pages of the list (1 cases a page)": 1,  # Q and A are in bucket 6-10; A is on page 2
    }


# -- countdown and calendar ---------------------------------------------------------------------------


def test_countdown_buckets_by_working_days_left(con):
    table = sw.countdown_table(sw.watch(con, ALL, AS_OF, T).summary)
    got = {row["countdown"]: row["cases"] for row in table.to_dict("records") if row["cases"]}
    assert got == {
        "STL passed": 3,  # R I G
        "No STL date: check": 1,  # L
        "5 working days": 1,  # B, LWD 1 Dec
        "6–10 working days": 2,  # Q (2 Dec = 6), A (4 Dec = 8)
        "11–20 working days": 2,  # O (10 Dec = 12), S (15 Dec = 15)
        "Over 20 working days": 3,  # N E C (24 Dec = 22)
    }
    assert list(table["countdown"]) == [label for _, label in sw.BUCKETS]


def test_drilling_into_a_countdown_bar_or_a_day_narrows_the_list(con):
    assert letters(sw.watch(con, ALL, AS_OF, T, drill_bucket=10).cases["urn"]) == ["Q", "A"]
    assert letters(sw.watch(con, ALL, AS_OF, T, drill_day=date(2026, 12, 28)).cases["urn"]) == ["C"]
    # The charts still count every case in the chosen bands while the list is narrowed.
    assert sw.watch(con, ALL, AS_OF, T, drill_day=date(2026, 12, 28)).summary.in_chosen_bands == 12


def test_calendar_counts_by_day_with_weekends_and_bank_holidays_marked(con):
    s = sw.watch(con, ALL, AS_OF, T).summary
    grid = sw.calendar_grid(s, AS_OF, 8, sw.working_calendar())
    assert len(grid) == 56 and grid["date"].iloc[0] == date(2026, 11, 23) and grid["date"].iloc[-1] == date(2027, 1, 17)
    by_day = grid.set_index("date")
    counted = {dd: n for dd, n in by_day["cases"].items() if n}
    assert counted == {
        date(2026, 12, 1): 1,  # B
        date(2026, 12, 2): 1,  # Q
        date(2026, 12, 5): 1,  # A (Saturday)
        date(2026, 12, 10): 1,  # O
        date(2026, 12, 15): 1,  # S
        date(2026, 12, 25): 1,  # N (Christmas Day)
        date(2026, 12, 26): 1,  # E (Boxing Day, a Saturday)
        date(2026, 12, 28): 1,  # C (Boxing Day observed)
    }
    assert by_day.loc[date(2026, 12, 5), "day_type"] == "Weekend"
    assert by_day.loc[date(2026, 12, 25), "day_type"] == "Bank holiday: Christmas Day"
    assert by_day.loc[date(2026, 12, 26), "day_type"] == "Bank holiday: Boxing Day"
    assert by_day.loc[date(2026, 12, 28), "day_type"] == "Bank holiday: Boxing Day (observed)"
    assert by_day.loc[date(2027, 1, 1), ["day_type", "cases"]].tolist() == ["Bank holiday: New Year's Day", 0]
    assert not by_day.loc[date(2026, 12, 28), "working"] and by_day.loc[date(2026, 12, 24), "working"]
    assert by_day.loc[date(2026, 11, 23), "past"] and not by_day.loc[AS_OF, "past"]
    # Adding GREEN adds F (Sun 20 Dec); D's STL (3 May 2027) is beyond the eight weeks.
    green = sw.calendar_grid(sw.watch(con, ALL, AS_OF, T, bands=("GREEN",)).summary, AS_OF, 8, sw.working_calendar())
    assert {dd: n for dd, n in green.set_index("date")["cases"].items() if n} == {date(2026, 12, 20): 1}


def test_a_local_closure_moves_the_countdown(con):
    # A CJU closure on Wed 25 Nov makes Tue 1 Dec the 4th working day, not the 5th.
    w = sw.watch(con, ALL, AS_OF, T, closures=("2026-11-25",))
    assert w.cases.set_index("urn").loc[URN["B"], "working_days_left"] == 4


# -- BLACK list ----------------------------------------------------------------------------------------


def test_black_list_by_team_and_month_uses_the_period(con):
    period = (date(2026, 9, 1), AS_OF)
    df = sw.black_by_team_month(con, ALL, AS_OF, T, period=period)
    assert df[["team", "month", "cases"]].values.tolist() == [
        [NORWICH, d("2026-10-01"), 2],  # H (closed since) and I (charged late)
        [BRECK, d("2026-11-01"), 1],  # G
    ]
    matrix = sw.black_matrix(df, period)
    assert list(matrix.columns) == ["force_code", "team", "Sep 2026", "Oct 2026", "Nov 2026", "total"]
    assert matrix[["team", "Oct 2026", "Nov 2026", "total"]].values.tolist() == [[NORWICH, 2, 0, 2], [BRECK, 0, 1, 1]]
    # A longer period reaches back to R (STL 1 Aug).
    longer = sw.black_by_team_month(con, ALL, AS_OF, T, period=(date(2026, 7, 1), AS_OF))
    assert longer["cases"].sum() == 4 and d("2026-08-01") in set(longer["month"])


def test_black_cases_list_one_team_and_month_most_recent_first(con):
    period = (date(2026, 9, 1), AS_OF)
    everything = sw.black_cases(con, ALL, AS_OF, T, period=period)
    assert letters(everything["urn"]) == ["G", "H", "I"]
    assert sw.total_of(everything) == 3
    one = sw.black_cases(con, ALL, AS_OF, T, period=period, force_code="36", team=NORWICH, month=date(2026, 10, 1))
    assert letters(one["urn"]) == ["H", "I"]
    assert one.set_index("urn").loc[URN["H"], "file_status"] == "CLOSED"
    assert letters(sw.black_cases(con, ALL, AS_OF, T, period=period, limit=1)["urn"]) == ["G"]


# -- custody ------------------------------------------------------------------------------------------


def test_custody_records_past_their_file_target(con):
    df = sw.custody_missed_target(con, ALL, AS_OF, T)
    assert df[["custody_record_id", "days_overdue", "file_position"]].values.tolist() == [
        ["WYM-26-000001", 9, "case file not submitted"],
        ["WYM-26-000003", 4, "no case file found"],
    ]
    # The same rows as the headless Insight report's query.
    insight = queries.custody_missed_target(con, ALL, AS_OF, T)
    pd.testing.assert_frame_equal(df.drop(columns="total_rows"), insight)
    capped = sw.custody_missed_target(con, ALL, AS_OF, T, limit=1)
    assert (len(capped), sw.total_of(capped)) == (1, 2)


# -- export --------------------------------------------------------------------------------------------


def screen_for(con) -> sw.Screen:
    w = sw.watch(con, ALL, AS_OF, T)
    period = (date(2026, 9, 1), AS_OF)
    matrix = sw.black_matrix(sw.black_by_team_month(con, ALL, AS_OF, T, period=period), period)
    grid = sw.calendar_grid(w.summary, AS_OF, 8, sw.working_calendar())
    return sw.Screen(
        as_of=AS_OF, bands=sw.DEFAULT_BANDS, cases=w.cases,
        offences=sw.case_offences(con, ALL, AS_OF, T, force_code="36", urn=URN["N"], defendant_id="D1"),
        countdown=sw.countdown_table(w.summary), calendar=sw.calendar_table(grid),
        custody=sw.custody_missed_target(con, ALL, AS_OF, T), black_matrix=matrix,
        black_cases=sw.black_cases(con, ALL, AS_OF, T, period=period),
    )


def expected(value, kind):
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == "date":
        return value.date() if isinstance(value, (pd.Timestamp, datetime)) else value
    if kind == "int":
        return int(value)
    return escape_cell(str(value))


def read_back(value):
    if isinstance(value, str):
        return unescape(value)
    if isinstance(value, datetime):
        return value.date()
    return value


def test_export_writes_exactly_the_frames_on_screen(con):
    screen = screen_for(con)
    buf = BytesIO()
    write_report_xlsx(sw.export_sheets(screen), buf, marking=MARKING, title=screen.title, as_of=AS_OF,
                      generated_at=datetime(2026, 11, 24, 7, tzinfo=UTC))
    wb = openpyxl.load_workbook(BytesIO(buf.getvalue()))
    assert wb.sheetnames == ["Notes", "STL watch cases", "Case offences", "Countdown", "Calendar",
                             "Custody missed target", "BLACK by team and month", "BLACK list"]
    for sheet in sw.export_sheets(screen):
        ws = wb[sheet.name]
        assert MARKING in ws.oddHeader.center.text and MARKING in ws.oddFooter.center.text
        assert ws["A1"].value == MARKING
        assert [c.value for c in ws[3]][: len(sheet.columns)] == [c.header for c in sheet.columns]
        got = [[read_back(c.value) for c in row] for row in ws.iter_rows(min_row=4, max_col=len(sheet.columns))]
        want = [[expected(v, c.kind) for v, c in zip(r, sheet.columns, strict=True)]
                for r in sheet.df[[c.name for c in sheet.columns]].itertuples(index=False)]
        assert got == want, sheet.name
    cases = wb["STL watch cases"]
    assert [r[5].value for r in cases.iter_rows(min_row=4)] == list(screen.cases["urn"])  # same rows, same order
    oic_name = [c.header for c in sw.CASE_COLUMNS].index("OIC name")
    b_row = list(screen.cases["urn"]).index(URN["B"]) + 4
    assert cases.cell(b_row, oic_name + 1).value == "'" + FORMULA  # formula escaped, stored as text
    assert cases.cell(b_row, oic_name + 1).data_type == "s"
