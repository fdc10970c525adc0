"""Conversion functions: json, int, float, decimal, bool, string, array, createArray, the base64 / binary /
data URI family, the URI component family, utf8Length/utf16Length, isInt and isFloat.

Numbers parse the way the Logic Apps host does (.NET, lenient, culture-based: see numbers_parse); binary
values are content envelopes (see binary).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions import binary as bin_
from keyless.wdl.functions import numbers_parse as np
from keyless.wdl.functions.json_parse import parse_json_text
from keyless.wdl.functions.registry import function
from keyless.wdl.functions.xml_json import xml_text_to_json
from keyless.wdl.text import to_json_text, to_text
from keyless.wdl.values import CONTENT, CONTENT_TYPE, INT64_MAX, INT64_MIN, is_bool, is_envelope, type_name


def _invalid(name: str, detail: str) -> ExpressionError:
    return ExpressionError(
        f"The template language function '{name}' was invoked with a parameter that is not valid. {detail}"
    )


def _string_arg(name: str, value: Any, position: str = "first") -> str:
    if not isinstance(value, str):
        raise ExpressionError(
            f"The template language function '{name}' expects its {position} parameter to be a string. "
            f"The provided value is of type '{type_name(value)}'."
        )
    return value


def _raw_text(value: Any) -> str:
    """The text a number conversion reads: strings as they are, numbers as .NET writes them, anything else as
    JSON (which then does not parse: `int(binary('1'))` fails as in the host)."""
    if isinstance(value, str):
        return value
    if not is_bool(value) and isinstance(value, (int, float, Decimal)):
        return to_text(value)
    return to_json_text(value)


def _culture_arg(name: str, args: list[Any], default: np.Culture) -> np.Culture:
    if len(args) < 2:
        return default
    return np.culture(_string_arg(name, args[1], "second"))


# --- JSON and strings ---------------------------------------------------------------------------------------


@function("json", 1, 1)
def json_(ctx: Any, args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        return parse_json_text(value)
    if is_envelope(value):
        content_type = str(value[CONTENT_TYPE])
        if bin_.mime_part(content_type) in ("application/xml", "text/xml"):
            return xml_text_to_json(bin_.envelope_text(value))
        return parse_json_text(bin_.envelope_text(value))
    if value is None:
        return {}  # documented: json(null) is an empty object
    if isinstance(value, (dict, list)):
        return value
    raise _invalid("json", f"The value of type '{type_name(value)}' cannot be converted to JSON.")


@function("string", 1, 1)
def string_(ctx: Any, args: list[Any]) -> str:
    return bin_.text_of(args[0])


@function("array", 1, 1)
def array_(ctx: Any, args: list[Any]) -> list[Any]:
    return [args[0]]


@function("createArray", 1, None)
def create_array(ctx: Any, args: list[Any]) -> list[Any]:
    return list(args)


# --- Numbers and booleans -----------------------------------------------------------------------------------


@function("int", 1, 2)
def int_(ctx: Any, args: list[Any]) -> int:
    value = args[0]
    if is_bool(value) or not isinstance(value, (str, int, float, Decimal)):
        raise _invalid("int", f"The value of type '{type_name(value)}' cannot be converted to an integer.")
    if isinstance(value, int):
        return value
    text = _raw_text(value)
    # The host parses through a double: big values lose precision (int('100000000000000010') is ...016).
    parsed = (
        np.parse_double(text, np.FLOAT_STYLE | np.THOUSANDS, _culture_arg("int", args, np.HOST_CULTURE))
        if isinstance(value, str)
        else float(value)
    )
    if parsed is None:
        raise _invalid("int", f"Could not parse '{text}' as int.")
    if math.isnan(parsed):
        return INT64_MIN  # quirk: (long)double.NaN is Int64.MinValue, and the host returns it
    if math.isinf(parsed) or not parsed.is_integer():
        raise _invalid("int", f"Could not parse '{text}' as int: it is not a whole number.")
    result = int(parsed)
    if not INT64_MIN <= result <= INT64_MAX:
        raise _invalid("int", f"The value '{text}' is too large or too small for an integer.")
    return result


@function("float", 1, 2)
def float_(ctx: Any, args: list[Any]) -> float:
    value = args[0]
    if isinstance(value, float):
        return value
    text = _raw_text(value)
    info = _culture_arg("float", args, np.HOST_CULTURE)
    parsed = np.parse_double(text, np.FLOAT_STYLE | np.NUMBER_STYLE, info)
    if parsed is None:
        raise _invalid("float", f"Could not parse '{text}' as float.")
    return parsed


@function("decimal", 1, 1)
def decimal_(ctx: Any, args: list[Any]) -> Decimal:
    value = args[0]
    if isinstance(value, Decimal):
        return value
    if is_bool(value):
        raise _invalid("decimal", "The value of type 'Boolean' cannot be converted to a decimal.")
    if isinstance(value, int):
        if abs(value) > np.DECIMAL_MAX:
            raise _invalid("decimal", "The value is too large or too small for a decimal.")
        return Decimal(value)
    if isinstance(value, float):
        return np.decimal_from_double(value)
    if isinstance(value, str):
        parsed = np.parse_decimal(value, np.NUMBER_STYLE, np.INVARIANT)
        if parsed is None:
            raise _invalid("decimal", f"Could not parse '{value}' as decimal.")
        return parsed
    raise _invalid("decimal", f"The value of type '{type_name(value)}' cannot be converted to a decimal.")


@function("bool", 1, 1)
def bool_(ctx: Any, args: list[Any]) -> bool:
    value = args[0]
    if is_bool(value):
        return value
    if isinstance(value, (int, float, Decimal)):
        return value != 0
    if isinstance(value, str):
        # Boolean.Parse: case-insensitive, surrounding white space and NULs ignored.
        folded = value.strip().strip("\0").strip().lower()
        if folded in ("true", "false"):
            return folded == "true"
        raise _invalid("bool", f"The value '{value}' is not a valid boolean.")
    raise _invalid("bool", f"The value of type '{type_name(value)}' cannot be converted to a boolean.")


@function("isInt", 1, 1)
def is_int(ctx: Any, args: list[Any]) -> bool:
    text = _string_arg("isInt", args[0])
    return np.parse_int64(text, np.INTEGER_STYLE | np.EXPONENT | np.THOUSANDS, np.INVARIANT) is not None


@function("isFloat", 1, 2)
def is_float(ctx: Any, args: list[Any]) -> bool:
    text = _string_arg("isFloat", args[0])
    info = _culture_arg("isFloat", args, np.INVARIANT)
    return np.parse_double(text, np.FLOAT_STYLE | np.NUMBER_STYLE, info) is not None


# --- Base64, binary and data URIs ---------------------------------------------------------------------------


def _bytes_of(value: Any) -> bytes:
    if is_envelope(value):
        return bin_.envelope_bytes(value)
    return bin_.text_of(value).encode("utf-8", errors="surrogatepass")


@function("base64", 1, 1)
def base64_(ctx: Any, args: list[Any]) -> str:
    return bin_.b64encode(_bytes_of(args[0]))


@function("base64ToBinary", 1, 1)
def base64_to_binary(ctx: Any, args: list[Any]) -> dict[str, Any]:
    text = _string_arg("base64ToBinary", args[0])
    bin_.b64decode(text)  # fails on invalid base64; the content itself is kept as written
    return {CONTENT_TYPE: bin_.OCTET_STREAM, CONTENT: text}


def _base64_to_string(name: str, value: Any) -> str:
    return bin_.decode_bytes(bin_.b64decode(_string_arg(name, value)), "utf-8")


@function("base64ToString", 1, 1)
def base64_to_string(ctx: Any, args: list[Any]) -> str:
    return _base64_to_string("base64ToString", args[0])


@function("decodeBase64", 1, 1)
def decode_base64(ctx: Any, args: list[Any]) -> str:
    return _base64_to_string("decodeBase64", args[0])


@function("binary", 1, 1)
def binary_(ctx: Any, args: list[Any]) -> dict[str, Any]:
    if args[0] is None:
        raise _invalid("binary", "The value cannot be null.")
    return bin_.envelope(bin_.OCTET_STREAM, bin_.text_of(args[0]).encode("utf-8", errors="surrogatepass"))


@function("dataUri", 1, 1)
def data_uri(ctx: Any, args: list[Any]) -> str:
    value = args[0]
    if value is None:
        raise _invalid("dataUri", "The value cannot be null.")
    if is_envelope(value):
        return f"data:{value[CONTENT_TYPE]};base64,{bin_.b64encode(bin_.envelope_bytes(value))}"
    content_type = bin_.TEXT_UTF8 if isinstance(value, str) else bin_.JSON_UTF8
    raw = bin_.text_of(value).encode("utf-8", errors="surrogatepass")
    return f"data:{content_type};base64,{bin_.b64encode(raw)}"


@function("dataUriToBinary", 1, 1)
def data_uri_to_binary(ctx: Any, args: list[Any]) -> dict[str, Any]:
    return bin_.data_uri_to_binary(_string_arg("dataUriToBinary", args[0]))


@function("decodeDataUri", 1, 1)
def decode_data_uri(ctx: Any, args: list[Any]) -> dict[str, Any]:
    return bin_.data_uri_to_binary(_string_arg("decodeDataUri", args[0]))


@function("dataUriToString", 1, 1)
def data_uri_to_string(ctx: Any, args: list[Any]) -> str:
    return bin_.data_uri_to_string(_string_arg("dataUriToString", args[0]))


@function("utf8Length", 1, 1)
def utf8_length(ctx: Any, args: list[Any]) -> int:
    return len(_bytes_of(args[0]))


@function("utf16Length", 1, 1)
def utf16_length(ctx: Any, args: list[Any]) -> int:
    value = args[0]
    text = bin_.envelope_text(value) if is_envelope(value) else bin_.text_of(value)
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


# --- URI components -----------------------------------------------------------------------------------------


def _escape_data_string(name: str, value: Any) -> str:
    """Uri.EscapeDataString: everything but RFC 3986 unreserved characters is percent-encoded as UTF-8."""
    try:
        return quote(bin_.text_of(value).encode("utf-8"), safe="-_.~")
    except UnicodeEncodeError as exc:
        raise _invalid(name, "The value contains an invalid surrogate character.") from exc


_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _unescape_run(found: re.Match[str]) -> str:
    text = found[0]
    raw = bytes(int(text[index + 1 : index + 3], 16) for index in range(0, len(text), 3))
    decoded = raw.decode("utf-8", errors="surrogateescape")
    # Bytes that are not UTF-8 stay escaped, as .NET leaves them.
    return "".join(f"%{ord(ch) - 0xDC00:02X}" if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in decoded)


def _unescape_data_string(name: str, value: Any) -> str:
    """Uri.UnescapeDataString: `%XX` sequences only (`+` stays a plus)."""
    return _ESCAPE_RUN.sub(_unescape_run, _string_arg(name, value))


@function("encodeUriComponent", 1, 1)
def encode_uri_component(ctx: Any, args: list[Any]) -> str:
    return _escape_data_string("encodeUriComponent", args[0])


@function("uriComponent", 1, 1)
def uri_component(ctx: Any, args: list[Any]) -> str:
    return _escape_data_string("uriComponent", args[0])


@function("decodeUriComponent", 1, 1)
def decode_uri_component(ctx: Any, args: list[Any]) -> str:
    return _unescape_data_string("decodeUriComponent", args[0])


@function("uriComponentToString", 1, 1)
def uri_component_to_string(ctx: Any, args: list[Any]) -> str:
    return _unescape_data_string("uriComponentToString", args[0])


@function("uriComponentToBinary", 1, 1)
def uri_component_to_binary(ctx: Any, args: list[Any]) -> dict[str, Any]:
    text = _unescape_data_string("uriComponentToBinary", args[0])
    return bin_.envelope(bin_.OCTET_STREAM, text.encode("utf-8", errors="surrogatepass"))
