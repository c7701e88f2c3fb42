"""Tests for core.stl: STL rules (R1–R5, R16), bands (R12), case STL, reviews (R13), bail (R7).

Dates are chosen to sit on the boundaries: month ends, leap days, the day before / on / after
each threshold. Every expected date was worked out by hand from domain.md.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.offences import OffenceIndex, OffenceRef
from core.stl import (
    AMBER,
    AWA_S31,
    BAND_LABELS,
    BAND_ORDER,
    BLACK,
    CA2003_S127,
    CHECK_S22,
    COMMENCED,
    GREEN,
    MISSING_OFFENCE_DATE,
    NO_LIMIT,
    NO_STATUTORY_LIMIT,
    RED,
    RTOA_S6,
    RULE_SOURCES,
    RULES,
    S39A,
    S39A_EXTENDABLE,
    S127,
    UNKNOWN,
    UNKNOWN_OFFENCE,
    WCA_S20,
    BandThresholds,
    OffenceFacts,
    StlPolicy,
    StlResult,
    band_for,
    case_stl,
    days_remaining,
    offence_stl,
    pre_charge_bail_end,
    review_due_date,
    review_status,
    worst_band,
)

D = date
IDX = OffenceIndex.bundled()

COMMON_ASSAULT = "CJ88001"
BATTERY = "CJ88116"
SECTION_5 = "PU86149"  # Public Order Act 1986 s.5, summary only, no special rule
HARASSMENT = "PH97004"  # PHA 1997 s.2, summary only
ABH = "OF61102"  # either way
ROBBERY = "TH68023"  # indictable only
NO_INSURANCE = "RA88001"  # RTOA s.6
COMMS = "CA03005"  # CA 2003 s.127
AWA_WELFARE = "AW06029"  # AWA 2006 s.9, summary: s.31 applies
AWA_SUFFERING = "AW06041"  # AWA 2006 s.4, either way: s.31 does not bite
WILD_BIRD = "WC81001"  # WCA 1981 s.20
DAMAGE_LOW = "CD71039"  # criminal damage under £5,000: CHECK_S22
DAMAGE_HIGH = "CD71038"


def stl(code: str, policy: StlPolicy | None = None, **kw) -> StlResult:
    facts = OffenceFacts(code, **kw)
    ref = IDX.lookup(code)
    return offence_stl(facts, ref) if policy is None else offence_stl(facts, ref, policy)


# ======================================================================== R2: s.127
@pytest.mark.parametrize(
    ("offence", "expected"),
    [
        (D(2025, 1, 15), D(2025, 7, 15)),
        (D(2024, 8, 31), D(2025, 2, 28)),
        (D(2023, 8, 31), D(2024, 2, 29)),
        (D(2023, 8, 29), D(2024, 2, 29)),
        (D(2024, 2, 29), D(2024, 8, 29)),
        (D(2025, 3, 31), D(2025, 9, 30)),
        (D(2024, 12, 31), D(2025, 6, 30)),
        (D(2025, 7, 1), D(2026, 1, 1)),
    ],
)
def test_a_summary_offence_must_be_commenced_within_six_calendar_months(offence, expected):
    r = stl(SECTION_5, offence_start_date=offence)
    assert (r.stl_date, r.rule, r.extendable, r.alt_stl_date) == (expected, S127, False, None)
    assert r.source == RULE_SOURCES[S127]
    assert r.mode_of_trial == "SUMMARY"


def test_a_non_da_common_assault_gets_plain_s127_even_with_a_statement():
    r = stl(COMMON_ASSAULT, offence_start_date=D(2024, 1, 10), da_flag=False, victim_statement_date=D(2024, 5, 1))
    assert (r.stl_date, r.rule) == (D(2024, 7, 10), S127)


def test_repeated_calls_give_equal_results_from_the_cached_fast_path():
    a = stl(SECTION_5, offence_start_date=D(2024, 8, 31))
    b = stl(SECTION_5, offence_start_date=D(2024, 8, 31), mode_of_trial="SUMMARY")
    assert a == b == StlResult(D(2025, 2, 28), S127, RULE_SOURCES[S127], mode_of_trial="SUMMARY")


# ======================================================================== R3: s.39A
def test_dpp_v_jackson_statement_on_27_sep_2023_makes_27_mar_2024_in_time():
    r = stl(COMMON_ASSAULT, offence_start_date=D(2023, 9, 20), da_flag=True, victim_statement_date=D(2023, 9, 27))
    assert (r.stl_date, r.rule, r.extendable) == (D(2024, 3, 27), S39A, False)
    assert r.long_stop_date == D(2025, 9, 20)
    assert band_for(r.stl_date, r.rule, D(2024, 3, 27), None, D(2024, 3, 27)) == COMMENCED
    assert band_for(r.stl_date, r.rule, D(2024, 3, 28), None, D(2024, 3, 28)) == BLACK


@pytest.mark.parametrize(
    ("offence", "statement", "vri", "expected", "long_stop"),
    [
        # six months from the statement
        (D(2024, 3, 1), D(2024, 4, 10), None, D(2024, 10, 10), D(2026, 3, 1)),
        # the earlier of statement and VRI is the condition date
        (D(2024, 3, 1), D(2024, 6, 1), D(2024, 5, 1), D(2024, 11, 1), D(2026, 3, 1)),
        (D(2024, 3, 1), None, D(2024, 5, 1), D(2024, 11, 1), D(2026, 3, 1)),
        # statement on 31 Aug -> 28 Feb (corresponding-date rule)
        (D(2024, 8, 1), D(2024, 8, 31), None, D(2025, 2, 28), D(2026, 8, 1)),
        # statement taken 20 months after the offence: the two-year long stop wins
        (D(2023, 1, 10), D(2024, 9, 10), None, D(2025, 1, 10), D(2025, 1, 10)),
        # statement exactly 18 months after: both legs coincide
        (D(2023, 1, 10), D(2024, 7, 10), None, D(2025, 1, 10), D(2025, 1, 10)),
        # statement on the offence day: same as s.127
        (D(2024, 3, 1), D(2024, 3, 1), None, D(2024, 9, 1), D(2026, 3, 1)),
        # 29 Feb offence: long stop 28 Feb two years on
        (D(2024, 2, 29), D(2025, 12, 1), None, D(2026, 2, 28), D(2026, 2, 28)),
    ],
)
def test_s39a_runs_six_months_from_the_first_statement_capped_by_two_years(offence, statement, vri, expected, long_stop):
    r = stl(COMMON_ASSAULT, offence_start_date=offence, da_flag=True, victim_statement_date=statement, vri_date=vri)
    assert (r.stl_date, r.rule, r.long_stop_date, r.extendable) == (expected, S39A, long_stop, False)


def test_s39a_applies_to_battery_as_well_as_common_assault():
    r = stl(BATTERY, offence_start_date=D(2024, 3, 1), da_flag=True, victim_statement_date=D(2024, 4, 10))
    assert (r.stl_date, r.rule) == (D(2024, 10, 10), S39A)


def test_a_da_assault_with_no_statement_yet_is_extendable_with_a_two_year_long_stop():
    r = stl(COMMON_ASSAULT, offence_start_date=D(2024, 3, 15), da_flag=True)
    assert (r.stl_date, r.rule, r.extendable, r.long_stop_date) == (D(2024, 9, 15), S39A_EXTENDABLE, True, D(2026, 3, 15))
    assert "15 Mar 2026" in r.note and "statement" in r.note


def test_a_statement_dated_before_the_offence_never_shortens_the_s127_date():
    r = stl(COMMON_ASSAULT, offence_start_date=D(2024, 3, 15), da_flag=True, victim_statement_date=D(2024, 1, 1))
    assert (r.stl_date, r.rule) == (D(2024, 9, 15), S39A)
    assert "check data" in r.note


@pytest.mark.parametrize(
    ("offence", "policy", "rule", "expected"),
    [
        (D(2022, 6, 27), StlPolicy(), S127, D(2022, 12, 27)),  # day before commencement
        (D(2022, 6, 28), StlPolicy(), S39A, D(2023, 1, 1)),  # commencement day
        (D(2022, 6, 27), StlPolicy(s39a_applies_before_commencement=True), S39A, D(2023, 1, 1)),
    ],
)
def test_s39a_does_not_apply_before_28_june_2022_unless_the_policy_says_so(offence, policy, rule, expected):
    r = stl(COMMON_ASSAULT, policy, offence_start_date=offence, da_flag=True, victim_statement_date=D(2022, 7, 1))
    assert (r.rule, r.stl_date) == (rule, expected)
    if rule == S127:
        assert "28 Jun 2022" in r.note


@pytest.mark.parametrize("code", [ABH, "CD98070", "CJ88159"])
def test_a_da_flag_on_an_either_way_assault_gives_no_statutory_limit(code):
    r = stl(code, offence_start_date=D(2024, 3, 1), da_flag=True, victim_statement_date=D(2024, 4, 1))
    assert (r.stl_date, r.rule) == (None, NO_STATUTORY_LIMIT)


# ======================================================================== R5: no limit
@pytest.mark.parametrize(
    ("code", "mode"),
    [
        (ABH, "EITHER_WAY"),
        ("TH68010", "EITHER_WAY"),  # shop theft, even low value (Jobson v DPP)
        ("CJ88159", "EITHER_WAY"),  # assault on an emergency worker
        (DAMAGE_HIGH, "EITHER_WAY"),
        (ROBBERY, "INDICTABLE_ONLY"),
        ("SX03002", "INDICTABLE_ONLY"),
    ],
)
def test_either_way_and_indictable_offences_have_no_statutory_limit(code, mode):
    r = stl(code, offence_start_date=D(2024, 3, 1), value_gbp=150)
    assert (r.stl_date, r.rule, r.mode_of_trial, r.alt_stl_date) == (None, NO_STATUTORY_LIMIT, mode, None)
    assert band_for(r.stl_date, r.rule, D(2030, 1, 1), None, None) == NO_LIMIT


def test_an_either_way_offence_needs_no_offence_date():
    assert stl(ABH).rule == NO_STATUTORY_LIMIT


# ======================================================================== R1: unknown / mode
def test_an_unknown_code_without_a_mode_of_trial_is_unknown_never_no_limit():
    r = stl("ZZ99999", offence_start_date=D(2024, 3, 1))
    assert (r.stl_date, r.rule) == (None, UNKNOWN_OFFENCE)
    assert "ZZ99999" in r.note
    assert band_for(r.stl_date, r.rule, D(2024, 3, 2), None, None) == UNKNOWN


@pytest.mark.parametrize(
    ("mode", "rule", "expected"),
    [
        ("SUMMARY", S127, D(2024, 9, 1)),
        ("Summary only", S127, D(2024, 9, 1)),
        ("summary", S127, D(2024, 9, 1)),
        ("EITHER_WAY", NO_STATUTORY_LIMIT, None),
        ("Either way", NO_STATUTORY_LIMIT, None),
        ("INDICTABLE_ONLY", NO_STATUTORY_LIMIT, None),
        ("nonsense", UNKNOWN_OFFENCE, None),
        ("", UNKNOWN_OFFENCE, None),
    ],
)
def test_an_unknown_code_uses_the_mode_of_trial_from_the_extract(mode, rule, expected):
    r = stl("ZZ99999", offence_start_date=D(2024, 3, 1), mode_of_trial=mode)
    assert (r.rule, r.stl_date) == (rule, expected)
    if rule == S127:
        assert "extract" in r.note


def test_a_non_criminal_category_without_an_extract_mode_is_unknown():
    ref = OffenceRef("ST19501", "Application for a Stalking Protection Order", "VP", None)
    r = offence_stl(OffenceFacts("ST19501", offence_start_date=D(2024, 3, 1)), ref)
    assert (r.stl_date, r.rule) == (None, UNKNOWN_OFFENCE)
    assert "VP" in r.note


@pytest.mark.parametrize(
    ("code", "extract_mode", "policy", "rule", "expected_date", "note_part"),
    [
        # reference says either-way, extract says summary: the earlier answer wins
        (ABH, "SUMMARY", StlPolicy(), S127, D(2024, 9, 1), "earlier, conservative"),
        # ... unless the policy says the reference always wins
        (ABH, "SUMMARY", StlPolicy(mode_conflict_conservative=False), NO_STATUTORY_LIMIT, None, "using the reference"),
        # reference says summary, extract says either-way: the reference (earlier) wins
        (SECTION_5, "EITHER_WAY", StlPolicy(), S127, D(2024, 9, 1), "using the reference"),
        (ROBBERY, "EITHER_WAY", StlPolicy(), NO_STATUTORY_LIMIT, None, "earlier, conservative"),
    ],
)
def test_a_mode_of_trial_conflict_uses_the_conservative_answer_and_says_so(code, extract_mode, policy, rule, expected_date, note_part):
    r = stl(code, policy, offence_start_date=D(2024, 3, 1), mode_of_trial=extract_mode)
    assert (r.rule, r.stl_date) == (rule, expected_date)
    assert "conflict" in r.note and note_part in r.note


def test_a_conflicting_summary_mode_does_not_borrow_the_references_special_rule():
    # s.4 AWA is either-way in the reference; an extract saying SUMMARY gets plain s.127
    r = stl(AWA_SUFFERING, offence_start_date=D(2024, 3, 1), mode_of_trial="SUMMARY", knowledge_date=D(2025, 1, 1))
    assert (r.rule, r.stl_date) == (S127, D(2024, 9, 1))


# ======================================================================== R16: missing dates
def test_a_summary_offence_without_a_start_date_is_missing_offence_date():
    r = stl(COMMON_ASSAULT)
    assert (r.stl_date, r.rule, r.alt_stl_date) == (None, MISSING_OFFENCE_DATE, None)
    assert band_for(r.stl_date, r.rule, D(2024, 1, 1), None, None) == UNKNOWN


def test_a_missing_start_date_with_an_end_date_reports_the_latest_possible_date_as_alt():
    r = stl(HARASSMENT, offence_end_date=D(2024, 3, 31))
    assert (r.stl_date, r.rule, r.alt_stl_date) == (None, MISSING_OFFENCE_DATE, D(2024, 9, 30))


def test_a_continuing_offence_with_only_an_end_date_runs_from_the_end_date():
    r = stl(HARASSMENT, offence_end_date=D(2024, 3, 31), is_continuing=True)
    assert (r.stl_date, r.rule) == (D(2024, 9, 30), S127)


def test_an_offence_date_beyond_the_calendar_is_reported_not_raised():
    r = stl(SECTION_5, offence_start_date=D(9999, 8, 1))
    assert (r.stl_date, r.rule) == (None, MISSING_OFFENCE_DATE)
    assert "out of range" in r.note


# ======================================================================== R2: date ranges
def test_a_continuing_offence_runs_from_its_last_day():
    r = stl(HARASSMENT, offence_start_date=D(2024, 1, 10), offence_end_date=D(2024, 3, 31), is_continuing=True)
    assert (r.stl_date, r.alt_stl_date, r.rule) == (D(2024, 9, 30), None, S127)
    assert "Altavon" in r.note


def test_a_continuing_offence_without_an_end_date_runs_from_the_start_date():
    r = stl(HARASSMENT, offence_start_date=D(2024, 1, 10), is_continuing=True)
    assert r.stl_date == D(2024, 7, 10)
    assert "no end date" in r.note


@pytest.mark.parametrize(
    ("policy", "expected", "alt"),
    [
        (StlPolicy(), D(2024, 7, 10), D(2024, 9, 30)),
        (StlPolicy(date_range_from_start=False), D(2024, 9, 30), D(2024, 7, 10)),
    ],
)
def test_a_non_continuing_date_range_uses_the_start_date_and_reports_the_end_date_as_alt(policy, expected, alt):
    r = stl(SECTION_5, policy, offence_start_date=D(2024, 1, 10), offence_end_date=D(2024, 3, 31))
    assert (r.stl_date, r.alt_stl_date, r.rule) == (expected, alt, S127)
    assert "date range" in r.note


def test_an_end_date_equal_to_the_start_date_is_a_single_day():
    r = stl(SECTION_5, offence_start_date=D(2024, 1, 10), offence_end_date=D(2024, 1, 10))
    assert (r.stl_date, r.alt_stl_date, r.note) == (D(2024, 7, 10), None, "")


def test_an_end_date_before_the_start_date_uses_the_earlier_date():
    r = stl(SECTION_5, offence_start_date=D(2024, 3, 31), offence_end_date=D(2024, 1, 10))
    assert (r.stl_date, r.alt_stl_date) == (D(2024, 7, 10), D(2024, 9, 30))
    assert "check data" in r.note


def test_a_da_assault_over_a_date_range_computes_s39a_from_both_ends():
    r = stl(
        COMMON_ASSAULT,
        offence_start_date=D(2023, 1, 1),
        offence_end_date=D(2023, 2, 1),
        da_flag=True,
        victim_statement_date=D(2024, 12, 1),
    )
    assert (r.stl_date, r.alt_stl_date, r.rule) == (D(2025, 1, 1), D(2025, 2, 1), S39A)


# ======================================================================== R4: knowledge rules
@pytest.mark.parametrize(
    ("knowledge", "expected", "extendable"),
    [
        (None, D(2024, 7, 15), True),  # no certificate: s.127 (Burwell v DPP)
        (D(2024, 1, 15), D(2024, 7, 15), False),  # knowledge on the offence day
        (D(2024, 1, 1), D(2024, 7, 15), False),  # knowledge before the offence: never below s.127
        (D(2024, 5, 31), D(2024, 11, 30), False),  # 6 months "from": corresponding date
        (D(2026, 7, 15), D(2027, 1, 15), False),  # exactly at the 3-year long stop
        (D(2026, 11, 1), D(2027, 1, 15), False),  # 3-year long stop wins
    ],
)
def test_rtoa_s6_runs_from_the_prosecutors_knowledge_with_a_three_year_long_stop(knowledge, expected, extendable):
    r = stl(NO_INSURANCE, offence_start_date=D(2024, 1, 15), knowledge_date=knowledge)
    assert (r.stl_date, r.rule, r.long_stop_date, r.extendable) == (expected, RTOA_S6, D(2027, 1, 15), extendable)
    if knowledge is None:
        assert r.note == "no certificate: s.127 applies (Burwell v DPP)"


@pytest.mark.parametrize(
    ("knowledge", "expected"),
    [
        (D(2024, 3, 10), D(2024, 9, 9)),  # 6 months beginning with 10 Mar ends 9 Sep
        (D(2024, 1, 15), D(2024, 7, 15)),  # would be 14 Jul, but never below the s.127 date
        (D(2024, 8, 31), D(2025, 2, 27)),  # clamped corresponding date minus one
        (D(2026, 12, 1), D(2027, 1, 14)),  # long stop: 3 years beginning with the offence day
    ],
)
def test_communications_act_s127_uses_beginning_with_for_both_legs(knowledge, expected):
    r = stl(COMMS, offence_start_date=D(2024, 1, 15), knowledge_date=knowledge)
    assert (r.stl_date, r.rule, r.long_stop_date) == (expected, CA2003_S127, D(2027, 1, 14))


def test_communications_act_wording_is_a_policy_setting():
    policy = StlPolicy(knowledge_beginning_with=frozenset(), long_stop_beginning_with=frozenset())
    r = stl(COMMS, policy, offence_start_date=D(2024, 1, 15), knowledge_date=D(2024, 3, 10))
    assert (r.stl_date, r.long_stop_date) == (D(2024, 9, 10), D(2027, 1, 15))


@pytest.mark.parametrize(
    ("code", "knowledge", "rule", "expected", "long_stop"),
    [
        (AWA_WELFARE, D(2024, 2, 1), AWA_S31, D(2024, 7, 31), D(2027, 1, 14)),
        (AWA_WELFARE, None, AWA_S31, D(2024, 7, 15), D(2027, 1, 14)),
        (WILD_BIRD, D(2024, 8, 31), WCA_S20, D(2025, 2, 28), D(2026, 1, 15)),
        (WILD_BIRD, D(2025, 12, 1), WCA_S20, D(2026, 1, 15), D(2026, 1, 15)),
        (WILD_BIRD, None, WCA_S20, D(2024, 7, 15), D(2026, 1, 15)),
    ],
)
def test_animal_welfare_and_wildlife_limits_follow_the_knowledge_pattern(code, knowledge, rule, expected, long_stop):
    r = stl(code, offence_start_date=D(2024, 1, 15), knowledge_date=knowledge)
    assert (r.stl_date, r.rule, r.long_stop_date) == (expected, rule, long_stop)


def test_a_knowledge_rule_on_an_either_way_offence_does_not_bite():
    r = stl(AWA_SUFFERING, offence_start_date=D(2024, 1, 15), knowledge_date=D(2024, 6, 1))
    assert (r.stl_date, r.rule) == (None, NO_STATUTORY_LIMIT)
    assert "s.127(2)(b)" in r.note


def test_a_knowledge_rule_without_long_stop_years_uses_the_policy_default():
    ref = OffenceRef("XX00999", "Test s.6 offence", "CM", "SUMMARY", "RTOA_S6", None)
    r = offence_stl(OffenceFacts("XX00999", offence_start_date=D(2024, 1, 15), knowledge_date=D(2026, 12, 1)), ref)
    assert (r.stl_date, r.long_stop_date) == (D(2027, 1, 15), D(2027, 1, 15))


def test_a_references_own_long_stop_years_override_the_default():
    ref = OffenceRef("XX00998", "Test wildlife offence", "CS", "SUMMARY", "WCA_S20", 5)
    r = offence_stl(OffenceFacts("XX00998", offence_start_date=D(2024, 1, 15), knowledge_date=D(2028, 12, 1)), ref)
    assert (r.stl_date, r.long_stop_date) == (D(2029, 1, 15), D(2029, 1, 15))


def test_a_custom_long_stop_table_keeps_the_defaults_for_rules_it_does_not_mention():
    policy = StlPolicy(default_long_stop_years=(("WCA_S20", 4),))
    wca = OffenceRef("XX00997", "Test wildlife offence", "CS", "SUMMARY", "WCA_S20", None)
    rtoa = OffenceRef("XX00996", "Test s.6 offence", "CM", "SUMMARY", "RTOA_S6", None)
    facts = dict(offence_start_date=D(2024, 1, 15), knowledge_date=D(2030, 1, 1))
    assert offence_stl(OffenceFacts("XX00997", **facts), wca, policy).long_stop_date == D(2028, 1, 15)
    assert offence_stl(OffenceFacts("XX00996", **facts), rtoa, policy).long_stop_date == D(2027, 1, 15)


# ======================================================================== R1: CHECK_S22
@pytest.mark.parametrize(
    ("value", "policy", "rule", "expected"),
    [
        (None, StlPolicy(), CHECK_S22, D(2024, 9, 30)),  # value unknown: warn
        (120, StlPolicy(), CHECK_S22, D(2024, 9, 30)),
        (5000, StlPolicy(), CHECK_S22, D(2024, 9, 30)),  # "does not exceed": inclusive
        (5000.01, StlPolicy(), NO_STATUTORY_LIMIT, None),
        (120, StlPolicy(check_s22_uses_s127=False), NO_STATUTORY_LIMIT, None),
        (6000, StlPolicy(low_value_damage_threshold_gbp=10000), CHECK_S22, D(2024, 9, 30)),
    ],
)
def test_low_value_criminal_damage_shows_the_six_month_date_as_a_warning(value, policy, rule, expected):
    r = stl(DAMAGE_LOW, policy, offence_start_date=D(2024, 3, 31), value_gbp=value)
    assert (r.rule, r.stl_date) == (rule, expected)
    if rule == CHECK_S22:
        assert r.mode_of_trial == "EITHER_WAY" and "UNCONFIRMED" in r.note


def test_low_value_criminal_damage_without_a_date_is_missing_offence_date():
    assert stl(DAMAGE_LOW).rule == MISSING_OFFENCE_DATE


# ======================================================================== property
SUMMARY_CODES = [COMMON_ASSAULT, BATTERY, SECTION_5, NO_INSURANCE, COMMS, AWA_WELFARE, WILD_BIRD]
dates = st.dates(min_value=D(2015, 1, 1), max_value=D(2035, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(SUMMARY_CODES),
    offence=dates,
    da=st.booleans(),
    statement=st.none() | dates,
    knowledge=st.none() | dates,
)
def test_extended_limits_never_give_a_date_earlier_than_s127(code, offence, da, statement, knowledge):
    r = stl(code, offence_start_date=offence, da_flag=da, victim_statement_date=statement, knowledge_date=knowledge)
    s127 = stl(SECTION_5, offence_start_date=offence).stl_date
    assert r.stl_date is not None and r.stl_date >= s127
    if r.long_stop_date is not None:
        assert r.stl_date <= max(r.long_stop_date, s127)


# ======================================================================== R12: bands
STL = D(2025, 7, 15)


@pytest.mark.parametrize(
    ("days_before", "submitted", "expected"),
    [
        (43, False, GREEN),
        (42, False, AMBER),  # amber threshold, inclusive
        (41, False, AMBER),
        (15, False, AMBER),
        (14, False, RED),  # red (unsubmitted) threshold, inclusive
        (13, False, RED),
        (8, False, RED),
        (7, False, RED),
        (0, False, RED),  # the STL day itself: still in time
        (-1, False, BLACK),  # the day after
        (43, True, GREEN),
        (42, True, GREEN),
        (14, True, GREEN),
        (8, True, GREEN),
        (7, True, RED),  # red (uncharged) threshold, inclusive
        (6, True, RED),
        (0, True, RED),
        (-1, True, BLACK),
    ],
)
def test_bands_change_exactly_on_each_threshold_day(days_before, submitted, expected):
    as_of = STL - timedelta(days=days_before)
    submitted_date = as_of - timedelta(days=1) if submitted else None
    assert band_for(STL, S127, as_of, submitted_date, None) == expected


@pytest.mark.parametrize(
    ("submitted_offset", "expected"),
    [
        (None, AMBER),
        (-5, GREEN),  # submitted before as_of
        (0, GREEN),  # submitted on as_of counts
        (1, AMBER),  # submitted after as_of has not happened yet
    ],
)
def test_a_submission_dated_after_as_of_counts_as_not_submitted(submitted_offset, expected):
    as_of = STL - timedelta(days=20)
    submitted = None if submitted_offset is None else as_of + timedelta(days=submitted_offset)
    assert band_for(STL, S127, as_of, submitted, None) == expected


@pytest.mark.parametrize(
    ("commenced", "as_of", "expected"),
    [
        (STL, STL, COMMENCED),  # commenced on the STL day: in time
        (STL, STL + timedelta(days=100), COMMENCED),
        (STL - timedelta(days=60), STL - timedelta(days=50), COMMENCED),
        (STL + timedelta(days=1), STL + timedelta(days=1), BLACK),  # out of time
        (STL + timedelta(days=1), STL + timedelta(days=30), BLACK),
        (STL - timedelta(days=3), STL - timedelta(days=5), RED),  # commencement in the future: not yet
        (STL + timedelta(days=10), STL + timedelta(days=2), BLACK),  # future commencement, STL passed
        (None, STL + timedelta(days=1), BLACK),
    ],
)
def test_commencement_on_or_before_the_stl_is_commenced_and_after_it_is_black(commenced, as_of, expected):
    assert band_for(STL, S127, as_of, None, commenced) == expected


@pytest.mark.parametrize(
    ("stl_date", "rule", "expected"),
    [
        (None, NO_STATUTORY_LIMIT, NO_LIMIT),
        (STL, NO_STATUTORY_LIMIT, NO_LIMIT),  # the rule decides, whatever the date says
        (None, UNKNOWN_OFFENCE, UNKNOWN),
        (None, MISSING_OFFENCE_DATE, UNKNOWN),
        (None, None, UNKNOWN),
        (STL, CHECK_S22, GREEN),  # a warning date is banded like any other
    ],
)
def test_no_limit_and_unknown_stls_get_their_own_bands(stl_date, rule, expected):
    assert band_for(stl_date, rule, STL - timedelta(days=100), None, None) == expected


def test_thresholds_are_configurable():
    t = BandThresholds(red_days_unsubmitted=21, red_days_uncharged=10, amber_days_unsubmitted=56)
    assert band_for(STL, S127, STL - timedelta(days=56), None, None, t) == AMBER
    assert band_for(STL, S127, STL - timedelta(days=57), None, None, t) == GREEN
    assert band_for(STL, S127, STL - timedelta(days=21), None, None, t) == RED
    assert band_for(STL, S127, STL - timedelta(days=10), STL - timedelta(days=30), None, t) == RED
    assert band_for(STL, S127, STL - timedelta(days=11), STL - timedelta(days=30), None, t) == GREEN


@pytest.mark.parametrize(
    ("stl_date", "as_of", "expected"),
    [
        (STL, STL, 0),
        (STL, STL - timedelta(days=42), 42),
        (STL, STL + timedelta(days=1), -1),
        (None, STL, None),
        (STL, None, None),
    ],
)
def test_days_remaining_counts_whole_days_to_the_stl(stl_date, as_of, expected):
    assert days_remaining(stl_date, as_of) == expected


# ======================================================================== R5: case STL
def _r(d: date | None, rule: str = S127) -> StlResult:
    return StlResult(d, rule, RULE_SOURCES[rule])


AS_OF = D(2025, 3, 1)


@pytest.mark.parametrize(
    ("offences", "expected"),
    [
        ([(_r(D(2025, 6, 1)), None), (_r(D(2025, 5, 1)), None)], (D(2025, 5, 1), 1)),
        # the earliest is commenced: the earliest *open* one governs
        ([(_r(D(2025, 5, 1)), D(2025, 2, 1)), (_r(D(2025, 6, 1)), None)], (D(2025, 6, 1), 1)),
        # commencement dated after as_of has not happened yet
        ([(_r(D(2025, 5, 1)), D(2025, 4, 1)), (_r(D(2025, 6, 1)), None)], (D(2025, 5, 1), 0)),
        # all commenced: earliest overall
        ([(_r(D(2025, 6, 1)), D(2025, 2, 1)), (_r(D(2025, 5, 1)), D(2025, 2, 1))], (D(2025, 5, 1), 1)),
        # either-way charges do not count; a summary charge still times out on its own
        ([(_r(None, NO_STATUTORY_LIMIT), None), (_r(D(2025, 6, 1)), None)], (D(2025, 6, 1), 1)),
        ([(_r(None, NO_STATUTORY_LIMIT), None), (_r(None, UNKNOWN_OFFENCE), None)], (None, None)),
        ([], (None, None)),
        # ties go to the first
        ([(_r(D(2025, 6, 1)), None), (_r(D(2025, 6, 1)), None)], (D(2025, 6, 1), 0)),
    ],
)
def test_the_case_stl_is_the_earliest_stl_among_offences_not_yet_commenced(offences, expected):
    assert case_stl(offences, AS_OF) == expected


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        ([GREEN, AMBER], AMBER),
        ([AMBER, UNKNOWN], UNKNOWN),
        ([UNKNOWN, RED], RED),
        ([GREEN, BLACK, RED], BLACK),
        ([NO_LIMIT, COMMENCED], COMMENCED),
        ([NO_LIMIT], NO_LIMIT),
        ([], UNKNOWN),
        (iter([GREEN, GREEN]), GREEN),
    ],
)
def test_worst_band_picks_the_most_severe_band(bands, expected):
    assert worst_band(bands) == expected


def test_worst_band_rejects_an_unknown_band_name():
    with pytest.raises(ValueError):
        worst_band([GREEN, "PURPLE"])


def test_band_order_and_labels_cover_every_band_with_text_and_an_icon():
    assert BAND_ORDER == (BLACK, RED, UNKNOWN, AMBER, GREEN, COMMENCED, NO_LIMIT)
    assert set(BAND_LABELS) == set(BAND_ORDER)
    for band, label in BAND_LABELS.items():
        assert band.replace("_", " ") in label
        assert not label[0].isascii()  # starts with an icon, never colour alone
    assert BAND_LABELS[BLACK] == "⬛ BLACK – STL passed"


def test_every_rule_code_has_a_description_and_a_source():
    assert set(RULES) == set(RULE_SOURCES)
    assert all(RULES[k] and RULE_SOURCES[k] for k in RULES)


# ======================================================================== R13: reviews
@pytest.mark.parametrize(
    ("last", "start", "period", "expected"),
    [
        (D(2025, 1, 1), D(2024, 12, 1), 28, D(2025, 1, 29)),
        (None, D(2025, 1, 1), 28, D(2025, 1, 29)),  # never reviewed: from allocation
        (D(2025, 2, 1), None, 28, D(2025, 3, 1)),
        (D(2025, 1, 1), None, 14, D(2025, 1, 15)),
        (None, None, 28, None),
    ],
)
def test_the_next_review_is_due_28_days_after_the_last_review_or_allocation(last, start, period, expected):
    assert review_due_date(last, start, period) == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (D(2025, 1, 30), "OVERDUE"),  # the day after the due date
        (D(2025, 1, 29), "DUE"),  # the due date itself
        (D(2025, 1, 22), "DUE"),  # 7 days before: due soon, inclusive
        (D(2025, 1, 21), "OK"),  # 8 days before
    ],
)
def test_review_status_is_overdue_only_after_the_due_date(as_of, expected):
    assert review_status(D(2025, 1, 29), as_of) == expected


def test_review_status_is_unknown_without_a_due_date_and_due_soon_days_is_configurable():
    assert review_status(None, D(2025, 1, 1)) == "UNKNOWN"
    assert review_status(D(2025, 1, 29), D(2025, 1, 15), due_soon_days=14) == "DUE"


# ======================================================================== R7: bail
@pytest.mark.parametrize(
    ("arrest", "level", "designated", "expected"),
    [
        # current regime (arrests on/after 28 Oct 2022); bail start = day after arrest
        (D(2023, 10, 28), "INITIAL", False, D(2024, 1, 28)),
        (D(2023, 10, 28), "INSPECTOR", False, D(2024, 4, 28)),
        (D(2023, 10, 28), "SUPERINTENDENT", False, D(2024, 7, 28)),
        (D(2023, 10, 28), "COURT", False, D(2024, 10, 28)),
        (D(2023, 10, 28), "INITIAL", True, D(2024, 4, 28)),
        (D(2023, 10, 28), "SUPERINTENDENT", True, D(2024, 10, 28)),
        (D(2023, 10, 28), "COURT", True, D(2025, 4, 28)),
        (D(2022, 10, 28), "INITIAL", False, D(2023, 1, 28)),  # commencement day
        (D(2024, 1, 30), "INITIAL", False, D(2024, 4, 29)),  # bail start 31 Jan: clamp then -1
        (D(2025, 1, 1), "initial", False, D(2025, 4, 1)),  # case-insensitive level
        (datetime(2025, 1, 1, 23, 30), "INITIAL", False, D(2025, 4, 1)),  # datetime arrest
        # Policing and Crime Act 2017 regime (3 Apr 2017 - 27 Oct 2022)
        (D(2022, 10, 27), "INITIAL", False, D(2022, 11, 24)),  # 28 days beginning with 28 Oct
        (D(2022, 10, 27), "SUPERINTENDENT", False, D(2023, 1, 27)),
        (D(2017, 4, 3), "INITIAL", False, D(2017, 5, 1)),
        (D(2022, 10, 27), "COURT", False, None),  # as ordered by the court: not modelled
        # before 3 Apr 2017: no statutory limit on pre-charge bail
        (D(2017, 4, 2), "INITIAL", False, None),
        (None, "INITIAL", False, None),
    ],
)
def test_pre_charge_bail_ends_on_the_last_day_of_the_applicable_bail_period(arrest, level, designated, expected):
    assert pre_charge_bail_end(arrest, level, designated) == expected


def test_pre_charge_bail_rejects_an_unknown_authority_level():
    with pytest.raises(ValueError):
        pre_charge_bail_end(D(2024, 1, 1), "SERGEANT")


# ======================================================================== purity
RULE_MODULES = ["calendar.py", "offences.py", "stl.py", "sql_macros.py"]
CORE = Path(__file__).resolve().parents[2] / "core"


@pytest.mark.parametrize("module", RULE_MODULES)
def test_rule_modules_never_read_the_clock_or_import_streamlit(module):
    text = (CORE / module).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+streamlit", text, re.M)
    for forbidden in ("date.today(", "datetime.now(", "datetime.today(", "datetime.utcnow(", "time.time("):
        assert forbidden not in text, forbidden


def test_policy_and_results_are_immutable():
    with pytest.raises(AttributeError):
        StlPolicy().date_range_from_start = False  # type: ignore[misc]
    r = stl(SECTION_5, offence_start_date=D(2024, 1, 1))
    with pytest.raises(AttributeError):
        r.stl_date = None  # type: ignore[misc]
    assert replace(r, note="x").note == "x"


def test_offence_stl_is_fast_enough_for_a_million_rows():
    import time

    ref = IDX.lookup(SECTION_5)
    facts = [OffenceFacts(SECTION_5, "SUMMARY", D(2020, 1, 1) + timedelta(days=i % 2000)) for i in range(100_000)]
    t0 = time.perf_counter()
    for f in facts:
        offence_stl(f, ref)
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0, f"100k plain offences took {elapsed:.2f}s"
