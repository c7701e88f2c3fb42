"""Loading extracts into the store: stage, check, compute STLs, publish a new generation.

``load_extracts`` is the one entry point (the command line, the tests and later the Data page all
call it). A load takes one or more files and publishes all of them or none:

1. the published generation is copied to a private temporary file;
2. each file is staged and checked (``read.py``, ``validate.py``); a file-level problem (cannot
   decode, no header, a required column missing, too many unusable rows) stops the whole load;
3. for each extract kind, the rows of every force present in the new files replace that force's
   rows (an extract is a full snapshot of a force's open work);
4. statutory time limits are computed once here, per offence row, by ``core.stl``;
5. the load log gets a row per file (name, SHA-256, rows read / loaded / quarantined / skipped);
6. the temporary file is checkpointed, closed, reopened read-only and published.

Rows read always equal rows loaded plus rows quarantined, or the load fails.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from core import derived
from core.config import Settings
from core.store import Store
from data_loaders.contract import CASE_FILES, CUSTODY, EXTRACTS
from data_loaders.read import ExtractError, read_mapping_file, stage_file
from data_loaders.validate import check, table_ddl

SCHEMA_VERSION = "1"

CASE_DERIVED = """,
    offence_title_ref VARCHAR, mode_of_trial_resolved VARCHAR, urn_valid BOOLEAN,
    stl_date DATE, stl_rule VARCHAR, stl_source VARCHAR, stl_alt_date DATE, stl_long_stop_date DATE,
    stl_extendable BOOLEAN, stl_note VARCHAR, stl_last_working_day DATE"""
CUSTODY_DERIVED = """,
    urn_valid BOOLEAN, bail_end_date DATE"""

BASE_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS load_log (
        load_id BIGINT, file_name VARCHAR, sha256 VARCHAR, kind VARCHAR, format VARCHAR,
        encoding VARCHAR, sheet VARCHAR, forces VARCHAR[], rows_read BIGINT, rows_loaded BIGINT,
        rows_quarantined BIGINT, rows_skipped BIGINT, warnings BIGINT, ignored_columns VARCHAR[],
        started_at TIMESTAMP, finished_at TIMESTAMP, generation VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        load_id BIGINT, file_name VARCHAR, src_row BIGINT, column_name VARCHAR, value VARCHAR,
        reason VARCHAR, raw_record VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS load_warning (
        load_id BIGINT, file_name VARCHAR, src_row BIGINT, column_name VARCHAR, value VARCHAR,
        reason VARCHAR)""",
    table_ddl(CUSTODY, "custody", CUSTODY_DERIVED),
    table_ddl(CASE_FILES, "case_offences", CASE_DERIVED),
]

URN_PATTERN = r"^\d{2}[A-Z0-9]{2}\d{5}(\d{2})?\d{2}$"


class LoadError(RuntimeError):
    """The load was refused; nothing was published. ``errors`` lists every file-level problem."""

    def __init__(self, errors: Sequence[ExtractError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in errors))


@dataclass
class FileReport:
    file_name: str
    kind: str
    sha256: str
    forces: list[str]
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_skipped: int
    warnings: int
    ignored_columns: list[str]
    format: str
    encoding: str | None
    sheet: str | None


@dataclass
class LoadReport:
    load_id: int
    generation: str
    files: list[FileReport] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _offence_index(settings: Settings):  # -> core.offences.OffenceIndex
    from core.offences import OffenceIndex

    index = OffenceIndex.bundled()
    if settings.offence_index is not None:
        index = OffenceIndex.from_csv(settings.offence_index).merged(index)
    return index


def compute_stls(con: duckdb.DuckDBPyConnection, table: str, settings: Settings) -> None:
    """Fill the derived STL columns of ``table`` (rows with ``stl_rule IS NULL``) using core.stl."""
    import pyarrow as pa

    from core.calendar import WorkingCalendar
    from core.stl import OffenceFacts, StlPolicy, offence_stl

    index = _offence_index(settings)
    calendar = WorkingCalendar(date.fromisoformat(d) for d in settings.extra_closures)
    policy = StlPolicy()
    _resolve_without_dates(con, table, index, policy)
    cols = (
        "rowid, offence_code, mode_of_trial, offence_start_date, offence_end_date, is_continuing, "
        "da_flag, victim_statement_date, vri_date, knowledge_date, value_gbp"
    )
    arrow = con.sql(f"SELECT {cols} FROM {table} WHERE stl_rule IS NULL").to_arrow_table()
    if arrow.num_rows == 0:
        return
    data = {name: arrow.column(name).to_pylist() for name in arrow.column_names}
    out: dict[str, list] = {k: [] for k in (
        "rid", "title", "mode", "stl_date", "rule", "source", "alt", "long_stop", "extendable", "note", "lwd",
    )}
    cache: dict[tuple, tuple] = {}
    for i, rid in enumerate(data["rowid"]):
        value = data["value_gbp"][i]
        key = (
            data["offence_code"][i], data["mode_of_trial"][i], data["offence_start_date"][i],
            data["offence_end_date"][i], data["is_continuing"][i], data["da_flag"][i],
            data["victim_statement_date"][i], data["vri_date"][i], data["knowledge_date"][i],
            None if value is None else float(value),
        )
        hit = cache.get(key)
        if hit is None:
            ref = index.lookup(key[0])
            facts = OffenceFacts(
                offence_code=key[0], mode_of_trial=key[1], offence_start_date=key[2], offence_end_date=key[3],
                is_continuing=key[4], da_flag=key[5], victim_statement_date=key[6], vri_date=key[7],
                knowledge_date=key[8], value_gbp=key[9],
            )
            r = offence_stl(facts, ref, policy)
            lwd = calendar.last_working_day_on_or_before(r.stl_date) if r.stl_date else None
            mode = r.mode_of_trial
            hit = (ref.title if ref else None, mode, r.stl_date, r.rule, r.source, r.alt_stl_date,
                   r.long_stop_date, r.extendable, r.note or None, lwd)
            if len(cache) < 200_000:
                cache[key] = hit
        out["rid"].append(rid)
        for name, v in zip(("title", "mode", "stl_date", "rule", "source", "alt", "long_stop", "extendable", "note", "lwd"), hit, strict=True):
            out[name].append(v)
    result = pa.table({
        "rid": pa.array(out["rid"], pa.int64()),
        "title": pa.array(out["title"], pa.string()),
        "mode": pa.array(out["mode"], pa.string()),
        "stl_date": pa.array(out["stl_date"], pa.date32()),
        "rule": pa.array(out["rule"], pa.string()),
        "source": pa.array(out["source"], pa.string()),
        "alt": pa.array(out["alt"], pa.date32()),
        "long_stop": pa.array(out["long_stop"], pa.date32()),
        "extendable": pa.array(out["extendable"], pa.bool_()),
        "note": pa.array(out["note"], pa.string()),
        "lwd": pa.array(out["lwd"], pa.date32()),
    })
    con.register("__stl", result)
    try:
        con.execute(
            f"""UPDATE {table} SET offence_title_ref = s.title, mode_of_trial_resolved = s.mode,
                   stl_date = s.stl_date, stl_rule = s.rule, stl_source = s.source, stl_alt_date = s.alt,
                   stl_long_stop_date = s.long_stop, stl_extendable = s.extendable, stl_note = s.note,
                   stl_last_working_day = s.lwd
                FROM __stl s WHERE {table}.rowid = s.rid"""
        )
    finally:
        con.unregister("__stl")


def _resolve_without_dates(con: duckdb.DuckDBPyConnection, table: str, index, policy) -> None:
    """Settle, per distinct (offence code, extract mode of trial), the rows whose outcome cannot
    depend on their dates: offences with no statutory limit and no special rule. The engine is
    asked once per pair (with and without an offence date) and the answer written to every such
    row in one UPDATE, so the per-row loop only sees offences that have a time limit to compute.
    """
    import pyarrow as pa

    from core.stl import NO_STATUTORY_LIMIT, OffenceFacts, offence_stl

    pairs = con.execute(
        f"SELECT DISTINCT offence_code, mode_of_trial FROM {table} WHERE stl_rule IS NULL"
    ).fetchall()
    settled = []
    for code, mode in pairs:
        ref = index.lookup(code)
        if ref is not None and ref.special_rule != "NONE":
            continue
        dated = offence_stl(OffenceFacts(code, mode, offence_start_date=date(2000, 1, 1)), ref, policy)
        undated = offence_stl(OffenceFacts(code, mode), ref, policy)
        if dated.rule != NO_STATUTORY_LIMIT or dated != undated:
            continue
        settled.append((code, mode, ref.title if ref else None, dated))
    if not settled:
        return
    fast = pa.table({
        "code": pa.array([c for c, _, _, _ in settled], pa.string()),
        "mode": pa.array([m for _, m, _, _ in settled], pa.string()),
        "title": pa.array([t for _, _, t, _ in settled], pa.string()),
        "resolved": pa.array([r.mode_of_trial for *_, r in settled], pa.string()),
        "rule": pa.array([r.rule for *_, r in settled], pa.string()),
        "source": pa.array([r.source for *_, r in settled], pa.string()),
        "note": pa.array([r.note or None for *_, r in settled], pa.string()),
        "extendable": pa.array([r.extendable for *_, r in settled], pa.bool_()),
    })
    con.register("__fast_stl", fast)
    try:
        con.execute(
            f"""UPDATE {table} SET offence_title_ref = f.title, mode_of_trial_resolved = f.resolved,
                   stl_date = NULL, stl_rule = f.rule, stl_source = f.source, stl_alt_date = NULL,
                   stl_long_stop_date = NULL, stl_extendable = f.extendable, stl_note = f.note,
                   stl_last_working_day = NULL
                FROM __fast_stl f
                WHERE {table}.stl_rule IS NULL AND {table}.offence_code = f.code
                  AND {table}.mode_of_trial IS NOT DISTINCT FROM f.mode"""
        )
    finally:
        con.unregister("__fast_stl")


def compute_bail_ends(con: duckdb.DuckDBPyConnection) -> None:
    """Pre-charge bail end dates (R7) for custody rows with a bail disposal."""
    from core.stl import pre_charge_bail_end

    rows = con.execute(
        "SELECT rowid, CAST(arrest_datetime AS DATE), coalesce(bail_extension_level, 'INITIAL') "
        "FROM custody WHERE disposal = 'PRE_CHARGE_BAIL' AND bail_end_date IS NULL"
    ).fetchall()
    if not rows:
        return
    import pyarrow as pa

    ends = [pre_charge_bail_end(arrest, level) for _, arrest, level in rows]
    con.register("__bail", pa.table({"rid": [r[0] for r in rows], "end_date": pa.array(ends, pa.date32())}))
    try:
        con.execute("UPDATE custody SET bail_end_date = b.end_date FROM __bail b WHERE custody.rowid = b.rid")
    finally:
        con.unregister("__bail")


def _offence_fingerprint(settings: Settings) -> str:
    from core import offences

    h = hashlib.sha256()
    bundled = Path(offences.__file__).parent / "reference" / "offences.csv"
    for p in (bundled, settings.offence_index):
        if p is not None and Path(p).exists():
            h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


def load_extracts(
    paths: Sequence[str | Path],
    settings: Settings,
    *,
    now: datetime | None = None,
    kind: str | None = None,
    display_names: Sequence[str] | None = None,
    actor: str = "system",
    role: str | None = None,
) -> LoadReport:
    """Load extract files and publish them as one new generation, or raise LoadError.

    ``now`` is the load time recorded in the log (UTC; defaults to the current time — this is the
    only clock read, and it is record keeping, not a rule). ``kind`` forces the extract type;
    otherwise each file's header decides.

    The audit log (``settings.audit_file``; DPA 2018 s.62) gets one ``collect`` record per
    published load (who: ``actor``/``role``), one ``alter`` record when it replaces forces' rows
    already held, and one ``erase`` record when the retention rule deletes old loads. The
    collection is logged before the new generation is published: if the log cannot be written,
    nothing is published.
    """
    now = now or datetime.now(UTC)
    store = Store(settings.store_dir)
    extra = read_mapping_file(settings.column_mapping) if settings.column_mapping else None
    files = [Path(p) for p in paths]
    names = list(display_names) if display_names else [p.name for p in files]
    if not files:
        raise LoadError([ExtractError("(none)", "no files were given")])
    started = now
    with store.writer_lock():
        tmp, previous = store.begin(now)
        try:
            report = _build(tmp, files, names, settings, extra, kind, now, previous)
        except BaseException as exc:
            for leftover in tmp.parent.glob(tmp.name + "*"):
                leftover.unlink(missing_ok=True)
            errors = exc.errors if isinstance(exc, LoadError) else []
            store.record_attempt({
                "at": started.isoformat(),
                "files": names,
                "status": "refused" if isinstance(exc, LoadError) else "failed",
                "errors": [str(e) for e in errors] or [f"{type(exc).__name__}: {exc}"],
            })
            raise
        try:
            _audit_load(settings, actor, role, report, tmp, previous, names)
        except BaseException as exc:
            for leftover in tmp.parent.glob(tmp.name + "*"):
                leftover.unlink(missing_ok=True)
            store.record_attempt({"at": started.isoformat(), "files": names, "status": "failed",
                                  "errors": [f"audit log: {exc}"]})
            raise
        final = store.publish(tmp)
        report.generation = final.name
        store.record_attempt({
            "at": started.isoformat(),
            "files": names,
            "status": "published",
            "generation": final.name,
            "load_id": report.load_id,
            "rows": {f.file_name: [f.rows_read, f.rows_loaded, f.rows_quarantined] for f in report.files},
        })
        # Retention (core.history): this load's time is the reference, so the rule reads no clock.
        removed = store.prune(settings.keep_generations, history_days=settings.history_days,
                              reference=now.astimezone(UTC))
        if removed:
            from core.audit import AuditLog

            AuditLog(settings.audit_file).record(actor, role, "erase", "retention of old loads", {
                "reason": "retention rule", "generations": len(removed),
                "rule": f"keep the newest {settings.keep_generations} loads and loads within "
                        f"{settings.history_days} days of the newest",
            })
    return report


def _audit_load(settings: Settings, actor: str, role: str | None, report: LoadReport, tmp: Path,
                previous: Path | None, names: Sequence[str]) -> None:
    """Log the collection (and the alteration of rows already held) before publishing."""
    from core.audit import AuditLog

    log = AuditLog(settings.audit_file)
    forces = sorted({f for fr in report.files for f in fr.forces})
    log.record(actor, role, "collect", ", ".join(names)[:500], {
        "load_id": report.load_id, "generation": tmp.name.removesuffix(".tmp"), "forces": forces,
        "files": [{"name": f.file_name, "sha256": f.sha256, "kind": f.kind, "rows_loaded": f.rows_loaded,
                   "rows_quarantined": f.rows_quarantined} for f in report.files],
    })
    if previous is None:
        return
    con = duckdb.connect(str(previous), read_only=True)
    try:
        held = {r[0] for r in con.execute(
            "SELECT DISTINCT force_code FROM case_offences UNION SELECT DISTINCT force_code FROM custody").fetchall()}
    finally:
        con.close()
    replaced = sorted(held & set(forces))
    if replaced:
        log.record(actor, role, "alter", "rows replaced by a new load", {
            "load_id": report.load_id, "forces": replaced,
            "note": "an extract is a full snapshot of a force's open work: the force's earlier rows are replaced",
        })


def _build(
    tmp: Path,
    files: list[Path],
    names: list[str],
    settings: Settings,
    extra: dict[str, dict[str, str]] | None,
    kind: str | None,
    now: datetime,
    previous: Path | None,
) -> LoadReport:
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        for stmt in BASE_SCHEMA:
            con.execute(stmt)
        load_id = int(con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchall()[0][0])
        report = LoadReport(load_id=load_id, generation=tmp.name, started_at=now)
        errors: list[ExtractError] = []
        checked = []
        with tempfile.TemporaryDirectory(prefix="casewatch-load-") as work:
            for n, (path, name) in enumerate(zip(files, names, strict=True)):
                try:
                    staged = stage_file(
                        con, path, f"__stage_{n}", kind=kind, extra=extra, display_name=name, workdir=Path(work)
                    )
                    staged_rows = con.execute(f"SELECT count(*) FROM __stage_{n}").fetchone()[0]
                    if staged_rows > settings.max_rows_per_file:
                        raise ExtractError(
                            name, f"the file has {staged_rows:,} rows, more than the {settings.max_rows_per_file:,} "
                                  "one file may hold (setting max_rows_per_file): is it the right file?")
                    result = check(con, staged, load_id=load_id, typed_table=f"__typed_{n}")
                except ExtractError as exc:
                    errors.append(exc)
                    continue
                share = result.rows_quarantined / result.rows_read if result.rows_read else 0.0
                if result.rows_read == 0:
                    errors.append(ExtractError(name, "the file has a header but no data rows"))
                elif share > settings.max_quarantine_share:
                    first = con.execute(
                        "SELECT src_row, column_name, reason FROM quarantine WHERE load_id = $l AND file_name = $f "
                        "ORDER BY src_row LIMIT 1",
                        {"l": load_id, "f": name},
                    ).fetchall()[0]
                    errors.append(
                        ExtractError(
                            name,
                            f"{result.rows_quarantined} of {result.rows_read} rows cannot be used "
                            f"(more than {settings.max_quarantine_share:.0%}); first: {first[2]}",
                            row=int(first[0]),
                            column=first[1],
                        )
                    )
                checked.append((path, result))
        if errors:
            raise LoadError(errors)
        for ext in EXTRACTS.values():
            mine = [c for _, c in checked if c.staged.extract.kind == ext.kind]
            if not mine:
                continue
            forces = sorted({f for c in mine for f in c.forces})
            con.execute(f"DELETE FROM {ext.table} WHERE list_contains($forces, force_code)", {"forces": forces})
            keep = ", ".join(c.name for c in ext.columns) + ", src_row, src_file, load_id"
            for c in mine:
                # In extract order: "the first in the extract" breaks ties between offences (the
                # STL watch's governing offence), and the typing step's window functions reorder rows.
                con.execute(f"INSERT INTO {ext.table} ({keep}) SELECT {keep} FROM {c.typed_table} ORDER BY src_row")
            con.execute(
                f"UPDATE {ext.table} SET urn_valid = regexp_full_match(coalesce(urn, ''), $p) "
                "WHERE load_id = $l",
                {"p": URN_PATTERN, "l": load_id},
            )
        fingerprint = _offence_fingerprint(settings)
        old = con.execute("SELECT value FROM meta WHERE key = 'offence_fingerprint'").fetchall()
        if not old or old[0][0] != fingerprint:
            con.execute("UPDATE case_offences SET stl_rule = NULL")
        compute_stls(con, "case_offences", settings)
        compute_bail_ends(con)
        derived.build(con)  # per-file table the pages read (core/queries/derived.sql)
        finished = datetime.now(UTC) if now is None else max(now, datetime.now(UTC))
        for path, c in checked:
            warnings = con.execute(
                "SELECT count(*) FROM load_warning WHERE load_id = $l AND file_name = $f",
                {"l": load_id, "f": c.staged.file_name},
            ).fetchall()[0]
            fr = FileReport(
                file_name=c.staged.file_name,
                kind=c.staged.extract.kind,
                sha256=sha256_of(path),
                forces=c.forces,
                rows_read=c.rows_read,
                rows_loaded=c.rows_loaded,
                rows_quarantined=c.rows_quarantined,
                rows_skipped=c.rows_skipped,
                warnings=int(warnings[0]) if warnings else 0,
                ignored_columns=c.staged.ignored_columns,
                format=c.staged.fmt,
                encoding=c.staged.encoding,
                sheet=c.staged.sheet,
            )
            report.files.append(fr)
            con.execute(
                """INSERT INTO load_log VALUES ($load_id, $file, $sha, $kind, $fmt, $enc, $sheet, $forces,
                       $read, $loaded, $quar, $skipped, $warn, $ignored, $started, $finished, $gen)""",
                {
                    "load_id": load_id, "file": fr.file_name, "sha": fr.sha256, "kind": fr.kind,
                    "fmt": fr.format, "enc": fr.encoding, "sheet": fr.sheet, "forces": fr.forces,
                    "read": fr.rows_read, "loaded": fr.rows_loaded, "quar": fr.rows_quarantined,
                    "skipped": fr.rows_skipped, "warn": fr.warnings, "ignored": fr.ignored_columns,
                    "started": now.astimezone(UTC).replace(tzinfo=None),
                    "finished": finished.astimezone(UTC).replace(tzinfo=None),
                    "gen": tmp.name.removesuffix(".tmp"),
                },
            )
        report.finished_at = finished
        for key, value in (
            ("schema_version", SCHEMA_VERSION),
            ("offence_fingerprint", fingerprint),
            ("published_at", finished.astimezone(UTC).isoformat()),
            ("generation", tmp.name.removesuffix(".tmp")),
            ("previous_generation", previous.name if previous else ""),
        ):
            con.execute("INSERT OR REPLACE INTO meta VALUES ($k, $v)", {"k": key, "v": value})
        con.execute("CHECKPOINT")
        return report
    finally:
        con.close()
