from __future__ import annotations

import pytest

from keyless.wdl.api import ExpressionError, ExpressionSyntaxError, compile_template
from tests.wdl.helpers import ev


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@contains('abc', 'b')", True),
        ("@contains('abc', 'B')", False),
        ("@contains(createArray(1, 'a'), 1.0)", True),
        ("@contains(createArray(1, 'a'), true)", False),
        ("@contains(json('{\"Key\":1}'), 'key')", True),
        ("@length('héllo')", 5),
        ("@empty(null)", True),
        ("@empty(json('{}'))", True),
        ("@first(createArray(4, 5))", 4),
        ("@last('xyz')", "z"),
        ("@take(createArray(1, 2, 3), 2)", [1, 2]),
        ("@skip(createArray(1, 2, 3), 2)", [3]),
        ("@skip('hello', 10)", ""),
        ("@reverse(createArray(1, 2))", [2, 1]),
        ("@join(createArray('a', 1, null, true, 1.5), '-')", "a-1--True-1.5"),
        ("@chunk('abcde', 2)", ["ab", "cd", "e"]),
        ("@chunk(createArray(1, 2, 3), 2)", [[1, 2], [3]]),
        ("@sort(createArray(3, 1.5, 2))", [1.5, 2, 3]),
        ("@sort(createArray('b', 'B', 'a'))", ["B", "a", "b"]),
        (
            '@sort(json(\'[{"n":2,"k":"x"},{"n":1,"k":"y"},{"n":2,"k":"z"}]\'), \'N\')',
            [{"n": 1, "k": "y"}, {"n": 2, "k": "x"}, {"n": 2, "k": "z"}],
        ),
        (
            "@union(createArray(1, 2), createArray(2, 3), createArray(json('{\"a\":1}'), json('{\"a\":1}')))",
            [1, 2, 3, {"a": 1}],
        ),
        ("@intersection(createArray(1, 2, 3), createArray(3, 1.0), createArray(1, 3))", [1, 3]),
        ('@union(json(\'{"a":1,"b":2}\'), json(\'{"a":3}\'))', {"a": 3, "b": 2}),
        ('@intersection(json(\'{"a":1,"b":2}\'), json(\'{"a":1,"b":3}\'))', {"a": 1}),
    ],
)
def test_collection(text: str, result: object) -> None:
    assert ev(text) == result


@pytest.mark.parametrize(
    "text",
    [
        "@length(1)",
        "@empty(0)",
        "@first(json('{}'))",
        "@take('abc', -1)",
        "@reverse('abc')",
        "@join('abc', ',')",
        "@join(createArray('a'), null)",
        "@chunk('abc', 0)",
        "@sort(createArray(1, 'a'))",
        "@sort(createArray(1, 2), 'k')",
        "@union(createArray(1), json('{}'))",
        "@contains('abc', 1)",
        "@contains(1, 1)",
    ],
)
def test_collection_errors(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)


def test_union_of_large_arrays() -> None:
    result = ev("@union(range(0, 50000), range(25000, 50000))")
    assert result == list(range(75000))


@pytest.mark.parametrize("text", ["@union(createArray(1))", "@intersection(createArray(1))"])
def test_set_functions_need_two_collections(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match="at least two parameters"):
        compile_template(text)
