"""Query tests on a temporary store built from a small hand-made scenario.

As of Tuesday 24 November 2026. Every expected value below is worked out by hand from the rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from core import insight, queries
from core.config import Settings, Thresholds
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from tests.conftest import case_row, custody_row, write_csv

AS_OF = date(2026, 11, 24)
T = Thresholds()
NORWICH = "Norwich CID"
BRECK = "Breckland CID"

CASES = [
    # urn, overrides
    ("36AA0000126", dict(offence_start_date="01/06/2026", last_review_date="20/10/2026")),  # STL 1 Dec: RED, review overdue
    ("36AA0000226", dict(offence_start_date="20/06/2026", last_review_date="20/11/2026")),  # STL 20 Dec: AMBER, review ok
    ("36AA0000326", dict(offence_start_date="10/06/2026", submitted_to_cjs_date="01/11/2026",
                         file_status="SENT_TO_CPS", last_review_date="20/11/2026")),  # STL 10 Dec, submitted: GREEN, in queue
    ("36AA0000426", dict(offence_start_date="01/05/2026", last_review_date="20/11/2026")),  # STL 1 Nov passed: BLACK
    ("36AA0000526", dict(offence_start_date="01/05/2026", commenced_date="01/10/2026", file_stage="FIRST_HEARING_GAP",
                         file_status="DECIDED")),  # charged in time: COMMENCED
    ("36AA0000626", dict(offence_code="TH68010", last_review_date="20/11/2026")),  # theft, either way: NO_LIMIT
    ("36AA0000726", dict(offence_code="ZZ99999", last_review_date="20/11/2026")),  # unknown code: UNKNOWN
    ("36AA0000926", dict(offence_start_date="01/05/2026", file_status="CLOSED", file_stage="CLOSED")),  # closed: not counted
    ("36AA0001026", dict(offence_start_date="01/10/2026", team=BRECK, last_review_date="20/11/2026")),  # STL 1 Apr: GREEN
]
# Two offences on one case: the earlier STL (5 Dec, a Saturday) governs and makes it RED.
TWO_OFFENCES = [
    case_row(urn="36AA0000826", offence_seq="1", offence_start_date="01/09/2026", created_date="01/11/2026"),
    case_row(urn="36AA0000826", offence_seq="2", offence_start_date="05/06/2026", created_date="01/11/2026"),
]
# NGAP cases after first hearing (charged, so their STL band is COMMENCED).
NGAP = [
    ("36AA0001126", dict(ngap_allocated_officer_id="")),  # UNALLOCATED
    ("36AA0001226", dict(ngap_allocated_officer_id="PC 2", ngap_allocation_date="01/11/2026", upgrade_file_due_date="20/11/2026")),  # OVERDUE
    ("36AA0001326", dict(ngap_allocated_officer_id="PC 2", ngap_allocation_date="01/11/2026", upgrade_file_due_date="01/12/2026")),  # DUE_SOON (7 days)
    ("36AA0001426", dict(ngap_allocated_officer_id="PC 2", ngap_allocation_date="01/11/2026", upgrade_file_due_date="02/12/2026")),  # ON_TRACK (8 days)
    ("36AA0001526", dict(ngap_allocated_officer_id="PC 2", ngap_allocation_date="01/11/2026")),  # NO_DUE_DATE
    ("36AA0001626", dict(ngap_allocated_officer_id="PC 2", ngap_allocation_date="30/11/2026", upgrade_file_due_date="20/12/2026")),  # allocated later: UNALLOCATED
]
CUSTODY = [
    custody_row(custody_record_id="AYL-26-000001", urn="36AA0000126", file_target_date="15/11/2026"),  # not submitted
    custody_row(custody_record_id="AYL-26-000002", urn="36AA0000326", file_target_date="15/11/2026"),  # submitted 1 Nov
    custody_row(custody_record_id="AYL-26-000003", urn="", file_target_date="20/11/2026"),  # no case file
    custody_row(custody_record_id="AYL-26-000004", urn="36AA0000226", file_target_date="30/11/2026"),  # not yet due
    custody_row(custody_record_id="AYL-26-000005", urn="36AA0000226", file_target_date="23/11/2026", team=BRECK),  # other team
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scenario")
    rows = [case_row(urn=u, **o) for u, o in CASES] + TWO_OFFENCES
    rows += [
        case_row(urn=u, anticipated_plea="NGAP", file_stage="FIRST_HEARING_NGAP", file_status="DECIDED",
                 commenced_date="01/10/2026", offence_start_date="01/09/2026", **o)
        for u, o in NGAP
    ]
    settings = replace(Settings(), store_dir=tmp / "store")
    load_extracts([write_csv(tmp / "cases.csv", rows), write_csv(tmp / "custody.csv", CUSTODY)], settings)
    connection = Store(settings.store_dir).connect_read()
    yield connection
    connection.close()


ALL = Scope(("36",))


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def as_dict(df: pd.DataFrame) -> dict:
    return dict(zip(df.iloc[:, 0], df.iloc[:, 1], strict=True))


def test_band_counts_take_each_case_at_its_worst_offence(con):
    got = as_dict(queries.stl_band_counts(con, ALL, AS_OF, T))
    assert got == {"BLACK": 1, "RED": 2, "UNKNOWN": 1, "AMBER": 1, "GREEN": 2, "COMMENCED": 7, "NO_LIMIT": 1}


def test_band_counts_columns_are_a_contract(con):
    assert list(queries.stl_band_counts(con, ALL, AS_OF, T).columns) == ["band", "cases"]


def test_team_filter_narrows_every_count(con):
    scope = ALL.narrow(teams=[BRECK])
    assert as_dict(queries.stl_band_counts(con, scope, AS_OF, T)) == {"GREEN": 1}
    assert queries.custody_missed_target(con, scope, AS_OF, T)["custody_record_id"].tolist() == ["AYL-26-000005"]


def test_an_empty_scope_sees_nothing(con):
    assert queries.stl_band_counts(con, Scope(()), AS_OF, T).empty
    assert queries.stl_band_counts(con, Scope(("36",), ()), AS_OF, T).empty
    assert queries.stl_band_counts(con, Scope(("37",)), AS_OF, T).empty


def test_looking_back_treats_later_events_as_not_yet_happened(con):
    # On 1 Sep 2026 the case charged on 1 Oct was not yet commenced and its STL (1 Nov) was 61 days away.
    got = as_dict(queries.stl_band_counts(con, ALL, date(2026, 9, 1), T))
    assert got.get("COMMENCED", 0) == 0
    # Cases created after the as-of date are not counted at all.
    assert "36AA0000826" not in queries.insight_cases(con, ALL, date(2026, 10, 30), T)["urn"].tolist()


def test_cjs_queue_counts_files_still_held_by_cjs_or_cps(con):
    assert queries.cjs_queue_length(con, ALL, AS_OF, T) == 1
    assert queries.cjs_queue_length(con, ALL, date(2026, 10, 31), T) == 0


def test_review_counts(con):
    got = as_dict(queries.review_counts(con, ALL, AS_OF, T))
    # Overdue: 36AA0000126 (last review 20 Oct -> due 17 Nov). Due: 36AA0000826 (created 1 Nov, never
    # reviewed -> due 29 Nov, 5 days away). OK: six cases reviewed on 20 Nov (due 18 Dec).
    assert got == {"OVERDUE": 1, "DUE": 1, "OK": 6}


def test_ngap_lights(con):
    got = as_dict(queries.ngap_light_counts(con, ALL, AS_OF, T))
    assert got == {"UNALLOCATED": 2, "OVERDUE": 1, "DUE_SOON": 1, "NO_DUE_DATE": 1, "ON_TRACK": 1}


def test_insight_lists_unsubmitted_cases_by_last_working_day(con):
    df = queries.insight_cases(con, ALL, AS_OF, T)
    assert df[["urn", "stl_date", "last_working_day", "days_remaining", "band", "stl_rule"]].values.tolist() == [
        ["36AA0000126", ts("2026-12-01"), ts("2026-12-01"), 7, "RED", "S127"],  # a Tuesday
        ["36AA0000826", ts("2026-12-05"), ts("2026-12-04"), 11, "RED", "S127"],  # Saturday -> Friday
        ["36AA0000226", ts("2026-12-20"), ts("2026-12-18"), 26, "AMBER", "S127"],  # Sunday -> Friday
    ]
    assert df.loc[1, "open_offences"] == 2
    assert df.loc[1, "offence_start_date"] == ts("2026-06-05")


def test_insight_horizon_is_configuration(con):
    df = queries.insight_cases(con, ALL, AS_OF, replace(T, insight_days=10))
    assert df["urn"].tolist() == ["36AA0000126"]


def test_custody_records_past_their_file_target_date(con):
    df = queries.custody_missed_target(con, ALL, AS_OF, T)
    assert df[["custody_record_id", "days_overdue", "file_position"]].values.tolist() == [
        ["AYL-26-000001", 9, "case file not submitted"],
        ["AYL-26-000003", 4, "no case file found"],
        ["AYL-26-000005", 1, "case file not submitted"],
    ]


def test_insight_report_writes_csv_and_xlsx(con, tmp_path):
    from datetime import UTC, datetime

    report = insight.build(con, ALL, AS_OF, T)
    paths = insight.write(report, tmp_path, marking="OFFICIAL-SENSITIVE", generated_at=datetime(2026, 11, 24, 7, tzinfo=UTC))
    assert sorted(p.name for p in paths) == [
        "insight-2026-11-24-cases.csv", "insight-2026-11-24-custody.csv", "insight-2026-11-24.xlsx",
    ]
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "insight-2026-11-24.xlsx")
    ws = wb["STL nearing"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in values for v in row if v is not None]
    assert "36AA0000826" in flat and "RED" in flat
    assert "OFFICIAL-SENSITIVE" in ws.oddHeader.center.text


def test_the_governing_offence_is_one_row_even_when_stl_dates_tie(tmp_path):
    # Two offences with the same STL date (25 Dec 2026) and different rules and notes: every
    # governing-offence column must come from the same row (offence 1), never a mix.
    rows = [
        case_row(urn="36AA0002026", offence_seq="2", offence_code="CJ88001", offence_start_date="25/06/2026",
                 da_flag="Y"),
        case_row(urn="36AA0002026", offence_seq="1", offence_code="RT88333", offence_start_date="25/06/2026"),
    ]
    settings = replace(Settings(), store_dir=tmp_path / "store")
    load_extracts([write_csv(tmp_path / "c.csv", rows)], settings)
    con = Store(settings.store_dir).connect_read()
    try:
        df = queries.insight_cases(con, ALL, AS_OF, T)
    finally:
        con.close()
    got = df.loc[0, ["offence_code", "stl_rule", "stl_extendable", "open_offences"]].tolist()
    assert got == ["RT88333", "S127", False, 2]


def test_a_review_dated_after_the_as_of_date_has_not_happened_yet(con):
    # 36AA0000226 was reviewed on 20 Nov 2026 and created on 2 Sep. On 10 Nov the review had not
    # happened, so the review clock runs from creation: due 30 Sep, overdue on 10 Nov.
    before = as_dict(queries.review_counts(con, ALL, date(2026, 11, 10), T))
    after = as_dict(queries.review_counts(con, ALL, AS_OF, T))
    assert before.get("OVERDUE", 0) > after.get("OVERDUE", 0)
