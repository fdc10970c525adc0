"""DateTime/DateTimeOffset/TimeSpan format strings (standard and custom), invariant culture."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from keyless.csharp.errors import format_error

if TYPE_CHECKING:
    from keyless.csharp.dotnet.culture import CultureData

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
STANDARD = {
    "d": "MM/dd/yyyy", "D": "dddd, dd MMMM yyyy", "f": "dddd, dd MMMM yyyy HH:mm", "F": "dddd, dd MMMM yyyy HH:mm:ss",
    "g": "MM/dd/yyyy HH:mm", "G": "MM/dd/yyyy HH:mm:ss", "m": "MMMM dd", "M": "MMMM dd",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK", "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'", "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss", "t": "HH:mm", "T": "HH:mm:ss", "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "U": "dddd, dd MMMM yyyy HH:mm:ss", "y": "yyyy MMMM", "Y": "yyyy MMMM",
}  # fmt: skip


def _run(fmt: str, i: int) -> int:
    j = i
    while j < len(fmt) and fmt[j] == fmt[i]:
        j += 1
    return j - i


def format_datetime(
    ticks: int, fmt: str, offset_minutes: int | None, kind: int, culture: CultureData | None = None
) -> str:
    """Formats a clock time (ticks since 0001-01-01) with `offset_minutes` for z/K (None: kind decides K).

    `culture` (None: invariant) supplies the standard patterns, day and month names, AM/PM and the `/` and `:`
    separators, as `DateTime.ToString(fmt, CultureInfo)` does."""
    if fmt in ("o", "O", "r", "R", "s", "u"):
        culture = None  # the round-trip, RFC 1123 and sortable formats are culture-invariant
    if len(fmt) == 1:
        pattern = culture.standard(fmt) if culture is not None else STANDARD.get(fmt)
        if pattern is None:
            raise format_error()
        fmt = pattern
    days_names = (culture.days[1:] + culture.days[:1]) if culture is not None else DAYS  # Monday first, as DAYS
    days_abbr = (culture.days_abbr[1:] + culture.days_abbr[:1]) if culture is not None else tuple(x[:3] for x in DAYS)
    month_names = culture.months if culture is not None else MONTHS
    month_abbr = culture.months_abbr if culture is not None else tuple(x[:3] for x in MONTHS)
    am, pm = (culture.am, culture.pm) if culture is not None else ("AM", "PM")
    date_sep, time_sep = (culture.date_sep, culture.time_sep) if culture is not None else ("/", ":")
    days, rem = divmod(ticks, 864_000_000_000)
    d = date.fromordinal(days + 1)
    hour, rem = divmod(rem, 36_000_000_000)
    minute, rem = divmod(rem, 600_000_000)
    second, frac = divmod(rem, 10_000_000)
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c in "'\"":
            j = fmt.find(c, i + 1)
            if j < 0:
                raise format_error()
            out.append(fmt[i + 1 : j])
            i = j + 1
            continue
        if c == "\\":
            out.append(fmt[i + 1 : i + 2])
            i += 2
            continue
        if c == "%":
            i += 1
            continue
        n = _run(fmt, i)
        if c == "y":
            out.append(str(d.year % 100).zfill(n) if n <= 2 else str(d.year).zfill(n))
        elif c == "M":
            out.append(
                str(d.month).zfill(n) if n <= 2 else (month_abbr[d.month - 1] if n == 3 else month_names[d.month - 1])
            )
        elif c == "d":
            wd = d.weekday()
            out.append(str(d.day).zfill(n) if n <= 2 else (days_abbr[wd] if n == 3 else days_names[wd]))
        elif c == "H":
            out.append(str(hour).zfill(min(n, 2)))
        elif c == "h":
            out.append(str(hour % 12 or 12).zfill(min(n, 2)))
        elif c == "m":
            out.append(str(minute).zfill(min(n, 2)))
        elif c == "s":
            out.append(str(second).zfill(min(n, 2)))
        elif c in "fF":
            digits = str(frac).zfill(7)[:n]
            out.append(digits if c == "f" else digits.rstrip("0"))
            if c == "F" and not digits.rstrip("0") and out and i > 0 and fmt[i - 1] == ".":
                out[-2] = out[-2][:-1] if out[-2].endswith(".") else out[-2]
        elif c == "t":
            ampm = am if hour < 12 else pm
            out.append(ampm[:1] if n == 1 else ampm)
        elif c == "K":
            if offset_minutes is not None:
                out.append(_offset(offset_minutes, 3))
            elif kind == 1:
                out.append("Z")
            elif kind == 2:
                out.append("+00:00")
        elif c == "z":
            out.append(_offset(offset_minutes or 0, n))
        elif c == ":":
            out.append(time_sep)
        elif c == "/":
            out.append(date_sep)
        elif c == "g":
            out.append("A.D.")
        else:
            out.append(c * n)
        i += n
    return "".join(out)


def _offset(minutes: int, n: int) -> str:
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    if n == 1:
        return f"{sign}{h}"
    if n == 2:
        return f"{sign}{h:02d}"
    return f"{sign}{h:02d}:{m:02d}"


def format_timespan(ticks: int, fmt: str | None) -> str:
    """TimeSpan: "c" (default) `[-][d.]hh:mm:ss[.fffffff]`, "g", "G", or a custom format like `hh\\:mm`."""
    neg = ticks < 0
    t = abs(ticks)
    days, rem = divmod(t, 864_000_000_000)
    hours, rem = divmod(rem, 36_000_000_000)
    minutes, rem = divmod(rem, 600_000_000)
    seconds, frac = divmod(rem, 10_000_000)
    sign = "-" if neg else ""
    if fmt in (None, "", "c", "t", "T"):
        s = f"{sign}{f'{days}.' if days else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"
        return s + (f".{frac:07d}" if frac else "")
    if fmt == "g":
        s = f"{sign}{f'{days}:' if days else ''}{hours}:{minutes:02d}:{seconds:02d}"
        return s + (f".{frac:07d}".rstrip("0") if frac else "")
    if fmt == "G":
        return f"{sign}{days}:{hours:02d}:{minutes:02d}:{seconds:02d}.{frac:07d}"
    out: list[str] = []
    i = 0
    values: dict[str, Any] = {"d": days, "h": hours, "m": minutes, "s": seconds}
    while i < len(fmt):
        c = fmt[i]
        if c == "\\":
            out.append(fmt[i + 1 : i + 2])
            i += 2
            continue
        if c in "'\"":
            j = fmt.find(c, i + 1)
            if j < 0:
                raise format_error()
            out.append(fmt[i + 1 : j])
            i = j + 1
            continue
        n = _run(fmt, i)
        if c in values:
            out.append(str(values[c]).zfill(n if c == "d" else min(n, 2)))
        elif c in "fF":
            digits = f"{frac:07d}"[:n]
            out.append(digits if c == "f" else digits.rstrip("0"))
        else:
            raise format_error()
        i += n
    return "".join(out)
