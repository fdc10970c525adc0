"""The predefined types (int, long, double, decimal, bool, char, string, object): casts, Parse/TryParse, Math."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from keyless.csharp.dotnet.strings import StringStatics, string_hash
from keyless.csharp.dotnet.text import Char, format_double, format_number, to_string
from keyless.csharp.errors import DotNetException, argument_null, format_error, invalid_cast
from keyless.csharp.members import DotNetType, Ref, builtin_members, define_type, type_name

_INT_RE = re.compile(r"\s*[+-]?\d+\s*\Z")
_FLOAT_RE = re.compile(r"\s*[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?\s*\Z")
RANGES = {"sbyte": (-(2**7), 2**7 - 1, "SByte"), "byte": (0, 2**8 - 1, "Byte"), "short": (-(2**15), 2**15 - 1, "Int16"),
          "ushort": (0, 2**16 - 1, "UInt16"), "int": (-(2**31), 2**31 - 1, "Int32"), "uint": (0, 2**32 - 1, "UInt32"),
          "long": (-(2**63), 2**63 - 1, "Int64"), "ulong": (0, 2**64 - 1, "UInt64")}  # fmt: skip


def overflow(name: str) -> DotNetException:
    label = {"Byte": "an unsigned byte", "SByte": "a signed byte"}.get(name, f"an {name}")
    return DotNetException("OverflowException", f"Value was either too large or too small for {label}.")


def parse_int(s: Any, kind: str = "int", hex_digits: bool = False) -> int:
    lo, hi, name = RANGES[kind]
    if s is None:
        raise argument_null("s")
    if hex_digits:
        if not re.fullmatch(r"\s*[0-9a-fA-F]+\s*", s):
            raise format_error()
        v = int(s.strip(), 16)
        bits = {"sbyte": 8, "short": 16, "int": 32, "long": 64}.get(kind)
        if bits and v < 2**bits and v >= 2 ** (bits - 1):  # hex digits are the two's complement bits
            v -= 2**bits
        if not lo <= v <= hi:
            raise overflow(name)
        return v
    if not _INT_RE.match(s):
        raise format_error()
    v = int(s.strip())
    if not lo <= v <= hi:
        raise overflow(name)
    return v


def parse_double(s: Any) -> float:
    if s is None:
        raise argument_null("s")
    t = s.strip()
    special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "∞": math.inf, "-∞": -math.inf}
    if t in special:
        return special[t]
    if not _FLOAT_RE.match(s) or ",," in t or t.startswith(","):
        raise format_error()
    return float(t.replace(",", ""))


def parse_decimal(s: Any) -> Decimal:
    if s is None:
        raise argument_null("s")
    if not _FLOAT_RE.match(s):
        raise format_error()
    return Decimal(s.strip().replace(",", ""))


def parse_bool(s: Any) -> bool:
    if s is None:
        raise argument_null("value")
    t = s.strip().strip("\0").lower()
    if t in ("true", "false"):
        return t == "true"
    raise format_error(f"String '{s}' was not recognized as a valid Boolean.")


def _try(parse: Callable[[Any], Any], default: Any) -> Callable[..., bool]:
    def try_parse(s: Any, *rest: Any) -> bool:
        out = rest[-1]
        assert isinstance(out, Ref)
        try:
            out.value = parse(s)
            return True
        except DotNetException:
            out.value = default
            return False

    return try_parse


def int_cast(kind: str) -> Callable[[Any], int]:
    """Explicit conversion to an integral type: truncation and wrap-around, as C#'s default unchecked casts."""
    lo, hi, name = RANGES[kind]
    span = hi - lo + 1

    def cast(v: Any) -> int:
        if isinstance(v, bool) or (isinstance(v, str) and not isinstance(v, Char)):
            raise invalid_cast(type_name(v), f"System.{name}")
        if isinstance(v, Char):
            v = ord(v)
        elif isinstance(v, float):
            if math.isnan(v) or math.isinf(v):
                return lo if kind in ("int", "long") else 0
            v = int(v)
        elif isinstance(v, Decimal):
            v = int(v)
            if not lo <= v <= hi:
                raise overflow(name)
        elif not isinstance(v, int):
            conv = getattr(v, "__dotnet_convert__", None)
            if conv is None:
                raise invalid_cast(type_name(v), f"System.{name}")
            return conv(kind)  # type: ignore[no-any-return]
        return ((v - lo) % span) + lo

    return cast


def float_cast(v: Any) -> float:
    if isinstance(v, bool) or (isinstance(v, str) and not isinstance(v, Char)):
        raise invalid_cast(type_name(v), "System.Double")
    if isinstance(v, Char):
        return float(ord(v))
    if isinstance(v, int | float | Decimal):
        return float(v)
    conv = getattr(v, "__dotnet_convert__", None)
    if conv is None:
        raise invalid_cast(type_name(v), "System.Double")
    return conv("double")  # type: ignore[no-any-return]


def decimal_cast(v: Any) -> Decimal:
    if isinstance(v, bool) or (isinstance(v, str) and not isinstance(v, Char)):
        raise invalid_cast(type_name(v), "System.Decimal")
    if isinstance(v, float):
        return Decimal(format_double(v)) if not (math.isnan(v) or math.isinf(v)) else _raise(overflow("Decimal"))
    if isinstance(v, int | Decimal):
        return Decimal(v)
    conv = getattr(v, "__dotnet_convert__", None)
    if conv is None:
        raise invalid_cast(type_name(v), "System.Decimal")
    return conv("decimal")  # type: ignore[no-any-return]


def _raise(e: Exception) -> Any:
    raise e


def char_cast(v: Any) -> Char:
    if isinstance(v, Char):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return Char(chr(v & 0xFFFF))
    if isinstance(v, float):
        return Char(chr(int(v) & 0xFFFF))
    raise invalid_cast(type_name(v), "System.Char")


def bool_cast(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    conv = getattr(v, "__dotnet_convert__", None)
    if conv is not None:
        return conv("bool")  # type: ignore[no-any-return]
    raise invalid_cast(type_name(v), "System.Boolean")


def string_cast(v: Any) -> str:
    if isinstance(v, str) and not isinstance(v, Char):
        return v
    conv = getattr(v, "__dotnet_convert__", None)
    if conv is not None:
        return conv("string")  # type: ignore[no-any-return]
    raise invalid_cast(type_name(v), "System.String")


class _IntegralStatics:
    def __init__(self, kind: str) -> None:
        lo, hi, _ = RANGES[kind]
        self.MinValue, self.MaxValue = lo, hi
        self.Parse = lambda s, *rest: parse_int(s, kind, _hex(rest))
        self.TryParse = lambda s, *rest: _try(lambda v: parse_int(v, kind, _hex(rest)), 0)(s, *rest)


def _hex(rest: tuple[Any, ...]) -> bool:
    """`int.Parse(s, NumberStyles.HexNumber)`: the AllowHexSpecifier flag (512) among the arguments."""
    return any(getattr(r, "enum_name", "") == "NumberStyles" and int(r) & 512 for r in rest)


class _DoubleStatics:
    MinValue = -1.7976931348623157e308
    MaxValue = 1.7976931348623157e308
    Epsilon = 5e-324
    NaN = math.nan
    PositiveInfinity = math.inf
    NegativeInfinity = -math.inf
    Parse = staticmethod(lambda s, *rest: parse_double(s))
    TryParse = staticmethod(_try(parse_double, 0.0))
    IsNaN = staticmethod(lambda v: math.isnan(v))
    IsInfinity = staticmethod(lambda v: math.isinf(v))


class _DecimalStatics:
    Zero = Decimal(0)
    One = Decimal(1)
    Parse = staticmethod(lambda s, *rest: parse_decimal(s))
    TryParse = staticmethod(_try(parse_decimal, Decimal(0)))
    Round = staticmethod(lambda d, places=0: d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


class _BoolStatics:
    TrueString = "True"
    FalseString = "False"
    Parse = staticmethod(parse_bool)
    TryParse = staticmethod(_try(parse_bool, False))


class _CharStatics:
    IsDigit = staticmethod(lambda c: c.isdigit())
    IsLetter = staticmethod(lambda c: c.isalpha())
    IsLetterOrDigit = staticmethod(lambda c: c.isalnum())
    IsWhiteSpace = staticmethod(lambda c: c.isspace())
    IsUpper = staticmethod(lambda c: c.isupper())
    IsLower = staticmethod(lambda c: c.islower())
    ToUpper = staticmethod(lambda c: Char(c.upper()))
    ToLower = staticmethod(lambda c: Char(c.lower()))
    Parse = staticmethod(
        lambda s: (
            Char(s)
            if s is not None and len(s) == 1
            else _raise(format_error("String must be exactly one character long."))
        )
    )


def _define(name: str, full: str, alias: str, py: tuple[type, ...], statics: Any, convert: Any) -> None:
    define_type(DotNetType(name, full, py, statics, None, convert, aliases=(alias,)))


for _kind, (_lo, _hi, _name) in RANGES.items():
    _define(_kind, f"System.{_name}", _name, (int,), _IntegralStatics(_kind), int_cast(_kind))
_define("double", "System.Double", "Double", (float,), _DoubleStatics, float_cast)
_define("float", "System.Single", "Single", (float,), _DoubleStatics, float_cast)
_define("decimal", "System.Decimal", "Decimal", (Decimal,), _DecimalStatics, decimal_cast)
_define("bool", "System.Boolean", "Boolean", (bool,), _BoolStatics, bool_cast)
_define("char", "System.Char", "Char", (Char,), _CharStatics, char_cast)
_define("string", "System.String", "String", (str,), StringStatics, string_cast)
define_type(DotNetType("object", "System.Object", (object,), None, object, None, aliases=("Object",)))
define_type(DotNetType("dynamic", "dynamic", (object,)))


def _number_to_string(v: Any, fmt: Any = None, provider: Any = None) -> str:
    if fmt is not None and not isinstance(fmt, str):
        fmt = None
    return format_number(v, fmt) if fmt else to_string(v)


def _equals(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _int_hash(v: int) -> int:
    if -(2**31) <= v < 2**31:
        return v
    return int_cast("int")((v & 0xFFFFFFFF) ^ ((v >> 32) & 0xFFFFFFFF))


def _compare(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


builtin_members(
    int, {"ToString": _number_to_string, "Equals": _equals, "GetHashCode": _int_hash, "CompareTo": _compare}
)
builtin_members(float, {"ToString": _number_to_string, "Equals": _equals, "CompareTo": _compare,
                        "GetHashCode": lambda v: string_hash(repr(v))})  # fmt: skip
builtin_members(Decimal, {"ToString": _number_to_string, "Equals": _equals, "CompareTo": _compare})
builtin_members(bool, {"ToString": lambda v, *a: "True" if v else "False", "Equals": _equals,
                       "GetHashCode": lambda v: int(v), "CompareTo": _compare})  # fmt: skip
builtin_members(Char, {"ToString": lambda c, *a: str.__str__(c), "Equals": _equals, "GetHashCode": lambda c: ord(c)})


def round_half_even(v: float, digits: int = 0, mode: Any = None) -> float:
    """Math.Round(double, digits, mode) as .NET computes it: scale by 10^digits in binary, round, scale back."""
    if not 0 <= digits <= 15:
        raise DotNetException(
            "ArgumentOutOfRangeException", "Rounding digits must be between 0 and 15, inclusive. (Parameter 'digits')"
        )
    if math.isnan(v) or math.isinf(v) or abs(v) >= 1e16:
        return v
    power10 = 10.0**digits
    scaled = v * power10
    if mode is not None and int(mode) == 1:  # AwayFromZero
        fraction, whole = math.modf(scaled)
        scaled = whole + (math.copysign(1.0, fraction) if abs(fraction) >= 0.5 else 0.0)
    else:
        scaled = float(round(scaled))  # Python rounds half to even, on the binary value, as .NET does
    return scaled / power10


class MathStatics:
    PI = math.pi
    E = math.e

    @staticmethod
    def Abs(v: Any) -> Any:
        if isinstance(v, int) and v == -(2**31):
            raise DotNetException(
                "OverflowException", "Negating the minimum value of a twos complement number is invalid."
            )
        return abs(v)

    Max = staticmethod(lambda a, b: max(a, b))
    Min = staticmethod(lambda a, b: min(a, b))
    Floor = staticmethod(lambda v: Decimal(math.floor(v)) if isinstance(v, Decimal) else float(math.floor(v)))
    Ceiling = staticmethod(lambda v: Decimal(math.ceil(v)) if isinstance(v, Decimal) else float(math.ceil(v)))
    Truncate = staticmethod(lambda v: Decimal(int(v)) if isinstance(v, Decimal) else float(math.trunc(v)))
    Pow = staticmethod(lambda a, b: float(a) ** float(b))
    Sqrt = staticmethod(lambda v: math.sqrt(v) if v >= 0 else math.nan)
    Log10 = staticmethod(lambda v: math.log10(v) if v > 0 else (-math.inf if v == 0 else math.nan))
    Exp = staticmethod(lambda v: math.exp(v))
    Sign = staticmethod(lambda v: (v > 0) - (v < 0))

    @staticmethod
    def Log(v: float, base: float | None = None) -> float:
        if v <= 0:
            return -math.inf if v == 0 else math.nan
        return math.log(v) if base is None else math.log(v, base)

    @staticmethod
    def Round(v: Any, digits: Any = 0, mode: Any = None) -> Any:
        if type(digits).__name__ == "DotNetEnum":
            digits, mode = 0, digits
        if isinstance(v, Decimal):
            rounding = ROUND_HALF_UP if mode is not None and int(mode) == 1 else ROUND_HALF_EVEN
            return v.quantize(Decimal(1).scaleb(-digits), rounding=rounding)
        return round_half_even(float(v), digits, mode)


define_type(DotNetType("Math", "System.Math", (), MathStatics))
