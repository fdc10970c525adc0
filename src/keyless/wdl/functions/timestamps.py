"""Timestamps for the dateTime functions: reading a string argument into .NET ticks and a DateTimeKind, writing
one back with a .NET format and culture, and the argument checks those functions share.

Logic Apps keeps timestamps as strings and works on .NET `DateTime` values in between. The kind is what the text
said: `Z` is Utc (written back with `Z`), no zone is Unspecified (written back with no suffix), and an offset
(`+05:00`) is adjusted to UTC, as `DateTimeStyles.AdjustToUniversal` does, so it too comes back with `Z`.
"""

from __future__ import annotations

from datetime import UTC as _PY_UTC
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn

from keyless.csharp.dotnet.culture import CultureData, culture_data, culture_names
from keyless.csharp.dotnet.datetime import (
    MAX_TICKS,
    TICKS_PER_MINUTE,
    UNIX_EPOCH,
    DateTime,
    parse_culture,
    parse_exact_culture,
)
from keyless.csharp.dotnet.timeformat import format_datetime
from keyless.csharp.errors import DotNetException
from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions import _args
from keyless.wdl.values import is_bool

UNSPECIFIED, UTC = 0, 1
DEFAULT_FORMAT = "o"
DEFAULT_LOCALE = "en-US"
_UNIX = datetime(1970, 1, 1, tzinfo=_PY_UTC)


class Timestamp(NamedTuple):
    """A .NET DateTime: ticks since 0001-01-01 and its kind (UNSPECIFIED or UTC)."""

    ticks: int
    kind: int

    def to_datetime(self) -> DateTime:
        return DateTime.of(self.ticks, self.kind)


def string_arg(fn: str, args: list[Any], position: int) -> str:
    """The argument at 0-based `position`, which must be a string."""
    return _args.string_arg(fn, args[position], position + 1)


def optional_string(fn: str, args: list[Any], position: int) -> str | None:
    """An optional string argument; absent or null means the default."""
    if position >= len(args) or args[position] is None:
        return None
    return string_arg(fn, args, position)


def number_arg(fn: str, args: list[Any], position: int) -> int | float:
    value = args[position]
    if is_bool(value) or not isinstance(value, (int, float, Decimal)):
        _args.wrong_type(fn, "a number", value, position + 1)
    return float(value) if isinstance(value, Decimal) else value


def integer_arg(fn: str, args: list[Any], position: int) -> int:
    return _args.int_arg(fn, args[position], position + 1)


def culture_arg(fn: str, locale: str | None) -> CultureData:
    """The culture named by a locale argument (default en-US); one keyless has no data for fails naming it."""
    culture = culture_data(DEFAULT_LOCALE if locale is None else locale)
    if culture is None:
        _args.fail(
            fn,
            f"was given the locale '{locale}', which is not valid or which keyless has no culture data for "
            f"(it knows {', '.join(culture_names())})",
        )
    return culture


def out_of_range(fn: str) -> NoReturn:
    _args.fail(fn, "produced a timestamp outside the range of a .NET DateTime (0001-01-01 to 9999-12-31)")


def _adjusted(fn: str, text: str, ticks: int, offset_minutes: int | None) -> Timestamp:
    if offset_minutes is None:
        return Timestamp(ticks, UNSPECIFIED)
    utc = ticks - offset_minutes * TICKS_PER_MINUTE
    if not 0 <= utc <= MAX_TICKS:  # '0001-01-01T00:00:00+05:00' is before DateTime.MinValue in UTC
        raise _invalid_timestamp(fn, text)
    return Timestamp(utc, UTC)


def _invalid_timestamp(fn: str, text: str) -> ExpressionError:
    return ExpressionError(
        f"In function '{fn}', the value provided for date time string '{text}' was not valid. The datetime string "
        "must match ISO 8601 format."
    )


def parse_timestamp(fn: str, args: list[Any], position: int = 0, culture: CultureData | None = None) -> Timestamp:
    """A timestamp argument, read as `DateTime.Parse` with en-US (US month/day order) unless `culture` says."""
    text = string_arg(fn, args, position)
    try:
        ticks, offset = parse_culture(text, culture or culture_arg(fn, None))
    except DotNetException:
        raise _invalid_timestamp(fn, text) from None
    return _adjusted(fn, text, ticks, offset)


def parse_timestamp_exact(fn: str, text: str, fmt: str, culture: CultureData) -> Timestamp:
    """`DateTime.ParseExact(text, fmt, culture)` for parseDateTime's format argument."""
    try:
        ticks, offset = parse_exact_culture(text, fmt, culture)
    except DotNetException:
        raise ExpressionError(
            f"In function '{fn}', the value '{text}' does not match the date and time format '{fmt}'."
        ) from None
    return _adjusted(fn, text, ticks, offset)


def from_datetime(value: datetime) -> Timestamp:
    """A timezone-aware Python datetime (the context's `now()`) as a Utc timestamp."""
    micros = (value - _UNIX) // timedelta(microseconds=1)
    return Timestamp(UNIX_EPOCH + micros * 10, UTC)


def format_timestamp(fn: str, ts: Timestamp, fmt: str | None, culture: CultureData | None = None) -> str:
    """`DateTime.ToString(fmt, culture)`; the format defaults to "o" (7 fractional digits, `Z` only for Utc)."""
    fmt = fmt or DEFAULT_FORMAT
    # "U" converts to universal time first; an Unspecified time counts as the host's local time, which is UTC
    try:
        return format_datetime(ts.ticks, fmt, None, ts.kind, culture or culture_arg(fn, None))
    except (DotNetException, IndexError, ValueError):
        _args.fail(fn, f"was given the format '{fmt}', which is not a valid .NET date and time format string")
