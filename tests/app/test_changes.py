"""AppTest behaviour tests of "What changed since the last JOIM" (pages/changes.py).

The shared sample store has one load, so the page must say so plainly. The multi-load tests build
their own store from tests/sql/test_changes.py's two hand-made loads (27 October and 24 November
2026), whose expected changes are worked out there.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.stl import BAND_LABELS
from tests.sql.test_changes import AS_OF, BASE_ON, build_two_loads, urn

PAGE = "pages/changes.py"


def open_page(app, store=None):
    at = app(store)
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def metrics(at) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric}


def frame_with(at, *columns: str, containing: str | None = None) -> pd.DataFrame:
    for df in at.dataframe:
        value = df.value
        if set(columns) <= set(value.columns) and (containing is None or containing in value["urn"].tolist()):
            return value
    raise AssertionError(f"no table with columns {columns}")


def list_under(at, heading: str) -> pd.DataFrame:
    """The change list shown under the subheading "<heading> (<count>)" (empty lists have no table)."""
    lists = ("New at risk", "Slipped a band", "Went BLACK", "Cleared")
    titles = [s.value for s in at.subheader if s.value.split(" (")[0] in lists]
    with_rows = [t for t in titles if not t.endswith("(0)")]
    tables = [d.value for d in at.dataframe if {"band_before", "band_now", "urn"} <= set(d.value.columns)]
    assert len(tables) == len(with_rows), (titles, len(tables))
    return tables[[t.split(" (")[0] for t in with_rows].index(heading)]


@pytest.fixture(scope="module")
def two_loads_store(tmp_path_factory):
    return build_two_loads(tmp_path_factory.mktemp("changes_app")).store_dir


def test_with_one_load_the_page_says_so_and_explains_how_history_builds(app):
    at = open_page(app)
    assert metrics(at) == {"Loads kept": 1}
    (info,) = [i.value for i in at.info if "Only one load" in i.value]
    assert "nothing to compare it with yet" in info and "from the next load on" in info
    assert "400 days" in info  # the retention setting is named
    assert not at.error and not [w for w in at.warning if "Traceback" in w.value]


def test_two_loads_show_a_known_slipped_case_with_both_bands(app, two_loads_store):
    at = open_page(app, two_loads_store)
    assert at.date_input(key="changes_joim_on").value == date(2026, 10, 27)  # 28 days before the as-of date
    got = metrics(at)
    assert got == {"At risk at the last JOIM": 7, "At risk now": 8, "New at risk": 3, "Cleared": 2,
                   "Slipped a band": 4, "Went BLACK": 2}
    slipped = list_under(at, "Slipped a band").set_index("urn")
    assert slipped.loc[urn(2), "band_before"] == BAND_LABELS["AMBER"]
    assert slipped.loc[urn(2), "band_now"] == BAND_LABELS["RED"]
    assert urn(12, "37") in slipped.index  # Suffolk's case, both forces in scope
    cleared = list_under(at, "Cleared").set_index("urn")
    assert cleared.loc[urn(5), "band_now"].startswith("➖")  # closed: no band now, said in words
    captions = " ".join(c.value for c in at.caption)
    assert "8 = 7 − 2 + 3" in captions
    assert "27/10/2026" in captions and "24/11/2026" in captions
    rec = frame_with(at, "rows")
    rows = dict(zip(rec.iloc[:, 0], rec["rows"], strict=True))
    assert rows["In the extracts, within your scope"] == 11
    assert rows["Shown on this page"] + sum(v for k, v in rows.items() if k.startswith("Not shown")) == 11


def test_the_force_filter_narrows_both_loads(app, two_loads_store):
    at = open_page(app, two_loads_store)
    at.multiselect(key="force").select("37").run()
    assert not at.exception
    got = metrics(at)
    assert (got["At risk at the last JOIM"], got["At risk now"], got["Slipped a band"]) == (1, 1, 1)
    assert list_under(at, "Slipped a band")["urn"].tolist() == [urn(12, "37")]


def test_a_joim_date_before_every_kept_load_is_said_plainly(app, two_loads_store):
    at = open_page(app, two_loads_store)
    at.date_input(key="changes_joim_on").set_value(date(2026, 10, 20)).run()
    assert not at.exception
    assert any("No load is kept from on or before 20/10/2026" in w.value for w in at.warning)
    assert "New at risk" not in metrics(at)


def test_picking_a_load_judges_it_on_its_load_day(app, two_loads_store):
    at = open_page(app, two_loads_store)
    at.segmented_control(key="changes_mode").set_value("pick").run()
    assert not at.exception
    assert len(at.selectbox(key="changes_base").options) == 1  # only the earlier load can be picked
    # The base load day is also 27/10, so the figures are the JOIM date's.
    assert metrics(at)["Slipped a band"] == 4
    assert any(f"judged as of {BASE_ON:%d/%m/%Y}" in c.value for c in at.caption)


def test_the_team_movement_and_the_trend_have_table_twins(app, two_loads_store):
    at = open_page(app, two_loads_store)
    teams = frame_with(at, "label", "net_change").set_index("label")
    assert teams.loc["Breckland CID · Norfolk", "net_change"] == 1
    assert teams.loc["Norwich CID · Norfolk", ["at_risk_before", "at_risk_now"]].tolist() == [5, 4]
    trend = frame_with(at, "loaded_on", "at_risk")
    assert trend["at_risk"].tolist() == [7, 8]
    assert len(at.get("plotly_chart")) == 2


def test_the_print_layout_has_plain_tables_between_two_markings(app, two_loads_store):
    at = open_page(app, two_loads_store)
    at.toggle(key="changes_print").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 0
    assert not [d for d in at.dataframe if "band_before" in d.value.columns]
    assert len(at.table) >= 5  # summary, four lists with rows, teams
    body = [m.value for m in at.main.markdown]
    marks = [i for i, text in enumerate(body) if "OFFICIAL\\-SENSITIVE" in text]
    assert len(marks) == 2 and any("@media print" in text for text in body)


def test_in_joim_mode_no_urn_or_officer_of_the_lists_reaches_the_screen(app, two_loads_store):
    at = app(two_loads_store)
    at.query_params["joim"] = "true"
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert metrics(at)["Slipped a band"] == 4  # the same figures, masked rows
    parts: list[str] = []

    def walk(node) -> None:
        if getattr(node, "proto", None) is not None:
            parts.append(str(node.proto))
        if getattr(node, "type", None) in ("dataframe", "table"):
            parts.append(node.value.astype(str).to_csv())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    text = "\n".join(parts)
    slipped = list_under(at, "Slipped a band")
    assert len(slipped) == 4 and all(u.startswith("URN-") for u in slipped["urn"])
    for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10):
        assert urn(n) not in text
    assert "PC 1001" not in text  # the officers' collar numbers
