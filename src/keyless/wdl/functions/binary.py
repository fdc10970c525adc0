"""Binary content as Logic Apps handles it: `{"$content-type", "$content"}` envelopes, base64 the way .NET's
Convert reads it, charsets by .NET encoding name, and `data:` URIs.

Used by the conversion functions (`binary`, `base64ToBinary`, `dataUriToBinary`, ...) and by `xml`/`json`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import unquote_plus

from keyless.wdl.errors import ExpressionError
from keyless.wdl.values import CONTENT, CONTENT_TYPE, is_envelope

OCTET_STREAM = "application/octet-stream"
TEXT_UTF8 = "text/plain;charset=utf-8"
JSON_UTF8 = "application/json;charset=utf-8"
XML_UTF8 = "application/xml;charset=utf-8"

# Encoding.GetEncoding names .NET (Core, without the code-pages provider) knows, and the Python codec for each.
# UTF-7 is refused by .NET 5+, so it is absent.
_ASCII = "ascii"
_ENCODINGS: dict[str, str] = {
    **dict.fromkeys(
        (
            "ansi_x3.4-1968",
            "ansi_x3.4-1986",
            "ascii",
            "cp367",
            "csascii",
            "ibm367",
            "iso-ir-6",
            "iso646-us",
            "iso_646.irv:1991",
            "us",
            "us-ascii",
        ),
        _ASCII,
    ),
    **dict.fromkeys(
        (
            "cp819",
            "csisolatin1",
            "ibm819",
            "iso-8859-1",
            "iso-ir-100",
            "iso8859-1",
            "iso_8859-1",
            "iso_8859-1:1987",
            "l1",
            "latin1",
        ),
        "latin-1",
    ),
    **dict.fromkeys(("iso-10646-ucs-2", "ucs-2", "unicode", "utf-16", "utf-16le"), "utf-16-le"),
    **dict.fromkeys(("unicodefffe", "utf-16be"), "utf-16-be"),
    **dict.fromkeys(("utf-32", "utf-32le"), "utf-32-le"),
    "utf-32be": "utf-32-be",
    **dict.fromkeys(
        (
            "unicode-1-1-utf-8",
            "unicode-2-0-utf-8",
            "utf-8",
            "x-unicode-1-1-utf-8",
            "x-unicode-2-0-utf-8",
        ),
        "utf-8",
    ),
}


def codec(name: str) -> str:
    """Encoding.GetEncoding(name) as a Python codec name; an unknown name fails as it does in .NET."""
    found = _ENCODINGS.get(name.strip().strip('"').lower())
    if found is None:
        raise ExpressionError(f"'{name}' is not a supported encoding name.")
    return found


def decode_bytes(raw: bytes, codec_name: str) -> str:
    """Encoding.GetString: invalid input becomes U+FFFD, except ASCII, which writes '?' (as .NET does)."""
    if codec_name == _ASCII:
        return "".join(chr(b) if b < 0x80 else "?" for b in raw)
    return raw.decode(codec_name, errors="replace")


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def b64decode(text: str) -> bytes:
    """Convert.FromBase64String: white space is ignored, padding is required, anything else fails."""
    cleaned = re.sub(r"[ \t\r\n]", "", text)
    if len(cleaned) % 4:
        raise ExpressionError(f"The provided value '{text}' is not a valid base64 string.")
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ExpressionError(f"The provided value '{text}' is not a valid base64 string.") from exc


def envelope(content_type: str, raw: bytes) -> dict[str, Any]:
    return {CONTENT_TYPE: content_type, CONTENT: b64encode(raw)}


def envelope_bytes(value: dict[str, Any]) -> bytes:
    content = value.get(CONTENT)
    if not isinstance(content, str):
        raise ExpressionError("The '$content' of the binary value is not a base64 string.")
    return b64decode(content)


def mime_part(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def charset_codec(content_type: str) -> str | None:
    """The codec named by the first `charset=` parameter, or None if there is none."""
    for segment in content_type.split(";"):
        segment = segment.strip()
        if segment.lower().startswith("charset="):
            return codec(segment[len("charset=") :])
    return None


def envelope_text(value: dict[str, Any]) -> str:
    """The text of a content envelope (interpolation, `string()`, `binary()`): its bytes decoded with the
    content type's charset, UTF-8 by default. Parameters without `=` make the content type unreadable
    (`text/plain;base64;charset=ascii` fails), as in the host."""
    content_type = str(value.get(CONTENT_TYPE) or "")
    for segment in content_type.split(";")[1:]:
        if "=" not in segment:
            raise ExpressionError(f"The content type '{content_type}' has a parameter without a value: '{segment}'.")
    return decode_bytes(envelope_bytes(value), charset_codec(content_type) or "utf-8")


def text_of(value: Any) -> str:
    """A value as text, envelopes decoded (Logic Apps' `objectToString`)."""
    if is_envelope(value):
        return envelope_text(value)
    from keyless.wdl.text import to_text  # late: keyless.wdl.text may use envelope_text from here

    return to_text(value)


def url_decode(text: str) -> str:
    """WebUtility.UrlDecode: `+` is a space, `%XX` are UTF-8 bytes."""
    return unquote_plus(text, encoding="utf-8", errors="replace")


class DataUri:
    """A parsed `data:` URI: the content type as written (`base64` flag removed) and the content bytes or the
    raw base64 text (the host does not check base64 content until it is read)."""

    def __init__(self, content_type: str, base64_text: str) -> None:
        self.content_type = content_type
        self.base64_text = base64_text


def parse_data_uri(text: str, *, for_string: bool) -> DataUri:
    if not text[:5].lower() == "data:":
        raise ExpressionError(f"The provided value '{text}' is not a valid data URI.")
    meta, comma, data = text[5:].partition(",")
    if not comma:
        raise ExpressionError(f"The data URI '{text}' has no ',' before its data.")
    parts = meta.split(";")
    if parts[-1].lower() == "base64":
        parts = parts[:-1]
        base64_text = data  # kept as written; Logic Apps does not validate it here
    else:
        base64_text = b64encode(url_decode(data).encode("utf-8"))
    if not parts or parts == [""]:
        return DataUri("text/plain", base64_text)
    mime = parts[0]
    if for_string:
        if mime == "":
            raise ExpressionError(f"The data URI '{text}' has an empty media type.")
    elif mime.count("/") != 1:
        raise ExpressionError(f"The data URI '{text}' has a malformed media type '{mime}'.")
    return DataUri(";".join(parts), base64_text)


def data_uri_to_binary(text: str) -> dict[str, Any]:
    uri = parse_data_uri(text, for_string=False)
    for segment in uri.content_type.split(";")[1:]:
        if segment.count("=") > 1:
            raise ExpressionError(f"The data URI '{text}' has a malformed parameter '{segment}'.")
    charset_codec(uri.content_type)  # an unknown charset fails here
    return {CONTENT_TYPE: uri.content_type, CONTENT: uri.base64_text}


def data_uri_to_string(text: str) -> str:
    uri = parse_data_uri(text, for_string=True)
    # Quirk: the host reads the charset only from the second `;` segment, and only UTF-8 is allowed there.
    parts = uri.content_type.split(";", 2)
    if len(parts) >= 2 and parts[1].lower().startswith("charset="):
        if codec(parts[1][len("charset=") :]) != "utf-8":
            raise ExpressionError("dataUriToString only supports UTF-8 encoded text.")
    return decode_bytes(b64decode(uri.base64_text), "utf-8")
