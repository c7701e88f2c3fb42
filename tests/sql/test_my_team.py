"""Query tests of the My Team page (core/my_team.py, core/queries/my_team.sql) on a hand-made scenario.

As of Tuesday 24 November 2026. Every expected value is worked out by hand from the rows below.
The default case row (tests/conftest.py) is an open pre-charge common assault (summary: STL =
offence date + 6 months), created 02/09/2026, not submitted, never reviewed.

Norwich CID, PC 1 (Officer Alpha):
  A1 36AA0000126  offence 01/06 -> STL Tue 01/12 (7 days, unsubmitted): RED. Reviewed 20/10 ->
                  due 17/11: OVERDUE. Custody AYL-26-000001 target 20/11, not submitted: overdue.
  A2 36AA0000226  offence 20/06 -> STL Sun 20/12 (26 days): AMBER, last working day Fri 18/12.
                  Reviewed 20/11 -> due 18/12: OK.
  A3 36AA0000326  two defendants, one investigation. Reviewed 01/11 -> due 29/11 (5 days): DUE.
                  D1 offence 01/05 -> STL Sun 01/11 passed, not charged: BLACK (lwd Fri 30/10).
                  D2 theft TH68010, either way: NO_LIMIT.
  A4 36AA0000426  NGAP, UPGRADE_NG, charged 01/10: COMMENCED; upgrade file due 20/11: overdue.
  A5 36AA0000526  closed.
  => files 5, investigations 3 (A1, A2, A3), RED 1, BLACK 1, AMBER 1, load 5 + 3 + 1 + 1 = 10,
     reviews overdue 1 (A1), due 1 (A3), files overdue 2 (AYL-1, A4), due soon 0, next STL 01/12.
Norwich CID, PC 2 (Officer Bravo):
  B1 36AA0000626  offence 10/06 -> STL Thu 10/12 (16 days), submitted 01/11: GREEN. Reviewed
                  20/11: OK.
  B2 36AA0000726  NGAP, FIRST_HEARING_NGAP, charged 01/10; upgrade due 27/11 (3 days): due soon.
  B3 36AA0000826  created 30/11, after the as-of date: not counted yet.
  B4 36AA0000926  pre-charge, DECIDED: an open file (GREEN, STL Mon 01/03/2027) but no longer an
                  open investigation.
  Custody AYL-26-000002: no URN, target 23/11 passed: overdue, a custody-only row today.
  Custody AYL-26-000003: URN B1, submitted 01/11: nothing due.
  B5 36AA0001326  offence 01/10 -> STL Thu 01/04/2027: GREEN; never reviewed since created on
                  02/09 -> due 30/09: OVERDUE.
  Custody AYL-26-000004: URN with no case file, target 28/11: due soon.
  => files 4, investigations 2, load 4, reviews overdue 1, files overdue 1, due soon 2, next STL 10/12.
Norwich CID, no officer recorded:
  C2 36AA0001126  offence 15/06 -> STL Tue 15/12 (21 days): AMBER. Reviewed 20/10: OVERDUE.
Breckland CID, PC 3:
  C1 36AA0001026  offence 01/10 -> STL Thu 01/04/2027: GREEN. Reviewed 20/11: OK.
  C3 36AA0001226  still recorded at the pre-charge stage but charged on 20/11: an open file
                  (COMMENCED), no longer an open investigation (it was one before 20/11).
  => files 2, investigations 1, load 2, next STL 01/04/2027.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from core import my_team, queries
from core.config import Settings, Thresholds
from core.my_team import MyTeamConfig
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from tests.conftest import case_row, custody_row, write_csv

AS_OF = date(2026, 11, 24)
T = Thresholds()
NORWICH = "Norwich CID"
BRECK = "Breckland CID"
ALL = Scope(("36",))

ALPHA = dict(oic_id="PC 1", oic_name="Officer Alpha", team=NORWICH)
BRAVO = dict(oic_id="PC 2", oic_name="Officer Bravo", team=NORWICH)
CHARLIE = dict(oic_id="PC 3", oic_name="Officer Charlie", team=BRECK)
NGAP = dict(anticipated_plea="NGAP", commenced_date="01/10/2026", file_status="IN_PROGRESS")

CASES = [
    case_row(urn="36AA0000126", offence_start_date="01/06/2026", last_review_date="20/10/2026", **ALPHA),
    case_row(urn="36AA0000226", offence_start_date="20/06/2026", last_review_date="20/11/2026", **ALPHA),
    case_row(urn="36AA0000326", defendant_id="D1", offence_start_date="01/05/2026", last_review_date="01/11/2026",
             **ALPHA),
    case_row(urn="36AA0000326", defendant_id="D2", offence_code="TH68010", last_review_date="01/11/2026", **ALPHA),
    case_row(urn="36AA0000426", file_stage="UPGRADE_NG", upgrade_file_due_date="20/11/2026", **NGAP, **ALPHA),
    case_row(urn="36AA0000526", file_stage="CLOSED", file_status="CLOSED", **ALPHA),
    case_row(urn="36AA0000626", offence_start_date="10/06/2026", submitted_to_cjs_date="01/11/2026",
             file_status="SENT_TO_CPS", last_review_date="20/11/2026", **BRAVO),
    case_row(urn="36AA0000726", file_stage="FIRST_HEARING_NGAP", upgrade_file_due_date="27/11/2026", **NGAP,
             **BRAVO),
    case_row(urn="36AA0000826", created_date="30/11/2026", **BRAVO),
    case_row(urn="36AA0000926", file_status="DECIDED", **BRAVO),
    case_row(urn="36AA0001026", offence_start_date="01/10/2026", last_review_date="20/11/2026", **CHARLIE),
    case_row(urn="36AA0001126", offence_start_date="15/06/2026", last_review_date="20/10/2026", oic_id="",
             oic_name="", team=NORWICH),
    case_row(urn="36AA0001226", commenced_date="20/11/2026", last_review_date="20/11/2026", **CHARLIE),
    case_row(urn="36AA0001326", offence_start_date="01/10/2026", **BRAVO),
]
CUSTODY = [
    custody_row(custody_record_id="AYL-26-000001", urn="36AA0000126", file_target_date="20/11/2026", **ALPHA),
    custody_row(custody_record_id="AYL-26-000002", urn="", file_target_date="23/11/2026", **BRAVO),
    custody_row(custody_record_id="AYL-26-000003", urn="36AA0000626", file_target_date="15/11/2026", **BRAVO),
    custody_row(custody_record_id="AYL-26-000004", urn="36AA0009926", file_target_date="28/11/2026", **BRAVO),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("my_team")
    settings = replace(Settings(), store_dir=tmp / "store")
    report = load_extracts([write_csv(tmp / "cases.csv", CASES), write_csv(tmp / "custody.csv", CUSTODY)], settings)
    assert report is not None
    connection = Store(settings.store_dir).connect_read()
    yield connection
    connection.close()


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def nones(df: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None, so rows compare as plain tuples."""
    return df.astype(object).where(df.notna(), None)


def rows(df: pd.DataFrame, level: str) -> pd.DataFrame:
    return my_team.level(df, level)


def officer(df: pd.DataFrame, oic: str) -> pd.Series:
    found = rows(df, "officer").set_index("oic_id")
    return found.loc[oic]


COUNTS = ["files", "investigations", "red", "black", "amber", "load_score", "reviews_overdue", "reviews_due",
          "files_overdue", "files_due_soon"]


def test_each_officer_carries_the_counts_worked_out_by_hand(con):
    df = my_team.workload(con, ALL, AS_OF, T)
    assert officer(df, "PC 1")[COUNTS].tolist() == [5, 3, 1, 1, 1, 10, 1, 1, 2, 0]
    assert officer(df, "PC 2")[COUNTS].tolist() == [4, 2, 0, 0, 0, 4, 1, 0, 1, 2]
    assert officer(df, "PC 3")[COUNTS].tolist() == [2, 1, 0, 0, 0, 2, 0, 0, 0, 0]
    assert officer(df, "PC 1")["oic_name"] == "Officer Alpha"
    assert officer(df, "PC 1")["team"] == NORWICH


def test_files_due_name_their_source(con):
    df = my_team.workload(con, ALL, AS_OF, T)
    # PC 1: one custody target passed (AYL-1) and one upgrade file overdue (A4).
    assert officer(df, "PC 1")[["custody_overdue", "upgrade_overdue"]].tolist() == [1, 1]
    # PC 2: the custody record with no case file is overdue; the submitted one (AYL-3) is not due.
    assert officer(df, "PC 2")[["custody_overdue", "upgrade_overdue"]].tolist() == [1, 0]


def test_next_stl_is_the_earliest_limit_still_ahead_and_not_charged(con):
    df = my_team.workload(con, ALL, AS_OF, T)
    # PC 1: A3/D1's STL (1 Nov) has passed, so A1 (1 Dec) is next, not A2 (20 Dec).
    assert officer(df, "PC 1")[["next_stl", "next_stl_last_working_day"]].tolist() == [ts("2026-12-01")] * 2
    # PC 2: B1 was submitted but not charged, so its STL still runs.
    assert officer(df, "PC 2")["next_stl"] == ts("2026-12-10")
    assert officer(df, "PC 3")["next_stl"] == ts("2027-04-01")


def test_officers_are_listed_busiest_first(con):
    df = my_team.workload(con, ALL, AS_OF, T)
    assert rows(df, "officer")["oic_id"].tolist() == ["PC 1", "PC 2", "PC 3"]
    assert rows(df, "team")["team"].tolist() == [NORWICH, BRECK]


def test_a_team_is_the_sum_of_its_officers_and_keeps_files_with_no_officer_apart(con):
    team = rows(my_team.workload(con, ALL, AS_OF, T), "team").set_index("team").loc[NORWICH]
    assert team[COUNTS].tolist() == [9, 5, 1, 1, 1, 14, 2, 1, 3, 2]
    assert team["officers"] == 2
    assert team[["no_officer_files", "no_officer_investigations", "no_officer_reviews_overdue"]].tolist() == [1, 1, 1]
    assert team["next_stl"] == ts("2026-12-01")


def test_every_file_and_investigation_in_scope_is_accounted_for(con):
    total = rows(my_team.workload(con, ALL, AS_OF, T), "scope").iloc[0]
    # 14 case files: 11 open with an officer, C2 with none, A5 closed, B3 not yet created.
    assert total[["files_in_scope", "files", "no_officer_files", "files_closed", "files_not_created"]].tolist() == [
        14, 11, 1, 1, 1]
    # 13 URNs: A1 A2 A3 B1 B5 C1 open; C2 no officer; A5 closed and B4 decided; A4, B2, C3 charged; B3 later.
    assert total[["investigations_in_scope", "investigations", "no_officer_investigations", "investigations_closed",
                  "investigations_charged", "investigations_not_created"]].tolist() == [13, 6, 1, 2, 3, 1]


def test_review_counts_agree_with_the_overview(con):
    total = rows(my_team.workload(con, ALL, AS_OF, T), "scope").iloc[0]
    overview = dict(queries.review_counts(con, ALL, AS_OF, T).values.tolist())
    assert overview == {"OVERDUE": 3, "DUE": 1, "OK": 3}
    assert total["reviews_overdue"] + total["no_officer_reviews_overdue"] == overview["OVERDUE"]
    assert total["reviews_due"] + total["no_officer_reviews_due"] == overview["DUE"]
    assert total["investigations"] + total["no_officer_investigations"] == sum(overview.values())


def test_open_files_agree_with_the_overview_band_counts(con):
    total = rows(my_team.workload(con, ALL, AS_OF, T), "scope").iloc[0]
    bands = dict(queries.stl_band_counts(con, ALL, AS_OF, T).values.tolist())
    assert total["files"] + total["no_officer_files"] == sum(bands.values())
    assert total["red"] == bands["RED"] and total["black"] == bands["BLACK"]
    assert total["amber"] + 1 == bands["AMBER"]  # C2, with no officer, is the other AMBER


def test_custody_targets_passed_agree_with_the_insight_report(con):
    total = rows(my_team.workload(con, ALL, AS_OF, T), "scope").iloc[0]
    insight = queries.custody_missed_target(con, ALL, AS_OF, T)
    assert total["custody_overdue"] == len(insight) == 2


def test_load_score_weights_are_configuration(con):
    heavy = MyTeamConfig(red_extra=10, black_extra=0, amber_extra=2)
    df = my_team.workload(con, ALL, AS_OF, T, config=heavy)
    assert officer(df, "PC 1")["load_score"] == 5 + 10 + 0 + 2
    assert heavy.load_score(files=5, red=1, black=1, amber=1) == 17
    assert MyTeamConfig().load_score(files=5, red=1, black=1, amber=1) == 10


def test_config_refuses_weights_that_are_not_whole_numbers():
    with pytest.raises(ValueError, match="red_extra"):
        MyTeamConfig(red_extra=1.5)
    with pytest.raises(ValueError, match="max_officers"):
        MyTeamConfig(max_officers=0)


def test_lists_are_capped_in_sql_and_say_how_many_there_were(con):
    df = my_team.workload(con, ALL, AS_OF, T, config=MyTeamConfig(max_officers=2, max_teams=1))
    assert rows(df, "officer")["oic_id"].tolist() == ["PC 1", "PC 2"]
    assert rows(df, "officer")["rows_in_level"].tolist() == [3, 3]
    assert rows(df, "team")["team"].tolist() == [NORWICH]
    today = my_team.cases(con, ALL.narrow(teams=[NORWICH]), AS_OF, T, config=MyTeamConfig(max_cases=3))
    assert len(today) == 3 and today["total_rows"].iloc[0] == 9


def test_narrowing_to_a_team_or_an_officer_narrows_every_level(con):
    df = my_team.workload(con, ALL.narrow(teams=[BRECK]), AS_OF, T)
    assert rows(df, "officer")["oic_id"].tolist() == ["PC 3"]
    assert rows(df, "scope").iloc[0][["files_in_scope", "files", "investigations"]].tolist() == [2, 2, 1]
    one = my_team.workload(con, ALL.narrow(officers=["PC 2"]), AS_OF, T)
    assert rows(one, "officer")["oic_id"].tolist() == ["PC 2"]
    assert rows(one, "scope").iloc[0]["load_score"] == 4


def test_an_empty_scope_has_one_scope_row_of_zeros(con):
    df = my_team.workload(con, Scope(("37",)), AS_OF, T)
    assert df["level"].tolist() == ["scope"]
    assert df.iloc[0][["files", "investigations", "load_score", "files_in_scope"]].tolist() == [0, 0, 0, 0]


def test_looking_back_treats_later_submissions_as_not_yet_made(con):
    # On 31 Oct B1 (STL 10 Dec, 40 days) had not been submitted: AMBER, so PC 2's load is 5.
    df = my_team.workload(con, ALL, date(2026, 10, 31), T)
    assert officer(df, "PC 2")[["amber", "load_score"]].tolist() == [1, 5]
    # C3 was charged on 20 Nov, so on 31 Oct it was still an open investigation of PC 3.
    assert officer(df, "PC 3")["investigations"] == 2


def test_today_list_gives_reasons_in_order_of_last_working_day_then_due_date(con):
    today = my_team.cases(con, ALL.narrow(teams=[NORWICH]), AS_OF, T)
    got = list(nones(today)[["urn", "defendant_id", "reasons"]].itertuples(index=False))
    assert [(u, d) for u, d, _ in got] == [
        # STL at risk, by last working day:
        ("36AA0000326", "D1"),  # Fri 30 Oct (STL Sun 1 Nov passed)
        ("36AA0000126", "D1"),  # Tue 1 Dec
        ("36AA0001126", "D1"),  # Tue 15 Dec (no officer)
        ("36AA0000226", "D1"),  # Fri 18 Dec
        # then by the earliest due date:
        ("36AA0001326", "D1"),  # review due 30 Sep (GREEN: its STL in April is not the reason)
        ("36AA0000426", "D1"),  # no STL running; upgrade due 20 Nov
        (None, None),           # custody record only; target 23 Nov
        ("36AA0000726", "D1"),  # no STL running; upgrade due 27 Nov
        ("36AA0000326", "D2"),  # no limit; review due 29 Nov
    ]
    reasons = {(u, d): list(r) for u, d, r in got}
    assert reasons[("36AA0000326", "D1")] == [
        "28-day review due 29/11/2026", "STL passed 01/11/2026, proceedings not commenced"]
    assert reasons[("36AA0000126", "D1")] == [
        "28-day review overdue (was due 17/11/2026)",
        "STL RED: last working day 01/12/2026, file not submitted",
        "Custody file target passed 20/11/2026 (custody record AYL-26-000001)",
    ]
    assert reasons[("36AA0000226", "D1")] == ["STL AMBER: last working day 18/12/2026, file not submitted"]
    assert reasons[("36AA0000426", "D1")] == ["NGAP upgrade file overdue (was due 20/11/2026)"]
    assert reasons[(None, None)] == [
        "Custody file target passed 23/11/2026 (custody record AYL-26-000002), no open case file"]
    assert reasons[("36AA0000726", "D1")] == ["NGAP upgrade file due 27/11/2026"]
    assert today.loc[0, "reason_text"] == (
        "28-day review due 29/11/2026; STL passed 01/11/2026, proceedings not commenced")
    assert today.loc[0, "last_working_day"] == ts("2026-10-30")
    assert today.loc[1, "due_date"] == ts("2026-11-17")
    assert reasons[("36AA0001326", "D1")] == ["28-day review overdue (was due 30/09/2026)"]
    assert today["stl_at_risk"].tolist() == [True] * 4 + [False] * 5


def test_an_officers_case_list_holds_all_their_open_files(con):
    own = my_team.cases(con, ALL.narrow(teams=[NORWICH], officers=["PC 2"]), AS_OF, T, needs_action=False)
    # No STL at risk, so by due date: B5 (review 30 Sep), AYL-2 (23 Nov), B2 (upgrade 27 Nov), B1 (review
    # 18 Dec), then B4 with nothing due. B3 is not yet created.
    assert nones(own)["urn"].tolist() == ["36AA0001326", None, "36AA0000726", "36AA0000626", "36AA0000926"]
    assert own["reasons"].map(len).tolist() == [1, 1, 1, 0, 0]
    assert own.loc[3, "review_status"] == "OK" and pd.isna(own.loc[4, "review_status"])


def test_the_case_columns_are_a_contract(con):
    df = my_team.cases(con, ALL, AS_OF, T)
    assert list(df.columns) == [
        "force_code", "urn", "defendant_id", "defendant_name", "team", "oic_id", "oic_name", "reason_text", "reasons",
        "band", "stl_date", "last_working_day", "days_remaining", "stl_rule", "due_date", "review_status",
        "review_due", "upgrade_due", "ngap_officer", "custody_target", "custody_record_id", "submitted_on",
        "file_stage", "file_status", "custody_only", "stl_at_risk", "total_rows",
    ]


def test_the_load_chart_names_each_part_in_text_and_carries_the_collar_number(con):
    officers = rows(my_team.workload(con, ALL, AS_OF, T), "officer")
    fig = my_team.load_chart(officers)
    assert [t.name for t in fig.data] == [
        "Open files", "🔴 RED extra", "⬛ BLACK – STL passed extra", "🟠 AMBER extra"]
    assert list(fig.data[0].customdata) == ["PC 1", "PC 2", "PC 3"]
    assert list(fig.data[0].x) == [5, 4, 2]
    # PC 1's bars add up to the load score: 5 files + 3 (RED) + 1 (BLACK) + 1 (AMBER).
    assert sum(t.x[0] for t in fig.data) == 10
