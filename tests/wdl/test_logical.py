from __future__ import annotations

import pytest

from keyless.wdl.api import ExpressionError
from tests.wdl.helpers import ev


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@equals(1, 1.0)", True),
        ("@equals(1, decimal('1.00'))", True),
        ("@equals('a', 'A')", False),
        ("@equals(true, 1)", True),
        ("@equals(false, 0)", True),
        ("@equals('true', true)", True),
        ("@equals('True', true)", False),
        ("@equals(null, null)", True),
        ("@equals(null, '')", True),
        ("@equals(null, 0)", False),
        ("@less(null, 'a')", True),
        ("@equals(1, '1')", False),
        ("@equals(createArray(1, 'a'), createArray(1.0, 'a'))", True),
        ('@equals(json(\'{"a":1,"b":2}\'), json(\'{"b":2,"a":1}\'))', True),
        ("@equals(json('{\"a\":1}'), json('{\"a\":2}'))", False),
        ("@less(1, 1.5)", True),
        ("@less('B', 'a')", True),
        ("@lessOrEquals(2, 2)", True),
        ("@greater('b', 'a')", True),
        ("@greaterOrEquals(decimal('2.5'), 2)", True),
        ("@not(false)", True),
        ("@and(true, true, true)", True),
        ("@or(false, false, true)", True),
        ("@if(equals(1, 2), 'yes', 'no')", "no"),
    ],
)
def test_logical(text: str, result: object) -> None:
    assert ev(text) == result


@pytest.mark.parametrize(
    "text",
    [
        "@less(1, '2')",
        "@greater(null, 1)",
        "@less(true, false)",
        "@greater(float('NaN'), 1)",
        "@not(1)",
        "@and(true, 'true')",
        "@if('yes', 1, 2)",
    ],
)
def test_incomparable_or_not_boolean(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)


def test_short_circuit() -> None:
    assert ev("@or(true, nope())") is True
    assert ev("@and(false, nope())") is False
    assert ev("@if(false, nope(), 2)") == 2
    with pytest.raises(ExpressionError, match="'nope' is not defined"):
        ev("@and(true, nope())")
