"""`ToString()` with .NET formatting: double round-trip, standard/custom numeric formats, composite `{0:N2}`."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from keyless.csharp.errors import DotNetException, format_error

if TYPE_CHECKING:
    from keyless.csharp.dotnet.culture import CultureData


class Char(str):
    """A C# `char`: a one-character string that is a number in arithmetic."""

    __slots__ = ()
    __dotnet_name__ = "System.Char"


def format_double(x: float) -> str:
    """`double.ToString()` as .NET Core 3.0+: the shortest round-trip digits, E notation from 1E+15 and from 1E-05 down."""  # noqa: E501
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    d = Decimal(repr(x))
    sign, digits, exp = d.normalize().as_tuple()
    assert isinstance(exp, int)
    e10 = len(digits) - 1 + exp
    s = "-" if sign else ""
    if e10 >= 15 or e10 < -4:
        ds = "".join(map(str, digits))
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        return f"{s}{mant}E{'+' if e10 >= 0 else '-'}{abs(e10):02d}"
    return s + format(abs(d.normalize()), "f")


def format_decimal(d: Decimal) -> str:
    return format(d, "f")


def to_string(v: Any) -> str:
    """`v.ToString()` (and string concatenation's conversion): null is the empty string."""
    if v is None:
        return ""
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        member = getattr(v, "member", None)  # an enum value prints its name
        return member if member is not None else int.__repr__(v)
    if isinstance(v, float):
        return format_double(v)
    if isinstance(v, Decimal):
        return format_decimal(v)
    if isinstance(v, bytes | bytearray):
        return "System.Byte[]"
    if isinstance(v, list | tuple):
        return "System.String[]" if v and all(isinstance(i, str) for i in v) else "System.Object[]"
    if isinstance(v, dict):
        return "System.Collections.Generic.Dictionary`2[System.String,System.Object]"
    method = getattr(v, "ToString", None)
    if method is not None:
        return str(method())
    if type(v).__str__ is not object.__str__:  # a host class that defines its text
        return str(v)
    # System.Object.ToString(): the type's name
    from keyless.csharp.members import type_name

    return type_name(v)


def _round(value: Any, places: int) -> Decimal:
    """Rounds the exact value half away from zero, as .NET Core 3.0+ formatting does."""
    d = value if isinstance(value, Decimal) else Decimal(value)
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _group(int_part: str, sep: str = ",") -> str:
    out = []
    while len(int_part) > 3:
        out.append(int_part[-3:])
        int_part = int_part[:-3]
    out.append(int_part)
    return sep.join(reversed(out))


def _fixed(value: Any, places: int, grouped: bool, culture: CultureData | None = None) -> str:
    r = _round(value, places)
    neg = r < 0 or (r == 0 and _negative(value) and False)
    s = format(abs(r), "f")
    int_part, _, frac = s.partition(".")
    if grouped:
        int_part = _group(int_part, culture.group_sep if culture is not None else ",")
    body = int_part + ((culture.decimal_sep if culture is not None else ".") + frac if places else "")
    return ("-" if neg and r != 0 else "") + body


def _pattern(pattern: str, digits: str, symbol: str) -> str:
    """Fills a culture's currency or percent pattern (`n` the digits, `$` the symbol, `%` itself)."""
    return "".join(digits if c == "n" else symbol if c in "$%" else c for c in pattern)


def _negative(value: Any) -> bool:
    return value < 0


def format_number(value: Any, fmt: str, culture: CultureData | None = None) -> str:
    """`ToString(fmt)` for int, double and decimal, standard (`N2`, `F0`, `D5`, `X`, `P1`, `E3`) or custom formats.

    `culture` (None: invariant) supplies the separators and the currency and percent patterns."""
    if culture is not None and culture.name:
        return _localized(value, fmt, culture)
    if not fmt:
        return to_string(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return to_string(value)
    spec, rest = fmt[0].upper(), fmt[1:]
    if spec.isalpha() and (rest == "" or rest.isdigit()):
        precision = int(rest) if rest else None
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if spec == "D":
            if not is_int:
                raise format_error("Format specifier was invalid.")
            digits = str(abs(value)).rjust(precision or 0, "0")
            return ("-" if value < 0 else "") + digits
        if spec == "X":
            if not is_int:
                raise format_error("Format specifier was invalid.")
            v = value if value >= 0 else value + (2**32 if value >= -(2**31) else 2**64)
            s = format(v, "x" if fmt[0] == "x" else "X")
            return s.rjust(precision or 0, "0")
        if spec in ("F", "N"):
            return _fixed(value, 2 if precision is None else precision, spec == "N")
        if spec == "P":
            return _fixed(Decimal(str(value)) * 100 if not isinstance(value, Decimal) else value * 100,
                          2 if precision is None else precision, True) + " %"  # fmt: skip
        if spec == "C":
            s = _fixed(abs(value), 2 if precision is None else precision, True)
            return ("-" if value < 0 else "") + "¤" + s
        if spec == "E":
            p = 6 if precision is None else precision
            m = format(float(value), f".{p}e")
            mant, _, exp = m.partition("e")
            return f"{mant}{fmt[0]}{exp[0]}{int(exp[1:]):03d}"
        if spec in ("G", "R"):
            if precision is None or spec == "R":
                return to_string(value)
            s = format(float(value), f".{precision}g").replace("e", "E")
            if "E" in s:
                mant, _, exp = s.partition("E")
                s = f"{mant}E{exp[0]}{int(exp[1:]):02d}"
            return s
        raise format_error("Format specifier was invalid.")
    return _custom(value, fmt)


def _localized(value: Any, fmt: str, culture: CultureData) -> str:
    """`ToString(fmt, culture)`: the invariant digits with the culture's separators and patterns."""
    if not fmt or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return _swap_separators(to_string(value), culture)
    spec, rest = fmt[0].upper(), fmt[1:]
    if not (spec.isalpha() and (rest == "" or rest.isdigit())):
        return _custom(value, fmt, culture)
    precision = 2 if rest == "" else int(rest)
    if spec == "C":
        digits = _fixed(abs(value), precision, True, culture)
        negative = value < 0 and _round(value, precision) != 0
        return _pattern(culture.currency_negative if negative else culture.currency_positive, digits,
                        culture.currency_symbol)  # fmt: skip
    if spec == "P":
        scaled = value * 100 if isinstance(value, Decimal) else Decimal(str(value)) * 100
        digits = _fixed(abs(scaled), precision, True, culture)
        negative = scaled < 0 and _round(scaled, precision) != 0
        return _pattern(culture.percent_negative if negative else culture.percent_positive, digits, "%")
    if spec in ("F", "N"):
        return _fixed(value, precision, spec == "N", culture)
    # D, X, E, G, R: the invariant text has no group separator, only a decimal point to localize
    return _swap_separators(format_number(value, fmt), culture)


def _swap_separators(text: str, culture: CultureData) -> str:
    return text.replace(".", culture.decimal_sep)


def _custom(value: Any, fmt: str, culture: CultureData | None = None) -> str:
    """Custom numeric formats made of `0`, `#`, `.`, `,` and literal text (e.g. `0.00`, `#,##0`, `0000`)."""
    sections = fmt.split(";")
    section = sections[1] if len(sections) > 1 and value < 0 else sections[0]
    core_chars = set("0#.,")
    start = next((i for i, c in enumerate(section) if c in core_chars), len(section))
    end = start
    while end < len(section) and section[end] in core_chars:
        end += 1
    prefix, core, suffix = section[:start], section[start:end], section[end:]
    percent = "%" in prefix + suffix
    v = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if percent:
        v *= 100
    int_fmt, _, frac_fmt = core.partition(".")
    grouped = "," in int_fmt
    min_int = int_fmt.replace(",", "").count("0")
    max_frac = len(frac_fmt)
    min_frac = len(frac_fmt.rstrip("#"))
    r = _round(v, max_frac)
    s = format(abs(r), "f")
    ip, _, fp = s.partition(".")
    fp = fp.rstrip("0").ljust(min_frac, "0") if max_frac else ""
    ip = ip.lstrip("0").rjust(min_int, "0")
    if grouped and ip:
        ip = _group(ip, culture.group_sep if culture is not None else ",")
    body = ip + ((culture.decimal_sep if culture is not None else ".") + fp if fp else "")
    neg = r < 0 and len(sections) == 1
    return ("-" if neg else "") + prefix + (body or "0" if not core else body) + suffix


def format_value(v: Any, fmt: str | None) -> str:
    """`{v:fmt}`: numbers and values with a `ToString(format)` honour fmt; other values ignore it."""
    if fmt is None or v is None:
        return to_string(v)
    if isinstance(v, bool) or isinstance(v, str):
        return to_string(v)
    if isinstance(v, int | float | Decimal):
        return format_number(v, fmt)
    method = getattr(v, "ToString", None)
    if method is not None:
        try:
            return str(method(fmt))
        except TypeError:
            return str(method())
    return to_string(v)


def align(s: str, alignment: int | None) -> str:
    if alignment is None:
        return s
    return s.rjust(alignment) if alignment > 0 else s.ljust(-alignment)


def composite_format(fmt: str, args: tuple[Any, ...] | list[Any]) -> str:
    """`string.Format(fmt, args)`: `{index[,alignment][:format]}`, `{{` and `}}`."""
    if fmt is None:
        raise DotNetException("ArgumentNullException", "Value cannot be null. (Parameter 'format')")
    out: list[str] = []
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c == "{":
            if i + 1 < n and fmt[i + 1] == "{":
                out.append("{")
                i += 2
                continue
            j = fmt.find("}", i)
            if j < 0:
                raise format_error()
            item = fmt[i + 1 : j]
            head, _, spec = item.partition(":")
            index_s, _, align_s = head.partition(",")
            try:
                index = int(index_s.strip())
                alignment = int(align_s.strip()) if align_s.strip() else None
            except ValueError:
                raise format_error() from None
            if not 0 <= index < len(args):
                raise format_error(
                    "Index (zero based) must be greater than or equal to zero and less than the size of the argument list."  # noqa: E501
                )
            out.append(align(format_value(args[index], spec if ":" in item else None), alignment))
            i = j + 1
        elif c == "}":
            if i + 1 < n and fmt[i + 1] == "}":
                out.append("}")
                i += 2
                continue
            raise format_error()
        else:
            out.append(c)
            i += 1
    return "".join(out)
