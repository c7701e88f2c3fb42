"""The audit log (core.audit): one record per audited action, a hash chain whose every kind of
tampering is found at the right seq, safe concurrent appends, search, and the CLI.

reliability.md SC-16 (completeness), SC-17 (integrity), SC-18 (erasure content), FT-15 (fail
closed when the log cannot be written), FT-16 (UTC whatever the host's zone).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core import audit
from core.audit import ACTIONS, GENESIS, AuditError, AuditLog, head_path, search, verify
from core.config import ROOT

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class FixedClock:
    """A clock that moves on one minute per reading."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        moment = self.now
        self.now += timedelta(minutes=1)
        return moment


def details_for(action: str) -> dict:
    return {
        "disclose": {"recipient": "CPS Norfolk JOIM", "purpose": "JOIM pack", "rows": 12, "format": "xlsx"},
        "erase": {"reason": "retention", "rows": 40, "counts": {"quarantine": 40}},
        "collect": {"files": ["norfolk_case_files.csv"], "rows_loaded": 100, "rows_quarantined": 2},
    }.get(action, {"filters": {"team": "Norwich CID"}, "rows": 3})


def build(path: Path, n: int = 10) -> list[dict]:
    log = AuditLog(path, clock=FixedClock())
    return [log.record(f"user{i % 3}", "section_leader", ACTIONS[i % len(ACTIONS)], f"page {i}",
                       details_for(ACTIONS[i % len(ACTIONS)])) for i in range(n)]


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def rewrite(path: Path, new_lines: list[str]) -> None:
    path.write_text("".join(new_lines), encoding="utf-8")


# -- one record per action ------------------------------------------------------------------
def test_each_action_writes_exactly_one_record_with_who_when_what(tmp_path):
    path = tmp_path / "audit" / "audit.jsonl"
    log = AuditLog(path, clock=FixedClock())
    for i, action in enumerate(ACTIONS, 1):
        rec = log.record("oid-123", "cjs_manager", action, "STL watch", details_for(action))
        assert len(lines(path)) == i
        assert json.loads(lines(path)[-1]) == rec
        assert rec["seq"] == i and rec["action"] == action and rec["actor"] == "oid-123"
        assert rec["role"] == "cjs_manager" and rec["what"] == "STL watch"
        assert rec["ts"] == (T0 + timedelta(minutes=i - 1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    result = verify(path)
    assert result.ok and result.records == len(ACTIONS) == 9
    assert json.loads(head_path(path).read_text()) == {"seq": 9, "hash": result.last_hash}


def test_every_s62_operation_has_an_action():
    assert set(audit.S62_OPERATION.values()) == {
        "collection", "alteration", "consultation", "disclosure", "combination", "erasure"}
    assert set(audit.S62_OPERATION) <= set(ACTIONS) and {"deny", "sign_in", "sign_out"} <= set(ACTIONS)


def test_hash_is_sha256_of_canonical_json_including_prev_hash(tmp_path):
    first, second = build(tmp_path / "a.jsonl", 2)
    assert first["prev_hash"] == GENESIS and second["prev_hash"] == first["hash"]
    body = {k: v for k, v in second.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert second["hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # the stored line is that canonical form plus the hash
    assert lines(tmp_path / "a.jsonl")[1] == json.dumps(second, sort_keys=True, separators=(",", ":"),
                                                        ensure_ascii=False) + "\n"


def test_timestamps_are_utc_whatever_zone_the_caller_uses(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl")
    summer = datetime(2026, 7, 1, 10, 30, tzinfo=ZoneInfo("Europe/London"))  # BST = UTC+1
    assert log.record("u", "officer", "consult", "Overview", now=summer)["ts"] == "2026-07-01T09:30:00.000000Z"
    with pytest.raises(AuditError, match="timezone-aware"):
        log.record("u", "officer", "consult", "Overview", now=datetime(2026, 7, 1, 10, 30))
    assert len(lines(tmp_path / "a.jsonl")) == 1


@pytest.mark.parametrize(
    ("action", "details", "message"),
    [
        ("browse", {}, "unknown audit action"),
        ("disclose", {"rows": 3}, "recipient"),
        ("erase", {"rows": 3, "names": ["Synthetic Person 1"]}, "may not hold names"),
        ("erase", {"urns": ["36AB0000126"]}, "may not hold urns"),
        ("erase", {"rows": "Synthetic Person 1"}, "must be a count"),
        ("erase", {"counts": {"quarantine": "36AB0000126"}}, "counts"),
        ("consult", {"when": object()}, "cannot hold"),
        ("consult", {"share": float("nan")}, "cannot hold"),
    ],
)
def test_invalid_records_are_refused_and_nothing_is_written(tmp_path, action, details, message):
    path = tmp_path / "a.jsonl"
    build(path, 2)
    before = path.read_bytes()
    with pytest.raises(AuditError, match=message):
        AuditLog(path).record("u", "administrator", action, "retention purge", details, now=T0)
    assert path.read_bytes() == before and verify(path).ok


def test_missing_actor_or_what_is_refused(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl")
    with pytest.raises(AuditError, match="actor"):
        log.record("  ", "officer", "consult", "Overview", now=T0)
    with pytest.raises(AuditError, match="what"):
        log.record("u", "officer", "consult", "", now=T0)


def test_erasure_records_hold_counts_and_kinds_only(tmp_path):
    """SC-18: every erase record's details use the allow-listed keys, with counts as numbers."""
    path = tmp_path / "a.jsonl"
    log = AuditLog(path, clock=FixedClock())
    log.record("system", None, "erase", "retention purge",
               {"reason": "closed > 90 days", "rows": 7, "counts": {"case_offences": 5, "custody": 2},
                "generations": ["gen-20261101-1"]})
    for rec in search(path, action="erase"):
        assert set(rec["details"]) <= audit.ERASE_DETAIL_KEYS
        assert isinstance(rec["details"]["rows"], int)


def test_details_are_stored_as_plain_json(tmp_path):
    from datetime import date

    from core.scope import Scope

    rec = AuditLog(tmp_path / "a.jsonl").record(
        "u", "section_leader", "consult", "My Team",
        {"as_of": date(2026, 11, 24), "scope": audit.scope_details(Scope(("36",), ("Norwich CID",))),
         "teams": ("Norwich CID",)}, now=T0)
    assert rec["details"] == {"as_of": "2026-11-24", "teams": ["Norwich CID"],
                              "scope": {"forces": ["36"], "teams": ["Norwich CID"], "officers": None}}
    assert verify(tmp_path / "a.jsonl").ok


# -- tampering ------------------------------------------------------------------------------
def edit_field(path: Path) -> None:
    ls = lines(path)
    rec = json.loads(ls[3])
    rec["actor"] = "someone else"
    ls[3] = json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n"
    rewrite(path, ls)


def edit_and_rehash(path: Path) -> None:
    ls = lines(path)
    rec = json.loads(ls[3])
    rec["details"] = {"rows": 0}
    rec["hash"] = audit.record_hash(rec)
    ls[3] = audit.canonical(rec) + "\n"
    rewrite(path, ls)


def edit_in_place(path: Path) -> None:
    """Change one character of the text without re-serialising (a hex editor)."""
    ls = lines(path)
    ls[3] = ls[3].replace('"page 3"', '"page 9"')
    rewrite(path, ls)


def delete_line(n: int):
    def mutate(path: Path) -> None:
        ls = lines(path)
        del ls[n - 1]
        rewrite(path, ls)
    return mutate


def swap(path: Path) -> None:
    ls = lines(path)
    ls[2], ls[3] = ls[3], ls[2]
    rewrite(path, ls)


def move_later(path: Path) -> None:
    ls = lines(path)
    ls.insert(7, ls.pop(2))  # seq 3 moved after seq 8
    rewrite(path, ls)


def duplicate(path: Path) -> None:
    ls = lines(path)
    ls.insert(5, ls[4])
    rewrite(path, ls)


def truncate_tail(k: int):
    def mutate(path: Path) -> None:
        rewrite(path, lines(path)[:-k])
    return mutate


def cut_mid_record(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-20])


def garbage_line(path: Path) -> None:
    ls = lines(path)
    ls[6] = "not json at all\n"
    rewrite(path, ls)


def empty_file(path: Path) -> None:
    path.write_bytes(b"")


def delete_log(path: Path) -> None:
    path.unlink()


def delete_head(path: Path) -> None:
    head_path(path).unlink()


@pytest.mark.parametrize(
    ("mutate", "seq", "line", "kind"),
    [
        (edit_field, 4, 4, "edited"),
        (edit_in_place, 4, 4, "edited"),
        (edit_and_rehash, 5, 5, "chain"),
        (delete_line(6), 6, 6, "deleted"),
        (delete_line(1), 1, 1, "deleted"),
        (swap, 3, 3, "reordered"),
        (move_later, 3, 3, "reordered"),
        (duplicate, 6, 6, "duplicated"),
        (garbage_line, 7, 7, "unreadable"),
        (truncate_tail(3), 8, 8, "truncated"),
        (truncate_tail(1), 10, 10, "truncated"),
        (cut_mid_record, 10, 10, "truncated"),
        (empty_file, 1, 1, "truncated"),
        (delete_log, 1, 1, "truncated"),
        (delete_head, None, None, "head_missing"),
    ],
    ids=["edit-field", "edit-bytes", "edit-and-rehash", "delete-middle", "delete-first", "swap", "move-later",
         "duplicate", "garbage", "truncate-3", "truncate-1", "torn-last-line", "emptied", "log-deleted",
         "head-deleted"],
)
def test_verify_names_the_first_broken_link(tmp_path, mutate, seq, line, kind):
    path = tmp_path / "audit.jsonl"
    build(path, 10)
    assert verify(path).ok
    mutate(path)
    result = verify(path)
    assert not result.ok
    assert (result.broken.seq, result.broken.line, result.broken.kind) == (seq, line, kind), result.broken
    assert result.records == (seq - 1 if seq else 10)


def test_writer_refuses_to_append_after_the_tail_was_cut_or_edited(tmp_path):
    """Appending after a cut would hide it (the head would move on), so the writer fails closed."""
    path = tmp_path / "audit.jsonl"
    build(path, 5)
    truncate_tail(2)(path)
    with pytest.raises(AuditError, match="ends at seq 3 but its head file records seq 5"):
        AuditLog(path).record("u", "officer", "consult", "Overview", now=T0)
    assert len(lines(path)) == 3
    build(tmp_path / "b.jsonl", 5)
    ls = lines(tmp_path / "b.jsonl")
    rewrite(tmp_path / "b.jsonl", ls[:-1] + [ls[-1].replace('"page 4"', '"page X"')])
    with pytest.raises(AuditError, match="altered"):
        AuditLog(tmp_path / "b.jsonl").record("u", "officer", "consult", "Overview", now=T0)
    delete_head(tmp_path / "b.jsonl")
    with pytest.raises(AuditError):
        AuditLog(tmp_path / "b.jsonl").record("u", "officer", "consult", "Overview", now=T0)


def test_unwritable_log_fails_closed(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.mkdir()  # a directory where the log should be: every write fails
    with pytest.raises(AuditError, match="cannot write"):
        AuditLog(path).record("u", "officer", "consult", "Overview", now=T0)


def test_an_interrupted_write_is_accepted_and_repaired(tmp_path):
    """A crash after the record is on disk but before the head moves leaves the head one behind:
    verify accepts that, and the next record brings the head up to date."""
    path = tmp_path / "audit.jsonl"
    build(path, 3)
    old_head = head_path(path).read_bytes()
    AuditLog(path).record("u", "officer", "consult", "Overview", now=T0)
    head_path(path).write_bytes(old_head)
    result = verify(path)
    assert result.ok and result.records == 4 and "interrupted" in result.note
    AuditLog(path).record("u", "officer", "consult", "Overview", now=T0)
    result = verify(path)
    assert result.ok and result.records == 5 and result.note == ""


def test_a_fresh_log_verifies_and_starts_at_seq_1(tmp_path):
    path = tmp_path / "new" / "audit.jsonl"
    result = verify(path)
    assert result.ok and result.records == 0
    assert AuditLog(path).record("u", None, "deny", "Overview", now=T0)["seq"] == 1


# -- concurrency ----------------------------------------------------------------------------
def _append_many(path: str, worker: int, count: int, barrier) -> None:
    barrier.wait()
    log = AuditLog(path)
    for i in range(count):
        log.record(f"worker{worker}", "officer", "consult", f"page {i}", {"n": i})


def test_concurrent_appends_from_several_processes_keep_one_valid_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("fork")
    workers, each = 4, 25
    barrier = ctx.Barrier(workers)
    procs = [ctx.Process(target=_append_many, args=(str(path), w, each, barrier)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * workers
    result = verify(path)
    assert result.ok and result.records == workers * each
    recs = search(path)
    assert [r["seq"] for r in recs] == list(range(1, workers * each + 1))
    got = sorted((r["actor"], r["details"]["n"]) for r in recs)
    assert got == sorted((f"worker{w}", i) for w in range(workers) for i in range(each))


def test_concurrent_appends_from_several_threads_keep_one_valid_chain(tmp_path):
    """Streamlit runs each session on its own thread of one process."""
    path = tmp_path / "audit.jsonl"
    barrier = threading.Barrier(4)
    threads = [threading.Thread(target=_append_many, args=(str(path), w, 20, barrier)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    result = verify(path)
    assert result.ok and result.records == 80


# -- search ---------------------------------------------------------------------------------
def test_search_filters_by_actor_action_time_and_what(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, clock=FixedClock())
    log.record("Alice", "officer", "consult", "STL watch")                                 # 09:00
    log.record("bob", "cjs_manager", "disclose", "STL watch export", {"recipient": "bob"})  # 09:01
    log.record("alice", "officer", "disclose", "NGAP export", {"recipient": "CPS"})         # 09:02
    log.record("carol", None, "deny", "My Team")                                            # 09:03
    assert [r["seq"] for r in search(path, actor="ALICE")] == [1, 3]
    assert [r["seq"] for r in search(path, action="disclose")] == [2, 3]
    assert [r["seq"] for r in search(path, actor="alice", action="disclose")] == [3]
    assert [r["seq"] for r in search(path, since=T0 + timedelta(minutes=1),
                                     until=T0 + timedelta(minutes=3))] == [2, 3]  # until excluded
    assert [r["seq"] for r in search(path, what="export")] == [2, 3]
    assert [r["seq"] for r in search(path, limit=2)] == [3, 4]
    assert search(tmp_path / "none.jsonl") == []
    with pytest.raises(ValueError, match="unknown audit action"):
        search(path, action="browse")
    with pytest.raises(ValueError, match="timezone-aware"):
        search(path, since=datetime(2026, 11, 24))


# -- command line ---------------------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "audit", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_verify_exit_status_and_first_broken_link(tmp_path):
    path = tmp_path / "audit.jsonl"
    build(path, 10)
    ok = cli("verify", "--path", str(path))
    assert ok.returncode == 0, ok.stderr
    assert "Audit log OK" in ok.stdout and "10 record(s)" in ok.stdout
    broken = tmp_path / "broken.jsonl"
    shutil.copy(path, broken)
    shutil.copy(head_path(path), head_path(broken))
    delete_line(6)(broken)
    result = cli("verify", "--path", str(broken))
    assert result.returncode == 1
    assert "first broken link at seq 6 (line 6): deleted" in result.stderr


def test_cli_search(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, clock=FixedClock())
    log.record("alice", "officer", "consult", "STL watch")
    log.record("bob", "cjs_manager", "disclose", "STL watch export", {"recipient": "bob"})
    log.record("alice", "officer", "disclose", "NGAP export", {"recipient": "CPS"})
    result = cli("search", "--path", str(path), "--actor", "alice", "--action", "disclose", "--json")
    assert result.returncode == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["seq"], r["what"]) for r in found] == [(3, "NGAP export")]
    table = cli("search", "--path", str(path), "--since", "24/11/2026", "--until", "2026-11-24")
    assert table.returncode == 0 and len(table.stdout.splitlines()) == 3 and "3 record(s)" in table.stderr
    none = cli("search", "--path", str(path), "--since", "25/11/2026")
    assert none.returncode == 0 and none.stdout == ""
    bad = cli("search", "--path", str(path), "--since", "yesterday")
    assert bad.returncode == 2 and "not a date" in bad.stderr
