"""HTTP bodies <-> WDL values, as the Logic Apps runtime converts them (reference §2.1, §3.1).

Decoding follows the Content-Type only, never sniffing (`application/json` is parsed, other JSON-looking text is
not: the docs tell users to cast with `json()`): `application/json` -> parsed JSON; `text/*` -> string;
`application/x-www-form-urlencoded` -> content envelope plus `$formdata`; `multipart/form-data` -> envelope
plus `$multipart` (each part decoded the same way, a part without Content-Type being octet-stream); anything
else -> envelope `{"$content-type", "$content"}`. Shapes checked against a real Standard host's traces (ILL).

Encoding is the reverse for request bodies: strings go as `text/plain; charset=utf-8`, other JSON values as
`application/json; charset=utf-8`, envelopes as their bytes and type, `$multipart` / `$formdata` forms built.
A Content-Type the definition sets wins over the default.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import uuid
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from keyless.wdl.values import CONTENT, CONTENT_TYPE, is_envelope

OCTET_STREAM = "application/octet-stream"
JSON_UTF8 = "application/json; charset=utf-8"
TEXT_UTF8 = "text/plain; charset=utf-8"
MULTIPART = "$multipart"
FORMDATA = "$formdata"


# ---------------------------------------------------------------------------------------------- content types
def media_type(content_type: str) -> str:
    """`Application/JSON; charset=utf-8` -> `application/json`."""
    return content_type.split(";", 1)[0].strip().lower()


def _parameter(content_type: str, name: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, sep, value = part.strip().partition("=")
        if sep and key.strip().lower() == name:
            return value.strip().strip('"')
    return None


def _charset(content_type: str) -> str:
    charset = _parameter(content_type, "charset") or "utf-8"
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return "utf-8"  # an unknown charset reads as UTF-8 rather than failing the action


def _text(body: bytes, content_type: str) -> str:
    text = body.decode(_charset(content_type), errors="replace")
    return text[1:] if text.startswith("\ufeff") else text  # .NET's StreamReader drops a BOM


def envelope(content_type: str, body: bytes) -> dict[str, Any]:
    return {CONTENT_TYPE: content_type, CONTENT: base64.b64encode(body).decode("ascii")}


# --------------------------------------------------------------------------------------------------- decoding
def decompress(body: bytes, encoding: str) -> bytes | None:
    """Undo a response's `Content-Encoding` (gzip, deflate) as .NET's automatic decompression does; None when the
    encoding is another one or the bytes do not decompress (the body is then kept as received)."""
    kind = encoding.strip().lower()
    try:
        if kind in ("gzip", "x-gzip"):
            return zlib.decompress(body, wbits=16 + zlib.MAX_WBITS)
        if kind == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, wbits=-zlib.MAX_WBITS)  # raw deflate, as some servers send it
    except zlib.error:
        return None
    return None


def body_present(body: bytes, content_type: str | None) -> bool:
    """Whether outputs carry a `body` key: a response with no bytes and no Content-Type has none."""
    return bool(body) or content_type is not None


def decode_body(body: bytes, content_type: str | None) -> Any:
    """A received body as the WDL value Logic Apps exposes (`body('x')`, `triggerBody()`).

    Returns None for an empty body without a Content-Type (callers omit the `body` key then, see
    `body_present`) and for an empty `application/json` body."""
    if content_type is None:
        return envelope(OCTET_STREAM, body) if body else None
    kind = media_type(content_type)
    if kind == "application/json":
        text = _text(body, content_type)
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text  # keyless keeps a malformed JSON body readable as text (unconfirmed against Azure)
    if kind.startswith("text/"):
        return _text(body, content_type)
    if kind == "application/x-www-form-urlencoded":
        return {**envelope(content_type, body), FORMDATA: _form_fields(_text(body, content_type))}
    if kind == "multipart/form-data":
        parts = _multipart_parts(body, _parameter(content_type, "boundary"))
        if parts is not None:
            return {**envelope(content_type, body), MULTIPART: parts}
    return envelope(content_type, body)


def _form_fields(text: str) -> list[dict[str, str]]:
    # Every `&`-separated piece is a field, even empty ones; the value is after the first `=` (ILL trace).
    fields = []
    for piece in text.split("&"):
        key, _, value = piece.partition("=")
        fields.append({"key": unquote_plus(key), "value": unquote_plus(value)})
    return fields


def _multipart_parts(body: bytes, boundary: str | None) -> list[dict[str, Any]] | None:
    """The parts of a multipart body, or None when it is not well formed (it then stays a plain envelope)."""
    if not boundary:
        return None
    delimiter = b"--" + boundary.encode("latin-1")
    if not body.startswith(delimiter):
        return None
    parts: list[dict[str, Any]] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.rstrip(b" \t\r\n") == b"--":
            return parts
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            return None
        raw = chunk[2:-2]
        if raw.startswith(b"\r\n"):  # a part without headers
            head, content = b"", raw[2:]
        else:
            head, sep, content = raw.partition(b"\r\n\r\n")
            if not sep:
                return None
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n") if head else []:
            name, colon, value = line.partition(b":")
            if not colon:
                return None
            headers[name.decode("utf-8", "replace")] = value.lstrip(b" \t").decode("utf-8", "replace")
        headers.setdefault("Content-Length", str(len(content)))
        part_type = next((v for k, v in headers.items() if k.lower() == "content-type"), OCTET_STREAM)
        parts.append({"headers": headers, "body": decode_body(content, part_type)})
    return None  # no closing delimiter


# --------------------------------------------------------------------------------------------------- encoding
def encode_body(value: Any, headers: Mapping[str, str] | None = None) -> tuple[bytes | None, str | None]:
    """A WDL value as request bytes and the Content-Type to send; (None, None) for no body (null).

    `headers` are the definition's request headers: their Content-Type, when set, is the one returned."""
    explicit = None
    for name, header_value in (headers or {}).items():
        if name.lower() == "content-type":
            explicit = header_value
    body, content_type = _encode(value, explicit)
    if body is None:
        return None, None
    return body, explicit or content_type


def _encode(value: Any, explicit: str | None) -> tuple[bytes | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, dict) and CONTENT_TYPE in value:
        if is_envelope(value):
            return _envelope_bytes(value), str(value[CONTENT_TYPE])
        if MULTIPART in value:
            return _encode_multipart(value, explicit)
        if FORMDATA in value:
            return _encode_form(value[FORMDATA]), str(value[CONTENT_TYPE])
    if isinstance(value, str):
        return value.encode("utf-8"), TEXT_UTF8
    return to_json(value).encode("utf-8"), JSON_UTF8


def _envelope_bytes(value: Mapping[str, Any]) -> bytes:
    content = value[CONTENT]
    if not isinstance(content, str):
        raise ValueError("The '$content' of a content envelope must be a base64 string.")
    try:
        return base64.b64decode(content, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"The '$content' of a content envelope is not valid base64: {exc}.") from exc


def _encode_form(fields: Any) -> bytes:
    if not isinstance(fields, list) or not all(isinstance(f, dict) and "key" in f for f in fields):
        raise ValueError("'$formdata' must be an array of objects with 'key' and 'value'.")
    pairs = [f"{quote_plus(_scalar(f['key']))}={quote_plus(_scalar(f.get('value')))}" for f in fields]
    return "&".join(pairs).encode("ascii")


def _encode_multipart(value: Mapping[str, Any], explicit: str | None) -> tuple[bytes, str]:
    parts = value[MULTIPART]
    if not isinstance(parts, list):
        raise ValueError("'$multipart' must be an array of parts {headers, body}.")
    content_type = explicit or str(value[CONTENT_TYPE])
    boundary = _parameter(content_type, "boundary")
    if boundary is None:
        boundary = uuid.uuid4().hex
        content_type = f"{content_type}; boundary={boundary}"
    out = bytearray()
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            raise ValueError(f"'$multipart' part {index} must be an object with 'headers' and 'body'.")
        part_headers = {str(k): _scalar(v) for k, v in (part.get("headers") or {}).items()}
        data, part_type = encode_body(part.get("body"), part_headers)
        out += b"--" + boundary.encode("latin-1") + b"\r\n"
        for name, header_value in part_headers.items():
            if name.lower() != "content-type":
                out += f"{name}: {header_value}\r\n".encode()
        if part_type is not None:
            out += f"Content-Type: {part_type}\r\n".encode()
        out += b"\r\n" + (data or b"") + b"\r\n"
    out += b"--" + boundary.encode("latin-1") + b"--\r\n"
    return bytes(out), content_type


def _scalar(value: Any) -> str:
    """A header or form value as text: strings as they are, other values as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else to_json(value)


def to_json(value: Any) -> str:
    """Compact JSON as Logic Apps writes it (no spaces, non-ASCII kept); a Decimal as its nearest number."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")
