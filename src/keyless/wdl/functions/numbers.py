"""formatNumber(number, format, locale?): `number.ToString(format, culture)` with .NET's standard (C, D, E, F, G,
N, P, R, X) and custom (`0.00`, `#,##0`) numeric format strings; the locale defaults to en-US."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from keyless.csharp.dotnet.text import format_number
from keyless.csharp.errors import DotNetException
from keyless.wdl.functions._args import fail, wrong_type
from keyless.wdl.functions.registry import function
from keyless.wdl.functions.timestamps import culture_arg, optional_string, string_arg
from keyless.wdl.values import is_bool, type_name

_FN = "formatNumber"


def _hex_operand(value: int, fmt: str) -> int:
    # WDL integers are Int64: "X" prints a negative one as its 64-bit two's complement (-1 -> FFFFFFFFFFFFFFFF)
    return value + 2**64 if value < 0 and fmt[:1] in "xX" else value


@function(_FN, 2, 3)
def format_number_fn(ctx: Any, args: list[Any]) -> str:
    number = args[0]
    if is_bool(number) or not isinstance(number, (int, float, Decimal)):
        wrong_type(_FN, "a number", number, 1)
    fmt = string_arg(_FN, args, 1)
    culture = culture_arg(_FN, optional_string(_FN, args, 2))
    if isinstance(number, int):
        number = _hex_operand(number, fmt)
    try:
        return format_number(number, fmt, culture)
    except (DotNetException, ValueError, ArithmeticError):
        fail(
            _FN,
            f"was given the format '{fmt}', which is not a valid .NET numeric format string for a value of type "
            f"'{type_name(args[0])}'",
        )
