"""Logical comparison functions (§5.4 group logical, except isInt/isFloat which parse numbers)."""

from __future__ import annotations

from typing import Any

from keyless.wdl.functions._args import bool_arg
from keyless.wdl.functions._compare import loose_equals, order
from keyless.wdl.functions.registry import function


@function("if", 3, 3, lazy=True)
def if_(ctx: Any, thunks: list) -> Any:
    condition = bool_arg("if", thunks[0](), 1)
    return thunks[1]() if condition else thunks[2]()


@function("and", 1, None, lazy=True)
def and_(ctx: Any, thunks: list) -> bool:
    # Left to right, stopping at the first false: later arguments are never evaluated.
    for index, thunk in enumerate(thunks, 1):
        if not bool_arg("and", thunk(), index):
            return False
    return True


@function("or", 1, None, lazy=True)
def or_(ctx: Any, thunks: list) -> bool:
    for index, thunk in enumerate(thunks, 1):
        if bool_arg("or", thunk(), index):
            return True
    return False


@function("not", 1, 1)
def not_(ctx: Any, args: list) -> bool:
    return not bool_arg("not", args[0])


@function("equals", 2, 2)
def equals(ctx: Any, args: list) -> bool:
    return loose_equals(args[0], args[1])


@function("less", 2, 2)
def less(ctx: Any, args: list) -> bool:
    return order("less", args[0], args[1]) < 0


@function("lessOrEquals", 2, 2)
def less_or_equals(ctx: Any, args: list) -> bool:
    return order("lessOrEquals", args[0], args[1]) <= 0


@function("greater", 2, 2)
def greater(ctx: Any, args: list) -> bool:
    return order("greater", args[0], args[1]) > 0


@function("greaterOrEquals", 2, 2)
def greater_or_equals(ctx: Any, args: list) -> bool:
    return order("greaterOrEquals", args[0], args[1]) >= 0
