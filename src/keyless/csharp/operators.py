"""C# operator semantics on Python values: integer division, `%`, string `+`, shifts, lifted nulls, wrapping."""

# Integers: without static types, int and long are both Python ints. `+ - *` are exact outside
# `unchecked` (a checked C# context would throw OverflowException instead; no corpus expression relies
# on either), wrap inside `unchecked` (32-bit when both operands fit an int, else 64-bit); `<<` always
# wraps as C# shifts do; explicit casts `(int)`, `(byte)`, ... truncate and wrap as C#'s unchecked casts.

from __future__ import annotations

import math
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from keyless.csharp.dotnet.text import Char, to_string
from keyless.csharp.errors import DotNetException
from keyless.csharp.members import AnonymousObject

_I32 = 2**31
_I64 = 2**63
_REFERENCE = (list, dict, set, bytearray, AnonymousObject)


def wrap32(v: int) -> int:
    return ((v + _I32) % (2 * _I32)) - _I32


def wrap64(v: int) -> int:
    return ((v + _I64) % (2 * _I64)) - _I64


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _num(v: Any) -> Any:
    """A char in arithmetic is its UTF-16 code."""
    return ord(v) if isinstance(v, Char) else v


def _wrap(v: int, a: int, b: int) -> int:
    """`unchecked` integer result: 32-bit when both operands fit int, else 64-bit."""
    if -_I32 <= a < _I32 and -_I32 <= b < _I32:
        return wrap32(v)
    return wrap64(v)


def divide_by_zero() -> DotNetException:
    return DotNetException("DivideByZeroException", "Attempted to divide by zero.")


def add(a: Any, b: Any, unchecked: bool = False) -> Any:
    ta, tb = type(a), type(b)
    if getattr(ta, "__dotnet_name__", "") == "System.Xml.Linq.XNamespace":
        return a + b  # XNamespace + string is an XName
    if ta is str or tb is str:
        return to_string(a) + to_string(b)
    if a is None or b is None:
        return None
    if isinstance(a, Char) or isinstance(b, Char):
        a, b = _num(a), _num(b)
    r = a + b
    if unchecked and _is_int(a) and _is_int(b):
        return _wrap(r, a, b)
    return r


def sub(a: Any, b: Any, unchecked: bool = False) -> Any:
    if a is None or b is None:
        return None
    a, b = _num(a), _num(b)
    r = a - b
    if unchecked and _is_int(a) and _is_int(b):
        return _wrap(r, a, b)
    return r


def mul(a: Any, b: Any, unchecked: bool = False) -> Any:
    if a is None or b is None:
        return None
    a, b = _num(a), _num(b)
    r = a * b
    if unchecked and _is_int(a) and _is_int(b):
        return _wrap(r, a, b)
    return r


def div(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _num(a), _num(b)
    if _is_int(a) and _is_int(b):
        if b == 0:
            raise divide_by_zero()
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(a) / Decimal(b)
        except (DivisionByZero, InvalidOperation):
            raise divide_by_zero() from None
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def mod(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _num(a), _num(b)
    if _is_int(a) and _is_int(b):
        if b == 0:
            raise divide_by_zero()
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        if b == 0:
            raise divide_by_zero()
        return Decimal(a) % Decimal(b)
    if b == 0:
        return math.nan
    return math.fmod(a, b)


def shl(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _num(a), _num(b)
    if -_I32 <= a < _I32:
        return wrap32(a << (b & 31))
    return wrap64(a << (b & 63))


def shr(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _num(a), _num(b)
    return a >> (b & 31 if -_I32 <= a < _I32 else b & 63)


def bit_and(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None if not (a is False or b is False) else False
    return _num(a) & _num(b)


def bit_or(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None if not (a is True or b is True) else True
    return _num(a) | _num(b)


def bit_xor(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return _num(a) ^ _num(b)


def equals(a: Any, b: Any) -> bool:
    """C# `==`: by value for strings, numbers, bools and value types; by reference for collections."""
    if a is None or b is None:
        return a is b
    if isinstance(a, _REFERENCE) or isinstance(b, _REFERENCE):
        return a is b
    if isinstance(a, Char) != isinstance(b, Char):
        return _num(a) == _num(b)
    return bool(a == b)


def not_equals(a: Any, b: Any) -> bool:
    return not equals(a, b)


def _ordered(op: str):  # type: ignore[no-untyped-def]
    import operator

    fn = getattr(operator, op)

    def compare(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        return bool(fn(_num(a), _num(b)))

    return compare


lt = _ordered("lt")
le = _ordered("le")
gt = _ordered("gt")
ge = _ordered("ge")


def negate(a: Any) -> Any:
    if a is None:
        return None
    return -_num(a)


def logical_not(a: Any) -> Any:
    if a is None:
        return None
    if not isinstance(a, bool):
        raise DotNetException(
            "RuntimeBinderException", f"Operator '!' cannot be applied to a value of type '{type(a).__name__}'"
        )
    return not a


def complement(a: Any) -> Any:
    if a is None:
        return None
    return ~_num(a)


BINARY = {
    "-": sub, "*": mul, "/": div, "%": mod, "<<": shl, ">>": shr, "&": bit_and, "|": bit_or, "^": bit_xor,
    "==": equals, "!=": not_equals, "<": lt, "<=": le, ">": gt, ">=": ge, "+": add,
}  # fmt: skip
