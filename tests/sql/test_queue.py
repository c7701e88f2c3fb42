"""Query tests of the submission queue (core/queue.py, core/queries/queue.sql) on a hand-made scenario.

As of Tuesday 24 November 2026. Every expected value is worked out by hand from the rows below;
the comments show the arithmetic. Days are calendar days (September 30, October 31).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from core import queue as q
from core.config import Settings, Thresholds
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from tests.conftest import case_row, copy_store, write_csv

AS_OF = date(2026, 11, 24)
T = Thresholds()
ALL = Scope(("36",))
BRECK = "Breckland CID"
THEFT = "TH68010"  # either way: no STL
ASSAULT = "CJ88001"  # common assault, summary only: STL = offence date + 6 months (R2)

EXTRA = {
    "cjs_triage_date": "", "cjs_triage_outcome": "", "resubmission_count": "", "sent_to_cps_date": "",
    "cps_decision_date": "", "cps_decision": "", "bail_status": "RUI", "vulnerable_victim_flag": "N",
    "action_plan_reasons": "",
}


def row(urn: str, **values: str) -> dict[str, str]:
    """A case-file row of this scenario: a theft with no STL and no priority factor unless stated."""
    return case_row(urn=urn, **{"offence_code": THEFT, **EXTRA, **values})


ROWS = [
    # Q1 awaiting triage. Created 1 Nov, submitted 20 Nov: age 4. Police 19 (1->20 Nov), CJS 4.
    row("36QU0000126", file_status="AWAITING_TRIAGE", created_date="01/11/2026", submitted_to_cjs_date="20/11/2026"),
    # Q2 accepted, STL in the CPS window: two offences, the assault of 10 Jun has STL 10 Dec (16 days).
    # Submitted 1 Nov: age 23. Police 31 (1 Oct->1 Nov), CJS 2 (to triage 3 Nov) + 21 (accepted to 24 Nov).
    row("36QU0000226", offence_seq="1", file_status="ACCEPTED", created_date="01/10/2026",
        submitted_to_cjs_date="01/11/2026", cjs_triage_date="03/11/2026", cjs_triage_outcome="ACCEPTED"),
    row("36QU0000226", offence_seq="2", offence_code=ASSAULT, offence_start_date="10/06/2026",
        file_status="ACCEPTED", created_date="01/10/2026", submitted_to_cjs_date="01/11/2026",
        cjs_triage_date="03/11/2026", cjs_triage_outcome="ACCEPTED"),
    # Q3 with the CPS, defendant in custody; a co-defendant on the same URN (still one file). Age 34.
    *[row("36QU0000326", defendant_id=d, file_status="SENT_TO_CPS", bail_status="CUSTODY", created_date="20/10/2026",
          submitted_to_cjs_date="21/10/2026", cjs_triage_date="22/10/2026", cjs_triage_outcome="ACCEPTED",
          sent_to_cps_date="23/10/2026") for d in ("D1", "D2")],
    # Q4 action plan returned, domestic abuse. Created 1 Sep, submitted 15 Sep (age 70), rejected at
    # triage 17 Sep, resubmitted once (undated), sent to CPS 1 Oct, action plan 15 Oct.
    # Police 14 (1->15 Sep) + 40 (15 Oct->24 Nov, plan open) = 54; CJS/CPS 2 (15->17 Sep) + 14
    # (1->15 Oct) = 16; not attributable 14 (17 Sep rejection -> 1 Oct sent). 54+16+14 = 84 = 1 Sep->24 Nov.
    row("36QU0000426", file_status="ACTION_PLAN", da_flag="Y", created_date="01/09/2026",
        submitted_to_cjs_date="15/09/2026", cjs_triage_date="17/09/2026", cjs_triage_outcome="REJECTED",
        resubmission_count="1", sent_to_cps_date="01/10/2026", cps_decision_date="15/10/2026",
        cps_decision="ACTION_PLAN", action_plan_reasons="Evidential failure - statement(s)"),
    # Q5 resubmitted, vulnerable victim. Created 1 Nov, submitted 5 Nov (age 19), rejected 6 Nov.
    # Police 4, CJS 1, not attributable 18 (6->24 Nov: rework and re-triage wait are undated).
    row("36QU0000526", file_status="RESUBMITTED", vulnerable_victim_flag="Y", created_date="01/11/2026",
        submitted_to_cjs_date="05/11/2026", cjs_triage_date="06/11/2026", cjs_triage_outcome="REJECTED",
        resubmission_count="1"),
    # Q6 with the CPS, no factor, submitted 1 Oct (age 54).
    row("36QU0000626", file_status="SENT_TO_CPS", created_date="01/09/2026", submitted_to_cjs_date="01/10/2026",
        cjs_triage_date="02/10/2026", cjs_triage_outcome="ACCEPTED", sent_to_cps_date="05/10/2026"),
    # Q7 with the CPS, STL in window (assault of 1 Jun: STL 1 Dec, 7 days: RED) AND remanded.
    # Created 1 Nov, submitted 10 Nov (age 14). Police 9, CJS/CPS 1 + 1 + 12 = 14.
    row("36QU0000726", offence_code=ASSAULT, offence_start_date="01/06/2026", file_status="SENT_TO_CPS",
        bail_status="REMANDED", created_date="01/11/2026", submitted_to_cjs_date="10/11/2026",
        cjs_triage_date="11/11/2026", cjs_triage_outcome="ACCEPTED", sent_to_cps_date="12/11/2026"),
    # Q8 rejected and back with the police (not in the queue). Submitted 10 Oct (age 45).
    # Police 9 (1->10 Oct) + 43 (12 Oct rejection -> 24 Nov); CJS 2.
    row("36QU0000826", file_status="REJECTED", created_date="01/10/2026", submitted_to_cjs_date="10/10/2026",
        cjs_triage_date="12/10/2026", cjs_triage_outcome="REJECTED"),
    # Q9 finished 20 Nov by a CPS charge decision (not yet charged). Sent 8 Sep -> decided 20 Nov: 73 days.
    row("36QU0000926", file_status="DECIDED", created_date="01/09/2026", submitted_to_cjs_date="05/09/2026",
        cjs_triage_date="06/09/2026", cjs_triage_outcome="ACCEPTED", sent_to_cps_date="08/09/2026",
        cps_decision_date="20/11/2026", cps_decision="CHARGE"),
    # Q10 finished 17 Nov, a week end: charged on a police decision (triaged 3 Oct -> 17 Nov: 45 days).
    row("36QU0001026", file_status="ACCEPTED", file_stage="FIRST_HEARING_GAP", created_date="01/10/2026",
        submitted_to_cjs_date="02/10/2026", cjs_triage_date="03/10/2026", cjs_triage_outcome="ACCEPTED",
        commenced_date="17/11/2026"),
    # Q11 closed by an undated police NFA: finished on its last dated event, triage on 11 Sep.
    row("36QU0001126", file_status="CLOSED", file_stage="CLOSED", created_date="01/09/2026",
        submitted_to_cjs_date="10/09/2026", cjs_triage_date="11/09/2026", cjs_triage_outcome="ACCEPTED"),
    # Q12 not submitted; Q13 submitted after the as-of date (so not yet, as of 24 Nov).
    row("36QU0001226", file_status="IN_PROGRESS", created_date="15/11/2026"),
    row("36QU0001326", file_status="AWAITING_TRIAGE", created_date="20/11/2026", submitted_to_cjs_date="25/11/2026"),
    # Q14 a post-charge file: charged in custody 5 Nov, submitted 6 Nov -> finished before it arrived.
    row("36QU0001426", file_status="AWAITING_TRIAGE", file_stage="FIRST_HEARING_GAP", created_date="05/11/2026",
        commenced_date="05/11/2026", submitted_to_cjs_date="06/11/2026"),
    # Q15 another team, awaiting triage, submitted 23 Nov (age 1).
    row("36QU0001526", team=BRECK, file_status="AWAITING_TRIAGE", created_date="20/11/2026",
        submitted_to_cjs_date="23/11/2026"),
]
IN_SCOPE = 15
# Priority (STL in window, custody, DA, vulnerable, then oldest submission): flags compared in order.
PRIORITY = [
    "36QU0000726",  # STL + remanded
    "36QU0000226",  # STL
    "36QU0000326",  # custody
    "36QU0000426",  # DA
    "36QU0000526",  # vulnerable
    "36QU0000626",  # none, submitted 1 Oct
    "36QU0000126",  # none, submitted 20 Nov
    "36QU0001526",  # none, submitted 23 Nov
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("queue")
    settings = replace(Settings(), store_dir=tmp / "store")
    load_extracts([write_csv(tmp / "cases.csv", ROWS)], settings)
    connection = Store(settings.store_dir).connect_read()
    yield connection
    connection.close()


def files_at(pos: pd.DataFrame) -> dict[str, int]:
    return dict(zip(*q.stage_counts(pos, [*q.OPEN_POSITIONS, q.NOT_SUBMITTED, q.FINISHED]).values.T, strict=True))


def urns(df: pd.DataFrame) -> list[str]:
    return df["urn"].tolist()


def test_queue_length_by_stage(con):
    got = files_at(q.positions(con, ALL, AS_OF, T))
    assert got == {
        "AWAITING_TRIAGE": 2,  # Q1, Q15
        "ACCEPTED": 1,  # Q2
        "SENT_TO_CPS": 3,  # Q3 (two defendants, one file), Q6, Q7
        "ACTION_PLAN": 1,  # Q4
        "RESUBMITTED": 1,  # Q5
        "REJECTED": 1,  # Q8
        "NOT_SUBMITTED": 2,  # Q12, Q13 (submitted the day after the as-of date)
        "FINISHED": 4,  # Q9 CPS decision, Q10 charged, Q11 closed, Q14 charged before submission
    }


def test_positions_columns_are_a_contract(con):
    assert list(q.positions(con, ALL, AS_OF, T).columns) == [
        "position", "age_bucket", "files", "stl_in_window", "police_days", "cjs_days", "unattributed_days",
        "oldest_days",
    ]


def test_age_distribution_by_days_since_submission(con):
    pos = q.positions(con, ALL, AS_OF, T)
    ages = q.age_distribution(pos, q.STAGES)
    # Ages: Q15 1, Q1 4 | Q7 14 | Q5 19, Q2 23 | Q3 34, Q6 54 | Q4 70.
    assert ages["age_band"].tolist() == ["0–7 days", "8–14 days", "15–28 days", "29–56 days", "57 days or more"]
    assert ages["files"].tolist() == [2, 1, 2, 2, 1]
    assert int(pos.loc[pos["position"].isin(q.STAGES), "oldest_days"].max()) == 70


def test_files_in_the_cps_window_are_counted(con):
    pos = q.positions(con, ALL, AS_OF, T)
    assert int(pos.loc[pos["position"].isin(q.STAGES), "stl_in_window"].sum()) == 2  # Q2 (16 days), Q7 (7 days)


def test_priority_order_puts_stl_in_window_first_then_custody_da_vulnerable_then_oldest(con):
    lists = q.queue_lists(con, ALL, AS_OF, T)
    assert urns(lists.priority) == PRIORITY
    assert lists.priority["priority"].tolist() == [
        "1 · STL in CPS window", "1 · STL in CPS window", "2 · Custody / remand", "3 · Domestic abuse",
        "4 · Vulnerable victim", "5 · No priority factor (oldest first)", "5 · No priority factor (oldest first)",
        "5 · No priority factor (oldest first)",
    ]
    assert lists.priority.loc[0, "factors"] == "STL in CPS window · Custody / remand"
    assert lists.matching == 8


def test_changing_the_factor_order_changes_the_order(con):
    policy = q.QueuePolicy(factor_order=(q.VULNERABLE_VICTIM, q.DOMESTIC_ABUSE, q.CUSTODY, q.STL_IN_CPS_WINDOW))
    got = q.queue_lists(con, ALL, AS_OF, T, policy=policy).priority
    assert urns(got) == [
        "36QU0000526", "36QU0000426", "36QU0000726", "36QU0000326", "36QU0000226",
        "36QU0000626", "36QU0000126", "36QU0001526",
    ]
    assert got.loc[0, "priority"] == "1 · Vulnerable victim"


def test_the_cps_window_is_configuration(con):
    # With a 10-day window Q2's STL (16 days away) no longer counts; Q7's (7 days) still does.
    got = q.queue_lists(con, ALL, AS_OF, T, policy=q.QueuePolicy(cps_window_days=10)).priority
    assert urns(got)[:4] == ["36QU0000726", "36QU0000326", "36QU0000426", "36QU0000526"]
    assert got.set_index("urn").loc["36QU0000226", "priority"] == "5 · No priority factor (oldest first)"


def test_the_list_is_capped_in_sql_and_counts_every_match(con):
    lists = q.queue_lists(con, ALL, AS_OF, T, policy=q.QueuePolicy(list_limit=3, oldest_limit=2))
    assert urns(lists.priority) == PRIORITY[:3]
    assert lists.matching == 8
    assert urns(lists.oldest) == ["36QU0000426", "36QU0000626"]  # submitted 15 Sep, 1 Oct


def test_stage_and_age_band_narrow_the_list(con):
    assert urns(q.queue_lists(con, ALL, AS_OF, T, stages=("SENT_TO_CPS",)).priority) == [
        "36QU0000726", "36QU0000326", "36QU0000626"]
    assert urns(q.queue_lists(con, ALL, AS_OF, T, age_bucket=3).priority) == ["36QU0000326", "36QU0000626"]


def test_police_and_cps_held_days_for_known_files(con):
    df = q.queue_lists(con, ALL, AS_OF, T, stages=(*q.STAGES, q.REJECTED)).priority.set_index("urn")
    held = df[["police_days", "cjs_days", "unattributed_days"]].astype(int)
    assert held.loc["36QU0000426"].tolist() == [54, 16, 14]
    assert held.loc["36QU0000526"].tolist() == [4, 1, 18]
    assert held.loc["36QU0000726"].tolist() == [9, 14, 0]
    assert held.loc["36QU0000826"].tolist() == [52, 2, 0]
    assert held.loc["36QU0000126"].tolist() == [19, 4, 0]
    # The parts always add up to the days since the file was created.
    created = pd.to_datetime(df["created_date"]).dt.date
    assert (held.sum(axis=1) == [(AS_OF - c).days for c in created]).all()


def test_held_days_in_aggregate(con):
    held = q.held_by_stage(q.positions(con, ALL, AS_OF, T)).set_index("position")
    assert held.loc["ACTION_PLAN", ["files", "police_days", "cjs_days", "unattributed_days"]].tolist() == [1, 54, 16, 14]
    assert held.loc["REJECTED", ["police_days", "cjs_days"]].tolist() == [52, 2]
    # Q1 19/4, Q15 3/1 (created 20 Nov, submitted 23 Nov): awaiting triage means 2 files, 22 police, 5 CJS days.
    assert held.loc["AWAITING_TRIAGE", ["files", "police_days", "cjs_days", "mean_police_days"]].tolist() == [2, 22, 5, 11.0]


def test_weekly_queue_arrivals_and_completions(con):
    weeks = q.weekly(con, ALL, AS_OF, T, period=(date(2026, 11, 4), date(2026, 11, 24)))
    got = weeks.assign(week_end=pd.to_datetime(weeks["week_end"]).dt.date).set_index("week_end")
    cols = [*q.OPEN_POSITIONS, "arrived", "completed", "queue", "open"]
    # 10 Nov: Q7 submitted that day but triaged 11 Nov (awaiting); Q10 accepted (charged 17 Nov);
    #         Q9 with the CPS (decided 20 Nov); Q5 resubmitted (status current: no later dated event).
    #         Arrived 4-10 Nov: Q5, Q7. (Q14 was charged before it was submitted: never arrives.)
    assert got.loc[date(2026, 11, 10), cols].tolist() == [1, 2, 3, 1, 1, 1, 2, 0, 8, 9]
    # 17 Nov: Q10 completed (charged that day); Q7 now with the CPS; no arrivals.
    assert got.loc[date(2026, 11, 17), cols].tolist() == [0, 1, 4, 1, 1, 1, 0, 1, 7, 8]
    # 24 Nov: arrived Q1 (20 Nov) and Q15 (23 Nov); Q9 completed (CPS decision 20 Nov); Q10 counts
    # in the week it finished (ending 17 Nov), not again in this one.
    assert got.loc[date(2026, 11, 24), cols].tolist() == [2, 1, 3, 1, 1, 1, 2, 1, 8, 9]


def test_weekly_backlog_moves_by_arrivals_less_completions(con):
    weeks = q.weekly(con, ALL, AS_OF, T, period=(date(2026, 9, 1), AS_OF))
    assert (weeks["open"].diff().iloc[1:] == weeks["net"].iloc[1:]).all()
    # The last week ends on the as-of date, so it agrees with the count now.
    assert int(weeks["queue"].iloc[-1]) == 8


def test_weekly_history_never_looks_past_the_as_of_date(con):
    weeks = q.weekly(con, ALL, date(2026, 11, 17), T, period=(date(2026, 11, 4), date(2026, 11, 24)))
    assert pd.to_datetime(weeks["week_end"]).dt.date.tolist() == [date(2026, 11, 10), date(2026, 11, 17)]


def test_looking_back_reads_stages_from_the_dates(con):
    # On 10 Nov Q7 had been submitted but not triaged: it was awaiting triage, whatever its status now.
    lists = q.queue_lists(con, ALL, date(2026, 11, 10), T, stages=("AWAITING_TRIAGE",))
    assert urns(lists.priority) == ["36QU0000726"]
    # On 8 Sep, the day it was sent, Q9 was with the CPS: its decision of 20 Nov had not happened.
    lists = q.queue_lists(con, ALL, date(2026, 9, 8), T, stages=("SENT_TO_CPS",))
    assert urns(lists.priority) == ["36QU0000926"]
    assert lists.priority.loc[0, "cps_decision"] is None or pd.isna(lists.priority.loc[0, "cps_decision"])


def test_median_time_in_each_stage(con):
    times = q.stage_times(con, ALL, AS_OF, T, period=(date(2026, 9, 1), AS_OF)).set_index("transition")
    got = {k: (int(r.files), None if pd.isna(r.median_days) else r.median_days) for k, r in times.iterrows()}
    assert got == {
        # Created -> submitted: 1,1,3,4,4,9,9,9,14,19,30,31 (Q3,Q10,Q15,Q9,Q5,Q7,Q8,Q11,Q4,Q1,Q6,Q2)
        "BUILD": (12, 9.0),
        # Submitted -> triage: seven files in 1 day, Q2, Q4, Q8 in 2.
        "TRIAGE": (10, 1.0),
        # Accepted -> sent to CPS: Q3 1, Q7 1, Q9 2, Q6 3.
        "ACCEPTED_TO_CPS": (4, 1.5),
        "REJECTED_TO_CPS": (1, 14.0),  # Q4: 17 Sep -> 1 Oct
        "ACCEPTED_TO_POLICE_CHARGE": (1, 45.0),  # Q10: 3 Oct -> 17 Nov
        "CPS_DECISION": (1, 73.0),  # Q9: 8 Sep -> 20 Nov
        "CPS_ACTION_PLAN": (1, 14.0),  # Q4: 1 Oct -> 15 Oct
        "CPS_DECISION_AFTER_PLAN": (0, None),
        "DECISION_TO_CHARGE": (0, None),
        # Submitted -> charged or final decision: Q10 46 (2 Oct -> 17 Nov), Q9 76 (5 Sep -> 20 Nov).
        "SUBMITTED_TO_FINISHED": (2, 61.0),
    }


def test_reconciliation_adds_up(con):
    pos = q.positions(con, ALL, AS_OF, T)
    rec = q.reconcile(pos, q.STAGES, None)
    assert (rec.in_scope, rec.shown, rec.matching) == (IN_SCOPE, 8, 8)
    assert rec.balanced
    assert dict(rec.excluded)[q.POSITION_LABELS[q.NOT_SUBMITTED]] == 2
    assert dict(rec.excluded)[q.POSITION_LABELS[q.FINISHED]] == 4
    narrow = q.reconcile(pos, ["SENT_TO_CPS"], None, q.QueuePolicy(list_limit=2))
    assert (narrow.shown, narrow.matching, narrow.balanced) == (2, 3, True)
    assert dict(narrow.excluded)["in the queue at a stage not selected"] == 5
    assert dict(narrow.excluded)["beyond the first 2 in priority order"] == 1
    banded = q.reconcile(pos, q.STAGES, 0)
    assert (banded.shown, banded.balanced) == (2, True)


def test_team_scope_narrows_everything(con):
    scope = ALL.narrow(teams=[BRECK])
    assert urns(q.queue_lists(con, scope, AS_OF, T).priority) == ["36QU0001526"]
    assert files_at(q.positions(con, scope, AS_OF, T))["AWAITING_TRIAGE"] == 1
    assert int(q.weekly(con, scope, AS_OF, T, period=(date(2026, 11, 4), AS_OF))["queue"].iloc[-1]) == 1
    assert q.positions(con, Scope(("37",)), AS_OF, T).empty


def test_one_file_lists_its_offences_with_their_stl(con):
    df = q.file_offences(con, ALL, AS_OF, T, force_code="36", urn="36QU0000226")
    assert df[["offence_seq", "stl_date", "band"]].values.tolist() == [
        [1, pd.NaT, "NO_LIMIT"], [2, pd.Timestamp("2026-12-10"), "GREEN"]]
    assert q.file_offences(con, ALL.narrow(teams=[BRECK]), AS_OF, T, force_code="36", urn="36QU0000226").empty


def test_policy_rejects_unknown_factors_and_reads_settings():
    with pytest.raises(ValueError, match="unknown priority factor"):
        q.QueuePolicy(factor_order=("STL_IN_CPS_WINDOW", "HATE"))
    with pytest.raises(ValueError, match="twice"):
        q.QueuePolicy(factor_order=("CUSTODY", "CUSTODY"))
    policy = q.QueuePolicy.from_mapping({"factor_order": ["custody", "stl_in_cps_window"], "cps_window_days": 21})
    assert policy.factor_order == ("CUSTODY", "STL_IN_CPS_WINDOW") and policy.cps_window_days == 21
    assert policy.priority_text(3) == "3 · No priority factor (oldest first)"
    with pytest.raises(ValueError, match="unknown queue setting"):
        q.QueuePolicy.from_mapping({"window": 3})


def test_stages_are_contract_file_statuses():
    from data_loaders.contract import FILE_STATUSES

    assert set(q.STAGES) <= set(FILE_STATUSES) and q.REJECTED in FILE_STATUSES


def test_sample_history_agrees_with_the_count_now(sample_store, tmp_path):
    """On the bundled sample: the backlog identity holds every week, and the last week is today's count."""
    # A copy of the store, because a dashboard test may still hold the sample's own file open.
    con = Store(copy_store(sample_store, tmp_path).store_dir).connect_read()
    try:
        scope = Scope(("36", "37"))
        weeks = q.weekly(con, scope, AS_OF, T, period=(date(2026, 6, 1), AS_OF))
        pos = q.positions(con, scope, AS_OF, T)
        lists = q.queue_lists(con, scope, AS_OF, T)
    finally:
        con.close()
    assert (weeks["open"].diff().iloc[1:] == weeks["net"].iloc[1:]).all()
    queued = int(pos.loc[pos["position"].isin(q.STAGES), "files"].sum())
    assert int(weeks["queue"].iloc[-1]) == queued == lists.matching
    assert q.reconcile(pos, q.STAGES, None).balanced


def test_a_file_stands_where_its_first_row_stands_when_co_defendants_disagree(tmp_path):
    # 36QU0002026: D1 (first row) is with the CPS, D2 was charged -> the file is in the queue.
    # 36QU0002126: D1 (first row) was charged, D2 is with the CPS -> the file has finished; its
    # second row makes it a candidate for the list, which must still leave it out.
    sent = dict(file_status="SENT_TO_CPS", created_date="01/11/2026", submitted_to_cjs_date="02/11/2026",
                cjs_triage_date="03/11/2026", cjs_triage_outcome="ACCEPTED", sent_to_cps_date="04/11/2026")
    charged = {**sent, "file_status": "DECIDED", "commenced_date": "10/11/2026"}
    rows = [
        row("36QU0002026", defendant_id="D1", **sent), row("36QU0002026", defendant_id="D2", **charged),
        row("36QU0002126", defendant_id="D1", **charged), row("36QU0002126", defendant_id="D2", **sent),
    ]
    settings = replace(Settings(), store_dir=tmp_path / "store")
    load_extracts([write_csv(tmp_path / "c.csv", rows)], settings)
    con = Store(settings.store_dir).connect_read()
    try:
        got = files_at(q.positions(con, ALL, AS_OF, T))
        lists = q.queue_lists(con, ALL, AS_OF, T)
        weeks = q.weekly(con, ALL, AS_OF, T, period=(date(2026, 11, 18), AS_OF))
    finally:
        con.close()
    assert (got["SENT_TO_CPS"], got["FINISHED"]) == (1, 1)
    assert urns(lists.priority) == ["36QU0002026"] and lists.matching == 1
    assert lists.priority.loc[0, "defendants"] == 2
    assert int(weeks["queue"].iloc[-1]) == 1


@pytest.mark.parametrize("days_back", [0, 1, 7, 30, 60, 120])
def test_the_overview_count_equals_the_pages_stage_total_on_every_date(con, days_back):
    as_of = AS_OF - timedelta(days=days_back)
    pos = q.positions(con, ALL, as_of, T)
    assert q.queue_count(con, ALL, as_of, T) == int(pos.loc[pos["position"].isin(q.STAGES), "files"].sum())


def test_the_overview_count_equals_the_pages_total_on_the_sample(sample_store):
    from core.store import Store

    con = Store(sample_store.store_dir).connect_read()
    try:
        for as_of in (AS_OF, AS_OF - timedelta(days=45), AS_OF - timedelta(days=200)):
            for scope in (Scope(("36", "37"), None), Scope(("37",), None)):
                pos = q.positions(con, scope, as_of, T)
                expected = int(pos.loc[pos["position"].isin(q.STAGES), "files"].sum())
                assert q.queue_count(con, scope, as_of, T) == expected
    finally:
        con.close()


def test_the_loader_derives_one_row_per_file_from_its_first_row(con):
    cur = con.cursor()
    try:
        files = cur.execute("SELECT count(*) FROM case_file").fetchall()[0][0]
        urns_ = cur.execute("SELECT count(*) FROM (SELECT DISTINCT force_code, urn FROM case_offences)").fetchall()[0][0]
        q2 = cur.execute("SELECT offences, stls, file_status, submitted_to_cjs_date FROM case_file "
                         "WHERE urn = '36QU0000226'").fetchall()
    finally:
        cur.close()
    assert files == urns_
    # Q2: two offences; only the assault (10 Jun) has an STL, six months on: 10 Dec.
    assert q2 == [(2, [{"stl_date": date(2026, 12, 10), "commenced_date": None}], "ACCEPTED", date(2026, 11, 1))]


def test_a_store_written_before_the_derived_tables_gives_the_same_answers(con, sample_store, tmp_path):
    """A generation published by an older version has no derived tables: every query reads
    temporary views with the same definitions, so the answers cannot differ."""
    import duckdb

    from core import derived, my_team, ngap, queries

    old = copy_store(sample_store, tmp_path)
    gen = Store(old.store_dir).current()
    w = duckdb.connect(str(gen))
    for table in derived.TABLES:
        w.execute(f"DROP TABLE {table}")
    w.close()
    new_con, old_con = Store(sample_store.store_dir).connect_read(), Store(old.store_dir).connect_read()
    period = (AS_OF - timedelta(weeks=12), AS_OF)
    scope = Scope(("36", "37"))
    try:
        for as_of in (AS_OF, AS_OF - timedelta(days=60)):
            assert q.queue_count(new_con, scope, as_of, T) == q.queue_count(old_con, scope, as_of, T)
            pd.testing.assert_frame_equal(q.positions(new_con, scope, as_of, T), q.positions(old_con, scope, as_of, T))
            a, b = q.queue_lists(new_con, scope, as_of, T), q.queue_lists(old_con, scope, as_of, T)
            pd.testing.assert_frame_equal(a.priority, b.priority)
            pd.testing.assert_frame_equal(a.oldest, b.oldest)
            pd.testing.assert_frame_equal(q.weekly(new_con, scope, as_of, T, period=period),
                                          q.weekly(old_con, scope, as_of, T, period=period))
            pd.testing.assert_frame_equal(q.stage_times(new_con, scope, as_of, T, period=period),
                                          q.stage_times(old_con, scope, as_of, T, period=period))
            # The other readers of the derived tables: NGAP lights and lists, custody checks, sidebar.
            for fn in (queries.ngap_light_counts, queries.custody_missed_target, ngap.backlog, ngap.workload):
                pd.testing.assert_frame_equal(fn(new_con, scope, as_of, T), fn(old_con, scope, as_of, T))
            pd.testing.assert_frame_equal(
                ngap.cases(new_con, scope, as_of, T, lights=tuple(ngap.LIGHT_ORDER)),
                ngap.cases(old_con, scope, as_of, T, lights=tuple(ngap.LIGHT_ORDER)))
            pd.testing.assert_frame_equal(my_team.workload(new_con, scope, as_of, T),
                                          my_team.workload(old_con, scope, as_of, T))
        pd.testing.assert_frame_equal(queries.forces_and_teams(new_con, scope),
                                      queries.forces_and_teams(old_con, scope))
        assert old_con.cursor().execute(
            "SELECT count(*) FROM duckdb_tables() WHERE list_contains($t, table_name)",
            {"t": list(derived.TABLES)}).fetchall()[0][0] == 0
    finally:
        new_con.close()
        old_con.close()
