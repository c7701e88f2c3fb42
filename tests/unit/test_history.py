"""Load history (core/history.py): dated snapshots, the retention rule and its boundaries, and the
private connection that attaches snapshots."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from core import history
from core.config import Settings
from core.store import Store, StoreError
from data_loaders.load import load_extracts
from tests.conftest import CASE_HEADER, case_row, write_csv

REF = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def name(at: datetime, n: int = 0) -> str:
    return f"gen-{at.astimezone(UTC):%Y%m%dT%H%M%S%f}-{n}.duckdb"


def plan(names, keep=1, days=400, reference=REF, current=None):
    current = current or max(names)
    return history.retention_plan(names, keep=keep, history_days=days, reference=reference, current=current)


# -- names and dates ----------------------------------------------------------------------------------
def test_the_load_time_is_read_from_the_generation_name():
    assert history.loaded_at("gen-20261124T060000123456-2.duckdb") == datetime(2026, 11, 24, 6, 0, 0, 123456,
                                                                              tzinfo=UTC)
    for other in ("gen-2026-11-24.duckdb", "gen-20261124T060000123456-0.duckdb.tmp", "CURRENT", "x.duckdb"):
        assert history.loaded_at(other) is None


# -- retention boundaries ----------------------------------------------------------------------------
def test_a_snapshot_exactly_history_days_old_is_kept_and_one_microsecond_older_is_not():
    edge = REF - timedelta(days=400)
    names = [name(edge - timedelta(microseconds=1)), name(edge), name(REF)]
    p = plan(names)
    assert p.kept == (name(edge), name(REF))
    assert p.removed == (name(edge - timedelta(microseconds=1)),)


def test_the_newest_keep_generations_are_kept_whatever_their_age():
    old = [name(REF - timedelta(days=900 + i)) for i in range(4)]  # all far outside the window
    p = plan(old, keep=2, days=30, current=max(old))
    assert p.kept == tuple(sorted(old)[-2:])
    assert p.removed == tuple(sorted(old)[:2])


def test_the_served_generation_is_never_removed():
    names = [name(REF - timedelta(days=d)) for d in (1000, 10, 0)]
    p = plan(names, keep=1, days=30, current=name(REF - timedelta(days=1000)))
    assert name(REF - timedelta(days=1000)) in p.kept


def test_history_days_zero_keeps_only_the_newest_keep_generations_and_the_reference_instant():
    names = [name(REF - timedelta(days=d)) for d in (3, 2, 1)] + [name(REF)]
    assert plan(names, keep=2, days=0).kept == tuple(sorted(names)[-2:])
    assert plan(names, keep=1, days=0).kept == (name(REF),)


def test_a_snapshot_stamped_after_the_reference_is_kept():
    names = [name(REF), name(REF + timedelta(hours=1))]
    assert plan(names, keep=0, days=0, current=name(REF)).removed == ()


def test_names_without_a_load_time_count_as_outside_the_window():
    names = ["gen-odd.duckdb", name(REF)]
    assert plan(names, keep=0, days=400, current=name(REF)).removed == ("gen-odd.duckdb",)


def test_the_rule_refuses_bad_arguments():
    with pytest.raises(ValueError):
        plan([name(REF)], days=-1)
    with pytest.raises(ValueError):
        plan([name(REF)], keep=-1)
    with pytest.raises(ValueError):
        plan([name(REF)], reference=datetime(2026, 11, 24, 6, 0))  # naive: refused, never guessed


# -- Store.prune applies the rule and records the erasure ---------------------------------------------
def fake_store(root: Path, ages_days: list[float]) -> Store:
    """A store folder with empty generation files loaded ``ages_days`` before REF (newest served)."""
    root.mkdir(parents=True)
    names = sorted(name(REF - timedelta(days=d)) for d in ages_days)
    for n in names:
        (root / n).write_bytes(b"")
    (root / "CURRENT").write_text(names[-1] + "\n", encoding="utf-8")
    return Store(root)


def test_prune_deletes_outside_the_window_and_logs_generation_names_only(tmp_path):
    store = fake_store(tmp_path / "s", [500, 401, 400, 30, 0])
    removed = store.prune(2, history_days=400, reference=REF)
    assert sorted(p.name for p in removed) == sorted([name(REF - timedelta(days=500)),
                                                      name(REF - timedelta(days=401))])
    assert [p.name for p in store.generations()] == sorted(name(REF - timedelta(days=d)) for d in (400, 30, 0))
    (entry,) = history.erasures(store)
    assert entry["status"] == "pruned" and entry["at"] == REF.isoformat()
    assert sorted(entry["removed"]) == sorted(p.name for p in removed)
    assert entry["rule"] == {"keep_generations": 2, "history_days": 400} and entry["kept"] == 3
    assert set(entry) == {"at", "status", "files", "removed", "kept", "rule"}  # nothing about the data


def test_prune_with_nothing_to_remove_logs_nothing(tmp_path):
    store = fake_store(tmp_path / "s", [10, 0])
    assert store.prune(1, history_days=400, reference=REF) == []
    assert store.attempts() == []


def test_prune_without_a_reference_uses_the_newest_load_time_not_the_clock(tmp_path):
    # The newest file is from 2026; measured from today's clock every file could be "old".
    store = fake_store(tmp_path / "s", [20, 5, 0])
    assert store.prune(1, history_days=10) == [tmp_path / "s" / name(REF - timedelta(days=20))]


def test_prune_keeps_the_old_count_rule_by_default(tmp_path):
    store = fake_store(tmp_path / "s", [3, 2, 1, 0])
    assert len(store.prune(2)) == 2 and len(store.generations()) == 2


def test_loading_keeps_snapshots_within_history_days_of_the_new_load(tmp_path):
    settings = replace(Settings(), store_dir=tmp_path / "store", keep_generations=1, history_days=30)
    extract = write_csv(tmp_path / "cases.csv", [case_row()], CASE_HEADER)
    times = [datetime(2026, 9, 1, 8, 0, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC),
             datetime(2026, 11, 24, 8, 0, tzinfo=UTC)]
    for at in times:
        load_extracts([extract], settings, now=at)
    store = Store(settings.store_dir)
    # 1 Sep is 54 days before the second load: removed by it; 25 Oct is exactly 30 days before the third: kept.
    assert [s.loaded_at for s in history.snapshots(store)] == times[1:]
    assert [e["removed"] for e in history.erasures(store)] == [[name(times[0])]]
    statuses = [a["status"] for a in store.attempts()]
    assert statuses == ["published", "published", "pruned", "published"]


# -- listing, resolving, thinning ---------------------------------------------------------------------
def test_resolve_takes_the_newest_load_on_or_before_the_meeting_day():
    snaps = [history.Snapshot(name(at), Path(name(at)), at) for at in (
        datetime(2026, 10, 20, 8, tzinfo=UTC), datetime(2026, 10, 27, 7, tzinfo=UTC),
        datetime(2026, 10, 27, 18, tzinfo=UTC), datetime(2026, 11, 3, 8, tzinfo=UTC))]
    assert history.resolve(snaps, date(2026, 10, 27)) is snaps[2]  # a load on the day itself counts
    assert history.resolve(snaps, date(2026, 10, 26)) is snaps[0]
    assert history.resolve(snaps, date(2026, 10, 19)) is None
    assert history.resolve(snaps, date(2027, 1, 1)) is snaps[3]


def test_thin_keeps_the_last_load_of_each_day_and_spreads_the_points():
    days = [datetime(2026, 11, 1, 8, tzinfo=UTC) + timedelta(days=i) for i in range(10)]
    snaps = [history.Snapshot(name(at), Path(name(at)), at) for at in days]
    snaps.append(history.Snapshot(name(days[-1] + timedelta(hours=2)), Path("x"), days[-1] + timedelta(hours=2)))
    picked = history.thin(snaps, date(2026, 11, 1), date(2026, 11, 10), 4)
    assert [s.loaded_on.day for s in picked] == [1, 4, 7, 10]
    assert picked[-1].loaded_at.hour == 10  # the later of the two loads on the last day
    assert len(history.thin(snaps, date(2026, 11, 1), date(2026, 11, 10), 50)) == 10
    assert [s.loaded_on.day for s in history.thin(snaps, date(2026, 11, 3), date(2026, 11, 4), 50)] == [3, 4]
    assert [s.loaded_on.day for s in history.thin(snaps, date(2026, 11, 1), date(2026, 11, 10), 1)] == [10]


# -- the private connection ---------------------------------------------------------------------------
@pytest.fixture
def quoted_store(tmp_path) -> Settings:
    """A store in a folder whose name has a quote in it: the ATTACH literal must escape it."""
    settings = replace(Settings(), store_dir=tmp_path / "o'brien's store")
    load_extracts([write_csv(tmp_path / "cases.csv", [case_row()], CASE_HEADER)], settings,
                  now=datetime(2026, 11, 24, 8, tzinfo=UTC))
    return settings


def test_attach_opens_a_kept_snapshot_even_under_a_quoted_path(quoted_store):
    store = Store(quoted_store.store_dir)
    snap = history.snapshots(store)[0]
    con = history.attach(store, {"snap": snap.name, "again": snap.path})
    try:
        assert con.execute("SELECT count(*) FROM snap.case_offences").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM again.case_offences").fetchall() == [(1,)]
    finally:
        con.close()


def test_attach_is_hardened_after_attaching(quoted_store, tmp_path):
    store = Store(quoted_store.store_dir)
    con = history.attach(store, {"snap": history.snapshots(store)[0].name})
    try:
        with pytest.raises(duckdb.Error):
            con.execute(f"ATTACH '{tmp_path / 'other.duckdb'}' AS other")
        with pytest.raises(duckdb.Error):
            con.execute(f"SELECT * FROM read_csv('{tmp_path / 'cases.csv'}')")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE snap.x (a INT)")  # attached READ_ONLY
    finally:
        con.close()


def test_attach_refuses_anything_but_a_kept_snapshot(quoted_store, tmp_path):
    store = Store(quoted_store.store_dir)
    good = history.snapshots(store)[0]
    outside = tmp_path / good.name
    outside.write_bytes(good.path.read_bytes())  # same name, another folder
    for bad in ("CURRENT", "gen-20990101T000000000000-0.duckdb", str(outside), "x' AS y (READ_ONLY); --"):
        with pytest.raises(StoreError):
            history.attach(store, {"snap": bad})
    for alias in ("memory", "Snap", "a b", "x; DROP"):
        with pytest.raises(ValueError):
            history.attach(store, {alias: good.name})


def test_details_list_each_snapshot_with_its_load(quoted_store):
    store = Store(quoted_store.store_dir)
    df = history.details(store)
    assert df[["files", "forces", "case_offence_rows", "custody_rows", "current"]].values.tolist() == [
        ["cases.csv", "36", 1, 0, True]]
    assert df["loaded_at"].iloc[0] == datetime(2026, 11, 24, 8, 0)
    assert json.loads(json.dumps(history.erasures(store))) == []


def test_the_cli_lists_kept_loads_and_retention_deletions(tmp_path, capsys):
    import cli

    settings = replace(Settings(), store_dir=tmp_path / "store", keep_generations=1, history_days=10)
    extract = write_csv(tmp_path / "cases.csv", [case_row()], CASE_HEADER)
    first, second = datetime(2026, 10, 1, 8, tzinfo=UTC), datetime(2026, 11, 24, 8, tzinfo=UTC)
    load_extracts([extract], settings, now=first)
    load_extracts([extract], settings, now=second)
    assert cli.main(["--store", str(settings.store_dir), "history"]) == 0
    out = capsys.readouterr().out
    assert "1 load(s) kept" in out and "24/11/2026 08:00 UTC" in out and "(served)" in out
    assert "files of this load: cases.csv" in out
    assert f"removed {name(first)}" in out
