"""Two dashboard processes serve one store while a loader publishes the next generation (issue 6
point 4): real ``streamlit run`` servers, driven over Streamlit's WebSocket the way a browser
drives them (bench.loadtest_client). Both keep answering during the publish, neither logs an
error, and after it both show the new generation's figures on the same open sessions, with no
restart. Timing is not asserted; the load test measures it."""

from __future__ import annotations

import asyncio
import csv
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import pytest

from bench.loadtest import start_server
from bench.loadtest_client import Session
from core import queries
from core.config import Thresholds
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from tests.conftest import copy_store

pytestmark = pytest.mark.slow

AS_OF = date(2026, 11, 24)
QUEUE = "Files in the CJS queue"


def expected_queue(store_dir) -> str:
    con = Store(store_dir).connect_read()
    try:
        return f"{queries.cjs_queue_length(con, Scope(('36', '37')), AS_OF, Thresholds()):,}"
    finally:
        con.close()


async def home(session: Session) -> dict[str, str]:
    r = await session.rerun("", "page", "home")
    assert r.ok, r.errors
    return r.metrics


def test_two_servers_keep_serving_while_a_load_publishes_and_both_show_the_new_data(sample_store, tmp_path):
    settings = copy_store(sample_store, tmp_path)
    before = expected_queue(settings.store_dir)
    # The next load: Norfolk's case-file extract cut to its first 3,000 rows, which replaces
    # Norfolk's case files (Suffolk's and the custody records stay as they are).
    source = next(p for p in sorted(settings.sample_dir.iterdir()) if p.name.startswith("norfolk_case"))
    with source.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    cut = tmp_path / "norfolk_case_files.csv"
    with cut.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows[:3001])

    servers = [start_server(settings.store_dir, tmp_path / f"server-{i}") for i in range(2)]
    try:
        async def scenario() -> tuple[list[dict], list[dict], list[str], int]:
            sessions = [Session(s.url, query_string=f"as_of={AS_OF.isoformat()}", timeout=120) for s in servers]
            for s in sessions:
                await s.connect()
            try:
                first = [await home(s) for s in sessions]
                # Keep both servers busy with reruns for as long as the loader runs.
                loader = threading.Thread(target=load_extracts, args=([cut], replace(settings)))
                loader.start()
                errors: list[str] = []
                during = 0
                while loader.is_alive():
                    for s in sessions:
                        r = await s.rerun("", "page", "home")
                        during += 1
                        errors += [f"{kind}: {detail}" for kind, detail in r.errors]
                loader.join()
                after = [await home(s) for s in sessions]
                return first, after, errors, during
            finally:
                for s in sessions:
                    await s.close()

        # On its own thread: the browser tests' Playwright (sync API) may leave an event loop
        # running on this one, and asyncio.run refuses to nest in it.
        with ThreadPoolExecutor(1) as pool:
            first, after, errors, during = pool.submit(asyncio.run, scenario()).result()
    finally:
        for s in servers:
            s.stop()
    assert during >= 2 and errors == []  # both servers answered while the load ran
    assert all(s.tracebacks() == 0 for s in servers), [s.log_tail() for s in servers]
    now = expected_queue(settings.store_dir)
    assert now != before  # the new load changed the figure, so the check below can fail
    assert [m[QUEUE] for m in first] == [before, before]
    assert [m[QUEUE] for m in after] == [now, now]
