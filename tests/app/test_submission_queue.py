"""AppTest behaviour tests of the Submission queue page (pages/submission_queue.py) on the bundled sample.

The expected values come from plain SQL and pandas on the sample's rows, written here without the
page's own query functions, so a mistake in either shows up as a disagreement.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from core.queue import STAGE_LABELS, STAGES
from core.store import Store
from tests.conftest import copy_store

AS_OF = date(2026, 11, 24)
PAGE = "pages/submission_queue.py"

# On the extract date every file's status is current, so the queue is simply: a queue status,
# submitted by the as-of date, not charged, no final CPS decision.
QUEUE_SQL = """
SELECT force_code, urn,
       any_value(file_status) AS status,
       min(submitted_to_cjs_date) AS submitted,
       min(stl_date) FILTER (WHERE stl_date >= $as_of) AS next_stl,
       bool_or(bail_status IN ('CUSTODY', 'REMANDED')) AS custody,
       bool_or(coalesce(da_flag, false)) AS da,
       bool_or(coalesce(vulnerable_victim_flag, false)) AS vulnerable
FROM case_offences
WHERE file_status IN ('AWAITING_TRIAGE', 'ACCEPTED', 'SENT_TO_CPS', 'ACTION_PLAN', 'RESUBMITTED')
  AND submitted_to_cjs_date <= $as_of
  AND (commenced_date IS NULL OR commenced_date > $as_of)
  AND NOT coalesce(cps_decision <> 'ACTION_PLAN' AND cps_decision_date <= $as_of, false)
GROUP BY ALL
"""


@pytest.fixture(scope="module")
def sample_queue(sample_store, tmp_path_factory) -> pd.DataFrame:
    # A copy of the store: the dashboard under test may hold the sample's own file open (DuckDB
    # shares one instance per path, and its configuration is locked).
    con = Store(copy_store(sample_store, tmp_path_factory.mktemp("queue_sample")).store_dir).connect_read()
    try:
        return con.execute(QUEUE_SQL, {"as_of": AS_OF}).df()
    finally:
        con.close()


def expected_order(files: pd.DataFrame) -> list[str]:
    """The documented priority: STL within 28 days, custody/remand, DA, vulnerable victim, then oldest."""
    window = pd.Timestamp(AS_OF + timedelta(days=28))
    keyed = files.assign(stl=files["next_stl"].notna() & (files["next_stl"] <= window))
    keyed = keyed.sort_values(["stl", "custody", "da", "vulnerable", "submitted", "force_code", "urn"],
                              ascending=[False, False, False, False, True, True, True])
    return keyed["urn"].tolist()


def open_page(app):
    at = app()
    at.run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any("Tuesday 24 November 2026" in c.value for c in at.caption)
    return at


def priority_list(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if d.key == "queue_list_table")


def test_the_page_renders_on_the_sample_and_counts_the_queue(app, sample_queue):
    at = open_page(app)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["In the CJS queue"] == f"{len(sample_queue):,}"
    assert len(sample_queue) > 1000
    assert any("Showing 500 of" in c.value for c in at.caption)
    assert any(e.label.startswith("✅ Row counts") for e in at.expander)


def test_the_stage_selector_changes_the_list(app, sample_queue):
    at = open_page(app)
    before = priority_list(at)
    assert set(before["stage"]) > {STAGE_LABELS["ACTION_PLAN"]}
    at.button_group(key="queue_stage").set_value(["ACTION_PLAN"]).run()
    assert not at.exception
    after = priority_list(at)
    assert set(after["stage"]) == {STAGE_LABELS["ACTION_PLAN"]}
    n = int((sample_queue["status"] == "ACTION_PLAN").sum())
    assert len(after) == n
    assert any(f"Showing {n:,} of {n:,} files" in c.value for c in at.caption)


def test_a_known_file_lands_in_its_priority_place(app, sample_queue):
    # The first DA file at the action-plan stage with no STL in the window and not in custody: it
    # must come after every STL-window and custody file and the DA files submitted before it.
    plans = sample_queue[sample_queue["status"] == "ACTION_PLAN"]
    order = expected_order(plans)
    window = pd.Timestamp(AS_OF + timedelta(days=28))
    da_only = plans[plans["da"] & ~plans["custody"] & ~(plans["next_stl"] <= window).fillna(False)]
    known = da_only.sort_values(["submitted", "force_code", "urn"])["urn"].iloc[0]
    at = open_page(app)
    at.button_group(key="queue_stage").set_value(["ACTION_PLAN"]).run()
    urns = priority_list(at)["urn"].tolist()
    assert urns.index(known) == order.index(known)
    assert urns == order
    assert priority_list(at).loc[urns.index(known), "priority"] == "3 · Domestic abuse"


def test_every_stage_is_offered_and_all_are_listed_by_default(app, sample_queue):
    at = open_page(app)
    assert list(at.button_group(key="queue_stage").value) == list(STAGES)
    listed = priority_list(at)
    assert listed["urn"].tolist() == expected_order(sample_queue)[:500]
