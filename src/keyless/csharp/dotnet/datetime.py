"""DateTime, TimeSpan and DateTimeOffset as .NET has them (100 ns ticks); the gateway's local time zone is UTC."""

from __future__ import annotations

import re
import time
from datetime import date
from datetime import datetime as _pydt
from typing import Any

from keyless.csharp.dotnet.enums import DotNetEnum, enum
from keyless.csharp.dotnet.timeformat import DAYS, MONTHS, format_datetime, format_timespan
from keyless.csharp.errors import DotNetException, argument_out_of_range, format_error
from keyless.csharp.members import DotNetType, Ref, define_type, invalid_cast, type_name

TICKS_PER_MS = 10_000
TICKS_PER_SECOND = 10_000_000
TICKS_PER_MINUTE = 600_000_000
TICKS_PER_HOUR = 36_000_000_000
TICKS_PER_DAY = 864_000_000_000
UNIX_EPOCH = 621_355_968_000_000_000
MAX_TICKS = 3_155_378_975_999_999_999
DayOfWeek = enum("DayOfWeek", "System.DayOfWeek", {d: (i + 1) % 7 for i, d in enumerate(DAYS)})


def _now_ticks() -> int:
    return UNIX_EPOCH + time.time_ns() // 100


def _ticks_of(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, ms: int = 0) -> int:
    try:
        days = date(y, mo, d).toordinal() - 1
    except ValueError:
        raise argument_out_of_range(
            "year", "Year, Month, and Day parameters describe an un-representable DateTime."
        ) from None
    if not (0 <= h < 24 and 0 <= mi < 60 and 0 <= s < 60 and 0 <= ms < 1000):
        raise argument_out_of_range(
            "hour", "Hour, Minute, and Second parameters describe an un-representable DateTime."
        )
    return days * TICKS_PER_DAY + h * TICKS_PER_HOUR + mi * TICKS_PER_MINUTE + s * TICKS_PER_SECOND + ms * TICKS_PER_MS


def _scaled(value: Any, scale: int) -> int:
    """A `double` argument (AddSeconds, FromMinutes, ...) scaled to ticks; C# converts no string or bool to double."""
    if isinstance(value, str):
        if type(value).__name__ == "Char":  # char converts implicitly to double: its code
            return round(ord(value) * scale)
        raise DotNetException("RuntimeBinderException", "Argument 1: cannot convert from 'string' to 'double'")
    if value is None or isinstance(value, bool):
        source = "<null>" if value is None else "bool"
        raise DotNetException("RuntimeBinderException", f"Argument 1: cannot convert from '{source}' to 'double'")
    return round(float(value) * scale)


class _ByTicks:
    """Equality, order and hash by `Ticks`, as .NET compares two DateTimes or two TimeSpans (Kind is ignored)."""

    __slots__ = ()
    Ticks: int

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self.Ticks == other.Ticks

    def __lt__(self, other: _ByTicks) -> bool:
        return self.Ticks < other.Ticks

    def __le__(self, other: _ByTicks) -> bool:
        return self.Ticks <= other.Ticks

    def __gt__(self, other: _ByTicks) -> bool:
        return self.Ticks > other.Ticks

    def __ge__(self, other: _ByTicks) -> bool:
        return self.Ticks >= other.Ticks

    def __hash__(self) -> int:
        return hash(self.Ticks)


class TimeSpan(_ByTicks):
    __slots__ = ("Ticks",)
    __dotnet_name__ = "System.TimeSpan"

    def __init__(self, *args: int) -> None:
        if len(args) == 1:
            self.Ticks = int(args[0])
        elif len(args) == 3:
            self.Ticks = args[0] * TICKS_PER_HOUR + args[1] * TICKS_PER_MINUTE + args[2] * TICKS_PER_SECOND
        elif len(args) in (4, 5):
            d, h, m, s, *ms = args
            self.Ticks = (
                d * TICKS_PER_DAY
                + h * TICKS_PER_HOUR
                + m * TICKS_PER_MINUTE
                + s * TICKS_PER_SECOND
                + (ms[0] * TICKS_PER_MS if ms else 0)
            )
        else:
            self.Ticks = 0

    def _part(self, unit: int, modulo: int) -> int:
        t = abs(self.Ticks) // unit % modulo if modulo else abs(self.Ticks) // unit
        return -t if self.Ticks < 0 else t

    Days = property(lambda self: self._part(TICKS_PER_DAY, 0))
    Hours = property(lambda self: self._part(TICKS_PER_HOUR, 24))
    Minutes = property(lambda self: self._part(TICKS_PER_MINUTE, 60))
    Seconds = property(lambda self: self._part(TICKS_PER_SECOND, 60))
    Milliseconds = property(lambda self: self._part(TICKS_PER_MS, 1000))
    TotalDays = property(lambda self: self.Ticks / TICKS_PER_DAY)
    TotalHours = property(lambda self: self.Ticks / TICKS_PER_HOUR)
    TotalMinutes = property(lambda self: self.Ticks / TICKS_PER_MINUTE)
    TotalSeconds = property(lambda self: self.Ticks / TICKS_PER_SECOND)
    TotalMilliseconds = property(lambda self: self.Ticks / TICKS_PER_MS)

    def Add(self, other: TimeSpan) -> TimeSpan:
        return TimeSpan(self.Ticks + other.Ticks)

    def Subtract(self, other: TimeSpan) -> TimeSpan:
        return TimeSpan(self.Ticks - other.Ticks)

    def Negate(self) -> TimeSpan:
        return TimeSpan(-self.Ticks)

    def Duration(self) -> TimeSpan:
        return TimeSpan(abs(self.Ticks))

    def ToString(self, fmt: str | None = None, provider: Any = None) -> str:
        return format_timespan(self.Ticks, fmt)

    def CompareTo(self, other: TimeSpan) -> int:
        return (self.Ticks > other.Ticks) - (self.Ticks < other.Ticks)

    def Equals(self, other: Any) -> bool:
        return self == other

    def GetHashCode(self) -> int:
        return (self.Ticks ^ (self.Ticks >> 32)) & 0x7FFFFFFF

    def __add__(self, other: Any) -> Any:
        if isinstance(other, TimeSpan):
            return TimeSpan(self.Ticks + other.Ticks)
        return NotImplemented

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, TimeSpan):
            return TimeSpan(self.Ticks - other.Ticks)
        return NotImplemented

    def __neg__(self) -> TimeSpan:
        return TimeSpan(-self.Ticks)

    def __repr__(self) -> str:
        return f"TimeSpan({self.ToString()})"


_TS_RE = re.compile(r"\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*\Z")


def _parse_timespan(s: str) -> TimeSpan:
    if s is None:
        raise DotNetException("ArgumentNullException", "Value cannot be null. (Parameter 'input')")
    m = _TS_RE.match(s)
    if m is None:
        if re.fullmatch(r"\s*-?\d+\s*", s):
            return TimeSpan(int(s) * TICKS_PER_DAY)
        raise format_error("String was not recognized as a valid TimeSpan.")
    neg, d, h, mi, sec, frac = m.groups()
    ticks = (int(d or 0) * TICKS_PER_DAY + int(h) * TICKS_PER_HOUR + int(mi) * TICKS_PER_MINUTE
             + int(sec or 0) * TICKS_PER_SECOND + int((frac or "0").ljust(7, "0")))  # fmt: skip
    return TimeSpan(-ticks if neg else ticks)


class _TimeSpanStatics:
    Zero = TimeSpan(0)
    MaxValue = TimeSpan(2**63 - 1)
    MinValue = TimeSpan(-(2**63))
    TicksPerMillisecond = TICKS_PER_MS
    TicksPerSecond = TICKS_PER_SECOND
    TicksPerMinute = TICKS_PER_MINUTE
    TicksPerHour = TICKS_PER_HOUR
    TicksPerDay = TICKS_PER_DAY
    FromDays = staticmethod(lambda v: TimeSpan(_scaled(v, TICKS_PER_DAY)))
    FromHours = staticmethod(lambda v: TimeSpan(_scaled(v, TICKS_PER_HOUR)))
    FromMinutes = staticmethod(lambda v: TimeSpan(_scaled(v, TICKS_PER_MINUTE)))
    FromSeconds = staticmethod(lambda v: TimeSpan(_scaled(v, TICKS_PER_SECOND)))
    FromMilliseconds = staticmethod(lambda v: TimeSpan(_scaled(v, TICKS_PER_MS)))
    FromTicks = staticmethod(lambda v: TimeSpan(int(v)))
    Parse = staticmethod(lambda s, *rest: _parse_timespan(s))

    @staticmethod
    def TryParse(s: str, *rest: Any) -> bool:
        out = rest[-1]
        try:
            out.value = _parse_timespan(s)
            return True
        except DotNetException:
            out.value = TimeSpan(0)
            return False


class DateTime(_ByTicks):
    __slots__ = ("Kind", "Ticks")
    __dotnet_name__ = "System.DateTime"

    def __init__(self, *args: Any) -> None:
        kind = 0
        if args and isinstance(args[-1], DotNetEnum) and args[-1].enum_name == "DateTimeKind":
            kind = int(args[-1])
            args = args[:-1]
        if len(args) == 1:
            ticks = int(args[0])
            if not 0 <= ticks <= MAX_TICKS:
                raise argument_out_of_range(
                    "ticks", "Ticks must be between DateTime.MinValue.Ticks and DateTime.MaxValue.Ticks."
                )
        elif len(args) in (3, 6, 7):
            ticks = _ticks_of(*args)
        else:
            ticks = 0
        self.Ticks = ticks
        self.Kind = DotNetEnum("DateTimeKind", ("Unspecified", "Utc", "Local")[kind], kind)

    @classmethod
    def of(cls, ticks: int, kind: int) -> DateTime:
        if not 0 <= ticks <= MAX_TICKS:
            raise argument_out_of_range(
                "value", "The added or subtracted value results in an un-representable DateTime."
            )
        dt = cls.__new__(cls)
        dt.Ticks = ticks
        dt.Kind = DotNetEnum("DateTimeKind", ("Unspecified", "Utc", "Local")[kind], kind)
        return dt

    def _date(self) -> date:
        return date.fromordinal(self.Ticks // TICKS_PER_DAY + 1)

    Year = property(lambda self: self._date().year)
    Month = property(lambda self: self._date().month)
    Day = property(lambda self: self._date().day)
    Hour = property(lambda self: self.Ticks % TICKS_PER_DAY // TICKS_PER_HOUR)
    Minute = property(lambda self: self.Ticks % TICKS_PER_HOUR // TICKS_PER_MINUTE)
    Second = property(lambda self: self.Ticks % TICKS_PER_MINUTE // TICKS_PER_SECOND)
    Millisecond = property(lambda self: self.Ticks % TICKS_PER_SECOND // TICKS_PER_MS)
    DayOfYear = property(lambda self: self._date().timetuple().tm_yday)
    DayOfWeek = property(lambda self: getattr(DayOfWeek, DAYS[self._date().weekday()]))
    Date = property(lambda self: DateTime.of(self.Ticks - self.Ticks % TICKS_PER_DAY, int(self.Kind)))
    TimeOfDay = property(lambda self: TimeSpan(self.Ticks % TICKS_PER_DAY))

    def AddTicks(self, v: int) -> DateTime:
        return DateTime.of(self.Ticks + int(v), int(self.Kind))

    def AddMilliseconds(self, v: float) -> DateTime:
        return self.AddTicks(_scaled(v, TICKS_PER_MS))

    def AddSeconds(self, v: float) -> DateTime:
        return self.AddTicks(_scaled(v, TICKS_PER_SECOND))

    def AddMinutes(self, v: float) -> DateTime:
        return self.AddTicks(_scaled(v, TICKS_PER_MINUTE))

    def AddHours(self, v: float) -> DateTime:
        return self.AddTicks(_scaled(v, TICKS_PER_HOUR))

    def AddDays(self, v: float) -> DateTime:
        return self.AddTicks(_scaled(v, TICKS_PER_DAY))

    def Add(self, span: TimeSpan) -> DateTime:
        return self.AddTicks(span.Ticks)

    def AddMonths(self, months: int) -> DateTime:
        d = self._date()
        total = d.year * 12 + d.month - 1 + months
        y, m = divmod(total, 12)
        m += 1
        import calendar

        day = min(d.day, calendar.monthrange(y, m)[1])
        return DateTime.of(_ticks_of(y, m, day) + self.Ticks % TICKS_PER_DAY, int(self.Kind))

    def AddYears(self, years: int) -> DateTime:
        return self.AddMonths(12 * years)

    def Subtract(self, other: Any) -> Any:
        return self - other

    def ToUniversalTime(self) -> DateTime:
        return DateTime.of(self.Ticks, 1)

    def ToLocalTime(self) -> DateTime:
        return DateTime.of(self.Ticks, 2)

    def ToString(self, fmt: str | None = None, provider: Any = None) -> str:
        if fmt is not None and not isinstance(fmt, str):
            fmt = None
        return format_datetime(self.Ticks, fmt or "G", None, int(self.Kind))

    def ToShortDateString(self) -> str:
        return self.ToString("d")

    def ToLongDateString(self) -> str:
        return self.ToString("D")

    def ToShortTimeString(self) -> str:
        return self.ToString("t")

    def ToLongTimeString(self) -> str:
        return self.ToString("T")

    def ToFileTimeUtc(self) -> int:
        return self.Ticks - 504_911_232_000_000_000

    def ToBinary(self) -> int:
        return self.Ticks | (int(self.Kind) << 62)

    def ToOADate(self) -> float:
        return (self.Ticks - 599_264_352_000_000_000) / TICKS_PER_DAY

    def CompareTo(self, other: DateTime) -> int:
        return (self.Ticks > other.Ticks) - (self.Ticks < other.Ticks)

    def Equals(self, other: Any) -> bool:
        return self == other

    def GetHashCode(self) -> int:
        return (self.Ticks ^ (self.Ticks >> 32)) & 0x7FFFFFFF

    def __add__(self, other: Any) -> Any:
        if isinstance(other, TimeSpan):
            return self.AddTicks(other.Ticks)
        return NotImplemented

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, DateTime):
            return TimeSpan(self.Ticks - other.Ticks)
        if isinstance(other, TimeSpan):
            return self.AddTicks(-other.Ticks)
        return NotImplemented

    def __repr__(self) -> str:
        return f"DateTime({self.ToString('o')})"


_MONTH_ABBR = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}
_ISO = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7})\d*)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*\Z"  # noqa: E501
)
_US = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*\Z")
_RFC = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(GMT|UTC|Z|[+-]\d{4})?\s*\Z"
)


def parse_datetime(s: Any) -> tuple[int, int | None]:
    """Parses the common invariant forms; returns (clock ticks, offset minutes or None when none was given)."""
    if s is None:
        raise DotNetException(
            "ArgumentNullException", "String reference not set to an instance of a String. (Parameter 's')"
        )
    m = _ISO.match(s)
    if m:
        y, mo, d, h, mi, sec, frac, tz = m.groups()
        ticks = _ticks_of(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0)) + int(
            (frac or "0").ljust(7, "0")
        )
        return ticks, _tz_minutes(tz)
    m = _US.match(s)
    if m:
        mo, d, y, h, mi, sec, ampm = m.groups()
        hour = int(h or 0)
        if ampm:
            hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
        return _ticks_of(int(y), int(mo), int(d), hour, int(mi or 0), int(sec or 0)), None
    m = _RFC.match(s)
    if m and m.group(2).lower() in _MONTH_ABBR:
        d, mon, y, h, mi, sec, tz = m.groups()
        ticks = _ticks_of(int(y), _MONTH_ABBR[mon.lower()], int(d), int(h), int(mi), int(sec or 0))
        return ticks, _tz_minutes(tz) if tz else None
    raise format_error(f"String '{s}' was not recognized as a valid DateTime.")


def _tz_minutes(tz: str | None) -> int | None:
    if tz is None:
        return None
    if tz in ("Z", "GMT", "UTC"):
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:]))


def _parse_dt(s: Any, *rest: Any) -> DateTime:
    ticks, offset = parse_datetime(s)
    if offset is None:
        return DateTime.of(ticks, 0)
    # a zoned string becomes local time (Local kind); the gateway's local zone is UTC
    return DateTime.of(ticks - offset * TICKS_PER_MINUTE, 2)


def _parse_exact(s: Any, fmt: Any, provider: Any = None, *rest: Any) -> DateTime:
    formats = fmt if isinstance(fmt, list) else [fmt]
    for f in formats:
        py = _to_strptime(f)
        try:
            parsed = _pydt.strptime(s.strip(), py)
        except (ValueError, AttributeError):
            continue
        ticks = _ticks_of(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second)
        ticks += parsed.microsecond * 10
        if parsed.tzinfo is not None:
            off = parsed.utcoffset()
            ticks -= int(off.total_seconds()) * TICKS_PER_SECOND if off else 0
            return DateTime.of(ticks, 2)
        return DateTime.of(ticks, 1 if "Z" in s and "'Z'" in f else 0)
    raise format_error(f"String '{s}' was not recognized as a valid DateTime.")


def _to_strptime(fmt: str) -> str:
    out = fmt
    for cs, py in (("yyyy", "%Y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dddd", "%A"), ("ddd", "%a"),
                   ("dd", "%d"), ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("fffffff", "%f"),
                   ("ffffff", "%f"), ("fff", "%f"), ("tt", "%p"), ("zzz", "%z"), ("K", "%z")):  # fmt: skip
        out = out.replace(cs, py)
    return out.replace("'", "")


class _DateTimeStatics:
    MinValue = DateTime.of(0, 0)
    MaxValue = DateTime.of(MAX_TICKS, 0)
    UnixEpoch = DateTime.of(UNIX_EPOCH, 1)

    @property
    def UtcNow(self) -> DateTime:
        return DateTime.of(_now_ticks(), 1)

    @property
    def Now(self) -> DateTime:
        return DateTime.of(_now_ticks(), 2)

    @property
    def Today(self) -> DateTime:
        t = _now_ticks()
        return DateTime.of(t - t % TICKS_PER_DAY, 2)

    Parse = staticmethod(_parse_dt)
    ParseExact = staticmethod(_parse_exact)

    @staticmethod
    def TryParse(s: Any, *rest: Any) -> bool:
        out = rest[-1]
        assert isinstance(out, Ref)
        try:
            out.value = _parse_dt(s)
            return True
        except DotNetException:
            out.value = DateTime.of(0, 0)
            return False

    @staticmethod
    def TryParseExact(s: Any, fmt: Any, *rest: Any) -> bool:
        out = rest[-1]
        try:
            out.value = _parse_exact(s, fmt)
            return True
        except DotNetException:
            out.value = DateTime.of(0, 0)
            return False

    @staticmethod
    def DaysInMonth(year: int, month: int) -> int:
        import calendar

        return calendar.monthrange(year, month)[1]

    @staticmethod
    def IsLeapYear(year: int) -> bool:
        import calendar

        return calendar.isleap(year)

    @staticmethod
    def SpecifyKind(dt: DateTime, kind: Any) -> DateTime:
        return DateTime.of(dt.Ticks, int(kind))

    @staticmethod
    def Compare(a: DateTime, b: DateTime) -> int:
        return a.CompareTo(b)

    @staticmethod
    def FromFileTimeUtc(v: int) -> DateTime:
        return DateTime.of(v + 504_911_232_000_000_000, 1)


class DateTimeOffset:
    """A clock time plus its offset from UTC."""

    __slots__ = ("_offset", "_ticks")
    __dotnet_name__ = "System.DateTimeOffset"

    def __init__(self, *args: Any) -> None:
        if len(args) == 1 and isinstance(args[0], DateTime):
            self._ticks, self._offset = args[0].Ticks, 0
        elif len(args) == 2 and isinstance(args[0], DateTime):
            self._ticks, self._offset = args[0].Ticks, args[1].Ticks // TICKS_PER_MINUTE
        elif len(args) == 2:
            self._ticks, self._offset = int(args[0]), args[1].Ticks // TICKS_PER_MINUTE
        elif len(args) in (7, 8):
            *parts, offset = args
            self._ticks, self._offset = _ticks_of(*parts), offset.Ticks // TICKS_PER_MINUTE
        else:
            raise DotNetException("NotSupportedException", "keyless does not implement this DateTimeOffset constructor")

    @classmethod
    def of(cls, ticks: int, offset_minutes: int) -> DateTimeOffset:
        d = cls.__new__(cls)
        d._ticks, d._offset = ticks, offset_minutes
        return d

    UtcTicks = property(lambda self: self._ticks - self._offset * TICKS_PER_MINUTE)
    Ticks = property(lambda self: self._ticks)
    Offset = property(lambda self: TimeSpan(self._offset * TICKS_PER_MINUTE))
    DateTime = property(lambda self: DateTime.of(self._ticks, 0))
    UtcDateTime = property(lambda self: DateTime.of(self.UtcTicks, 1))
    LocalDateTime = property(lambda self: DateTime.of(self.UtcTicks, 2))
    Year = property(lambda self: DateTime.of(self._ticks, 0).Year)
    Month = property(lambda self: DateTime.of(self._ticks, 0).Month)
    Day = property(lambda self: DateTime.of(self._ticks, 0).Day)
    Hour = property(lambda self: DateTime.of(self._ticks, 0).Hour)
    Minute = property(lambda self: DateTime.of(self._ticks, 0).Minute)
    Second = property(lambda self: DateTime.of(self._ticks, 0).Second)

    def ToUnixTimeSeconds(self) -> int:
        return (self.UtcTicks - UNIX_EPOCH) // TICKS_PER_SECOND

    def ToUnixTimeMilliseconds(self) -> int:
        return (self.UtcTicks - UNIX_EPOCH) // TICKS_PER_MS

    def ToUniversalTime(self) -> DateTimeOffset:
        return DateTimeOffset.of(self.UtcTicks, 0)

    def ToOffset(self, offset: TimeSpan) -> DateTimeOffset:
        minutes = offset.Ticks // TICKS_PER_MINUTE
        return DateTimeOffset.of(self.UtcTicks + minutes * TICKS_PER_MINUTE, minutes)

    def _add(self, ticks: int) -> DateTimeOffset:
        return DateTimeOffset.of(self._ticks + ticks, self._offset)

    AddSeconds = lambda self, v: self._add(_scaled(v, TICKS_PER_SECOND))  # noqa: E731
    AddMinutes = lambda self, v: self._add(_scaled(v, TICKS_PER_MINUTE))  # noqa: E731
    AddHours = lambda self, v: self._add(_scaled(v, TICKS_PER_HOUR))  # noqa: E731
    AddDays = lambda self, v: self._add(_scaled(v, TICKS_PER_DAY))  # noqa: E731
    AddMilliseconds = lambda self, v: self._add(_scaled(v, TICKS_PER_MS))  # noqa: E731

    def ToString(self, fmt: str | None = None, provider: Any = None) -> str:
        if fmt is not None and not isinstance(fmt, str):
            fmt = None
        if not fmt:
            fmt = "MM/dd/yyyy HH:mm:ss zzz"
        if fmt in ("u",):
            return format_datetime(self.UtcTicks, fmt, 0, 1)
        if fmt in ("r", "R"):
            return format_datetime(self.UtcTicks, fmt, 0, 1)
        return format_datetime(self._ticks, fmt, self._offset, 0)

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, DateTimeOffset):
            return TimeSpan(self.UtcTicks - other.UtcTicks)
        if isinstance(other, TimeSpan):
            return self._add(-other.Ticks)
        return NotImplemented

    def __add__(self, other: Any) -> Any:
        return self._add(other.Ticks) if isinstance(other, TimeSpan) else NotImplemented

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateTimeOffset) and self.UtcTicks == other.UtcTicks

    def __lt__(self, other: DateTimeOffset) -> bool:
        return self.UtcTicks < other.UtcTicks

    def __gt__(self, other: DateTimeOffset) -> bool:
        return self.UtcTicks > other.UtcTicks

    def __le__(self, other: DateTimeOffset) -> bool:
        return self.UtcTicks <= other.UtcTicks

    def __ge__(self, other: DateTimeOffset) -> bool:
        return self.UtcTicks >= other.UtcTicks

    def __hash__(self) -> int:
        return hash(self.UtcTicks)


class _DateTimeOffsetStatics:
    @property
    def UtcNow(self) -> DateTimeOffset:
        return DateTimeOffset.of(_now_ticks(), 0)

    @property
    def Now(self) -> DateTimeOffset:
        return DateTimeOffset.of(_now_ticks(), 0)

    MinValue = DateTimeOffset.of(0, 0)
    MaxValue = DateTimeOffset.of(MAX_TICKS, 0)
    UnixEpoch = DateTimeOffset.of(UNIX_EPOCH, 0)
    FromUnixTimeSeconds = staticmethod(lambda s: DateTimeOffset.of(UNIX_EPOCH + int(s) * TICKS_PER_SECOND, 0))
    FromUnixTimeMilliseconds = staticmethod(lambda ms: DateTimeOffset.of(UNIX_EPOCH + int(ms) * TICKS_PER_MS, 0))

    @staticmethod
    def Parse(s: Any, *rest: Any) -> DateTimeOffset:
        ticks, offset = parse_datetime(s)
        return DateTimeOffset.of(ticks, offset or 0)


def _to_offset(v: Any) -> DateTimeOffset:
    if isinstance(v, DateTimeOffset):
        return v
    if isinstance(v, DateTime):
        return DateTimeOffset(v)
    raise invalid_cast(type_name(v), "System.DateTimeOffset")


def _to_datetime(v: Any) -> DateTime:
    if isinstance(v, DateTime):
        return v
    conv = getattr(v, "__dotnet_convert__", None)
    if conv is not None:
        return conv("DateTime")  # type: ignore[no-any-return]
    raise invalid_cast(type_name(v), "System.DateTime")


def _to_timespan(v: Any) -> TimeSpan:
    if isinstance(v, TimeSpan):
        return v
    raise invalid_cast(type_name(v), "System.TimeSpan")


define_type(DotNetType("TimeSpan", "System.TimeSpan", (TimeSpan,), _TimeSpanStatics, TimeSpan, _to_timespan))
define_type(DotNetType("DateTime", "System.DateTime", (DateTime,), _DateTimeStatics(), DateTime, _to_datetime))
define_type(DotNetType("DateTimeOffset", "System.DateTimeOffset", (DateTimeOffset,), _DateTimeOffsetStatics(),
                       DateTimeOffset, _to_offset))  # fmt: skip


# --- Culture-aware parsing (Logic Apps' parseDateTime and timestamp arguments); the C# engine's
# DateTime.Parse/ParseExact above keep their invariant behaviour.


def _two_digit_year(y: int) -> int:
    """A one- or two-digit year, as .NET's calendar reads it (TwoDigitYearMax 2049)."""
    return y + (2000 if y <= 49 else 1900)


def _name_index(text: str, pos: int, names: tuple[str, ...]) -> tuple[int, int] | None:
    """The longest of `names` found at `pos` (case-insensitive): (index, length)."""
    best: tuple[int, int] | None = None
    low = text.lower()
    for i, name in enumerate(names):
        if name and low.startswith(name.lower(), pos) and (best is None or len(name) > best[1]):
            best = (i, len(name))
    return best


def parse_exact_culture(s: str, fmt: str, culture: Any) -> tuple[int, int | None]:
    """`DateTime.ParseExact(s, fmt, culture)`: returns (clock ticks, offset minutes or None when none was given).

    `fmt` is a one-letter standard format (expanded through the culture) or a custom pattern; `'...'`, `"..."`
    and `\\x` are literals, `/` and `:` the culture's separators. Raises FormatException when `s` does not match.
    """
    bad = format_error(f"String '{s}' was not recognized as a valid DateTime.")
    if len(fmt) == 1:
        pattern = culture.standard(fmt)
        if pattern is None:
            raise format_error("Input string was not in a correct format.")
        fmt = pattern
    fields: dict[str, int] = {}
    offset: int | None = None
    pm: bool | None = None
    i = pos = 0

    def number(min_digits: int, max_digits: int) -> int:
        nonlocal pos
        j = pos
        while j < len(s) and j - pos < max_digits and s[j].isdigit():
            j += 1
        if j - pos < min_digits:
            raise bad
        value, pos = int(s[pos:j]), j
        return value

    def literal(text: str) -> None:
        nonlocal pos
        if not s.startswith(text, pos):
            raise bad
        pos += len(text)

    while i < len(fmt):
        c = fmt[i]
        if c in "'\"":
            j = fmt.find(c, i + 1)
            if j < 0:
                raise format_error("Input string was not in a correct format.")
            literal(fmt[i + 1 : j])
            i = j + 1
            continue
        if c == "\\":
            literal(fmt[i + 1 : i + 2])
            i += 2
            continue
        if c == "%":
            i += 1
            continue
        n = 1
        while i + n < len(fmt) and fmt[i + n] == c:
            n += 1
        if c == "y":
            fields["year"] = number(min(n, 4), max(n, 4)) if n >= 3 else _two_digit_year(number(n, 2))
        elif c == "M":
            if n <= 2:
                fields["month"] = number(n, 2)
            else:
                found = _name_index(s, pos, culture.months if n >= 4 else culture.months_abbr)
                if found is None:
                    raise bad
                fields["month"], pos = found[0] + 1, pos + found[1]
        elif c == "d":
            if n <= 2:
                fields["day"] = number(n, 2)
            else:
                found = _name_index(s, pos, culture.days if n >= 4 else culture.days_abbr)
                if found is None:
                    raise bad
                pos += found[1]
        elif c in "Hh":
            fields["hour"] = number(min(n, 2), 2)
            if c == "h":
                fields["hour12"] = 1
        elif c == "m":
            fields["minute"] = number(min(n, 2), 2)
        elif c == "s":
            fields["second"] = number(min(n, 2), 2)
        elif c in "fF":
            start = pos
            while pos < len(s) and pos - start < n and s[pos].isdigit():
                pos += 1
            if c == "f" and pos - start != n:
                raise bad
            fields["fraction"] = int(s[start:pos].ljust(7, "0")[:7]) if pos > start else 0
        elif c == "t":
            found = _name_index(s, pos, (culture.am, culture.pm) if n > 1 else (culture.am[:1], culture.pm[:1]))
            if found is None:
                raise bad
            pm, pos = found[0] == 1, pos + found[1]
        elif c in "zK":
            m = re.compile(r"Z|[+-]\d{1,2}(?::?\d{2})?").match(s, pos)
            if m is None:
                if c == "K":
                    i += n
                    continue
                raise bad
            text = m.group()
            pos = m.end()
            if text == "Z":
                offset = 0
            else:
                sign = -1 if text[0] == "-" else 1
                hh, _, mm = text[1:].partition(":")
                if not mm and len(hh) > 2:
                    hh, mm = hh[:-2], hh[-2:]
                offset = sign * (int(hh) * 60 + int(mm or 0))
        elif c == ":":
            literal(culture.time_sep)
        elif c == "/":
            literal(culture.date_sep)
        elif c.isspace():
            if pos >= len(s) or not s[pos].isspace():
                raise bad
            while pos < len(s) and s[pos].isspace():
                pos += 1
        else:
            literal(c * n)
        i += n
    if pos != len(s):
        raise bad
    hour = fields.get("hour", 0)
    if pm is not None or "hour12" in fields:
        if hour > 12:
            raise bad
        hour = hour % 12 + (12 if pm else 0)
    try:
        ticks = _ticks_of(fields.get("year", 1), fields.get("month", 1), fields.get("day", 1), hour,
                          fields.get("minute", 0), fields.get("second", 0))  # fmt: skip
    except DotNetException:
        raise bad from None
    return ticks + fields.get("fraction", 0), offset


_TOKEN = re.compile(r"\s*(?:(\d+)|([^\W\d_]+\.?)|([+-]\d{1,2}:?\d{2}\b)|(\S))", re.UNICODE)


def parse_culture(s: str, culture: Any) -> tuple[int, int | None]:
    """`DateTime.Parse(s, culture)`, leniently: ISO 8601 first, then day, month and year in the order of the
    culture's short date pattern, month and day names, a `h:mm[:ss[.fffffff]]` time, AM/PM and a zone
    (`Z`, `GMT`, `UTC`, `+hh:mm`). Returns (clock ticks, offset minutes or None)."""
    bad = format_error(f"String '{s}' was not recognized as a valid DateTime.")
    if s is None:
        raise bad
    m = _ISO.match(s)
    if m:
        return parse_datetime(s)
    words = {w.lower() for p in (culture.long_date, culture.month_day, culture.year_month)
             for w in re.findall(r"'([^']*)'", p) if w.strip()}  # fmt: skip
    numbers: list[str] = []
    time: list[str] = []
    month: int | None = None
    pm: bool | None = None
    offset: int | None = None
    pos = 0
    s_stripped = s.rstrip()
    while pos < len(s_stripped):
        t = _TOKEN.match(s_stripped, pos)
        if t is None:
            raise bad
        pos = t.end()
        digits, word, zone, other = t.groups()
        if digits is not None:
            if time and len(time) < 3 and s_stripped[t.start(1) - 1 : t.start(1)] == culture.time_sep:
                time.append(digits)
            elif pos < len(s_stripped) and s_stripped[pos] == culture.time_sep and not time:
                time.append(digits)
            elif time and s_stripped[t.start(1) - 1 : t.start(1)] in ".," and len(time) == 3:
                time.append(digits)  # fractional seconds
            else:
                numbers.append(digits)
        elif word is not None:
            key = word.lower()
            bare = key.rstrip(".")
            month_hit = [i for i, n in enumerate(culture.months + culture.months_abbr)
                         if n and n.lower().rstrip(".") == bare]  # fmt: skip
            if month_hit and month is None:
                month = month_hit[0] % 12 + 1
            elif any(n and n.lower().rstrip(".") == bare for n in culture.days + culture.days_abbr):
                pass  # a day name is checked by nothing, as .NET only requires it to be one
            elif bare in (culture.am.lower().rstrip("."), "am") and culture.am:
                pm = False
            elif bare in (culture.pm.lower().rstrip("."), "pm") and culture.pm:
                pm = True
            elif key in ("z", "gmt", "utc"):
                offset = 0
            elif key in words or bare in words:
                pass
            else:
                raise bad
        elif zone is not None and time:
            offset = _tz_minutes(zone if ":" in zone or len(zone) != 5 else zone[:3] + ":" + zone[3:])
        elif other is not None and other in (culture.date_sep, "/", "-", ".", ",", culture.time_sep, "T"):
            pass
        else:
            raise bad
    if month is not None:
        if len(numbers) != 2:
            raise bad
        first, second = numbers
        day, year = (int(second), first) if len(first) >= 3 else (int(first), second)
        parts = (int(year) if len(year) >= 3 else _two_digit_year(int(year)), month, day)
    elif len(numbers) == 3:
        order = [c for c in culture.short_date if c in "yMd"]
        order = [c for k, c in enumerate(order) if k == 0 or order[k - 1] != c]
        if len(numbers[0]) >= 3:
            order = ["y", "M", "d"]
        values = dict(zip(order, numbers, strict=True))
        y = values["y"]
        parts = (int(y) if len(y) >= 3 else _two_digit_year(int(y)), int(values["M"]), int(values["d"]))
    else:
        raise bad
    hour = minute = second = fraction = 0
    if time:
        hour, minute = int(time[0]), int(time[1]) if len(time) > 1 else 0
        second = int(time[2]) if len(time) > 2 else 0
        fraction = int(time[3][:7].ljust(7, "0")) if len(time) > 3 else 0
    if pm is not None:
        if hour > 12:
            raise bad
        hour = hour % 12 + (12 if pm else 0)
    try:
        ticks = _ticks_of(*parts, hour, minute, second)
    except DotNetException:
        raise bad from None
    return ticks + fraction, offset
