"""Query tests of the NGAP tracker (core/queries/ngap.sql through core.ngap) on a hand-made scenario.

As of Tuesday 24 November 2026, 'due soon' = within 7 days inclusive (Thresholds default). Every
expected value is worked out by hand from the rows below; the comment on each case gives its light.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from io import BytesIO

import pandas as pd
import pytest

from core import ngap, queries
from core.config import ROOT, Settings, Thresholds
from core.export import write_report_xlsx
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from tests.conftest import CASE_HEADER, case_row, write_csv

AS_OF = date(2026, 11, 24)
T = Thresholds()
NORWICH = "Norwich CID"
BRECK = "Breckland CID"
ALPHA = "S. Alpha"
BETA = "S. Beta"
HEADER = CASE_HEADER + ["ngap_allocated_officer_name", "ngap_section_leader", "first_hearing_date", "trial_date"]


def alloc(officer: str, on: str, section: str) -> dict[str, str]:
    names = {"PC 11": "Officer Eleven", "PC 12": "Officer Twelve", "PC 13": "Officer Thirteen"}
    return dict(ngap_allocated_officer_id=officer, ngap_allocated_officer_name=names[officer],
                ngap_allocation_date=on, ngap_section_leader=section)


# NGAP cases after charge (commenced 1 Oct; offence 1 Sep, so the common assault STL of 1 Mar 2027
# was met: STL band COMMENCED unless stated). Team Norwich CID unless stated.
NGAP = {
    "N1": ("36NG0000126", dict(first_hearing_date="15/10/2026", upgrade_file_due_date="10/11/2026")),
    # UNALLOCATED although its due date has passed: nobody is allocated, and that comes first.
    "N2": ("36NG0000226", dict(**alloc("PC 11", "20/10/2026", ALPHA), first_hearing_date="12/10/2026",
                               upgrade_file_due_date="23/11/2026")),  # due yesterday: OVERDUE
    "N3": ("36NG0000326", dict(**alloc("PC 11", "05/11/2026", ALPHA), first_hearing_date="02/11/2026",
                               upgrade_file_due_date="24/11/2026")),  # due today: DUE_SOON
    "N4": ("36NG0000426", dict(**alloc("PC 12", "10/11/2026", ALPHA), first_hearing_date="09/11/2026",
                               upgrade_file_due_date="01/12/2026")),  # 7 days: DUE_SOON
    "N5": ("36NG0000526", dict(**alloc("PC 12", "10/11/2026", ALPHA), first_hearing_date="09/11/2026",
                               upgrade_file_due_date="02/12/2026", team=BRECK,
                               offence_code="TH68010")),  # 8 days: ON_TRACK; theft: STL NO_LIMIT
    "N6": ("36NG0000626", dict(**alloc("PC 13", "01/11/2026", BETA), first_hearing_date="20/10/2026",
                               team=BRECK)),  # no due date: NO_DUE_DATE
    "N7": ("36NG0000726", dict(**alloc("PC 13", "30/11/2026", BETA), first_hearing_date="16/11/2026",
                               upgrade_file_due_date="20/12/2026")),  # allocated after the as-of date: UNALLOCATED
    "N8": ("36NG0000826", dict(**alloc("PC 13", "01/11/2026", BETA), first_hearing_date="19/10/2026",
                               upgrade_file_due_date="10/11/2026", team=BRECK)),  # OVERDUE; 2nd offence BLACK
    "N9": ("36NG0000926", dict(file_stage="FIRST_HEARING_NGAP", file_status="IN_PROGRESS",
                               commenced_date="20/11/2026", first_hearing_date="30/11/2026")),
    # UNALLOCATED, awaiting its first hearing (30 Nov): never in the trend before then.
    "N10": ("36NG0001026", dict(**alloc("PC 12", "20/11/2026", ALPHA), first_hearing_date="01/11/2026",
                                upgrade_file_due_date="15/12/2026", team=BRECK)),  # 21 days: ON_TRACK
    "N11": ("36NG0001126", dict(commenced_date="05/11/2026", upgrade_file_due_date="30/11/2026")),
    # UNALLOCATED, no first hearing date recorded: the trend uses its charge date (5 Nov).
}
URN = {k: v[0] for k, v in NGAP.items()}
# N8's second offence: offence 1 Mar 2026, STL 1 Sep 2026, charged 1 Oct: commenced late, BLACK.
N8_SECOND = dict(offence_seq="2", offence_start_date="01/03/2026")
# Not NGAP cases awaiting an upgrade file: none of these is counted anywhere on the page.
OTHERS = [
    case_row(urn="36NG0009126", anticipated_plea="NGAP", file_stage="UPGRADE_NG", file_status="CLOSED",
             commenced_date="01/10/2026"),  # closed
    case_row(urn="36NG0009226", anticipated_plea="NGAP", file_stage="CROWN_COURT", file_status="IN_PROGRESS",
             commenced_date="01/10/2026"),  # sent to the Crown Court
    case_row(urn="36NG0009326", anticipated_plea="GAP", file_stage="FIRST_HEARING_GAP",
             file_status="SENT_TO_CPS", commenced_date="01/10/2026"),  # guilty plea anticipated
    case_row(urn="36NG0009426", anticipated_plea="NGAP", file_stage="PRE_CHARGE"),  # not charged yet
    case_row(force_code="37", urn="37NG0009526", anticipated_plea="NGAP", file_stage="UPGRADE_NG",
             file_status="SENT_TO_CPS", commenced_date="01/10/2026", team="Ipswich CID",
             first_hearing_date="15/10/2026", upgrade_file_due_date="10/11/2026"),  # Suffolk, UNALLOCATED
]


def ngap_row(urn: str, **values: str) -> dict[str, str]:
    base = dict(anticipated_plea="NGAP", file_stage="UPGRADE_NG", file_status="SENT_TO_CPS",
                commenced_date="01/10/2026", offence_start_date="01/09/2026", submitted_to_cjs_date="20/09/2026")
    return case_row(urn=urn, **{**base, **values})


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ngap")
    rows = [ngap_row(urn, **o) for urn, o in NGAP.values()]
    rows.append(ngap_row(URN["N8"], **{**NGAP["N8"][1], **N8_SECOND}))
    rows += OTHERS
    settings = replace(Settings(), store_dir=tmp / "store")
    load_extracts([write_csv(tmp / "cases.csv", rows, HEADER)], settings)
    connection = Store(settings.store_dir).connect_read()
    yield connection
    connection.close()


NORFOLK = Scope(("36",))
BOTH = Scope(("36", "37"))


def urns(df: pd.DataFrame) -> list[str]:
    return df["urn"].tolist()


def names(*keys: str) -> list[str]:
    return [URN[k] for k in keys]


# -- the lights ------------------------------------------------------------------------------------
def test_each_known_case_gets_its_light(con):
    df = ngap.cases(con, NORFOLK, AS_OF, T)
    got = dict(zip(df["urn"], df["light"], strict=True))
    assert got == {
        URN["N1"]: "UNALLOCATED", URN["N2"]: "OVERDUE", URN["N3"]: "DUE_SOON", URN["N4"]: "DUE_SOON",
        URN["N5"]: "ON_TRACK", URN["N6"]: "NO_DUE_DATE", URN["N7"]: "UNALLOCATED", URN["N8"]: "OVERDUE",
        URN["N9"]: "UNALLOCATED", URN["N10"]: "ON_TRACK", URN["N11"]: "UNALLOCATED",
    }


def test_a_file_due_today_is_due_soon_and_one_due_yesterday_is_overdue(con):
    df = ngap.cases(con, NORFOLK, AS_OF, T).set_index("urn")
    assert (df.at[URN["N3"], "light"], df.at[URN["N3"], "days_to_due"]) == ("DUE_SOON", 0)
    assert (df.at[URN["N2"], "light"], df.at[URN["N2"], "days_to_due"]) == ("OVERDUE", -1)
    assert (df.at[URN["N4"], "light"], df.at[URN["N5"], "light"]) == ("DUE_SOON", "ON_TRACK")  # 7 and 8 days


def test_an_allocation_dated_after_the_as_of_date_has_not_happened_yet(con):
    row = ngap.cases(con, NORFOLK, AS_OF, T).set_index("urn").loc[URN["N7"]]
    assert row["light"] == "UNALLOCATED"
    assert row[["allocated_officer_id", "allocated_officer_name", "section_leader"]].isna().all()
    assert pd.isna(row["allocation_date"])
    # On 30 November the allocation has happened (due 20 Dec, 20 days on): officer, section and date appear.
    later = ngap.cases(con, NORFOLK, date(2026, 11, 30), T).set_index("urn").loc[URN["N7"]]
    assert (later["light"], later["allocated_officer_id"], later["section_leader"]) == ("ON_TRACK", "PC 13", BETA)
    assert later["allocation_date"] == pd.Timestamp("2026-11-30")


def test_stl_risk_is_the_worst_band_of_the_cases_offences(con):
    df = ngap.cases(con, NORFOLK, AS_OF, T).set_index("urn")
    assert df.at[URN["N8"], "stl_band"] == "BLACK"  # the second offence was charged after its STL
    assert df.at[URN["N8"], "offences"] == 2
    assert df.at[URN["N5"], "stl_band"] == "NO_LIMIT"
    assert df.at[URN["N2"], "stl_band"] == "COMMENCED"


def test_the_list_is_most_urgent_light_first_then_earliest_due(con):
    df = ngap.cases(con, NORFOLK, AS_OF, T)
    assert urns(df) == names("N1", "N11", "N7", "N9", "N8", "N2", "N3", "N4", "N6", "N5", "N10")
    assert df["days_to_due"].tolist()[:3] == [-14, 6, 26]


def test_case_list_columns_are_a_contract(con):
    assert list(ngap.cases(con, NORFOLK, AS_OF, T).columns) == [
        "light", "stl_band", "force_code", "urn", "defendant_id", "allocated_officer_id",
        "allocated_officer_name", "section_leader", "allocation_date", "upgrade_file_due_date", "days_to_due",
        "first_hearing_date", "trial_date", "oic_id", "oic_name", "team", "file_stage", "file_status", "offences",
    ]


# -- the same numbers as the Overview ---------------------------------------------------------------
def test_light_totals(con):
    totals = ngap.light_totals(ngap.case_counts(con, NORFOLK, AS_OF, T))
    assert totals == {"UNALLOCATED": 4, "OVERDUE": 2, "DUE_SOON": 2, "NO_DUE_DATE": 1, "ON_TRACK": 2}


@pytest.mark.parametrize("as_of", [AS_OF, date(2026, 11, 17), date(2026, 12, 1)])
@pytest.mark.parametrize("scope", [NORFOLK, BOTH, NORFOLK.narrow(teams=[BRECK]), NORFOLK.narrow(officers=["PC 1001"])])
def test_light_totals_agree_with_the_overview(con, as_of, scope):
    overview = queries.ngap_light_counts(con, scope, as_of, T)
    expected = {light: 0 for light in ngap.LIGHT_ORDER} | dict(zip(overview["light"], overview["cases"], strict=True))
    assert ngap.light_totals(ngap.case_counts(con, scope, as_of, T)) == expected
    assert sum(expected.values()) > 0


def test_every_query_uses_the_same_population_block():
    text = (ROOT / "core" / "queries" / "ngap.sql").read_text(encoding="utf-8")
    assert text.count("\n{{> ngap_population}}\n") == len(ngap.NGAP_QUERIES)
    block = re.search(r"-- fragment: ngap_population\n(.*?)\n\n", text, re.S).group(1)
    blocks = [block]
    assert set(ngap.NGAP_QUERIES) <= set(queries.queries())
    assert all("ngap AS (" in queries.queries()[name] for name in ngap.NGAP_QUERIES)
    # The Overview's population, word for word: both read the rows the loader pre-aggregates
    # (ngap_part) with the same filter, and re-aggregate them the same way.
    home = queries.queries()["ngap_light_counts"]
    for line in ("FROM ngap_part", "WHERE {{scope}}", "any_value(officer) AS officer",
                 "min(allocated_on) AS allocated_on", "min(due) AS due",
                 "ngap_light(officer, allocated_on, due, $as_of, $ngap_soon)"):
        assert line.replace("{{scope}}", "list_contains($forces, force_code)") in home and line in blocks[0]
    part = queries.queries()["ngap_part_build"]
    for line in ("anticipated_plea = 'NGAP'", "list_contains(['FIRST_HEARING_NGAP', 'UPGRADE_NG'], file_stage)",
                 "coalesce(file_status, '') <> 'CLOSED'", "any_value(ngap_allocated_officer_id) AS officer",
                 "min(ngap_allocation_date) AS allocated_on", "min(upgrade_file_due_date) AS due"):
        assert line in part


# -- backlog by section and team ------------------------------------------------------------------
def backlog_rows(df: pd.DataFrame) -> list[list]:
    return df[["group_name", "unallocated", "overdue", "due_soon", "no_due_date", "on_track", "cases"]].values.tolist()


def test_backlog_by_section_leader(con):
    df = ngap.backlog(con, NORFOLK, AS_OF, T)
    assert backlog_rows(df) == [
        [ngap.NO_GROUP, 4, 0, 0, 0, 0, 4],  # N1, N7 (allocated later), N9, N11
        [ALPHA, 0, 1, 2, 0, 2, 5],  # N2 | N3, N4 | N5, N10
        [BETA, 0, 1, 0, 1, 0, 2],  # N8 | N6
    ]
    assert df["group_key"].tolist() == [f"36/{ngap.NO_GROUP}", f"36/{ALPHA}", f"36/{BETA}"]


def test_backlog_by_team(con):
    df = ngap.backlog(con, NORFOLK, AS_OF, T, group_by="team")
    assert backlog_rows(df) == [
        [NORWICH, 4, 1, 2, 0, 0, 7],  # N1, N7, N9, N11 | N2 | N3, N4
        [BRECK, 0, 1, 0, 1, 2, 4],  # N8 | N6 | N5, N10
    ]


def test_backlog_rejects_an_unknown_grouping(con):
    with pytest.raises(ValueError, match="group_by"):
        ngap.backlog(con, NORFOLK, AS_OF, T, group_by="officer; DROP TABLE case_offences")


def test_same_named_groups_in_two_forces_are_kept_apart_and_labelled(con):
    df = ngap.with_group_label(ngap.backlog(con, BOTH, AS_OF, T))
    none = df[df["group_name"] == ngap.NO_GROUP]
    assert none[["group_key", "unallocated"]].values.tolist() == [
        [f"36/{ngap.NO_GROUP}", 4], [f"37/{ngap.NO_GROUP}", 1]]
    assert none["label"].tolist() == [f"{ngap.NO_GROUP} · Norfolk", f"{ngap.NO_GROUP} · Suffolk"]
    assert ngap.with_group_label(ngap.backlog(con, NORFOLK, AS_OF, T))["label"].tolist()[0] == ngap.NO_GROUP


def test_the_backlog_chart_carries_each_bars_key_for_drill_down(con):
    df = ngap.with_group_label(ngap.backlog(con, NORFOLK, AS_OF, T, group_by="team"))
    fig = ngap.backlog_figure(df, top=1, group_title="Team")
    assert [t.name for t in fig.data] == [ngap.LIGHT_LABELS["UNALLOCATED"], ngap.LIGHT_LABELS["OVERDUE"]]
    assert list(fig.data[0].customdata) == [f"36/{NORWICH}"]  # the top 1 only
    assert (list(fig.data[0].x), list(fig.data[1].x)) == ([4], [1])


def test_cases_with_no_section_leader_are_left_off_the_chart_but_not_the_table(con):
    df = ngap.with_group_label(ngap.backlog(con, NORFOLK, AS_OF, T))
    fig = ngap.backlog_figure(df, top=20, group_title="Section leader")
    assert list(fig.data[0].customdata) == [f"36/{ALPHA}", f"36/{BETA}"]
    assert (list(fig.data[0].x), list(fig.data[1].x)) == ([0, 0], [1, 1])
    assert ngap.NO_GROUP in df["group_name"].tolist()


def test_selected_points_give_the_drill_down_keys():
    points = [{"customdata": "36/S. Beta"}, {"customdata": ["36/S. Alpha"]}, {"customdata": "36/S. Beta"}, {"x": 1}]
    assert ngap.selected_keys(points) == ("36/S. Alpha", "36/S. Beta")
    assert ngap.selected_keys([]) == ()


# -- workload per officer ---------------------------------------------------------------------------
def test_workload_per_allocated_officer(con):
    df = ngap.workload(con, NORFOLK, AS_OF, T)
    assert df[["officer_id", "officer_name", "section_leaders", "overdue", "due_soon", "no_due_date", "on_track",
               "cases"]].values.tolist() == [
        ["PC 11", "Officer Eleven", ALPHA, 1, 1, 0, 0, 2],  # N2 | N3
        ["PC 13", "Officer Thirteen", BETA, 1, 0, 1, 0, 2],  # N8 | N6; N7 is allocated only on 30 Nov
        ["PC 12", "Officer Twelve", ALPHA, 0, 1, 0, 2, 3],  # N4 | N5, N10
    ]
    assert df["officer_key"].tolist() == ["36/PC 11", "36/PC 13", "36/PC 12"]


def test_workload_plus_unallocated_is_every_case(con):
    totals = ngap.light_totals(ngap.case_counts(con, NORFOLK, AS_OF, T))
    assert ngap.workload(con, NORFOLK, AS_OF, T)["cases"].sum() + totals["UNALLOCATED"] == sum(totals.values())


# -- drill-down, light selector, cap and the reconciliation -----------------------------------------
def test_drilling_into_a_section_lists_its_cases(con):
    beta = (f"36/{BETA}",)
    assert urns(ngap.cases(con, NORFOLK, AS_OF, T, groups=beta)) == names("N8", "N6")
    counts = ngap.case_counts(con, NORFOLK, AS_OF, T, groups=beta)
    assert dict(zip(counts["light"], counts["in_drill"], strict=True)) == {
        "UNALLOCATED": 0, "OVERDUE": 1, "DUE_SOON": 0, "NO_DUE_DATE": 1, "ON_TRACK": 0}


def test_drilling_into_a_team_or_an_officer(con):
    on_track_breck = ngap.cases(con, NORFOLK, AS_OF, T, lights=("ON_TRACK",), group_by="team",
                                groups=(f"36/{BRECK}",))
    assert urns(on_track_breck) == names("N5", "N10")
    assert urns(ngap.cases(con, NORFOLK, AS_OF, T, officers=("36/PC 12",))) == names("N4", "N5", "N10")


def test_the_light_selector_and_drill_down_reconcile(con):
    beta = (f"36/{BETA}",)
    counts = ngap.case_counts(con, NORFOLK, AS_OF, T, groups=beta)
    shown = ngap.cases(con, NORFOLK, AS_OF, T, lights=("OVERDUE",), groups=beta)
    assert urns(shown) == names("N8")
    rec = ngap.reconciliation(counts, ("OVERDUE",), len(shown), 500)
    # 11 cases: 9 not overdue; of the 2 overdue, N2 is in S. Alpha; N8 is shown.
    assert (rec.in_scope, rec.shown, [n for _, n in rec.excluded]) == (11, 1, [9, 1, 0])
    assert rec.adds_up


def test_the_cap_is_applied_in_sql_and_the_rest_is_counted(con):
    shown = ngap.cases(con, NORFOLK, AS_OF, T, cap=3)
    assert urns(shown) == names("N1", "N11", "N7")
    rec = ngap.reconciliation(ngap.case_counts(con, NORFOLK, AS_OF, T), ngap.LIGHT_ORDER, len(shown), 3)
    assert (rec.in_scope, rec.shown, [n for _, n in rec.excluded]) == (11, 3, [0, 0, 8])
    assert rec.adds_up


def test_no_lights_selected_lists_nothing_and_still_adds_up(con):
    shown = ngap.cases(con, NORFOLK, AS_OF, T, lights=())
    assert shown.empty
    rec = ngap.reconciliation(ngap.case_counts(con, NORFOLK, AS_OF, T), (), 0, 500)
    assert (rec.in_scope, [n for _, n in rec.excluded]) == (11, [11, 0, 0])


def test_tracker_settings_must_be_positive():
    assert ngap.DEFAULT_RULES.list_cap == 500
    with pytest.raises(ValueError):
        ngap.NgapTrackerRules(list_cap=0)


# -- weekly trend ---------------------------------------------------------------------------------
def test_weekly_trend_over_two_weeks(con):
    df = ngap.trend(con, NORFOLK, AS_OF, T, period=(date(2026, 11, 11), AS_OF))
    # Reached first hearing by 17 Nov: all but N9 (first hearing 30 Nov), N11 by its charge date (5 Nov).
    # 17 Nov: unallocated N1, N11 (no officer), N7 (allocated 30 Nov), N10 (allocated 20 Nov);
    #         overdue N8 (due 10 Nov). N2 (due 23 Nov) is not yet overdue; N1 is past due but unallocated.
    # 24 Nov: N10 now allocated -> unallocated N1, N7, N11; overdue N8 and N2 (due 23 Nov).
    assert df.values.tolist() == [
        [pd.Timestamp("2026-11-17"), 4, 1, 10],
        [pd.Timestamp("2026-11-24"), 3, 2, 10],
    ]
    assert list(df.columns) == ["week_ending", "unallocated", "overdue", "after_first_hearing"]


def test_the_trend_stops_at_the_as_of_date_and_steps_back_from_it(con):
    later_end = ngap.trend(con, NORFOLK, AS_OF, T, period=(date(2026, 11, 11), date(2026, 12, 31)))
    assert later_end["week_ending"].tolist() == [pd.Timestamp("2026-11-17"), pd.Timestamp("2026-11-24")]
    earlier = ngap.trend(con, NORFOLK, date(2026, 11, 17), T, period=(date(2026, 11, 11), AS_OF))
    assert earlier.values.tolist() == [[pd.Timestamp("2026-11-17"), 4, 1, 10]]
    assert ngap.trend(con, NORFOLK, AS_OF, T, period=(date(2026, 11, 25), date(2026, 12, 31))).empty


def test_the_last_trend_point_matches_todays_overdue_light(con):
    # Every overdue case has had its first hearing, so on the as-of date the two agree.
    df = ngap.trend(con, NORFOLK, AS_OF, T, period=(AS_OF, AS_OF))
    assert df["overdue"].tolist() == [ngap.light_totals(ngap.case_counts(con, NORFOLK, AS_OF, T))["OVERDUE"]]


# -- export -----------------------------------------------------------------------------------------
def test_the_export_has_the_list_backlog_and_workload(con):
    from openpyxl import load_workbook

    sheets = ngap.export_sheets(
        ngap.cases(con, NORFOLK, AS_OF, T), ngap.with_group_label(ngap.backlog(con, NORFOLK, AS_OF, T)),
        ngap.workload(con, NORFOLK, AS_OF, T), list_title="NGAP cases: 11 matching", group_title="Section leader",
    )
    buf = BytesIO()
    write_report_xlsx(sheets, buf, marking="OFFICIAL-SENSITIVE", title="NGAP tracker", as_of=AS_OF,
                      generated_at=datetime(2026, 11, 24, 7, tzinfo=UTC))
    wb = load_workbook(BytesIO(buf.getvalue()))
    flat = [c.value for row in wb["NGAP cases"].iter_rows() for c in row if c.value is not None]
    assert URN["N7"] in flat and ngap.LIGHT_LABELS["UNALLOCATED"] in flat and "BLACK" in flat
    assert {"Backlog", "Workload"} <= set(wb.sheetnames)
