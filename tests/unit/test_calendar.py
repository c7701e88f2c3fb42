"""Tests for core.calendar: calendar-month arithmetic (R0, R0b) and E&W working days."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import holidays
import pytest

from core.calendar import (
    WorkingCalendar,
    add_months,
    bank_holidays_for_year,
    end_of_period_beginning_with,
)

D = date


# --------------------------------------------------------------------------- R0
@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2025, 1, 15), 6, D(2025, 7, 15)),  # domain.md R0 example
        (D(2024, 8, 31), 6, D(2025, 2, 28)),  # no 31 Feb, non-leap -> 28 Feb
        (D(2023, 8, 31), 6, D(2024, 2, 29)),  # leap year -> 29 Feb
        (D(2025, 3, 31), 6, D(2025, 9, 30)),  # 30-day month clamps
        (D(2024, 2, 29), 24, D(2026, 2, 28)),  # 29 Feb + 2 years
        (D(2024, 2, 29), 48, D(2028, 2, 29)),  # 29 Feb + 4 years keeps the 29th
        (D(2024, 12, 31), 6, D(2025, 6, 30)),  # 31 Dec -> 30 Jun
        (D(2024, 12, 30), 6, D(2025, 6, 30)),  # 30 Dec -> 30 Jun (same date as 31 Dec)
        (D(2024, 12, 29), 6, D(2025, 6, 29)),  # 29 Dec -> 29 Jun
        (D(2024, 12, 31), 2, D(2025, 2, 28)),  # 31 Dec + 2 -> 28 Feb
        (D(2023, 12, 29), 2, D(2024, 2, 29)),  # 29 Dec + 2 in a leap year
        (D(2023, 12, 30), 2, D(2024, 2, 29)),
        (D(2025, 12, 29), 2, D(2026, 2, 28)),  # 29 Dec + 2, non-leap
        (D(2024, 7, 15), 6, D(2025, 1, 15)),  # crosses the year end
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2025, 5, 31), 0, D(2025, 5, 31)),
        (D(2025, 3, 31), -1, D(2025, 2, 28)),  # negative n
        (D(2025, 1, 15), -13, D(2023, 12, 15)),
        (D(1900, 1, 31), 1, D(1900, 2, 28)),  # 1900 is not a leap year
        (D(2000, 1, 31), 1, D(2000, 2, 29)),  # 2000 is
    ],
)
def test_add_months_lands_on_the_corresponding_date_or_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


_CHECK_YEARS = [1899, 1900, 1901, *range(1999, 2032), 2099, 2100, 2101]


@pytest.mark.parametrize("year", _CHECK_YEARS)
def test_add_months_agrees_with_calendar_monthrange_for_every_day_of_the_year(year):
    d = D(year, 1, 1)
    while d.year == year:
        for n in (-25, -1, 1, 6, 12, 24, 36):
            months = d.month - 1 + n
            y, m = d.year + months // 12, months % 12 + 1
            assert add_months(d, n) == D(y, m, min(d.day, calendar.monthrange(y, m)[1])), (d, n)
        d += timedelta(days=1)


def test_add_months_accepts_a_datetime_and_returns_a_plain_date():
    result = add_months(datetime(2025, 1, 15, 23, 59), 6)
    assert result == D(2025, 7, 15)
    assert type(result) is date


def test_add_months_raises_for_a_missing_date():
    with pytest.raises((TypeError, AttributeError)):
        add_months(None, 6)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- R0b
@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2025, 1, 2), 3, D(2025, 4, 1)),  # domain.md R0b example
        (D(2025, 1, 1), 6, D(2025, 6, 30)),
        (D(2024, 3, 1), 1, D(2024, 3, 31)),
        (D(2024, 8, 31), 6, D(2025, 2, 27)),  # clamped corresponding date, minus one (conservative)
        (D(2023, 10, 29), 3, D(2024, 1, 28)),  # bail start 29 Oct 2023: 3 months
        (D(2025, 3, 1), 1, D(2025, 3, 31)),
        (D(2024, 2, 1), 1, D(2024, 2, 29)),
    ],
)
def test_a_period_beginning_with_a_day_ends_the_day_before_the_corresponding_date(start, months, expected):
    assert end_of_period_beginning_with(start, months) == expected


# --------------------------------------------------------------------------- working days
CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 12, 24), True),  # Thu
        (D(2026, 12, 25), False),  # Christmas Day, Fri
        (D(2026, 12, 26), False),  # Boxing Day, Sat
        (D(2026, 12, 27), False),  # Sun
        (D(2026, 12, 28), False),  # Boxing Day (substitute), Mon
        (D(2026, 12, 29), True),  # Tue
        (D(2026, 4, 3), False),  # Good Friday 2026
        (D(2026, 4, 6), False),  # Easter Monday 2026
        (D(2026, 4, 7), True),
        (D(2025, 4, 18), False),  # Good Friday 2025
        (D(2025, 5, 5), False),  # Early May bank holiday 2025
        (D(2026, 5, 4), False),  # Early May bank holiday 2026
        (D(2020, 5, 8), False),  # Early May moved to Fri 8 May 2020 (VE Day 75)
        (D(2020, 5, 4), True),  # ... so Mon 4 May 2020 was a working day
        (D(2022, 9, 19), False),  # State Funeral of Queen Elizabeth II
        (D(2023, 5, 8), False),  # Coronation bank holiday
        (D(2025, 8, 25), False),  # Summer bank holiday
        (D(2025, 3, 1), False),  # St David's Day is not a holiday, but this is a Saturday
        (D(2027, 3, 1), True),  # St David's Day on a Monday: a working day in Wales too
        (D(2025, 7, 15), True),
    ],
)
def test_working_days_are_weekdays_that_are_not_england_and_wales_bank_holidays(day, working):
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (D(2025, 7, 15), D(2025, 7, 15)),  # a working day stays put
        (D(2025, 3, 1), D(2025, 2, 28)),  # STL on a Saturday -> Friday
        (D(2025, 3, 2), D(2025, 2, 28)),  # Sunday -> Friday
        (D(2025, 5, 5), D(2025, 5, 2)),  # bank-holiday Monday -> previous Friday
        (D(2025, 4, 21), D(2025, 4, 17)),  # Easter Monday -> Thursday before Good Friday
        (D(2026, 12, 28), D(2026, 12, 24)),  # Christmas 2026 run of closed days -> Thu 24 Dec
        (D(2027, 1, 1), D(2026, 12, 31)),  # New Year's Day (Fri) -> Thu
        (None, None),
    ],
)
def test_last_working_day_on_or_before_moves_a_deadline_back_over_closed_days(deadline, expected):
    assert CAL.last_working_day_on_or_before(deadline) == expected


def test_next_working_day_on_or_after_skips_forward_over_closed_days():
    assert CAL.next_working_day_on_or_after(D(2026, 12, 25)) == D(2026, 12, 29)
    assert CAL.next_working_day_on_or_after(D(2026, 12, 29)) == D(2026, 12, 29)
    assert CAL.next_working_day_on_or_after(None) is None


def test_extra_closures_are_not_working_days_and_shift_deadlines():
    closure = D(2025, 7, 14)  # a Monday, e.g. a court closure
    cal = WorkingCalendar(extra_closures=[closure, datetime(2025, 7, 11, 9, 0)])
    assert not cal.is_working_day(closure)
    assert not cal.is_working_day(D(2025, 7, 11))
    assert cal.last_working_day_on_or_before(D(2025, 7, 14)) == D(2025, 7, 10)
    assert cal.extra_closures == frozenset({closure, D(2025, 7, 11)})
    assert CAL.is_working_day(closure)  # other calendars are unaffected


def test_is_working_day_refuses_a_missing_date():
    with pytest.raises(TypeError):
        CAL.is_working_day(None)  # type: ignore[arg-type]


def test_is_working_day_gives_the_same_answer_for_a_datetime():
    assert CAL.is_working_day(datetime(2026, 12, 28, 10, 30)) is False
    assert CAL.is_working_day(datetime(2026, 12, 29, 10, 30)) is True


def test_bank_holidays_between_lists_named_holidays_inclusive_and_in_order():
    got = CAL.bank_holidays_between(D(2026, 12, 25), D(2027, 1, 1))
    assert got == [
        (D(2026, 12, 25), "Christmas Day"),
        (D(2026, 12, 26), "Boxing Day"),
        (D(2026, 12, 28), "Boxing Day (observed)"),
        (D(2027, 1, 1), "New Year's Day"),
    ]
    assert CAL.bank_holidays_between(D(2026, 1, 2), D(2026, 1, 1)) == []


def test_2026_has_the_expected_england_and_wales_bank_holidays():
    assert sorted(bank_holidays_for_year(2026)) == [
        D(2026, 1, 1),
        D(2026, 4, 3),
        D(2026, 4, 6),
        D(2026, 5, 4),
        D(2026, 5, 25),
        D(2026, 8, 31),
        D(2026, 12, 25),
        D(2026, 12, 26),
        D(2026, 12, 28),
    ]


@pytest.mark.parametrize("year", range(2015, 2036))
def test_england_and_wales_subdivisions_give_the_same_bank_holidays(year):
    eng = holidays.country_holidays("GB", subdiv="ENG", years=year)
    wls = holidays.country_holidays("GB", subdiv="WLS", years=year)
    assert dict(eng) == dict(wls)


def test_is_working_day_is_memoised_so_repeated_calls_are_cheap():
    import time

    cal = WorkingCalendar()
    days = [D(2020, 1, 1) + timedelta(days=i % 3000) for i in range(200_000)]
    t0 = time.perf_counter()
    for d in days:
        cal.is_working_day(d)
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0, f"200k memoised calls took {elapsed:.2f}s"
