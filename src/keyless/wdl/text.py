""".NET-style text of WDL values, as Logic Apps writes them.

`to_text` is what interpolation (`@{...}`), `string()`, `concat()` and `join()` produce: `True`/`False`, null as
"", doubles as .NET's shortest round-trip text (`30` for 3e1, `9.223372036854776E+18`), decimals with their scale
(`5.0000`), objects and arrays as compact JSON. `to_json_text` is the compact JSON Logic Apps (Newtonsoft) writes,
where a double always shows that it is a double (`[5.0]`).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from keyless.wdl.values import is_envelope


def format_float(value: float) -> str:
    """Double.ToString() of .NET Core 3.0+: shortest round-trip digits; scientific when the exponent is below -5
    or at least 15 (`1E-05`, `1E+15`), exponent with at least two digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    # repr gives the shortest round-trip digits; Decimal splits them into digits and exponent.
    sign, digits, exp = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    sci_exp = len(text) - 1 + int(exp)  # value = d.ddd * 10**sci_exp
    prefix = "-" if sign else ""
    if -5 < sci_exp < 15:
        if int(exp) >= 0:
            return prefix + text + "0" * int(exp)
        point = len(text) + int(exp)
        if point > 0:
            return prefix + text[:point] + "." + text[point:]
        return prefix + "0." + "0" * (-point) + text
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{prefix}{mantissa}E{'+' if sci_exp >= 0 else '-'}{abs(sci_exp):02d}"


def format_decimal(value: Decimal) -> str:
    """System.Decimal.ToString(): every digit of the scale kept (`5.0000`), never an exponent."""
    if value.is_zero() and value.as_tuple().exponent >= 0:
        return "0"
    text = format(value, "f")
    return "0" if text == "-0" else text


def envelope_text(value: dict[str, Any]) -> str:
    """The text of a content envelope, decoded as the host decodes it (the content type's charset; an unreadable
    content type or invalid base64 fails): the binary functions own those rules."""
    from keyless.wdl.functions.binary import envelope_text as decode  # binary imports this module

    return decode(value)


def to_text(value: Any) -> str:
    """The string form used by interpolation, `string()`, `concat()` and `join()`."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    if is_envelope(value):
        return envelope_text(value)
    return to_json_text(value)


def _json_string(text: str) -> str:
    # Newtonsoft escapes control characters, quote and backslash; everything else (non-ASCII too) stays as is.
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code in (0x85, 0x2028, 0x2029):
            out.append(_CONTROL_ESCAPES.get(ch, f"\\u{code:04x}"))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_CONTROL_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def json_float(value: float) -> str:
    """A double in Newtonsoft's JSON: round-trip text with `.0` added when it would read as an integer;
    NaN and infinities as strings (FloatFormatHandling.String)."""
    text = format_float(value)
    if text in ("NaN", "Infinity", "-Infinity"):
        return f'"{text}"'
    if "." in text or "E" in text:
        return text
    return text + ".0"


def json_decimal(value: Decimal) -> str:
    text = format_decimal(value)
    return text if "." in text else text + ".0"


def to_json_text(value: Any) -> str:
    """Compact JSON as Logic Apps writes it: no spaces, non-ASCII kept, doubles and decimals with a point."""
    parts: list[str] = []
    _write_json(value, parts)
    return "".join(parts)


def _write_json(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_json_string(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(json_float(value))
    elif isinstance(value, Decimal):
        out.append(json_decimal(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_json_string(str(key)))
            out.append(":")
            _write_json(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write_json(item, out)
        out.append("]")
    else:
        raise TypeError(f"not a WDL value: {type(value).__name__}")
