from __future__ import annotations

import pytest

from keyless.wdl.errors import ExpressionSyntaxError
from keyless.wdl.nodes import Call, Literal, Member
from keyless.wdl.parser import parse_expression


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1),
        ("-51", -51),
        ("+54", 54),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e3", 1000.0),
        ("3.2e-1", 0.32),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
        ("'don''t'", "don't"),
        ("''", ""),
        ("'a}b'", "a}b"),
        ("null", None),
        ("TRUE", True),
        ("false", False),
    ],
)
def test_literals(text: str, value: object) -> None:
    node = parse_expression(text)
    assert isinstance(node, Literal)
    assert node.value == value
    assert type(node.value) is type(value)


def test_call_with_derefs_and_dotnet_whitespace() -> None:
    node = parse_expression("\u3000body( 'x' ,\t1 ) ?. a [ 0 ]?['b']")
    assert isinstance(node, Member) and node.safe and not node.dotted
    assert isinstance(node.key, Literal) and node.key.value == "b"
    inner = node.target
    assert isinstance(inner, Member) and not inner.safe and isinstance(inner.key, Literal) and inner.key.value == 0
    dotted = inner.target
    assert isinstance(dotted, Member) and dotted.safe and dotted.dotted and dotted.key.value == "a"
    call = dotted.target
    assert isinstance(call, Call) and call.name == "body"
    assert [arg.value for arg in call.args] == ["x", 1]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "()",
        "concat",
        "concat('a','b')('c')",
        "+",
        "1e",
        "1e+",
        "1e1.1",
        "++1",
        "--1",
        "'a','b'",
        "'open",
        "f(1,",
        "f(1 2)",
        "x.",
        "x?",
        "f()?",
        "f()[1",
        '"double"',
        "9223372036854775808",
        "-9223372036854775809",
        'string( { "name": 1 } )',
        "1.foo",
    ],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        parse_expression(text)


def test_error_position_is_offset_into_the_string_value() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression("concat('a' 'b')", offset=1)
    assert caught.value.position == 1 + len("concat('a' ")
    assert "concat('a' 'b')" in caught.value.message


def test_overflowing_integer_names_the_literal() -> None:
    with pytest.raises(ExpressionSyntaxError, match="9223372036854775808"):
        parse_expression("add(9223372036854775808, 1)")


def test_nesting_limit_is_a_syntax_error() -> None:
    deep = "concat(" * 150 + "'x'" + ")" * 150
    assert isinstance(parse_expression(deep), Call)
    with pytest.raises(ExpressionSyntaxError, match="nested more than 200"):
        parse_expression("concat(" * 201 + "'x'" + ")" * 201)
