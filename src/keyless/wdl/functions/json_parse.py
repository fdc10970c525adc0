"""`json('...')` text parsing with the value model's number kinds and Logic Apps' object rules.

Integers within Int64 stay `int`, anything with a point or exponent is a `float` (so `json('{"f":5.0}')` writes
back as `5.0`), integers beyond Int64 become floats. A repeated key keeps its last value and moves to the end
(`{"a":1,"b":-1,"a":2}` is `{"b":-1,"a":2}`), which is what the host's ordered object does.
"""

from __future__ import annotations

import json
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.values import INT64_MAX, INT64_MIN


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        result.pop(key, None)  # last one wins and moves to the end
        result[key] = value
    return result


def _integer(text: str) -> int | float:
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else float(value)


def parse_json_text(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=_integer, parse_float=float)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ExpressionError(
            f"The template language function 'json' parameter is not valid. The provided value '{text}' cannot "
            f"be parsed: '{exc}'."
        ) from exc
