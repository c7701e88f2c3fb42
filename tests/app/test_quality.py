"""AppTest behaviour tests of the Case-building quality page (pages/quality.py) on the bundled sample.

As of 24 November 2026 with the sidebar's default period (the twelve weeks before it). The known
training need is worked out from the raw sample extracts with pandas, not through the page's
queries: an officer with at least ``min_repeats_officer`` cases rejected at CJS triage, in the
period, for reasons of one theme (the default theme mapping).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from streamlit.util import ReadOnlyAttributeDictionary

from core.config import SAMPLE_DIR
from core.quality import DEFAULT_REJECTION_THEMES, DEFAULT_SETTINGS, DEFINITIONS

AS_OF = date(2026, 11, 24)
START = AS_OF - timedelta(weeks=12)  # ui.filters.DEFAULT_PERIOD_WEEKS
PAGE = "pages/quality.py"


def open_page(app):
    at = app()
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def frame_with(at, *columns: str) -> pd.DataFrame:
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


def metric_captions(at) -> list[str]:
    return [c.value for c in at.caption if " of " in c.value and ("triaged" in c.value or "decided" in c.value)]


def reconciliations(at) -> list[dict[str, int]]:
    found = []
    for df in at.dataframe:
        if list(df.value.columns) == ["", "rows"]:
            found.append(dict(zip(df.value.iloc[:, 0], df.value["rows"], strict=True)))
    return found


@pytest.fixture(scope="module")
def known_need():
    """(officer, theme, a URN behind it, how many cases) from the raw sample extracts."""
    themes = {reason: theme for reason, theme in DEFAULT_REJECTION_THEMES}
    raw = pd.concat([pd.read_csv(SAMPLE_DIR / f"{name}_case_files.csv", dtype=str, keep_default_na=False)
                     for name in ("norfolk", "suffolk")])
    raw = raw[(raw["rejection_reasons"] != "") & (raw["cjs_triage_outcome"] != "")]
    triaged = raw["cjs_triage_date"].map(lambda d: datetime.strptime(d, "%d/%m/%Y").date())
    raw = raw[(triaged >= START) & (triaged <= AS_OF)]
    hits = {(r.force_code, r.oic_id, themes[reason.strip().upper()], r.urn)
            for r in raw.itertuples() for reason in r.rejection_reasons.split(";")}
    df = pd.DataFrame(sorted(hits), columns=["force", "oic", "theme", "urn"])
    counts = df.groupby(["force", "oic", "theme"])["urn"].nunique().reset_index(name="cases")
    counts = counts[counts["cases"] >= DEFAULT_SETTINGS.min_repeats_officer].sort_values(["cases", "oic"])
    assert not counts.empty, "the sample has no repeated rejection theme for any officer"
    need = counts.iloc[0]  # the smallest need, so its cases fit on one list
    urns = df[(df["oic"] == need["oic"]) & (df["theme"] == need["theme"]) & (df["force"] == need["force"])]["urn"]
    return need["oic"], need["theme"], sorted(urns)[0], int(need["cases"])


def test_the_page_renders_with_definitions_and_reconciled_counts(app):
    at = open_page(app)
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["CJS first-time right", "CPS compliant first time"]
    assert all(m.value.endswith("%") for m in at.metric[:2])
    captions = " ".join(c.value for c in at.caption)
    for key in ("cjs_ftr", "cps_ftr", "rejection"):
        assert DEFINITIONS[key] in captions  # each measure's definition is shown beside it
    assert "cannot be worked out from the extract" in " ".join(i.value for i in at.info)
    recs = reconciliations(at)
    assert len(recs) == 2
    for rec in recs:
        assert rec["In the extracts, within your scope"] == sum(v for k, v in rec.items()
                                                                 if k != "In the extracts, within your scope")
    assert not [w for w in at.warning if "please report this" in w.value]  # counts agree with the rates
    needs = frame_with(at, "who_level", "item", "weekly")
    assert len(needs) > 0 and needs["cases"].min() >= DEFAULT_SETTINGS.min_repeats_officer
    weeks = {len(w) for w in needs["weekly"]}
    assert weeks == {13}  # every Monday week the twelve-week period touches


def test_a_team_filter_changes_the_result(app):
    at = open_page(app)
    everyone = frame_with(at, "label", "cjs_triaged", "cjs_rate")
    before = metric_captions(at)
    busiest = everyone.sort_values("cjs_triaged").iloc[-1]["label"]
    team = busiest.split(" · ")[0]  # labels carry the force name while two forces are shown
    at.multiselect(key="team").select(team).run()
    assert not at.exception
    one = frame_with(at, "label", "cjs_triaged", "cjs_rate")
    assert one["label"].tolist() == [team]
    expected = everyone.set_index("label").loc[busiest]
    assert metric_captions(at)[0] == f"{int(expected['cjs_first_time']):,} of {int(expected['cjs_triaged']):,} cases triaged"
    assert metric_captions(at) != before
    needs = frame_with(at, "who_level", "item", "weekly")
    assert set(needs["team"].str.split("; ").explode()) == {team}


def test_a_known_case_appears_behind_its_officers_training_need(app, known_need):
    oic, theme, case_urn, cases = known_need
    at = open_page(app)
    needs = frame_with(at, "who_level", "item", "weekly")
    match = needs[(needs["who_level"] == "officer") & (needs["oic_id"] == oic) & (needs["kind"] == "rejection")
                  & (needs["item"] == theme)]
    assert len(match) == 1
    assert int(match["cases"].iloc[0]) == cases
    at.session_state["quality_needs"] = {"selection": {"rows": [int(match.index[0])], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    listed = frame_with(at, "urn", "matching_reasons", "triage_outcome")
    assert case_urn in set(listed["urn"])
    assert len(listed) == cases and set(listed["oic_id"]) == {oic}
    assert any(c.value.startswith("**Cases behind the training need:") for c in at.markdown)


def test_selecting_a_theme_lists_its_cases(app):
    at = open_page(app)
    ranked = frame_with(at, "rank", "theme", "cases", "share")
    top = ranked.iloc[0]
    at.session_state["quality_rank_rejection_theme"] = ReadOnlyAttributeDictionary({"selection": ReadOnlyAttributeDictionary(
        {"points": [{"customdata": top["theme"]}], "point_indices": [0], "box": [], "lasso": []})})
    at.run()
    assert not at.exception
    listed = frame_with(at, "urn", "matching_reasons", "triage_outcome")
    assert len(listed) == min(int(top["cases"]), DEFAULT_SETTINGS.list_cap)
    recs = reconciliations(at)
    assert recs[-1]["In the extracts, within your scope"] == int(top["cases"])
