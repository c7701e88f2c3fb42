"""The Data page (pages/data.py): AppTest behaviour tests, the stale-data banner, and the upload path
(data_loaders.subprocess_load) it drives.

Uploads go through AppTest's own file uploader into a copy of the sample store, so the shared
sample store is never changed. Expected counts come from the raw sample extracts or the store, not
from the page's own queries.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from core.config import SAMPLE_DIR, Settings
from core.store import Store
from data_loaders import subprocess_load as sl
from tests.conftest import copy_store

NORFOLK_CASES = SAMPLE_DIR / "norfolk_case_files.csv"


def raw_cases() -> pd.DataFrame:
    frames = [pd.read_csv(SAMPLE_DIR / f"{force}_case_files.csv", dtype=str, keep_default_na=False)
              for force in ("norfolk", "suffolk")]
    return pd.concat(frames, ignore_index=True)


def sample_lines() -> list[bytes]:
    return NORFOLK_CASES.read_bytes().splitlines(keepends=True)


def extract(rows: int, bad: tuple[int, ...] = ()) -> bytes:
    """The header and the first ``rows`` data rows of the Norfolk sample case-file extract, with the
    offence date of the data rows numbered in ``bad`` (1 = first data row) made impossible."""
    lines = sample_lines()
    header = lines[0].decode().rstrip("\r\n").split(",")
    col = header.index("offence_start_date")
    out = [lines[0]]
    for n, line in enumerate(lines[1: rows + 1], start=1):
        if n in bad:
            cells = line.decode().rstrip("\r\n").split(",")
            cells[col] = "31/02/2026"
            line = (",".join(cells) + "\r\n").encode()
        out.append(line)
    return b"".join(out)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at, *columns: str) -> pd.DataFrame:
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


def open_data_page(app, store=None, role=None):
    at = app(store)
    if role:
        at.query_params["local_role"] = role  # local mode's role choice (loading is for administrators)
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception
    return at


def upload(at, name: str, content: bytes):
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    assert not at.exception
    at.button(key="data_load_button").click().run()
    assert not at.exception
    return at


@pytest.fixture
def store_copy(sample_store, tmp_path):
    return copy_store(sample_store, tmp_path).store_dir


# -- rendering and the checks --------------------------------------------------------------------------
def test_the_data_page_renders_on_the_sample(app, sample_store):
    at = open_data_page(app)
    assert at.title[0].value == "Data"
    con = Store(sample_store.store_dir).connect_read()
    try:
        served = con.execute("SELECT (SELECT count(*) FROM case_offences) + (SELECT count(*) FROM custody)").fetchall()[0][0]
    finally:
        con.close()
    got = metrics(at)
    assert got["Rows served"] == f"{served:,}"
    assert got["Quarantined in the latest load"] == "0"
    checks = frame_with(at, "title", "flagged", "definition")
    assert len(checks) == 6 and checks["definition"].str.len().min() > 40  # each count beside its definition
    missing = int((raw_cases()["offence_start_date"] == "").sum())
    assert missing > 0
    assert checks.set_index("title").at["Missing offence date", "flagged"] == missing
    assert got["Rows flagged by checks"] == f"{int(checks['flagged'].sum()):,}"
    history = frame_with(at, "load_id", "file_name", "rows_read", "adds_up")
    assert sorted(history["file_name"]) == sorted(p.name for p in SAMPLE_DIR.iterdir() if p.suffix in (".csv", ".xlsx"))
    assert set(history["adds_up"]) == {"✅ yes"}
    attempts = frame_with(at, "outcome", "files", "errors")
    assert attempts["outcome"].iloc[0] == "✅ Published"


def test_choosing_a_check_lists_the_rows_behind_it(app):
    at = open_data_page(app)
    raw = raw_cases()
    at.selectbox(key="data_check").select("missing_offence_date").run()
    assert not at.exception
    rows = frame_with(at, "detail", "src_file", "src_row")
    assert len(rows) == int((raw["offence_start_date"] == "").sum())
    assert set(rows["field"]) == {"offence_start_date"}
    # Each listed row is the row of that number in that file (header = row 1, so data row i is i + 2).
    norfolk = pd.read_csv(NORFOLK_CASES, dtype=str, keep_default_na=False)
    for r in rows[rows["src_file"] == NORFOLK_CASES.name].itertuples():
        assert norfolk.iloc[r.src_row - 2]["urn"] == r.urn
        assert norfolk.iloc[r.src_row - 2]["offence_start_date"] == ""
    at.selectbox(key="data_check").select("urn_format").run()
    assert any("No row in your scope" in s.value for s in at.success)


def test_the_force_filter_narrows_the_checks(app):
    at = open_data_page(app)
    both = frame_with(at, "title", "flagged").set_index("title")["flagged"]
    at.multiselect(key="force").select("37").run()
    assert not at.exception
    suffolk = frame_with(at, "title", "flagged").set_index("title")["flagged"]
    raw = pd.read_csv(SAMPLE_DIR / "suffolk_case_files.csv", dtype=str, keep_default_na=False)
    assert suffolk["Missing offence date"] == int((raw["offence_start_date"] == "").sum())
    assert suffolk["Missing offence date"] < both["Missing offence date"]


def test_the_page_shows_no_rows_in_joim_mode(app):
    at = app()
    at.query_params["joim"] = "true"
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert any("not shown in JOIM mode" in i.value for i in at.info)
    assert len(at.dataframe) == 0 and len(at.table) == 0 and len(at.file_uploader) == 0


# -- uploads --------------------------------------------------------------------------------------------
def test_uploading_a_file_with_a_few_bad_rows_publishes_it_and_lists_them(app, store_copy):
    before = Store(store_copy).current()
    at = open_data_page(app, store_copy, role="administrator")
    served_before = int(metrics(at)["Rows served"].replace(",", ""))
    upload(at, "norfolk cases.csv", extract(30, bad=(4, 9)))
    assert Store(store_copy).current() != before  # a new generation is served
    assert any("published" in s.value and "keyed by the data's generation" in s.value for s in at.success)
    report = at.table[0].value
    assert report[["File", "Rows read", "Loaded", "Quarantined", "Adds up"]].values.tolist() == [
        ["norfolk cases.csv", 30, 28, 2, "✅ yes"]
    ]
    assert any("2 row(s) were set aside" in w.value for w in at.warning)
    # After the load the page reran on the new data: Norfolk's case files are now these 28 rows.
    norfolk_rows = len(sample_lines()) - 1
    assert metrics(at)["Rows served"] == f"{served_before - norfolk_rows + 28:,}"
    assert metrics(at)["Quarantined in the latest load"] == "2"
    quarantined = frame_with(at, "file_name", "src_row", "column_name", "reason")
    assert quarantined[["file_name", "src_row", "column_name", "value"]].values.tolist() == [
        ["norfolk cases.csv", 5, "offence_start_date", "31/02/2026"],
        ["norfolk cases.csv", 10, "offence_start_date", "31/02/2026"],
    ]
    assert quarantined["reason"].str.contains("not a valid date").all()
    assert Store(store_copy).attempts()[-1]["status"] == "published"
    # Every page sees the new data (case pages are for the case-data roles, not the administrator).
    at.sidebar.selectbox(key="local_role").set_value("cjs_manager").run()
    at.switch_page("pages/home.py")
    at.run()
    assert not at.exception


def test_a_wholly_wrong_file_is_refused_and_the_previous_data_stays_served(app, store_copy):
    before = Store(store_copy).current()
    at = open_data_page(app, store_copy, role="administrator")
    served_before = metrics(at)["Rows served"]
    upload(at, "all bad.csv", extract(10, bad=tuple(range(1, 11))))
    assert Store(store_copy).current() == before
    errors = [e.value for e in at.error]
    assert any(e.startswith("Load refused: nothing was published. The previous data is still served") for e in errors)
    problems = at.table[0].value
    assert problems[["File", "Row", "Column"]].values.tolist() == [["all bad.csv", "2", "offence_start_date"]]
    assert "10 of 10 rows cannot be used" in problems["Problem"].iloc[0]
    assert metrics(at)["Rows served"] == served_before
    attempts = frame_with(at, "outcome", "files", "errors")
    assert attempts["outcome"].iloc[0] == "⛔ Refused" and attempts["files"].iloc[0] == "all bad.csv"


def test_files_that_are_not_extracts_are_refused_by_name(app, store_copy):
    before = Store(store_copy).current()
    at = open_data_page(app, store_copy, role="administrator")
    upload(at, "report.csv", b"%PDF-1.7 this is not an extract")
    assert Store(store_copy).current() == before
    problems = at.table[0].value
    assert problems["File"].tolist() == ["report.csv"] and "PDF" in problems["Problem"].iloc[0]
    # Other file types never reach the page (the uploader refuses them, in the browser and on the
    # server); were one to arrive, the spool refuses it by name before anything is loaded.
    outcome = sl.load_uploads([("notes.txt", b"force_code,urn\n36,x\n")], replace(Settings(), store_dir=store_copy))
    assert outcome.status == "refused" and outcome.errors[0]["file"] == "notes.txt"
    assert "only CSV and XLSX" in outcome.errors[0]["reason"]
    assert Store(store_copy).current() == before


# -- the stale-data banner --------------------------------------------------------------------------------
def newest_load(store: Path):
    con = Store(store).connect_read()
    try:
        return con.execute("SELECT max(finished_at) FROM load_log").fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.parametrize("after, stale", [(timedelta(hours=36), False), (timedelta(hours=36, minutes=1), True)])
def test_every_page_shows_the_stale_banner_past_the_threshold(app, sample_store, monkeypatch, after, stale):
    from datetime import UTC

    import ui.freshness

    loaded = newest_load(sample_store.store_dir).replace(tzinfo=UTC)
    monkeypatch.setattr(ui.freshness, "utcnow", lambda: loaded + after)
    at = app()
    at.run()
    for page in ("pages/home.py", "pages/data.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception
        banners = [w.value for w in at.warning if w.value.startswith("Stale data")]
        assert bool(banners) is stale
        assert at.session_state["stale"] is stale
    if stale:
        assert "36-hour freshness threshold" in banners[0]
    assert metrics(at)["Age of the oldest extract"] == "36 h"


# -- the upload helpers (data_loaders.subprocess_load) -------------------------------------------------
@pytest.mark.parametrize(
    "given, shown",
    [
        ("cases.csv", "cases.csv"),
        ("../../etc/cases.csv", "cases.csv"),
        ("C:\\Users\\me\\cases.xlsx", "cases.xlsx"),
        ("ca\x00s\u202ees\n.csv", "cases.csv"),  # control and bidirectional-override characters
        ("  many   spaces .csv", "many spaces .csv"),
        ("", "upload"),
        ("...", "upload"),
        ("x" * 300 + ".csv", "x" * 95 + "….csv"),  # 100 characters, extension kept
    ],
)
def test_upload_names_are_only_shown_never_used_as_paths(given, shown):
    assert sl.safe_display_name(given) == shown
    assert len(sl.safe_display_name(given)) <= sl.MAX_NAME_LENGTH


def test_uploads_are_spooled_privately_under_generated_names_and_deleted(tmp_path):
    with sl.spooled([("../evil.csv", b"a,b\n"), ("evil.csv", b"c,d\n"), ("book.XLSX", b"PK")], parent=str(tmp_path)) as files:
        folder = files[0][0].parent
        assert folder.parent == tmp_path
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert [p.name for p, _ in files] == ["upload-1.csv", "upload-2.csv", "upload-3.xlsx"]
        assert [n for _, n in files] == ["evil.csv", "evil (2).csv", "book.XLSX"]
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p, _ in files)
        assert files[0][0].read_bytes() == b"a,b\n"
    assert not folder.exists()
    for bad in ([("x.html", b"<p>")], [("empty.csv", b"")], []):
        with pytest.raises(sl.UploadRejected), sl.spooled(bad, parent=str(tmp_path)):
            pass
    assert list(tmp_path.iterdir()) == []


def test_a_load_in_the_child_process_reports_each_step(settings):
    seen: list[tuple[float, str]] = []
    outcome = sl.load_uploads([("cases.csv", extract(5))], settings, sl.Limits(), lambda f, m: seen.append((f, m)))
    assert outcome.status == "published", outcome.message
    assert [f["rows_loaded"] for f in outcome.report["files"]] == [5]
    messages = [m for _, m in seen]
    # Per-file steps come from the loader's own functions: if the loader changes shape, this fails.
    assert "Reading file 1 of 1: cases.csv" in messages and "Checking file 1 of 1: cases.csv" in messages
    assert "Working out statutory time limits" in messages and messages[-1] == "Published"
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert Store(settings.store_dir).has_data()


def test_a_hung_load_is_killed_at_the_timeout_and_recorded(settings, tmp_path):
    # A named pipe with no writer: reading it blocks for ever, like a parser stuck on a hostile file.
    pipe = tmp_path / "stuck.csv"
    os.mkfifo(pipe)
    outcome = sl.run_load([pipe], ["stuck.csv"], settings, sl.Limits(timeout_seconds=3))
    assert outcome.status == "failed" and "longer than 3 seconds" in outcome.message
    store = Store(settings.store_dir)
    assert not store.has_data()
    assert store.attempts()[-1]["status"] == "failed" and store.attempts()[-1]["files"] == ["stuck.csv"]


def test_a_load_over_its_memory_limit_fails_without_publishing(settings):
    first = sl.load_uploads([("cases.csv", extract(5))], settings, sl.Limits())
    assert first.published
    current = Store(settings.store_dir).current()
    outcome = sl.load_uploads([("cases.csv", extract(50))], settings, sl.Limits(memory_mb=300))
    # Running out of memory is the machine's limit, not the file's fault: failed, never "refused".
    assert outcome.status == "failed" and outcome.message, (outcome.status, outcome.message, outcome.errors)
    assert Store(settings.store_dir).current() == current


def test_a_load_whose_page_goes_away_is_stopped_and_recorded(settings):
    class Rerun(Exception):
        pass

    def interrupted(fraction: float, message: str) -> None:
        if message.startswith("Reading file"):
            raise Rerun  # what Streamlit raises inside an element call when the viewer reruns

    with pytest.raises(Rerun):
        sl.load_uploads([("cases.csv", extract(5))], settings, sl.Limits(), interrupted)
    store = Store(settings.store_dir)
    assert not store.has_data()
    assert store.attempts()[-1]["status"] == "failed" and "interrupted" in store.attempts()[-1]["errors"][0]


def test_only_an_administrator_is_offered_the_upload(app, store_copy):
    at = open_data_page(app, store_copy)
    assert not at.file_uploader
    assert any("for administrators" in i.value for i in at.info)
    at = open_data_page(app, store_copy, role="administrator")
    assert len(at.file_uploader) == 1


@pytest.mark.parametrize("after, stale", [(timedelta(hours=1), False), (timedelta(hours=48), True)])
def test_while_the_data_is_stale_green_is_shown_as_unknown_not_safe(app, sample_store, monkeypatch, after, stale):
    from datetime import UTC

    import ui.freshness
    from ui.format import STALE_GREEN_LABEL

    loaded = newest_load(sample_store.store_dir).replace(tzinfo=UTC)
    monkeypatch.setattr(ui.freshness, "utcnow", lambda: loaded + after)
    at = app()
    at.run()
    for page in ("pages/home.py", "pages/stl_watch.py"):
        at.switch_page(page).run()
        assert not at.exception
        labels = [m.label for m in at.metric]
        assert (STALE_GREEN_LABEL in labels) is stale, page
        assert ("🟢 GREEN" in labels) is not stale, page
    table = next(d.value for d in at.dataframe if "band" in d.value.columns)
    assert (table["band"] == "🟢 GREEN").any() is not stale or table.empty


@pytest.mark.parametrize("after, stale", [(timedelta(hours=1), False), (timedelta(hours=48), True)])
def test_while_the_data_is_stale_the_stl_watch_charts_and_twins_do_not_call_green_safe(
        app, sample_store, monkeypatch, after, stale):
    import json
    from datetime import UTC

    import ui.freshness
    from ui.format import STALE_GREEN_LABEL

    loaded = newest_load(sample_store.store_dir).replace(tzinfo=UTC)
    monkeypatch.setattr(ui.freshness, "utcnow", lambda: loaded + after)
    at = app()
    at.run()
    at.switch_page("pages/stl_watch.py").run()
    # AppTest formats the chosen value outside the script run, where the page's stale-aware label
    # cannot see the session; the browser sends the label on screen, so the test does the same.
    at.button_group(key="stl_bands").select(STALE_GREEN_LABEL if stale else "GREEN").run()
    assert not at.exception
    assert "GREEN" in at.button_group(key="stl_bands").value
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = {t.get("name") for c in charts for t in c["data"]}
    hovers = " ".join(str(h) for c in charts for t in c["data"] for h in (t.get("hovertext") or []))
    assert (STALE_GREEN_LABEL in names) is stale and ("🟢 GREEN" in names) is not stale
    assert (STALE_GREEN_LABEL in hovers) is stale


def test_a_chart_drawn_while_fresh_is_not_reused_once_the_data_is_stale(app, sample_store, monkeypatch):
    """Charts are cached by their input data; GREEN's label is part of that input, so the Overview's
    band chart drawn while the data was fresh must not be served again once the data is stale."""
    import json
    from datetime import UTC

    import ui.freshness
    from ui.format import STALE_GREEN_LABEL

    loaded = newest_load(sample_store.store_dir).replace(tzinfo=UTC)
    now = {"t": loaded + timedelta(hours=1)}
    monkeypatch.setattr(ui.freshness, "utcnow", lambda: now["t"])
    at = app()
    at.run()

    def band_chart_labels() -> str:
        return json.dumps([json.loads(c.proto.spec) for c in at.get("plotly_chart")][0]["data"], ensure_ascii=False)

    assert "🟢 GREEN" in band_chart_labels()
    now["t"] = loaded + timedelta(hours=48)
    at.run()
    assert not at.exception
    assert STALE_GREEN_LABEL in band_chart_labels() and "🟢 GREEN" not in band_chart_labels()
