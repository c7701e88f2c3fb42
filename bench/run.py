"""Casewatch ingest and home-page benchmark.

Usage (from the repository root, with the project venv)::

    .venv/bin/python -m bench.run [--rows 1000000] [--repeat 3] [--out bench/out]
                                  [--budget 240] [--data-dir DIR] [--keep-data] [--profile]
                                  [--only KEY ...] [--skip KEY ...] [--quiet-wait 120]

Method keys (for --only/--skip): casewatch_load, duckdb_read_csv_auto_case,
duckdb_read_csv_varchar_case, duckdb_read_csv_typed_case, duckdb_read_csv_auto_all, pandas_load,
queries.

What it does
------------
1. **Data.** Generates the synthetic extracts with ``sample_data.generate.generate`` at ``--rows``
   case-file rows (the generator adds the matching custody rows) into a temporary folder, in its
   own process; generation time and RSS are reported on their own line, never as ingest.
   ``--data-dir DIR`` reuses the CSVs already in DIR (or generates into DIR if it has none and
   keeps them); ``--keep-data`` keeps the temporary folder.
2. **Ingest**, each run in a FRESH Python process (``python -m bench.worker``), ``--repeat`` runs,
   median (min–max) of the in-process wall time of the measured call, its CPU time, and the
   process's peak RSS (``ru_maxrss`` of that child from ``os.wait4``, so the peak is the method's own
   and includes the interpreter and imports, ~50–150 MiB):

   - ``casewatch_load`` — ``data_loaders.load.load_extracts(case-file + custody CSVs,
     Settings(store_dir=<fresh temp store>))``: staging, typing/validation, quarantine, duplicate
     checks, STL computation, publish. The time split (stage / check / merge / STL fetch / STL Python
     / STL UPDATE / CHECKPOINT / publish) comes from benchmark-only wrappers installed on the
     imported modules (``bench/worker.py``); product code is not modified. Wrapping costs a few
     microseconds per SQL statement (a load runs ~100 statements).
   - ``duckdb_read_csv`` — the baseline: ``CREATE TABLE t AS SELECT * FROM read_csv(paths)`` with
     default sniffing into a fresh persisted ``.duckdb`` file (connect, ingest, close), on the
     case-file CSV(s). Also ``all_varchar = true``; and, for the performance.md anchor,
     ``typed_no_order`` (explicit column types from the extract contract, ``dateformat='%d/%m/%Y'``,
     ``timestampformat='%d/%m/%Y %H:%M'``, ``preserve_insertion_order=false``, ``ignore_errors``).
     ``duckdb_read_csv [all files]`` reads case files *and* custody files (one table each), the same
     input as the load (like-for-like ratio).
   - ``pandas_load`` — plain pandas on the same files as the load: ``pd.read_csv(dtype=str)``,
     ``pd.to_datetime(format="%d/%m/%Y" | "%d/%m/%Y %H:%M", errors="coerce")`` on every date /
     timestamp column of the contract, and for summary offences (mode from the bundled offence
     reference, else the extract's ``mode_of_trial``) the s.127 date ``offence_start_date +
     pd.DateOffset(months=6)`` (clamps month ends like ``core.calendar.add_months``). No validation,
     no quarantine, no special STL rules, nothing persisted: a lower bound for a pandas design.

3. **Home page queries** on the store published by the last ``casewatch_load`` run, in one fresh
   process per engine: each of ``stl_band_counts``, ``cjs_queue_length``, ``review_counts``,
   ``ngap_light_counts`` through ``core.queries`` on one ``Store.connect_read()`` connection (as the
   dashboard does; each call opens a cursor, installs the rule macros and returns a DataFrame),
   1 warm-up then median of 7; the four in sequence (the page); and the same SQL bare (one cursor,
   macros installed once, ``fetchall()``) to show the wrapper overhead. Beside it, a plain-pandas
   implementation of the same four computations (band per offence = ``core.stl.band_for`` written
   with numpy, worst band per case by groupby, queue length, review status per investigation, NGAP
   light per case) on DataFrames loaded from the store (load time reported separately), timed the
   same way. The pandas answers are asserted EQUAL to the DuckDB answers.
4. Prints Markdown tables and writes ``<out>/results-<rows>.md`` and ``<out>/results-<rows>.json``.
   ``--profile`` adds one cProfile'd load run (``<out>/profile-load-<rows>.txt``; cProfile inflates
   the Python share, use it for *where*, not *how much*).

Before each run the harness waits (``--quiet-wait``, default 2 min) until other processes use < 0.5
cores, and records the CPU other processes used during the run (``other load``, cores); runs with
≥ 0.5 are marked ⚠. Each worker also records a fingerprint of the loader and query source files it
ran (others edit the tree), and the report warns when the code changed during a run.
``--budget`` (seconds per ingest method, default 240) stops repeating a method once its runs so far
plus one more would exceed it: at 1M rows the load (~60–80 s a run on this machine, 2026-11-25)
then runs 3 times only with ``--budget 600``. Keep one benchmark at a time on the 2-core machine.
Default size (1M rows, 3 repeats, budget 240) takes ~10 min; 100k rows ~2 min.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = "2026-11-24"
QUIET_CORES = 0.5


# ---------------------------------------------------------------------------------------------
# running one method in a fresh process
# ---------------------------------------------------------------------------------------------
def _busy_cpu_seconds() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)


def wait_for_quiet(max_wait: float = 120.0) -> float:
    """Wait until other processes use < QUIET_CORES cores (sampled over 1 s); return the last load."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = _busy_cpu_seconds(), time.monotonic()
        time.sleep(1.0)
        load = (_busy_cpu_seconds() - b0) / (time.monotonic() - t0)
        if load < QUIET_CORES or time.monotonic() > deadline:
            return load
        print(f"  (machine busy: {load:.2f} cores used by other processes; waiting)", flush=True)
        time.sleep(4.0)


@dataclass
class Run:
    method: str
    result: dict[str, Any]
    peak_rss_mib: float
    proc_wall: float
    child_cpu: float
    other_load: float


QUIET_WAIT = [120.0]


def run_worker(method: str, spec: dict, work: Path) -> Run:
    wait_for_quiet(QUIET_WAIT[0])
    stamp = f"{method}-{time.monotonic_ns()}"
    spec_path, result_path = work / f"{stamp}.spec.json", work / f"{stamp}.result.json"
    log_path = work / f"{stamp}.log"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    b0, t0 = _busy_cpu_seconds(), time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", method, str(spec_path), str(result_path)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc_wall = time.perf_counter() - t0
    busy = _busy_cpu_seconds() - b0
    child_cpu = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0 or not result_path.exists():
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"{method} failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    for p in (spec_path, result_path, log_path):
        p.unlink(missing_ok=True)
    return Run(
        method=method,
        result=result,
        peak_rss_mib=usage.ru_maxrss / 1024,
        proc_wall=proc_wall,
        child_cpu=child_cpu,
        other_load=max(0.0, (busy - child_cpu) / proc_wall) if proc_wall > 0 else 0.0,
    )


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def classify(paths: list[Path]) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {"case_files": [], "custody": []}
    for p in sorted(paths):
        if p.suffix.lower() != ".csv":
            continue
        name = p.name.lower()
        if "custody" in name:
            out["custody"].append(p)
        elif "case" in name:
            out["case_files"].append(p)
    return out


def count_rows(paths: list[Path]) -> int:
    n = 0
    for p in paths:
        with open(p, "rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
        n += lines - 1
    return n


# ---------------------------------------------------------------------------------------------
# summaries
# ---------------------------------------------------------------------------------------------
def fmt_s(values: list[float]) -> str:
    m = median(values)
    if len(values) == 1:
        return f"{m:.2f}"
    return f"{m:.2f} ({min(values):.2f}–{max(values):.2f})"


def fmt_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{median(ms):.1f} ({min(ms):.1f}–{max(ms):.1f})"


@dataclass
class Method:
    key: str
    label: str
    input: str
    rows: int
    runs: list[Run] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [r.result["wall"] for r in self.runs]

    @property
    def median_wall(self) -> float:
        return median(self.walls)

    def summary(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "input": self.input,
            "rows": self.rows,
            "wall_s": self.walls,
            "wall_median_s": self.median_wall,
            "cpu_s": [r.result.get("cpu", r.child_cpu) for r in self.runs],
            "process_wall_s": [r.proc_wall for r in self.runs],
            "peak_rss_mib": [r.peak_rss_mib for r in self.runs],
            "rss_after_imports_mib": [r.result.get("rss_after_imports") for r in self.runs],
            "other_load_cores": [r.other_load for r in self.runs],
            "details": [
                {k: v for k, v in r.result.items() if k not in ("wall", "cpu")} for r in self.runs
            ],
        }


CODE_GROUPS = {
    # what each measured path imports (the tree is edited by others while benchmarks run)
    "loader": (
        "data_loaders/*.py", "core/store.py", "core/config.py", "core/stl.py", "core/calendar.py",
        "core/offences.py", "core/reference/*.csv",
    ),
    "queries": (
        "core/queries/__init__.py", "core/queries/home.sql", "core/sql_rules.py", "core/sql_macros.py",
        "core/ngap.py", "core/scope.py", "core/stl.py", "core/store.py", "core/config.py",
    ),
}


def code_fingerprint() -> dict[str, Any]:
    """SHA-256 (16 hex) of the product files each measured path uses, and their newest mtime."""
    import hashlib

    out: dict[str, Any] = {}
    for group, patterns in CODE_GROUPS.items():
        h = hashlib.sha256()
        newest = 0.0
        for pattern in patterns:
            for p in sorted(ROOT.glob(pattern)):
                h.update(p.relative_to(ROOT).as_posix().encode())
                h.update(p.read_bytes())
                newest = max(newest, p.stat().st_mtime)
        out[group] = h.hexdigest()[:12]
        out[group + "_newest"] = datetime.fromtimestamp(newest, UTC).strftime("%H:%M:%S")
    out["sha256"] = out["loader"] + "/" + out["queries"]
    out["newest_file_mtime"] = max(out["loader_newest"], out["queries_newest"]) + " UTC"
    return out


def machine_info() -> dict[str, Any]:
    import duckdb
    import numpy
    import pandas
    import pyarrow

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = ""
    try:
        head = (ROOT / ".git" / "HEAD").read_text().strip()
        commit = (ROOT / ".git" / head[5:]).read_text().strip() if head.startswith("ref: ") else head
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "commit": commit[:12],
        "code": code_fingerprint(),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render(res: dict[str, Any]) -> str:
    m = res["machine"]
    rows = res["rows"]
    lines = [
        f"### Casewatch benchmark — {rows:,} case-file rows",
        "",
        f"`{res['command']}` — {m['when']}, {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB; "
        f"Python {m['python']}, duckdb {m['duckdb']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, "
        f"numpy {m['numpy']}; commit {m['commit']} + working tree; product code fingerprints loader "
        f"{m['code']['loader']} (newest file {m['code']['loader_newest']} UTC), queries {m['code']['queries']} "
        f"(newest {m['code']['queries_newest']} UTC).",
        "",
    ]
    if res.get("code_at_end") and res["code_at_end"]["sha256"] != m["code"]["sha256"]:
        lines += [
            f"⚠ Product code changed during the run (fingerprint at end {res['code_at_end']['sha256']}, "
            f"newest file {res['code_at_end']['newest_file_mtime']}): figures mix two versions.",
            "",
        ]
    d = res["data"]
    lines += [
        "Input: " + "; ".join(f"{k}: {len(v)} file(s), {d['rows'][k]:,} rows, {d['mib'][k]:.0f} MiB" for k, v in d["files"].items()),
        "",
    ]
    if res.get("generate"):
        g = res["generate"]
        lines += [f"Generation (not part of any ingest figure): {g['wall_s']:.1f} s, peak RSS {g['peak_rss_mib']:.0f} MiB.", ""]

    base = next((x for x in res["methods"] if x["key"] == "duckdb_read_csv_auto_case"), None)
    same = next((x for x in res["methods"] if x["key"] == "duckdb_read_csv_auto_all"), None)
    lines += [
        "#### Ingest (fresh process per run; wall = the measured call, median (min–max) of n runs; "
        "peak RSS = whole process)",
        "",
        "| method | input | rows | n | wall s median (min–max) | CPU s | peak RSS MiB | × baseline | × read_csv same files | other load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for x in res["methods"]:
        ratio = f"{x['wall_median_s'] / base['wall_median_s']:.2f}×" if base else "–"
        ratio2 = (
            f"{x['wall_median_s'] / same['wall_median_s']:.2f}×" if same and x["input"] == same["input"] else "–"
        )
        other = max(x["other_load_cores"])
        flag = " ⚠" if other >= QUIET_CORES else ""
        lines.append(
            f"| {x['label']} | {x['input']} | {x['rows']:,} | {len(x['wall_s'])} | {fmt_s(x['wall_s'])} | {median(x['cpu_s']):.2f} | "
            f"{median(x['peak_rss_mib']):.0f} | {ratio} | {ratio2} | {other:.2f}{flag} |"
        )
    lines += ["", "Baseline (× baseline = 1.00): `duckdb_read_csv (auto)` on the case-file CSV(s).", ""]

    load = next((x for x in res["methods"] if x["key"] == "casewatch_load"), None)
    if load and load["details"][0].get("split"):
        keys = list(load["details"][0]["split"])
        lines += [
            "#### Where the Casewatch load's time goes (median over runs)",
            "",
            "| part | s | share |",
            "|---|---|---|",
        ]
        for k in keys:
            v = median(dd["split"][k] for dd in load["details"])
            lines.append(f"| {k} | {v:.2f} | {v / load['wall_median_s']:.0%} |")
        lines.append(f"| **total** | **{load['wall_median_s']:.2f}** | |")
        lines += ["", "Slowest SQL statements of the last load run (phase, statement start, total s, calls):", ""]
        lines += ["| statement | s | calls |", "|---|---|---|"]
        for stmt, secs, calls in load["details"][-1]["top_sql"][:12]:
            text = stmt.replace("|", "\\|")
            lines.append(f"| `{text}` | {secs:.2f} | {calls} |")
        marks = load["details"][-1].get("memory_marks") or []
        if marks:
            lines += ["", "Memory of the last load run, after each step (RSS now / peak so far, MiB): " + "; ".join(
                f"{label} {now:,}/{peak:,}" for label, now, peak in marks
                if label not in ("sha256", "fingerprint", "record_attempt", "prune")
            ) + "."]
        f0 = load["details"][-1]["files"]
        lines += ["", "Rows per file (last run): " + "; ".join(
            f"{f['file']}: read {f['rows_read']:,}, loaded {f['rows_loaded']:,}, quarantined {f['rows_quarantined']:,}, "
            f"warnings {f['warnings']:,}" for f in f0
        ) + f". Store file {load['details'][-1]['store_bytes'] / 2**20:.0f} MiB.", ""]
    pl = next((x for x in res["methods"] if x["key"] == "pandas_load"), None)
    if pl:
        keys = list(pl["details"][0]["split"])
        lines += ["pandas split (median s): " + "; ".join(
            f"{k} {median(dd['split'][k] for dd in pl['details']):.2f}" for k in keys
        ) + ".", ""]

    q = res.get("queries")
    if q:
        lines += [
            f"#### Home page queries on the published store ({q['case_offence_rows']:,} offence rows; "
            "warm, 1 warm-up + median (min–max) of 7, ms)",
            "",
            "| query | Casewatch `core.queries` | bare DuckDB SQL | plain pandas | pandas ÷ Casewatch | Casewatch ÷ bare | equal |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in q["names"]:
            dq, pq = q["duckdb"]["queries"][name], q["pandas"]["queries"][name]
            cw, bare, pdq = dq["times"], dq["bare_times"], pq["times"]
            compared = q["pandas"]["answers"][name] is not None
            lines.append(
                f"| {name} | {fmt_ms(cw)} | {fmt_ms(bare) if bare else '–'} | {fmt_ms(pdq) if compared else '–'} | "
                f"{f'{median(pdq) / median(cw):.1f}×' if compared else '–'} | "
                f"{f'{median(cw) / median(bare):.2f}×' if bare else '–'} | "
                f"{('yes' if q['equal'][name] else 'NO') if compared else 'not compared'} |"
            )
        compared = [n for n in q["names"] if q["pandas"]["answers"][n] is not None]
        with_bare = [n for n in compared if q["duckdb"]["queries"][n]["bare_times"]]
        s_cw = sum(median(q["duckdb"]["queries"][n]["times"]) for n in compared)
        s_pd = sum(median(q["pandas"]["queries"][n]["times"]) for n in compared)
        s_cw_b = sum(median(q["duckdb"]["queries"][n]["times"]) for n in with_bare)
        s_bare = sum(median(q["duckdb"]["queries"][n]["bare_times"]) for n in with_bare)
        label = "sum of the four medians" if len(compared) == len(q["names"]) else f"sum of the {len(compared)} compared"
        bare_note = "" if len(with_bare) == len(compared) else f" ({len(with_bare)} with bare SQL)"
        lines.append(
            f"| **{label}** | **{s_cw * 1000:.1f}** | {s_bare * 1000:.1f}{bare_note} | **{s_pd * 1000:.1f}** | "
            f"{s_pd / s_cw:.1f}× | {s_cw_b / s_bare:.2f}× | |"
        )
        lines.append(
            f"| the four in sequence (page) | {fmt_ms(q['duckdb']['page_times'])} | | {fmt_ms(q['pandas']['page_times'])} | "
            f"{median(q['pandas']['page_times']) / median(q['duckdb']['page_times']):.1f}× | | |"
        )
        lines += [
            "",
            f"Other processes used {q['other_load_cores'][0]:.2f} / {q['other_load_cores'][1]:.2f} cores during the "
            f"DuckDB / pandas query processes{' ⚠' if max(q['other_load_cores']) >= QUIET_CORES else ''}. "
            f"DuckDB side: `connect_read()` {q['duckdb']['connect_s'] * 1000:.0f} ms once; process peak RSS "
            f"{q['duckdb_peak_rss_mib']:.0f} MiB. pandas side: loading the {q['pandas']['frame_rows']:,}-row frame "
            f"({q['pandas'].get('frame_cols', 16)} columns) from the store {q['pandas']['load_s']:.2f} s (not in the query figures), frame "
            f"{q['pandas']['frame_mib']:.0f} MiB, process peak RSS {q['pandas_peak_rss_mib']:.0f} MiB.",
            "",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="case-file rows to generate (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh-process runs per ingest method (default 3)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="folder for results-<rows>.md/.json")
    ap.add_argument("--data-dir", type=Path, help="reuse the CSVs in this folder (generate into it if empty)")
    ap.add_argument("--keep-data", action="store_true", help="keep the generated data and the last store")
    ap.add_argument("--store-to", type=Path,
                    help="move the last Casewatch load's store here afterwards (bench.pages reads DATA_DIR/store)")
    ap.add_argument("--seed", type=int, default=36, help="generator seed (default 36, the generator's own)")
    ap.add_argument("--anchor", default=ANCHOR, help="generator anchor date and the queries' as-of date")
    ap.add_argument("--profile", action="store_true", help="add one cProfile'd load run")
    ap.add_argument("--skip", nargs="*", default=[], help="method keys to skip (e.g. pandas_load queries)")
    ap.add_argument("--quiet-wait", type=float, default=120.0,
                    help="seconds to wait for other processes to go below 0.5 cores before each run (default 120)")
    ap.add_argument("--only", nargs="*", default=[], help="run only these method keys (and queries if listed)")
    ap.add_argument(
        "--budget", type=float, default=240.0,
        help="seconds per ingest method: no further repeat is started once the runs so far plus one more "
        "median run would exceed it (at least one run; default 240, keeps 1M rows near 10 min)",
    )
    args = ap.parse_args(argv)

    QUIET_WAIT[0] = args.quiet_wait
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="casewatch-bench-"))
    work = scratch / "work"
    work.mkdir()
    res: dict[str, Any] = {
        "command": command.strip(),
        "rows": args.rows,
        "repeat": args.repeat,
        "machine": machine_info(),
        "methods": [],
    }
    started = time.perf_counter()
    try:
        # 1. data ---------------------------------------------------------------------------
        data_dir = args.data_dir or (scratch / "data")
        data_dir.mkdir(parents=True, exist_ok=True)
        files = classify(list(data_dir.iterdir()))
        if not files["case_files"]:
            print(f"generating {args.rows:,} case-file rows into {data_dir} …", flush=True)
            run = run_worker(
                "generate",
                {"out_dir": str(data_dir), "anchor": args.anchor, "seed": args.seed, "rows": args.rows},
                work,
            )
            res["generate"] = {"wall_s": run.result["wall"], "peak_rss_mib": run.peak_rss_mib, "files": run.result["files"]}
            files = classify([Path(p) for p in run.result["files"].values()])
            print(f"  generated in {run.result['wall']:.1f} s", flush=True)
        case, custody = files["case_files"], files["custody"]
        if not case:
            raise SystemExit(f"no case-file CSV found in {data_dir}")
        all_files = case + custody
        res["data"] = {
            "dir": str(data_dir),
            "files": {k: [p.name for p in v] for k, v in files.items()},
            "rows": {k: count_rows(v) for k, v in files.items()},
            "mib": {k: sum(p.stat().st_size for p in v) / 2**20 for k, v in files.items()},
        }
        n_case, n_all = res["data"]["rows"]["case_files"], res["data"]["rows"]["case_files"] + res["data"]["rows"]["custody"]
        print(f"data: {res['data']['rows']} rows, {res['data']['mib']} MiB", flush=True)

        # 2. ingest --------------------------------------------------------------------------
        kinds = {"case_files": "case_files", "custody": "custody"}
        methods: list[tuple[Method, str, Any]] = [
            (Method("casewatch_load", "**Casewatch load_extracts**", "case + custody", n_all), "load", None),
            (Method("duckdb_read_csv_auto_case", "duckdb read_csv (auto) — baseline", "case files", n_case), "duckdb_read_csv", ("auto", {"case_files": case})),
            (Method("duckdb_read_csv_varchar_case", "duckdb read_csv (all_varchar)", "case files", n_case), "duckdb_read_csv", ("all_varchar", {"case_files": case})),
            (Method("duckdb_read_csv_typed_case", "duckdb read_csv (typed, no order)", "case files", n_case), "duckdb_read_csv", ("typed_no_order", {"case_files": case})),
            (Method("duckdb_read_csv_auto_all", "duckdb read_csv (auto)", "case + custody", n_all), "duckdb_read_csv", ("auto", {"case_files": case, "custody": custody})),
            (Method("pandas_load", "plain pandas (read_csv + to_datetime + s.127 date)", "case + custody", n_all), "pandas_load", None),
        ]
        last_store: Path | None = None
        all_keys = [m.key for m, _, _ in methods] + ["queries"]
        if args.only:
            args.skip = [k for k in all_keys if k not in args.only]
        for method, worker, arg in methods:
            if method.key in args.skip:
                continue
            for i in range(args.repeat):
                spent = sum(r.proc_wall for r in method.runs)
                if method.runs and spent + median(r.proc_wall for r in method.runs) > args.budget:
                    print(f"  {method.key}: stopping after {len(method.runs)} run(s) (--budget {args.budget:.0f} s)")
                    break
                if worker == "load":
                    store_dir = scratch / f"store-{i}"
                    spec = {"files": [str(p) for p in all_files], "store_dir": str(store_dir)}
                elif worker == "duckdb_read_csv":
                    mode, groups = arg
                    db = scratch / f"{method.key}-{i}.duckdb"
                    spec = {
                        "mode": mode, "db": str(db),
                        "groups": {k: [str(p) for p in v] for k, v in groups.items() if v},
                        "kinds": kinds,
                    }
                else:
                    spec = {
                        "files": [[str(p), "case_files"] for p in case] + [[str(p), "custody"] for p in custody],
                        "offence_ref": str(ROOT / "core" / "reference" / "offences.csv"),
                    }
                try:
                    run = run_worker(worker, spec, work)
                except RuntimeError as exc:
                    print(f"  {method.key} run {i + 1}: FAILED\n{exc}", flush=True)
                    method.runs.append(Run(method.key, {"wall": float("nan"), "error": str(exc)[-2000:]}, 0, 0, 0, 0))
                    break
                method.runs.append(run)
                print(
                    f"  {method.key} run {i + 1}/{args.repeat}: {run.result['wall']:.2f} s, "
                    f"peak {run.peak_rss_mib:.0f} MiB, other load {run.other_load:.2f}",
                    flush=True,
                )
                if worker == "load":
                    if last_store is not None:
                        shutil.rmtree(last_store, ignore_errors=True)
                    last_store = store_dir
                elif worker == "duckdb_read_csv":
                    db.unlink(missing_ok=True)
            if method.runs and "error" not in method.runs[0].result:
                res["methods"].append(method.summary())

        # 3. queries -------------------------------------------------------------------------
        if last_store is not None and "queries" not in args.skip:
            print("home page queries …", flush=True)
            dq = run_worker("queries_duckdb", {"store_dir": str(last_store), "as_of": args.anchor}, work)
            pq = run_worker(
                "queries_pandas",
                {"store_dir": str(last_store), "as_of": args.anchor, "forces": dq.result["forces"]},
                work,
            )
            names = list(dq.result["answers"])
            equal = {n: pq.result["answers"][n] is None or dq.result["answers"][n] == pq.result["answers"][n]
                     for n in names}
            res["queries"] = {
                "names": names,
                "duckdb": dq.result,
                "pandas": pq.result,
                "equal": equal,
                "duckdb_peak_rss_mib": dq.peak_rss_mib,
                "pandas_peak_rss_mib": pq.peak_rss_mib,
                "case_offence_rows": pq.result["frame_rows"],
                "other_load_cores": [dq.other_load, pq.other_load],
            }
            for n in names:
                print(f"  {n}: duckdb {median(dq.result['queries'][n]['times']) * 1000:.1f} ms, "
                      f"pandas {median(pq.result['queries'][n]['times']) * 1000:.1f} ms, equal={equal[n]}", flush=True)

        if args.store_to and last_store is not None:
            shutil.rmtree(args.store_to, ignore_errors=True)
            shutil.move(str(last_store), str(args.store_to))
            res["store_to"] = str(args.store_to)

        # 4. optional profile ----------------------------------------------------------------
        if args.profile and "casewatch_load" not in args.skip:
            prof = args.out / f"profile-load-{args.rows}.txt"
            run = run_worker(
                "load",
                {"files": [str(p) for p in all_files], "store_dir": str(scratch / "store-profile"),
                 "profile": str(prof), "instrument": False},
                work,
            )
            res["profile"] = {"file": str(prof), "wall_s": run.result["wall"]}
            print(f"  profiled load: {run.result['wall']:.1f} s -> {prof}", flush=True)
            shutil.rmtree(scratch / "store-profile", ignore_errors=True)

        res["harness_wall_s"] = time.perf_counter() - started
        res["code_at_end"] = code_fingerprint()
        # raw figures first: a rendering problem must never lose a 10-minute run
        (args.out / f"results-{args.rows}.json").write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
        md = render(res)
        (args.out / f"results-{args.rows}.md").write_text(md + "\n", encoding="utf-8")
        print()
        print(md)
        print(f"\nwritten {args.out / f'results-{args.rows}.md'} and .json (harness {res['harness_wall_s']:.0f} s)")
        if res.get("queries") and not all(res["queries"]["equal"].values()):
            bad = [n for n, ok in res["queries"]["equal"].items() if not ok]
            for n in bad:
                print(f"{n}: duckdb {res['queries']['duckdb']['answers'][n]} != pandas {res['queries']['pandas']['answers'][n]}")
            raise AssertionError(f"pandas answers differ from DuckDB answers: {bad}")
        return 0
    finally:
        if args.keep_data:
            print(f"kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
