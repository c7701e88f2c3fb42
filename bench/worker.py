"""One measured method, run in a fresh process by ``bench.run`` (not meant to be called by hand).

Usage: ``python -m bench.worker METHOD SPEC.json RESULT.json``

The worker imports what its method needs, records its RSS after the imports, runs the method
once, and writes a JSON result (wall time of the measured part, process CPU time of that part,
method-specific details). Peak RSS is taken by the parent from ``os.wait4`` (the child's own
``ru_maxrss``), so every method's peak is its own.

Methods
-------
generate            sample_data.generate.generate(...) into spec["out_dir"]
load                data_loaders.load.load_extracts(files, Settings(store_dir=...)), with
                    benchmark-only timing wrappers around the loader's functions (no product
                    code is edited: functions are replaced on the imported modules)
duckdb_read_csv     bare DuckDB read_csv into a fresh persisted .duckdb file
                    (spec["mode"]: "auto" | "all_varchar" | "typed_no_order")
pandas_load         pd.read_csv(dtype=str) + pd.to_datetime(format=...) + vectorised s.127 date
queries_duckdb      the home page's four queries through core.queries on Store.connect_read()
queries_pandas      the same four computations in pandas on frames loaded from the store
page_app, page_duckdb, page_pandas
                    one page through AppTest / its data work through core / in plain pandas
                    (bench/pages.py, which documents them)
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from statistics import median
from typing import Any


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _timed(fn, n: int = 7, warmup: int = 1) -> tuple[list[float], Any]:
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


# ---------------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------------
def m_generate(spec: dict) -> dict:
    from datetime import date

    from sample_data.generate import generate

    rss0 = _rss_mib()
    t0, c0 = time.perf_counter(), _cpu()
    paths = generate(
        Path(spec["out_dir"]),
        date.fromisoformat(spec["anchor"]),
        spec["seed"],
        case_rows=spec["rows"],
    )
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    files = {k: str(v) for k, v in paths.items()}
    return {"wall": wall, "cpu": cpu, "rss_after_imports": rss0, "files": files}


# ---------------------------------------------------------------------------------------------
# Casewatch load, with a time split
# ---------------------------------------------------------------------------------------------
class _Clock:
    """Benchmark-only instrumentation: phase timers and per-statement SQL timers."""

    def __init__(self) -> None:
        self.phase: str = "build"
        self.phases: dict[str, float] = defaultdict(float)
        self.sql: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        self.marks: list[tuple[str, float, float]] = []
        """(phase, RSS MiB at its end, peak RSS MiB so far) after every wrapped call."""

    def wrap(self, owner: Any, name: str, label: str) -> None:
        orig = getattr(owner, name)

        def wrapper(*args, **kwargs):
            prev, self.phase = self.phase, label
            t = time.perf_counter()
            try:
                return orig(*args, **kwargs)
            finally:
                self.phases[label] += time.perf_counter() - t
                self.phase = prev
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                self.marks.append((label, round(_rss_mib()), round(peak)))

        wrapper.__wrapped__ = orig
        setattr(owner, name, wrapper)

    def note_sql(self, sql: str, seconds: float) -> None:
        text = " ".join(sql.split())
        key = f"[{self.phase}] {text[:90]}"
        entry = self.sql[key]
        entry[0] += seconds
        entry[1] += 1


class _TimedRelation:
    def __init__(self, rel: Any, clock: _Clock, sql: str) -> None:
        self._rel, self._clock, self._sqltext = rel, clock, sql

    def to_arrow_table(self, *a, **k):
        t = time.perf_counter()
        try:
            return self._rel.to_arrow_table(*a, **k)
        finally:
            self._clock.note_sql("(to_arrow_table) " + self._sqltext, time.perf_counter() - t)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rel, name)


class _TimedConnection:
    """Forwards to a DuckDB connection, timing execute() and sql() results by statement."""

    def __init__(self, con: Any, clock: _Clock) -> None:
        self._con, self._clock = con, clock

    def execute(self, sql, *args, **kwargs):
        t = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self._clock.note_sql(sql, time.perf_counter() - t)

    def sql(self, sql, *args, **kwargs):
        return _TimedRelation(self._con.sql(sql, *args, **kwargs), self._clock, sql)

    def close(self):
        t = time.perf_counter()
        try:
            return self._con.close()
        finally:
            self._clock.note_sql("(close connection)", time.perf_counter() - t)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def m_load(spec: dict) -> dict:
    import types

    import duckdb

    import core.store as store_mod
    import data_loaders.load as L
    from core.config import Settings

    clock = _Clock()
    if spec.get("instrument", True):
        shim = types.SimpleNamespace(**{k: getattr(duckdb, k) for k in dir(duckdb) if not k.startswith("__")})
        shim.connect = lambda *a, **k: _TimedConnection(duckdb.connect(*a, **k), clock)
        L.duckdb = shim  # only the loader's own connection is timed; Store.publish keeps the real module
        clock.wrap(L, "stage_file", "stage")
        clock.wrap(L, "check", "check")
        clock.wrap(L, "compute_stls", "stl")
        clock.wrap(L, "compute_bail_ends", "bail")
        clock.wrap(L, "sha256_of", "sha256")
        clock.wrap(L, "_offence_fingerprint", "fingerprint")
        clock.wrap(L, "_build", "build")
        clock.wrap(store_mod.Store, "begin", "store_begin")
        clock.wrap(store_mod.Store, "publish", "publish")
        clock.wrap(store_mod.Store, "prune", "prune")
        clock.wrap(store_mod.Store, "record_attempt", "record_attempt")
    settings = Settings(store_dir=Path(spec["store_dir"]))
    files = [Path(p) for p in spec["files"]]
    profile = spec.get("profile")
    rss0 = _rss_mib()
    t0, c0 = time.perf_counter(), _cpu()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        report = prof.runcall(L.load_extracts, files, settings)
    else:
        report = L.load_extracts(files, settings)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if profile:
        import io
        import pstats

        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf)
        st.sort_stats("cumulative").print_stats(45)
        st.sort_stats("tottime").print_stats(30)
        Path(profile).write_text(buf.getvalue(), encoding="utf-8")
    ph = dict(clock.phases)
    split: dict[str, float] = {}
    if ph:
        sql_in = lambda phase: sum(v[0] for k, v in clock.sql.items() if k.startswith(f"[{phase}]"))  # noqa: E731
        stl_sql = sql_in("stl")
        arrow_fetch = sum(v[0] for k, v in clock.sql.items() if k.startswith("[stl] (to_arrow_table)"))
        ckpt = sum(
            v[0] for k, v in clock.sql.items() if k.startswith("[build] CHECKPOINT") or k.startswith("[build] (close")
        )
        split = {
            "stage (read_csv to text + field-count flags)": ph.get("stage", 0.0),
            "check (typing, quarantine, duplicates)": ph.get("check", 0.0),
            "merge into store tables + schema/log SQL": sql_in("build") - ckpt,
            "STL: fetch input rows (to_arrow_table)": arrow_fetch,
            "STL: Python (to_pylist, offence_stl loop, build Arrow)": ph.get("stl", 0.0) - stl_sql,
            "STL: UPDATE results back into table": stl_sql - arrow_fetch,
            "bail end dates": ph.get("bail", 0.0),
            "sha256 of inputs + offence fingerprint": ph.get("sha256", 0.0) + ph.get("fingerprint", 0.0),
            "CHECKPOINT + close": ckpt,
            "publish (begin, reopen ro, fsync, rename, prune, log)": ph.get("store_begin", 0.0)
            + ph.get("publish", 0.0)
            + ph.get("prune", 0.0)
            + ph.get("record_attempt", 0.0),
        }
        split["other (Python glue, lazy imports, load_id)"] = wall - sum(split.values())
    top_sql = sorted(([k, v[0], v[1]] for k, v in clock.sql.items()), key=lambda x: -x[1])[:20]
    files_out = [
        {
            "file": f.file_name,
            "kind": f.kind,
            "rows_read": f.rows_read,
            "rows_loaded": f.rows_loaded,
            "rows_quarantined": f.rows_quarantined,
            "rows_skipped": f.rows_skipped,
            "warnings": f.warnings,
        }
        for f in report.files
    ]
    store = store_mod.Store(settings.store_dir)
    gen = store.current()
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_after_imports": rss0,
        "split": split,
        "phases": ph,
        "top_sql": top_sql,
        "memory_marks": clock.marks,
        "files": files_out,
        "store_file": str(gen),
        "store_bytes": gen.stat().st_size,
    }


# ---------------------------------------------------------------------------------------------
# bare DuckDB read_csv
# ---------------------------------------------------------------------------------------------
_DUCK_TYPES = {"DATE": "DATE", "TIMESTAMP": "TIMESTAMP", "INT": "BIGINT", "MONEY": "DOUBLE"}


def _typed_columns(path: Path, kind: str) -> dict[str, str]:
    """Explicit column types for a header, from the extract contract (dates/timestamps/ints)."""
    import csv

    from data_loaders.contract import EXTRACTS, header_lookup, normalise_header

    ext = EXTRACTS[kind]
    lookup = header_lookup(ext)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    out = {}
    for h in header:
        name = lookup.get(normalise_header(h))
        col = ext.by_name.get(name) if name else None
        out[h] = _DUCK_TYPES.get(col.type, "VARCHAR") if col else "VARCHAR"
    return out


def m_duckdb_read_csv(spec: dict) -> dict:
    import duckdb

    mode = spec["mode"]
    groups: dict[str, list[str]] = spec["groups"]  # table name -> csv paths
    typed = {}
    if mode == "typed_no_order":
        for table, paths in groups.items():
            typed[table] = _typed_columns(Path(paths[0]), spec["kinds"][table])
    rss0 = _rss_mib()
    t0, c0 = time.perf_counter(), _cpu()
    con = duckdb.connect(spec["db"])
    if mode == "typed_no_order":
        con.execute("SET preserve_insertion_order = false")
    rows = {}
    for table, paths in groups.items():
        if mode == "auto":
            src = "read_csv($p)"
        elif mode == "all_varchar":
            src = "read_csv($p, all_varchar = true)"
        else:
            cols = ", ".join(f"'{k}': '{v}'" for k, v in typed[table].items())
            src = (
                f"read_csv($p, header = true, auto_detect = false, columns = {{{cols}}}, "
                "dateformat = '%d/%m/%Y', timestampformat = '%d/%m/%Y %H:%M', ignore_errors = true)"
            )
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {src}", {"p": paths})
        rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    con.close()
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    types_ = {}
    con = duckdb.connect(spec["db"], read_only=True)
    for table in groups:
        desc = con.execute(f"DESCRIBE {table}").fetchall()
        types_[table] = {r[1]: sum(1 for d in desc if d[1] == r[1]) for r in desc}
    con.close()
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_after_imports": rss0,
        "rows": rows,
        "column_types": types_,
        "db_bytes": os.path.getsize(spec["db"]),
    }


# ---------------------------------------------------------------------------------------------
# plain pandas
# ---------------------------------------------------------------------------------------------
def m_pandas_load(spec: dict) -> dict:
    import csv

    import pandas as pd

    from data_loaders.contract import EXTRACTS, header_lookup, normalise_header

    ref = pd.read_csv(Path(spec["offence_ref"]), dtype=str)
    ref_mode = dict(zip(ref["cjs_code"], ref["mode_of_trial"], strict=True))

    # Which headers are dates / timestamps (decided from the contract before the clock starts).
    plans = []
    for path, kind in spec["files"]:
        ext = EXTRACTS[kind]
        lookup = header_lookup(ext)
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh))
        canon = {h: lookup.get(normalise_header(h)) for h in header}
        dates = [h for h, c in canon.items() if c and ext.by_name[c].type == "DATE"]
        stamps = [h for h, c in canon.items() if c and ext.by_name[c].type == "TIMESTAMP"]
        inv = {c: h for h, c in canon.items() if c}
        plans.append((path, kind, dates, stamps, inv))

    rss0 = _rss_mib()
    t0, c0 = time.perf_counter(), _cpu()
    split: dict[str, float] = defaultdict(float)
    frames = []
    summary_rows = 0
    for path, kind, dates, stamps, inv in plans:
        t = time.perf_counter()
        df = pd.read_csv(path, dtype=str)
        split[f"read_csv ({kind})"] += time.perf_counter() - t
        t = time.perf_counter()
        for c in dates:
            df[c] = pd.to_datetime(df[c], format="%d/%m/%Y", errors="coerce")
        for c in stamps:
            df[c] = pd.to_datetime(df[c], format="%d/%m/%Y %H:%M", errors="coerce")
        split[f"to_datetime x{len(dates) + len(stamps)} ({kind})"] += time.perf_counter() - t
        if kind == "case_files":
            t = time.perf_counter()
            code, start = inv["offence_code"], inv["offence_start_date"]
            mode = df[code].map(ref_mode)
            if "mode_of_trial" in inv:
                mode = mode.fillna(df[inv["mode_of_trial"]])
            summary = (mode == "SUMMARY").to_numpy(dtype=bool, na_value=False)
            stl = pd.Series(pd.NaT, index=df.index, dtype=df[start].dtype)
            stl[summary] = df.loc[summary, start] + pd.DateOffset(months=6)
            df["stl_date"] = stl
            summary_rows += int(summary.sum())
            split["STL date: offence date + DateOffset(months=6) (summary rows)"] += time.perf_counter() - t
        frames.append(df)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_after_imports": rss0,
        "split": dict(split),
        "rows": [len(f) for f in frames],
        "summary_rows": summary_rows,
        "rss_end": _rss_mib(),
    }


# ---------------------------------------------------------------------------------------------
# home page queries
# ---------------------------------------------------------------------------------------------
HOME = ("stl_band_counts", "cjs_queue_length", "review_counts", "ngap_light_counts")


def _answers_from_duckdb(name: str, result: Any) -> Any:
    if name == "cjs_queue_length":
        return int(result)
    return [[str(r[0]), int(r[1])] for r in result.itertuples(index=False)]


def m_queries_duckdb(spec: dict) -> dict:
    from datetime import date

    import core.queries as Q
    from core.config import Thresholds
    from core.queries import _params, prepare, queries
    from core.scope import Scope
    from core.store import Store

    as_of = date.fromisoformat(spec["as_of"])
    th = Thresholds()
    rss0 = _rss_mib()
    t = time.perf_counter()
    con = Store(spec["store_dir"]).connect_read()
    connect_s = time.perf_counter() - t
    forces = [r[0] for r in con.execute("SELECT DISTINCT force_code FROM case_offences ORDER BY 1").fetchall()]
    scope = Scope.everything(forces)
    out: dict[str, Any] = {"connect_s": connect_s, "forces": forces, "rss_after_imports": rss0, "queries": {}}
    answers = {}
    for name in HOME:
        fn = getattr(Q, name)
        times, res = _timed(lambda fn=fn: fn(con, scope, as_of, th))
        answers[name] = _answers_from_duckdb(name, res)
        out["queries"][name] = {"times": times}
    # the whole page: the four in sequence
    times, _ = _timed(lambda: [getattr(Q, n)(con, scope, as_of, th) for n in HOME])
    out["page_times"] = times
    # bare SQL: one cursor with the macros installed once, fetchall(), no DataFrame
    params = _params(scope, as_of, th)
    cur = prepare(con)
    import re

    for name in HOME:
        if name not in queries():  # composed in Python from another page's queries (core.queue)
            out["queries"][name]["bare_times"] = None
            continue
        sql = queries()[name]
        wanted = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
        p = {k: params[k] for k in wanted}
        times, _ = _timed(lambda sql=sql, p=p: cur.execute(sql, p).fetchall())
        out["queries"][name]["bare_times"] = times
    cur.close()
    con.close()
    out["answers"] = answers
    out["wall"] = sum(median(out["queries"][n]["times"]) for n in HOME)
    out["cpu"] = 0.0
    return out


def m_queries_pandas(spec: dict) -> dict:
    from datetime import date

    import numpy as np
    import pandas as pd

    from core.config import Thresholds
    from core.ngap import LIGHT_ORDER
    from core.stl import BAND_ORDER, NO_STATUTORY_LIMIT
    from core.store import Store

    as_of_d = date.fromisoformat(spec["as_of"])
    th = Thresholds()
    rss0 = _rss_mib()
    cols = (
        "force_code, urn, defendant_id, team, file_status, file_stage, created_date, stl_date, stl_rule, "
        "submitted_to_cjs_date, commenced_date, last_review_date, anticipated_plea, "
        "ngap_allocated_officer_id, ngap_allocation_date, upgrade_file_due_date, "
        "src_row, cjs_triage_date, cjs_triage_outcome, sent_to_cps_date, cps_decision_date, cps_decision"
    )
    t = time.perf_counter()
    con = Store(spec["store_dir"]).connect_read()
    df = con.sql(f"SELECT {cols} FROM case_offences").to_arrow_table().to_pandas(date_as_object=False)
    con.close()
    load_s = time.perf_counter() - t
    rss_loaded = _rss_mib()
    forces = spec["forces"]
    as_of = np.datetime64(as_of_d, "D")
    rank = {b: i for i, b in enumerate(BAND_ORDER)}

    def b(mask) -> np.ndarray:
        return np.asarray(mask.to_numpy(dtype=bool, na_value=False) if hasattr(mask, "to_numpy") else mask, dtype=bool)

    def scoped(d: pd.DataFrame) -> np.ndarray:
        return b(d["force_code"].isin(forces))  # all teams (Scope.everything)

    def stl_band_counts():
        d = df
        created = d["created_date"]
        keep = (
            scoped(d)
            & ~b(d["file_status"] == "CLOSED")
            & ~b(d["file_stage"] == "CLOSED")
            & b(created.isna() | (created <= as_of))
        )
        d = d.loc[keep, ["force_code", "urn", "defendant_id", "stl_date", "stl_rule", "submitted_to_cjs_date", "commenced_date"]]
        stl = d["stl_date"]
        com = d["commenced_date"]
        sub = d["submitted_to_cjs_date"]
        days = ((stl - as_of) / np.timedelta64(1, "D")).to_numpy(dtype=float, na_value=np.nan)
        committed = b(com.notna() & (com <= as_of))
        submitted = b(sub.notna() & (sub <= as_of))
        has_stl = b(stl.notna())
        conds = [
            b(d["stl_rule"] == NO_STATUTORY_LIMIT),
            ~has_stl,
            committed & b(com <= stl),
            committed,
            has_stl & b(stl < as_of),
            days <= th.red_days_uncharged,
            ~submitted & (days <= th.red_days_unsubmitted),
            ~submitted & (days <= th.amber_days_unsubmitted),
        ]
        choices = [rank["NO_LIMIT"], rank["UNKNOWN"], rank["COMMENCED"], rank["BLACK"], rank["BLACK"],
                   rank["RED"], rank["RED"], rank["AMBER"]]
        band = np.select(conds, choices, default=rank["GREEN"])
        worst = (
            pd.DataFrame({"f": d["force_code"].to_numpy(), "u": d["urn"].to_numpy(),
                          "d": d["defendant_id"].to_numpy(), "band": band})
            .groupby(["f", "u", "d"], dropna=False, sort=False)["band"].min()
        )
        counts = worst.value_counts().sort_index()
        return [[BAND_ORDER[i], int(n)] for i, n in counts.items()]

    def cjs_queue_length():
        # Since 16:06 UTC 2026-11-25 core.queries.cjs_queue_length is the Submission queue's own
        # count (core.queue / queue.sql): files (force, URN) whose FIRST row (lowest src_row)
        # stands in one of the five queue stages on as_of, per the queue_position macro. Twin:
        d = df.loc[scoped(df)]
        IN_QUEUE = ["AWAITING_TRIAGE", "ACCEPTED", "SENT_TO_CPS", "ACTION_PLAN", "RESUBMITTED"]

        def day(col: str) -> np.ndarray:
            return d[col].to_numpy(dtype="datetime64[ms]", na_value=np.datetime64("NaT")).astype("datetime64[D]")

        cre, sub, tri = day("created_date"), day("submitted_to_cjs_date"), day("cjs_triage_date")
        sent, dec_on, com = day("sent_to_cps_date"), day("cps_decision_date"), day("commenced_date")
        status, decision = d["file_status"], d["cps_decision"]
        nat = np.isnat
        # queue_finished_on: least(commenced, final decision date), else for DECIDED/CLOSED files the
        # last dated event (least/greatest ignore NULLs, as in DuckDB)
        final_dec = np.where(b(decision.notna() & (decision != "ACTION_PLAN")), dec_on, np.datetime64("NaT"))
        first_finish = np.fmin(com, final_dec)
        closed = b(status.isin(["DECIDED", "CLOSED"])) | b(d["file_stage"] == "CLOSED")
        last_event = np.fmax.reduce([sub, tri, sent, dec_on])
        finished_on = np.where(~nat(first_finish), first_finish, np.where(closed, last_event, np.datetime64("NaT")))
        latest = np.fmax.reduce([cre, sub, tri, sent, dec_on, com])
        settled = ~nat(latest) & (latest <= as_of)
        in_queue = np.select(
            [
                nat(sub) | (sub > as_of),                                          # NOT_SUBMITTED
                ~nat(finished_on) & (finished_on <= as_of),                        # FINISHED
                settled & b(status.isin(IN_QUEUE)),                                # its status
                settled & b(status.isin(["REJECTED", "IN_PROGRESS"])),            # REJECTED
                b(decision == "ACTION_PLAN") & ~nat(dec_on) & (dec_on <= as_of),  # from the dates:
                ~nat(sent) & (sent <= as_of),                                      # SENT_TO_CPS
                ~nat(tri) & (tri <= as_of) & b(d["cjs_triage_outcome"] == "REJECTED"),  # REJECTED
            ],
            [False, False, True, False, True, True, False],
            default=True,                                                          # ACCEPTED / AWAITING_TRIAGE
        )
        first = (
            pd.DataFrame({"f": d["force_code"].to_numpy(), "u": d["urn"].to_numpy(),
                          "r": d["src_row"].to_numpy(), "q": in_queue})
            .sort_values("r", kind="stable")
            .drop_duplicates(["f", "u"])
        )
        return int(first["q"].sum())

    def review_counts():
        d = df
        com, created = d["commenced_date"], d["created_date"]
        keep = (
            scoped(d)
            & b(d["file_stage"] == "PRE_CHARGE")
            & ~b(d["file_status"].isin(["CLOSED", "DECIDED"]))
            & b(com.isna() | (com > as_of))
            & b(created.isna() | (created <= as_of))
        )
        inv = (
            d.loc[keep, ["force_code", "urn", "last_review_date", "created_date"]]
            .groupby(["force_code", "urn"], dropna=False, sort=False)
            .agg(last=("last_review_date", "max"), created=("created_date", "min"))
        )
        due = inv["last"].fillna(inv["created"]) + pd.Timedelta(days=th.review_period_days)
        left = ((due - as_of) / np.timedelta64(1, "D")).to_numpy(dtype=float, na_value=np.nan)
        has = b(due.notna())
        status = np.select(
            [~has, has & (left < 0), has & (left <= th.review_due_soon_days)], [3, 0, 1], default=2
        )
        order = ["OVERDUE", "DUE", "OK", "UNKNOWN"]
        counts = pd.Series(status).value_counts().sort_index()
        return [[order[i], int(n)] for i, n in counts.items()]

    def ngap_light_counts():
        d = df
        keep = (
            scoped(d)
            & b(d["anticipated_plea"] == "NGAP")
            & b(d["file_stage"].isin(["FIRST_HEARING_NGAP", "UPGRADE_NG"]))
            & ~b(d["file_status"] == "CLOSED")
        )
        g = (
            d.loc[keep, ["force_code", "urn", "defendant_id", "ngap_allocated_officer_id",
                         "ngap_allocation_date", "upgrade_file_due_date"]]
            .groupby(["force_code", "urn", "defendant_id"], dropna=False, sort=False)
            .agg(officer=("ngap_allocated_officer_id", "count"),
                 allocated=("ngap_allocation_date", "min"), due=("upgrade_file_due_date", "min"))
        )
        # any_value() ignores NULLs and the loader stores '' as NULL, so "no officer" = no non-null value
        alloc, due = g["allocated"], g["due"]
        left = ((due - as_of) / np.timedelta64(1, "D")).to_numpy(dtype=float, na_value=np.nan)
        unalloc = b(g["officer"] == 0) | b(alloc.notna() & (alloc > as_of))
        light = np.select(
            [unalloc, b(due.isna()), left < 0, left <= th.ngap_due_soon_days], [0, 3, 1, 2], default=4
        )
        counts = pd.Series(light).value_counts().sort_index()
        return [[LIGHT_ORDER[i], int(n)] for i, n in counts.items()]

    fns = {
        "stl_band_counts": stl_band_counts,
        "cjs_queue_length": cjs_queue_length,
        "review_counts": review_counts,
        "ngap_light_counts": ngap_light_counts,
    }
    out: dict[str, Any] = {"load_s": load_s, "rss_after_imports": rss0, "rss_loaded": rss_loaded, "queries": {}}
    answers = {}
    for name in HOME:
        times, res = _timed(fns[name])
        answers[name] = res
        out["queries"][name] = {"times": times}
    times, _ = _timed(lambda: [fns[n]() for n in HOME])
    out["page_times"] = times
    out["answers"] = answers
    out["frame_rows"] = len(df)
    out["frame_cols"] = len(df.columns)
    out["frame_mib"] = float(df.memory_usage(deep=True).sum() / 2**20)
    out["wall"] = sum(median(out["queries"][n]["times"]) for n in HOME)
    out["cpu"] = 0.0
    return out


METHODS = {
    "generate": m_generate,
    "load": m_load,
    "duckdb_read_csv": m_duckdb_read_csv,
    "pandas_load": m_pandas_load,
    "queries_duckdb": m_queries_duckdb,
    "queries_pandas": m_queries_pandas,
}


def _pages_method(name: str):
    """A per-page method of bench.pages (imported when run: it is a larger module)."""

    def call(spec: dict) -> dict:
        from bench import pages

        return getattr(pages, name)(spec)

    return call


# bench.pages: a page through AppTest; its data work through core; the same in plain pandas
METHODS.update({m: _pages_method(f"m_{m}") for m in ("page_app", "page_duckdb", "page_pandas")})


def main(argv: list[str]) -> int:
    method, spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    # Which version of the (concurrently edited) product code this run measured: taken before the
    # method imports anything, and again at the end (they differ if a file changed meanwhile).
    try:
        from bench.run import code_fingerprint
    except Exception:  # noqa: BLE001 - never lose a measurement over bookkeeping
        code_fingerprint = None
    code_start = code_fingerprint() if code_fingerprint else None
    result = METHODS[method](spec)
    result["rss_self_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if code_fingerprint:
        result["code"] = code_start
        end = code_fingerprint()
        if end != code_start:
            result["code_at_end"] = end
    Path(result_path).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
