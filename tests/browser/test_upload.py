"""Headless-Chromium tests of uploading extracts on the Data page, against a server of its own.

The server runs on a private copy of the sample store, so the uploads here never change the data
other tests see. Each test uploads a real CSV file through the browser's file input, presses Load
and reads what the page shows, then checks the store itself.
"""

from __future__ import annotations

import urllib.request

import pytest

from core.config import SAMPLE_DIR
from core.store import Store
from tests.browser.conftest import screenshot, settle, start_server, stop_server
from tests.conftest import copy_store

pytestmark = pytest.mark.browser

NORFOLK_CASES = SAMPLE_DIR / "norfolk_case_files.csv"


def extract(rows: int, bad: tuple[int, ...] = ()) -> bytes:
    """The header and first ``rows`` data rows of the Norfolk sample case-file extract; the offence
    date of the data rows numbered in ``bad`` (1 = first data row) is made impossible (31/02/2026)."""
    lines = NORFOLK_CASES.read_bytes().splitlines(keepends=True)
    header = lines[0].decode().rstrip("\r\n").split(",")
    col = header.index("offence_start_date")
    out = [lines[0]]
    for n, line in enumerate(lines[1: rows + 1], start=1):
        if n in bad:
            cells = line.decode().rstrip("\r\n").split(",")
            cells[col] = "31/02/2026"
            line = (",".join(cells) + "\r\n").encode()
        out.append(line)
    return b"".join(out)


@pytest.fixture(scope="module")
def upload_server(sample_store, tmp_path_factory):
    settings = copy_store(sample_store, tmp_path_factory.mktemp("upload"))
    proc, url = start_server(settings.store_dir)
    yield url, settings.store_dir
    stop_server(proc)


def wait_idle(page) -> None:
    settle(page, timeout=120_000)


def open_data_page(page, url: str) -> None:
    page.goto(url + "/data?as_of=2026-11-24&local_role=administrator")
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_selector("[data-testid='stFileUploaderDropzoneInput']", state="attached", timeout=90_000)
    wait_idle(page)


def rows_served(page) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Rows served").first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def load_file(page, name: str, content: bytes, outcome: str) -> str:
    """Upload one file, press Load, wait until the page reports ``outcome``; return the page text."""
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    button = page.get_by_role("button", name="Load 1 file(s)")
    button.wait_for(timeout=60_000)
    button.click()
    page.get_by_text(outcome).first.wait_for(timeout=180_000)
    wait_idle(page)
    # The per-file report table is drawn after the outcome line; on a busy machine it can lag.
    page.locator("[data-testid='stTable']").filter(has_text=name).first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    assert page.locator("[data-testid='stException']").count() == 0
    return page.inner_text("body")


def healthy(url: str) -> bool:
    with urllib.request.urlopen(url + "/_stcore/health", timeout=10) as r:
        return r.read() == b"ok"


def test_uploading_a_real_extract_publishes_it(upload_server, page):
    url, store = upload_server
    before = Store(store).current()
    open_data_page(page, url)
    text = load_file(page, "norfolk-good.csv", extract(20), "published (1 file(s))")
    assert "norfolk-good.csv" in text and "✅ yes" in text
    assert Store(store).current() != before
    con = Store(store).connect_read()
    try:
        got = con.execute("SELECT rows_read, rows_loaded, rows_quarantined FROM load_log "
                          "WHERE file_name = 'norfolk-good.csv'").fetchall()
    finally:
        con.close()
    assert got == [(20, 20, 0)]
    screenshot(page, "data-upload-published")


def test_a_file_with_some_bad_rows_is_published_with_them_quarantined(upload_server, page):
    url, store = upload_server
    before = Store(store).current()
    open_data_page(page, url)
    text = load_file(page, "norfolk-some-bad.csv", extract(30, bad=(4, 9)), "published (1 file(s))")
    assert "2 row(s) were set aside" in text
    assert Store(store).current() != before
    con = Store(store).connect_read()
    try:
        quarantined = con.execute(
            "SELECT src_row, column_name, value FROM quarantine WHERE file_name = 'norfolk-some-bad.csv' ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert quarantined == [(5, "offence_start_date", "31/02/2026"), (10, "offence_start_date", "31/02/2026")]
    page.get_by_role("tab", name="Validation report").click()
    quarantine_metric = page.locator("[data-testid='stMetric']").filter(has_text="Quarantined").last
    assert quarantine_metric.locator("[data-testid='stMetricValue']").inner_text() == "2"
    screenshot(page, "data-validation-report")


def test_a_wholly_wrong_file_is_refused_and_the_previous_data_stays_served(upload_server, page):
    url, store = upload_server
    before = Store(store).current()
    open_data_page(page, url)
    served = rows_served(page)
    text = load_file(page, "norfolk-all-bad.csv", extract(10, bad=tuple(range(1, 11))), "Load refused")
    assert "The previous data is still served" in text
    table = page.locator("[data-testid='stTable']").first.inner_text()
    assert "norfolk-all-bad.csv" in table and "offence_start_date" in table
    assert "10 of 10 rows cannot be used" in table
    assert Store(store).current() == before
    assert Store(store).attempts()[-1]["status"] == "refused"
    assert rows_served(page) == served
    assert healthy(url)
    screenshot(page, "data-upload-refused")


def zip_bomb() -> bytes:
    """An XLSX-shaped zip whose one sheet inflates from ~200 KB to 200 MB."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (200 * 1024 * 1024) + b"/>")
    return buf.getvalue()


def test_a_hostile_workbook_is_refused_and_the_server_stays_healthy(upload_server, page):
    url, store = upload_server
    before = Store(store).current()
    open_data_page(page, url)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(files=[{
        "name": "bomb.xlsx", "buffer": zip_bomb(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.get_by_role("button", name="Load 1 file(s)").click(timeout=60_000)
    page.get_by_text("Load refused").first.wait_for(timeout=180_000)
    wait_idle(page)
    assert "possible zip bomb" in page.inner_text("body")
    assert Store(store).current() == before
    assert healthy(url)


def test_an_oversized_upload_is_refused_with_a_clear_message_and_the_server_stays_healthy(
        upload_server, page, tmp_path):
    url, store = upload_server
    before = Store(store).current()
    open_data_page(page, url)
    too_big = tmp_path / "huge.csv"
    with too_big.open("wb") as fh:
        fh.write(b"force_code,urn\n")
        fh.write(b"36,36AB0000126\n" * (101 * 1024 * 1024 // 15))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(too_big))
    page.get_by_text("File must be 100.0MB or smaller").first.wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Load 1 file(s)").count() == 0
    assert Store(store).current() == before
    assert healthy(url)
    screenshot(page, "data-upload-too-big")
