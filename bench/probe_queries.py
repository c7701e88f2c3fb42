"""Where do the home page queries spend their time? (benchmark-only diagnosis)

Usage: ``python -m bench.probe_queries STORE_DIR [--as-of 2026-11-24]``

On the published generation in STORE_DIR (read-only, as the dashboard opens it), for each home
query: the ``core.queries`` call, the bare SQL on one prepared cursor, the cost of a cursor with the
rule macros installed, and the DuckDB profiler's per-operator split of the bare SQL (median of 7
after a warm-up; the profile is from one extra run). Also times a few reductions of
``stl_band_counts`` to separate the filter + band CASE from the per-case GROUP BY.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from statistics import median

import core.queries as Q
from core.config import Thresholds
from core.queries import _params, prepare, queries
from core.scope import Scope
from core.sql_rules import install
from core.store import Store

HOME = ("stl_band_counts", "cjs_queue_length", "review_counts", "ngap_light_counts")


def timed(fn, n: int = 7) -> float:
    fn()
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        xs.append(time.perf_counter() - t)
    return median(xs) * 1000


def operators(cur, sql: str, params: dict) -> list[tuple[str, float, int]]:
    out = Path(tempfile.mkdtemp()) / "profile.json"
    cur.execute("PRAGMA enable_profiling = 'json'")
    cur.execute(f"PRAGMA profiling_output = '{out}'")
    cur.execute(sql, params).fetchall()
    cur.execute("PRAGMA disable_profiling")
    prof = json.loads(out.read_text())
    agg: dict[str, list] = defaultdict(lambda: [0.0, 0])

    def walk(node):
        name = node.get("name") or node.get("operator_type") or "?"
        agg[name][0] += node.get("timing", node.get("operator_timing", 0.0)) or 0.0
        agg[name][1] = max(agg[name][1], node.get("operator_cardinality", node.get("intermediate_rows", 0)) or 0)
        for c in node.get("children", []):
            walk(c)

    for node in prof.get("operator", prof.get("children", [])):
        walk(node)
    return sorted(((k, v[0] * 1000, v[1]) for k, v in agg.items()), key=lambda x: -x[1])


def queue_probe(con, scope, as_of, th) -> None:
    """cjs_queue_length as core.queue computes it vs a count-only query with the same macros."""
    try:
        from core import queue
    except ImportError:
        return
    if "queue_positions" not in queries():
        return
    qp = {**queue._params(scope, as_of, th, queue.DEFAULT_POLICY)}
    cur = con.cursor()
    for stmt in queue._macros():
        cur.execute(stmt)
    full = queries()["queue_positions"]
    count_only = (
        "SELECT count(*) FILTER (WHERE position IN ('AWAITING_TRIAGE', 'ACCEPTED', 'SENT_TO_CPS', 'ACTION_PLAN', "
        "'RESUBMITTED')) FROM (SELECT arg_min(queue_position($as_of, file_status, file_stage, created_date, "
        "submitted_to_cjs_date, cjs_triage_date, cjs_triage_outcome, sent_to_cps_date, cps_decision_date, "
        "cps_decision, commenced_date), src_row) AS position FROM case_offences "
        "WHERE list_contains($forces, force_code) GROUP BY force_code, urn)"
    )
    bound = lambda q: {k: qp[k] for k in set(re.findall(r"\$([a-z_][a-z0-9_]*)", q))}  # noqa: E731
    a = timed(lambda: Q.cjs_queue_length(con, scope, as_of, th))
    b = timed(lambda: cur.execute(full, bound(full)).fetchall())
    c_res = cur.execute(count_only, bound(count_only)).fetchall()[0][0]
    c = timed(lambda: cur.execute(count_only, bound(count_only)).fetchall())
    print(f"\ncjs_queue_length via core.queue.positions: {a:.1f} ms (answer {Q.cjs_queue_length(con, scope, as_of, th):,}); "
          f"queue_positions SQL bare {b:.1f} ms; count-only SQL with the same macros {c:.1f} ms (answer {c_res:,})")
    cur.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store_dir", type=Path)
    ap.add_argument("--as-of", default="2026-11-24")
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)
    con = Store(args.store_dir).connect_read()
    forces = [r[0] for r in con.execute("SELECT DISTINCT force_code FROM case_offences ORDER BY 1").fetchall()]
    n = con.execute("SELECT count(*) FROM case_offences").fetchall()[0][0]
    scope, th = Scope.everything(forces), Thresholds()
    params = _params(scope, as_of, th)
    print(f"{n:,} offence rows; forces {forces}")

    def bound(sql: str) -> dict:
        return {k: params[k] for k in set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))}

    cur = prepare(con)
    rows = {}
    for name in HOME:
        if name not in queries():  # composed in Python (cjs_queue_length via core.queue since 16:06)
            continue
        sql = queries()[name]
        p = bound(sql)
        call = timed(lambda name=name: getattr(Q, name)(con, scope, as_of, th))
        bare = timed(lambda sql=sql, p=p: cur.execute(sql, p).fetchall())

        def fresh_install():
            c = con.cursor()
            install(c)
            c.close()

        inst = timed(fresh_install)
        rows[name] = (call, bare, inst)

    # stl_band_counts reductions
    sql = queries()["stl_band_counts"]
    inner = sql.split("), cases AS", 1)[0].replace("WITH offences AS (", "", 1)
    variants = {
        "filter + band CASE only: count(*) of the offences CTE": f"SELECT count(*), count(band) FROM ({inner})",
        "filter + band + GROUP BY case (no final count)": f"SELECT count(*) FROM ({sql.split('SELECT $band_order[worst]')[0]} SELECT * FROM cases)",
        "GROUP BY case only (no band): count of cases": (
            "SELECT count(*) FROM (SELECT force_code, urn, defendant_id FROM case_offences "
            "GROUP BY ALL)"
        ),
        "whole query as shipped": sql,
    }
    print("\nstl_band_counts reductions (bare, same cursor):")
    for label, q in variants.items():
        p = bound(q)
        print(f"    {timed(lambda q=q, p=p: cur.execute(q, p).fetchall()):8.1f} ms  {label}")
    cur.close()
    queue_probe(con, scope, as_of, th)
    con.close()
    # The profiler needs an unlocked configuration: a plain read-only connection (same file).
    import duckdb

    plain = duckdb.connect(str(Store(args.store_dir).current()), read_only=True)
    pcur = plain.cursor()
    install(pcur)
    for name in HOME:
        if name not in rows:
            continue
        sql = queries()[name]
        call, bare, inst = rows[name]
        print(f"\n{name}: core.queries {call:.1f} ms, bare SQL {bare:.1f} ms, new cursor + install macros {inst:.1f} ms")
        for op, ms, card in operators(pcur, sql, bound(sql))[:6]:
            print(f"    {op:28s} {ms:8.1f} ms  (max rows {card:,})")
    plain.close()


if __name__ == "__main__":
    main()
