"""Loading uploaded extracts in a separate, resource-limited process, with progress.

Why: DuckDB's security model assumes data files come from a trusted writer ("a crafted file may
crash the process or allocate unbounded memory"), and XLSX is a zip that can expand without bound.
An upload from a browser is not trusted, so it is never parsed inside the web server
(reliability.md decision 4; FT-10, FT-11, SC-26, SC-27). This module:

* **spools** uploads into a private temporary folder (mode 0700, files 0600) under generated names
  (``upload-1.csv``); the name the user gave is metadata only (``safe_display_name``), so a name
  such as ``../../x.csv`` never reaches the file system. The folder is deleted after the load;
* **runs** ``data_loaders.load.load_extracts`` — the one loader — in a child Python process
  (``python -m data_loaders.subprocess_load``) with an address-space limit (RLIMIT_AS), a CPU-time
  limit (RLIMIT_CPU), a written-file-size limit (RLIMIT_FSIZE), no core dumps (RLIMIT_CORE 0: a
  core file would hold personal data) and a wall-clock timeout after which the parent kills it;
* **reports** progress: the child writes one JSON line per step on its standard output (prefixed
  ``@@casewatch``; anything else the child prints goes to standard error), the parent hands each
  step to a callback and returns the final outcome: published (with the load report), refused (with
  every file-level error: file, row, column, reason) or failed (killed, timed out, crashed).

The limits are set by the child itself as its first act, before it imports DuckDB or reads a byte
of the upload, rather than by ``preexec_fn``: the Python documentation warns that ``preexec_fn``
is not safe in a multi-threaded parent (the Streamlit server is one) and can deadlock the child.

Progress comes from the loader's own steps: in the child only, the functions ``load_extracts``
calls for each file (``stage_file``, ``check``) and for the whole load (``compute_stls``,
``compute_bail_ends``) are wrapped to write a progress line before they run, and DuckDB is told
a memory limit of half the address-space limit (so it fails with its own "out of memory" error
rather than at an arbitrary allocation). Nothing else about the loader changes; if the loader is
refactored, ``tests/app/test_data_page.py`` notices that the per-file steps no longer arrive.

The store's writer lock still serialises loads (two uploads at once: the second waits), and a load
that is killed publishes nothing; the parent then records the attempt itself, since the loader
could not (``Store.record_attempt``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pickle
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

PREFIX = "@@casewatch "
ALLOWED_SUFFIXES = (".csv", ".xlsx")
MAX_NAME_LENGTH = 100
ROOT = Path(__file__).resolve().parent.parent

Progress = Callable[[float, str], None]


class UploadRejected(ValueError):
    """An upload was refused before any loading (wrong file type, empty, no files)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of the load process (from ``Settings``; see casewatch.example.toml)."""

    memory_mb: int = 8192
    cpu_seconds: int = 900
    timeout_seconds: float = 900
    max_output_mb: int = 10240

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            memory_mb=int(settings.load_memory_mb),
            cpu_seconds=int(settings.load_cpu_seconds),
            timeout_seconds=float(settings.load_timeout_seconds),
            max_output_mb=int(settings.load_max_output_mb),
        )


@dataclass
class Outcome:
    """How a load ended. ``status``: published, refused or failed."""

    status: str
    report: dict[str, Any] | None = None
    """Published: the LoadReport as a dict (load_id, generation, files: per-file counts)."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    """Refused: every file-level error as {file, row, column, reason, message}."""
    message: str = ""
    steps: list[str] = field(default_factory=list)
    """The progress messages received, in order."""

    @property
    def published(self) -> bool:
        return self.status == "published"


# -- the upload spool --------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def safe_display_name(name: str, fallback: str = "upload") -> str:
    """The name a user gave an upload, made safe to show and to record (never used as a path):
    the last path component only, Unicode NFC, no control or bidirectional-override characters,
    spaces collapsed, at most ``MAX_NAME_LENGTH`` characters (keeping the extension)."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[\\/]", text)[-1]
    text = _CONTROL.sub("", text)
    text = re.sub(r"\s+", " ", text).strip().lstrip(".")
    if not text:
        return fallback
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 5:
            text = stem[: MAX_NAME_LENGTH - len(ext) - 2] + "…." + ext
        else:
            text = text[: MAX_NAME_LENGTH - 1] + "…"
    return text


def suffix_of(name: str) -> str:
    """The upload's extension, lower-cased, if it is one the loader reads; else UploadRejected."""
    suffix = Path(safe_display_name(name)).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadRejected(
            f"{safe_display_name(name)}: only CSV and XLSX extracts can be loaded "
            f"(not {suffix or 'a file with no extension'})"
        )
    return suffix


def unique_names(names: Sequence[str]) -> list[str]:
    """Display names made unique within one load ('a.csv', 'a (2).csv'): the loader records rows
    by file name, so two files of one load must not share one."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        key = name.casefold()
        if key in seen:
            seen[key] += 1
            p = Path(name)
            name = f"{p.stem} ({seen[key]}){p.suffix}"
        else:
            seen[key] = 1
        out.append(name)
    return out


@contextlib.contextmanager
def spooled(
    uploads: Sequence[tuple[str, bytes | IO[bytes]]], parent: str | None = None
) -> Iterator[list[tuple[Path, str]]]:
    """Write uploads ``(name, bytes or binary file)`` into a new private folder and yield
    ``(path, display name)`` pairs; the folder and everything in it is deleted on exit.

    The folder is created with mode 0700 and each file with 0600, under generated names. Wrong
    file types and empty files are refused (UploadRejected) before anything is written.
    """
    if not uploads:
        raise UploadRejected("no files were uploaded")
    names = unique_names([safe_display_name(n, f"upload-{i + 1}") for i, (n, _) in enumerate(uploads)])
    suffixes = [suffix_of(n) for n in names]
    folder = Path(tempfile.mkdtemp(prefix="casewatch-upload-", dir=parent))
    try:
        os.chmod(folder, 0o700)
        out = []
        for i, ((_, content), name, suffix) in enumerate(zip(uploads, names, suffixes, strict=True)):
            path = folder / f"upload-{i + 1}{suffix}"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                if isinstance(content, (bytes, bytearray, memoryview)):
                    fh.write(content)
                else:
                    if hasattr(content, "seek"):
                        content.seek(0)
                    shutil.copyfileobj(content, fh, 1 << 20)
            if path.stat().st_size == 0:
                raise UploadRejected(f"{name}: the file is empty")
            out.append((path, name))
        yield out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- the parent side -----------------------------------------------------------------------------------
def _encode_settings(settings: Any) -> str:
    # Page sections are not needed by the loader; the rest is plain data (paths, numbers, tuples).
    return base64.b64encode(pickle.dumps(replace(settings, sections={}))).decode("ascii")


def run_load(
    paths: Sequence[Path],
    names: Sequence[str],
    settings: Any,
    limits: Limits,
    on_progress: Progress | None = None,
    *,
    kind: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    actor: str = "system",
    role: str | None = None,
) -> Outcome:
    """Load ``paths`` (recorded as ``names``) into ``settings.store_dir`` in a child process.

    Calls ``on_progress(fraction, message)`` on the caller's thread for each step. Never raises for
    a bad file: the outcome says what happened. ``now`` is only used to time-stamp the attempt log
    entry the parent writes when the child dies without a word (timeout, resource limit, crash).
    """
    request = {
        "paths": [str(p) for p in paths],
        "names": list(names),
        "kind": kind,
        "actor": actor,
        "role": role,
        "settings": _encode_settings(settings),
        "limits": asdict(limits),
    }
    started = now()
    # One maths-library thread: each extra OpenBLAS/OpenMP thread reserves memory up front, which
    # counts against the address-space limit for no benefit here.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "data_loaders.subprocess_load"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=ROOT, env=env, start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    # Standard error is drained (so the child never blocks on a full pipe) but not shown or logged:
    # a traceback can quote values from the file, which are personal data.

    def pump_out() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(None)

    def pump_err() -> None:
        assert proc.stderr is not None
        for _ in proc.stderr:
            pass

    threads = [threading.Thread(target=pump_out, daemon=True), threading.Thread(target=pump_err, daemon=True)]
    for t in threads:
        t.start()
    try:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(request).encode("utf-8"))
        proc.stdin.close()
    except BrokenPipeError:
        pass

    steps: list[str] = []
    deadline = time.monotonic() + limits.timeout_seconds
    try:
        outcome, timed_out = _follow(proc, lines, steps, deadline, on_progress)
    except BaseException:
        # The caller stopped listening (in Streamlit: the viewer reran or left the page while the
        # load ran, which raises inside ``on_progress``). The uploaded files are about to be
        # deleted, so the load is abandoned rather than left running unwatched. (If it had already
        # published, the loader recorded that and there is nothing to add.)
        proc.kill()
        proc.wait()
        if not (steps and steps[-1] == "Published"):
            _record_killed(settings, names, started, "the load was interrupted (the page was rerun or left)")
        raise
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    for t in threads:
        t.join(timeout=5)
    if outcome is None:
        if timed_out:
            message = f"the load took longer than {limits.timeout_seconds:g} seconds and was stopped"
        else:
            message = _death_message(code, limits)
        outcome = Outcome("failed", message=message)
        _record_killed(settings, names, started, message)
    outcome.steps = steps
    return outcome


def _follow(
    proc: subprocess.Popen,
    lines: queue.Queue[str | None],
    steps: list[str],
    deadline: float,
    on_progress: Progress | None,
) -> tuple[Outcome | None, bool]:
    """Read the child's protocol lines until it closes its output or the deadline passes (then kill
    it). Returns (final outcome or None, timed out)."""
    outcome = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            proc.kill()
            return outcome, True
        try:
            line = lines.get(timeout=min(remaining, 0.25))
        except queue.Empty:
            continue
        if line is None:
            return outcome, False
        if not line.startswith(PREFIX):
            continue
        try:
            msg = json.loads(line[len(PREFIX):])
        except json.JSONDecodeError:
            continue
        event = msg.get("event")
        if event == "progress":
            text = str(msg.get("message", ""))
            steps.append(text)
            if on_progress is not None:
                on_progress(max(0.0, min(1.0, float(msg.get("fraction", 0.0)))), text)
        elif event in ("published", "refused", "failed"):
            outcome = Outcome(event, report=msg.get("report"), errors=list(msg.get("errors") or ()),
                              message=str(msg.get("message", "")))


def _death_message(code: int | None, limits: Limits) -> str:
    import signal

    if code is not None and code < 0:
        sig = -code
        if sig == signal.SIGXCPU:
            return f"the load used more than {limits.cpu_seconds} seconds of processor time and was stopped"
        if sig == signal.SIGXFSZ:
            return f"the load tried to write a file larger than {limits.max_output_mb} MB and was stopped"
        if sig == signal.SIGKILL:
            return "the load process was killed (out of memory?)"
        return f"the load process ended on signal {signal.Signals(sig).name}"
    return (f"the load process ended unexpectedly (exit status {code}); it may have run out of memory "
            f"(limit {limits.memory_mb} MB)")


def _record_killed(settings: Any, names: Sequence[str], started: datetime, message: str) -> None:
    from core.store import Store

    try:
        Store(settings.store_dir).record_attempt(
            {"at": started.isoformat(), "files": list(names), "status": "failed", "errors": [message]}
        )
    except OSError:
        pass


def load_uploads(
    uploads: Sequence[tuple[str, bytes | IO[bytes]]],
    settings: Any,
    limits: Limits | None = None,
    on_progress: Progress | None = None,
    *,
    kind: str | None = None,
    actor: str = "system",
    role: str | None = None,
) -> Outcome:
    """Spool ``uploads`` privately, load them in a limited child process, delete the spool.
    A refused upload (wrong type, empty) comes back as a refused outcome naming the file."""
    limits = limits or Limits.from_settings(settings)
    try:
        with spooled(uploads) as files:
            if on_progress is not None:
                on_progress(0.0, f"Received {len(files)} file(s); starting the load process")
            return run_load([p for p, _ in files], [n for _, n in files], settings, limits, on_progress, kind=kind,
                            actor=actor, role=role)
    except UploadRejected as exc:
        name, _, reason = str(exc).partition(": ")
        if not reason:
            name, reason = "", str(exc)
        return Outcome("refused", errors=[{"file": name, "row": None, "column": None, "reason": reason,
                                           "message": str(exc)}], message=str(exc))


# -- the child side ----------------------------------------------------------------------------------
def _apply_limits(limits: dict[str, Any]) -> None:
    import resource

    mb = 1024 * 1024

    def set_limit(which: int, soft: int, hard: int | None = None) -> None:
        _, current_hard = resource.getrlimit(which)
        hard = soft if hard is None else hard
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        resource.setrlimit(which, (soft, hard))

    set_limit(resource.RLIMIT_CORE, 0)
    set_limit(resource.RLIMIT_AS, int(limits["memory_mb"]) * mb)
    cpu = int(limits["cpu_seconds"])
    set_limit(resource.RLIMIT_CPU, cpu, cpu + 5)  # SIGXCPU at the soft limit, SIGKILL 5 s later
    set_limit(resource.RLIMIT_FSIZE, int(limits["max_output_mb"]) * mb)


class _Reporter:
    def __init__(self, out: IO[str], total_files: int):
        self.out = out
        self.total = 2 * total_files + 4  # read + check per file; time limits, bail, publish, done
        self.done = 0

    def send(self, event: str, **payload: Any) -> None:
        self.out.write(PREFIX + json.dumps({"event": event, **payload}, default=str) + "\n")
        self.out.flush()

    def step(self, message: str) -> None:
        self.send("progress", fraction=round(min(self.done / self.total, 0.99), 3), message=message)
        self.done += 1


def _instrument(reporter: _Reporter, n_files: int) -> None:
    """Wrap the loader's steps (in this child process only) so each reports progress first."""
    from data_loaders import load

    counter = {"read": 0, "check": 0}
    stage_file, check = load.stage_file, load.check
    compute_stls, compute_bail_ends = load.compute_stls, load.compute_bail_ends

    def staged(con, path, table, *args, **kwargs):
        counter["read"] += 1
        name = kwargs.get("display_name") or Path(path).name
        reporter.step(f"Reading file {counter['read']} of {n_files}: {name}")
        return stage_file(con, path, table, *args, **kwargs)

    def checked(con, staged_file, *args, **kwargs):
        counter["check"] += 1
        reporter.step(f"Checking file {counter['check']} of {n_files}: {staged_file.file_name}")
        return check(con, staged_file, *args, **kwargs)

    def stls(*args, **kwargs):
        reporter.step("Working out statutory time limits")
        return compute_stls(*args, **kwargs)

    def bail(*args, **kwargs):
        reporter.step("Working out pre-charge bail end dates")
        result = compute_bail_ends(*args, **kwargs)
        reporter.step("Writing the load log and publishing the new data")
        return result

    load.stage_file, load.check, load.compute_stls, load.compute_bail_ends = staged, checked, stls, bail


def _bound_duckdb(memory_mb: int) -> None:
    """Tell DuckDB (in this child only) to stay within half the address-space limit, so it spills
    or fails with its own 'out of memory' error instead of hitting the hard limit mid-allocation."""
    import duckdb

    real_connect = duckdb.connect
    limit = f"{max(256, int(memory_mb) // 2)}MB"

    def connect(database: Any = ":memory:", read_only: bool = False, config: dict | None = None, **kwargs: Any):
        config = dict(config or {})
        config.setdefault("memory_limit", limit)
        return real_connect(database, read_only=read_only, config=config, **kwargs)

    duckdb.connect = connect


def child_main(stdin: IO[str] | None = None) -> int:
    """The child process: read the request, limit itself, load, report. Exit 0 published,
    2 refused, 1 failed."""
    # Keep the real standard output for protocol lines only; anything else printed (by a library,
    # even from C) goes to standard error.
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    request = json.loads((stdin or sys.stdin).read())
    _apply_limits(request["limits"])
    reporter = _Reporter(proto, len(request["paths"]))
    # Some of the loader's first checks (file type, encoding) name the file on disk: map the
    # generated spool names back to the names the user gave.
    names = {Path(p).name: n for p, n in zip(request["paths"], request["names"], strict=True)}
    try:
        settings = pickle.loads(base64.b64decode(request["settings"]))
        reporter.step("Waiting for the store (another load may be running)")
        from data_loaders.load import LoadError, load_extracts
        from data_loaders.read import ExtractError

        _bound_duckdb(request["limits"]["memory_mb"])
        _instrument(reporter, len(request["paths"]))
        report = load_extracts(request["paths"], settings, kind=request.get("kind"),
                               display_names=request["names"], actor=request.get("actor") or "system",
                               role=request.get("role"))
    except LoadError as exc:
        reporter.send("refused", errors=[_error_dict(e, names) for e in exc.errors],
                      message="the load was refused; nothing was published")
        return 2
    except ExtractError as exc:
        reporter.send("refused", errors=[_error_dict(exc, names)],
                      message="the load was refused; nothing was published")
        return 2
    except MemoryError:
        reporter.send("failed", message=f"the load ran out of memory (limit {request['limits']['memory_mb']} MB)")
        return 1
    except Exception as exc:  # noqa: BLE001 - any other failure is reported, never raised into the server
        text = str(exc).splitlines()[0][:300] if str(exc) else ""
        if "out of memory" in text.lower() or "could not allocate" in text.lower():
            text = f"ran out of memory (limit {request['limits']['memory_mb']} MB): {text}"
        reporter.send("failed", message=f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
        return 1
    reporter.done = reporter.total
    reporter.send("progress", fraction=1.0, message="Published")
    reporter.send("published", report=asdict(report))
    return 0


def _error_dict(err: Any, names: dict[str, str]) -> dict[str, Any]:
    file = getattr(err, "file", None)
    message = str(err)
    if file in names:
        message = message.replace(f"file {file}", f"file {names[file]}", 1)
        file = names[file]
    return {
        "file": file,
        "row": getattr(err, "row", None),
        "column": getattr(err, "column", None),
        "reason": getattr(err, "reason", None) or str(err),
        "message": message,
    }


if __name__ == "__main__":
    sys.exit(child_main())
