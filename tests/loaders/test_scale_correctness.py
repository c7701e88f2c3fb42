"""Same answers at scale: 1M case-file rows loaded at once give exactly the rows, STLs and page
figures that the same rows give when loaded as smaller loads (one force per load), so nothing in
the loader or the queries depends on the size or the order of loads (issue 6 point 5).

The size is ``CASEWATCH_SCALE_ROWS`` (default 1,000,000; the README's test command runs the
default). Timing is not asserted here: speed belongs to the benchmark (bench/).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from core import my_team, ngap, queries, queue, stl_watch
from core.config import Settings
from core.scope import Scope
from core.store import Store
from data_loaders.load import load_extracts
from sample_data.generate import DEFAULT_ANCHOR, generate

ROWS = int(os.environ.get("CASEWATCH_SCALE_ROWS", "1000000"))

ROWS_FINGERPRINT = {
    "case_offences": "SELECT count(*), sum(hash(*COLUMNS(* EXCLUDE (load_id, src_file)))::HUGEINT) FROM case_offences",
    "custody": "SELECT count(*), sum(hash(*COLUMNS(* EXCLUDE (load_id, src_file)))::HUGEINT) FROM custody",
    "quarantine": "SELECT count(*), sum(hash(src_row, column_name, value, reason)::HUGEINT) FROM quarantine",
}


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    base = tmp_path_factory.mktemp("scale")
    files = generate(base / "extracts", case_rows=ROWS)
    together = replace(Settings(), store_dir=base / "together")
    apart = replace(Settings(), store_dir=base / "apart")
    load_extracts(sorted(files.values()), together)
    for force in ("norfolk", "suffolk"):
        load_extracts(sorted(p for k, p in files.items() if k.startswith(force)), apart)
    a, b = Store(together.store_dir).connect_read(), Store(apart.store_dir).connect_read()
    yield a, b
    a.close()
    b.close()


def _same(x, y) -> None:
    if isinstance(x, pd.DataFrame):
        sort = list(x.columns)
        x = x.sort_values(sort, kind="stable").reset_index(drop=True)
        y = y[list(x.columns)].sort_values(sort, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_dtype=False)
    else:
        assert x == y


def test_the_stores_hold_the_same_rows_and_stls(stores):
    together, apart = stores
    n = together.execute("SELECT count(*) FROM case_offences").fetchone()[0]
    assert n >= ROWS * 0.95
    for name, sql in ROWS_FINGERPRINT.items():
        assert together.execute(sql).fetchone() == apart.execute(sql).fetchone(), name


AS_OF = [DEFAULT_ANCHOR, DEFAULT_ANCHOR - timedelta(days=90)]
SCOPES = [Scope(("36", "37"), None), Scope(("37",), None)]


@pytest.mark.parametrize("as_of", AS_OF, ids=str)
@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: "+".join(s.forces))
def test_every_page_gives_the_same_figures(stores, as_of: date, scope: Scope):
    together, apart = stores
    t = Settings().thresholds
    period = (as_of - timedelta(weeks=12), as_of)
    calls = {
        "band counts": lambda c: queries.stl_band_counts(c, scope, as_of, t),
        "queue length": lambda c: queries.cjs_queue_length(c, scope, as_of, t),
        "reviews": lambda c: queries.review_counts(c, scope, as_of, t),
        "ngap lights": lambda c: queries.ngap_light_counts(c, scope, as_of, t),
        "queue positions": lambda c: queue.positions(c, scope, as_of, t),
        "queue weekly": lambda c: queue.weekly(c, scope, as_of, t, period=period),
        "stl watch counts": lambda c: stl_watch.watch(c, scope, as_of, t, page_size=50).summary.groups,
        "stl watch first page": lambda c: stl_watch.watch(c, scope, as_of, t, page_size=50).cases,
        "black list": lambda c: stl_watch.black_by_team_month(c, scope, as_of, t, period=period),
        "my team": lambda c: my_team.workload(c, scope, as_of, t),
        "ngap backlog": lambda c: ngap.backlog(c, scope, as_of, t),
        "ngap workload": lambda c: ngap.workload(c, scope, as_of, t),
    }
    for name, call in calls.items():
        try:
            _same(call(together), call(apart))
        except AssertionError as exc:
            raise AssertionError(f"{name} differs between one load and per-force loads: {exc}") from None
