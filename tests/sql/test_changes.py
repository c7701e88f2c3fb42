"""Query tests of "what changed since the last JOIM" (core/changes.py, core/queries/changes.sql).

Two loads of hand-made extracts into one temporary store: the base, loaded 08:00 UTC on Tuesday
27 October 2026 and judged as of that day (the "last JOIM"), and the current load, 08:00 UTC on
Tuesday 24 November 2026, judged as of that day. Every offence is a common assault (summary only,
STL six months from the offence, MCA 1980 s.127), unsubmitted, so with the default thresholds a
case is RED within 14 days of its STL, AMBER within 42, BLACK after it. The comment on each case
gives its band in each load; the expected values below are worked out from those by hand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest

from core import changes, history, queries
from core.config import Settings, Thresholds
from core.export import write_report_xlsx
from core.scope import Scope
from core.store import Store, StoreError
from data_loaders.load import load_extracts
from tests.conftest import CASE_HEADER, case_row, write_csv

BASE_ON = date(2026, 10, 27)
AS_OF = date(2026, 11, 24)
BASE_AT = datetime(2026, 10, 27, 8, 0, tzinfo=UTC)
NOW_AT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
T = Thresholds()
NORWICH, BRECK, DEREHAM, IPSWICH = "Norwich CID", "Breckland CID", "Dereham CID", "Ipswich CID"
NORFOLK = Scope(("36",))
BOTH = Scope(("36", "37"))


def urn(n: int, force: str = "36") -> str:
    return f"{force}CH{n:05d}26"


def c(n: int, offence: str, force: str = "36", **extra: str) -> dict[str, str]:
    return case_row(force_code=force, urn=urn(n, force), offence_start_date=offence, **extra)


# Base load (judged 27/10/2026)                          | current load (judged 24/11/2026)
BASE_ROWS = [
    c(1, "20/06/2026"),                      # STL 20/12: 54 days, GREEN  | 26 days, AMBER: new + slipped
    c(2, "05/06/2026"),                      # STL 05/12: 39 days, AMBER  | 11 days, RED: slipped
    c(2, "01/09/2026", offence_seq="2"),     #   (second offence, STL 01/03/2027: GREEN; the case takes the worst)
    c(3, "05/05/2026"),                      # STL 05/11: 9 days, RED     | passed, BLACK: slipped + went BLACK
    c(4, "30/05/2026"),                      # STL 30/11: 34 days, AMBER  | charged 10/11: COMMENCED: cleared
    c(5, "01/06/2026", team=BRECK),          # STL 01/12: 35 days, AMBER  | file closed: gone: cleared
    c(8, "01/04/2026"),                      # STL 01/10: BLACK           | BLACK: unchanged
    c(9, "05/05/2026"),                      # STL 05/11: 9 days, RED     | offence date corrected: AMBER: eased
    c(10, "01/09/2026"),                     # STL 01/03/2027: GREEN      | GREEN: neither
    c(12, "05/06/2026", force="37", team=IPSWICH),  # Suffolk: AMBER      | RED: slipped (out of Norfolk's scope)
]
NOW_ROWS = [
    c(1, "20/06/2026"),
    c(2, "05/06/2026"),
    c(2, "01/09/2026", offence_seq="2"),
    c(3, "05/05/2026"),
    c(4, "30/05/2026", commenced_date="10/11/2026", file_stage="FIRST_HEARING_GAP"),
    c(5, "01/06/2026", team=BRECK, file_status="CLOSED"),
    c(6, "10/06/2026", team=BRECK),          # not in the base load         | STL 10/12: 16 days, AMBER: new
    c(7, "20/05/2026", team=BRECK),          # not in the base load         | STL 20/11 passed, BLACK: new + went BLACK
    c(8, "01/04/2026"),
    c(9, "01/07/2026", team=DEREHAM),        # (moved to Dereham CID)       | STL 01/01/2027: 38 days, AMBER
    c(10, "01/09/2026"),
    c(12, "05/06/2026", force="37", team=IPSWICH),
]


def build_two_loads(root: Path) -> Settings:
    """Load the base and current extracts into a fresh store under ``root``; return its settings."""
    settings = replace(Settings(), store_dir=root / "store")
    root.mkdir(parents=True, exist_ok=True)
    load_extracts([write_csv(root / "cases-base.csv", BASE_ROWS, CASE_HEADER)], settings, now=BASE_AT)
    load_extracts([write_csv(root / "cases-now.csv", NOW_ROWS, CASE_HEADER)], settings, now=NOW_AT)
    return settings


@pytest.fixture(scope="module")
def two_loads(tmp_path_factory) -> Settings:
    return build_two_loads(tmp_path_factory.mktemp("changes"))


@pytest.fixture
def con(two_loads):
    c = Store(two_loads.store_dir).connect_read()
    yield c
    c.close()


@pytest.fixture(scope="module")
def base_name(two_loads) -> str:
    snaps = history.snapshots(Store(two_loads.store_dir))
    assert [s.loaded_at for s in snaps] == [BASE_AT, NOW_AT]
    return snaps[0].name


def compare(con, base_name, scope=NORFOLK, **kw):
    return changes.compare(con, scope, AS_OF, T, base=base_name, base_as_of=BASE_ON, **kw)


def urns(df: pd.DataFrame) -> list[str]:
    return df["urn"].tolist()


def test_the_summary_counts_each_change_once(con, base_name):
    s = compare(con, base_name).summary.iloc[0].to_dict()
    assert s == {
        "cases": 10, "cases_before": 8, "cases_now": 9,
        "at_risk_before": 6,   # 2, 3, 4, 5, 8, 9
        "at_risk_now": 7,      # 1, 2, 3, 6, 7, 8, 9
        "new_at_risk": 3,      # 1, 6, 7
        "cleared": 2,          # 4, 5
        "slipped": 3,          # 1, 2, 3
        "went_black": 2,       # 3, 7
        "listed": 7, "neither": 1, "unchanged": 1, "eased": 1,
    }
    # at risk now = at risk then - cleared + new, and the buckets add up to the cases.
    assert s["at_risk_now"] == s["at_risk_before"] - s["cleared"] + s["new_at_risk"]
    assert s["cases"] == s["listed"] + s["neither"] + s["unchanged"] + s["eased"]


def test_each_list_holds_the_expected_cases_most_severe_first(con, base_name):
    lists = compare(con, base_name).lists
    # BLACK first, then by the last working day: case 6 (STL 10/12) before case 1 (STL 20/12).
    assert urns(lists["new_at_risk"]) == [urn(7), urn(6), urn(1)]
    assert urns(lists["slipped"]) == [urn(3), urn(2), urn(1)]
    assert urns(lists["went_black"]) == [urn(3), urn(7)]  # case 3 RED before, case 7 absent before
    # Still open and commenced before the case that is gone (no band now).
    assert urns(lists["cleared"]) == [urn(4), urn(5)]


def test_a_list_row_carries_both_bands_and_the_governing_stl(con, base_name):
    lists = compare(con, base_name).lists
    slipped = lists["slipped"].set_index("urn")
    assert slipped.loc[urn(2), ["band_before", "band_now"]].tolist() == ["AMBER", "RED"]
    assert slipped.loc[urn(2), "stl_date"] == pd.Timestamp("2026-12-05")  # the RED offence, not the GREEN one
    assert slipped.loc[urn(1), ["band_before", "band_now"]].tolist() == ["GREEN", "AMBER"]
    new = lists["new_at_risk"].set_index("urn")
    assert pd.isna(new.loc[urn(7), "band_before"]) and new.loc[urn(7), "band_now"] == "BLACK"
    assert new.loc[urn(6), "team"] == BRECK
    cleared = lists["cleared"].set_index("urn")
    assert cleared.loc[urn(4), "band_now"] == "COMMENCED"
    assert pd.isna(cleared.loc[urn(5), "band_now"]) and cleared.loc[urn(5), "team"] == BRECK


def test_team_movement_counts_each_snapshot_by_its_own_team(con, base_name):
    teams = compare(con, base_name).teams
    got = {r.team: (r.at_risk_before, r.at_risk_now, r.net_change, r.new_at_risk, r.cleared, r.slipped,
                    r.went_black) for r in teams.itertuples()}
    assert got == {
        NORWICH: (5, 4, -1, 1, 1, 3, 1),   # then 2, 3, 4, 8, 9; now 1, 2, 3, 8
        BRECK: (1, 2, 1, 2, 1, 0, 1),      # then 5; now 6, 7
        DEREHAM: (0, 1, 1, 0, 0, 0, 0),    # case 9 moved here, still at risk (eased)
    }
    # Biggest absolute movement first, then most at risk now.
    assert teams["team"].tolist() == [NORWICH, BRECK, DEREHAM]
    assert int(teams["at_risk_now"].sum()) == 7 and int(teams["net_change"].sum()) == 7 - 6


def test_scope_applies_to_both_loads(con, base_name):
    both = compare(con, base_name, scope=BOTH).summary.iloc[0]
    assert (both["cases"], both["slipped"], both["at_risk_before"], both["at_risk_now"]) == (11, 4, 7, 8)
    breck = compare(con, base_name, scope=Scope(("36",), (BRECK,))).summary.iloc[0]
    assert (breck["cases"], breck["new_at_risk"], breck["cleared"], breck["went_black"]) == (3, 2, 1, 1)
    # From Norwich's view, case 9 left the team: at risk then, out of scope now, so cleared.
    norwich = compare(con, base_name, scope=Scope(("36",), (NORWICH,)))
    assert urns(norwich.lists["cleared"]) == [urn(4), urn(9)]


def test_the_current_side_agrees_with_the_overview(con, base_name):
    for scope in (NORFOLK, BOTH):
        overview = queries.stl_band_counts(con, scope, AS_OF, T)
        n = dict(zip(overview["band"], overview["cases"], strict=True))
        at_risk = sum(n.get(b, 0) for b in changes.AT_RISK)
        assert compare(con, base_name, scope=scope).count("at_risk_now") == at_risk


def test_each_side_is_judged_at_its_own_date(con, base_name):
    # The base judged as of the current date instead: cases 1 and 2 are already AMBER and RED there,
    # so nothing slips between them; the current load's own changes (3 BLACK) remain.
    later = changes.compare(con, NORFOLK, AS_OF, T, base=base_name, base_as_of=AS_OF)
    assert urns(later.lists["slipped"]) == []
    assert urns(later.lists["new_at_risk"]) == [urn(7), urn(6)]


def test_comparing_the_current_load_with_itself_finds_no_change(con, two_loads):
    current = Store(two_loads.store_dir).current().name
    s = changes.compare(con, BOTH, AS_OF, T, base=current, base_as_of=AS_OF).summary.iloc[0]
    assert s["listed"] == 0 and s["at_risk_before"] == s["at_risk_now"] == 8


def test_lists_are_capped_in_sql_and_the_reconciliation_still_adds_up(con, base_name):
    comp = compare(con, base_name, cap=1)
    assert all(len(df) == 1 for df in comp.lists.values())
    assert comp.count("new_at_risk") == 3  # the summary is not capped
    shown = changes.shown_cases(comp.lists)
    assert shown == 3  # case 7, case 3 (slipped and went BLACK), case 4
    in_scope, shown_n, excluded = changes.reconciliation(comp.summary, shown)
    assert in_scope == 10 and in_scope == shown_n + sum(n for _, n in excluded)
    assert dict(excluded)["on a list, beyond the rows shown"] == 7 - 3


def test_a_base_that_is_not_a_kept_snapshot_is_refused(con, two_loads):
    for bad in ("gen-20990101T000000000000-0.duckdb", "../store/CURRENT", "x' AS y; --"):
        with pytest.raises(StoreError):
            changes.compare(con, NORFOLK, AS_OF, T, base=bad, base_as_of=BASE_ON)


def test_the_trend_counts_each_snapshot_on_its_own_load_day(con):
    trend = changes.trend(con, NORFOLK, AS_OF, T, period=(date(2026, 10, 1), date(2026, 11, 30)))
    # Base: BLACK 8; RED 3, 9; AMBER 2, 4, 5. Now: BLACK 3, 7, 8; RED 2; AMBER 1, 6, 9.
    assert trend["loaded_on"].tolist() == [BASE_ON, AS_OF]
    assert trend[["black", "red", "amber", "at_risk"]].values.tolist() == [[1, 2, 3, 6], [3, 1, 3, 7]]
    assert trend["cases"].tolist() == [8, 9]
    only_last = changes.trend(con, NORFOLK, AS_OF, T, period=(date(2026, 11, 1), date(2026, 11, 30)))
    assert only_last["loaded_on"].tolist() == [AS_OF]
    assert changes.trend(con, NORFOLK, AS_OF, T, period=(date(2026, 1, 1), date(2026, 2, 1))).empty


def test_the_snapshot_list_reads_the_store(con, base_name):
    snaps = changes.snapshot_list(con, NORFOLK, AS_OF, T)
    assert snaps["loaded_on"].tolist() == [BASE_ON, AS_OF]
    assert snaps["current"].tolist() == [False, True]
    assert snaps["generation"].iloc[0] == base_name


def test_the_export_pack_has_every_list_and_the_team_movement(con, base_name):
    from openpyxl import load_workbook

    comp = compare(con, base_name)
    sheets = changes.export_sheets(comp, described=[("Scope", "Norfolk")])
    assert [s.name for s in sheets] == ["Summary", "New at risk", "Slipped a band", "Went BLACK", "Cleared",
                                        "Team movement"]
    buf = BytesIO()
    write_report_xlsx(sheets, buf, marking="OFFICIAL-SENSITIVE", title="What changed", as_of=AS_OF,
                      generated_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    book = load_workbook(BytesIO(buf.getvalue()))
    cleared = [[c.value for c in row] for row in book["Cleared"].iter_rows()]
    assert cleared[0][0] == "OFFICIAL-SENSITIVE"
    header = cleared[2]
    gone = next(r for r in cleared[3:] if r[header.index("URN")] == urn(5))
    assert gone[header.index("Band at last JOIM")] == "AMBER" and gone[header.index("Band now")] == changes.GONE
