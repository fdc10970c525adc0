from __future__ import annotations

import base64
import math
from decimal import Decimal

import pytest

from keyless.wdl.api import ExpressionError
from keyless.wdl.text import to_json_text
from tests.wdl.helpers import ev


def envelope(content_type: str, raw: bytes) -> dict[str, str]:
    return {"$content-type": content_type, "$content": base64.b64encode(raw).decode()}


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@int('  +1,000 ')", 1000),
        ("@int('1.0')", 1),
        ("@int(decimal('1.00000'))", 1),
        ("@int('1e3')", 1000),
        ("@int('100000000000000010')", 100000000000000016),  # through a double, as the host
        ("@int('nan')", -(2**63)),  # (long)NaN is Int64.MinValue
        ("@int('-9223372036854775809')", -(2**63)),
        ("@float('12,3,4,5678')", 12345678.0),
        ("@float('  200- ')", -200.0),
        ("@float('400,000', 'de-DE')", 400.0),
        ("@float('400.000', 'de-de')", 400000.0),
        ("@float('Infinity', '')", math.inf),
        ("@float('5e-350')", 0.0),
        ("@float(3)", 3.0),
        ("@decimal('5.0000')", Decimal("5.0000")),
        ("@decimal('  200- ')", Decimal(-200)),
        ("@decimal(100000.000009)", Decimal("100000.000009")),
        ("@decimal(float('0'))", Decimal(0)),
        ("@bool(-1)", True),
        ("@bool(0.0)", False),
        ("@bool(' False ')", False),
        ("@isInt('1,000')", True),
        ("@isInt('1.5')", False),
        ("@isFloat('111.222.333', 'de-de')", True),
        ("@isFloat('111.222.333')", False),
        ("@isFloat('Infinity')", True),
        ("@isFloat('Infinity', 'en-us')", False),
    ],
)
def test_numbers_parse_like_dotnet(text: str, result: object) -> None:
    got = ev(text)
    assert got == result
    assert type(got) is type(result)


@pytest.mark.parametrize(
    "text",
    [
        "@int('  200- ')",  # no trailing sign for int
        "@int('1.5')",
        "@int('9223372036854775807')",  # rounds up past Int64 through the double
        "@int(true)",
        "@int(binary('1'))",
        "@float('(200)')",
        "@float('Infinity')",  # the host's culture writes infinity as ∞
        "@decimal('3e-1')",  # no exponent for decimal
        "@decimal('7e28')",
        "@decimal('79228162514264337593543950336')",
        "@bool('yes')",
        "@bool(null)",
        "@isFloat(3.14)",
        "@float('1', 'xx-unknown')",
    ],
)
def test_invalid_conversions_fail(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)


def test_json_keeps_number_kinds_and_last_duplicate_key() -> None:
    assert to_json_text(ev("""@json('{"a":1,"f":5.0,"b":-1,"a":2}')""")) == '{"f":5.0,"b":-1,"a":2}'
    assert ev("@json('[9223372036854775808]')") == [9.223372036854776e18]


def test_json_reads_what_newtonsoft_tolerates() -> None:
    text = "@json('/* c */ {''a'': 1, b: [0x1F, 017, NaN, undefined,], // end\n}')"
    result = ev(text)
    assert list(result) == ["a", "b"]
    assert result["b"][:2] == [31, 15]
    assert math.isnan(result["b"][2])
    assert result["b"][3] is None


@pytest.mark.parametrize("text", ["", "[1 2]", "[1]x", "{a 1}", "'open", "018", "[", "tru"])
def test_json_refuses_what_is_not_json(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev("@json(variables('x'))", {"variables": {"x": text}})


def test_json_of_binary_and_null() -> None:
    assert ev("@json(binary('[1,2,3]'))") == [1, 2, 3]
    assert ev("@json(null)") == {}
    with pytest.raises(ExpressionError):
        ev("@json('{nope')")


def test_string_and_array() -> None:
    assert ev("@string(createArray(1, 'a', null))") == '[1,"a",null]'
    assert ev("@string(true)") == "True"
    assert ev("@string(base64ToBinary('aGk='))") == "hi"
    assert ev("@array('x')") == ["x"]
    assert ev("@createArray(1, 2)") == [1, 2]


def test_binary_functions() -> None:
    assert ev("@binary(true)") == envelope("application/octet-stream", b"True")
    assert ev("@binary(binary('123'))") == envelope("application/octet-stream", b"123")
    assert ev("@base64('héllo')") == base64.b64encode("héllo".encode()).decode()
    assert ev("@base64(binary('x'))") == "eA=="
    assert ev("@base64ToString('aGVsbG8gd29ybGQ=')") == "hello world"
    assert ev("@decodeBase64('aGk=')") == "hi"
    # The content is kept as written; white space is allowed in base64.
    assert ev("@base64ToBinary('aGVsbG8 gd29ybGQ=')")["$content"] == "aGVsbG8 gd29ybGQ="
    for bad in ("@base64ToBinary('aa')", "@base64ToBinary('$#[<')", "@binary(null)"):
        with pytest.raises(ExpressionError):
            ev(bad)


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@dataUri('hello')", "data:text/plain;charset=utf-8;base64,aGVsbG8="),
        ("@dataUri(1)", "data:application/json;charset=utf-8;base64,MQ=="),
        ("@dataUri(xml('<t/>'))", "data:application/xml;charset=utf-8;base64,PHQgLz4="),
        ("@dataUriToString('data:text/plain;charset=utf-8,a+b%20c')", "a b c"),
        ("@dataUriToString('data:;base64,dGVzdA==')", "test"),
        ("@dataUriToString('data:text/plain;base64;charset=ascii,dGVzdA==')", "dGVzdA=="),
    ],
)
def test_data_uris(text: str, result: object) -> None:
    assert ev(text) == result


def test_data_uri_to_binary_keeps_the_media_type() -> None:
    assert ev("@dataUriToBinary('data:text/plain;cows=moo;charset=ascii;base64,dGVzdA==')") == {
        "$content-type": "text/plain;cows=moo;charset=ascii",
        "$content": "dGVzdA==",
    }
    assert ev("@decodeDataUri('data:,a b')") == envelope("text/plain", b"a b")


@pytest.mark.parametrize(
    "text",
    [
        "@dataUriToBinary('data:badmime,x')",
        "@dataUriToBinary('data:text/plain;charset=martian;base64,eA==')",
        "@dataUriToBinary('data:text/plain;a=b=c,x')",
        "@dataUriToString('data:text/plain;charset=ascii;base64,dGVzdA==')",  # only UTF-8 text
        "@dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8%20gd29ybGQ=')",
        "@dataUriToString('no data uri')",
        "@dataUri(null)",
    ],
)
def test_invalid_data_uris_fail(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)


def test_lengths_and_uri_components() -> None:
    assert ev("@utf8Length('héllo')") == 6
    assert ev("@utf16Length('a😀')") == 3
    assert ev("@encodeUriComponent('a b/c?d=é~')") == "a%20b%2Fc%3Fd%3D%C3%A9~"
    assert ev("@uriComponent('https://contoso.com')") == "https%3A%2F%2Fcontoso.com"
    assert ev("@decodeUriComponent('a%20b+c')") == "a b+c"
    assert ev("@decodeUriComponent('%E2%82%AC%FF%zz')") == "€%FF%zz"  # invalid UTF-8 and escapes stay
    assert ev("@uriComponentToString('https%3A%2F%2Fcontoso.com')") == "https://contoso.com"
    assert ev("@uriComponentToBinary('a%20b')") == envelope("application/octet-stream", b"a b")


FORM_BODY = {
    "$content-type": "application/x-www-form-urlencoded",
    "$content": base64.b64encode(b"x=1&y=2&y=3").decode(),
    "$formdata": [{"key": "x", "value": "1"}, {"key": "y", "value": "2"}, {"key": "y", "value": "3"}],
}
MULTIPART_BODY = {
    "$content-type": "multipart/form-data; boundary=b",
    "$content": "",
    "$multipart": [
        {"headers": {"Content-Disposition": 'form-data; name="name"'}, "body": "Ann"},
        {
            "headers": {"Content-Disposition": "form-data; name=file; filename=a.bin"},
            "body": envelope("application/octet-stream", b"yz"),
        },
    ],
}


def test_form_data_from_the_trigger_and_actions() -> None:
    data = {
        "trigger": {"outputs": {"body": FORM_BODY}},
        "actions": {"Http": {"outputs": {"body": MULTIPART_BODY}}},
    }
    assert ev("@triggerFormDataValue('x')", data) == "1"
    assert ev("@triggerFormDataValue('missing')", data) is None
    assert ev("@triggerFormDataMultiValues('y')", data) == ["2", "3"]
    with pytest.raises(ExpressionError):
        ev("@triggerFormDataValue('y')", data)  # more than one value
    assert ev("@formDataValue('Http', 'name')", data) == "Ann"
    assert ev("@formDataMultiValues('Http', 'file')", data) == ["yz"]
    assert ev("@multipartBody('Http', 1)", data) == envelope("application/octet-stream", b"yz")
    with pytest.raises(ExpressionError):
        ev("@multipartBody('Http', 2)", data)
    with pytest.raises(ExpressionError):
        ev("@triggerMultipartBody(0)", data)  # the trigger body is not multipart
