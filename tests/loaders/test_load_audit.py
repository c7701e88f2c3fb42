"""Every load leaves its trace in the audit log (DPA 2018 s.62): one collection per published load,
one alteration when it replaces a force's rows already held, one erasure when retention deletes old
loads, none for a refused load; and a load that cannot be audited is not published."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from core import audit
from core.store import Store
from data_loaders.load import LoadError, load_extracts
from tests.conftest import case_row, write_csv


def records(settings) -> list[dict]:
    path = settings.audit_file
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_each_load_writes_its_collection_alteration_and_erasure_once(tmp_path, settings):
    settings = replace(settings, keep_generations=1, history_days=0)
    first = write_csv(tmp_path / "a.csv", [case_row()])
    load_extracts([first], settings, actor="u-admin", role="administrator")
    assert [(r["action"], r["actor"]) for r in records(settings)] == [("collect", "u-admin")]
    collected = records(settings)[0]["details"]
    assert collected["forces"] == ["36"] and collected["files"][0]["rows_loaded"] == 1
    assert "Synthetic Person" not in json.dumps(records(settings))  # counts and names of files only

    second = write_csv(tmp_path / "b.csv", [case_row(urn="36AB0000226")])
    load_extracts([second], settings, actor="u-admin", role="administrator")
    actions = [r["action"] for r in records(settings)]
    assert actions == ["collect", "collect", "alter", "erase"]
    erase = records(settings)[-1]["details"]
    assert erase["generations"] == 1 and set(erase) <= audit.ERASE_DETAIL_KEYS
    assert audit.verify(settings.audit_file).ok


def test_a_refused_load_collects_nothing(tmp_path, settings):
    bad = write_csv(tmp_path / "bad.csv", [["not", "an", "extract"]], header=["a", "b", "c"])
    with pytest.raises(LoadError):
        load_extracts([bad], settings)
    assert records(settings) == []


def test_a_load_that_cannot_be_audited_is_not_published(tmp_path, settings):
    good = write_csv(tmp_path / "a.csv", [case_row()])
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the audit folder should be")
    settings = replace(settings, audit_path=blocker / "audit.jsonl")  # cannot be created, even by root
    with pytest.raises(audit.AuditError):
        load_extracts([good], settings)
    assert not Store(settings.store_dir).has_data()
    assert Store(settings.store_dir).attempts()[-1]["status"] == "failed"
