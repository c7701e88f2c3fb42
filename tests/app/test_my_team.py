"""AppTest behaviour tests of the My Team page (pages/my_team.py) on the bundled sample, as of 24/11/2026."""

from __future__ import annotations

from datetime import date

import pytest

from ui.format import REVIEW_LABELS

AS_OF = date(2026, 11, 24)
PAGE = "pages/my_team.py"


def open_page(at):
    at.run()
    at.switch_page(PAGE)
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    assert not at.exception
    return at


def table(at, prefix: str):
    """The st.dataframe whose key starts with ``prefix`` (keys carry a tag of the view), or None."""
    found = [d for d in at.dataframe if (d.key or "").startswith(prefix)]
    assert len(found) <= 1
    return found[0] if found else None


def select(at, prefix: str, row: int) -> None:
    at.session_state[table(at, prefix).key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture
def page(app):
    return open_page(app())


def test_the_page_renders_the_drill_from_forces_to_officers_without_an_exception(page):
    assert [s.value for s in page.subheader][:3] == ["Forces", "Teams", "Officers, busiest first"]
    forces = table(page, "team_forces_").value
    assert sorted(forces["force_code"]) == ["36", "37"]
    teams = table(page, "team_teams_").value
    assert len(teams) == 50
    officers = table(page, "team_officers_").value
    assert len(officers) == 200  # capped in SQL, busiest first
    assert officers["load_score"].is_monotonic_decreasing
    assert number(metrics(page)["Open case files"]) > 1000


def test_choosing_a_team_in_the_sidebar_narrows_the_officer_table(page):
    everyone = table(page, "team_officers_").value
    page.multiselect(key="team").select("Norwich CID").run()
    assert not page.exception
    officers = table(page, "team_officers_").value
    assert 0 < len(officers) < len(everyone)
    assert set(officers["team"]) == {"Norwich CID"}
    # One team chosen: the drill starts at its officers (no force or team table to pick from).
    assert table(page, "team_teams_") is None and table(page, "team_forces_") is None
    # And the team's list of cases needing action is shown, each with its reasons.
    today = table(page, "team_today_").value
    assert len(today) > 0 and (today["reason_text"].str.len() > 0).all()
    assert set(today["team"]) <= {"Norwich CID"}


def test_selecting_a_team_then_an_officer_shows_exactly_that_officers_open_files(page):
    teams = table(page, "team_teams_").value
    select(page, "team_teams_", 2)
    officers = table(page, "team_officers_").value
    assert set(officers["team"]) == {teams.loc[2, "team"]}
    assert officers["files"].sum() == teams.loc[2, "files"]
    select(page, "team_officers_", 0)
    cases = table(page, "team_cases_").value
    files = cases[~cases["custody_only"]]
    assert len(files) == officers.loc[0, "files"]
    assert set(files["oic_id"]) == {officers.loc[0, "oic_id"]}


def test_the_print_toggle_renders_plain_tables_between_two_markings(page):
    page.multiselect(key="team").select("Norwich CID").run()
    page.toggle(key="team_print").set_value(True).run()
    assert not page.exception
    assert not [d for d in page.dataframe if (d.key or "").startswith("team_")]
    assert len(page.tabs) == 0 and len(page.get("plotly_chart")) == 0
    headings = [s.value for s in page.subheader]
    assert "Officers, busiest first" in headings and "Needs action today" in headings
    assert len(page.table) >= 3
    body = [m.value for m in page.main.markdown]
    marks = [i for i, text in enumerate(body) if "OFFICIAL\\-SENSITIVE" in text]
    assert marks and marks[-1] == len(body) - 1  # a marking closes the page
    assert any("OFFICIAL" in text for text in body[: marks[0] + 1]) and len(marks) == 2
    assert any("Tuesday 24 November 2026" in text for text in body)
    assert any("@media print" in text for text in body)


@pytest.mark.parametrize("team", [None, "Norwich CID"])
def test_review_counts_equal_the_overviews(app, team):
    at = app()
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    if team:
        at.multiselect(key="team").select(team).run()
    overview = metrics(at)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert at.date_input(key="as_of").value == AS_OF  # the sidebar keeps its choices across pages
    mine = metrics(at)
    assert number(mine["Reviews ⛔ overdue"]) == number(overview[REVIEW_LABELS["OVERDUE"]]) > 0
    assert number(mine["Reviews 🟠 due"]) == number(overview[REVIEW_LABELS["DUE"]]) > 0


def test_the_row_counts_reconcile(page):
    expanders = [e.label for e in page.expander]
    assert any(label.startswith("✅ Row counts") and "open case files" in label for label in expanders)
    assert any(label.startswith("✅ Row counts") and "investigations" in label for label in expanders)
    assert not any(label.startswith("⚠️") for label in expanders)
