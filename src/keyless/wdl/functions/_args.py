"""Argument checks shared by the function groups, with Logic Apps' wording for what was expected."""

from __future__ import annotations

from typing import Any, NoReturn

from keyless.wdl.errors import ExpressionError
from keyless.wdl.values import is_bool, is_integer, type_name

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def fail(fn: str, message: str) -> NoReturn:
    raise ExpressionError(
        f"The template language function '{fn}' {message}. Please see https://aka.ms/logicexpressions#{fn.lower()} "
        "for usage details."
    )


def wrong_type(fn: str, expectation: str, value: Any, index: int | None = None) -> NoReturn:
    """`expects its parameter to be an array or a string. The provided value is of type 'Object'`."""
    which = "its parameter" if index is None else f"its {ORDINALS.get(index, f'#{index}')} parameter"
    fail(fn, f"expects {which} to be {expectation}. The provided value is of type '{type_name(value)}'")


def string_arg(fn: str, value: Any, index: int | None = None) -> str:
    if not isinstance(value, str):
        wrong_type(fn, "of type string", value, index)
    return value


def int_arg(fn: str, value: Any, index: int | None = None) -> int:
    if not is_integer(value):
        wrong_type(fn, "an integer", value, index)
    return value


def bool_arg(fn: str, value: Any, index: int | None = None) -> bool:
    if not is_bool(value):
        wrong_type(fn, "a boolean", value, index)
    return value


def object_arg(fn: str, value: Any, index: int | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        wrong_type(fn, "of type object", value, index)
    return value


def array_arg(fn: str, value: Any, index: int | None = None) -> list[Any]:
    if not isinstance(value, list):
        wrong_type(fn, "of type array", value, index)
    return value
