"""Equality and ordering of WDL values (§5.3), shared by the logical and collection functions."""

from __future__ import annotations

import math
from typing import Any

from keyless.wdl.functions._args import fail
from keyless.wdl.values import is_bool, is_number, type_name


def null_as_text(left: Any, right: Any) -> tuple[Any, Any]:
    """Logical comparisons read null as "" when the other side is a string (the docs' note on logical
    functions), so `equals(null, '')` is true and `less(null, 'a')` compares "" with 'a'."""
    if left is None and isinstance(right, str):
        return "", right
    if right is None and isinstance(left, str):
        return left, ""
    return left, right


def loose_equals(left: Any, right: Any) -> bool:
    """`equals()`: numbers by value across int/float/decimal, a boolean equals its JSON text (`'true'`, ordinal)
    and the numbers 1/0, strings ordinally, null as "" against a string, arrays and objects element by element."""
    left, right = null_as_text(left, right)
    if is_bool(left) or is_bool(right):
        if is_bool(left) and is_bool(right):
            return left is right
        other, flag = (right, left) if is_bool(left) else (left, right)
        if isinstance(other, str):
            return other == ("true" if flag else "false")
        if is_number(other):
            return other == (1 if flag else 0)
        return False
    return _equal(left, right, loose_equals)


def data_equals(left: Any, right: Any) -> bool:
    """Equality of JSON data (contains, union, intersection): like `equals` but a boolean equals only a boolean."""
    if is_bool(left) or is_bool(right):
        return is_bool(left) and is_bool(right) and left is right
    return _equal(left, right, data_equals)


def _equal(left: Any, right: Any, inner) -> bool:
    if is_number(left) and is_number(right):
        return left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(inner(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        if len(left) != len(right):
            return False
        return all(key in right and inner(value, right[key]) for key, value in left.items())
    return False


def order(fn: str, left: Any, right: Any) -> int:
    """-1, 0 or 1 for two numbers or two strings (ordinal); anything else cannot be compared."""
    left, right = null_as_text(left, right)
    if is_number(left) and is_number(right):
        if (isinstance(left, float) and math.isnan(left)) or (isinstance(right, float) and math.isnan(right)):
            fail(fn, "cannot compare NaN with a number")
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str):
        left_key, right_key = utf16_key(left), utf16_key(right)
        return (left_key > right_key) - (left_key < right_key)
    fail(
        fn,
        "expects parameters of matching types that can be compared (integers, floats or strings). The provided "
        f"values are of types '{type_name(left)}' and '{type_name(right)}'",
    )


def utf16_key(text: str) -> str | bytes:
    """.NET orders strings by UTF-16 code unit; only characters beyond the BMP order differently from Python."""
    if text.isascii() or max(text) < "\U00010000":
        return text
    return text.encode("utf-16-be")
