"""Casewatch at several sizes in one run: ingest, every page and cold start, each beside its baseline,
with the goals of issue 6 marked met or not met.

Usage (from the repository root, with the project venv)::

    .venv/bin/python -m bench.scale --data-root DIR [--sizes 100000,1000000,5000000]
                                    [--ingest-repeat 3,3,1] [--page-repeat 3] [--reruns 3]
                                    [--cold-starts 3] [--out bench/out]

``DIR`` (outside the repository) gets one folder per size holding the generated CSVs and the store
built from them; CSVs already there are reused. For each size, in this order, every measurement in
a fresh process:

1. **Ingest** — ``python -m bench.run --rows N --only casewatch_load duckdb_read_csv_auto_all
   pandas_load``: the Casewatch load (validate, quarantine, STLs, publish) of the case-file and
   custody CSVs beside DuckDB's bare ``read_csv`` of the same four files and a plain-pandas load
   (see bench/run.py). The last load's store is kept as ``DIR/N/store``.
2. **Pages** — ``python -m bench.pages --rows N`` on that store: each page's full rerun through
   Streamlit's AppTest (first visit with cold caches, cached rerun, a filter change that misses the
   cache) and, for the five pages that have one, its data work in DuckDB beside a plain-pandas twin
   whose answers are asserted equal (see bench/pages.py).
3. **Cold start** — ``streamlit run dashboard.py`` on loopback against the store, ``--cold-starts``
   times, each a fresh server: spawn to ``/_stcore/health`` answering, then one session's first
   rendered Overview over Streamlit's WebSocket (bench.loadtest's client), and the server's memory.

Writes ``<out>/scale.md`` and ``scale.json`` (plus each tool's own ``results-N`` / ``pages-N`` files)
and prints the Markdown. Goals (issue 6): ingest within 1.5x of bare read_csv; each page's data work
at least 5x faster than plain pandas at 1M rows; every page under one second at 5M rows.
Keep one benchmark at a time on the 2-core machine: the whole default run takes about an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

from bench import loadtest as L
from bench.pages import APP_ONLY, PAGES, TITLES
from bench.run import machine_info, wait_for_quiet

ROOT = Path(__file__).resolve().parent.parent
INGEST_GOAL = 1.5
PANDAS_GOAL = 5.0
PAGE_GOAL_S = 1.0


def _run(cmd: list[str]) -> None:
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def cold_start(store: Path, work: Path, times: int) -> dict[str, Any]:
    """Fresh server, time to healthy, then the first Overview rendered for one session."""
    runs = []
    for i in range(times):
        wait_for_quiet(120.0)
        server = L.start_server(store, work / f"cold-{i}", timeout=600.0)
        try:
            warm = asyncio.run(L.warm_up(server.url, L.Plan(pages=("home",), timeout=600.0)))
            mem = server.sample()["rss_mib"]
            if warm["errors"] or server.tracebacks():
                raise RuntimeError(f"cold start {i + 1}: {warm['errors'][:3]}\n{server.log_tail()}")
            runs.append({"healthy_s": server.spawn_to_healthy, "first_page_s": warm["first_page_s"],
                         "rss_mib": mem})
            print(f"  cold start {i + 1}: healthy {server.spawn_to_healthy:.2f} s, first page "
                  f"{warm['first_page_s']:.2f} s, server {mem:,.0f} MiB", flush=True)
        finally:
            server.stop()
    return {"runs": runs,
            "healthy_s": median(r["healthy_s"] for r in runs),
            "first_page_s": median(r["first_page_s"] for r in runs),
            "to_first_page_s": median(r["healthy_s"] + r["first_page_s"] for r in runs),
            "rss_mib": median(r["rss_mib"] for r in runs)}


def _method(results: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((m for m in results["methods"] if m["key"] == key), None)


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def summarise(size: int, results: dict[str, Any], pages: dict[str, Any], cold: dict[str, Any]) -> dict[str, Any]:
    load = _method(results, "casewatch_load")
    bare = _method(results, "duckdb_read_csv_auto_all")
    pandas = _method(results, "pandas_load")
    out: dict[str, Any] = {
        "rows": size,
        "all_rows": load["rows"] if load else None,
        "load_s": load and load["wall_median_s"], "load_runs": load and len(load["wall_s"]),
        "load_peak_mib": load and max(load["peak_rss_mib"]),
        "read_csv_s": bare and bare["wall_median_s"], "pandas_load_s": pandas and pandas["wall_median_s"],
        "pandas_load_peak_mib": pandas and max(pandas["peak_rss_mib"]),
        "pages": {}, "cold": cold, "errors": pages.get("errors", {}),
    }
    if load and bare:
        out["load_vs_read_csv"] = load["wall_median_s"] / bare["wall_median_s"]
    for page, p in pages["results"].items():
        a = p["app"]
        row = {"first": a["first"], "cached": median(a["cached"]), "miss": max(a["miss"].values()),
               "peak_mib": p["peak_rss_mib"]["app"]}
        if p.get("duckdb"):
            row["duckdb"] = median(p["duckdb"]["seq"])
            row["pandas"] = median(p["pandas"]["seq"])
            row["ratio"] = row["pandas"] / row["duckdb"]
            row["equal"] = all(p["equal"].values())
        out["pages"][page] = row
    return out


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "### Casewatch at scale: ingest, pages and cold start",
        "",
        f"`{report['command']}`, {report['when']}; {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, duckdb {m['duckdb']}, pandas {m['pandas']}; commit {m['commit']}. "
        "Medians; every measurement in a fresh process. As of 24/11/2026 (the generator's anchor), all forces.",
        "",
        "| case-file rows (all rows loaded) | Casewatch load s (runs) | bare `read_csv` s | × read_csv (goal ≤ "
        f"{INGEST_GOAL}×) | plain-pandas load s | load peak RSS MiB (pandas) | cold start: healthy + first "
        "page s | server RSS MiB after first page |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in report["sizes"]:
        ratio = s.get("load_vs_read_csv")
        c = s["cold"]
        lines.append(
            f"| {s['rows']:,} ({s['all_rows']:,}) | {s['load_s']:.1f} ({s['load_runs']}) | {s['read_csv_s']:.1f} | "
            f"{ratio:.1f}× {_verdict(ratio <= INGEST_GOAL)} | {s['pandas_load_s']:.1f} | "
            f"{s['load_peak_mib']:,.0f} ({s['pandas_load_peak_mib']:,.0f}) | {c['healthy_s']:.1f} + "
            f"{c['first_page_s']:.1f} = {c['to_first_page_s']:.1f} | {c['rss_mib']:,.0f} |")
    lines += [
        "",
        "Each page, seconds: first visit (fresh process, cold caches) / cached rerun / a filter change "
        "that misses the cache (slowest force); then the page's data work warm in DuckDB against the same "
        "work in plain pandas (answers asserted equal).",
        "",
        "| page | " + " | ".join(f"{s['rows']:,}: visit / rerun / filter" for s in report["sizes"])
        + " | " + " | ".join(f"{s['rows']:,}: DuckDB vs pandas" for s in report["sizes"]) + " |",
        "|---|" + "---|" * (2 * len(report["sizes"])),
    ]
    for page in (*PAGES, *APP_ONLY):
        if not any(page in s["pages"] for s in report["sizes"]):
            continue
        cells, work = [], []
        for s in report["sizes"]:
            r = s["pages"].get(page)
            cells.append(f"{r['first']:.2f} / {r['cached']:.2f} / {r['miss']:.2f}" if r else "not measured")
            if r and "duckdb" in r:
                work.append(f"{r['duckdb']:.2f} vs {r['pandas']:.2f} ({r['ratio']:.1f}×)"
                            + ("" if r["equal"] else " ANSWERS DIFFER"))
            else:
                work.append("– (no pandas twin)" if r else "not measured")
        lines.append(f"| {TITLES[page]} | " + " | ".join(cells) + " | " + " | ".join(work) + " |")
    lines += ["", "Goals (issue 6):", ""]
    for s in report["sizes"]:
        if "load_vs_read_csv" in s:
            lines.append(f"- {s['rows']:,} rows: ingest {s['load_vs_read_csv']:.1f}× bare read_csv (goal ≤ "
                         f"{INGEST_GOAL}×): {_verdict(s['load_vs_read_csv'] <= INGEST_GOAL)}.")
    for s in report["sizes"]:
        if s["rows"] == 1_000_000:
            ratios = {p: r["ratio"] for p, r in s["pages"].items() if "ratio" in r}
            if ratios:
                low = min(ratios, key=ratios.get)
                lines.append(f"- 1,000,000 rows: data work at least {PANDAS_GOAL:.0f}× faster than plain pandas on "
                             f"every page: {_verdict(min(ratios.values()) >= PANDAS_GOAL)} (lowest: {TITLES[low]} "
                             f"{ratios[low]:.1f}×; " + ", ".join(f"{TITLES[p]} {v:.1f}×" for p, v in ratios.items())
                             + ").")
        if s["rows"] == 5_000_000:
            for what, key in (("first visit", "first"), ("cached rerun", "cached"), ("filter change", "miss")):
                over = {p: r[key] for p, r in s["pages"].items() if r[key] >= PAGE_GOAL_S}
                lines.append(
                    f"- 5,000,000 rows: every page's {what} under {PAGE_GOAL_S:.0f} s: {_verdict(not over)}"
                    + (f" (over: " + ", ".join(f"{TITLES[p]} {v:.1f} s" for p, v in over.items()) + ")" if over else "")
                    + ".")
    for s in report["sizes"]:
        for page, err in s["errors"].items():
            lines.append(f"- ⚠ {s['rows']:,} rows: {TITLES.get(page, page)} was not measured: "
                         f"{err.strip().splitlines()[-1][:200]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", type=Path, required=True, help="folder for DIR/<rows>/ CSVs and stores (reused)")
    ap.add_argument("--sizes", default="100000,1000000,5000000", help="case-file rows, comma-separated")
    ap.add_argument("--ingest-repeat", default="3,3,1", help="Casewatch/read_csv/pandas load runs per size")
    ap.add_argument("--page-repeat", type=int, default=3, help="warm passes of each page's data work")
    ap.add_argument("--reruns", type=int, default=3, help="cached reruns per page")
    ap.add_argument("--cold-starts", type=int, default=3, help="fresh servers per size")
    ap.add_argument("--quiet-wait", type=float, default=60.0, help="seconds each tool waits for a quiet machine")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args(argv)

    sizes = [int(x) for x in args.sizes.split(",") if x]
    repeats = [int(x) for x in args.ingest_repeat.split(",")]
    repeats += [repeats[-1]] * (len(sizes) - len(repeats))
    args.out.mkdir(parents=True, exist_ok=True)
    py = sys.executable

    report: dict[str, Any] = {
        "command": "python -m bench.scale " + " ".join(argv if argv is not None else sys.argv[1:]),
        "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "machine": machine_info(), "sizes": [],
    }
    for size, repeat in zip(sizes, repeats, strict=True):
        data_dir = (args.data_root / str(size)).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        store = data_dir / "store"
        t0 = time.perf_counter()
        print(f"=== {size:,} case-file rows ===", flush=True)
        _run([py, "-m", "bench.run", "--rows", str(size), "--data-dir", str(data_dir), "--repeat", str(repeat),
              "--budget", "100000", "--only", "casewatch_load", "duckdb_read_csv_auto_all", "pandas_load",
              "--store-to", str(store), "--out", str(args.out), "--quiet-wait", str(args.quiet_wait)])
        results = json.loads((args.out / f"results-{size}.json").read_text(encoding="utf-8"))
        cmd = [py, "-m", "bench.pages", "--rows", str(size), "--data-dir", str(data_dir), "--repeat",
               str(args.page_repeat), "--reruns", str(args.reruns), "--out", str(args.out), "--quiet-wait",
               str(args.quiet_wait)]
        try:
            _run(cmd)
        except subprocess.CalledProcessError as exc:  # answers differ or a page failed: report, go on
            print(f"bench.pages exited {exc.returncode}; its report says why", flush=True)
        pages = json.loads((args.out / f"pages-{size}.json").read_text(encoding="utf-8"))
        print("cold start …", flush=True)
        cold = cold_start(store, data_dir / "cold", args.cold_starts)
        summary = summarise(size, results, pages, cold)
        summary["harness_s"] = time.perf_counter() - t0
        report["sizes"].append(summary)
        (args.out / "scale.json").write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    md = render(report)
    (args.out / "scale.md").write_text(md, encoding="utf-8")
    print()
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
