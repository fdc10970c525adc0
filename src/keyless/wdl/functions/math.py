"""Math functions (§5.4 group math) over .NET number kinds (see wdl/numeric.py)."""

from __future__ import annotations

import math
import random
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions._args import fail, int_arg, wrong_type
from keyless.wdl.functions.registry import function
from keyless.wdl.numeric import DECIMAL_CONTEXT, check_decimal, check_int64, coerce, kind_of
from keyless.wdl.values import INT64_MAX, is_number

RANGE_MAX_COUNT = 100_000


def _numbers(fn: str, args: list) -> tuple[type, list[Any]]:
    for index, value in enumerate(args, 1):
        if not is_number(value):
            wrong_type(fn, "an integer, a float or a decimal number", value, index if len(args) > 1 else None)
    kind = kind_of(*args)
    return kind, [coerce(kind, value) for value in args]


def _decimal(op, left: Decimal, right: Decimal) -> Decimal:
    try:
        return check_decimal(op(left, right))
    except (InvalidOperation, DivisionByZero, ArithmeticError) as error:
        if isinstance(error, ExpressionError):
            raise
        raise ExpressionError("The result is too large or too small for a Decimal (arithmetic overflow).") from None


def _binary(fn: str, args: list, int_op, float_op, decimal_op) -> Any:
    kind, (left, right) = _numbers(fn, args)
    if kind is int:
        return check_int64(int_op(left, right))
    if kind is float:
        return float_op(left, right)
    return _decimal(decimal_op, left, right)


@function("add", 2, 2)
def add(ctx: Any, args: list) -> Any:
    return _binary("add", args, lambda a, b: a + b, lambda a, b: a + b, DECIMAL_CONTEXT.add)


@function("sub", 2, 2)
def sub(ctx: Any, args: list) -> Any:
    return _binary("sub", args, lambda a, b: a - b, lambda a, b: a - b, DECIMAL_CONTEXT.subtract)


@function("mul", 2, 2)
def mul(ctx: Any, args: list) -> Any:
    return _binary("mul", args, lambda a, b: a * b, lambda a, b: a * b, DECIMAL_CONTEXT.multiply)


def _nonzero(fn: str, divisor: Any) -> None:
    if divisor == 0:
        fail(fn, "cannot divide by zero: the divisor (second parameter) is 0")


def _int_div(a: int, b: int) -> int:
    # C# integer division truncates toward zero.
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def _int_mod(a: int, b: int) -> int:
    # C# remainder takes the sign of the dividend: mod(-5, 2) = -1.
    remainder = abs(a) % abs(b)
    return -remainder if a < 0 else remainder


@function("div", 2, 2)
def div(ctx: Any, args: list) -> Any:
    _numbers("div", args)
    _nonzero("div", args[1])
    return _binary("div", args, _int_div, lambda a, b: a / b, DECIMAL_CONTEXT.divide)


@function("mod", 2, 2)
def mod(ctx: Any, args: list) -> Any:
    _numbers("mod", args)
    _nonzero("mod", args[1])
    return _binary("mod", args, _int_mod, math.fmod, DECIMAL_CONTEXT.remainder)


def _extreme(fn: str, args: list, pick) -> Any:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not values:
        fail(fn, "expects an array with at least one number, or at least one number")
    _kind, numbers = _numbers(fn, values)
    for value in numbers:
        if isinstance(value, float) and math.isnan(value):
            return value
    return pick(numbers)


@function("min", 1, None)
def min_(ctx: Any, args: list) -> Any:
    return _extreme("min", args, min)


@function("max", 1, None)
def max_(ctx: Any, args: list) -> Any:
    return _extreme("max", args, max)


@function("rand", 2, 2)
def rand(ctx: Any, args: list) -> int:
    low = int_arg("rand", args[0], 1)
    high = int_arg("rand", args[1], 2)
    if low > high:
        fail("rand", "expects its minimum value (first parameter) not to be greater than its maximum value")
    if low == high:
        return low
    return random.randrange(low, high)  # maxValue is exclusive, as .NET Random.Next(min, max)


@function("range", 2, 2)
def range_(ctx: Any, args: list) -> list[int]:
    start = int_arg("range", args[0], 1)
    count = int_arg("range", args[1], 2)
    if count < 0 or count > RANGE_MAX_COUNT:
        fail("range", f"expects its count (second parameter) to be between 0 and {RANGE_MAX_COUNT}, not {count}")
    if start + count - 1 > INT64_MAX:
        fail("range", "produces integers beyond the range of a 64-bit integer")
    return list(range(start, start + count))
