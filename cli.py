"""Casewatch headless command, for scheduled runs.

    python cli.py load FILE [FILE ...]          load extracts and publish them as one generation
    python cli.py load-sample                   load the bundled synthetic sample extracts
    python cli.py insight --as-of 25/11/2026    write the Insight report (CSV and XLSX)
    python cli.py status                        what is published, and the recent load attempts

Exit status: 0 done; 2 bad input (the message names the file, row and column) — nothing was
published and the previous data is still served; 1 any other failure.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

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
        report = load_extracts(files, settings, kind=getattr(args, "kind", None))
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
    return cmd_status(args, settings)


if __name__ == "__main__":
    sys.exit(main())
