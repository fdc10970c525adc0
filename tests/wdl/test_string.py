from __future__ import annotations

import re
import uuid

import pytest

from keyless.wdl.api import ExpressionError, evaluate_text
from keyless.wdl.static_context import StaticContext
from tests.wdl.helpers import ev


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@concat('a', 1, true, null, 2.0, createArray(1))", "a1True2[1]"),
        ("@substring('hello', 1, 3)", "ell"),
        ("@substring('hello', 5)", ""),
        ("@slice('hello', 1, -1)", "ell"),
        ("@replace('a.b.c', '.', '')", "abc"),
        ("@replace('aAa', 'a', 'x')", "xAx"),
        ("@toLower('ÀB')", "àb"),
        ("@toUpper('straße')", "STRAßE"),
        ("@indexOf('Hello World', 'WORLD')", 6),
        ("@indexOf('abc', '')", 0),
        ("@indexOf('abc', 'z')", -1),
        ("@lastIndexOf('hello world hello world', 'World')", 18),
        ("@nthIndexOf('123456789123465789', '1', 2)", 9),
        ("@nthIndexOf('aaaa', 'aa', 2)", 1),
        ("@nthIndexOf('abcabc', 'b', -1)", 4),
        ("@nthIndexOf('abcabc', 'b', 3)", -1),
        ("@startsWith('Hello', 'hE')", True),
        ("@endsWith('Hello', 'LO')", True),
        ("@split('a||b', '||')", ["a", "b"]),
        ("@trim('\u00a0 x \u2003')", "x"),
        ("@trimByteOrderMark('\ufeffabc')", "abc"),
    ],
)
def test_strings(text: str, result: object) -> None:
    assert ev(text) == result


@pytest.mark.parametrize(
    "text",
    [
        "@substring('abc', 2, 2)",
        "@substring('abc', -1)",
        "@replace('abc', '', 'x')",
        "@toLower(1)",
        "@indexOf(null, 'a')",
        "@split('a,b', 1)",
        "@trim(1)",
        "@nthIndexOf('abc', 'a', 0)",
        "@guid('Q')",
    ],
)
def test_string_errors(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)


class FixedGuid(StaticContext):
    def new_guid(self) -> uuid.UUID:
        return uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@guid()", "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("@guid('N')", "0f8fad5bd9cb469fa16570867728950e"),
        ("@guid('b')", "{0f8fad5b-d9cb-469f-a165-70867728950e}"),
        ("@guid('P')", "(0f8fad5b-d9cb-469f-a165-70867728950e)"),
        ("@guid('X')", "{0x0f8fad5b,0xd9cb,0x469f,{0xa1,0x65,0x70,0x86,0x77,0x28,0x95,0x0e}}"),
    ],
)
def test_guid_formats(text: str, result: str) -> None:
    assert evaluate_text(text, FixedGuid()) == result


def test_guid_uses_a_new_value_each_time() -> None:
    first, second = ev("@guid()"), ev("@guid()")
    assert first != second
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", first)
