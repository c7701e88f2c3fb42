"""The load-test client (``bench.loadtest_client``) still speaks Streamlit's browser protocol.

The load test's figures are only as good as its client: if a Streamlit upgrade or a dashboard
change broke the handshake, the page lookup or the filter widgets, the harness would time
nothing or the wrong thing. This starts the real server the harness starts (``bench.loadtest``)
on the sample store and drives one page load and one filter change through the client.
No timing is asserted.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.loadtest import Plan, pct, start_server
from bench.loadtest_client import Session


async def _load_then_filter(url: str) -> tuple[Session, list, tuple, tuple]:
    s = Session(url, query_string=Plan().query, timeout=120)
    await s.connect()
    try:
        first = await s.rerun("stl_watch", "load")  # a deep link, as a browser opening /stl_watch
        before = s.signature()
        forces = s.options("force")
        s.choose("force", forces[:1])
        second = await s.rerun("stl_watch", "filter")
        return s, [first, second], before, s.signature()
    finally:
        await s.close()


def test_client_drives_a_real_rerun_and_a_filter_change(sample_store, tmp_path):
    server = start_server(sample_store.store_dir, tmp_path)
    try:
        # On a thread of its own: in the full suite the browser tests' Playwright keeps an event
        # loop running on this thread, and asyncio.run refuses to nest in it.
        with ThreadPoolExecutor(1) as pool:
            s, (first, second), before, after = pool.submit(asyncio.run, _load_then_filter(server.url)).result()
    finally:
        server.stop()

    assert first.errors == [] and first.seconds is not None, first.errors
    assert first.messages > 10 and first.bytes > 10_000  # the page's elements came back
    assert {"", "stl_watch", "ngap_tracker", "joim"} <= set(s.page_hashes)  # the navigation was read
    assert s.options("force") == ["Norfolk (36)", "Suffolk (37)"]  # the sidebar's widgets were read
    assert second.errors == [] and second.seconds is not None, second.errors
    # One force chosen: the server narrowed the team list to that force's teams.
    teams_before = dict(before)["team"]
    teams_after = dict(after)["team"]
    assert 0 < len(teams_after) < len(teams_before)
    assert "force=Norfolk+%2836%29" in s.query_string


def test_client_refuses_anything_but_loopback():
    with pytest.raises(ValueError):
        Session("http://example.org:8501")
    with pytest.raises(ValueError):
        Session("http://0.0.0.0:8501")


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert pct(values, 50) == 10.0  # ceil(0.5 * 20) = 10th value
    assert pct(values, 95) == 19.0  # ceil(0.95 * 20) = 19th value
    assert pct(values, 99) == 20.0
    assert pct([], 95) is None
