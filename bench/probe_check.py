"""Diagnose ``data_loaders.validate.check`` on one staged CSV (benchmark-only; product code untouched).

Usage: ``python -m bench.probe_check PATH.csv [--threads N]``

Stages the file with ``data_loaders.read.stage_file``, runs ``check`` once with every SQL statement
captured and timed, then re-runs the captured ``__typed`` statement in variants to show where its time
goes: planning alone (``EXPLAIN``), the same statement on an empty copy of the staged table (fixed
cost), the statement as is, with the trim character set written as a literal instead of the
``' ' || chr(9) || …`` expression, the typing SELECT alone (no reason list), and the count of
``try_strptime`` calls in the text. Prints a small table.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import duckdb


class Recorder:
    def __init__(self, con):
        self.con, self.log = con, []

    def execute(self, sql, *a, **k):
        t = time.perf_counter()
        try:
            return self.con.execute(sql, *a, **k)
        finally:
            self.log.append((sql, a[0] if a else k.get("parameters"), time.perf_counter() - t))

    def __getattr__(self, name):
        return getattr(self.con, name)


def timed(con, sql, params=None, n=1):
    best = []
    for _ in range(n):
        t = time.perf_counter()
        con.execute(sql, params) if params else con.execute(sql)
        best.append(time.perf_counter() - t)
    return min(best)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--no-columns", action="store_true", help="skip the per-column timings")
    args = ap.parse_args()

    from data_loaders.load import BASE_SCHEMA
    from data_loaders.read import stage_file
    from data_loaders.validate import _TRIM, check

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    con.execute("SET preserve_insertion_order = true")
    for stmt in BASE_SCHEMA:
        con.execute(stmt)
    rec = Recorder(con)
    t = time.perf_counter()
    staged = stage_file(rec, args.path, "__stage_0")
    stage_s = time.perf_counter() - t
    rows = con.execute("SELECT count(*) FROM __stage_0").fetchall()[0][0]
    ncols = len(con.execute("DESCRIBE __stage_0").fetchall())
    rec.log.clear()
    t = time.perf_counter()
    check(rec, staged, load_id=1, typed_table="__typed_0")
    check_s = time.perf_counter() - t
    print(f"{args.path.name}: {rows:,} rows, {ncols} staged columns; stage {stage_s:.2f} s, check {check_s:.2f} s")
    print("\ncheck() statements:")
    for sql, _, s in sorted(rec.log, key=lambda x: -x[2])[:8]:
        print(f"  {s:7.2f} s  {' '.join(sql.split())[:100]}")

    typed_sql, typed_params, typed_s = next(x for x in rec.log if "CREATE OR REPLACE TEMP TABLE __typed AS" in x[0])
    count = next((x for x in rec.log if x[0].startswith("SELECT count(*) FILTER")), None)
    count_sql, count_params = (count[0], count[1]) if count else (None, None)
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '__stage_0'").fetchall()[0][0]:
        stage_file(con, args.path, "__stage_0")  # newer check() drops the staging table; stage it again
    print(f"\n__typed statement: {len(typed_sql):,} characters, {typed_sql.count('try_strptime'):,} try_strptime calls, "
          f"{typed_sql.count('regexp_'):,} regexp calls, {typed_sql.count('trim('):,} trim calls")

    select_sql = typed_sql.split("__typed AS", 1)[1]
    results = []
    t = time.perf_counter()
    con.execute("EXPLAIN " + select_sql, typed_params)
    results.append(("plan only (EXPLAIN of the __typed SELECT)", time.perf_counter() - t))
    con.execute("CREATE TEMP TABLE __empty AS SELECT * FROM __stage_0 LIMIT 0")
    results.append(("__typed on an empty table (fixed cost)", timed(con, typed_sql.replace("FROM __stage_0", "FROM __empty"), typed_params)))
    results.append(("__typed as check() runs it", timed(con, typed_sql, typed_params)))
    trim_lit = "'" + " \t\n\r\u00a0\u200b\ufeff" + "'"
    results.append((
        "__typed with the trim set as a literal string",
        timed(con, typed_sql.replace(_TRIM, trim_lit), typed_params),
    ))
    count_lit = count_sql.replace(_TRIM, trim_lit) if count_sql else None
    if count_sql:
        results.append(("blank/header count as check() runs it", timed(con, count_sql, count_params)))
        results.append(("blank/header count with the literal trim set", timed(con, count_lit, count_params)))
    # The typed values alone (older check() layout only): drop the problems list and the window
    m = re.search(r"WITH base AS \((.*?)\), checked AS", typed_sql, re.S)
    if m:
        base = m.group(1)
        results.append(("typing SELECT alone (base CTE, no reasons/window)",
                        timed(con, "CREATE OR REPLACE TEMP TABLE __x AS " + base, typed_params)))
        results.append(("typing SELECT alone, literal trim set",
                        timed(con, "CREATE OR REPLACE TEMP TABLE __x AS " + base.replace(_TRIM, trim_lit), typed_params)))
    results.append(("bare: CREATE TABLE AS SELECT * FROM __stage_0", timed(con, "CREATE OR REPLACE TEMP TABLE __y AS SELECT * FROM __stage_0")))
    # DuckDB's in_clause optimizer turns `x IN (6+ constants)` into a MARK hash join; check() has
    # one per null-token test and per allowed-code test. Count them in the plan, then switch it off.
    plan = "\n".join(str(r[1]) for r in con.execute("EXPLAIN " + select_sql, typed_params).fetchall())
    print(f"  plan of the __typed SELECT: {plan.count('MARK')} MARK joins, {plan.count('HASH_JOIN')} HASH_JOIN operators")
    con.execute("SET disabled_optimizers = 'in_clause'")
    results.append(("__typed with SET disabled_optimizers='in_clause'", timed(con, typed_sql, typed_params)))
    results.append(("__typed, in_clause off + literal trim set", timed(con, typed_sql.replace(_TRIM, trim_lit), typed_params)))
    if count_sql:
        results.append(("blank/header count, in_clause off", timed(con, count_sql, count_params)))
    plan = "\n".join(str(r[1]) for r in con.execute("EXPLAIN " + select_sql, typed_params).fetchall())
    print(f"  with in_clause off: {plan.count('MARK')} MARK joins")
    con.execute("RESET disabled_optimizers")
    for label, s in results:
        print(f"  {s:7.2f} s  {label}")

    if args.no_columns:
        return
    # Per column: the cleaned text, the typed value and the reason, as check() builds them
    import inspect

    import data_loaders.validate as V
    from data_loaders.validate import _duck_type, _typed

    layered = len(inspect.signature(_typed).parameters) == 1  # newer check(): _typed(col) with __S__
    per_col = []
    for col in staged.extract.columns:
        pos = staged.mapping.get(col.name)
        if pos is None:
            continue
        if layered:
            tt, v, r = _typed(col)
            tt = tt.replace("__S__", V._trim(f"c{pos}"))
        else:
            tt, v, r = _typed(col, f"c{pos}")
        v_sql = v.replace("__T__", "t")
        r_sql = r.replace("__T__", "t").replace("__V__", f"({v_sql})")
        q_val = f"SELECT CAST({v_sql} AS {_duck_type(col)}) AS v FROM (SELECT {tt} AS t, * FROM __stage_0)"
        q_all = f"SELECT CAST({v_sql} AS {_duck_type(col)}) AS v, {r_sql} AS r FROM (SELECT {tt} AS t, * FROM __stage_0)"
        q_lit = q_val.replace(_TRIM, trim_lit)
        s_val = timed(con, f"CREATE OR REPLACE TEMP TABLE __c AS {q_val}")
        s_all = timed(con, f"CREATE OR REPLACE TEMP TABLE __c AS {q_all}")
        s_lit = timed(con, f"CREATE OR REPLACE TEMP TABLE __c AS {q_lit}")
        per_col.append((col.name, col.type, s_val, s_all, s_lit))
    print("\nper column (value / value+reason / value with literal trim set), s:")
    by_type: dict[str, list[float]] = {}
    for name, typ, a, b, c in sorted(per_col, key=lambda x: -x[3]):
        print(f"  {a:6.3f} {b:6.3f} {c:6.3f}  {typ:9s} {name}")
        agg = by_type.setdefault(typ, [0, 0.0, 0.0, 0.0])
        agg[0] += 1
        agg[1] += a
        agg[2] += b
        agg[3] += c
    print("by type: " + "; ".join(f"{t} x{n}: {a:.2f} / {b:.2f} / {c:.2f}" for t, (n, a, b, c) in by_type.items()))
    print(f"sum over columns: {sum(x[2] for x in per_col):.2f} / {sum(x[3] for x in per_col):.2f} / {sum(x[4] for x in per_col):.2f}")


if __name__ == "__main__":
    main()
