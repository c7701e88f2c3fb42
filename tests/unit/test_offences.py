"""Tests for core.offences and the shipped hand-checked table, against the CJS Offence Index.

The full index lives outside the repository (../shared/data/cjs-offences.csv); tests that
need it are skipped when it is absent.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from core.offences import (
    BUNDLED_PATH,
    MODES_OF_TRIAL,
    SPECIAL_RULES,
    OffenceIndex,
    OffenceRef,
    mode_of_trial_for_category,
)
from core.stl import (
    CHECK_S22,
    NO_STATUTORY_LIMIT,
    S127,
    S39A,
    S39A_EXTENDABLE,
    UNKNOWN_OFFENCE,
    OffenceFacts,
    offence_stl,
)

REPO = Path(__file__).resolve().parents[2]
CJS_PATH = REPO / ".." / "shared" / "data" / "cjs-offences.csv"
OFFENCE_DATE = date(2024, 8, 31)
S127_DATE = date(2025, 2, 28)


@pytest.fixture(scope="module")
def cjs_rows() -> dict[str, dict[str, str]]:
    if not CJS_PATH.exists():
        pytest.skip(f"CJS offence index not found at {CJS_PATH}")
    with open(CJS_PATH, newline="", encoding="utf-8-sig") as fh:
        return {row["cjs_code"].strip().upper(): row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def cjs_index() -> OffenceIndex:
    if not CJS_PATH.exists():
        pytest.skip(f"CJS offence index not found at {CJS_PATH}")
    return OffenceIndex.from_csv(CJS_PATH)


@pytest.fixture(scope="module")
def merged(cjs_index: OffenceIndex) -> OffenceIndex:
    return cjs_index.merged(OffenceIndex.bundled())


# ------------------------------------------------------------------ categories
@pytest.mark.parametrize(
    ("category", "mode"),
    [
        ("CS", "SUMMARY"),
        ("CM", "SUMMARY"),
        ("CE", "EITHER_WAY"),
        ("CI", "INDICTABLE_ONLY"),
        (" ce ", "EITHER_WAY"),
        *[(c, None) for c in ("CB", "CR", "EF", "EM", "EX", "VA", "VP", "", None, "ZZ")],
    ],
)
def test_mode_of_trial_is_derived_from_the_cjs_category(category, mode):
    assert mode_of_trial_for_category(category) == mode


# ------------------------------------------------------------------ bundled table
def test_the_bundled_table_loads_with_a_sensible_number_of_hand_checked_rows():
    idx = OffenceIndex.bundled()
    assert 50 <= len(idx) <= 80
    assert all(ref.hand_checked for ref in idx)
    assert all(ref.special_rule in SPECIAL_RULES for ref in idx)
    assert all(ref.mode_of_trial in MODES_OF_TRIAL for ref in idx)
    assert OffenceIndex.bundled() is idx  # cached


def test_the_bundled_table_has_the_documented_header():
    with open(BUNDLED_PATH, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert header == [
        "cjs_code",
        "offence_title",
        "category",
        "mode_of_trial",
        "special_rule",
        "long_stop_years",
        "legislation",
        "note",
    ]


@pytest.mark.parametrize(
    ("code", "mode", "rule", "long_stop"),
    [
        ("CJ88001", "SUMMARY", "DA_S39A", None),
        ("CJ88116", "SUMMARY", "DA_S39A", None),
        ("CJ88159", "EITHER_WAY", "NONE", None),
        ("OF61102", "EITHER_WAY", "NONE", None),
        ("OF61131", "EITHER_WAY", "NONE", None),
        ("OF61016", "INDICTABLE_ONLY", "NONE", None),
        ("TH68010", "EITHER_WAY", "NONE", None),
        ("TH68023", "INDICTABLE_ONLY", "NONE", None),
        ("CD71039", "EITHER_WAY", "CHECK_S22", None),
        ("PU86149", "SUMMARY", "NONE", None),
        ("TH68050", "SUMMARY", "NONE", None),
        ("RA88001", "SUMMARY", "RTOA_S6", 3),
        ("AW06041", "EITHER_WAY", "AWA_S31", 3),
        ("AW06029", "SUMMARY", "AWA_S31", 3),
        ("CA03005", "SUMMARY", "CA2003_S127", 3),
        ("WC81001", "SUMMARY", "WCA_S20", 2),
        ("SX03002", "INDICTABLE_ONLY", "NONE", None),
    ],
)
def test_key_offences_carry_the_right_mode_and_special_rule(code, mode, rule, long_stop):
    ref = OffenceIndex.bundled().lookup(code)
    assert ref is not None
    assert (ref.mode_of_trial, ref.special_rule, ref.long_stop_years) == (mode, rule, long_stop)
    assert ref.legislation


def test_every_special_rule_is_used_by_at_least_one_bundled_code():
    used = {ref.special_rule for ref in OffenceIndex.bundled()}
    assert used == set(SPECIAL_RULES)


def test_every_bundled_code_exists_in_the_cjs_index_with_the_same_category_and_title(cjs_rows):
    for ref in OffenceIndex.bundled():
        row = cjs_rows.get(ref.code)
        assert row is not None, f"{ref.code} is not in the CJS offence index"
        assert ref.category == row["offence_category"].strip(), ref.code
        assert ref.title == row["offence_title"].strip(), ref.code


# ------------------------------------------------------------------ lookup
@pytest.mark.parametrize("code", ["CJ88001", " cj88001 ", "Cj88001\t"])
def test_lookup_normalises_codes(code):
    ref = OffenceIndex.bundled().lookup(code)
    assert ref is not None and ref.code == "CJ88001"


@pytest.mark.parametrize("code", ["", None, "ZZ99999", "CJ88001X"])
def test_lookup_returns_none_for_blank_or_unknown_codes(code):
    assert OffenceIndex.bundled().lookup(code) is None


def test_the_index_supports_len_iteration_and_membership():
    idx = OffenceIndex.bundled()
    codes = [ref.code for ref in idx]
    assert len(codes) == len(idx) == len(set(codes))
    assert "cj88001" in idx and "ZZ99999" not in idx and 42 not in idx


# ------------------------------------------------------------------ file formats
def test_from_csv_detects_the_hand_checked_format(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text(
        "cjs_code,offence_title,category,mode_of_trial,special_rule,long_stop_years,legislation,note\n"
        "xx00001,Test offence,CM,SUMMARY,RTOA_S6,3,Test Act s.1,\n",
        encoding="utf-8",
    )
    ref = OffenceIndex.from_csv(p).lookup("XX00001")
    assert ref == OffenceRef("XX00001", "Test offence", "CM", "SUMMARY", "RTOA_S6", 3, "Test Act s.1", "", True)


def test_from_csv_detects_the_cjs_index_format_with_a_bom_and_extra_columns(tmp_path):
    p = tmp_path / "cjs.csv"
    p.write_text(
        "\ufeffcjs_code,offence_category,offence_title,recordable_on_pnc\n"
        "AA01001,CS,Summary thing,N\nAA01002,VP,Civil application,N\n",
        encoding="utf-8",
    )
    idx = OffenceIndex.from_csv(p)
    assert len(idx) == 2
    assert idx.lookup("AA01001").mode_of_trial == "SUMMARY"
    assert idx.lookup("AA01002").mode_of_trial is None
    assert not idx.lookup("AA01001").hand_checked


@pytest.mark.parametrize(
    "content",
    [
        "code,title\nX,Y\n",  # unknown header
        "cjs_code,offence_title,category,mode_of_trial,special_rule,long_stop_years\nXX00001,T,CS,SUMMARY,MAGIC,,\n",
        "cjs_code,offence_title,category,mode_of_trial,special_rule,long_stop_years\nXX00001,T,CE,SUMMARY,NONE,,\n",
        "cjs_code,offence_title,category,mode_of_trial,special_rule,long_stop_years\nXX00001,T,CS,SUMMARILY,NONE,,\n",
    ],
)
def test_a_malformed_offence_file_is_rejected_loudly(tmp_path, content):
    p = tmp_path / "bad.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        OffenceIndex.from_csv(p)


def test_merged_lets_the_hand_checked_table_win_both_ways_round():
    plain = OffenceIndex([OffenceRef("CJ88001", "Common assault", "CS", "SUMMARY"), OffenceRef("ZZ00001", "Other", "CE", "EITHER_WAY")])
    hand = OffenceIndex.bundled()
    for combined in (plain.merged(hand), hand.merged(plain)):
        assert combined.lookup("CJ88001").special_rule == "DA_S39A"
        assert combined.lookup("ZZ00001").mode_of_trial == "EITHER_WAY"
        assert len(combined) == len(hand) + 1


# ------------------------------------------------------------------ full standing data
def test_the_full_cjs_index_loads_every_row(cjs_index, cjs_rows):
    assert len(cjs_index) == len(cjs_rows) > 10_000


def test_every_summary_code_in_the_cjs_index_gets_a_dated_stl(merged, cjs_rows):
    checked = 0
    for code, row in cjs_rows.items():
        if row["offence_category"].strip() not in ("CS", "CM"):
            continue
        ref = merged.lookup(code)
        r = offence_stl(OffenceFacts(code, offence_start_date=OFFENCE_DATE), ref)
        assert r.stl_date is not None, code
        if ref.special_rule == "NONE":
            assert (r.rule, r.stl_date) == (S127, S127_DATE), code
        else:
            assert r.stl_date >= S127_DATE, code
        checked += 1
    assert checked > 8000


def test_every_summary_code_with_a_special_rule_still_yields_a_date_in_every_situation(merged):
    for ref in merged:
        if ref.mode_of_trial != "SUMMARY" or ref.special_rule == "NONE":
            continue
        for extra in ({}, {"da_flag": True}, {"da_flag": True, "victim_statement_date": date(2024, 10, 1)}, {"knowledge_date": date(2025, 1, 1)}):
            r = offence_stl(OffenceFacts(ref.code, offence_start_date=OFFENCE_DATE, **extra), ref)
            assert r.stl_date is not None and r.stl_date >= S127_DATE, (ref.code, extra)
            if extra.get("da_flag") and ref.special_rule == "DA_S39A":
                assert r.rule in (S39A, S39A_EXTENDABLE)


def test_every_either_way_and_indictable_code_has_no_statutory_limit(merged, cjs_rows):
    checked = 0
    for code, row in cjs_rows.items():
        if row["offence_category"].strip() not in ("CE", "CI"):
            continue
        ref = merged.lookup(code)
        r = offence_stl(OffenceFacts(code, offence_start_date=OFFENCE_DATE, value_gbp=10_000), ref)
        assert (r.stl_date, r.rule) == (None, NO_STATUTORY_LIMIT), code
        checked += 1
    assert checked > 5000


def test_low_value_damage_codes_are_the_only_either_way_codes_that_warn(merged):
    warn = {ref.code for ref in merged if offence_stl(OffenceFacts(ref.code, offence_start_date=OFFENCE_DATE), ref).rule == CHECK_S22}
    assert warn == {ref.code for ref in OffenceIndex.bundled() if ref.special_rule == "CHECK_S22"}


def test_non_criminal_codes_are_unknown_unless_the_extract_gives_a_mode(merged, cjs_rows):
    for code, row in cjs_rows.items():
        if row["offence_category"].strip() in ("CS", "CM", "CE", "CI"):
            continue
        r = offence_stl(OffenceFacts(code, offence_start_date=OFFENCE_DATE), merged.lookup(code))
        assert r.rule == UNKNOWN_OFFENCE, code


def test_a_code_absent_from_both_tables_is_unknown(merged):
    assert merged.lookup("QQ99999") is None
    r = offence_stl(OffenceFacts("QQ99999", offence_start_date=OFFENCE_DATE), merged.lookup("QQ99999"))
    assert (r.stl_date, r.rule) == (None, UNKNOWN_OFFENCE)
