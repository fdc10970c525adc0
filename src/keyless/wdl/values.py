"""The value model shared by the expression language and the workflow engine.

Expression values are JSON values in Python, with .NET's number kinds kept apart because functions depend on
them (`div(11,5)` = 2, `div(11,5.0)` = 2.2, `@{1.0}` = "1"):

| WDL / JSON          | Python                                   |
|---------------------|------------------------------------------|
| null                | None                                     |
| boolean             | bool (test `is_bool` before `is_integer`: bool is an int in Python) |
| integer (Int64)     | int, within [-2**63, 2**63-1]            |
| float (Double)      | float                                    |
| decimal (`decimal()`) | decimal.Decimal                        |
| string              | str                                      |
| array               | list                                     |
| object              | dict (insertion order kept; keys are str) |

Binary content travels as a content envelope, a dict `{"$content-type": "...", "$content": "<base64>"}`
(the engine's and the functions' common form for `binary()`, `base64ToBinary()`, non-JSON HTTP bodies).
Timestamps are strings. Values handed to and returned by functions are never mutated in place.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

CONTENT_TYPE = "$content-type"
CONTENT = "$content"


def is_bool(value: Any) -> bool:
    return value is True or value is False


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return (isinstance(value, (int, float, Decimal))) and not isinstance(value, bool)


def is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and CONTENT in value and CONTENT_TYPE in value


def type_name(value: Any) -> str:
    """The WDL type name used in error messages (`Integer`, `String`, ...), as Logic Apps spells them."""
    if value is None:
        return "Null"
    if is_bool(value):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, Decimal):
        return "Decimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__
