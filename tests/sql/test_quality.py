"""Query tests of the Case-building quality page (core/queries/quality.sql through core.quality).

A hand-made scenario, loaded through the real loader. As of Tuesday 24 November 2026; the period is
1 October to 30 November 2026, so the window is 1 October to 24 November (cut at the as-of date).
Every expected value below is worked out by hand from the cases in CASES; the comment on each case
says where it lands. Teams: Norwich CID (PC 1001, PC 1002) and Breckland CID (PC 1003) in Norfolk
(36); Ipswich CID (PC 1004) in Suffolk (37).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from io import BytesIO

import pandas as pd
import pytest

from core import quality, queries
from core.config import ROOT, Settings, Thresholds
from core.export import write_report_xlsx
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from tests.conftest import CASE_HEADER, case_row, write_csv

AS_OF = date(2026, 11, 24)
PERIOD = (date(2026, 10, 1), date(2026, 11, 30))
T = Thresholds()
NORWICH, BRECK, IPSWICH = "Norwich CID", "Breckland CID", "Ipswich CID"
HEADER = CASE_HEADER + ["arrest_date", "cjs_triage_date", "cjs_triage_outcome", "rejection_reasons",
                        "resubmission_count", "sent_to_cps_date", "cps_decision_date", "cps_decision",
                        "action_plan_reasons"]
OFFICERS = {"PC 1001": ("Officer One", NORWICH), "PC 1002": ("Officer Two", NORWICH),
            "PC 1003": ("Officer Three", BRECK), "PC 1004": ("Officer Four", IPSWICH)}
MG11 = "NO/MISSING MG11S"
EXHIBITS = "NO/MISSING EXHIBITS"
MG3 = "NO MG3"
SCHEDULE = "NO/MISSING DISCLOSURE SCHEDULE"


def case(n: int, oic: str, force: str = "36", **values: str) -> dict[str, str]:
    name, team = OFFICERS[oic]
    return case_row(force_code=force, urn=f"{force}QA{n:05d}26", oic_id=oic, oic_name=name, team=team,
                    offence_start_date="15/09/2026", created_date="15/09/2026", **values)


def urn(n: int, force: str = "36") -> str:
    return f"{force}QA{n:05d}26"


CASES = [
    # C1: CJS first time (accepted, no resubmission); CPS first time (charged, no action plan).
    case(1, "PC 1001", arrest_date="01/10/2026", submitted_to_cjs_date="05/10/2026", cjs_triage_date="07/10/2026",
         cjs_triage_outcome="ACCEPTED", resubmission_count="0", sent_to_cps_date="08/10/2026",
         cps_decision_date="15/10/2026", cps_decision="CHARGE", commenced_date="16/10/2026"),
    # C2: rejected (resubmitted once); its CPS decision is an action plan, still open on the as-of date.
    case(2, "PC 1001", arrest_date="02/10/2026", submitted_to_cjs_date="12/10/2026", cjs_triage_date="13/10/2026",
         cjs_triage_outcome="REJECTED", resubmission_count="1", rejection_reasons=f"{MG11};{EXHIBITS}",
         sent_to_cps_date="20/10/2026", cps_decision_date="30/10/2026", cps_decision="ACTION_PLAN",
         action_plan_reasons="EVIDENTIAL FAILURE - STATEMENT(S);DISCLOSURE FAILURE - SCHEDULES NOT PROVIDED"),
    # C3: rejected, not yet resubmitted (a voluntary attendance: no arrest date); never sent to the CPS.
    case(3, "PC 1001", submitted_to_cjs_date="19/10/2026", cjs_triage_date="21/10/2026",
         cjs_triage_outcome="REJECTED", resubmission_count="0", rejection_reasons=MG11),
    # C4: rejected twice; charged after an action plan: not CPS compliant first time.
    case(4, "PC 1001", arrest_date="30/10/2026", submitted_to_cjs_date="02/11/2026", cjs_triage_date="03/11/2026",
         cjs_triage_outcome="REJECTED", resubmission_count="2", rejection_reasons=f"{MG11};{MG3}",
         sent_to_cps_date="10/11/2026", cps_decision_date="20/11/2026", cps_decision="CHARGE",
         action_plan_reasons="EVIDENTIAL FAILURE - EXHIBIT", commenced_date="21/11/2026"),
    # C5: CJS first time; the CPS decides on 30 November, after the as-of date: awaiting a decision, and
    # its action-plan reason is not counted yet.
    case(5, "PC 1002", submitted_to_cjs_date="09/11/2026", cjs_triage_date="10/11/2026",
         cjs_triage_outcome="ACCEPTED", resubmission_count="0", sent_to_cps_date="12/11/2026",
         cps_decision_date="30/11/2026", cps_decision="NFA",
         action_plan_reasons="VICTIM AND WITNESS FAILURE - VPS NO INFORMATION"),
    # C6: triaged on 25 November, after the as-of date: not triaged yet, its reason not counted.
    case(6, "PC 1002", arrest_date="14/11/2026", submitted_to_cjs_date="16/11/2026", cjs_triage_date="25/11/2026",
         cjs_triage_outcome="REJECTED", resubmission_count="0", rejection_reasons=MG3),
    # C8: triaged and decided before the period.
    case(8, "PC 1003", submitted_to_cjs_date="15/09/2026", cjs_triage_date="20/09/2026",
         cjs_triage_outcome="REJECTED", resubmission_count="1", rejection_reasons=MG11,
         sent_to_cps_date="25/09/2026", cps_decision_date="30/09/2026", cps_decision="CHARGE",
         commenced_date="01/10/2026"),
    # C9: first time at both; decided out of court 9 days after it was sent.
    case(9, "PC 1003", arrest_date="20/10/2026", submitted_to_cjs_date="26/10/2026", cjs_triage_date="27/10/2026",
         cjs_triage_outcome="ACCEPTED", resubmission_count="0", sent_to_cps_date="27/10/2026",
         cps_decision_date="05/11/2026", cps_decision="OUT_OF_COURT"),
    # C10: CJS first time; its arrest date is after its submission (dates out of order).
    case(10, "PC 1003", arrest_date="05/11/2026", submitted_to_cjs_date="01/11/2026", cjs_triage_date="02/11/2026",
         cjs_triage_outcome="ACCEPTED", resubmission_count="0"),
    # C11: Suffolk, rejected: only in a scope with force 37.
    case(11, "PC 1004", force="37", submitted_to_cjs_date="05/11/2026", cjs_triage_date="06/11/2026",
         cjs_triage_outcome="REJECTED", resubmission_count="0", rejection_reasons="HARD MEDIA NOT PROVIDED"),
    # C14: Suffolk, accepted after a resubmission: rejected before, so not first-time right.
    case(14, "PC 1004", force="37", submitted_to_cjs_date="02/11/2026", cjs_triage_date="03/11/2026",
         cjs_triage_outcome="ACCEPTED", resubmission_count="1"),
    # C12: never submitted.
    case(12, "PC 1003"),
    # C13: charged in custody on 1 November, its post-charge file sent to the CPS on 6 November with no
    # CPS decision: not a charging request. CJS first time.
    case(13, "PC 1003", submitted_to_cjs_date="03/11/2026", cjs_triage_date="04/11/2026",
         cjs_triage_outcome="ACCEPTED", resubmission_count="0", commenced_date="01/11/2026",
         sent_to_cps_date="06/11/2026"),
]
# C7: two defendants whose files were rejected for different reasons; one case. NFA: compliant.
C7 = dict(submitted_to_cjs_date="20/10/2026", cjs_triage_date="22/10/2026", cjs_triage_outcome="REJECTED",
          resubmission_count="1", sent_to_cps_date="28/10/2026", cps_decision_date="04/11/2026", cps_decision="NFA")
CASES += [case(7, "PC 1002", defendant_id="D1", rejection_reasons=MG11, **C7),
          case(7, "PC 1002", defendant_id="D2", defendant_name="Synthetic Person 2", rejection_reasons=SCHEDULE, **C7)]
# A second offence on C1 (case-level columns repeated): still one case.
CASES.append(case(1, "PC 1001", offence_seq="2", **{k: v for k, v in CASES[0].items()
                                                    if k not in ("offence_seq", "urn", "oic_id", "oic_name", "team",
                                                                 "force_code", "offence_start_date", "created_date")}))


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quality")
    settings = replace(Settings(), store_dir=tmp / "store")
    load_extracts([write_csv(tmp / "cases.csv", CASES, HEADER)], settings)
    connection = Store(settings.store_dir).connect_read()
    assert connection.execute("SELECT count(*) FROM case_offences").fetchone()[0] == len(CASES)  # none quarantined
    yield connection
    connection.close()


NORFOLK = Scope(("36",))
BOTH = Scope(("36", "37"))


def ftr(con, scope=NORFOLK, as_of=AS_OF, level="team", grain="week", period=PERIOD) -> pd.DataFrame:
    return quality.first_time_right(con, scope, as_of, T, period=period, level=level, grain=grain)


def rows(df: pd.DataFrame, *cols: str) -> list[list]:
    return df[list(cols)].astype(object).where(df[list(cols)].notna(), None).values.tolist()


# -- first-time right ------------------------------------------------------------------------------
def test_first_time_right_totals(con):
    assert quality.totals(quality.ftr_groups(ftr(con))) == {
        "cjs_triaged": 9, "cjs_first_time": 5,  # C1 C5 C9 C10 C13 of C1-C5 C7 C9 C10 C13
        "cps_decided": 5, "cps_first_time": 3,  # C1 C7 C9 of C1 C2 C4 C7 C9
        "cps_awaiting": 1,  # C5
    }


def test_first_time_right_by_team_lowest_rate_first(con):
    df = quality.ftr_groups(ftr(con))
    assert rows(df, "team", "cjs_first_time", "cjs_triaged", "cjs_rate", "cps_first_time", "cps_decided", "cps_rate",
                "cps_awaiting") == [
        [NORWICH, 2, 6, 33.3, 2, 4, 50.0, 1],
        [BRECK, 3, 3, 100.0, 1, 1, 100.0, 0],
    ]


def test_first_time_right_by_officer_and_by_force(con):
    df = quality.ftr_groups(ftr(con, level="officer"))
    assert rows(df, "oic_id", "oic_name", "team", "cjs_first_time", "cjs_triaged", "cps_first_time", "cps_decided") == [
        ["PC 1001", "Officer One", NORWICH, 1, 4, 1, 3],
        ["PC 1002", "Officer Two", NORWICH, 1, 2, 1, 1],
        ["PC 1003", "Officer Three", BRECK, 3, 3, 1, 1],
    ]
    forces = quality.ftr_groups(ftr(con, BOTH, level="force"))
    assert rows(forces, "force_code", "cjs_first_time", "cjs_triaged", "cjs_rate") == [["37", 0, 2, 0.0],
                                                                                        ["36", 5, 9, 55.6]]
    assert forces["team"].isna().all() and forces["oic_id"].isna().all()


def test_the_sidebar_scope_narrows_the_measures(con):
    breck = quality.totals(quality.ftr_groups(ftr(con, NORFOLK.narrow(teams=[BRECK]))))
    assert (breck["cjs_first_time"], breck["cjs_triaged"], breck["cps_first_time"], breck["cps_decided"]) == (3, 3, 1, 1)
    one = quality.totals(quality.ftr_groups(ftr(con, NORFOLK.narrow(officers=["PC 1001"]))))
    assert (one["cjs_first_time"], one["cjs_triaged"], one["cps_first_time"], one["cps_decided"]) == (1, 4, 1, 3)


def test_events_after_the_as_of_date_have_not_happened(con):
    # On 31 October: C4, C5, C10 and C13 are not triaged yet; C7 and C9 are sent but not decided,
    # C2's action plan (30 October) has happened.
    got = quality.totals(quality.ftr_groups(ftr(con, as_of=date(2026, 10, 31))))
    assert got == {"cjs_triaged": 5, "cjs_first_time": 2, "cps_decided": 2, "cps_first_time": 1, "cps_awaiting": 2}


def test_weekly_trend(con):
    trend = quality.ftr_trend(ftr(con), quality.window(PERIOD, AS_OF), "week")
    assert trend["bucket"].tolist() == [date(2026, 9, 28) + pd.Timedelta(weeks=i) for i in range(9)]
    assert rows(trend, "cjs_first_time", "cjs_triaged", "cps_first_time", "cps_decided", "cps_awaiting") == [
        [0, 0, 0, 0, 0],  # w/c 28 Sep (only 1-4 Oct in the window)
        [1, 1, 1, 1, 0],  # C1 triaged 7 Oct, sent 8 Oct
        [0, 1, 0, 0, 0],  # C2 triaged 13 Oct
        [0, 2, 0, 1, 0],  # C3, C7 triaged; C2 sent 20 Oct (action plan)
        [1, 1, 2, 2, 0],  # C9 triaged; C7, C9 sent
        [2, 3, 0, 0, 0],  # C10, C4, C13 triaged
        [1, 1, 0, 1, 1],  # C5 triaged; C4 sent (charged after a plan); C5 sent, undecided
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ]
    assert (trend["from_date"].iloc[0], trend["to_date"].iloc[-1]) == (date(2026, 10, 1), AS_OF)
    assert rows(trend.head(3), "cjs_rate") == [[None], [100.0], [0.0]]


def test_monthly_trend_adds_up_to_the_totals(con):
    trend = quality.ftr_trend(ftr(con, grain="month"), quality.window(PERIOD, AS_OF), "month")
    assert rows(trend, "bucket", "from_date", "to_date", "cjs_first_time", "cjs_triaged", "cps_first_time",
                "cps_decided") == [
        [date(2026, 10, 1), date(2026, 10, 1), date(2026, 10, 31), 2, 5, 3, 4],
        [date(2026, 11, 1), date(2026, 11, 1), AS_OF, 3, 4, 0, 1],
    ]


def test_every_case_in_scope_is_accounted_for(con):
    counts = quality.cohorts(con, NORFOLK, AS_OF, T, period=PERIOD)
    cjs = quality.reconciliation(counts, "cjs")
    assert (cjs.in_scope, cjs.shown, dict(cjs.excluded)) == (12, 9, {
        quality.COHORT_LABELS["cjs"]["not_triaged"]: 2,  # C6 (triaged later), C12
        quality.COHORT_LABELS["cjs"]["before"]: 1,  # C8
        quality.COHORT_LABELS["cjs"]["after"]: 0,
    })
    cps = quality.reconciliation(counts, "cps")
    assert (cps.in_scope, cps.shown, [n for _, n in cps.excluded]) == (12, 5, [1, 1, 4, 1, 0])
    # awaiting C5, post-charge C13, not sent C3 C6 C10 C12, before C8, after none
    assert cjs.adds_up and cps.adds_up
    # A period ending before the as-of date: C5 (triaged 10 Nov) is after it.
    early = quality.reconciliation(quality.cohorts(con, NORFOLK, AS_OF, T, period=(date(2026, 10, 1),
                                                                                   date(2026, 11, 5))), "cjs")
    assert (early.shown, dict(early.excluded)[quality.COHORT_LABELS["cjs"]["after"]]) == (8, 1)


# -- reasons ---------------------------------------------------------------------------------------
def reasons(con, kind="rejection", level="team", scope=NORFOLK, **kw) -> pd.DataFrame:
    return quality.reasons(con, scope, AS_OF, T, period=PERIOD, kind=kind, level=level, **kw)


def test_rejection_reasons_ranked_by_reason_and_by_theme(con):
    df = reasons(con)
    by_reason = quality.ranked(df, by="reason", cohort_size=9)
    assert rows(by_reason, "rank", "theme", "reason", "cases", "share") == [
        [1, "EVIDENCE", MG11, 4, 44.4],  # C2 C3 C4 C7 (C6 not triaged yet, C8 before the period)
        [2, "DISCLOSURE", SCHEDULE, 1, 11.1],  # C7's second defendant
        [3, "EVIDENCE", EXHIBITS, 1, 11.1],
        [4, "FILE FORMS AND SUPERVISION", MG3, 1, 11.1],
    ]
    by_theme = quality.ranked(df, by="theme", cohort_size=9)
    # C2 has two EVIDENCE reasons: the theme counts it once.
    assert rows(by_theme, "theme", "cases") == [["EVIDENCE", 4], ["DISCLOSURE", 1],
                                                ["FILE FORMS AND SUPERVISION", 1]]


def test_reasons_by_group_and_over_time(con):
    officers = quality.by_group(reasons(con, level="officer"), by="theme", level="officer")
    assert sorted(rows(officers, "oic_id", "oic_name", "item", "cases")) == [
        ["PC 1001", "Officer One", "EVIDENCE", 3], ["PC 1001", "Officer One", "FILE FORMS AND SUPERVISION", 1],
        ["PC 1002", "Officer Two", "DISCLOSURE", 1], ["PC 1002", "Officer Two", "EVIDENCE", 1],
    ]
    teams = quality.by_group(reasons(con), by="reason", level="team")
    assert set(teams["team"]) == {NORWICH} and int(teams["cases"].sum()) == 7
    weeks = pd.Series(quality.buckets(quality.window(PERIOD, AS_OF), "week"))
    over = quality.by_bucket(reasons(con), weeks, by="theme")
    evidence = over[over["item"] == "EVIDENCE"]["cases"].tolist()
    assert evidence == [0, 0, 1, 2, 0, 1, 0, 0, 0]  # C2; C3 C7; C4
    assert len(over) == 9 * 3


def test_action_plan_reasons_take_their_theme_from_the_text(con):
    df = reasons(con, kind="action_plan")
    assert rows(quality.ranked(df, by="theme", cohort_size=5), "theme", "cases", "share") == [
        ["EVIDENTIAL FAILURE", 2, 40.0],  # C2 and C4 (C5 not decided by the as-of date)
        ["DISCLOSURE FAILURE", 1, 20.0],
    ]
    assert set(quality.ranked(df, by="reason", cohort_size=5)["reason"]) == {
        "EVIDENTIAL FAILURE - STATEMENT(S)", "DISCLOSURE FAILURE - SCHEDULES NOT PROVIDED",
        "EVIDENTIAL FAILURE - EXHIBIT"}


def test_the_forces_theme_mapping_wins_and_unmapped_reasons_are_other(con):
    df = reasons(con, themes=(("no/missing mg11s", "STATEMENTS"),))  # matched ignoring case
    assert rows(quality.ranked(df, by="theme", cohort_size=9), "theme", "cases") == [
        ["STATEMENTS", 4], [quality.OTHER_THEME, 3]]  # C2 (exhibits), C4 (MG3), C7 (schedule)


def test_suffolk_reasons_only_in_a_scope_with_suffolk(con):
    assert "HARD MEDIA NOT PROVIDED" not in set(reasons(con)["reason"])
    both = quality.ranked(reasons(con, scope=BOTH), by="reason", cohort_size=11)
    assert dict(zip(both["reason"], both["cases"], strict=True))["HARD MEDIA NOT PROVIDED"] == 1


# -- timeliness ------------------------------------------------------------------------------------
def test_timeliness_medians_spread_and_out_of_order_dates(con):
    df = quality.timeliness(con, NORFOLK, AS_OF, T, period=PERIOD, edges=(1, 3, 7, 14, 28, 56))
    summary = quality.timeliness_summary(df).set_index("measure")
    assert summary.loc["arrest_to_submission", ["cases", "median_days", "p25_days", "p75_days", "p90_days",
                                                "max_days", "out_of_order"]].tolist() == [5, 4.0, 3.0, 6.0, 8.4, 10, 1]
    # C1 4, C2 10, C4 3, C6 2, C9 6 days; C10 was arrested after it was submitted.
    assert summary.loc["submission_to_triage", ["cases", "median_days", "max_days"]].tolist() == [9, 1.0, 2]
    assert summary.loc["cps_decision", ["cases", "median_days"]].tolist() == [3, 7.0]  # C1 7, C7 7, C9 9
    assert summary.loc["cps_action_plan", ["cases", "median_days"]].tolist() == [1, 10.0]  # C2
    assert summary.loc["cps_decision_after_plan", ["cases", "median_days"]].tolist() == [1, 10.0]  # C4
    assert summary.loc["action_plan_open", ["cases", "median_days"]].tolist() == [1, 25.0]  # C2: 30 Oct to 24 Nov


def test_timeliness_bands_and_teams(con):
    df = quality.timeliness(con, NORFOLK, AS_OF, T, period=PERIOD, edges=(1, 3, 7, 14, 28, 56))
    bands = quality.timeliness_bands(df, "arrest_to_submission", (1, 3, 7, 14, 28, 56))
    assert rows(bands, "band", "cases") == [["0–1 days", 0], ["2–3 days", 2], ["4–7 days", 2], ["8–14 days", 1],
                                            ["15–28 days", 0], ["29–56 days", 0], ["57+ days", 0]]
    teams = quality.timeliness_by_team(df, "arrest_to_submission")
    assert rows(teams, "team", "cases", "median_days") == [[BRECK, 1, 6.0], [NORWICH, 4, 3.5]]


# -- training needs ----------------------------------------------------------------------------------
def needs(con, **kw) -> pd.DataFrame:
    args = dict(need_by="theme", min_team=4, min_officer=3) | kw
    return quality.training_needs(con, NORFOLK, AS_OF, T, period=PERIOD, **args)


def test_training_needs_at_the_thresholds(con):
    df = needs(con)
    assert rows(df, "who_level", "team", "oic_id", "oic_name", "kind", "item", "cases", "cohort_cases", "share",
                "reasons", "first_seen", "last_seen") == [
        ["team", NORWICH, None, None, "rejection", "EVIDENCE", 4, 6, 66.7, f"{MG11} (4); {EXHIBITS} (1)",
         pd.Timestamp("2026-10-13"), pd.Timestamp("2026-11-03")],
        ["officer", NORWICH, "PC 1001", "Officer One", "rejection", "EVIDENCE", 3, 4, 75.0,
         f"{MG11} (3); {EXHIBITS} (1)", pd.Timestamp("2026-10-13"), pd.Timestamp("2026-11-03")],
    ]
    assert [list(w) for w in df["weekly"]] == [[0, 0, 1, 2, 0, 1, 0, 0, 0], [0, 0, 1, 1, 0, 1, 0, 0, 0]]
    # One more case needed at each level: nothing is listed.
    assert needs(con, min_team=5, min_officer=4).empty
    # By reason: the same two, for the MG11 reason itself.
    by_reason = needs(con, need_by="reason")
    assert rows(by_reason, "who_level", "item", "cases") == [["team", MG11, 4], ["officer", MG11, 3]]


def test_action_plan_needs_when_the_threshold_allows(con):
    df = needs(con, min_team=2, min_officer=2)
    ap = df[df["kind"] == "action_plan"]
    # Equal cases: the larger share first (2 of PC 1001's 3 decided requests, 2 of the team's 4).
    assert rows(ap, "who_level", "oic_id", "item", "cases", "cohort_cases", "share") == [
        ["officer", "PC 1001", "EVIDENTIAL FAILURE", 2, 3, 66.7], ["team", None, "EVIDENTIAL FAILURE", 2, 4, 50.0]]


def test_the_cases_behind_an_officers_need(con):
    df = quality.cases_behind(con, NORFOLK, AS_OF, T, period=PERIOD, kind="rejection", item="EVIDENCE",
                              match_by="theme", who_level="officer", who_force="36", who="PC 1001")
    assert df["urn"].tolist() == [urn(4), urn(3), urn(2)]  # most recent triage first; C7 is PC 1002's
    assert df["matching_cases"].tolist() == [3, 3, 3]
    c2 = df.set_index("urn").loc[urn(2)]
    assert c2["matching_reasons"] == f"{EXHIBITS}; {MG11}"
    assert c2["rejection_reasons"] == f"{EXHIBITS}; {MG11}"
    assert c2["action_plan_reasons"] == "DISCLOSURE FAILURE - SCHEDULES NOT PROVIDED; EVIDENTIAL FAILURE - STATEMENT(S)"
    assert (c2["decision"], c2["resubmissions"]) == ("ACTION_PLAN", 1)
    capped = quality.cases_behind(con, NORFOLK, AS_OF, T, period=PERIOD, kind="rejection", item="EVIDENCE",
                                  who_level="officer", who_force="36", who="PC 1001", cap=2)
    assert (len(capped), capped["matching_cases"].iloc[0]) == (2, 3)


def test_the_cases_behind_a_reason_for_the_whole_scope(con):
    df = quality.cases_behind(con, NORFOLK, AS_OF, T, period=PERIOD, kind="rejection", item=MG11, match_by="reason")
    assert sorted(df["urn"]) == [urn(2), urn(3), urn(4), urn(7)]
    c7 = df.set_index("urn").loc[urn(7)]
    assert c7["rejection_reasons"] == f"{SCHEDULE}; {MG11}"  # both defendants' reasons


def test_a_case_list_never_shows_what_happened_after_the_as_of_date(con):
    on = date(2026, 10, 28)
    df = quality.cases_behind(con, NORFOLK, on, T, period=PERIOD, kind="rejection", item="EVIDENCE",
                              who_level="team", who_force="36", who=NORWICH).set_index("urn")
    assert sorted(df.index) == [urn(2), urn(3), urn(7)]  # C4 was triaged on 3 November
    c2 = df.loc[urn(2)]
    assert c2["sent_on"] == pd.Timestamp("2026-10-20")
    assert pd.isna(c2["decided_on"]) and pd.isna(c2["decision"]) and pd.isna(c2["action_plan_reasons"])


# -- the queries themselves ----------------------------------------------------------------------------
def test_every_quality_query_uses_the_shared_case_block():
    text = (ROOT / "core" / "queries" / "quality.sql").read_text(encoding="utf-8")
    # The cohort rules are macros, so case-level and row-level (reasons) use one definition.
    cases, hits = "\n{{> quality_cases}}", "\n{{> quality_hits}}\n"
    assert text.count(cases) == 4 and text.count(hits) == 3
    using = {name for name in quality.QUALITY_QUERIES if "keyed AS (" in queries.queries()[name]}
    assert using == set(quality.QUALITY_QUERIES) - {"quality_reasons", "quality_training_needs"}
    assert all("hits AS (" in queries.queries()[n] for n in ("quality_reasons", "quality_training_needs",
                                                             "quality_cases_behind"))
    for rule in ("quality_cjs_in(", "quality_cps_sent_in(", "quality_decided("):
        assert all(rule in queries.queries()[name] for name in quality.QUALITY_QUERIES if name != "quality_cohorts")


def test_a_page_argument_cannot_overwrite_the_scope(con):
    with pytest.raises(ValueError, match="overwrite the scope"):
        quality._run(con, "quality_ftr", NORFOLK, AS_OF, PERIOD, forces=["37"])
    with pytest.raises(ValueError, match="level"):
        ftr(con, level="section")


# -- settings and export -------------------------------------------------------------------------------
def test_settings_from_toml_and_their_checks():
    s = Settings().merged({"quality": {"min_repeats_officer": 2, "need_by": "reason",
                                       "rejection_themes": [["NO MG3", "FORMS"]], "timeliness_edges": [2, 5]}})
    got = s.section("quality")
    assert (got.min_repeats_officer, got.need_by, got.rejection_themes, got.timeliness_edges) == (
        2, "reason", (("NO MG3", "FORMS"),), (2, 5))
    assert Settings().section("quality") == quality.DEFAULT_SETTINGS
    for bad in ({"need_by": "team"}, {"min_repeats_team": 0}, {"timeliness_edges": [5, 2]},
                {"rejection_themes": [["NO MG3"]]}, {"trend_grain": "day"}):
        with pytest.raises(ValueError):
            Settings().merged({"quality": bad})
    with pytest.raises(ValueError, match="unknown"):
        Settings().merged({"quality": {"min_repeat": 3}})


def test_the_export_holds_the_needs_and_the_cases(con):
    from openpyxl import load_workbook

    listed = needs(con)
    cases = quality.cases_behind(con, NORFOLK, AS_OF, T, period=PERIOD, kind="rejection", item="EVIDENCE",
                                 who_level="officer", who_force="36", who="PC 1001")
    buf = BytesIO()
    write_report_xlsx(quality.export_sheets(listed, cases, needs_title="Needs", list_title="Cases"), buf,
                      marking="OFFICIAL-SENSITIVE", title="Quality", as_of=AS_OF,
                      generated_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    book = load_workbook(BytesIO(buf.getvalue()))
    values = [[c for c in row if c is not None] for row in book["Training needs"].iter_rows(values_only=True)]
    assert ["officer", "36", NORWICH, "PC 1001", "Officer One", "CJS rejection", "EVIDENCE", 3, 4, 75]\
        == values[-1][:10]
    assert "0, 0, 1, 1, 0, 1, 0, 0, 0" in values[-1]
    urns = [row[0] for row in book["Cases"].iter_rows(values_only=True) if row and row[0] in {urn(2), urn(3), urn(4)}]
    assert urns == [urn(4), urn(3), urn(2)]
