"""The freshness guard (core.freshness): stale strictly after the threshold, never reading the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.freshness import banner_text, by_extract, describe_age, format_time, staleness

LOADED = datetime(2026, 11, 24, 6, 12, tzinfo=UTC)  # a Tuesday
H = timedelta(hours=1)
US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    "after, max_hours, stale",
    [
        (timedelta(0), 36, False),  # just loaded
        (35 * H + 59 * timedelta(minutes=1), 36, False),  # a minute before the threshold
        (36 * H - US, 36, False),
        (36 * H, 36, False),  # exactly on the threshold: still fresh (strictly greater is stale)
        (36 * H + US, 36, True),  # one microsecond past it: stale
        (37 * H, 36, True),
        (10 * 24 * H, 36, True),
        (H, 1, False),  # the smallest threshold, on the boundary
        (H + US, 1, True),
        (-5 * H, 36, False),  # loaded "in the future": the clock went back; never stale
    ],
)
def test_stale_only_strictly_after_the_threshold(after, max_hours, stale):
    result = staleness(LOADED, LOADED + after, max_hours)
    assert result.stale is stale
    assert result.age == max(after, timedelta(0))
    assert result.max_age_hours == max_hours


def test_a_naive_time_is_utc_and_an_aware_one_is_converted():
    naive = datetime(2026, 11, 24, 6, 12)
    assert staleness(naive, LOADED + 36 * H, 36) == staleness(LOADED, LOADED + 36 * H, 36)
    london_summer = datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/London"))  # 11:00 UTC
    result = staleness(london_summer, datetime(2026, 7, 2, 23, 0, tzinfo=UTC), 36)
    assert result.age == 36 * H and not result.stale
    assert result.loaded_at == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "36", True, None])
def test_the_threshold_must_be_a_whole_number_of_hours(bad):
    with pytest.raises(ValueError):
        staleness(LOADED, LOADED, bad)


def test_messages_name_the_load_time_age_and_threshold():
    fresh = staleness(LOADED, LOADED + 2 * H, 36)
    assert fresh.message == "Data as of 06:12 Tue 24 Nov 2026 UTC (2 h old)."
    stale = staleness(LOADED, LOADED + 40 * H, 36)
    assert stale.message == ("Stale data: loaded 06:12 Tue 24 Nov 2026 UTC, 40 h ago, older than the "
                             "36-hour freshness threshold.")
    behind = staleness(LOADED, LOADED - H, 36)
    assert behind.clock_behind and "after the server's current time" in behind.message


@pytest.mark.parametrize(
    "age, text",
    [
        (timedelta(0), "0 min"),
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (H, "1 h"),
        (47 * H + timedelta(minutes=59), "47 h"),
        (48 * H, "2 days"),
        (50 * H + timedelta(minutes=30), "2 days 2 h"),
        (-H, "0 min"),
    ],
)
def test_ages_read_at_a_glance(age, text):
    assert describe_age(age) == text


def test_times_are_shown_in_utc():
    assert format_time(datetime(2026, 3, 1, 0, 5, tzinfo=UTC)) == "00:05 Sun 1 Mar 2026 UTC"


NOW = LOADED + 40 * H
FILES = [
    ("case_files", ["36"], LOADED + 30 * H),  # Norfolk cases, reloaded 10 h ago: fresh
    ("case_files", ["36"], LOADED),  # the older Norfolk case-file load it replaced
    ("custody", ["36"], LOADED),  # Norfolk custody: 40 h old, stale
    ("case_files", ["37"], LOADED + 20 * H),  # Suffolk cases: 20 h, fresh
]


def test_each_extract_is_judged_by_its_newest_load_stalest_first():
    items = by_extract(FILES, NOW, 36)
    got = [(i.force_code, i.kind, i.status.stale, i.status.age) for i in items]
    assert got == [
        ("36", "custody", True, 40 * H),
        ("37", "case_files", False, 20 * H),
        ("36", "case_files", False, 10 * H),
    ]
    assert items[0].label == "Norfolk (36) custody extract"


def test_the_viewers_forces_limit_what_is_judged():
    assert [(i.force_code, i.kind) for i in by_extract(FILES, NOW, 36, forces=["37"])] == [("37", "case_files")]
    assert by_extract(FILES, NOW, 36, forces=[]) == []


def test_the_banner_names_only_the_stale_extracts():
    text = banner_text(by_extract(FILES, NOW, 36), 36)
    assert text is not None and text.startswith("Stale data: Norfolk (36) custody extract loaded 06:12 Tue 24 Nov")
    assert "40 h ago" in text and "36-hour" in text and "Suffolk" not in text and "GREEN" in text
    assert banner_text(by_extract(FILES, NOW, 36, forces=["37"]), 36) is None


def test_no_load_on_record_counts_as_stale():
    text = banner_text([], 36)
    assert text is not None and text.startswith("Stale data") and "no record" in text
