from __future__ import annotations

from decimal import Decimal

import pytest

from keyless.wdl.api import ExpressionError
from tests.wdl.helpers import ev


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@add(1, 2)", 3),
        ("@add(1, 1.5)", 2.5),
        ("@sub(10.3, .3)", 10.0),
        ("@mul(3, 4)", 12),
        ("@div(11, 5)", 2),
        ("@div(-11, 5)", -2),
        ("@div(11, 5.0)", 2.2),
        ("@mod(-5, 2)", -1),
        ("@mod(5, -2)", 1),
        ("@mod(5.5, 2)", 1.5),
        ("@add(9223372036854775806, 1)", 9223372036854775807),
        ("@mul(1e308, 2)", float("inf")),
        ("@min(3, 1, 2)", 1),
        ("@max(createArray(3, 7, 2))", 7),
        ("@max(1, 2.5)", 2.5),
        ("@range(3, 4)", [3, 4, 5, 6]),
        ("@range(0, 0)", []),
    ],
)
def test_math(text: str, result: object) -> None:
    value = ev(text)
    assert value == result
    assert type(value) is type(result)


def test_decimal_arithmetic_keeps_decimal() -> None:
    value = ev("@add(decimal('0.1'), 0.2)")
    assert value == Decimal("0.3") and isinstance(value, Decimal)
    assert ev("@{mul(decimal('4294967295'), 4294967295.0)}") == "18446744065119617025"
    assert ev("@string(add(decimal(float('0')), float('3')))") == "3"


@pytest.mark.parametrize(
    "text",
    [
        "@add(9223372036854775807, 1)",
        "@sub(-9223372036854775808, 1)",
        "@mul(4294967295, 4294967295)",
        "@div(-9223372036854775808, -1)",
        "@div(1, 0)",
        "@mod(1, 0)",
        "@div(1.0, 0)",
        "@mul(decimal('70000000000000000000000000000'), 10)",
        "@add('1', 2)",
        "@add(true, 2)",
        "@max(json('[]'))",
        "@max(1, 'a')",
        "@range(0, 100001)",
        "@range(0, -1)",
        "@rand(5, 1)",
    ],
)
def test_math_errors(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)


def test_rand_stays_in_range() -> None:
    values = {ev("@rand(1, 4)") for _ in range(200)}
    assert values <= {1, 2, 3}
    assert ev("@rand(5, 5)") == 5
