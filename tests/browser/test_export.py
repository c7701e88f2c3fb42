"""The product's own export in a real browser: the viewer names the recipient and purpose, the file
is marked and formula-safe, and the disclosure is written to the audit log exactly once (issue 5)."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import screenshot, settle

pytestmark = pytest.mark.browser


def audit_records(store_dir, action: str) -> list[dict]:
    path = store_dir.parent / "audit" / "audit.jsonl"
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["action"] == action]


def test_an_export_asks_who_for_and_why_is_marked_and_logged_once(server, page, sample_store, tmp_path):
    before = len(audit_records(sample_store.store_dir, "disclose"))
    page.goto(server + "/stl_watch?as_of=2026-11-24")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    settle(page, timeout=60_000)
    page.get_by_role("button", name="Export XLSX").click()
    download = page.get_by_role("button", name="Download XLSX")
    assert download.is_disabled()  # no recipient and purpose, no file
    page.get_by_label("Purpose").fill("JOIM 25/11 action list")
    page.get_by_label("Purpose").press("Enter")
    settle(page, timeout=60_000)
    screenshot(page, "export-popover")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download XLSX").click()
    path = tmp_path / "export.xlsx"
    info.value.save_as(path)

    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert "OFFICIAL-SENSITIVE" in (ws.oddHeader.center.text or "") + (ws.oddFooter.center.text or "")
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith(("=", "+", "-", "@")) and not v.startswith("'") for v in values)

    records = audit_records(sample_store.store_dir, "disclose")
    assert len(records) == before + 1
    details = records[-1]["details"]
    assert details["purpose"] == "JOIM 25/11 action list" and details["recipient"]
    assert details["rows"] > 0 and details["marking"] == "OFFICIAL-SENSITIVE"
