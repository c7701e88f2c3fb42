"""Sign-in through a real OpenID Connect provider (issue 5): the test starts oidc-provider-mock on
loopback, points the dashboard's ``st.login`` at it, signs users in with headless Chromium and checks
each sees exactly their role's scope, and that the sign-in is in the audit log."""

from __future__ import annotations

import json
import secrets

import pytest

from tests.browser.conftest import free_port, screenshot, settle, start_server, stop_server

pytestmark = pytest.mark.browser

TEAM = "Breckland Response Team"


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread

    users = [
        User(sub="sl-1", claims={"name": "Synthetic Leader", "email": "sl-1@example.police.uk",
                                 "roles": ["sl-breckland"]}),
        User(sub="cps-1", claims={"name": "Synthetic Lawyer", "email": "cps-1@example.cps.gov.uk",
                                  "roles": ["joim"]}),
        User(sub="stranger-1", claims={"name": "Synthetic Stranger", "email": "stranger@example.org",
                                       "roles": ["visitors"]}),
    ]
    with run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def app_url(provider, sample_store, tmp_path_factory):
    work = tmp_path_factory.mktemp("oidc")
    (work / "roles.toml").write_text(f"""
user_claims = ["sub"]

[[rule]]
name = "Breckland section leader"
claim = "roles"
value = "sl-breckland"
role = "section_leader"
forces = ["36"]
teams = ["{TEAM}"]

[[rule]]
name = "JOIM screen"
claim = "roles"
value = "joim"
role = "joim_viewer"
forces = ["*"]
""")
    (work / "casewatch.toml").write_text('auth_mode = "oidc"\nroles_file = "roles.toml"\n')
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (work / "secrets.toml").write_text(f"""
[auth]
redirect_uri = "{url}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "casewatch-test"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""")
    audit = work / "audit" / "audit.jsonl"
    proc, url = start_server(
        sample_store.store_dir, port=port,
        env={"CASEWATCH_CONFIG": str(work / "casewatch.toml"), "CASEWATCH_AUDIT": str(audit)},
        args=("--secrets.files", str(work / "secrets.toml")),
    )
    yield url, audit
    stop_server(proc)


def sign_in(page, url: str, sub: str, path: str = "/") -> str:
    page.goto(url + path)
    page.get_by_role("button", name="Sign in").click(timeout=60_000)
    page.get_by_role("button", name=sub, exact=True).click(timeout=30_000)  # the provider's login form
    page.wait_for_url(f"{url}/**", timeout=30_000)
    page.wait_for_selector("h1", timeout=60_000)
    settle(page, timeout=60_000)
    page.wait_for_timeout(500)
    assert page.locator("[data-testid='stException']").count() == 0
    return page.inner_text("body")


def test_a_section_leader_signs_in_and_sees_only_their_team(app_url, page):
    url, audit = app_url
    text = sign_in(page, url, "sl-1")
    assert "Signed in as Synthetic Leader · Section leader" in text
    assert "LOCAL MODE" not in text
    # The team filter offers their team alone; STL watch lists only its cases.
    page.goto(url + "/stl_watch?team=Norwich+Local+Policing")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    settle(page, timeout=60_000)
    body = page.inner_text("body")
    assert "Norwich Local Policing" not in body
    screenshot(page, "sign-in-section-leader")
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    mine = [r for r in records if r["actor"] == "sl-1"]
    assert [r["action"] for r in mine if r["action"] == "sign_in"] == ["sign_in"]
    assert mine[0]["details"]["scope"]["teams"] == [TEAM]
    assert any(r["action"] == "consult" and r["what"] == "STL watch" for r in mine)


def test_the_cps_viewer_gets_the_pseudonymised_joint_view(app_url, page):
    url, _ = app_url
    text = sign_in(page, url, "cps-1")
    assert "Casewatch (joint view)" in text and "names and URNs pseudonymised" in text
    assert "Leave JOIM mode" not in text
    screenshot(page, "sign-in-joim-viewer")


def test_a_user_with_no_role_is_refused(app_url, page):
    url, audit = app_url
    text = sign_in(page, url, "stranger-1")
    assert "no access to Casewatch" in text
    assert page.locator("[data-testid='stMetric']").count() == 0
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [r["action"] for r in records if r["actor"] == "stranger-1"] == ["deny"]
