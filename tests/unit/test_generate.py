"""The synthetic sample-data generator: deterministic, contract-shaped, realistic enough to demo.

Reads the generated files back with the standard library (csv) and openpyxl only, so these tests do
not depend on the product's own loaders.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data_loaders.contract import CASE_FILES, CUSTODY, FILE_STAGES, FILE_STATUSES  # noqa: E402
from sample_data import generate as gen  # noqa: E402

CJS_INDEX = ROOT.parent / "shared" / "data" / "cjs-offences.csv"
ANCHOR = dt.date(2026, 11, 24)
URN_R15 = re.compile(r"^\d{2}[A-Z0-9]{2}\d{5}(\d{2})?\d{2}$")
URN_OURS = re.compile(r"^(?P<force>\d{2})(?P<unit>[A-Z]{2})(?P<serial>\d{5})(?P<year>\d{2})$")
CATEGORY_MODE = {"CS": "SUMMARY", "CM": "SUMMARY", "CE": "EITHER_WAY", "CI": "INDICTABLE_ONLY"}
UNKNOWN_CODES = {code for code, _ in gen.UNKNOWN_OFFENCES}


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _read_xlsx(path: Path) -> tuple[list[str], list[dict[str, object]]]:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb.active.iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h) for h in rows[0]]
    return header, [dict(zip(header, r)) for r in rows[1:]]


def _read(path: Path):
    return _read_xlsx(path) if path.suffix == ".xlsx" else _read_csv(path)


def _date(text: str | None) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _add_months(d: dt.date, n: int) -> dt.date:
    """Calendar months, clamped to the month's last day (Dodds v Walker): 31 Aug + 6 = 28/29 Feb."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _cjs_index() -> dict[str, tuple[str, str]]:
    if not CJS_INDEX.exists():
        pytest.skip(f"CJS Offence Index not available at {CJS_INDEX}")
    with CJS_INDEX.open(newline="", encoding="utf-8") as fh:
        return {r["cjs_code"]: (r["offence_category"], r["offence_title"]) for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict[str, Path]:
    return gen.generate(tmp_path_factory.mktemp("small"), ANCHOR, seed=7, case_rows=1_500, xlsx=True)


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> dict[str, Path]:
    """About 8,000 case files over both forces: enough for shares and every band to be stable."""
    return gen.generate(tmp_path_factory.mktemp("medium"), ANCHOR, seed=36, case_rows=12_000)


@pytest.fixture(scope="module")
def medium_rows(medium) -> dict[str, list[dict[str, str]]]:
    return {key: _read(path)[1] for key, path in medium.items()}


# ---------------------------------------------------------------------------------------------
# Determinism and shape
# ---------------------------------------------------------------------------------------------


def test_same_seed_and_anchor_give_byte_identical_files(small, tmp_path):
    again = gen.generate(tmp_path, ANCHOR, seed=7, case_rows=1_500, xlsx=True)
    assert sorted(again) == sorted(small)
    for key, path in small.items():
        assert again[key].read_bytes() == path.read_bytes(), key


def test_another_seed_gives_other_data(small, tmp_path):
    other = gen.generate(tmp_path, ANCHOR, seed=8, case_rows=1_500, forces=(36,))
    assert other["norfolk_case_files"].read_bytes() != small["norfolk_case_files"].read_bytes()


def test_file_names_and_formats(small):
    assert {k: p.name for k, p in small.items()} == {
        "norfolk_case_files": "norfolk_case_files.csv",
        "norfolk_custody": "norfolk_custody.csv",
        "suffolk_case_files": "suffolk_case_files.csv",
        "suffolk_custody": "suffolk_custody.xlsx",
    }


def test_headers_are_the_contract_canonical_names(small):
    for key, path in small.items():
        extract = CUSTODY if key.endswith("_custody") else CASE_FILES
        header, _ = _read(path)
        assert header == [c.name for c in extract.columns], key


def test_case_rows_is_the_exact_total(small):
    total = sum(len(_read_csv(p)[1]) for k, p in small.items() if k.endswith("_case_files"))
    assert total == 1_500


def test_csv_dates_are_day_first_and_booleans_y_n(small):
    _, rows = _read_csv(small["norfolk_case_files"])
    date_cols = [c.name for c in CASE_FILES.columns if c.type == "DATE"]
    bool_cols = [c.name for c in CASE_FILES.columns if c.type == "BOOL"]
    for r in rows:
        for c in date_cols:
            assert not r[c] or re.fullmatch(r"\d{2}/\d{2}/\d{4}", r[c]), (c, r[c])
        for c in bool_cols:
            assert r[c] in ("Y", "N"), (c, r[c])
    _, custody = _read_csv(small["norfolk_custody"])
    for r in custody:
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", r["arrest_datetime"])
        assert re.fullmatch(r"[A-Z]{3}-\d{2}-\d{6}", r["custody_record_id"])


def test_xlsx_custody_has_real_excel_dates(small):
    _, rows = _read_xlsx(small["suffolk_custody"])
    assert rows
    assert all(isinstance(r["arrest_datetime"], dt.datetime) for r in rows)
    assert all(isinstance(r["custody_record_id"], str) and r["force_code"] == "37" for r in rows)
    assert any(isinstance(r["file_target_date"], dt.datetime) for r in rows)


def test_codes_are_allowed_values(medium_rows):
    for extract, suffix in ((CASE_FILES, "_case_files"), (CUSTODY, "_custody")):
        coded = [c for c in extract.columns if c.allowed]
        for key, rows in medium_rows.items():
            if not key.endswith(suffix):
                continue
            for c in coded:
                values = {r[c.name] for r in rows if r[c.name]}
                assert values <= set(c.allowed), (key, c.name, values - set(c.allowed))


# ---------------------------------------------------------------------------------------------
# References and offence codes
# ---------------------------------------------------------------------------------------------


def test_urns_follow_r15_and_are_one_case_each(medium_rows):
    years = {f"{ANCHOR.year % 100:02d}", f"{(ANCHOR.year - 1) % 100:02d}"}
    for key, rows in medium_rows.items():
        if not key.endswith("_case_files"):
            continue
        created_by_urn: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            m = URN_OURS.match(r["urn"])
            assert m and URN_R15.match(r["urn"]), r["urn"]
            assert m["force"] == r["force_code"] and m["year"] in years
            created_by_urn[r["urn"]].add(r["created_date"])
        assert all(len(v) == 1 for v in created_by_urn.values())
        keys = Counter((r["urn"], r["defendant_id"], r["offence_seq"]) for r in rows)
        assert max(keys.values()) == 1


def test_declared_offences_are_real_cjs_codes_with_matching_mode_and_title():
    index = _cjs_index()
    for o in gen.OFFENCES:
        assert o.code in index, o.code
        category, title = index[o.code]
        assert CATEGORY_MODE[category] == o.mode, o.code
        assert title == o.title, o.code
        assert set(o.companions) <= {x.code for x in gen.OFFENCES}
    for code in UNKNOWN_CODES:
        assert code not in index


def test_every_offence_code_used_is_in_the_cjs_index_or_declared_unknown(medium_rows):
    index = _cjs_index()
    seen_unknown = set()
    for key, rows in medium_rows.items():
        if key.endswith("_case_files"):
            for r in rows:
                if r["offence_code"] in UNKNOWN_CODES:
                    seen_unknown.add(r["offence_code"])
                    assert r["mode_of_trial"] == ""
                else:
                    assert r["offence_code"] in index, r["offence_code"]
                    assert CATEGORY_MODE[index[r["offence_code"]][0]] == r["mode_of_trial"]
        else:
            for r in rows:
                for code in r["offence_codes"].split(";"):
                    assert code in index or code in UNKNOWN_CODES, code
    assert seen_unknown  # the UNKNOWN path is exercised


# ---------------------------------------------------------------------------------------------
# Realism targets
# ---------------------------------------------------------------------------------------------


def _case_files(rows):
    """One dict per (urn, defendant): its rows in offence order."""
    files: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        files[(r["urn"], r["defendant_id"])].append(r)
    return files


@pytest.mark.parametrize("slug", ["norfolk", "suffolk"])
def test_summary_only_and_da_shares_are_in_the_target_ranges(medium_rows, slug):
    rows = medium_rows[f"{slug}_case_files"]
    principal = {r["urn"]: r for r in rows if r["offence_seq"] == "1"}
    summary = sum(r["mode_of_trial"] == "SUMMARY" for r in principal.values()) / len(principal)
    da = sum(r["da_flag"] == "Y" for r in principal.values()) / len(principal)
    assert 0.35 <= summary <= 0.50, summary
    assert 0.15 <= da <= 0.25, da
    files = _case_files(rows)
    all_summary = sum(all(r["mode_of_trial"] == "SUMMARY" for r in f) for f in files.values()) / len(files)
    assert 0.30 <= all_summary <= 0.50, all_summary


@pytest.mark.parametrize("slug", ["norfolk", "suffolk"])
def test_queue_shares(medium_rows, slug):
    files = [f[0] for f in _case_files(medium_rows[f"{slug}_case_files"]).values()]
    unsubmitted = sum(not f["submitted_to_cjs_date"] for f in files) / len(files)
    triaged = [f for f in files if f["cjs_triage_outcome"]]
    accepted = sum(f["cjs_triage_outcome"] == "ACCEPTED" for f in triaged) / len(triaged)
    ngap = sum(f["anticipated_plea"] == "NGAP" for f in files) / len(files)
    assert 0.24 <= unsubmitted <= 0.36, unsubmitted
    assert 0.68 <= accepted <= 0.82, accepted
    assert 0.28 <= ngap <= 0.42, ngap
    rejected = [f for f in triaged if f["cjs_triage_outcome"] == "REJECTED"]
    assert all(1 <= len(f["rejection_reasons"].split(";")) <= 3 for f in rejected)
    assert {x for f in rejected for x in f["rejection_reasons"].split(";")} <= set(gen.NFS_REJECTION_REASONS)
    plans = [f for f in files if f["action_plan_reasons"]]
    assert plans and {x for f in plans for x in f["action_plan_reasons"].split(";")} <= set(gen.DGA_REASONS)


@pytest.mark.parametrize("slug", ["norfolk", "suffolk"])
def test_every_file_stage_and_status_is_present(medium_rows, slug):
    rows = medium_rows[f"{slug}_case_files"]
    assert {r["file_stage"] for r in rows} == set(FILE_STAGES)
    assert {r["file_status"] for r in rows} == set(FILE_STATUSES)


@pytest.mark.parametrize("slug", ["norfolk", "suffolk"])
def test_custody_urns_are_found_in_the_case_file_extract(medium_rows, slug):
    case_keys = {(r["urn"], r["defendant_id"]) for r in medium_rows[f"{slug}_case_files"]}
    custody = medium_rows[f"{slug}_custody"]
    linked = [r for r in custody if r["urn"]]
    assert linked and len(linked) < len(custody)
    assert all((r["urn"], r["person_id"]) in case_keys for r in linked)
    assert all(r["urn"] for r in custody if r["disposal"] in ("CHARGED", "REMANDED"))


@pytest.mark.parametrize("slug", ["norfolk", "suffolk"])
def test_custody_mix_and_a_small_not_submitted_by_target_list(medium_rows, slug):
    custody = medium_rows[f"{slug}_custody"]
    mix = Counter(r["disposal"] for r in custody)
    n = len(custody)
    for disposal, target in (("CHARGED", 0.25), ("PRE_CHARGE_BAIL", 0.15), ("RUI", 0.25), ("NFA", 0.20)):
        assert abs(mix[disposal] / n - target) < 0.05, (disposal, mix[disposal] / n)
    assert all(r["bail_return_date"] for r in custody if r["disposal"] == "PRE_CHARGE_BAIL")
    submitted = {
        (r["urn"], r["defendant_id"]): r["submitted_to_cjs_date"] for r in medium_rows[f"{slug}_case_files"]
    }
    missed = [
        r
        for r in custody
        if r["file_target_date"]
        and _date(r["file_target_date"]) < ANCHOR
        and not submitted.get((r["urn"], r["person_id"]))
    ]
    assert 0 < len(missed) <= 0.02 * n


def _band(files: list[list[dict[str, str]]]) -> Counter:
    """STL band per open case file: STL = offence start + 6 calendar months for summary-only offences."""
    bands = Counter()
    for rows in files:
        first = rows[0]
        if first["file_stage"] == "CLOSED":
            continue
        if first["commenced_date"]:
            bands["COMMENCED"] += 1
            continue
        if any(not r["mode_of_trial"] or (r["mode_of_trial"] == "SUMMARY" and not r["offence_start_date"]) for r in rows):
            bands["UNKNOWN"] += 1
            continue
        stls = [_add_months(_date(r["offence_start_date"]), 6) for r in rows if r["mode_of_trial"] == "SUMMARY"]
        if not stls:
            bands["NO LIMIT"] += 1
            continue
        left = (min(stls) - ANCHOR).days
        submitted = bool(first["submitted_to_cjs_date"])
        if left < 0:
            bands["BLACK"] += 1
        elif (left <= 14 and not submitted) or left <= 7:
            bands["RED"] += 1
        elif left <= 42 and not submitted:
            bands["AMBER"] += 1
        else:
            bands["GREEN"] += 1
    return bands


@pytest.mark.parametrize("slug", ["norfolk", "suffolk"])
def test_open_cases_fall_in_every_stl_band_and_black_is_rare(medium_rows, slug):
    files = list(_case_files(medium_rows[f"{slug}_case_files"]).values())
    bands = _band(files)
    assert set(bands) == {"BLACK", "RED", "AMBER", "GREEN", "COMMENCED", "NO LIMIT", "UNKNOWN"}, bands
    summary_files = sum(any(r["mode_of_trial"] == "SUMMARY" for r in f) for f in files)
    assert bands["BLACK"] <= 0.015 * summary_files, (bands["BLACK"], summary_files)


def test_dates_sit_inside_the_year_before_the_extract_date(medium_rows):
    window = ANCHOR - dt.timedelta(days=366)
    for key, rows in medium_rows.items():
        if key.endswith("_case_files"):
            created = [_date(r["created_date"]) for r in rows]
            assert min(created) >= window and max(created) <= ANCHOR
        else:
            arrests = [dt.datetime.strptime(r["arrest_datetime"], "%d/%m/%Y %H:%M").date() for r in rows]
            assert min(arrests) >= window and max(arrests) <= ANCHOR


def test_people_and_officers_are_plainly_synthetic(medium_rows):
    for key, rows in medium_rows.items():
        if key.endswith("_case_files"):
            assert all(r["defendant_name"].startswith("Synthetic Person ") for r in rows)
        names = {r["oic_name"] for r in rows}
        assert all(n.split(". ", 1)[1] in gen.SYNTHETIC_SURNAMES for n in names)


def test_committed_sample_is_what_the_generator_makes(tmp_path):
    """The files in sample_data/ are reproducible from the command in sample_data/README.md."""
    committed = {p.name: p for p in (ROOT / "sample_data").glob("*_c*.*") if p.suffix in (".csv", ".xlsx")}
    if not committed:
        pytest.skip("no committed sample in sample_data/")
    fresh = gen.generate(tmp_path, gen.DEFAULT_ANCHOR, gen.DEFAULT_SEED, xlsx=True)
    assert {p.name for p in fresh.values()} == set(committed)
    for path in fresh.values():
        assert path.read_bytes() == committed[path.name].read_bytes(), path.name


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2025, 1, 15), 6, dt.date(2025, 7, 15)),
        (dt.date(2024, 8, 31), 6, dt.date(2025, 2, 28)),
        (dt.date(2023, 8, 31), 6, dt.date(2024, 2, 29)),
        (dt.date(2025, 3, 31), 6, dt.date(2025, 9, 30)),
        (dt.date(2024, 2, 29), 24, dt.date(2026, 2, 28)),
        (dt.date(2026, 11, 24), -6, dt.date(2026, 5, 24)),
    ],
)
def test_add_months_follows_r0(start, months, expected):
    got = gen.add_months([gen._day(start)], months)[0]
    assert got == gen._day(expected)


def test_cli_writes_the_requested_forces(tmp_path, capsys):
    assert gen.main(["--out", str(tmp_path), "--case-rows", "400", "--forces", "37", "--seed", "3", "--anchor", "2026-03-01"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["suffolk_case_files.csv", "suffolk_custody.csv"]
    _, rows = _read_csv(tmp_path / "suffolk_case_files.csv")
    assert len(rows) == 400 and max(_date(r["created_date"]) for r in rows) <= dt.date(2026, 3, 1)
    assert "done in" in capsys.readouterr().out
