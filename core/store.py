"""The embedded DuckDB store, published by generation.

A store is a folder. Each successful load writes a complete new database file
(``gen-<timestamp>-<n>.duckdb``) beside the last one, checks it by reopening it read-only and then
flips the ``CURRENT`` pointer file with an atomic rename. Readers open the generation named by
``CURRENT`` read-only, so:

* a failed or interrupted load never touches the published data (the half-built file keeps a
  ``.tmp`` name and is removed by the next load);
* the dashboard can keep serving while a loader works, from another process;
* a new generation never shares a file name with an old one, so a process that already has the
  old file open (DuckDB caches instances per path) cannot be handed stale data under a new name.

Loads are serialised by an exclusive lock on ``store.lock``. After a publish, generations the
retention rule does not keep (older than ``history_days`` before the newest load, beyond the newest
``keep_generations``) are deleted and the deletion logged (``core.history``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

POINTER = "CURRENT"
LOCK = "store.lock"
ATTEMPTS = "load_attempts.jsonl"


class StoreError(RuntimeError):
    """The store cannot be read or written as asked."""


class NoData(StoreError):
    """Nothing has been published to this store yet."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    # -- reading --------------------------------------------------------------------------
    def current(self) -> Path:
        """The path of the published generation. Raises NoData when there is none."""
        pointer = self.root / POINTER
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise NoData(f"no data has been loaded into {self.root} yet") from None
        path = self.root / name
        if not name or "/" in name or not path.is_file():
            raise StoreError(f"{pointer} names a generation that does not exist: {name!r}")
        return path

    def has_data(self) -> bool:
        try:
            self.current()
        except NoData:
            return False
        return True

    def connect_read(self, generation: Path | None = None) -> duckdb.DuckDBPyConnection:
        """Open the published generation read-only, with file and network access switched off.

        The page layer cannot read other files, attach databases, install extensions or write,
        whatever SQL reaches it (reliability.md decision 7).
        """
        if generation is not None:
            con = duckdb.connect(str(generation), read_only=True)
        else:
            con = self._connect_current()
        # DuckDB shares one database instance per file within a process: a second connection to a
        # generation already open here finds it hardened and locked, which is what we want.
        locked = con.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0]  # all: no open result
        if locked:
            return con
        for stmt in (
            "SET enable_external_access = false",
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET enable_progress_bar = false",
            "SET lock_configuration = true",
        ):
            con.execute(stmt)
        return con

    def _connect_current(self, attempts: int = 5) -> duckdb.DuckDBPyConnection:
        """Open the generation CURRENT names. A loader may publish and prune between reading the
        pointer and opening the file (the file named a moment ago is gone): read the pointer
        again and retry. An open connection is never affected: pruning unlinks a file, and an
        open file stays readable until it is closed."""
        for attempt in range(attempts):
            try:
                path = self.current()
                return duckdb.connect(str(path), read_only=True)
            except NoData:
                raise
            except (StoreError, duckdb.IOException):
                if attempt == attempts - 1:
                    raise
                time.sleep(0.02 * (attempt + 1))
        raise AssertionError("unreachable")

    # -- writing --------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def new_generation_path(self, now: datetime) -> Path:
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
        n = 0
        while True:
            path = self.root / f"gen-{stamp}-{n}.duckdb"
            if not path.exists() and not path.with_suffix(".duckdb.tmp").exists():
                return path
            n += 1

    def begin(self, now: datetime) -> tuple[Path, Path | None]:
        """Start a new generation as a copy of the published one (if any).

        Returns (temporary path, previous generation). Stale temporary files left by a killed
        loader are removed first. Call with the writer lock held.
        """
        for stale in self.root.glob("gen-*.duckdb.tmp*"):
            stale.unlink(missing_ok=True)
        final = self.new_generation_path(now)
        tmp = final.with_name(final.name + ".tmp")
        previous = self.current() if self.has_data() else None
        if previous is not None:
            shutil.copyfile(previous, tmp)
        return tmp, previous

    def publish(self, tmp: Path) -> Path:
        """Check the finished temporary file read-only, give it its final name and point at it."""
        if tmp.with_name(tmp.name + ".wal").exists():
            raise StoreError(f"{tmp.name} still has a write-ahead log; it was not closed cleanly")
        check = duckdb.connect(str(tmp), read_only=True)
        try:
            check.execute("SELECT count(*) FROM meta").fetchall()
        finally:
            check.close()
        final = tmp.with_name(tmp.name.removesuffix(".tmp"))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        pointer_tmp = self.root / (POINTER + ".tmp")
        pointer_tmp.write_text(final.name + "\n", encoding="utf-8")
        with open(pointer_tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, self.root / POINTER)
        _fsync_dir(self.root)
        return final

    def prune(self, keep: int, *, history_days: int = 0, reference: datetime | None = None) -> list[Path]:
        """Delete the generations the retention rule does not keep (never the current one).

        Kept: the newest ``keep``, and with ``history_days`` > 0 every generation loaded within that
        many days of ``reference`` (the newest load's time; by default read from the newest file
        name, never the clock). See ``core.history.retention_plan``. Each deletion is recorded in
        the load-attempt log as a ``pruned`` entry (generation names only, no personal data).
        """
        from core.history import loaded_at, retention_plan

        current = self.current()
        gens = self.generations()
        if reference is None:
            stamps = [t for t in (loaded_at(p.name) for p in gens) if t is not None]
            reference = max(stamps) if stamps else datetime.fromtimestamp(0, UTC)
        plan = retention_plan([p.name for p in gens], keep=keep, history_days=history_days,
                              reference=reference, current=current.name)
        removed = []
        for name in plan.removed:
            path = self.root / name
            path.unlink(missing_ok=True)
            removed.append(path)
        if removed:
            self.record_attempt({
                "at": reference.isoformat(),
                "status": "pruned",
                "files": [],
                "removed": [p.name for p in removed],
                "kept": len(plan.kept),
                "rule": {"keep_generations": keep, "history_days": history_days},
            })
        return removed

    def generations(self) -> list[Path]:
        return sorted(self.root.glob("gen-*.duckdb"))

    def record_attempt(self, entry: dict[str, Any]) -> None:
        """Append one line to the load-attempt log (kept outside the generations, so failed
        loads, which publish nothing, are still on record)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ATTEMPTS, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, default=str, sort_keys=True) + "\n")

    def attempts(self) -> list[dict[str, Any]]:
        path = self.root / ATTEMPTS
        if not path.exists():
            return []
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
