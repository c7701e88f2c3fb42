"""Shared fixtures: a settings object on a temporary store, extract writers, a sample store."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from core.config import ROOT, Settings

SHARED_DATA = ROOT.parent / "shared" / "data"
AS_OF = date(2026, 11, 24)

CASE_HEADER = [
    "force_code", "urn", "defendant_id", "defendant_name", "offence_seq", "offence_code", "offence_start_date",
    "da_flag", "victim_statement_date", "anticipated_plea", "file_stage", "file_status", "created_date",
    "submitted_to_cjs_date", "commenced_date", "upgrade_file_due_date", "oic_id", "oic_name", "team",
    "supervisor_name", "last_review_date", "ngap_allocated_officer_id", "ngap_allocation_date",
]
CUSTODY_HEADER = [
    "force_code", "custody_record_id", "custody_suite", "arrest_datetime", "person_id", "offence_codes",
    "disposal", "bail_return_date", "file_target_date", "urn", "oic_id", "oic_name", "team",
]


def case_row(**values: str) -> dict[str, str]:
    """A valid case-file row (an open pre-charge common assault) with ``values`` overriding."""
    row = {
        "force_code": "36", "urn": "36AB0000126", "defendant_id": "D1", "defendant_name": "Synthetic Person 1",
        "offence_seq": "1", "offence_code": "CJ88001", "offence_start_date": "01/09/2026", "da_flag": "N",
        "victim_statement_date": "", "anticipated_plea": "GAP", "file_stage": "PRE_CHARGE",
        "file_status": "IN_PROGRESS", "created_date": "02/09/2026", "submitted_to_cjs_date": "",
        "commenced_date": "", "upgrade_file_due_date": "", "oic_id": "PC 1001", "oic_name": "Officer Test A",
        "team": "Norwich CID", "supervisor_name": "Sergeant Test B", "last_review_date": "",
        "ngap_allocated_officer_id": "", "ngap_allocation_date": "",
    }
    row.update(values)
    return row


def custody_row(**values: str) -> dict[str, str]:
    row = {
        "force_code": "36", "custody_record_id": "AYL-26-000123", "custody_suite": "Aylsham",
        "arrest_datetime": "01/11/2026 10:30", "person_id": "P0001", "offence_codes": "CJ88001",
        "disposal": "PRE_CHARGE_BAIL", "bail_return_date": "01/12/2026", "file_target_date": "15/11/2026",
        "urn": "36AB0000126", "oic_id": "PC 1001", "oic_name": "Officer Test A", "team": "Norwich CID",
    }
    row.update(values)
    return row


def write_csv(
    path: Path,
    rows: list[dict[str, str]] | list[list[str]],
    header: list[str] | None = None,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    preamble: list[str] = (),
) -> Path:
    buf = io.StringIO()
    for line in preamble:
        buf.write(line + "\r\n")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if header is None:
        assert rows and isinstance(rows[0], dict)
        header = list(rows[0].keys())
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(Settings(), store_dir=tmp_path / "store")


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled synthetic sample loaded once into a store for the whole test session."""
    from data_loaders.load import load_extracts

    store = tmp_path_factory.mktemp("sample") / "store"
    s = replace(Settings(), store_dir=store)
    files = sorted(p for p in s.sample_dir.iterdir() if p.suffix in (".csv", ".xlsx"))
    load_extracts(files, s)
    return s


@pytest.fixture
def cjs_offences() -> Path:
    path = SHARED_DATA / "cjs-offences.csv"
    if not path.exists():
        pytest.skip("the shared CJS Offence Index is not beside the repository")
    return path


def copy_store(src: Settings, dest_root: Path) -> Settings:
    shutil.copytree(src.store_dir, dest_root / "store")
    return replace(src, store_dir=dest_root / "store")
