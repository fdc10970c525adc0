"""String functions (§5.4 group string, except formatNumber and the XML-encoding ones)."""

from __future__ import annotations

import base64
from typing import Any

from keyless.wdl.functions._args import fail, int_arg, string_arg, wrong_type
from keyless.wdl.functions.registry import function
from keyless.wdl.parser import is_space
from keyless.wdl.text import to_text
from keyless.wdl.values import CONTENT, is_envelope, type_name

# .NET's invariant casing maps one UTF-16 unit to one and leaves the Turkish dotted/dotless i alone.
_KEEP_CASE = {"\u0130", "\u0131"}


def _map_case(text: str, upper: bool) -> str:
    if text.isascii():
        return text.upper() if upper else text.lower()
    out = []
    for ch in text:
        mapped = ch.upper() if upper else ch.lower()
        out.append(mapped if len(mapped) == 1 and ch not in _KEEP_CASE else ch)
    return "".join(out)


def invariant_lower(text: str) -> str:
    return _map_case(text, upper=False)


def invariant_upper(text: str) -> str:
    return _map_case(text, upper=True)


def _fold(text: str) -> str:
    # OrdinalIgnoreCase compares the upper-cased units; the length is kept, so indexes stay valid.
    return invariant_upper(text)


def _text(fn: str, value: Any, index: int | None = None) -> str:
    if not isinstance(value, str):
        wrong_type(fn, "a string", value, index)
    return value


@function("concat", 1, None)
def concat(ctx: Any, args: list) -> str:
    return "".join(to_text(value) for value in args)


@function("substring", 2, 3)
def substring(ctx: Any, args: list) -> str:
    text = _text("substring", args[0], 1)
    start = int_arg("substring", args[1], 2)
    length = int_arg("substring", args[2], 3) if len(args) > 2 else len(text) - start
    if start < 0 or length < 0 or start + length > len(text):
        fail(
            "substring",
            "parameters are out of range: 'start index' and 'length' must be non-negative integers and their sum "
            "must be no larger than the length of the string",
        )
    return text[start : start + length]


@function("slice", 2, 3)
def slice_(ctx: Any, args: list) -> str:
    # Python's slice clamps exactly as Logic Apps does: negative indexes count from the end, out of range → "".
    text = _text("slice", args[0], 1)
    start = int_arg("slice", args[1], 2)
    end = int_arg("slice", args[2], 3) if len(args) > 2 else None
    return text[start:end]


@function("replace", 3, 3)
def replace(ctx: Any, args: list) -> str:
    text = _text("replace", args[0], 1)
    old = _text("replace", args[1], 2)
    new = "" if args[2] is None else _text("replace", args[2], 3)
    if old == "":
        fail("replace", "cannot replace an empty string: String cannot be of zero length. (Parameter 'oldValue')")
    return text.replace(old, new)


@function("guid", 0, 1)
def guid(ctx: Any, args: list) -> str:
    kind = string_arg("guid", args[0]).upper() if args else "D"
    value = ctx.new_guid()
    hex_ = value.hex
    if kind == "N":
        return hex_
    if kind == "D":
        return str(value)
    if kind == "B":
        return "{" + str(value) + "}"
    if kind == "P":
        return "(" + str(value) + ")"
    if kind == "X":
        tail = ",".join(f"0x{hex_[index : index + 2]}" for index in range(16, 32, 2))
        return f"{{0x{hex_[:8]},0x{hex_[8:12]},0x{hex_[12:16]},{{{tail}}}}}"
    fail("guid", f"expects its format to be one of 'N', 'D', 'B', 'P' or 'X', not '{args[0]}'")


@function("toLower", 1, 1)
def to_lower(ctx: Any, args: list) -> str:
    return invariant_lower(_text("toLower", args[0]))


@function("toUpper", 1, 1)
def to_upper(ctx: Any, args: list) -> str:
    return invariant_upper(_text("toUpper", args[0]))


@function("indexOf", 2, 2)
def index_of(ctx: Any, args: list) -> int:
    text = _text("indexOf", args[0], 1)
    search = _text("indexOf", args[1], 2)
    return _fold(text).find(_fold(search))


@function("lastIndexOf", 2, 2)
def last_index_of(ctx: Any, args: list) -> int:
    text = _text("lastIndexOf", args[0], 1)
    search = _text("lastIndexOf", args[1], 2)
    return _fold(text).rfind(_fold(search))


@function("nthIndexOf", 3, 3)
def nth_index_of(ctx: Any, args: list) -> int:
    text = _fold(_text("nthIndexOf", args[0], 1))
    search = _fold(_text("nthIndexOf", args[1], 2))
    occurrence = int_arg("nthIndexOf", args[2], 3)
    if occurrence == 0:
        fail("nthIndexOf", "expects its occurrence (third parameter) to be a non-zero integer")
    # Every (overlapping) occurrence; a negative occurrence counts from the end.
    positions = []
    found = text.find(search)
    while found >= 0:
        positions.append(found)
        if found >= len(text):
            break
        found = text.find(search, found + 1)
    index = occurrence - 1 if occurrence > 0 else occurrence
    if -len(positions) <= index < len(positions):
        return positions[index]
    return -1


@function("startsWith", 2, 2)
def starts_with(ctx: Any, args: list) -> bool:
    text = _text("startsWith", args[0], 1)
    return _fold(text).startswith(_fold(_text("startsWith", args[1], 2)))


@function("endsWith", 2, 2)
def ends_with(ctx: Any, args: list) -> bool:
    text = _text("endsWith", args[0], 1)
    return _fold(text).endswith(_fold(_text("endsWith", args[1], 2)))


@function("split", 2, 2)
def split(ctx: Any, args: list) -> list[str]:
    text = string_arg("split", args[0], 1)
    separator = string_arg("split", args[1], 2)
    if separator == "":
        return [text]
    return text.split(separator)


@function("trim", 1, 1)
def trim(ctx: Any, args: list) -> str:
    value = args[0]
    if not isinstance(value, str):
        fail(
            "trim",
            f"parameters are not valid: it expects a string, the provided value is of type '{type_name(value)}'",
        )
    start, end = 0, len(value)
    while start < end and is_space(value[start]):
        start += 1
    while end > start and is_space(value[end - 1]):
        end -= 1
    return value[start:end]


@function("trimByteOrderMark", 1, 1)
def trim_byte_order_mark(ctx: Any, args: list) -> Any:
    value = args[0]
    if isinstance(value, str):
        return value[1:] if value.startswith("\ufeff") else value
    if is_envelope(value):
        raw = base64.b64decode(value[CONTENT])
        if raw.startswith(b"\xef\xbb\xbf"):
            return {**value, CONTENT: base64.b64encode(raw[3:]).decode("ascii")}
        return value
    wrong_type("trimByteOrderMark", "a string or binary content", value)
