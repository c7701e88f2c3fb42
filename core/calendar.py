"""Calendar arithmetic for statutory periods: calendar months and working days (England & Wales).

Why this module exists
----------------------
Every deadline Casewatch shows is derived from a handful of counting rules, and getting one
of them wrong by a day is the difference between "in time" and "out of time". The rules are
therefore written once, here, with the legal source next to each, and everything else
(``core.stl``, the loaders, the pages) calls them.

* **Months are calendar months** (Interpretation Act 1978 s.5 and Sch 1). A period of *n*
  months "from" an event ends on the *corresponding date* in the *n*-th later month, or on
  the last day of that month if it has no such date (Dodds v Walker [1981] 1 WLR 1027, HL).
  The day of the event itself is excluded (Radcliffe v Bartholomew [1892] 1 QB 161), which
  is why ``add_months`` simply lands on the corresponding date: that date is the *last day*
  on which the act may be done, inclusive (DPP v Jackson [2025], KBD). This is rule R0.
* **"Beginning with" periods** count the first day, so the period ends one day earlier than
  the corresponding date (rule R0b, conservative).
* **Working days** matter for custody time limits (a CTL ending on a Saturday, Sunday,
  Christmas Day, Good Friday or bank holiday is treated as ending on the preceding working
  day — CTL Regulations 1987 reg 2(5)) and, in practice, for STLs that fall on a day the
  court office is shut. The *legal* STL date never moves; ``last_working_day_on_or_before``
  gives the practical target that a page can show beside it.

Bank holidays
-------------
England and Wales share one list of bank holidays (Banking and Financial Dealings Act 1971
Sch 1 para 1; gov.uk ``bank-holidays.json`` division "england-and-wales"). We take them from
the ``holidays`` package: ``holidays.country_holidays("GB", subdiv="ENG", years=...)``.
With ``holidays`` 0.109 the subdivisions "ENG" and "WLS" give identical dates and names for
every year 1995–2035 (checked; ``tests/unit/test_calendar.py`` keeps checking it). St David's
Day is *not* a bank holiday in Wales. One-off holidays (e.g. 19 Sep 2022 State Funeral, 8 May
2023 Coronation) and "observed" substitute days (e.g. Boxing Day 2026 is a Saturday, observed
Monday 28 Dec) are included by the package. Forces can add local closures (court or CJU
closure days) via ``WorkingCalendar(extra_closures=...)``.

Nothing here reads the clock: every function takes the dates it needs as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

import holidays

__all__ = [
    "add_months",
    "end_of_period_beginning_with",
    "bank_holidays_for_year",
    "WorkingCalendar",
]

_ONE_DAY = timedelta(days=1)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February handled separately


@lru_cache(maxsize=1 << 17)
def add_months(d: date, n: int) -> date:
    """Return the last day of a period of ``n`` calendar months running *from* ``d`` (rule R0).

    Legal source: Interpretation Act 1978 s.5 and Sch 1 ("month" means calendar month);
    corresponding-date rule, Dodds v Walker [1981] 1 WLR 1027 (HL); exclusion of the day of
    the event, Radcliffe v Bartholomew [1892] 1 QB 161; applied to s.127 in DPP v Jackson
    (KBD, 2025: statement 27 Sep 2023, charge 27 Mar 2024 in time).

    The result is the corresponding date in the ``n``-th later month; when that month has no
    such day (31st in a 30-day month, 29–31 in February) it is the month's last day. The
    returned date is *inclusive*: the act is in time if done on or before it.
    Examples: 15 Jan 2025 + 6 -> 15 Jul 2025; 31 Aug 2024 + 6 -> 28 Feb 2025;
    31 Aug 2023 + 6 -> 29 Feb 2024; 29 Feb 2024 + 24 -> 28 Feb 2026.

    ``n`` may be negative or zero. ``d`` must not be ``None`` (callers handle missing dates;
    ``None`` raises ``TypeError``); a ``datetime`` gives the date only. Raises ``ValueError``
    if the result is outside the years 1–9999. Results are memoised (``functools.lru_cache``)
    because this is the hot path at load time.
    """
    month = d.month + n
    year = d.year
    if month > 12 or month < 1:
        year += (month - 1) // 12
        month = (month - 1) % 12 + 1
    day = d.day
    if day > 28:
        if month == 2:
            last = 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
        else:
            last = _DAYS_IN_MONTH[month]
        if day > last:
            day = last
    return date(year, month, day)


def end_of_period_beginning_with(d: date, months: int) -> date:
    """Return the last day of a period of ``months`` calendar months *beginning with* ``d`` (R0b).

    Legal source: statutory wording "the period of N months beginning with the day on which…"
    (e.g. Communications Act 2003 s.127(5); PACE 1984 s.47ZB as amended by PCSCA 2022 Sch 4:
    "3 months beginning with the person's bail start date"). Because day ``d`` itself counts,
    the period ends on the day *before* the corresponding date: ``add_months(d, months) - 1 day``.
    This is the conservative (earlier) reading; it is applied even where the corresponding
    date was clamped to a month end (e.g. beginning with 31 Aug, 6 months -> 27 Feb).

    Bounds: the returned date is the last day of the period, inclusive.
    Example: beginning with 2 Jan 2025, 3 months -> 1 Apr 2025.
    ``d`` must not be ``None``; a ``datetime`` is truncated to its date.
    """
    return add_months(d, months) - _ONE_DAY


@lru_cache(maxsize=None)
def bank_holidays_for_year(year: int) -> Mapping[date, str]:
    """England & Wales bank holidays in ``year`` as a read-only ``{date: name}`` mapping.

    Source: ``holidays.country_holidays("GB", subdiv="ENG")`` (England and Wales share bank
    holidays; see module docstring). Cached per year for the life of the process.
    """
    hols = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return MappingProxyType({d: name for d, name in sorted(hols.items()) if d.year == year})


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


class WorkingCalendar:
    """Working days in England & Wales: Monday–Friday, not a bank holiday, not a local closure.

    ``extra_closures`` are additional non-working dates (e.g. a court or CJU closure day).
    Results are memoised per date because the loaders call ``is_working_day`` and
    ``last_working_day_on_or_before`` up to about a million times per load; the bank-holiday
    table itself is built once per year and shared between instances.

    Missing dates: methods taking a single date return ``None`` for ``None`` input where the
    return type allows it (``last_working_day_on_or_before``); ``is_working_day(None)`` raises
    ``TypeError`` because "unknown" is not a boolean.
    """

    __slots__ = ("_extra", "_working", "_last_working")

    def __init__(self, extra_closures: Iterable[date] = ()) -> None:
        self._extra: frozenset[date] = frozenset(_as_date(d) for d in extra_closures)
        self._working: dict[date, bool] = {}
        self._last_working: dict[date, date] = {}

    @property
    def extra_closures(self) -> frozenset[date]:
        """The local closure dates this calendar was built with."""
        return self._extra

    def is_bank_holiday(self, d: date) -> bool:
        """True if ``d`` is an England & Wales bank holiday (local closures not included)."""
        d = _as_date(d)
        return d in bank_holidays_for_year(d.year)

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` is Monday–Friday and neither a bank holiday nor a local closure.

        Source: CTL Regulations 1987 reg 2(5) (Saturday, Sunday, Christmas Day, Good Friday
        and bank holidays are non-working); Banking and Financial Dealings Act 1971 Sch 1.
        """
        try:
            return self._working[d]
        except KeyError:
            pass
        if d is None:
            raise TypeError("is_working_day() needs a date, got None")
        key = d
        d = _as_date(d)
        result = d.weekday() < 5 and d not in self._extra and d not in bank_holidays_for_year(d.year)
        self._working[key] = result
        return result

    def last_working_day_on_or_before(self, d: date | None) -> date | None:
        """The latest working day that is on or before ``d`` (``d`` itself if it is working).

        Used to turn a legal deadline into a practical one: an STL on Saturday -> Friday;
        on a bank-holiday Monday -> the previous Friday (or earlier). CTL Regulations 1987
        reg 2(5) applies the same backward shift to custody time limits.
        Bounds: inclusive of ``d``. Missing date: ``None`` in, ``None`` out.
        """
        if d is None:
            return None
        try:
            return self._last_working[d]
        except KeyError:
            pass
        key = d
        cur = _as_date(d)
        while not self.is_working_day(cur):
            cur -= _ONE_DAY
        self._last_working[key] = cur
        return cur

    def next_working_day_on_or_after(self, d: date | None) -> date | None:
        """The earliest working day on or after ``d`` (inclusive). ``None`` in, ``None`` out."""
        if d is None:
            return None
        cur = _as_date(d)
        while not self.is_working_day(cur):
            cur += _ONE_DAY
        return cur

    def bank_holidays_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """England & Wales bank holidays from ``start`` to ``end``, both inclusive, in date order.

        Local closures are not listed (they have no official name). Returns ``[]`` if
        ``end`` is before ``start``.
        """
        start, end = _as_date(start), _as_date(end)
        out: list[tuple[date, str]] = []
        for year in range(start.year, end.year + 1):
            out.extend((d, name) for d, name in bank_holidays_for_year(year).items() if start <= d <= end)
        return out

    def __repr__(self) -> str:
        return f"WorkingCalendar(extra_closures={sorted(self._extra)!r})"
