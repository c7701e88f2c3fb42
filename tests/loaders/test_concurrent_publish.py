"""Several reader processes (as several dashboard processes would) keep querying the store while a
loader publishes one generation after another and prunes old ones: no lock errors, and no reader
ever sees a half-published load (issue 6 point 4; reliability.md LD and fault tests)."""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
import types
from dataclasses import replace
from pathlib import Path

import pytest

from core.config import Settings
from core.store import Store
from data_loaders.load import load_extracts
from sample_data.generate import generate

READERS = 3
PUBLISHES = 6

CONSISTENCY = """
SELECT (SELECT count(*) FROM case_offences) AS rows_now,
       (SELECT sum(rows_loaded) FROM load_log
         WHERE kind = 'case_files' AND load_id = (SELECT max(load_id) FROM load_log)) AS rows_logged,
       (SELECT count(*) FROM custody) AS custody_now,
       (SELECT sum(rows_loaded) FROM load_log
         WHERE kind = 'custody' AND load_id = (SELECT max(load_id) FROM load_log)) AS custody_logged,
       (SELECT max(load_id) FROM load_log) AS load_id,
       (SELECT count(*) FROM case_file) AS files_derived,
       (SELECT count(*) FROM (SELECT DISTINCT force_code, urn FROM case_offences)) AS files_now
"""


def _reader(root: str, stop, out) -> None:
    """Open the current generation, check it is whole, close; again and again until told to stop.
    One connection is also kept open on the first generation seen, and queried throughout, as a
    dashboard process keeps its connection while newer generations are published and old files
    are pruned."""
    store = Store(root)
    seen: list[tuple[str, int, int]] = []
    errors: list[str] = []
    pinned = store.connect_read()
    pinned_first = pinned.execute("SELECT count(*) FROM case_offences").fetchone()[0]
    while not stop.is_set() or len(seen) < 3:
        try:
            con = store.connect_read()
            try:
                name = Path(con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchone()[0]).name
                (rows_now, rows_logged, custody_now, custody_logged, load_id, files_derived,
                 files_now) = con.execute(CONSISTENCY).fetchone()
                # Both extract kinds of one load publish together: a reader never sees the case
                # files of one load beside the custody rows of another.
                if rows_now != rows_logged or custody_now != custody_logged:
                    errors.append(f"{name}: {rows_now} rows vs {rows_logged} logged, "
                                  f"{custody_now} custody vs {custody_logged} logged")
                # The tables derived at load (core.derived) belong to the same generation.
                if files_derived != files_now:
                    errors.append(f"{name}: {files_derived} derived case files vs {files_now} in the rows")
                seen.append((name, int(load_id), int(rows_now)))
            finally:
                con.close()
            if pinned.execute("SELECT count(*) FROM case_offences").fetchone()[0] != pinned_first:
                errors.append("a connection kept open saw its generation change")
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
            errors.append(f"{type(exc).__name__}: {exc}")
        if stop.is_set() and len(seen) >= 3:
            break
    pinned.close()
    out.put((seen, errors))


@pytest.fixture(scope="module")
def two_sizes(tmp_path_factory) -> tuple[list[Path], list[Path]]:
    base = tmp_path_factory.mktemp("extracts")
    small = generate(base / "small", case_rows=2_000)
    large = generate(base / "large", case_rows=5_000)
    return sorted(small.values()), sorted(large.values())


def test_readers_in_other_processes_never_see_a_half_published_load(tmp_path, two_sizes, monkeypatch):
    small, large = two_sizes
    settings = replace(Settings(), store_dir=tmp_path / "store", keep_generations=2, history_days=0)
    load_extracts(small, settings)

    # A spawned child re-runs the parent's __main__ module if it has a file; after an AppTest has
    # run in this process, __main__ is the dashboard script. Start the readers from a bare one.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_reader, args=(str(settings.store_dir), stop, out)) for _ in range(READERS)]
    for p in procs:
        p.start()
    try:
        time.sleep(1.0)  # let every reader open the first generation
        expected_rows = {}
        for i in range(PUBLISHES):
            files = large if i % 2 == 0 else small
            report = load_extracts(files, settings)
            expected_rows[report.load_id] = sum(f.rows_loaded for f in report.files if f.kind == "case_files")
        stop.set()
        results = [out.get(timeout=120) for _ in procs]
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()

    all_errors = [e for _, errors in results for e in errors]
    assert not all_errors, all_errors[:5]
    seen = [s for observed, _ in results for s in observed]
    assert all(p.exitcode == 0 for p in procs)
    loads_seen = {load_id for _, load_id, _ in seen}
    assert len(loads_seen) >= 3, f"readers should overlap several publishes, saw loads {sorted(loads_seen)}"
    # What each reader saw is exactly what the loader published for that load.
    for _, load_id, rows in seen:
        if load_id in expected_rows:
            assert rows == expected_rows[load_id]
    # Old generations were pruned while readers ran; the newest two remain.
    assert len(Store(settings.store_dir).generations()) == 2
