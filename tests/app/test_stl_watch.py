"""AppTest behaviour tests of the STL watch page (pages/stl_watch.py).

Most tests run the page on the hand-made scenario of tests/sql/test_stl_watch.py (as of Tuesday
24 November 2026), where every position is worked out by hand; one runs it on the bundled sample.
That the band choice lives in the URL is checked in the browser test: AppTest does not feed query
parameters to bound widgets.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from streamlit.util import ReadOnlyAttributeDictionary

from core.config import Settings
from core.stl import BAND_LABELS
from data_loaders.load import load_extracts
from tests.conftest import case_row, write_csv
from tests.sql.test_stl_watch import CASES, CUSTODY, DEFAULT_ORDER, HEADER, TWO_OFFENCES, URN

AS_OF = date(2026, 11, 24)
PAGE = "pages/stl_watch.py"


@pytest.fixture(scope="module")
def scenario_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stl_watch_app")
    rows = [case_row(urn=u, **o) for u, o in CASES.values()] + TWO_OFFENCES
    settings = replace(Settings(), store_dir=tmp / "store")
    load_extracts([write_csv(tmp / "cases.csv", rows, HEADER), write_csv(tmp / "custody.csv", CUSTODY)], settings)
    return settings.store_dir


def open_page(app, store=None):
    at = app(store)
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any(c.value.startswith("As of Tuesday 24 November 2026.") for c in at.caption)
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def listed(at) -> list[str]:
    back = {u: k for k, u in URN.items()}
    return [back[u] for u in at.dataframe(key="stl_cases").value["urn"]]


def table_with(at, column: str):
    """The one table on the page with this column (only tables with a selection expose their key)."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, column
    return found[0]


def selection(**parts) -> ReadOnlyAttributeDictionary:
    """A chart selection as Streamlit hands it back (points, indices, box, lasso)."""
    sel = {"points": [], "point_indices": [], "box": [], "lasso": []} | parts
    return ReadOnlyAttributeDictionary({"selection": ReadOnlyAttributeDictionary(sel)})


def test_known_cases_land_in_their_band_and_position(app, scenario_store):
    at = open_page(app, scenario_store)
    got = metrics(at)
    assert [got[BAND_LABELS[b]] for b in ("BLACK", "RED", "UNKNOWN", "AMBER", "GREEN")] == ["3", "3", "1", "5", "2"]
    assert got["📋 In chosen bands"] == "12"
    assert got["🚓 Custody past target"] == "2"
    assert listed(at) == DEFAULT_ORDER
    table = at.dataframe(key="stl_cases").value
    first, a = table.iloc[0], table.iloc[2]
    assert first["band"] == BAND_LABELS["RED"]  # text and icon, not colour alone
    assert (str(a["stl_date"].date()), str(a["last_working_day"].date())) == ("2026-12-05", "2026-12-04")
    assert "Sat 05/12/2026 weekend" in a["how"]


def test_the_band_choice_changes_the_list(app, scenario_store):
    at = open_page(app, scenario_store)
    at.button_group(key="stl_bands").select("GREEN").run()
    assert not at.exception
    # GREEN cases join the list after AMBER and before BLACK, by last working day (F 18 Dec, D 30 Apr).
    assert listed(at) == ["B", "Q", "A", "L", "O", "S", "N", "E", "C", "F", "D", "R", "I", "G"]
    assert metrics(at)["📋 In chosen bands"] == "14"
    at.button_group(key="stl_bands").set_value([]).run()
    assert not at.exception
    assert at.dataframe(key="stl_cases").value.empty
    assert any("Choose at least one band" in i.value for i in at.info)


def test_selecting_a_row_shows_that_cases_offences(app, scenario_store):
    at = open_page(app, scenario_store)
    # Without a selection the first case (B) is shown; N has two offences and is 7th in the list.
    assert any(URN["B"] in s.value for s in at.subheader)
    at.session_state["stl_cases"] = {"selection": {"rows": [DEFAULT_ORDER.index("N")], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any(f"Offences of {URN['N']}" in s.value for s in at.subheader)
    offences = table_with(at, "mode_of_trial_resolved")
    assert offences["offence_code"].tolist() == ["TH68010", "CJ88001"]
    assert offences["band"].tolist() == [BAND_LABELS["NO_LIMIT"], BAND_LABELS["AMBER"]]


def test_a_countdown_bar_drills_the_list_down(app, scenario_store):
    at = open_page(app, scenario_store)
    at.session_state["stl_countdown"] = selection(points=[{"customdata": 10, "x": "6–10 working days"}])
    at.run()
    assert not at.exception
    assert listed(at) == ["Q", "A"]
    assert any("6–10 working days" in i.value for i in at.info)
    # The reconciliation still adds up: the other ten are "outside the countdown bar".
    assert all(e.label.startswith("✅") for e in at.expander if "Row counts" in e.label)


def test_a_calendar_day_drills_the_list_down(app, scenario_store):
    at = open_page(app, scenario_store)
    at.session_state["stl_calendar"] = selection(points=[{"customdata": "2026-12-28"}])
    at.run()
    assert not at.exception
    assert listed(at) == ["C"]


def test_black_list_and_custody_tabs(app, scenario_store):
    at = open_page(app, scenario_store)
    assert metrics(at)["⬛ Lost in period"] == "3"  # G, H, I (sidebar period: 12 weeks to 24 Nov)
    black = table_with(at, "days_since")
    assert black["urn"].tolist() == [URN["G"], URN["H"], URN["I"]]
    custody = table_with(at, "custody_record_id")
    assert custody["custody_record_id"].tolist() == ["WYM-26-000001", "WYM-26-000003"]
    at.session_state["stl_black"] = selection(points=[{"customdata": ["36", "Norwich CID", "2026-10-01"]}])
    at.run()
    assert not at.exception
    assert table_with(at, "days_since")["urn"].tolist() == [URN["H"], URN["I"]]


def test_every_reconciliation_adds_up_on_the_sample(app):
    at = open_page(app)
    labels = [e.label for e in at.expander if "Row counts" in e.label]
    assert len(labels) == 3 and all(label.startswith("✅") for label in labels)
    got = metrics(at)
    # Same cases, same rule as the Overview: the RED count on the sample is not zero, and the
    # chosen bands (RED, AMBER, BLACK, UNKNOWN by default) add up to the list's size.
    n = {b: int(got[BAND_LABELS[b]].replace(",", "")) for b in ("BLACK", "RED", "UNKNOWN", "AMBER")}
    assert n["RED"] > 0
    assert sum(n.values()) == int(got["📋 In chosen bands"].replace(",", ""))
    assert len(at.get("download_button")) == 1  # the export


def test_force_filter_narrows_the_page(app):
    at = open_page(app)
    both = metrics(at)
    at.multiselect(key="force").select("37").run()
    assert not at.exception
    assert metrics(at) != both
