"""Recurrence next-occurrence rules (reference §2.2): fixed steps, calendar steps in a time zone, schedules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyless.workflows.triggers.recurrence import next_occurrence, parse

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def nxt(recurrence: dict, after: datetime, anchor: datetime = ANCHOR) -> datetime | None:
    return next_occurrence(parse(recurrence), after, anchor)


def test_minutes_count_from_start_time() -> None:
    rec = {"frequency": "Minute", "interval": 15, "startTime": "2026-03-01T10:05:00Z"}
    assert nxt(rec, utc(2026, 3, 1, 9, 0)) == utc(2026, 3, 1, 10, 5)  # before the start: the start itself
    assert nxt(rec, utc(2026, 3, 1, 10, 5)) == utc(2026, 3, 1, 10, 20)  # strictly after
    assert nxt(rec, utc(2026, 3, 1, 11, 1)) == utc(2026, 3, 1, 11, 5)


def test_without_start_time_the_save_time_is_the_anchor() -> None:
    anchor = utc(2026, 5, 5, 8, 0, 30)
    rec = {"frequency": "Second", "interval": 10}
    assert nxt(rec, utc(2026, 5, 5, 8, 0, 45), anchor) == utc(2026, 5, 5, 8, 0, 50)


def test_daily_keeps_wall_clock_time_across_daylight_saving() -> None:
    # 09:00 in Berlin is 08:00Z before the change on 29 March 2026 and 07:00Z after it.
    rec = {"frequency": "Day", "interval": 1, "startTime": "2026-03-27T09:00:00", "timeZone": "W. Europe Standard Time"}
    assert nxt(rec, utc(2026, 3, 27, 8, 0)) == utc(2026, 3, 28, 8, 0)
    assert nxt(rec, utc(2026, 3, 28, 8, 0)) == utc(2026, 3, 29, 7, 0)


def test_week_with_schedule_picks_days_hours_and_minutes() -> None:
    rec = {
        "frequency": "Week",
        "interval": 1,
        "startTime": "2026-06-01T00:00:00Z",  # a Monday
        "schedule": {"weekDays": ["Monday", "Friday"], "hours": [10, 14], "minutes": [30]},
    }
    assert nxt(rec, utc(2026, 6, 1, 0, 0)) == utc(2026, 6, 1, 10, 30)
    assert nxt(rec, utc(2026, 6, 1, 10, 30)) == utc(2026, 6, 1, 14, 30)
    assert nxt(rec, utc(2026, 6, 1, 15, 0)) == utc(2026, 6, 5, 10, 30)
    assert nxt(rec, utc(2026, 6, 5, 15, 0)) == utc(2026, 6, 8, 10, 30)


def test_every_other_day_with_hours() -> None:
    rec = {"frequency": "Day", "interval": 2, "startTime": "2026-01-10T00:00:00Z", "schedule": {"hours": [6]}}
    assert nxt(rec, utc(2026, 1, 10, 7, 0)) == utc(2026, 1, 12, 6, 0)


def test_monthly_clamps_to_the_month_length() -> None:
    rec = {"frequency": "Month", "interval": 1, "startTime": "2026-01-31T12:00:00Z"}
    assert nxt(rec, utc(2026, 2, 1)) == utc(2026, 2, 28, 12, 0)


def test_schedule_never_earlier_than_start_time() -> None:
    rec = {"frequency": "Day", "interval": 1, "startTime": "2026-04-01T12:00:00Z", "schedule": {"hours": [9, 15]}}
    assert nxt(rec, utc(2026, 3, 1)) == utc(2026, 4, 1, 15, 0)


@pytest.mark.parametrize(
    ("recurrence", "message"),
    [
        ({"frequency": "Fortnight", "interval": 1}, "frequency"),
        ({"frequency": "Month", "interval": 17}, "between 1 and 16"),
        ({"frequency": "Day", "interval": 1, "timeZone": "Mars Standard Time"}, "time zone"),
        ({"frequency": "Day", "interval": 1, "startTime": "yesterday"}, "start time"),
        ({"frequency": "Week", "interval": 1, "schedule": {"weekDays": ["Funday"]}}, "week day"),
    ],
)
def test_invalid_recurrences_are_refused(recurrence: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(recurrence)
