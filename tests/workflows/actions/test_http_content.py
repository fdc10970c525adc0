"""Bodies <-> WDL values: the shapes a real Standard host produced (ILL traces in corpus/logicapps/traces)."""

from __future__ import annotations

import base64

import pytest

from keyless.workflows.outbound.content import body_present, decode_body, encode_body
from keyless.workflows.outbound.headers import is_dropped, response_headers, status_name

BOUNDARY = "------------------------JY70qpritNtlYfQffZt3Yc"


def _multipart() -> bytes:
    parts = [
        (b'Content-Disposition: form-data; name="x"', b"y=z"),
        (b"Content-Disposition: form-data", b"=="),
        (
            b'Content-Disposition: form-data; name="rust"; filename="test.rs"\r\nContent-Type: text/rust',
            b"fn main() {}\n",
        ),
    ]
    out = b""
    for head, data in parts:
        out += b"--" + BOUNDARY.encode() + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n"
    return out + b"--" + BOUNDARY.encode() + b"--\r\n"


def test_json_is_parsed_only_when_the_content_type_says_json() -> None:
    assert decode_body(b'{"a":[1,2.5]}', "application/json; charset=utf-8") == {"a": [1, 2.5]}
    assert decode_body(b"null", "application/json") is None
    assert decode_body(b'{"a":1}', "text/plain") == '{"a":1}'
    assert decode_body(b'{"a":1}', None) == {"$content-type": "application/octet-stream", "$content": "eyJhIjoxfQ=="}


def test_text_types_decode_with_their_charset() -> None:
    assert decode_body("caf\u00e9".encode("latin-1"), "text/html; charset=iso-8859-1") == "caf\u00e9"
    assert decode_body(b"\xef\xbb\xbfhi", "text/plain") == "hi"


def test_other_types_become_content_envelopes() -> None:
    png = bytes([0x89, 0x50, 0x4E, 0x47, 0, 255])
    assert decode_body(png, "image/png") == {"$content-type": "image/png", "$content": base64.b64encode(png).decode()}
    xml = decode_body(b"<a/>", "application/xml")
    assert xml == {"$content-type": "application/xml", "$content": "PGEvPg=="}


def test_an_empty_body_without_content_type_has_no_body_key() -> None:
    assert not body_present(b"", None)
    assert body_present(b"", "text/plain")
    assert decode_body(b"", "text/plain") == ""


def test_form_urlencoded_lists_every_field_as_the_real_host_does() -> None:
    body = b"test&x=y=z&&&===&a+b=%41"
    decoded = decode_body(body, "application/x-www-form-urlencoded")
    assert decoded["$content"] == base64.b64encode(body).decode()
    assert decoded["$formdata"] == [
        {"key": "test", "value": ""},
        {"key": "x", "value": "y=z"},
        {"key": "", "value": ""},
        {"key": "", "value": ""},
        {"key": "", "value": "=="},
        {"key": "a b", "value": "A"},
    ]


def test_multipart_parts_decode_with_their_own_content_type() -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    decoded = decode_body(_multipart(), content_type)
    assert decoded["$content-type"] == content_type
    assert decoded["$multipart"] == [
        {
            "headers": {"Content-Disposition": 'form-data; name="x"', "Content-Length": "3"},
            "body": {"$content-type": "application/octet-stream", "$content": "eT16"},
        },
        {
            "headers": {"Content-Disposition": "form-data", "Content-Length": "2"},
            "body": {"$content-type": "application/octet-stream", "$content": "PT0="},
        },
        {
            "headers": {
                "Content-Disposition": 'form-data; name="rust"; filename="test.rs"',
                "Content-Type": "text/rust",
                "Content-Length": "13",
            },
            "body": "fn main() {}\n",
        },
    ]


def test_malformed_multipart_stays_a_plain_envelope() -> None:
    decoded = decode_body(b"not multipart", f"multipart/form-data; boundary={BOUNDARY}")
    assert "$multipart" not in decoded and decoded["$content"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (None, None)),
        ("hi", (b"hi", "text/plain; charset=utf-8")),
        ({"a": [1, 2.5, True, None]}, (b'{"a":[1,2.5,true,null]}', "application/json; charset=utf-8")),
        (7, (b"7", "application/json; charset=utf-8")),
        ({"$content-type": "image/png", "$content": "AAH/"}, (b"\x00\x01\xff", "image/png")),
        (
            {"$content-type": "application/x-www-form-urlencoded", "$formdata": [{"key": "a b", "value": "x&y"}]},
            (b"a+b=x%26y", "application/x-www-form-urlencoded"),
        ),
    ],
)
def test_encode_body_defaults(value: object, expected: tuple[bytes | None, str | None]) -> None:
    assert encode_body(value, {}) == expected


def test_a_content_type_header_wins_over_the_default() -> None:
    assert encode_body('{"raw":1}', {"content-type": "application/json"}) == (b'{"raw":1}', "application/json")


def test_encoded_multipart_round_trips_through_decode() -> None:
    value = {
        "$content-type": "multipart/form-data",
        "$multipart": [
            {"headers": {"Content-Disposition": "form-data; name=note"}, "body": "hello"},
            {"headers": {"Content-Disposition": "form-data; name=obj"}, "body": {"k": 1}},
        ],
    }
    body, content_type = encode_body(value, {})
    assert content_type is not None and content_type.startswith("multipart/form-data; boundary=")
    parts = decode_body(body or b"", content_type)["$multipart"]
    assert [p["body"] for p in parts] == ["hello", {"k": 1}]


def test_invalid_envelope_content_is_refused() -> None:
    with pytest.raises(ValueError, match="base64"):
        encode_body({"$content-type": "image/png", "$content": "***"}, {})


def test_status_names_are_dotnet_enum_names() -> None:
    assert [status_name(s) for s in (200, 202, 204, 408, 429, 502, 599)] == [
        "OK",
        "Accepted",
        "NoContent",
        "RequestTimeout",
        "TooManyRequests",
        "BadGateway",
        "599",
    ]


@pytest.mark.parametrize(
    ("name", "dropped"),
    [
        ("Accept-Language", True),
        ("Content-Length", True),
        ("Content-Type", False),
        ("content-disposition", False),
        ("Content-Encoding", False),
        ("Host", True),
        ("Cookie", True),
        ("Origin", True),
        ("Transfer-Encoding", True),
        ("Accept", False),
        ("Authorization", False),
        ("x-custom", False),
    ],
)
def test_dropped_request_headers(name: str, dropped: bool) -> None:
    assert is_dropped(name) is dropped


def test_repeated_response_headers_join_with_commas() -> None:
    assert response_headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X", "y")]) == {
        "Set-Cookie": "a=1,b=2",
        "X": "y",
    }
