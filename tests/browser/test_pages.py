"""Headless-Chromium tests: the running dashboard renders each page with no error."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, settle, start_server, stop_server

pytestmark = pytest.mark.browser


def wait_for_app(page) -> None:
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    settle(page, timeout=60_000)


def test_home_page_renders_with_no_error(server, page):
    page.goto(server + "/")
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    text = page.inner_text("body")
    assert "Overview" in text and "BLACK" in text and "OFFICIAL-SENSITIVE" in text
    screenshot(page, "overview")


def black_count(page) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="BLACK").first
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def test_choosing_a_force_puts_it_in_the_url_and_the_link_reproduces_the_view(server, page, browser):
    page.goto(server + "/")
    wait_for_app(page)
    both = black_count(page)
    page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first.click()
    page.get_by_role("option").filter(has_text="Suffolk").click()
    page.keyboard.press("Escape")
    page.wait_for_url("**force=*", timeout=30_000)
    wait_for_app(page)
    suffolk = both
    for _ in range(60):  # the rerun replaces the figures when it finishes
        suffolk = black_count(page)
        if suffolk != both:
            break
        page.wait_for_timeout(500)
    assert 0 < suffolk < both
    link = page.url
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    other.goto(link)
    wait_for_app(other)
    other.wait_for_timeout(1000)
    assert "Suffolk (37)" in other.inner_text("[data-testid='stSidebar']")
    assert black_count(other) == suffolk
    screenshot(other, "overview-suffolk-1280")


PAGES = [
    ("overview-page", "/", "Overview"),
    ("stl-watch", "/stl_watch", "STL watch"),
    ("queue", "/submission_queue", "Submission queue"),
    ("my-team", "/my_team", "My Team"),
    ("ngap", "/ngap_tracker", "NGAP tracker"),
    ("quality", "/quality", "Case-building quality"),
    ("changes", "/changes", "What changed"),
    ("data", "/data", "Data"),
]


@pytest.mark.parametrize("name, path, title", PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("width", [1920, 1280])
def test_every_page_renders_without_error(server, browser, name, path, title, width):
    context = browser.new_context(viewport={"width": width, "height": 1080})
    page = context.new_page()
    try:
        page.goto(server + path + "?as_of=2026-11-24")
        page.wait_for_selector("h1", timeout=60_000)
        page.wait_for_selector("[data-testid='stMetricValue']", timeout=90_000)
        settle(page, timeout=90_000)
        page.wait_for_timeout(1500)
        assert page.locator("[data-testid='stException']").count() == 0
        assert "Page not found" not in page.inner_text("body")
        assert title in page.inner_text("h1")
        assert "OFFICIAL-SENSITIVE" in page.inner_text("body")
        screenshot(page, f"{name}-{width}")
    finally:
        context.close()


def test_a_deep_link_is_the_first_request_a_fresh_server_gets(sample_store, browser):
    # Streamlit treats an app with a pages/ folder as a folder app until st.navigation first runs;
    # the very first request being a deep link must still render the page inside the dashboard.
    proc, url = start_server(sample_store.store_dir)
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        page.goto(url + "/stl_watch?as_of=2026-11-24")
        page.wait_for_selector("h1", timeout=60_000)
        settle(page, timeout=60_000)
        page.wait_for_timeout(500)
        body = page.inner_text("body")
        assert "Page not found" not in body
        assert page.locator("[data-testid='stException']").count() == 0
        assert "STL watch" in page.inner_text("h1")
        assert "24/11/2026" in page.inner_text("[data-testid='stSidebar']").replace("\n", "")
    finally:
        context.close()
        stop_server(proc)


def test_joim_mode_takes_collar_numbers_out_of_the_address_bar(server, sample_store, browser):
    """A bound multiselect keeps its option labels in the link, and an officer's label is collar
    number and name. A link with an officer filter keeps it (the control case); in JOIM mode the
    labels are pseudonyms, so the same link's real label matches nothing and leaves the address
    bar, which a shared screen shows to everyone in the room."""
    from urllib.parse import quote_plus

    from core.store import Store

    con = Store(sample_store.store_dir).connect_read()
    try:
        collar, name = con.cursor().execute(
            "SELECT oic_id, max(oic_name) FROM case_offences WHERE force_code = '36' "
            "GROUP BY oic_id ORDER BY oic_id LIMIT 1").fetchall()[0]
    finally:
        con.close()
    label = f"{collar} · {name}"  # a bound multiselect holds its option labels in the link
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        link = f"{server}/my_team?as_of=2026-11-24&officer={quote_plus(label)}"
        page.goto(link)
        page.wait_for_selector("h1", timeout=60_000)
        settle(page)
        assert "officer=" in page.url
        page.goto(link + "&joim=true")
        page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
        settle(page)
        assert "joim=true" in page.url and "officer=" not in page.url
        assert collar not in page.inner_text("body") and name not in page.inner_text("body")
    finally:
        context.close()
