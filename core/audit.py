"""The audit log: an append-only, hash-chained record of who did what with the personal data.

Why
---
Casewatch processes personal data for law enforcement, so it is an automated processing system
under the Data Protection Act 2018 Part 3, and s.62(1) requires logs of at least **collection,
alteration, consultation, disclosure (including transfers), combination and erasure**. s.62(2)-(3)
say a consultation or disclosure log must make it possible to establish the date and time and, so
far as possible, the identity of the person, and for a disclosure the identity of the recipients
(the Data (Use and Access) Act 2025 s.82 removed the requirement to log the justification, so
``purpose`` is optional; reliability.md O1, O2). The ICO ("Logging for law enforcement
purposes", Nov 2025) adds that users must not be able to alter the log and that an erasure log
must not record the erased data itself (O5). NCSC and MoJ guidance add authentication events and
UTC timestamps (O13). Tests SC-16 to SC-18 and FT-15/FT-16 of reliability.md check this module.

What a record is
----------------
One JSON object per line (JSON Lines) with the keys

==========  ==================================================================================
``v``       record format version (1)
``seq``     1, 2, 3 ... with no gaps
``ts``      when it happened, UTC, ``2026-11-24T10:15:00.000000Z``
``actor``   the user's stable id (Entra ``oid``, else the OIDC ``sub``/e-mail; see core.access)
``role``    the role the user acted in (``null`` for a user who maps to no role)
``action``  one of :data:`ACTIONS`
``what``    the page, export, file or purge the action was about
``details`` filters, scope, purpose, recipient, row counts ... (an object; never the personal
            data values themselves)
``prev_hash`` the ``hash`` of the record before it (64 zeros for the first)
``hash``    SHA-256 of the canonical JSON of every other key (``prev_hash`` included)
==========  ==================================================================================

Canonical JSON = keys sorted, no spaces, UTF-8, no NaN. Because each hash covers the previous
one, editing, deleting, inserting or reordering a line breaks the chain at that point. Cutting
records off the *end* leaves a valid chain, so the writer also keeps a **head file** beside the
log (``audit.jsonl.head``: the last ``seq`` and ``hash``); :func:`verify` compares the two.

How it is written
-----------------
The log lives in its own folder, outside the store's data generations (default
``var/audit/audit.jsonl``), so a retention purge or a new load never touches it. Each record is
appended under an exclusive ``flock`` on the log file (so several server processes, the CLI and a
scheduled loader can write safely), with ``O_APPEND`` and one ``write`` per line, then ``fsync``ed
before the head file is replaced atomically. The writer checks that the log's last line matches
the head before it writes, and refuses (:class:`AuditError`) when it does not: a caller must
then *fail closed* (show no personal data) because the action cannot be logged (FT-15).

The application never rewrites or deletes records; there is no update path in this module.
This module is pure Python (no Streamlit); the clock is only read when the caller passes no ``now``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

VERSION = 1
GENESIS = "0" * 64
"""``prev_hash`` of the first record."""

ACTIONS = ("consult", "disclose", "collect", "alter", "combine", "erase", "deny", "sign_in", "sign_out")
"""The audited actions. The first six are the s.62(1) operations (consultation, disclosure,
collection, alteration, combination, erasure); ``deny`` is a refused access (an out-of-scope or
unmapped user), ``sign_in``/``sign_out`` are authentication events (NCSC logging guidance)."""

S62_OPERATION = {
    "consult": "consultation",
    "disclose": "disclosure",
    "collect": "collection",
    "alter": "alteration",
    "combine": "combination",
    "erase": "erasure",
}
"""Each s.62(1) operation and the action that logs it."""

ERASE_DETAIL_KEYS = frozenset({
    "reason", "policy", "rule", "rows", "counts", "tables", "generations", "files", "older_than",
    "cutoff", "store", "records",
})
"""The only ``details`` keys an erasure record may carry: what kind of thing was erased, how many
and why, never the erased values (ICO: do not record the erased data itself; SC-18). ``records``
and ``rows`` are counts."""

FIELDS = ("v", "seq", "ts", "actor", "role", "action", "what", "details", "prev_hash", "hash")


class AuditError(RuntimeError):
    """The audit log cannot be written (or a record is invalid). Fail closed: do not show or
    release personal data whose consultation or disclosure could not be logged."""


# -- canonical form -------------------------------------------------------------------------
def canonical(obj: Any) -> str:
    """The canonical JSON text the hash is computed over (sorted keys, no spaces, no NaN)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``record`` without its ``hash`` key."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """``value`` as plain JSON data: dates as ISO text, tuples and sets as lists, dataclasses as
    objects; anything else that JSON cannot hold is refused (so the stored line hashes the same
    when it is read back)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditError(f"audit details cannot hold {value!r}")
        return value
    if isinstance(value, datetime):
        return _utc_text(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar (a pandas count)
        return _plain(value.item())
    raise AuditError(f"audit details cannot hold a {type(value).__name__}")


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AuditError("audit timestamps must be timezone-aware (UTC); got a naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    """A record's ``ts`` as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def scope_details(scope: Any) -> dict[str, Any]:
    """A ``core.scope.Scope`` as audit details: the forces, teams and officers it allows
    (``None`` = all of them within the forces)."""
    return {"forces": list(scope.forces), "teams": None if scope.teams is None else list(scope.teams),
            "officers": None if scope.officers is None else list(scope.officers)}


def _check(actor: str, role: str | None, action: str, what: str, details: dict[str, Any]) -> None:
    if action not in ACTIONS:
        raise AuditError(f"unknown audit action {action!r} (one of {', '.join(ACTIONS)})")
    if not isinstance(actor, str) or not actor.strip():
        raise AuditError("an audit record needs the actor's user id")
    if role is not None and not isinstance(role, str):
        raise AuditError("the role must be text or None")
    if not isinstance(what, str) or not what.strip():
        raise AuditError("an audit record needs 'what' (the page, export, file or purge)")
    if action == "disclose":
        recipient = details.get("recipient")
        if not recipient or not (isinstance(recipient, str) or isinstance(recipient, list)):
            raise AuditError("a disclosure record needs details['recipient'] (DPA 2018 s.62(3)(b))")
    if action == "erase":
        extra = set(details) - ERASE_DETAIL_KEYS
        if extra:
            raise AuditError(
                f"an erasure record may not hold {', '.join(sorted(extra))}: only "
                f"{', '.join(sorted(ERASE_DETAIL_KEYS))} (counts and kinds, never the erased data)")
        for key in ("rows", "records"):
            if key in details and not isinstance(details[key], int):
                raise AuditError(f"erasure details[{key!r}] must be a count")
        counts = details.get("counts", {})
        if not isinstance(counts, dict) or not all(isinstance(v, int) for v in counts.values()):
            raise AuditError("erasure details['counts'] must map names to counts")


# -- head file and tail ---------------------------------------------------------------------
def head_path(path: Path) -> Path:
    return path.with_name(path.name + ".head")


def _read_head(path: Path) -> dict[str, Any] | None:
    """The head file's ``{"seq", "hash"}``; None when it does not exist."""
    try:
        text = head_path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        head = json.loads(text)
        if not isinstance(head.get("seq"), int) or not isinstance(head.get("hash"), str):
            raise ValueError
    except (ValueError, AttributeError):
        raise AuditError(f"the audit head file {head_path(path)} is unreadable") from None
    return head


def _write_head(path: Path, seq: int, digest: str) -> None:
    target = head_path(path)
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, (canonical({"seq": seq, "hash": digest}) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    dfd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _last_line(fd: int, size: int) -> bytes:
    """The file's last line (with its newline, if it has one), read backwards from the end."""
    chunk = 8192
    end = size
    buf = b""
    while end > 0:
        start = max(0, end - chunk)
        buf = os.pread(fd, end - start, start) + buf
        end = start
        # the last line starts after the last newline that is not the final byte
        cut = buf.rfind(b"\n", 0, len(buf) - 1)
        if cut >= 0:
            return buf[cut + 1:]
        chunk *= 2
    return buf


def _parse(raw: bytes) -> dict[str, Any]:
    record = json.loads(raw.decode("utf-8"))
    if not isinstance(record, dict) or set(record) != set(FIELDS):
        raise ValueError("not an audit record")
    if not isinstance(record["seq"], int) or not isinstance(record["hash"], str):
        raise ValueError("not an audit record")
    return record


# -- writing --------------------------------------------------------------------------------
@contextlib.contextmanager
def _locked(path: Path, flags: int, lock: int) -> Iterator[int]:
    fd = os.open(path, flags, 0o640)
    try:
        fcntl.flock(fd, lock)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


class AuditLog:
    """The audit log at ``path`` (its head file sits beside it).

    ``clock`` gives the time when a caller passes no ``now`` (tests inject a fixed clock)."""

    def __init__(self, path: str | os.PathLike[str], clock: Callable[[], datetime] | None = None):
        self.path = Path(path)
        self.clock = clock or (lambda: datetime.now(UTC))

    def record(
        self,
        actor: str,
        role: str | None,
        action: str,
        what: str,
        details: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Append one record and return it. Raises :class:`AuditError` when the record is invalid
        or the log cannot be written, or when the log's end does not match its head file (it was
        truncated or edited: run ``python cli.py audit verify``)."""
        plain = _plain(dict(details or {}))
        _check(actor, role, action, what, plain)
        ts = _utc_text(now if now is not None else self.clock())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            with _locked(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, fcntl.LOCK_EX) as fd:
                seq, prev = self._tail(fd)
                rec = {"v": VERSION, "seq": seq + 1, "ts": ts, "actor": actor, "role": role,
                       "action": action, "what": what, "details": plain, "prev_hash": prev}
                rec["hash"] = record_hash(rec)
                line = (canonical(rec) + "\n").encode("utf-8")
                written = os.write(fd, line)
                if written != len(line):
                    raise AuditError(f"short write to the audit log {self.path}")
                os.fsync(fd)
                _write_head(self.path, rec["seq"], rec["hash"])
        except OSError as exc:
            raise AuditError(f"cannot write the audit log {self.path}: {exc}") from exc
        return rec

    def _tail(self, fd: int) -> tuple[int, str]:
        """The last record's seq and hash, after checking that the log ends where its head file
        says (or one record later: a writer interrupted between the log and the head)."""
        head = _read_head(self.path)
        size = os.fstat(fd).st_size
        if size == 0:
            if head is not None and head["seq"] != 0:
                raise AuditError(f"the audit log {self.path} is empty but its head file records seq "
                                 f"{head['seq']}: records were removed (run 'cli.py audit verify')")
            return 0, GENESIS
        raw = _last_line(fd, size)
        try:
            if not raw.endswith(b"\n"):
                raise ValueError("incomplete last line")
            last = _parse(raw)
        except ValueError:
            raise AuditError(f"the audit log {self.path} ends with an unreadable or incomplete line "
                             "(run 'cli.py audit verify')") from None
        if record_hash(last) != last["hash"]:
            raise AuditError(f"the last record of the audit log {self.path} was altered "
                             "(run 'cli.py audit verify')")
        if head is None:
            raise AuditError(f"the audit head file {head_path(self.path)} is missing "
                             "(run 'cli.py audit verify')")
        if (last["seq"], last["hash"]) == (head["seq"], head["hash"]):
            return last["seq"], last["hash"]
        if last["seq"] == head["seq"] + 1 and last["prev_hash"] == head["hash"]:
            return last["seq"], last["hash"]  # the head update of the last write was interrupted
        raise AuditError(f"the audit log {self.path} ends at seq {last['seq']} but its head file "
                         f"records seq {head['seq']} (run 'cli.py audit verify')")


def record(path: str | os.PathLike[str], actor: str, role: str | None, action: str, what: str,
           details: Mapping[str, Any] | None = None, *, now: datetime | None = None) -> dict[str, Any]:
    """Append one record to the log at ``path`` (see :meth:`AuditLog.record`)."""
    return AuditLog(path).record(actor, role, action, what, details, now=now)


# -- reading --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Break:
    """The first place the chain cannot be verified."""

    seq: int | None
    """The first seq that cannot be trusted (the position in the chain where it breaks)."""
    line: int | None
    """1-based line of the log where the break was found."""
    kind: str
    """edited, deleted, reordered, duplicated, chain, unreadable, truncated, head_missing,
    head_mismatch."""
    reason: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    """Records that verified, in order, before any break."""
    last_seq: int
    last_hash: str
    broken: Break | None = None
    note: str = ""


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as fh:
        yield from enumerate(fh, 1)


def _seq_later(path: Path, after_line: int, seq: int) -> int | None:
    """The line at which ``seq`` appears after ``after_line``, if it does."""
    for lineno, raw in _lines(path):
        if lineno <= after_line:
            continue
        try:
            if _parse(raw)["seq"] == seq:
                return lineno
        except ValueError:
            continue
    return None


def verify(path: str | os.PathLike[str]) -> Verification:
    """Walk the chain of the log at ``path`` and report the first broken link.

    Detects an edited record (its hash no longer matches), a deleted record (a gap in ``seq``), a
    reordered or duplicated record, a record edited and re-hashed (the next record's ``prev_hash``
    no longer matches), an unreadable or torn line, and records cut off the end (the head file
    records a later seq). A head file exactly one record behind is accepted: that is a writer
    interrupted between appending the record and updating the head (the next write repairs it).
    """
    path = Path(path)
    if not path.exists():
        head = _read_head(path)
        if head is None or head["seq"] == 0:
            return Verification(True, 0, 0, GENESIS, note="no audit records yet")
        return Verification(False, 0, 0, GENESIS, Break(1, 1, "truncated",
                            f"the log file is missing but its head file records seq {head['seq']}"))
    with _locked(path, os.O_RDONLY, fcntl.LOCK_SH):
        return _verify_locked(path)


def _verify_locked(path: Path) -> Verification:
    expected, prev, before_prev = 1, GENESIS, GENESIS
    lineno = 0

    def fail(kind: str, reason: str, seq: int | None = None, line: int | None = None) -> Verification:
        return Verification(False, expected - 1, expected - 1, prev,
                            Break(expected if seq is None else seq, lineno if line is None else line, kind, reason))

    for lineno, raw in _lines(path):
        if not raw.endswith(b"\n"):
            return fail("truncated", "the last line is incomplete (a torn write or a cut file)")
        try:
            rec = _parse(raw)
        except ValueError:
            return fail("unreadable", "the line is not an audit record")
        if record_hash(rec) != rec["hash"]:
            return fail("edited", f"the record's content does not match its hash (it claims seq {rec['seq']})")
        if rec["seq"] > expected:
            later = _seq_later(path, lineno, expected)
            if later is not None:
                return fail("reordered", f"seq {rec['seq']} comes before seq {expected}, which is at line {later}")
            missing = f"{expected}" if rec["seq"] == expected + 1 else f"{expected} to {rec['seq'] - 1}"
            return fail("deleted", f"record(s) {missing} are missing (the next line holds seq {rec['seq']})")
        if rec["seq"] < expected:
            return fail("duplicated", f"seq {rec['seq']} appears again after seq {expected - 1}")
        if rec["prev_hash"] != prev:
            return fail("chain", "the record does not link to the one before it (that record was altered "
                                 "and re-hashed, or this one was inserted)")
        before_prev, prev = prev, rec["hash"]
        expected += 1
    last_seq = expected - 1
    head = _read_head(path)
    after = lineno + 1
    if head is None:
        if last_seq == 0:
            return Verification(True, 0, 0, GENESIS, note="no audit records yet")
        return Verification(False, last_seq, last_seq, prev, Break(None, None, "head_missing",
                            f"the head file {head_path(path).name} is missing, so a cut tail cannot be ruled out"))
    if head["seq"] > last_seq:
        return Verification(False, last_seq, last_seq, prev, Break(
            last_seq + 1, after, "truncated",
            f"the log ends at seq {last_seq} but its head file records seq {head['seq']}: "
            f"record(s) {last_seq + 1} to {head['seq']} were removed"))
    if head["seq"] == last_seq and head["hash"] == prev:
        return Verification(True, last_seq, last_seq, prev)
    if head["seq"] == last_seq - 1 and head["hash"] == before_prev:
        return Verification(True, last_seq, last_seq, prev,
                            note="the head file is one record behind (an interrupted write; the next record repairs it)")
    if head["seq"] == last_seq:
        return Verification(False, last_seq, last_seq, prev, Break(
            last_seq, lineno, "head_mismatch", f"the hash of seq {last_seq} does not match the head file"))
    return Verification(False, last_seq, last_seq, prev, Break(
        head["seq"] + 1, head["seq"] + 1, "head_mismatch",
        f"the head file records seq {head['seq']} but the log continues to seq {last_seq}: records after "
        f"seq {head['seq']} were not written through the audit writer"))


def search(
    path: str | os.PathLike[str],
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    what: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Records of the log at ``path`` in seq order, filtered: ``actor`` exactly (ignoring case),
    ``action`` exactly, ``since`` <= ts < ``until`` (aware datetimes), ``what`` as a substring
    (ignoring case); at most ``limit`` (the latest ones). Unreadable lines are skipped: ``verify``
    reports them. Searching does not check the chain."""
    if action is not None and action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r} (one of {', '.join(ACTIONS)})")
    for bound in (since, until):
        if bound is not None and (bound.tzinfo is None or bound.utcoffset() is None):
            raise ValueError("since/until must be timezone-aware")
    path = Path(path)
    if not path.exists():
        return []
    found: list[dict[str, Any]] = []
    actor_key = actor.casefold() if actor else None
    what_key = what.casefold() if what else None
    with _locked(path, os.O_RDONLY, fcntl.LOCK_SH):
        for _, raw in _lines(path):
            try:
                rec = _parse(raw)
                ts = parse_ts(rec["ts"])
            except (ValueError, TypeError):
                continue
            if actor_key is not None and str(rec["actor"]).casefold() != actor_key:
                continue
            if action is not None and rec["action"] != action:
                continue
            if since is not None and ts < since:
                continue
            if until is not None and ts >= until:
                continue
            if what_key is not None and what_key not in str(rec["what"]).casefold():
                continue
            found.append(rec)
    return found[-limit:] if limit else found
