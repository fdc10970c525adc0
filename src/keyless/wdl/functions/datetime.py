"""The dateTime group: utcNow, adding and subtracting time, time zones, formatting and parsing, calendar parts.

Timestamps are strings read and written by timestamps.py with .NET semantics (keyless.csharp.dotnet); "now" is
the context's `now()`, so a context may pin it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from keyless.csharp.dotnet.datetime import (
    MAX_TICKS,
    TICKS_PER_DAY,
    TICKS_PER_HOUR,
    DateTime,
    _ticks_of,
)
from keyless.csharp.dotnet.timeformat import format_timespan
from keyless.csharp.dotnet.timezones import TimeZoneInfo, find_windows_zone
from keyless.csharp.errors import DotNetException
from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions._args import fail
from keyless.wdl.functions.registry import function
from keyless.wdl.functions.timestamps import (
    UNSPECIFIED,
    UTC,
    Timestamp,
    culture_arg,
    format_timestamp,
    from_datetime,
    integer_arg,
    number_arg,
    optional_string,
    out_of_range,
    parse_timestamp,
    parse_timestamp_exact,
    string_arg,
)

_T = TypeVar("_T")

# addToTime's units, matched case-insensitively, to the DateTime method that adds them
_UNITS: dict[str, Callable[[DateTime, int], DateTime]] = {
    "second": lambda dt, n: dt.AddSeconds(n),
    "minute": lambda dt, n: dt.AddMinutes(n),
    "hour": lambda dt, n: dt.AddHours(n),
    "day": lambda dt, n: dt.AddDays(n),
    "week": lambda dt, n: dt.AddDays(7 * n),
    "month": lambda dt, n: dt.AddMonths(n),
    "year": lambda dt, n: dt.AddYears(n),
}


def _add(fn: str, ts: Timestamp, adder: Callable[[DateTime], DateTime]) -> Timestamp:
    try:
        return Timestamp(adder(ts.to_datetime()).Ticks, ts.kind)
    except DotNetException:
        out_of_range(fn)


def _add_units(fn: str, ts: Timestamp, interval: int, unit: str) -> Timestamp:
    adder = _UNITS.get(unit.lower())
    if adder is None:
        fail(fn, f"was given the time unit '{unit}'; it must be one of Second, Minute, Hour, Day, Week, Month, Year")
    return _add(fn, ts, lambda dt: adder(dt, interval))


def _now(ctx: Any) -> Timestamp:
    return from_datetime(ctx.now())


@function("utcNow", 0, 1)
def utc_now(ctx: Any, args: list[Any]) -> str:
    return format_timestamp("utcNow", _now(ctx), optional_string("utcNow", args, 0))


def _relative(fn: str, sign: int) -> Callable[[Any, list[Any]], str]:
    def impl(ctx: Any, args: list[Any]) -> str:
        ts = _add_units(fn, _now(ctx), sign * integer_arg(fn, args, 0), string_arg(fn, args, 1))
        return format_timestamp(fn, ts, optional_string(fn, args, 2))

    return impl


function("getFutureTime", 2, 3)(_relative("getFutureTime", 1))
function("getPastTime", 2, 3)(_relative("getPastTime", -1))


def _shift(fn: str, sign: int) -> Callable[[Any, list[Any]], str]:
    def impl(ctx: Any, args: list[Any]) -> str:
        ts = parse_timestamp(fn, args, 0)
        ts = _add_units(fn, ts, sign * integer_arg(fn, args, 1), string_arg(fn, args, 2))
        return format_timestamp(fn, ts, optional_string(fn, args, 3))

    return impl


function("addToTime", 3, 4)(_shift("addToTime", 1))
function("subtractFromTime", 3, 4)(_shift("subtractFromTime", -1))


def _add_scaled(fn: str, method: str) -> Callable[[Any, list[Any]], str]:
    # AddSeconds and friends take a double, so a fractional amount is honoured (rounded to ticks as .NET does)
    def impl(ctx: Any, args: list[Any]) -> str:
        ts = parse_timestamp(fn, args, 0)
        amount = number_arg(fn, args, 1)
        ts = _add(fn, ts, lambda dt: getattr(dt, method)(amount))
        return format_timestamp(fn, ts, optional_string(fn, args, 2))

    return impl


function("addSeconds", 2, 3)(_add_scaled("addSeconds", "AddSeconds"))
function("addMinutes", 2, 3)(_add_scaled("addMinutes", "AddMinutes"))
function("addHours", 2, 3)(_add_scaled("addHours", "AddHours"))
function("addDays", 2, 3)(_add_scaled("addDays", "AddDays"))


@function("dateDifference", 2, 2)
def date_difference(ctx: Any, args: list[Any]) -> str:
    start = parse_timestamp("dateDifference", args, 0)
    end = parse_timestamp("dateDifference", args, 1)
    return format_timespan(end.ticks - start.ticks, "c")  # TimeSpan.ToString(): [-][d.]hh:mm:ss[.fffffff]


def _zone(fn: str, args: list[Any], position: int) -> TimeZoneInfo:
    name = string_arg(fn, args, position)
    zone = find_windows_zone(name)
    if zone is None:
        fail(
            fn,
            f"was given the time zone '{name}', which is not a Windows time zone name keyless knows (for example "
            "'UTC', 'Pacific Standard Time', 'W. Europe Standard Time')",
        )
    return zone


def _utc_ticks(fn: str, ts: Timestamp, source: TimeZoneInfo) -> int:
    # a Utc timestamp is already an instant; an Unspecified one is a clock time in the source zone
    if ts.kind == UTC:
        return ts.ticks
    if _guarded(fn, lambda: source.is_invalid_time(ts.ticks)):
        fail(
            fn,
            f"was given a time that does not exist in the time zone '{source.Id}' (skipped when the clock is "
            "adjusted forward)",
        )
    return _in_range(fn, lambda: source.to_utc(ts.ticks))


def _guarded(fn: str, compute: Callable[[], _T]) -> _T:
    # near 0001-01-01 and 9999-12-31 a zone's offset can carry the clock out of DateTime's range
    try:
        return compute()
    except (OverflowError, ValueError):
        out_of_range(fn)


def _in_range(fn: str, convert: Callable[[], int]) -> int:
    ticks = _guarded(fn, convert)
    if not 0 <= ticks <= MAX_TICKS:
        out_of_range(fn)
    return ticks


def _in_zone(fn: str, utc_ticks: int, dest: TimeZoneInfo) -> Timestamp:
    # TimeZoneInfo.ConvertTime gives a Utc DateTime for the UTC zone and an Unspecified one (no suffix) otherwise
    if dest.Id == "UTC":
        return Timestamp(utc_ticks, UTC)
    return Timestamp(_in_range(fn, lambda: dest.from_utc(utc_ticks)), UNSPECIFIED)


@function("convertTimeZone", 3, 4)
def convert_time_zone(ctx: Any, args: list[Any]) -> str:
    fn = "convertTimeZone"
    ts = parse_timestamp(fn, args, 0)
    source, dest = _zone(fn, args, 1), _zone(fn, args, 2)
    return format_timestamp(fn, _in_zone(fn, _utc_ticks(fn, ts, source), dest), optional_string(fn, args, 3))


@function("convertToUtc", 2, 3)
def convert_to_utc(ctx: Any, args: list[Any]) -> str:
    fn = "convertToUtc"
    ts = parse_timestamp(fn, args, 0)
    source = _zone(fn, args, 1)
    return format_timestamp(fn, Timestamp(_utc_ticks(fn, ts, source), UTC), optional_string(fn, args, 2))


@function("convertFromUtc", 2, 3)
def convert_from_utc(ctx: Any, args: list[Any]) -> str:
    fn = "convertFromUtc"
    ts = parse_timestamp(fn, args, 0)  # read as UTC whatever its kind, as TimeZoneInfo.ConvertTimeFromUtc does
    return format_timestamp(fn, _in_zone(fn, ts.ticks, _zone(fn, args, 1)), optional_string(fn, args, 2))


@function("formatDateTime", 1, 3)
def format_date_time(ctx: Any, args: list[Any]) -> str:
    fn = "formatDateTime"
    ts = parse_timestamp(fn, args, 0)
    culture = culture_arg(fn, optional_string(fn, args, 2))
    return format_timestamp(fn, ts, optional_string(fn, args, 1), culture)


@function("parseDateTime", 1, 3)
def parse_date_time(ctx: Any, args: list[Any]) -> str:
    fn = "parseDateTime"
    culture = culture_arg(fn, optional_string(fn, args, 1))
    fmt = optional_string(fn, args, 2)
    if fmt:
        ts = parse_timestamp_exact(fn, string_arg(fn, args, 0), fmt, culture)
    else:
        ts = parse_timestamp(fn, args, 0, culture)
    return format_timestamp(fn, ts, None)


def _start_of(fn: str, truncate: Callable[[int], int]) -> Callable[[Any, list[Any]], str]:
    def impl(ctx: Any, args: list[Any]) -> str:
        ts = parse_timestamp(fn, args, 0)
        return format_timestamp(fn, Timestamp(truncate(ts.ticks), ts.kind), optional_string(fn, args, 1))

    return impl


def _month_start(ticks: int) -> int:
    dt = DateTime.of(ticks, 0)
    return _ticks_of(dt.Year, dt.Month, 1)


function("startOfHour", 1, 2)(_start_of("startOfHour", lambda t: t - t % TICKS_PER_HOUR))
function("startOfDay", 1, 2)(_start_of("startOfDay", lambda t: t - t % TICKS_PER_DAY))
function("startOfMonth", 1, 2)(_start_of("startOfMonth", _month_start))


@function("dayOfWeek", 1, 1)
def day_of_week(ctx: Any, args: list[Any]) -> int:
    return int(parse_timestamp("dayOfWeek", args, 0).to_datetime().DayOfWeek)  # System.DayOfWeek: Sunday is 0


@function("dayOfMonth", 1, 1)
def day_of_month(ctx: Any, args: list[Any]) -> int:
    return int(parse_timestamp("dayOfMonth", args, 0).to_datetime().Day)


@function("dayOfYear", 1, 1)
def day_of_year(ctx: Any, args: list[Any]) -> int:
    return int(parse_timestamp("dayOfYear", args, 0).to_datetime().DayOfYear)


@function("ticks", 1, 1)
def ticks(ctx: Any, args: list[Any]) -> int:
    return parse_timestamp("ticks", args, 0).ticks


@function("formatTimeSpan", 2, 3)
def format_time_span(ctx: Any, args: list[Any]) -> str:
    # The designer lists formatTimeSpan(timeSpan, format, culture?) but Microsoft documents no behaviour for it;
    # refusing is better than guessing what a workflow would get from Azure.
    raise ExpressionError(
        "keyless does not implement the template language function 'formatTimeSpan': its behaviour is not "
        "documented by Microsoft."
    )
