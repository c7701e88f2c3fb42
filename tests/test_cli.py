"""The headless command: load, Insight report, and refusal of bad input with the data still served."""

from __future__ import annotations

import subprocess
import sys

from openpyxl import load_workbook

from core.config import ROOT
from tests.conftest import CASE_HEADER, case_row, write_csv


def cli(*args: str, store) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "--store", str(store), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def test_load_sample_then_insight_report(tmp_path):
    store = tmp_path / "store"
    loaded = cli("load-sample", store=store)
    assert loaded.returncode == 0, loaded.stderr
    assert "Published gen-" in loaded.stdout
    out = tmp_path / "reports"
    result = cli("insight", "--as-of", "24/11/2026", "--out", str(out), store=store)
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == ["insight-2026-11-24-cases.csv", "insight-2026-11-24-custody.csv", "insight-2026-11-24.xlsx"]
    wb = load_workbook(out / "insight-2026-11-24.xlsx")
    ws = wb["STL nearing"]
    assert ws.max_row > 4, "the sample should have cases nearing their STL"
    assert ws.freeze_panes is not None and ws.auto_filter.ref
    lines = (out / "insight-2026-11-24-cases.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "OFFICIAL-SENSITIVE" and lines[-1] == "OFFICIAL-SENSITIVE"


def test_malformed_extract_exits_non_zero_naming_file_row_column_and_keeps_data(tmp_path):
    store = tmp_path / "store"
    good = write_csv(tmp_path / "good.csv", [case_row()])
    assert cli("load", str(good), store=store).returncode == 0
    bad = write_csv(tmp_path / "bad.csv", [case_row(offence_start_date="32/13/2026") for _ in range(3)])
    result = cli("load", str(bad), store=store)
    assert result.returncode == 2
    assert "file bad.csv, row 2, column 'offence_start_date'" in result.stderr
    missing = write_csv(tmp_path / "missing.csv", [case_row()], [h for h in CASE_HEADER if h != "urn"])
    result = cli("load", str(missing), store=store)
    assert result.returncode == 2 and "file missing.csv, row 1" in result.stderr and "urn" in result.stderr
    status = cli("status", store=store)
    assert "good.csv" in status.stdout and "refused" in status.stdout
    report = cli("insight", "--as-of", "2026-11-24", "--out", str(tmp_path / "r"), store=store)
    assert report.returncode == 0


def test_bad_as_of_date_is_refused(tmp_path):
    result = cli("insight", "--as-of", "2026/13/40", store=tmp_path / "s")
    assert result.returncode == 2 and "not a date" in result.stderr


def test_example_settings_file_is_valid():
    from core.config import Settings

    s = Settings.load(ROOT / "casewatch.example.toml")
    assert s.marking == "OFFICIAL-SENSITIVE" and s.thresholds.insight_days == 42


def test_docs_describe_every_extract_column():
    from data_loaders.contract import EXTRACTS

    text = (ROOT / "docs" / "extracts.md").read_text(encoding="utf-8")
    missing = [c.name for e in EXTRACTS.values() for c in e.columns if f"`{c.name}`" not in text]
    assert missing == []


def test_example_mapping_file_reads(tmp_path):
    from data_loaders.read import read_mapping_file

    mapping = read_mapping_file(ROOT / "docs" / "examples" / "column_mapping.csv")
    assert mapping["case_files"]["Athena Case Ref"] == "urn"


def test_example_extracts_in_the_docs_load(tmp_path):
    result = cli(
        "load", str(ROOT / "docs" / "examples" / "case_files_example.csv"),
        str(ROOT / "docs" / "examples" / "custody_example.csv"), store=tmp_path / "store",
    )
    assert result.returncode == 0, result.stderr
    assert "read 10, loaded 10, quarantined 0" in result.stdout


def test_the_rules_page_lists_every_stl_rule_and_band():
    from core import stl

    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert all(f"`{rule}`" in text for rule in stl.RULES)
    assert all(stl.BAND_LABELS[band] in text for band in stl.BAND_ORDER)
