"""AppTest behaviour tests of the NGAP tracker (pages/ngap_tracker.py) on the bundled sample.

The as-of date is pinned to the sample's extract date, 24 November 2026. The light selector is
bound to the URL; that a copied link reproduces it is for the browser test (AppTest does not feed
query parameters to bound widgets).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from core.config import SAMPLE_DIR
from core.ngap import DEFAULT_RULES, LIGHT_LABELS, LIGHT_ORDER, ngap_light

AS_OF = date(2026, 11, 24)
SOON = 7  # Thresholds().ngap_due_soon_days


def open_tracker(app):
    at = app()
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    at.switch_page("pages/ngap_tracker.py")
    at.run()
    assert not at.exception
    return at


def metrics(at) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric}


def frame_with(at, *columns: str) -> pd.DataFrame:
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


def case_list(at) -> pd.DataFrame:
    return frame_with(at, "light", "urn", "upgrade_file_due_date")


def reconciliation(at) -> dict[str, int]:
    df = frame_with(at, "rows")
    return dict(zip(df.iloc[:, 0], df["rows"], strict=True))


@pytest.fixture(scope="module")
def due_today():
    """A sample NGAP case whose upgrade file is due on the as-of date, read from the raw extract
    (not through the page's queries) and judged by the reference rule, core.ngap.ngap_light."""
    raw = pd.read_csv(SAMPLE_DIR / "norfolk_case_files.csv", dtype=str, keep_default_na=False)
    ngap = raw[(raw["anticipated_plea"] == "NGAP") & raw["file_stage"].isin(["FIRST_HEARING_NGAP", "UPGRADE_NG"])
               & (raw["file_status"] != "CLOSED")]
    due = ngap[(ngap["upgrade_file_due_date"] == AS_OF.strftime("%d/%m/%Y"))
               & (ngap["ngap_allocated_officer_id"] != "")]
    assert not due.empty, "the sample has no allocated NGAP case due on the as-of date"
    row = due.sort_values(["urn", "defendant_id"]).iloc[0]
    allocated_on = datetime.strptime(row["ngap_allocation_date"], "%d/%m/%Y").date()
    light = ngap_light(row["ngap_allocated_officer_id"], allocated_on, AS_OF, AS_OF, SOON)
    return row["urn"], row["defendant_id"], light


def test_the_tracker_renders_on_the_sample(app):
    at = open_tracker(app)
    got = metrics(at)
    for light in LIGHT_ORDER:
        assert LIGHT_LABELS[light] in got
    assert got["All NGAP cases"] == sum(got[LIGHT_LABELS[x]] for x in LIGHT_ORDER) > 0
    listed = case_list(at)
    assert len(listed) == DEFAULT_RULES.list_cap  # the sample has more NGAP cases than the cap
    # Lights and STL risk are text with an icon, never colour alone.
    assert set(listed["light"]) <= set(LIGHT_LABELS.values())
    assert listed["stl_band"].str.contains(r"[A-Z]{4,}").all()
    assert len(frame_with(at, "officer_id", "overdue")) > 0
    assert len(frame_with(at, "week_ending", "unallocated", "overdue")) > 0
    assert any("Reconstructed from dates" in c.value for c in at.caption)


def test_totals_equal_the_overviews_ngap_counts(app):
    at = app()
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    overview = frame_with(at, "light", "cases")  # the Overview's NGAP table (labels and counts)
    on_home = dict(zip(overview["light"], overview["cases"], strict=True))
    at.switch_page("pages/ngap_tracker.py")
    at.run()
    assert not at.exception
    got = metrics(at)
    assert {LIGHT_LABELS[x]: got[LIGHT_LABELS[x]] for x in LIGHT_ORDER} == on_home
    rows = reconciliation(at)
    assert rows["In the extracts, within your scope"] == sum(on_home.values())


def test_the_light_selector_changes_the_list_and_the_rows_still_add_up(app):
    at = open_tracker(app)
    everything = case_list(at)  # most urgent first: the sample's unallocated cases fill the cap
    assert set(everything["light"]) == {LIGHT_LABELS["UNALLOCATED"]}
    due_soon = metrics(at)[LIGHT_LABELS["DUE_SOON"]]
    at.pills(key="ngap_lights").set_value(["DUE_SOON"]).run()
    assert not at.exception
    listed = case_list(at)
    assert set(listed["light"]) == {LIGHT_LABELS["DUE_SOON"]}
    assert len(listed) == due_soon < DEFAULT_RULES.list_cap
    rows = reconciliation(at)
    assert rows["Shown on this page"] == due_soon
    assert rows["Not shown: light not selected"] == rows["In the extracts, within your scope"] - due_soon


def test_a_case_due_today_shows_as_due_soon(app, due_today):
    urn, defendant, expected = due_today
    assert expected == "DUE_SOON"
    at = open_tracker(app)
    at.pills(key="ngap_lights").set_value(["DUE_SOON"]).run()
    listed = case_list(at)
    row = listed[(listed["urn"] == urn) & (listed["defendant_id"] == defendant)]
    assert row["light"].tolist() == [LIGHT_LABELS["DUE_SOON"]]
    assert row["days_to_due"].tolist() == [0]


def test_grouping_by_team_and_the_force_filter_change_the_backlog(app):
    at = open_tracker(app)
    by_section = frame_with(at, "label", "unallocated", "overdue")
    at.segmented_control(key="ngap_group_by").set_value("team").run()
    assert not at.exception
    by_team = frame_with(at, "label", "unallocated", "overdue")
    assert set(by_team["label"]) != set(by_section["label"])
    assert by_team["cases"].sum() == by_section["cases"].sum()
    both = metrics(at)["All NGAP cases"]
    at.multiselect(key="force").select("37").run()
    assert not at.exception
    assert 0 < metrics(at)["All NGAP cases"] < both
