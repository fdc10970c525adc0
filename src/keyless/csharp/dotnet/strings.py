"""`System.String`: instance members on `str` and the `string`/`String` statics, with .NET semantics."""

from __future__ import annotations

import zlib
from typing import Any

from keyless.csharp.dotnet.enums import DotNetEnum, ignore_case
from keyless.csharp.dotnet.text import Char, composite_format, to_string
from keyless.csharp.errors import DotNetException, argument_null, argument_out_of_range
from keyless.csharp.members import Property, builtin_members


def _norm(s: str, comparison: Any) -> str:
    return s.casefold() if ignore_case(comparison) else s


def _need(value: Any, param: str) -> str:
    if value is None:
        raise argument_null(param)
    return str(value)


def substring(s: str, start: int, length: int | None = None) -> str:
    if start < 0 or start > len(s):
        raise argument_out_of_range("startIndex", "startIndex cannot be larger than length of string.")
    if length is None:
        return s[start:]
    if length < 0 or start + length > len(s):
        raise argument_out_of_range("length", "Index and length must refer to a location within the string.")
    return s[start : start + length]


def _split_args(rest: tuple[Any, ...]) -> tuple[list[int], Any]:
    comparison = None
    ints = []
    for r in rest:
        if isinstance(r, DotNetEnum):
            comparison = r
        else:
            ints.append(r)
    return ints, comparison


def index_of(s: str, value: Any, *rest: Any) -> int:
    value = _need(value, "value")
    ints, comparison = _split_args(rest)
    start = ints[0] if ints else 0
    count = ints[1] if len(ints) > 1 else None
    if start < 0 or start > len(s) or (count is not None and (count < 0 or start + count > len(s))):
        raise argument_out_of_range(
            "startIndex", "Index was out of range. Must be non-negative and less than the size of the collection."
        )
    end = len(s) if count is None else start + count
    return _norm(s, comparison).find(_norm(value, comparison), start, end)


def last_index_of(s: str, value: Any, *rest: Any) -> int:
    value = _need(value, "value")
    ints, comparison = _split_args(rest)
    end = ints[0] + 1 if ints else len(s)
    return _norm(s, comparison).rfind(_norm(value, comparison), 0, end)


def _chars(args: tuple[Any, ...]) -> str | None:
    """`Trim('a', 'b')` / `Trim(new[] {'a'})`: the characters to trim; None means white space."""
    chars: list[str] = []
    for a in args:
        if isinstance(a, list | tuple):
            chars.extend(a)
        elif a is not None:
            chars.append(a)
    return "".join(chars) if chars else None


def split(s: str, *args: Any) -> list[str]:
    """Every Split overload: char / char[] / string / string[] separators, a count, StringSplitOptions."""
    separators: list[str] = []
    count: int | None = None
    options = 0
    for a in args:
        if isinstance(a, DotNetEnum):
            options = int(a)
        elif isinstance(a, str):
            separators.append(a)
        elif isinstance(a, list | tuple):
            separators.extend(x for x in a if x is not None)
        elif isinstance(a, int) and not isinstance(a, bool):
            count = a
        elif a is None:
            pass
        else:
            raise DotNetException("ArgumentException", "Unsupported Split argument")
    separators = [x for x in separators if x != ""]
    if count is not None and count < 0:
        raise argument_out_of_range("count", "Count cannot be less than zero.")
    if count == 0:
        return []
    parts: list[str] = []
    i = start = 0
    n = len(s)
    while i < n:
        if count is not None and len(parts) == count - 1:
            break
        hit = None
        if separators:
            for sep in separators:
                if s.startswith(sep, i):
                    hit = sep
                    break
        elif s[i].isspace():
            hit = s[i]
        if hit is None:
            i += 1
            continue
        parts.append(s[start:i])
        i += len(hit)
        start = i
    parts.append(s[start:])
    if options & 2:
        parts = [p.strip() for p in parts]
    if options & 1:
        parts = [p for p in parts if p]
    return parts


def replace(s: str, old: Any, new: Any, *rest: Any) -> str:
    old = _need(old, "oldValue")
    if old == "":
        raise DotNetException("ArgumentException", "String cannot be of zero length. (Parameter 'oldValue')")
    new = "" if new is None else str(new)
    if rest and ignore_case(rest[-1]):
        import re

        return re.sub(re.escape(old), new.replace("\\", "\\\\"), s, flags=re.IGNORECASE)
    return s.replace(old, new)


def _remove(s: str, start: int, count: int | None) -> str:
    if count is None:
        return substring(s, 0, start)
    if count < 0:
        raise argument_out_of_range("count", "Count cannot be less than zero.")
    return substring(s, 0, start) + substring(s, start + count)


def upper(s: str) -> str:
    """.NET maps case char by char: "ß" stays "ß" where Python would write "SS"."""
    u = s.upper()
    return u if len(u) == len(s) else "".join(c.upper() if len(c.upper()) == 1 else c for c in s)


def lower(s: str) -> str:
    low = s.lower()
    return low if len(low) == len(s) else "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


def pad(s: str, width: int, char: str = " ", left: bool = True) -> str:
    if width < 0:
        raise argument_out_of_range("totalWidth", "Non-negative number required.")
    return s.rjust(width, char) if left else s.ljust(width, char)


def string_hash(s: str) -> int:
    """A stable 32-bit hash (.NET's is randomized per process; any int is faithful)."""
    v = zlib.crc32(s.encode("utf-16-le"))
    return v - 2**32 if v >= 2**31 else v


def compare(a: Any, b: Any, *rest: Any) -> int:
    if a is None or b is None:
        return 0 if a is b else (-1 if a is None else 1)
    ic = any(r is True or (isinstance(r, DotNetEnum) and ignore_case(r)) for r in rest)
    x, y = (a.casefold(), b.casefold()) if ic else (a, b)
    return (x > y) - (x < y)


def _equals(s: str, other: Any, comparison: Any = None) -> bool:
    if not isinstance(other, str):
        return False
    return _norm(s, comparison) == _norm(other, comparison)


builtin_members(str, {
    "Length": Property(len),
    "Substring": substring,
    "IndexOf": index_of,
    "LastIndexOf": last_index_of,
    "IndexOfAny": lambda s, chars, start=0: min((i for i in (s.find(c, start) for c in chars) if i >= 0), default=-1),
    "Contains": lambda s, v, comparison=None: _norm(_need(v, "value"), comparison) in _norm(s, comparison),
    "StartsWith": lambda s, v, comparison=None: _norm(s, comparison).startswith(_norm(_need(v, "value"), comparison)),
    "EndsWith": lambda s, v, comparison=None: _norm(s, comparison).endswith(_norm(_need(v, "value"), comparison)),
    "Equals": _equals,
    "CompareTo": lambda s, other: compare(s, other),
    "Replace": replace,
    "Split": split,
    "Trim": lambda s, *chars: s.strip(_chars(chars)),
    "TrimStart": lambda s, *chars: s.lstrip(_chars(chars)),
    "TrimEnd": lambda s, *chars: s.rstrip(_chars(chars)),
    "ToUpper": lambda s, culture=None: upper(s),
    "ToLower": lambda s, culture=None: lower(s),
    "ToUpperInvariant": lambda s: upper(s),
    "ToLowerInvariant": lambda s: lower(s),
    "PadLeft": lambda s, width, char=" ": pad(s, width, char, True),
    "PadRight": lambda s, width, char=" ": pad(s, width, char, False),
    "Insert": lambda s, i, v: substring(s, 0, i) + _need(v, "value") + s[i:],
    "Remove": lambda s, start, count=None: _remove(s, start, count),
    "ToCharArray": lambda s: [Char(c) for c in s],
    "ToString": lambda s, *fmt: str.__str__(s),
    "GetHashCode": string_hash,
    "Normalize": lambda s, *form: s,
    "Clone": lambda s: s,
})  # fmt: skip


class StringStatics:
    """`string.X(...)` / `String.X(...)`."""

    Empty = ""

    @staticmethod
    def IsNullOrEmpty(s: str | None) -> bool:
        return s is None or s == ""

    @staticmethod
    def IsNullOrWhiteSpace(s: str | None) -> bool:
        return s is None or s.strip() == ""

    @staticmethod
    def Join(separator: Any, *values: Any) -> str:
        sep = "" if separator is None else to_string(separator)
        from keyless.csharp.dotnet.collections import enumerate_items

        if len(values) == 1 and not isinstance(values[0], str) and values[0] is not None:
            items = list(enumerate_items(values[0]))
        else:
            items = list(values)
        return sep.join(to_string(v) for v in items)

    @staticmethod
    def Format(fmt: Any, *args: Any) -> str:
        if fmt is not None and not isinstance(fmt, str):  # Format(IFormatProvider, format, args)
            fmt, args = args[0], args[1:]
        if len(args) == 1 and isinstance(args[0], list):
            args = tuple(args[0])
        return composite_format(fmt, args)

    @staticmethod
    def Concat(*values: Any) -> str:
        from keyless.csharp.dotnet.collections import enumerate_items

        if len(values) == 1 and values[0] is not None and not isinstance(values[0], str):
            values = tuple(enumerate_items(values[0]))
        return "".join(to_string(v) for v in values)

    @staticmethod
    def Compare(a: Any, b: Any, *rest: Any) -> int:
        return compare(a, b, *rest)

    @staticmethod
    def CompareOrdinal(a: Any, b: Any) -> int:
        return compare(a, b)

    @staticmethod
    def Equals(a: Any, b: Any, comparison: Any = None) -> bool:
        if a is None or b is None:
            return a is b
        return _equals(a, b, comparison)

    @staticmethod
    def Copy(s: str) -> str:
        return s
