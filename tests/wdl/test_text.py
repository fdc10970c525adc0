from __future__ import annotations

from decimal import Decimal

import pytest

from keyless.wdl.text import format_float, to_json_text, to_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-1.0, "-1"),
        (30.0, "30"),
        (0.5, "0.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e14, "100000000000000"),
        (1e15, "1E+15"),
        (123456789012345680.0, "1.2345678901234568E+17"),
        (0.0001, "0.0001"),
        (0.00001, "1E-05"),
        (5e-324, "5E-324"),
        (1.7e308, "1.7E+308"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        (float("nan"), "NaN"),
        (0.0, "0"),
    ],
)
def test_double_like_dotnet(value: float, text: str) -> None:
    assert format_float(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "True"),
        (False, "False"),
        ("s", "s"),
        (-9223372036854775808, "-9223372036854775808"),
        (Decimal("5.0000"), "5.0000"),
        (Decimal("70000000000000000000000000000"), "70000000000000000000000000000"),
        ([1, 2.0, "a", None, True], '[1,2.0,"a",null,true]'),
        ({"f": 5.0, "d": Decimal("5"), "s": 'é\n"'}, '{"f":5.0,"d":5.0,"s":"é\\n\\""}'),
        ({"$content-type": "application/octet-stream", "$content": "dGVzdA=="}, "test"),
    ],
)
def test_to_text(value: object, text: str) -> None:
    assert to_text(value) == text


def test_json_text_marks_doubles() -> None:
    assert to_json_text([5.0, 1e20, Decimal("2.50"), 3]) == "[5.0,1E+20,2.50,3]"
    assert to_json_text("x") == '"x"'
    assert to_json_text(float("nan")) == '"NaN"'
