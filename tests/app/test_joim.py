"""JOIM mode: no name, collar number or URN reaches any rendered element while masked, a reveal
shows exactly one row, and the sequence moves on, pauses and jumps."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from core.store import Store

PAGES = ["pages/home.py", "pages/stl_watch.py", "pages/submission_queue.py", "pages/my_team.py",
         "pages/ngap_tracker.py", "pages/joim.py"]

# Shapes of the personal values in the synthetic sample: initial and surname, collar numbers, URNs,
# person references, synthetic defendant names and custody record numbers. A match is a leak only
# if it is one of the store's real values (so a pseudonym or a date cannot trip it).
SHAPES = re.compile(
    r"[A-Z]\. [A-Z][A-Za-z'-]+|\b[A-Z]{2} \d{3,5}\b|\b\d{2}[A-Z]{2}\d{7}\b|\b\d{2}N\d{7}\b"
    r"|Synthetic Person \d+|\b[A-Z]{3}-\d{2}-\d{6}\b"
)


@pytest.fixture(scope="module")
def personal(sample_store) -> set[str]:
    con = Store(sample_store.store_dir).connect_read()
    try:
        values: set[str] = set()
        for table, cols in {
            "case_offences": ["urn", "defendant_id", "defendant_name", "oic_id", "oic_name", "supervisor_id",
                              "supervisor_name", "ngap_allocated_officer_id", "ngap_allocated_officer_name",
                              "ngap_section_leader"],
            "custody": ["urn", "person_id", "custody_record_id", "oic_id", "oic_name"],
        }.items():
            for col in cols:
                values |= {r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {table} WHERE {col} IS NOT NULL").fetchall()}
    finally:
        con.close()
    assert len(values) > 1000  # the check below means something only if the sample has people in it
    return values


def rendered_text(at) -> str:
    """Every string the app sent for this run: each element's protobuf as text (labels, markdown,
    options, chart specs, table data), plus each table's cells decoded."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if getattr(node, "type", None) in ("dataframe", "table"):
            try:
                df = node.value
                parts.append(df.astype(str).to_csv())
                parts.append(" ".join(map(str, df.index)))
            except Exception:  # noqa: BLE001 - a table that cannot be decoded is covered by its proto
                pass
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def leaks(at, personal: set[str]) -> set[str]:
    return {m for m in SHAPES.findall(rendered_text(at)) if m in personal}


def run_page(app, page: str, **params):
    at = app()
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_the_leak_check_finds_names_when_joim_mode_is_off(app, personal):
    """The detector itself: the STL watch page without masking shows names and URNs."""
    at = run_page(app, "pages/stl_watch.py")
    assert len(leaks(at, personal)) > 20


@pytest.mark.parametrize("page", PAGES)
def test_no_name_or_urn_is_rendered_in_joim_mode(app, personal, page):
    at = run_page(app, page, joim="true")
    found = leaks(at, personal)
    assert not found, f"{page} rendered personal values in JOIM mode: {sorted(found)[:10]}"
    assert any("JOIM mode" in m.value for m in at.markdown)


def test_pseudonyms_are_stable_across_pages_and_the_drill_down_still_finds_the_case(app, personal):
    at = run_page(app, "pages/stl_watch.py", joim="true")
    cases = next(d.value for d in at.dataframe if "URN" in d.value.columns or "urn" in d.value.columns)
    urn_col = "urn" if "urn" in cases.columns else "URN"
    tokens = cases[urn_col].tolist()
    assert tokens and all(str(t).startswith("URN-") for t in tokens)
    # The offences table below the list is the first case's, fetched with the unmasked key.
    offences_header = [s.value for s in at.subheader if s.value.startswith("Offences of")]
    assert offences_header and tokens[0] in offences_header[0]
    offences = [d.value for d in at.dataframe if "No." in d.value.columns or "offence_seq" in d.value.columns]
    assert offences and len(offences[0]) >= 1
    at.run()  # a rerun gives the same tokens
    again = next(d.value for d in at.dataframe if urn_col in d.value.columns)[urn_col].tolist()
    assert again == tokens


def test_a_reveal_shows_exactly_one_row_and_only_on_purpose(app, personal):
    at = run_page(app, "pages/joim.py", joim="true")
    at.session_state["joim_slide"] = 1  # cases nearest their STL
    at.session_state["joim_play"] = False
    at.run()
    table = next(d for d in at.dataframe if d.key == "joim_at_risk")
    masked = table.value
    assert not leaks(at, personal)
    at.session_state["joim_at_risk"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()
    assert not leaks(at, personal), "selecting a row must not reveal it by itself"
    reveal = next(b for b in at.button if b.key == "joim_at_risk_reveal")
    reveal.click().run()
    revealed = [t.value for t in at.table]
    assert len(revealed) == 1 and len(revealed[0]) == 1, "exactly one row is revealed"
    row = revealed[0].iloc[0]
    real = {str(v) for v in row.to_numpy()}
    shown = leaks(at, personal)
    assert shown and shown <= real, "only the chosen row's values are revealed"
    assert masked.iloc[2]["urn"] not in real and any(v in personal for v in real)
    assert any("Revealed on purpose" in w.value for w in at.warning)


def test_the_sequence_moves_on_pauses_and_jumps(app):
    at = run_page(app, "pages/joim.py", joim="true")
    assert at.header[0].value == "Open cases by statutory time limit"
    next(b for b in at.button if b.key == "joim_next").click().run()
    assert at.header[0].value == "Cases nearest their STL"
    next(b for b in at.button if b.key == "joim_prev").click().run()
    next(b for b in at.button if b.key == "joim_prev").click().run()  # wraps round to the last measure
    assert at.header[0].value == "What changed since the last JOIM"
    at.selectbox(key="joim_jump").set_value("queue").run()
    assert at.header[0].value == "The CJS submission queue"
    at.toggle(key="joim_play").set_value(False).run()
    assert any("paused" in c.value for c in at.caption)


def test_leaving_joim_mode_shows_names_again(app, personal):
    at = run_page(app, "pages/stl_watch.py", joim="true")
    assert not leaks(at, personal)
    next(b for b in at.button if b.key == "joim_leave").click().run()
    assert not at.exception
    assert leaks(at, personal)


def test_joim_measures_are_configuration():
    from core.joim import JoimSettings, due_to_advance, step

    with pytest.raises(ValueError, match="unknown"):
        JoimSettings(measures=("stl_risk", "gossip"))
    with pytest.raises(ValueError, match="at least 5"):
        JoimSettings(advance_seconds=1)
    assert [step(i, 3, 1) for i in range(3)] == [1, 2, 0]
    assert step(0, 3, -1) == 2
    assert not due_to_advance(100.0, 144.9, 45) and due_to_advance(100.0, 145.0, 45)


def test_the_pseudonymiser_masks_personal_columns_only():
    from core.pseudonym import Pseudonymiser, kind_of

    p = Pseudonymiser(b"k" * 32)
    df = pd.DataFrame({"urn": ["36AA0000126"], "oic_name": ["A. Person"], "team": ["Team A"],
                       "urn_valid": [True], "officers": [3], "defendant_name": ["Synthetic Person 1"]})
    out = p.frame(df)
    assert out["urn"][0].startswith("URN-") and out["oic_name"][0].startswith("Officer-")
    assert out["defendant_name"][0].startswith("Person-")
    assert out["team"][0] == "Team A" and out["urn_valid"][0] and out["officers"][0] == 3
    assert p.unmask(out["urn"][0]) == "36AA0000126"
    assert p.frame(df)["urn"][0] == out["urn"][0]  # stable
    assert Pseudonymiser(b"j" * 32).frame(df)["urn"][0] != out["urn"][0]  # keyed
    assert [kind_of(c) for c in ("urn", "case_urn", "supervisor_name", "no_officer_files", "file_name")] == [
        "URN", "URN", "Officer", None, None]


def test_the_what_changed_slide_compares_with_the_load_the_last_joim_saw(app, tmp_path_factory):
    from tests.sql.test_changes import AS_OF, build_two_loads

    store = build_two_loads(tmp_path_factory.mktemp("joim_changes")).store_dir
    at = app(store)
    at.query_params["joim"] = "true"
    at.query_params["as_of"] = AS_OF.isoformat()
    at.run()
    at.switch_page("pages/joim.py").run()
    at.selectbox(key="joim_jump").set_value("changes").run()
    assert not at.exception
    got = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    # The same figures as the What changed page for the same two loads (tests/app/test_changes.py).
    assert got == {"At risk at the last JOIM": 7, "At risk now": 8, "New at risk": 3, "Cleared": 2,
                   "Slipped a band": 4, "Went BLACK": 2}


def test_the_quality_slide_shows_both_first_time_right_rates_with_their_counts(app):
    at = run_page(app, "pages/joim.py", joim="true")
    at.selectbox(key="joim_jump").set_value("quality").run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert set(labels) == {"CJS first-time right", "CPS compliant first time"}
    assert all(v.endswith("%") for v in labels.values())
    assert any("cases triaged" in c.value for c in at.caption)
