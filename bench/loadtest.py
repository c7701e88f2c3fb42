"""Casewatch load test: N concurrent browser sessions driving real page reruns over Streamlit's
WebSocket on loopback (issue 6 point 2; reliability.md LD-01 ladder and LD-02 soak).

Usage (from the repository root, with the project venv)::

    .venv/bin/python -m bench.loadtest [--sessions 1,5,10,25,50] [--duration 60] [--store DIR]
                                       [--soak 20x600] [--ramp 10] [--think 1.0] [--filter-rate 0.2]
                                       [--pages home,stl_watch,...] [--timeout 60] [--as-of 2026-11-24]
                                       [--quiet-wait 900] [--label NAME] [--out bench/out] [--seed 36]

``--sessions ''`` skips the ladder (soak only); without ``--soak`` there is no soak.

What it does
------------
For each N of ``--sessions`` (one fresh server per step) and then for the soak:

1. **Server.** Waits for the machine to be quiet (below), then starts
   ``python -m streamlit run dashboard.py --server.headless true --server.address 127.0.0.1
   --server.port <free port> --server.fileWatcherType none`` with ``CASEWATCH_STORE`` = the store
   (default ``var/store``, the bundled sample) and ``CASEWATCH_AUDIT`` = a temporary audit log, so
   every consultation is audited as in production without touching the store's own log. The file
   watcher is off as in production (``docs/access.md``), and so colleagues' edits to the working tree
   cannot restart scripts mid-run. Spawn-to-healthy time is recorded (LD-06).
2. **Warm-up.** One session opens every page with all forces, then with one force (first load of
   the server: imports, connection, caches). Its first page time is the cold first render; the
   server's memory after the warm-up is the step's baseline.
3. **Load.** N sessions (``bench.loadtest_client.Session``: the browser's own protocol, see its
   docstring) arrive at random moments within ``--ramp`` seconds, each on a random page. A session
   loads its page, then repeats: think (uniform 0.5-1.5 x ``--think``), then either change a
   sidebar filter on the same page (probability ``--filter-rate``: all forces / one force / one team
   of the current force, chosen at random, so some reruns miss ``st.cache_data``) or go to the next
   page of ``--pages`` (all eight case pages by default). The measured window opens when every
   session has loaded its first page (at most 300 s after the first arrival) and lasts
   ``--duration`` seconds; then no new requests start, and those in flight may finish (at most
   ``--timeout``). A session whose
   connection is lost reconnects as a new session (a browser reload) and carries on.
4. **Measured.** Every rerun's time from sending ``rerun_script`` to ``script_finished`` (what the
   user waits for, on this machine: server work + loopback + this client's parsing). Reported:
   p50/p95/p99/max of the page and filter changes started in the window ("rerun"), the first page
   of each session apart ("first load": a new session, cold per-session state), reruns per second
   and bytes per rerun in the window, errors by kind over the whole step (exception element, ``st.error`` alert, page not found, lost connection,
   timeout, protocol), server tracebacks in its log, server memory = RSS of the server process and
   its children sampled with psutil every second (every 5 s in the soak): baseline after warm-up,
   peak, end; its thread count; the CPU used by the server, by this client, and by every other
   process ("other load", cores) during the window, and the client's event-loop lag (so a
   client-bound run shows). Percentiles are nearest-rank.
5. **Soak** (``--soak SxT``, e.g. ``20x600``): S sessions for T seconds on one server, the same
   behaviour. Memory: after warm-up, "start" = the first sample 60 s into the window (every session
   has loaded pages by then and the caches have filled), end = the last sample in the window,
   growth = end / start - 1 (goal < 10 %), and the least-squares slope over the samples between
   (MiB per minute). Threads at start and end.

Quiet machine: the machine is shared. Before each step the harness waits until no other benchmark
runs (``pgrep -f 'bench\\.(run|pages|worker)|/tmp/pgb'``) and other processes use < 0.5 cores,
for at most ``--quiet-wait`` seconds in total over the whole run (default 900). A step during which
another benchmark was seen or other processes used >= 0.5 cores is marked ⚠ (noisy); its figures
are pessimistic, not invalid. A fingerprint of the product files is taken before and after each step
and a change is reported.

Goals (issue 6): 25 sessions with p95 rerun under 2 s and no errors on 2 cores; soak memory growth
under 10 %. The report says for each whether it is met.

Writes ``<out>/loadtest-<label>.md`` and ``.json`` (label: ``--label``, else the store's size, e.g.
``25k`` for the sample or ``1m``) and prints the Markdown. ``bench/out`` is git-ignored.
The load generator runs on the same 2 cores as the server, so every figure is pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.loadtest_client import LOOPBACK, Rerun, Session

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("home", "stl_watch", "submission_queue", "my_team", "ngap_tracker", "quality", "changes", "joim")
ANCHOR = "2026-11-24"
"""The synthetic data's as-of date (sample_data.generate); sessions open the dashboard as of it."""
QUIET_CORES = 0.5
OTHER_BENCH = r"bench\.(run|pages|worker)|/tmp/pgb"
GOAL_SESSIONS, GOAL_P95, GOAL_GROWTH = 25, 2.0, 0.10
FINGERPRINT = ("core/**/*.py", "core/**/*.sql", "ui/*.py", "pages/*.py", "dashboard.py", ".streamlit/config.toml")


# =============================================================================================
# Machine: other load, quiet waits, fingerprints
# =============================================================================================
def busy_cpu_seconds() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)


def other_benchmarks() -> list[str]:
    """Command lines of other engineers' benchmarks running now (never this harness)."""
    out = subprocess.run(["pgrep", "-af", OTHER_BENCH], capture_output=True, text=True, check=False).stdout
    mine = {os.getpid()}
    return [line for line in out.splitlines() if line and int(line.split()[0]) not in mine]


class Quiet:
    """Waits for a quiet machine within one budget for the whole run."""

    def __init__(self, budget: float) -> None:
        self.left = budget

    def wait(self) -> dict[str, Any]:
        t0 = time.monotonic()
        others = other_benchmarks()
        while others and self.left > 0:
            print(f"  (another benchmark is running: {others[0][:100]}; waiting, {self.left:.0f} s left)", flush=True)
            time.sleep(min(15.0, self.left))
            self.left -= time.monotonic() - t0
            t0 = time.monotonic()
            others = other_benchmarks()
        load = self._cpu()
        while load >= QUIET_CORES and self.left > 0:
            print(f"  (machine busy: {load:.2f} cores used; waiting)", flush=True)
            time.sleep(min(4.0, self.left))
            self.left -= time.monotonic() - t0
            t0 = time.monotonic()
            load = self._cpu()
        self.left -= time.monotonic() - t0
        return {"other_benchmarks_at_start": others, "load_at_start": round(load, 2)}

    @staticmethod
    def _cpu() -> float:
        b0, t0 = busy_cpu_seconds(), time.monotonic()
        time.sleep(1.0)
        return (busy_cpu_seconds() - b0) / (time.monotonic() - t0)


def fingerprint() -> str:
    h = hashlib.sha256()
    for pattern in FINGERPRINT:
        for p in sorted(ROOT.glob(pattern)):
            h.update(p.relative_to(ROOT).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


def store_rows(store: Path) -> int | None:
    """Offence rows in the store's current generation (read-only), for the label."""
    try:
        from core.store import Store

        con = Store(store).connect_read()
        try:
            return int(con.sql("SELECT count(*) FROM case_offences").fetchall()[0][0])
        finally:
            con.close()
    except Exception:  # noqa: BLE001 - the label is cosmetic; the server will report a bad store
        return None


def size_label(rows: int | None) -> str:
    if rows is None:
        return "store"
    return f"{rows / 1e6:g}m" if rows >= 1_000_000 else f"{round(rows / 1e3):d}k"


# =============================================================================================
# The server under test
# =============================================================================================
def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path
    spawn_to_healthy: float

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)

    def tree(self) -> list[psutil.Process]:
        try:
            p = self.ps
            return [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> dict[str, float]:
        """RSS (MiB) and threads of the server and its children, and their CPU seconds so far."""
        rss = cpu = 0.0
        threads = 0
        for p in self.tree():
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    c = p.cpu_times()
                    cpu += c.user + c.system
                    threads += p.num_threads()
            except psutil.NoSuchProcess:
                continue
        return {"rss_mib": rss / 2**20, "cpu_s": cpu, "threads": threads}

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tracebacks(self) -> int:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace").count("Traceback (most recent call last)")
        except OSError:
            return 0

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_server(store: Path, work: Path, *, port: int | None = None, timeout: float = 90.0) -> Server:
    """``streamlit run dashboard.py`` on loopback with CASEWATCH_STORE=store, audit log in ``work``."""
    port = port or free_port()
    work.mkdir(parents=True, exist_ok=True)
    log = work / f"server-{port}.log"
    env = {
        **os.environ,
        "CASEWATCH_STORE": str(store),
        "CASEWATCH_AUDIT": str(work / f"audit-{port}.jsonl"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
           "--server.address", LOOPBACK, "--server.port", str(port), "--server.fileWatcherType", "none"]
    t0 = time.perf_counter()
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return Server(proc, url, log, time.perf_counter() - t0)
        except OSError:
            time.sleep(0.1)
    server = Server(proc, url, log, math.nan)
    server.stop()
    raise RuntimeError(f"the server did not become healthy on {url}:\n{server.log_tail()}")


# =============================================================================================
# Users
# =============================================================================================
@dataclass
class Plan:
    pages: tuple[str, ...] = PAGES
    think: float = 1.0
    filter_rate: float = 0.2
    timeout: float = 60.0
    query: str = f"as_of={ANCHOR}"
    default_page: str = "home"
    """Served at the root URL: Streamlit gives the default page the URL path ''."""

    def url(self, page: str) -> str:
        return "" if page == self.default_page else page


@dataclass
class Checks:
    """Harness self-checks (not product errors): did a filter change reach the server?"""

    filter_changes: int = 0
    filter_not_applied: int = 0
    reconnects: int = 0


def change_filter(s: Session, rng: random.Random) -> str:
    """A user changes the sidebar to a different view: all forces, another force, or another team
    of the current force(s)."""
    forces, teams = s.options("force"), s.options("team")
    force, team = s.chosen.get("force", []), s.chosen.get("team", [])
    choices = []
    if force or team:
        choices.append("all")
    if [f for f in forces if [f] != force]:
        choices.append("force")
    if [t for t in teams if [t] != team]:
        choices.append("team")
    if not choices:
        return ""
    variant = rng.choice(choices)
    if variant == "all":
        s.choose("force", [])
        s.choose("team", [])
    elif variant == "force":
        s.choose("force", [rng.choice([f for f in forces if [f] != force])])
        s.choose("team", [])
    else:
        s.choose("team", [rng.choice([t for t in teams if [t] != team])])
    return variant


@dataclass
class Window:
    """The measured window: opens when every session has loaded its first page (or ``max_ramp``
    has passed), closes ``duration`` seconds later."""

    n: int
    duration: float
    loaded: int = 0
    start: float = math.inf
    stop: float = math.inf
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    def session_loaded(self) -> None:
        self.loaded += 1
        if self.loaded >= self.n:
            self.open()

    def open(self) -> None:
        if not self.opened.is_set():
            self.start = time.monotonic()
            self.stop = self.start + self.duration
            self.opened.set()


async def user(url: str, plan: Plan, rng: random.Random, window: Window, out: list[Rerun], checks: Checks,
               arrive_within: float) -> None:
    """One browser tab: arrives at a random moment within ``arrive_within`` s, loads a random page,
    then browses until the window closes."""
    await asyncio.sleep(rng.uniform(0, arrive_within))
    i = rng.randrange(len(plan.pages))
    s: Session | None = None
    first = True
    try:
        while time.monotonic() < window.stop:
            if s is None or s.ws is None:
                if s is not None:
                    checks.reconnects += 1
                    await asyncio.sleep(1.0)  # a browser retries after a pause
                s = Session(url, query_string=plan.query, timeout=plan.timeout)
                try:
                    await s.connect()
                except Exception as exc:  # noqa: BLE001 - every failure to connect is an error to report
                    r = Rerun(page=plan.pages[i], action="connect", started=time.monotonic())
                    r.errors.append(("connect", f"{exc.__class__.__name__}: {exc}"[:300]))
                    out.append(r)
                    s.ws = None
                    continue
                r = await s.rerun(plan.url(plan.pages[i]), "load", plan.pages[i])
            else:
                await asyncio.sleep(plan.think * rng.uniform(0.5, 1.5))
                if time.monotonic() >= window.stop:
                    break
                before = s.signature()
                if rng.random() < plan.filter_rate and change_filter(s, rng):
                    r = await s.rerun(plan.url(plan.pages[i]), "filter", plan.pages[i])
                    if r.ok:
                        checks.filter_changes += 1
                        checks.filter_not_applied += s.signature() == before
                else:
                    i = (i + 1) % len(plan.pages)
                    r = await s.rerun(plan.url(plan.pages[i]), "page", plan.pages[i])
            out.append(r)
            if first:
                first = False
                window.session_loaded()
    finally:
        if s is not None:
            await s.close()


async def warm_up(url: str, plan: Plan) -> dict[str, Any]:
    """Every page with all forces, then every page with the first force."""
    s = Session(url, query_string=plan.query, timeout=max(plan.timeout, 180.0))
    await s.connect()
    runs: list[Rerun] = []
    try:
        for page in plan.pages:
            runs.append(await s.rerun(plan.url(page), "load" if not runs else "page", page))
        forces = s.options("force")
        if forces:
            s.choose("force", [forces[0]])
            for page in plan.pages:
                runs.append(await s.rerun(plan.url(page), "filter" if page == plan.pages[0] else "page", page))
    finally:
        await s.close()
    errors = [f"{r.page}: {k}: {d}" for r in runs for k, d in r.errors]
    return {
        "first_page_s": runs[0].seconds,
        "pages_s": {r.page + ("" if i < len(plan.pages) else " (one force)"): r.seconds for i, r in enumerate(runs)},
        "errors": errors,
    }


async def _lag_probe(stop: asyncio.Event, lags: list[float]) -> None:
    """How late the client's event loop wakes up (a busy client inflates its measurements)."""
    while not stop.is_set():
        t0 = time.perf_counter()
        await asyncio.sleep(0.1)
        lags.append(max(0.0, time.perf_counter() - t0 - 0.1))


async def _monitor(server: Server, stop: asyncio.Event, every: float, samples: list[dict[str, float]],
                   others_seen: list[str]) -> None:
    t0 = time.monotonic()
    n = 0
    while not stop.is_set():
        s = server.sample()
        s["t"] = round(time.monotonic() - t0, 2)
        samples.append(s)
        if n % max(1, round(5 / every)) == 0:  # pgrep every ~5 s
            found = await asyncio.to_thread(other_benchmarks)
            if found:
                others_seen.extend(f for f in found if f not in others_seen)
        n += 1
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass


async def drive(server: Server, n: int, duration: float, plan: Plan, seed: int, sample_every: float,
                ramp: float, max_ramp: float) -> dict[str, Any]:
    """N sessions arriving over ``ramp`` s; once all have loaded a page, ``duration`` s measured."""
    rng = random.Random(seed)
    reruns: list[Rerun] = []
    checks = Checks()
    window = Window(n, duration)
    stop = asyncio.Event()
    samples: list[dict[str, float]] = []
    lags: list[float] = []
    others_seen: list[str] = []
    monitor = asyncio.create_task(_monitor(server, stop, sample_every, samples, others_seen))
    lag = asyncio.create_task(_lag_probe(stop, lags))
    await asyncio.sleep(0)
    t_arrive = time.monotonic()
    tasks = [
        asyncio.create_task(user(server.url, plan, random.Random(rng.random()), window, reruns, checks, ramp))
        for _ in range(n)
    ]
    try:
        await asyncio.wait_for(window.opened.wait(), max_ramp)
    except TimeoutError:
        window.open()  # some sessions never loaded a page: measure anyway; their errors are counted
    before = server.sample()
    busy0, client0, t0 = busy_cpu_seconds(), _own_cpu(), time.monotonic()
    lag_from = len(lags)
    await asyncio.gather(*tasks)
    wall = time.monotonic() - t0
    after = server.sample()
    busy, client = busy_cpu_seconds() - busy0, _own_cpu() - client0
    stop.set()
    await asyncio.gather(monitor, lag)
    server_cpu = max(0.0, after["cpu_s"] - before["cpu_s"])
    return {
        "reruns": reruns, "checks": checks, "samples": samples, "lags": lags[lag_from:], "wall": wall,
        "window_start": window.start, "ramp_s": window.start - t_arrive, "monitor_t0": t_arrive,
        "server_cores": server_cpu / wall, "client_cores": client / wall,
        "other_cores": max(0.0, busy - server_cpu - client) / wall, "others_seen": others_seen,
        "duration": duration,
    }


def _own_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


# =============================================================================================
# Statistics
# =============================================================================================
def pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    k = max(0, math.ceil(p / 100 * len(xs)) - 1)
    return xs[k]


def dist(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
        "max": max(values) if values else None, "mean": sum(values) / len(values) if values else None,
    }


def summarise(raw: dict[str, Any], n: int, warm: dict[str, Any], server: Server, tracebacks_before: int,
              fp: tuple[str, str], quiet: dict[str, Any]) -> dict[str, Any]:
    reruns: list[Rerun] = raw["reruns"]
    window = [r for r in reruns if r.started >= raw["window_start"]]
    steady = [r.seconds for r in window if r.ok and r.action in ("page", "filter")]
    loads = [r.seconds for r in reruns if r.ok and r.action == "load"]
    errors = Counter(kind for r in reruns for kind, _ in r.errors)
    examples: dict[str, str] = {}
    for r in reruns:
        for kind, detail in r.errors:
            examples.setdefault(kind, f"{r.page}: {detail}")
    by_page: dict[str, list[float]] = {}
    for r in window:
        if r.ok and r.action in ("page", "filter"):
            by_page.setdefault(r.page, []).append(r.seconds)
    by_action = {a: dist([r.seconds for r in window if r.action == a and r.ok]) for a in ("page", "filter")}
    samples = raw["samples"]
    rss = [s["rss_mib"] for s in samples]
    threads = [s["threads"] for s in samples]
    finished = [r for r in window if r.seconds is not None]
    c: Checks = raw["checks"]
    noisy = bool(raw["others_seen"]) or raw["other_cores"] >= QUIET_CORES
    return {
        "sessions": n,
        "duration_s": raw["duration"],
        "wall_s": round(raw["wall"], 1),
        "ramp_s": round(raw["ramp_s"], 1),
        "window_start_t_s": round(raw["window_start"] - raw["monitor_t0"], 2),
        "rerun": dist(steady),
        "first_load": dist(loads),
        "by_action": by_action,
        "by_page": {p: dist(v) for p, v in sorted(by_page.items())},
        "reruns_finished": len(finished),
        "reruns_per_s": len(finished) / raw["wall"] if raw["wall"] else None,
        "bytes_per_rerun_p50": pct([r.bytes for r in finished], 50),
        "cache_refs_per_rerun_mean": (sum(r.cache_refs for r in finished) / len(finished)) if finished else None,
        "double_runs": sum(r.script_runs > 1 for r in finished),
        "errors": dict(errors),
        "errors_in_window": sum(len(r.errors) for r in window),
        "error_examples": examples,
        "error_count": sum(errors.values()),
        "server_tracebacks": server.tracebacks() - tracebacks_before,
        "server_alive": server.alive(),
        "rss_mib": {
            "baseline": samples[0]["rss_mib"] if samples else None,
            "peak": max(rss) if rss else None,
            "end": rss[-1] if rss else None,
        },
        "threads": {"start": threads[0] if threads else None, "peak": max(threads) if threads else None,
                    "end": threads[-1] if threads else None},
        "server_cores": round(raw["server_cores"], 2),
        "client_cores": round(raw["client_cores"], 2),
        "client_loop_lag_p95_ms": round(1000 * (pct(raw["lags"], 95) or 0.0), 1),
        "other_cores": round(raw["other_cores"], 2),
        "other_benchmarks_seen": raw["others_seen"],
        "noisy": noisy,
        "quiet": quiet,
        "checks": {"filter_changes": c.filter_changes, "filter_not_applied": c.filter_not_applied,
                   "reconnects": c.reconnects},
        "server": {"spawn_to_healthy_s": server.spawn_to_healthy, "warm_up": warm},
        "code_changed": fp[0] != fp[1],
        "samples": samples,
        "raw": [r.to_json() for r in reruns],
    }


def soak_memory(samples: list[dict[str, float]], start_t: float, end_t: float) -> dict[str, Any]:
    """Start = first sample at or after ``start_t``, end = last sample at or before ``end_t`` (s from
    the first arrival); growth = end / start - 1; slope by least squares over the samples between
    (MiB/min)."""
    if not samples:
        return {}
    later = [s for s in samples if start_t <= s["t"] <= end_t] or samples
    start, end = later[0], later[-1]
    xs = [s["t"] / 60 for s in later]
    ys = [s["rss_mib"] for s in later]
    slope = None
    if len(xs) >= 2:
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        den = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None
    return {
        "after_warm_up_mib": samples[0]["rss_mib"],
        "start_t_s": start["t"], "start_mib": start["rss_mib"],
        "end_t_s": end["t"], "end_mib": end["rss_mib"],
        "max_mib": max(s["rss_mib"] for s in samples),
        "growth": end["rss_mib"] / start["rss_mib"] - 1 if start["rss_mib"] else None,
        "slope_mib_per_min": slope,
        "threads_start": start["threads"], "threads_end": end["threads"],
    }


# =============================================================================================
# One step
# =============================================================================================
def run_step(store: Path, work: Path, n: int, duration: float, plan: Plan, seed: int, quiet: Quiet,
             *, ramp: float, max_ramp: float = 300.0, soak: bool = False) -> dict[str, Any]:
    q = quiet.wait()
    fp0 = fingerprint()
    server = start_server(store, work)
    try:
        warm = asyncio.run(warm_up(server.url, plan))
        tb0 = server.tracebacks()
        raw = asyncio.run(drive(server, n, duration, plan, seed, sample_every=5.0 if soak else 1.0,
                                ramp=ramp, max_ramp=max_ramp))
        res = summarise(raw, n, warm, server, tb0, (fp0, fingerprint()), q)
        if res["error_count"] or res["server_tracebacks"] or warm["errors"]:
            res["server_log_tail"] = server.log_tail(60)
        if soak:
            w0 = res["window_start_t_s"]
            res["memory"] = soak_memory(raw["samples"], w0 + 60.0, w0 + duration)
        return res
    finally:
        server.stop()


# =============================================================================================
# Report
# =============================================================================================
def _s(x: float | None, nd: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:+.1f} %"


def _errors(res: dict[str, Any]) -> str:
    if not res["error_count"]:
        return "0"
    return f"{res['error_count']} (" + ", ".join(f"{k} {v}" for k, v in sorted(res["errors"].items())) + ")"


def render(report: dict[str, Any]) -> str:
    m, cfg = report["machine"], report["config"]
    lines = [
        f"# Casewatch load test — store {report['label']} ({report['store_rows'] or '?'} offence rows)",
        "",
        f"{m['when']} · {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB · Python {m['python']}, "
        f"Streamlit {m['streamlit']}, DuckDB {m['duckdb']} · commit {m['commit']} (working tree; "
        f"product fingerprint {report['fingerprint']})",
        "",
        f"Command: `{report['command']}`",
        "",
        f"Each session: think {cfg['think']:g} s (uniform ×0.5–1.5), filter change with probability "
        f"{cfg['filter_rate']:g} (all forces / one force / one team), otherwise the next of "
        f"{len(cfg['pages'])} pages ({', '.join(cfg['pages'])}); as of {cfg['as_of'] or 'today'}; rerun timeout "
        f"{cfg['timeout']:g} s. One fresh server per step, warmed by one session over every page; sessions "
        f"arrive within {cfg['ramp']:g} s and the {cfg['duration']:g} s window starts once every session has "
        "loaded its first page. Load generator on the same machine. Times in seconds; \"rerun\" = a page "
        "change or filter change started in the window (p50/p95/p99 nearest-rank); \"first load\" = a new "
        "session's first page; errors = all errors of the step, arrivals included.",
        "",
    ]
    steps = report["ladder"]
    if steps:
        lines += [
            "## Ladder",
            "",
            "| sessions | reruns | reruns/s | rerun p50 | p95 | p99 | max | first load p50 / p95 | errors | "
            "server RSS MiB base → peak | threads | server / client / other cores | note |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|",
        ]
        for r in steps:
            d, f, rss = r["rerun"], r["first_load"], r["rss_mib"]
            note = []
            if r["noisy"]:
                note.append("⚠ noisy")
            if r["client_loop_lag_p95_ms"] >= 50:
                note.append(f"client lag p95 {r['client_loop_lag_p95_ms']:.0f} ms")
            if r["server_tracebacks"]:
                note.append(f"{r['server_tracebacks']} server tracebacks")
            if r["code_changed"]:
                note.append("code changed during step")
            if r["double_runs"]:
                note.append(f"{r['double_runs']} reruns ran the script twice")
            if r["checks"]["filter_not_applied"]:
                note.append(f"{r['checks']['filter_not_applied']} filter changes not applied")
            lines.append(
                f"| {r['sessions']} | {d['n']} | {_s(r['reruns_per_s'], 1)} | {_s(d['p50'])} | {_s(d['p95'])} | "
                f"{_s(d['p99'])} | {_s(d['max'])} | {_s(f['p50'])} / {_s(f['p95'])} | {_errors(r)} | "
                f"{_s(rss['baseline'], 0)} → {_s(rss['peak'], 0)} | {r['threads']['peak']} | "
                f"{r['server_cores']:.2f} / {r['client_cores']:.2f} / {r['other_cores']:.2f} | {'; '.join(note)} |"
            )
        lines += ["", "Per page at each step (rerun p50 / p95, s):", ""]
        pages = report["config"]["pages"]
        lines += ["| sessions | " + " | ".join(pages) + " |", "|---:|" + "---:|" * len(pages)]
        for r in steps:
            cells = [f"{_s(r['by_page'].get(p, {}).get('p50'))} / {_s(r['by_page'].get(p, {}).get('p95'))}"
                     for p in pages]
            lines.append(f"| {r['sessions']} | " + " | ".join(cells) + " |")
        lines += ["", "Page change vs filter change (rerun p50 / p95, s):", "",
                  "| sessions | page change | filter change |", "|---:|---:|---:|"]
        for r in steps:
            pa, fi = r["by_action"]["page"], r["by_action"]["filter"]
            lines.append(f"| {r['sessions']} | {_s(pa['p50'])} / {_s(pa['p95'])} (n={pa['n']}) | "
                         f"{_s(fi['p50'])} / {_s(fi['p95'])} (n={fi['n']}) |")
        lines += ["", "Per step: server spawn → healthy / the warm-up session's cold first page / arrivals until "
                  "every session had its first page (s), bytes per rerun (p50), cache references per rerun: "
                  + "; ".join(f"N={r['sessions']}: {_s(r['server']['spawn_to_healthy_s'])} / "
                              f"{_s(r['server']['warm_up']['first_page_s'])} / {_s(r['ramp_s'], 1)}, "
                              f"{(r['bytes_per_rerun_p50'] or 0) / 1024:.0f} KiB, "
                              f"{_s(r['cache_refs_per_rerun_mean'], 1)}"
                              for r in steps), ""]
    soak = report.get("soak")
    if soak:
        mem, d = soak["memory"], soak["rerun"]
        lines += [
            "## Soak",
            "",
            "| sessions × s | reruns | rerun p50 | p95 | p99 | max | errors | RSS MiB after warm-up | "
            "RSS at start (t) | RSS at end (t) | max | growth | slope MiB/min | threads start → end | "
            "server / client / other cores | note |",
            "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            f"| {soak['sessions']} × {soak['duration_s']:g} | {d['n']} | {_s(d['p50'])} | {_s(d['p95'])} | "
            f"{_s(d['p99'])} | {_s(d['max'])} | {_errors(soak)} | {_s(mem['after_warm_up_mib'], 0)} | "
            f"{_s(mem['start_mib'], 0)} ({mem['start_t_s']:.0f} s) | "
            f"{_s(mem['end_mib'], 0)} ({mem['end_t_s']:.0f} s) | {_s(mem['max_mib'], 0)} | {_pct(mem['growth'])} | "
            f"{_s(mem['slope_mib_per_min'], 2)} | {mem['threads_start']} → {mem['threads_end']} | "
            f"{soak['server_cores']:.2f} / {soak['client_cores']:.2f} / {soak['other_cores']:.2f} | "
            f"{'⚠ noisy' if soak['noisy'] else ''} |",
            "",
        ]
    lines += ["## Goals", ""]
    for g in report["goals"]:
        lines.append(f"- {g}")
    warnings = report.get("warnings") or []
    if warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in warnings]
    return "\n".join(lines) + "\n"


def goals(ladder: list[dict[str, Any]], soak: dict[str, Any] | None) -> list[str]:
    out = []
    at = {r["sessions"]: r for r in ladder}
    if GOAL_SESSIONS in at:
        r = at[GOAL_SESSIONS]
        ok = r["rerun"]["p95"] is not None and r["rerun"]["p95"] < GOAL_P95 and r["error_count"] == 0
        out.append(f"{GOAL_SESSIONS} sessions, p95 rerun < {GOAL_P95:g} s and no errors: "
                   f"**{'met' if ok else 'not met'}** (p95 {_s(r['rerun']['p95'])} s, errors {_errors(r)})"
                   + (" — measured on a noisy machine" if r["noisy"] else ""))
    else:
        out.append(f"{GOAL_SESSIONS} sessions: not measured in this run")
    held = [r["sessions"] for r in ladder
            if r["rerun"]["p95"] is not None and r["rerun"]["p95"] < GOAL_P95 and r["error_count"] == 0]
    crossed = [r["sessions"] for r in ladder if r["rerun"]["p95"] is None or r["rerun"]["p95"] >= GOAL_P95]
    if ladder:
        out.append(f"Largest N held with p95 < {GOAL_P95:g} s and 0 errors: {max(held) if held else 'none'}; "
                   f"first N with p95 ≥ {GOAL_P95:g} s: {min(crossed) if crossed else 'none up to ' + str(max(at))}.")
        sat = max(ladder, key=lambda r: r["reruns_per_s"] or 0)
        out.append(f"Highest throughput: {_s(sat['reruns_per_s'], 1)} reruns/s at N={sat['sessions']}.")
    if soak:
        g = soak["memory"]["growth"]
        ok = g is not None and g < GOAL_GROWTH and soak["error_count"] == 0
        out.append(f"Soak {soak['sessions']} sessions × {soak['duration_s']:g} s, memory growth < "
                   f"{100 * GOAL_GROWTH:.0f} % and no errors: **{'met' if ok else 'not met'}** "
                   f"({_pct(g)}, errors {_errors(soak)})" + (" — noisy machine" if soak["noisy"] else ""))
    return out


def machine_info() -> dict[str, Any]:
    import duckdb
    import streamlit

    cpu = ""
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
    except OSError:
        pass
    commit = ""
    try:
        head = (ROOT / ".git" / "HEAD").read_text().strip()
        commit = (ROOT / ".git" / head[5:]).read_text().strip() if head.startswith("ref: ") else head
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(), "streamlit": streamlit.__version__, "duckdb": duckdb.__version__,
        "commit": commit[:12], "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# =============================================================================================
# CLI
# =============================================================================================
def parse_soak(text: str) -> tuple[int, float]:
    n, _, secs = text.lower().partition("x")
    return int(n), float(secs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", default="1,5,10,25,50", help="comma-separated N for the ladder ('' = none)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load per ladder step")
    ap.add_argument("--soak", default="", help="SESSIONSxSECONDS, e.g. 20x600 ('' = no soak)")
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "store", help="store directory (default var/store)")
    ap.add_argument("--ramp", type=float, default=10.0,
                    help="sessions arrive at random within this many seconds (not part of --duration)")
    ap.add_argument("--think", type=float, default=1.0, help="mean think time between reruns, s")
    ap.add_argument("--filter-rate", type=float, default=0.2, help="share of reruns that change a filter")
    ap.add_argument("--pages", default=",".join(PAGES), help="comma-separated URL paths to cycle through")
    ap.add_argument("--timeout", type=float, default=60.0, help="a rerun not finished after this is an error")
    ap.add_argument("--as-of", default=ANCHOR, help="as-of date in the URL ('' = the server's today)")
    ap.add_argument("--quiet-wait", type=float, default=900.0, help="total seconds to wait for a quiet machine")
    ap.add_argument("--label", default="", help="report name suffix (default: the store's size, e.g. 1m)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--seed", type=int, default=36)
    args = ap.parse_args(argv)

    store = args.store.resolve()
    if not (store / "CURRENT").exists():
        ap.error(f"{store} is not a Casewatch store (no CURRENT): build one with `python cli.py load-sample` "
                 "or `python cli.py --store DIR load FILES`")
    sessions = [int(x) for x in args.sessions.split(",") if x.strip()]
    soak = parse_soak(args.soak) if args.soak else None
    if any(n < 1 or n > 200 for n in sessions) or (soak and not 1 <= soak[0] <= 200):
        ap.error("sessions must be between 1 and 200 (reliability.md: bounded load on a shared machine)")
    pages = tuple(p.strip() for p in args.pages.split(",") if p.strip())
    plan = Plan(pages=pages, think=args.think, filter_rate=args.filter_rate, timeout=args.timeout,
                query=f"as_of={args.as_of}" if args.as_of else "")
    rows = store_rows(store)
    label = args.label or size_label(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    quiet = Quiet(args.quiet_wait)
    work = Path(tempfile.mkdtemp(prefix="casewatch-loadtest-"))
    report: dict[str, Any] = {
        "label": label, "store": str(store), "store_rows": rows,
        "command": " ".join(["python -m bench.loadtest", *(argv if argv is not None else sys.argv[1:])]),
        "config": {"ramp": args.ramp, "think": plan.think, "filter_rate": plan.filter_rate, "pages": list(pages),
                   "timeout": plan.timeout, "as_of": args.as_of, "duration": args.duration,
                   "sessions": sessions, "soak": args.soak, "seed": args.seed},
        "machine": machine_info(), "fingerprint": fingerprint(), "ladder": [], "soak": None, "warnings": [],
    }
    try:
        for n in sessions:
            print(f"== {n} session(s), {args.duration:g} s", flush=True)
            res = run_step(store, work, n, args.duration, plan, args.seed + n, quiet, ramp=args.ramp)
            report["ladder"].append(res)
            d = res["rerun"]
            print(f"   reruns {d['n']}, p50 {_s(d['p50'])} s, p95 {_s(d['p95'])} s, p99 {_s(d['p99'])} s, "
                  f"errors {_errors(res)}, RSS peak {_s(res['rss_mib']['peak'], 0)} MiB, "
                  f"other load {res['other_cores']:.2f}{' ⚠' if res['noisy'] else ''}", flush=True)
        if soak:
            print(f"== soak: {soak[0]} sessions, {soak[1]:g} s", flush=True)
            report["soak"] = run_step(store, work, soak[0], soak[1], plan, args.seed + 1000, quiet, ramp=args.ramp,
                                      soak=True)
        for r in [*report["ladder"], *([report["soak"]] if report["soak"] else [])]:
            if r["code_changed"]:
                report["warnings"].append(f"N={r['sessions']}: product files changed during the step")
            if r["server"]["warm_up"]["errors"]:
                report["warnings"].append(f"N={r['sessions']}: warm-up errors: {r['server']['warm_up']['errors'][:3]}")
            for kind, ex in r["error_examples"].items():
                report["warnings"].append(f"N={r['sessions']}: {kind}: {ex}")
        report["goals"] = goals(report["ladder"], report["soak"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    md = render(report)
    stem = args.out / f"loadtest-{label}"
    stem.with_suffix(".md").write_text(md, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    print(md)
    print(f"wrote {stem}.md and {stem}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
