"""Guid, Encoding, Convert, BitConverter and Random (with .NET's seeded sequence)."""

from __future__ import annotations

import base64
import binascii
import math
import random as _random
import re
import struct
import uuid
from decimal import Decimal
from typing import Any

from keyless.csharp.dotnet.numbers import overflow, parse_bool, parse_decimal, parse_double, parse_int, round_half_even
from keyless.csharp.dotnet.text import Char, to_string
from keyless.csharp.errors import DotNetException, argument_null, argument_out_of_range, format_error
from keyless.csharp.members import DotNetType, define_type, invalid_cast, type_name

_BAD_BASE64 = (
    "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding "
    "characters, or an illegal character among the padding characters."
)


class Guid:
    __slots__ = ("_u",)
    __dotnet_name__ = "System.Guid"

    def __init__(self, value: Any = None) -> None:
        if value is None:
            self._u = uuid.UUID(int=0)
        elif isinstance(value, bytes | bytearray):
            if len(value) != 16:
                raise DotNetException(
                    "ArgumentException", "Byte array for Guid must be exactly 16 bytes long. (Parameter 'b')"
                )
            self._u = uuid.UUID(bytes_le=bytes(value))
        elif isinstance(value, str):
            self._u = _parse_guid(value)
        else:
            raise invalid_cast(type_name(value), "System.Guid")

    @classmethod
    def of(cls, u: uuid.UUID) -> Guid:
        g = cls.__new__(cls)
        g._u = u
        return g

    def ToString(self, fmt: str | None = None, provider: Any = None) -> str:
        s = str(self._u)
        f = (fmt or "D").upper() if isinstance(fmt, str) else "D"
        if f == "D":
            return s
        if f == "N":
            return s.replace("-", "")
        if f == "B":
            return "{" + s + "}"
        if f == "P":
            return "(" + s + ")"
        raise format_error('Format string can be only "D", "d", "N", "n", "P", "p", "B", "b", "X" or "x".')

    def ToByteArray(self) -> bytearray:
        return bytearray(self._u.bytes_le)

    def GetHashCode(self) -> int:
        a, b, c, d = struct.unpack("<4i", self._u.bytes_le)
        return a ^ b ^ c ^ d

    def Equals(self, other: Any) -> bool:
        return self == other

    def CompareTo(self, other: Guid) -> int:
        return (self._u > other._u) - (self._u < other._u)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Guid) and self._u == other._u

    def __hash__(self) -> int:
        return hash(self._u)

    def __repr__(self) -> str:
        return f"Guid({self._u})"


_GUID_FORMS = (
    re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    re.compile(r"[0-9a-fA-F]{32}"),
    re.compile(r"\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"),
    re.compile(r"\([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\)"),
)


def _parse_guid(s: Any) -> uuid.UUID:
    if s is None:
        raise argument_null("input")
    t = s.strip()
    if any(f.fullmatch(t) for f in _GUID_FORMS):
        return uuid.UUID(t.strip("{}()"))
    raise format_error("Unrecognized Guid format.")


class _GuidStatics:
    Empty = Guid.of(uuid.UUID(int=0))
    NewGuid = staticmethod(lambda: Guid.of(uuid.uuid4()))
    Parse = staticmethod(lambda s, *rest: Guid.of(_parse_guid(s)))

    @staticmethod
    def TryParse(s: Any, out: Any) -> bool:
        try:
            out.value = Guid.of(_parse_guid(s))
            return True
        except DotNetException:
            out.value = Guid.of(uuid.UUID(int=0))
            return False


class Encoding:
    """`Encoding.UTF8` and friends: GetBytes / GetString / GetByteCount."""

    __dotnet_name__ = "System.Text.Encoding"

    def __init__(self, name: str, codec: str, web_name: str) -> None:
        self.codec = codec
        self.EncodingName = name
        self.WebName = web_name

    def GetBytes(self, s: Any, *rest: Any) -> bytearray:
        if s is None:
            raise argument_null("s")
        if isinstance(s, list):
            s = "".join(s)
        if self.codec == "ascii":
            return bytearray(s.encode("ascii", errors="replace"))
        return bytearray(s.encode(self.codec, errors="surrogatepass"))

    def GetString(self, data: Any, index: int = 0, count: int | None = None) -> str:
        if data is None:
            raise argument_null("bytes")
        b = bytes(data[index : len(data) if count is None else index + count])
        if self.codec == "ascii":
            return "".join(chr(c) if c < 128 else "?" for c in b)
        return b.decode(self.codec, errors="replace")

    def GetByteCount(self, s: str) -> int:
        return len(self.GetBytes(s))


class _EncodingStatics:
    UTF8 = Encoding("Unicode (UTF-8)", "utf-8", "utf-8")
    ASCII = Encoding("US-ASCII", "ascii", "us-ascii")
    Unicode = Encoding("Unicode", "utf-16-le", "utf-16")
    BigEndianUnicode = Encoding("Unicode (Big-Endian)", "utf-16-be", "utf-16BE")
    UTF32 = Encoding("Unicode (UTF-32)", "utf-32-le", "utf-32")
    Latin1 = Encoding("Western European (ISO)", "latin-1", "iso-8859-1")
    Default = UTF8

    @staticmethod
    def GetEncoding(name: Any) -> Encoding:
        table = {"utf-8": _EncodingStatics.UTF8, "us-ascii": _EncodingStatics.ASCII, "ascii": _EncodingStatics.ASCII,
                 "utf-16": _EncodingStatics.Unicode, "iso-8859-1": _EncodingStatics.Latin1}  # fmt: skip
        enc = table.get(str(name).lower())
        if enc is None:
            raise DotNetException("ArgumentException", f"'{name}' is not a supported encoding name.")
        return enc


def from_base64(s: Any) -> bytearray:
    if s is None:
        raise argument_null("s")
    t = re.sub(r"[ \t\r\n]", "", s)
    if len(t) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", t):
        raise format_error(_BAD_BASE64)
    try:
        return bytearray(base64.b64decode(t, validate=True))
    except binascii.Error:
        raise format_error(_BAD_BASE64) from None


def _to_integral(kind: str):  # type: ignore[no-untyped-def]
    from keyless.csharp.dotnet.numbers import RANGES

    lo, hi, name = RANGES[kind]

    def convert(v: Any, base: Any = None) -> int:
        if v is None:
            return 0
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, str) and not isinstance(v, Char):
            if isinstance(base, int) and base in (2, 8, 16):
                try:
                    r = int(v.strip(), base)
                except ValueError:
                    raise format_error("Could not find any recognizable digits.") from None
                bits = {"byte": 8, "short": 16, "int": 32, "long": 64}.get(kind, 64)
                return r - (1 << bits) if lo < 0 and r >= 1 << (bits - 1) else r
            return parse_int(v, kind)
        if isinstance(v, Char):
            r = ord(v)
        elif isinstance(v, float | Decimal):
            if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                raise overflow(name)
            r = int(round_half_even(float(v)))
        elif isinstance(v, int):
            r = v
        else:
            conv = getattr(v, "__dotnet_convert__", None)
            if conv is None:
                raise invalid_cast(type_name(v), f"System.{name}")
            return conv(kind)  # type: ignore[no-any-return]
        if not lo <= r <= hi:
            raise overflow(name)
        return r

    return convert


def _to_double(v: Any, provider: Any = None) -> float:
    if v is None:
        return 0.0
    if isinstance(v, str) and not isinstance(v, Char):
        return parse_double(v)
    if isinstance(v, Char):
        raise invalid_cast("System.Char", "System.Double")
    return float(v)


def _to_bool(v: Any, provider: Any = None) -> bool:
    if v is None:
        return False
    if isinstance(v, str):
        return parse_bool(v)
    if isinstance(v, int | float | Decimal):
        return v != 0
    raise invalid_cast(type_name(v), "System.Boolean")


def _to_string(v: Any, base: Any = None) -> str:
    if isinstance(base, int) and not isinstance(base, bool) and isinstance(v, int) and base in (2, 8, 16):
        u = v if v >= 0 else v + 2**32
        return format(u, {2: "b", 8: "o", 16: "x"}[base])
    return to_string(v)


class _ConvertStatics:
    ToBase64String = staticmethod(lambda data, *rest: base64.b64encode(bytes(data[rest[0] : rest[0] + rest[1]] if len(rest) >= 2 else data)).decode("ascii")  # noqa: E501
                                  if data is not None else (_ for _ in ()).throw(argument_null("inArray")))  # fmt: skip
    FromBase64String = staticmethod(from_base64)
    ToInt16 = staticmethod(_to_integral("short"))
    ToInt32 = staticmethod(_to_integral("int"))
    ToInt64 = staticmethod(_to_integral("long"))
    ToUInt32 = staticmethod(_to_integral("uint"))
    ToUInt64 = staticmethod(_to_integral("ulong"))
    ToByte = staticmethod(_to_integral("byte"))
    ToSByte = staticmethod(_to_integral("sbyte"))
    ToDouble = staticmethod(_to_double)
    ToSingle = staticmethod(_to_double)
    ToDecimal = staticmethod(
        lambda v, *r: Decimal(0) if v is None else parse_decimal(v) if isinstance(v, str) else Decimal(str(v))
    )
    ToBoolean = staticmethod(_to_bool)
    ToString = staticmethod(_to_string)
    ToChar = staticmethod(lambda v: Char(v[0]) if isinstance(v, str) and len(v) == 1 else Char(chr(v)))
    ToHexString = staticmethod(lambda data: bytes(data).hex().upper())
    FromHexString = staticmethod(lambda s: bytearray(bytes.fromhex(s)))

    @staticmethod
    def ToDateTime(v: Any, provider: Any = None) -> Any:
        from keyless.csharp.dotnet.datetime import DateTime, _parse_dt

        if v is None:
            return DateTime.of(0, 0)
        return _parse_dt(v) if isinstance(v, str) else v


class _BitConverterStatics:
    IsLittleEndian = True

    @staticmethod
    def _slice(data: Any, start: int, size: int) -> bytes:
        if data is None:
            raise argument_null("value")
        if start < 0 or start + size > len(data):
            raise argument_out_of_range(
                "startIndex", "Index was out of range. Must be non-negative and less than the size of the collection."
            )
        return bytes(data[start : start + size])

    ToInt16 = staticmethod(lambda d, i=0: struct.unpack("<h", _BitConverterStatics._slice(d, i, 2))[0])
    ToInt32 = staticmethod(lambda d, i=0: struct.unpack("<i", _BitConverterStatics._slice(d, i, 4))[0])
    ToInt64 = staticmethod(lambda d, i=0: struct.unpack("<q", _BitConverterStatics._slice(d, i, 8))[0])
    ToUInt16 = staticmethod(lambda d, i=0: struct.unpack("<H", _BitConverterStatics._slice(d, i, 2))[0])
    ToUInt32 = staticmethod(lambda d, i=0: struct.unpack("<I", _BitConverterStatics._slice(d, i, 4))[0])
    ToUInt64 = staticmethod(lambda d, i=0: struct.unpack("<Q", _BitConverterStatics._slice(d, i, 8))[0])
    ToDouble = staticmethod(lambda d, i=0: struct.unpack("<d", _BitConverterStatics._slice(d, i, 8))[0])
    ToBoolean = staticmethod(lambda d, i=0: _BitConverterStatics._slice(d, i, 1)[0] != 0)

    @staticmethod
    def GetBytes(v: Any) -> bytearray:
        if isinstance(v, bool):
            return bytearray([1 if v else 0])
        if isinstance(v, float):
            return bytearray(struct.pack("<d", v))
        if isinstance(v, Char):
            return bytearray(struct.pack("<H", ord(v)))
        if -(2**31) <= v < 2**31:
            return bytearray(struct.pack("<i", v))
        return bytearray(struct.pack("<q", v))

    @staticmethod
    def ToString(data: Any, start: int = 0, length: int | None = None) -> str:
        if data is None:
            raise argument_null("value")
        part = bytes(data[start : len(data) if length is None else start + length])
        return "-".join(f"{b:02X}" for b in part)


_MBIG = 2**31 - 1
_MSEED = 161803398


class Random:
    """System.Random; with a seed it yields .NET's exact sequence (the Knuth subtractive generator .NET keeps)."""

    __dotnet_name__ = "System.Random"

    def __init__(self, seed: int | None = None) -> None:
        self._py = _random.Random() if seed is None else None
        if seed is None:
            return
        subtraction = _MBIG if seed == -(2**31) else abs(seed)
        mj = _MSEED - subtraction
        seeds = [0] * 56
        seeds[55] = mj
        mk = 1
        ii = 0
        for _ in range(1, 55):
            ii += 21
            if ii >= 55:
                ii -= 55
            seeds[ii] = mk
            mk = mj - mk
            if mk < 0:
                mk += _MBIG
            mj = seeds[ii]
        for _ in range(1, 5):
            for i in range(1, 56):
                n = i + 30
                if n >= 55:
                    n -= 55
                seeds[i] -= seeds[1 + n]
                seeds[i] = ((seeds[i] + 2**31) % 2**32) - 2**31
                if seeds[i] < 0:
                    seeds[i] += _MBIG
        self._seeds = seeds
        self._inext = 0
        self._inextp = 21

    def _internal_sample(self) -> int:
        if self._py is not None:
            return self._py.randrange(_MBIG)
        inext = self._inext + 1
        if inext >= 56:
            inext = 1
        inextp = self._inextp + 1
        if inextp >= 56:
            inextp = 1
        ret = self._seeds[inext] - self._seeds[inextp]
        if ret == _MBIG:
            ret -= 1
        if ret < 0:
            ret += _MBIG
        self._seeds[inext] = ret
        self._inext, self._inextp = inext, inextp
        return ret

    def _sample(self) -> float:
        return self._internal_sample() * (1.0 / _MBIG)

    def Next(self, *args: int) -> int:
        if not args:
            return self._internal_sample()
        if len(args) == 1:
            (hi,) = args
            if hi < 0:
                raise argument_out_of_range("maxValue", "'maxValue' must be greater than zero.")
            return int(self._sample() * hi)
        lo, hi = args
        if lo > hi:
            raise argument_out_of_range("minValue", "'minValue' cannot be greater than maxValue.")
        span = hi - lo
        if span <= _MBIG:
            return int(self._sample() * span) + lo
        result = self._internal_sample()
        if self._internal_sample() % 2 == 0:
            result = -result
        d = (result + (_MBIG - 1)) / (2.0 * _MBIG - 1)
        return int(d * span) + lo

    def NextDouble(self) -> float:
        return self._sample()

    def NextBytes(self, buffer: bytearray) -> None:
        for i in range(len(buffer)):
            buffer[i] = self._internal_sample() % 256


define_type(DotNetType("Guid", "System.Guid", (Guid,), _GuidStatics, Guid))
define_type(DotNetType("Encoding", "System.Text.Encoding", (Encoding,), _EncodingStatics))
define_type(DotNetType("Convert", "System.Convert", (), _ConvertStatics))
define_type(DotNetType("BitConverter", "System.BitConverter", (), _BitConverterStatics))
define_type(DotNetType("Random", "System.Random", (Random,), None, Random))
