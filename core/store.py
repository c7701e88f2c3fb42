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

Loads are serialised by an exclusive lock on ``store.lock``. Older generations beyond
``keep_generations`` are deleted after a publish.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
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
        path = generation or self.current()
        con = duckdb.connect(str(path), read_only=True)
        for stmt in (
            "SET enable_external_access = false",
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET enable_progress_bar = false",
            "SET lock_configuration = true",
        ):
            con.execute(stmt)
        return con

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

    def prune(self, keep: int) -> list[Path]:
        """Delete all but the newest ``keep`` published generations (never the current one)."""
        current = self.current()
        gens = sorted(self.root.glob("gen-*.duckdb"))
        removed = []
        for path in gens[: max(0, len(gens) - keep)]:
            if path != current:
                path.unlink(missing_ok=True)
                removed.append(path)
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
