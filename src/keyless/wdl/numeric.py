""".NET number kinds for arithmetic: Int64 (checked), Double (IEEE) and System.Decimal (28-29 digits, ±7.9e28).

An operation takes the widest kind of its operands: decimal, else double, else integer. Int64 and decimal
overflow raise ExpressionError (Logic Apps fails the expression); doubles overflow to Infinity as .NET does.
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.values import INT64_MAX, INT64_MIN

DECIMAL_MAX = Decimal("79228162514264337593543950335")
# .NET decimal keeps at most 28-29 significant digits; 28 is the precision every value fits.
DECIMAL_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, Emax=99, Emin=-99)


def check_int64(value: int, what: str = "The result") -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ExpressionError(f"{what} is outside the range of a 64-bit integer (arithmetic overflow).")
    return value


def check_decimal(value: Decimal, what: str = "The result") -> Decimal:
    if not value.is_finite() or abs(value) > DECIMAL_MAX:
        raise ExpressionError(f"{what} is too large or too small for a Decimal (arithmetic overflow).")
    if value.as_tuple().exponent < -28:  # type: ignore[operator]
        value = value.quantize(Decimal(1).scaleb(-28), context=DECIMAL_CONTEXT)
    return value


def float_to_decimal(value: float) -> Decimal:
    """(decimal)double in .NET: 15 significant digits, trailing zeros dropped, overflow an error."""
    if math.isnan(value) or math.isinf(value) or abs(value) > float(DECIMAL_MAX):
        raise ExpressionError(f"The value {value!r} is too large or too small for a Decimal (arithmetic overflow).")
    result = Decimal(format(value, ".15g")).normalize()
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        result = result.quantize(Decimal(1))
    return check_decimal(result)


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return float_to_decimal(value)
    return Decimal(value)


def to_float(value: Any) -> float:
    return float(value)


def kind_of(*values: Any) -> type:
    """The kind an operation on `values` computes in: Decimal, float or int."""
    if any(isinstance(value, Decimal) for value in values):
        return Decimal
    if any(isinstance(value, float) for value in values):
        return float
    return int


def coerce(kind: type, value: Any) -> Any:
    if kind is Decimal:
        return to_decimal(value)
    if kind is float:
        return float(value)
    return value
