"""Sign-in, roles and scope in the running app, and the audit trail they leave (issue 5).

The app runs with ``auth_mode = "oidc"`` and a role-mapping file; AppTest's ``user`` stands in for
the identity provider's claims (the real provider is exercised in tests/browser/test_sign_in.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import audit
from tests.app.test_joim import PAGES, leaks, personal  # noqa: F401 - the fixture is used by name

TEAM = "Breckland Response Team"
OTHER_TEAM = "Norwich Local Policing"

ROLES = f"""
priority = ["joim_viewer", "officer", "section_leader", "cjs_manager", "administrator"]
user_claims = ["sub"]

[export_row_cap]
section_leader = 5000
cjs_manager = 20000

[[rule]]
name = "Breckland section leader"
claim = "roles"
value = "sl-breckland"
role = "section_leader"
forces = ["36"]
teams = ["{TEAM}"]

[[rule]]
name = "Suffolk CJS"
claim = "roles"
value = "cjs-37"
role = "cjs_manager"
forces = ["37"]

[[rule]]
name = "JOIM screen"
claim = "roles"
value = "joim"
role = "joim_viewer"
forces = ["*"]

[[rule]]
name = "Admins"
claim = "roles"
value = "admin"
role = "administrator"
"""

SECTION_LEADER = {"is_logged_in": True, "sub": "u-sl", "name": "Synthetic Leader", "roles": ["sl-breckland"]}
SUFFOLK_CJS = {"is_logged_in": True, "sub": "u-cjs", "name": "Synthetic Manager", "roles": ["cjs-37"]}
JOIM_VIEWER = {"is_logged_in": True, "sub": "u-cps", "name": "Synthetic Lawyer", "roles": ["joim"]}
ADMIN = {"is_logged_in": True, "sub": "u-admin", "name": "Synthetic Admin", "roles": ["admin"]}
NOBODY = {"is_logged_in": True, "sub": "u-none", "name": "Synthetic Stranger", "roles": ["visitors"]}


@pytest.fixture
def oidc(app, tmp_path, monkeypatch):
    """Make apps that sign users in through (simulated) OpenID Connect claims."""
    (tmp_path / "roles.toml").write_text(ROLES)
    (tmp_path / "casewatch.toml").write_text('auth_mode = "oidc"\nroles_file = "roles.toml"\n')
    monkeypatch.setenv("CASEWATCH_CONFIG", str(tmp_path / "casewatch.toml"))
    audit_file = tmp_path / "audit" / "audit.jsonl"

    def make(user, *, page=None, clear=True, **params):
        at = app() if clear else _keep_caches(app)
        at.user = dict(user)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, at.exception
        return at

    make.audit = audit_file
    return make


def _keep_caches(app):
    """A second user's AppTest in the same process without clearing the caches the first filled."""
    import streamlit as st

    data_clear, resource_clear = st.cache_data.clear, st.cache_resource.clear
    st.cache_data.clear = st.cache_resource.clear = lambda: None
    try:
        return app()
    finally:
        st.cache_data.clear, st.cache_resource.clear = data_clear, resource_clear


def records(path: Path, **match) -> list[dict]:
    if not path.exists():
        return []
    out = [json.loads(line) for line in path.read_text().splitlines()]
    return [r for r in out if all(r.get(k) == v for k, v in match.items())]


def teams_on(at) -> set[str]:
    found: set[str] = set()
    for d in at.dataframe:
        df = d.value
        for col in ("team", "Team"):
            if col in df.columns:
                found |= set(df[col].dropna().astype(str))
    return found


def test_nobody_signed_in_sees_only_the_sign_in_button(oidc):
    at = oidc({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric


def test_a_user_who_maps_to_no_role_sees_nothing_and_the_refusal_is_audited(oidc):
    at = oidc(NOBODY)
    assert any("no access" in e.value for e in at.error)
    assert not at.dataframe and not at.metric
    at.run()
    denied = records(oidc.audit, action="deny", actor="u-none")
    assert len(denied) == 1 and "not mapped" in denied[0]["details"]["reason"]


def test_a_section_leader_sees_only_their_team_whatever_the_filter_or_url(oidc):
    at = oidc(SECTION_LEADER, page="pages/stl_watch.py")
    assert at.sidebar.multiselect(key="team").options == [TEAM]
    assert teams_on(at) == {TEAM}
    # Another team, another force or an officer of another team in the URL: nothing wider.
    for params in ({"team": OTHER_TEAM}, {"force": "37"}, {"team": [TEAM, OTHER_TEAM]}):
        wider = oidc(SECTION_LEADER, page="pages/stl_watch.py", **params)
        assert teams_on(wider) <= {TEAM}, params
    my_team = oidc(SECTION_LEADER, page="pages/my_team.py")
    assert teams_on(my_team) <= {TEAM}


def test_two_users_in_one_process_never_share_a_cached_result(oidc):
    first = oidc(SECTION_LEADER, page="pages/stl_watch.py")
    second = oidc(SUFFOLK_CJS, page="pages/stl_watch.py", clear=False)
    again = oidc(SECTION_LEADER, page="pages/stl_watch.py", clear=False)
    assert teams_on(first) == {TEAM} == teams_on(again)
    suffolk = teams_on(second)
    assert suffolk and TEAM not in suffolk
    forces = {str(v) for d in second.dataframe if "force_code" in d.value.columns for v in d.value["force_code"]}
    assert forces <= {"37"}


def test_the_joim_viewer_is_always_pseudonymised_and_cannot_export(oidc, personal):
    for page in PAGES:
        at = oidc(JOIM_VIEWER, page=page)
        assert not leaks(at, personal), page
        assert not any(b.key == "joim_leave" for b in at.button)  # cannot leave the joint view
        assert not at.get("download_button")
    at = oidc(JOIM_VIEWER, page="pages/stl_watch.py", joim="false")
    assert not leaks(at, personal)


def test_the_administrator_loads_data_and_reads_the_audit_log_but_sees_no_case_data(oidc):
    at = oidc(ADMIN)
    assert not teams_on(at)
    at = oidc(ADMIN, page="pages/audit.py")
    assert any("Chain intact" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert {"sign_in", "consult"} <= set(table["action"])  # the admin's own sign-in and page views
    assert set(table["actor"]) == {"u-admin"}


def test_each_page_view_writes_exactly_one_consultation_and_a_rerun_none(oidc):
    at = oidc(SECTION_LEADER)
    views = records(oidc.audit, action="consult", actor="u-sl")
    assert len(views) == 1 and views[0]["what"] == "Overview"
    assert views[0]["details"]["scope"]["teams"] == [TEAM]
    at.run()
    assert len(records(oidc.audit, action="consult", actor="u-sl")) == 1
    at.switch_page("pages/stl_watch.py").run()
    assert len(records(oidc.audit, action="consult", actor="u-sl")) == 2
    at.sidebar.date_input(key="as_of").set_value(__import__("datetime").date(2026, 10, 1)).run()
    views = records(oidc.audit, action="consult", actor="u-sl")
    assert len(views) == 3 and views[-1]["details"]["as_of"] == "2026-10-01"
    assert len(records(oidc.audit, action="sign_in", actor="u-sl")) == 1
    assert audit.verify(oidc.audit).ok


def test_pages_outside_a_role_cannot_be_opened(oidc):
    at = oidc(SECTION_LEADER)
    for page in ("pages/audit.py",):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    viewer = oidc(JOIM_VIEWER)
    for page in ("pages/audit.py", "pages/data.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            viewer.switch_page(page)
    admin = oidc(ADMIN)
    for page in ("pages/stl_watch.py", "pages/my_team.py", "pages/joim.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            admin.switch_page(page)
