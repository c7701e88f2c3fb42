"""Casewatch headless command, for scheduled runs.

    python cli.py load FILE [FILE ...]          load extracts and publish them as one generation
    python cli.py load-sample                   load the bundled synthetic sample extracts
    python cli.py insight --as-of 25/11/2026    write the Insight report (CSV and XLSX)
    python cli.py status                        what is published, and the recent load attempts
    python cli.py history                       the loads kept as dated snapshots, and retention deletions
    python cli.py audit verify                  check the audit log's hash chain (exit 1 if broken)
    python cli.py audit search --actor X        search the audit log (--action, --since, --until)

Exit status: 0 done; 2 bad input (the message names the file, row and column) — nothing was
published and the previous data is still served; 1 any other failure.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from core.audit import ACTIONS as AUDIT_ACTIONS
from core.config import Settings
from core.scope import Scope


def parse_date(text: str) -> date:
    """Day-first UK date (dd/mm/yyyy) or ISO (yyyy-mm-dd)."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{text!r} is not a date (use dd/mm/yyyy or yyyy-mm-dd)")


def sample_files(settings: Settings) -> list[Path]:
    files = sorted(p for p in settings.sample_dir.iterdir() if p.suffix in (".csv", ".xlsx"))
    if not files:
        raise FileNotFoundError(f"no sample extracts in {settings.sample_dir}")
    return files


def _settings(args: argparse.Namespace) -> Settings:
    from dataclasses import replace

    settings = Settings.load(args.config)
    if args.store:
        settings = replace(settings, store_dir=Path(args.store))
    return settings


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    from data_loaders.load import LoadError, load_extracts
    from data_loaders.read import ExtractError

    files = sample_files(settings) if args.command == "load-sample" else [Path(f) for f in args.files]
    try:
        report = load_extracts(files, settings, kind=getattr(args, "kind", None),
                               actor=f"cli:{getpass.getuser()}", role="administrator")
    except LoadError as exc:
        print("Load refused; nothing was published (the previous data is still served):", file=sys.stderr)
        for err in exc.errors:
            print(f"  {err}", file=sys.stderr)
        return 2
    except ExtractError as exc:
        print(f"Load refused: {exc}", file=sys.stderr)
        return 2
    print(f"Published {report.generation} (load {report.load_id})")
    for f in report.files:
        print(
            f"  {f.file_name}: {f.kind}, forces {','.join(f.forces)}: read {f.rows_read}, "
            f"loaded {f.rows_loaded}, quarantined {f.rows_quarantined}, skipped {f.rows_skipped}, "
            f"warnings {f.warnings}"
            + (f"; columns not kept: {', '.join(f.ignored_columns)}" if f.ignored_columns else "")
        )
    if report.rows_quarantined:
        print(f"{report.rows_quarantined} row(s) quarantined: see 'python cli.py status' or the Data page")
    return 0


def cmd_insight(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from core import insight
    from core.store import NoData, Store

    thresholds = settings.thresholds
    if args.days is not None:
        thresholds = replace(thresholds, insight_days=args.days)
    store = Store(settings.store_dir)
    try:
        con = store.connect_read()
    except NoData as exc:
        print(f"{exc}: run 'python cli.py load ...' first", file=sys.stderr)
        return 2
    try:
        forces = [r[0] for r in con.execute("SELECT DISTINCT force_code FROM case_offences ORDER BY 1").fetchall()]
        scope = Scope.everything(forces).narrow(forces=args.forces.split(",") if args.forces else None)
        report = insight.build(con, scope, args.as_of, thresholds)
    finally:
        con.close()
    formats = tuple(f.strip() for f in args.format.split(","))
    paths = insight.write(report, Path(args.out), marking=settings.marking,
                          generated_at=datetime.now(UTC), formats=formats)
    print(f"Insight report as of {args.as_of:%d/%m/%Y}: {len(report.cases)} case(s) with an STL within "
          f"{thresholds.insight_days} days not submitted; {len(report.custody)} custody record(s) past their file target date")
    for p in paths:
        print(f"  wrote {p}")
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from core import queries
    from core.store import NoData, Store

    store = Store(settings.store_dir)
    try:
        current = store.current()
    except NoData as exc:
        print(exc)
        return 0
    print(f"Published generation: {current.name}")
    con = store.connect_read(current)
    try:
        df = queries.data_as_of(con)
    finally:
        con.close()
    for row in df.itertuples():
        print(f"  {row.file_name}: {row.kind}, read {row.rows_read}, loaded {row.rows_loaded}, "
              f"quarantined {row.rows_quarantined}, loaded at {row.finished_at:%d/%m/%Y %H:%M} UTC")
    attempts = store.attempts()[-5:]
    if attempts:
        print("Recent load attempts:")
        for a in attempts:
            print(f"  {a['at']}: {a['status']} {', '.join(a['files'])}")
            for e in a.get("errors", []):
                print(f"      {e}")
    return 0


def parse_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """A UTC moment: a date (dd/mm/yyyy or ISO; its start, or with ``end_of_day`` the start of the
    next day) or an ISO date-time (UTC unless it carries an offset)."""
    from datetime import timedelta

    try:
        day = parse_date(text)
    except argparse.ArgumentTypeError:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a date or time (dd/mm/yyyy, yyyy-mm-dd or yyyy-mm-ddTHH:MM)") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(days=1) if end_of_day else start


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from core import audit

    path = Path(args.path) if args.path else settings.audit_file
    if args.audit_command == "verify":
        try:
            result = audit.verify(path)
        except (OSError, audit.AuditError) as exc:
            print(f"Audit log {path}: cannot be read: {exc}", file=sys.stderr)
            return 1
        if result.ok:
            print(f"Audit log OK: {path}: {result.records} record(s); last seq {result.last_seq}, "
                  f"hash {result.last_hash}" + (f" ({result.note})" if result.note else ""))
            return 0
        b = result.broken
        where = f"seq {b.seq}" if b.seq is not None else "the head file"
        line = f" (line {b.line})" if b.line is not None else ""
        print(f"Audit log BROKEN: {path}: first broken link at {where}{line}: {b.kind}: {b.reason}. "
              f"{result.records} record(s) before it verified.", file=sys.stderr)
        return 1
    since = parse_moment(args.since) if args.since else None
    until = parse_moment(args.until, end_of_day=True) if args.until else None
    records = audit.search(path, actor=args.actor, action=args.action, since=since, until=until,
                           what=args.what, limit=args.limit)
    for r in records:
        if args.json:
            print(json.dumps(r, sort_keys=True, ensure_ascii=False))
        else:
            details = json.dumps(r["details"], sort_keys=True, ensure_ascii=False)
            print(f"{r['seq']:>7}  {r['ts']}  {r['actor']}  {r['role'] or '-'}  {r['action']}  {r['what']}  {details}")
    if not args.json:
        print(f"{len(records)} record(s)", file=sys.stderr)
    return 0


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from core import history
    from core.store import Store

    store = Store(settings.store_dir)
    df = history.details(store)
    if df.empty:
        print(f"No loads are kept in {store.root} yet.")
        return 0
    print(f"{len(df)} load(s) kept as dated snapshots (retention: {settings.history_days} days from the newest "
          f"load, and always the newest {settings.keep_generations}):")
    for row in df.iloc[::-1].itertuples():
        print(f"  {row.loaded_at:%d/%m/%Y %H:%M} UTC  {row.generation}{'  (served)' if row.current else ''}\n"
              f"      forces {row.forces or '-'}: {row.case_offence_rows:,} case-file rows, {row.custody_rows:,} "
              f"custody rows; files of this load: {row.files or '-'}")
    removed = history.erasures(store)
    if removed:
        print("Retention deletions:")
        for entry in removed[-10:]:
            print(f"  {entry['at']}: removed {', '.join(entry.get('removed', []))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cli.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="settings file (TOML); default $CASEWATCH_CONFIG")
    parser.add_argument("--store", help="store folder; default $CASEWATCH_STORE or var/store")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load", help="load extract files (CSV or XLSX)")
    p.add_argument("files", nargs="+")
    p.add_argument("--kind", choices=["custody", "case_files"], help="force the extract type")
    sub.add_parser("load-sample", help="load the bundled synthetic sample extracts")
    p = sub.add_parser("insight", help="write the Insight report")
    p.add_argument("--as-of", type=parse_date, required=True, help="dd/mm/yyyy or yyyy-mm-dd")
    p.add_argument("--days", type=int, help="STL horizon in days (default from settings: 42)")
    p.add_argument("--out", default="reports", help="output folder (default ./reports)")
    p.add_argument("--forces", help="comma-separated force codes (default all)")
    p.add_argument("--format", default="csv,xlsx", help="csv, xlsx or both (default csv,xlsx)")
    sub.add_parser("status", help="show the published data and recent load attempts")
    sub.add_parser("history", help="list the loads kept as dated snapshots and the retention deletions")
    p = sub.add_parser("audit", help="verify or search the audit log")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)
    v = audit_sub.add_parser("verify", help="check the hash chain; exit 1 and name the first broken link")
    v.add_argument("--path", help="audit log file (default from settings: var/audit/audit.jsonl)")
    s = audit_sub.add_parser("search", help="list audit records matching every filter given")
    s.add_argument("--path", help="audit log file (default from settings: var/audit/audit.jsonl)")
    s.add_argument("--actor", help="user id (exact, any case)")
    s.add_argument("--action", choices=AUDIT_ACTIONS)
    s.add_argument("--what", help="page, export or file name contains this text")
    s.add_argument("--since", help="from this date or UTC time (dd/mm/yyyy, yyyy-mm-dd, yyyy-mm-ddTHH:MM)")
    s.add_argument("--until", help="up to the end of this date, or before this UTC time")
    s.add_argument("--limit", type=int, help="only the latest N matching records")
    s.add_argument("--json", action="store_true", help="print the records as JSON lines")
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
    except ValueError as exc:
        print(f"Settings: {exc}", file=sys.stderr)
        return 2
    if args.command in ("load", "load-sample"):
        return cmd_load(args, settings)
    if args.command == "insight":
        return cmd_insight(args, settings)
    if args.command == "history":
        return cmd_history(args, settings)
    if args.command == "audit":
        try:
            return cmd_audit(args, settings)
        except argparse.ArgumentTypeError as exc:
            print(f"audit: {exc}", file=sys.stderr)
            return 2
    return cmd_status(args, settings)


if __name__ == "__main__":
    sys.exit(main())
