"""The Recurrence trigger (reference §2.2): when the next run is due, and a task per trigger that fires it.

`next_occurrence` is a pure function of the trigger's `recurrence` object, so the schedule rules are tested
without clocks. Day, Week and Month steps count in the trigger's time zone (a daily 09:00 stays 09:00 across a
daylight-saving change); Second, Minute and Hour steps are fixed lengths of time.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import logging
import math
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from keyless.csharp.dotnet.timezones import WINDOWS_ZONES

log = logging.getLogger("keyless.workflows")

FIXED_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
CALENDAR = ("day", "week", "month")
# Documented interval ranges (reference §2.2).
MAX_INTERVAL = {"month": 16, "week": 71, "day": 500, "hour": 12000, "minute": 72000, "second": 9_999_999}
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# How far ahead a schedule is searched before giving up (a schedule no date can satisfy).
SEARCH_DAYS = 366 * 8


@dataclass(frozen=True)
class Recurrence:
    frequency: str  # lower-case: second, minute, hour, day, week, month
    interval: int
    zone: zoneinfo.ZoneInfo
    start: datetime | None  # wall-clock time in `zone`, naive
    hours: tuple[int, ...] = ()
    minutes: tuple[int, ...] = ()
    week_days: tuple[int, ...] = ()  # Monday 0 .. Sunday 6
    month_days: tuple[int, ...] = ()  # 1..31, -1 the last day

    @property
    def has_schedule(self) -> bool:
        if self.frequency in ("day", "week"):
            return bool(self.hours or self.minutes or self.week_days)
        return self.frequency == "month" and bool(self.month_days)


def _get(obj: Mapping[str, Any], name: str) -> Any:
    """Definitions spell property names in any case."""
    for key, value in obj.items():
        if key.lower() == name.lower():
            return value
    return None


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """A Windows time-zone name (`W. Europe Standard Time`) as Azure takes it; UTC when absent."""
    if not name:
        return zoneinfo.ZoneInfo("UTC")
    iana = WINDOWS_ZONES.get(name) or next((v for k, v in WINDOWS_ZONES.items() if k.lower() == name.lower()), None)
    if iana is None:
        raise ValueError(f"The time zone '{name}' is not a supported Windows time zone name.")
    return zoneinfo.ZoneInfo(iana)


def _ints(value: Any, low: int, high: int, what: str) -> tuple[int, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise ValueError(f"The recurrence schedule {what} value '{item}' is not between {low} and {high}.")
        out.append(item)
    return tuple(sorted(set(out)))


def parse(recurrence: Mapping[str, Any]) -> Recurrence:
    """The trigger's `recurrence` object; ValueError names what is wrong."""
    frequency = str(_get(recurrence, "frequency") or "").lower()
    if frequency not in MAX_INTERVAL:
        raise ValueError(f"The recurrence frequency '{_get(recurrence, 'frequency')}' is not supported.")
    interval = _get(recurrence, "interval")
    if interval is None:
        interval = 1
    if isinstance(interval, str) and interval.isdigit():
        interval = int(interval)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= MAX_INTERVAL[frequency]:
        raise ValueError(
            f"The recurrence interval '{interval}' must be between 1 and {MAX_INTERVAL[frequency]} for frequency "
            f"'{frequency}'."
        )
    zone = zone_named(_get(recurrence, "timeZone"))
    start = _start(_get(recurrence, "startTime"), zone)
    schedule = _get(recurrence, "schedule") or {}
    if not isinstance(schedule, Mapping):
        raise ValueError("The recurrence schedule must be an object.")
    week_days: list[int] = []
    for day in _get(schedule, "weekDays") or []:
        if str(day).lower() not in WEEK_DAYS:
            raise ValueError(f"The recurrence schedule week day '{day}' is not valid.")
        week_days.append(WEEK_DAYS.index(str(day).lower()))
    month_days = _ints(_get(schedule, "monthDays"), -31, 31, "monthDays")
    return Recurrence(
        frequency,
        interval,
        zone,
        start,
        hours=_ints(_get(schedule, "hours"), 0, 23, "hours"),
        minutes=_ints(_get(schedule, "minutes"), 0, 59, "minutes"),
        week_days=tuple(sorted(set(week_days))),
        month_days=tuple(d for d in month_days if d != 0),
    )


def _start(value: Any, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """startTime as wall-clock time in `zone`. Without a time zone it is UTC (`Z` or no suffix)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:  # .NET writes 7 fractional digits
        head, rest = text.split(".", 1)
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"The recurrence start time '{value}' is not a valid date and time.") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.replace(tzinfo=None)


def _utc(local: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def _local(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _add_months(local: datetime, months: int) -> datetime:
    """.NET AddMonths: the same day of month, clamped to the month's length."""
    index = local.year * 12 + local.month - 1 + months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day)


def next_occurrence(rec: Recurrence, after: datetime, anchor: datetime) -> datetime | None:
    """The first occurrence strictly later than `after` (UTC). `anchor` stands in for a missing startTime: the
    moment the trigger was saved, when Azure starts counting. None when the schedule can never fire."""
    base_local = rec.start if rec.start is not None else _local(anchor, rec.zone)
    base_utc = _utc(base_local, rec.zone)
    if rec.has_schedule:
        return _scheduled(rec, base_local, after)
    if rec.frequency in FIXED_SECONDS:
        step = timedelta(seconds=rec.interval * FIXED_SECONDS[rec.frequency])
        if after < base_utc:
            return base_utc
        return base_utc + step * (math.floor((after - base_utc) / step) + 1)
    if rec.frequency == "month":

        def at(k: int) -> datetime:
            return _utc(_add_months(base_local, k * rec.interval), rec.zone)

        months = (after.year - base_utc.year) * 12 + after.month - base_utc.month
        k = max(0, months // rec.interval - 1)
    else:
        days = rec.interval * (7 if rec.frequency == "week" else 1)

        def at(k: int) -> datetime:
            return _utc(base_local + timedelta(days=k * days), rec.zone)

        k = max(0, (after - base_utc).days // days - 1)
    while at(k) <= after:
        k += 1
    return at(k)


def _scheduled(rec: Recurrence, base: datetime, after: datetime) -> datetime | None:
    hours = rec.hours or (base.hour,)
    minutes = rec.minutes or (base.minute,)
    times = sorted((h, m) for h in hours for m in minutes)
    day = max(base.date(), _local(after, rec.zone).date() - timedelta(days=1))
    for _ in range(SEARCH_DAYS * rec.interval):
        if _eligible(rec, base.date(), day):
            for hour, minute in times:
                local = datetime(day.year, day.month, day.day, hour, minute, base.second)
                moment = _utc(local, rec.zone)
                if local >= base and moment > after:
                    return moment
        day += timedelta(days=1)
    return None


def _eligible(rec: Recurrence, start: date, day: date) -> bool:
    if rec.frequency == "day":
        return (day - start).days % rec.interval == 0
    if rec.frequency == "week":
        # Weeks count from the Sunday that begins startTime's week (.NET's DayOfWeek order).
        week_start = start - timedelta(days=(start.weekday() + 1) % 7)
        if ((day - week_start).days // 7) % rec.interval:
            return False
        return day.weekday() in (rec.week_days or (start.weekday(),))
    months = (day.year - start.year) * 12 + day.month - start.month
    if months % rec.interval:
        return False
    last = calendar.monthrange(day.year, day.month)[1]
    return any(day.day == (d if d > 0 else last + 1 + d) for d in rec.month_days)


@dataclass(frozen=True)
class Schedule:
    """One Recurrence trigger of one workflow, as the scheduler keeps it."""

    workflow_id: str
    trigger_name: str
    recurrence: Recurrence
    anchor: datetime  # when the trigger was saved (counts for a missing startTime)


Fire = Callable[[Schedule, datetime], Awaitable[None]]


class RecurrenceScheduler:
    """One task per (workflow, trigger) that sleeps until the next occurrence and fires it.

    Occurrences missed while keyless was down are not made up (the next one is computed from now)."""

    def __init__(self, fire: Fire, now: Callable[[], datetime] | None = None) -> None:
        self.fire = fire
        self.now = now or (lambda: datetime.now(UTC))
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}

    def set(self, schedule: Schedule, *, fire_now: bool = False) -> None:
        """Start (or restart) the trigger's schedule; `fire_now` fires once at once (a trigger just saved with
        no startTime runs immediately, as Azure does)."""
        key = (schedule.workflow_id.lower(), schedule.trigger_name.lower())
        self._cancel(key)
        self._tasks[key] = asyncio.create_task(self._loop(schedule, fire_now), name=f"recurrence {key[1]}")

    def scheduled(self) -> list[tuple[str, str]]:
        """(workflow id, trigger name), lower-case, of every schedule running."""
        return [key for key, task in self._tasks.items() if not task.done()]

    def remove(self, workflow_id: str) -> None:
        for key in [k for k in self._tasks if k[0] == workflow_id.lower()]:
            self._cancel(key)

    def _cancel(self, key: tuple[str, str]) -> None:
        task = self._tasks.pop(key, None)
        if task is not None:
            task.cancel()

    async def _loop(self, schedule: Schedule, fire_now: bool) -> None:
        last = self.now()
        if fire_now:
            await self._fire(schedule, last)
        while True:
            due = next_occurrence(schedule.recurrence, max(last, self.now()), schedule.anchor)
            if due is None:
                return
            delay = (due - self.now()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            last = due
            await self._fire(schedule, due)

    async def _fire(self, schedule: Schedule, when: datetime) -> None:
        try:
            await self.fire(schedule, when)
        except asyncio.CancelledError:
            raise
        except Exception:  # one failed start must not end the schedule
            log.exception(
                "Recurrence trigger %s of %s did not start a run", schedule.trigger_name, schedule.workflow_id
            )

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
