"""`json('...')` text parsing as the host reads it (Newtonsoft's JsonTextReader, through JToken.Parse).

Standard JSON plus what Newtonsoft tolerates: single-quoted strings, unquoted property names, `//` and `/* */`
comments, a trailing comma, `NaN`/`Infinity`/`-Infinity`, `undefined` (null), hexadecimal (`0x1F`) and octal
(`017`) integers. Anything after the value other than white space and comments fails.

Value model: integers within Int64 stay `int`, a number with a point or exponent is a `float` (so
`json('{"f":5.0}')` writes back as `5.0`), larger integers become floats. A repeated key keeps its last value
and moves to the end (`{"a":1,"b":-1,"a":2}` is `{"b":-1,"a":2}`), as the host's ordered object does.
"""

from __future__ import annotations

import math
import re
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.values import INT64_MAX, INT64_MIN

MAX_DEPTH = 512  # far beyond real payloads; stops runaway recursion with a clear error

_NUMBER = re.compile(r"-?(?:0[xX][0-9A-Fa-f]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_CONSTANTS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "undefined": None,
    "NaN": math.nan,
    "Infinity": math.inf,
    "-Infinity": -math.inf,
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> ExpressionError:
        return ExpressionError(
            f"The template language function 'json' parameter is not valid. The provided value '{self.text}' "
            f"cannot be parsed: {message} (position {self.pos})."
        )

    def skip(self) -> None:
        """White space and comments."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch.isspace():
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.pos = end + 2
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"the JSON is nested deeper than {MAX_DEPTH} levels")
        ch = self.peek()
        if ch == "{":
            return self.object(depth)
        if ch == "[":
            return self.array(depth)
        if ch in ("'", '"'):
            return self.string()
        if not ch:
            raise self.fail("unexpected end of text")
        for word, constant in _CONSTANTS.items():
            if self.text.startswith(word, self.pos) and not self._identifier_continues(self.pos + len(word)):
                self.pos += len(word)
                return constant
        return self.number()

    def _identifier_continues(self, at: int) -> bool:
        return at < len(self.text) and (self.text[at].isalnum() or self.text[at] in "_$")

    def number(self) -> int | float:
        found = _NUMBER.match(self.text, self.pos)
        if found is None or self._identifier_continues(found.end()):
            raise self.fail("unexpected character")
        self.pos = found.end()
        literal = found[0]
        body = literal.lstrip("-")
        sign = -1 if literal.startswith("-") else 1
        if body[:2] in ("0x", "0X"):
            value = sign * int(body[2:], 16)
        elif len(body) > 1 and body[0] == "0" and body.isdigit():
            if any(digit in "89" for digit in body):
                raise self.fail(f"'{literal}' is not a valid octal number")
            value = sign * int(body, 8)  # Newtonsoft reads a leading zero as octal
        elif body.isdigit():
            value = sign * int(body)
        else:
            return float(literal)
        return value if INT64_MIN <= value <= INT64_MAX else float(value)

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        text = self.text
        while True:
            end = self.pos
            while end < len(text) and text[end] not in (quote, "\\"):
                end += 1
            out.append(text[self.pos : end])
            if end >= len(text):
                self.pos = end
                raise self.fail("unterminated string")
            if text[end] == quote:
                self.pos = end + 1
                return "".join(out)
            escape = text[end + 1 : end + 2]
            if escape == "u":
                digits = text[end + 2 : end + 6]
                if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    self.pos = end
                    raise self.fail("invalid \\u escape")
                out.append(chr(int(digits, 16)))
                self.pos = end + 6
            elif escape in _ESCAPES:
                out.append(_ESCAPES[escape])
                self.pos = end + 2
            else:
                self.pos = end
                raise self.fail(f"invalid escape '\\{escape}'")

    def property_name(self) -> str:
        ch = self.peek()
        if ch in ("'", '"'):
            return self.string()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_$"):
            self.pos += 1
        if self.pos == start:
            raise self.fail("a property name was expected")
        return self.text[start : self.pos]

    def object(self, depth: int) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        while True:
            if self.peek() == "}":
                self.pos += 1
                return result
            key = self.property_name()
            if self.peek() != ":":
                raise self.fail("':' was expected after a property name")
            self.pos += 1
            value = self.value(depth + 1)
            result.pop(key, None)  # the last duplicate wins and moves to the end
            result[key] = value
            separator = self.peek()
            if separator == ",":
                self.pos += 1
            elif separator != "}":
                raise self.fail("',' or '}' was expected")

    def array(self, depth: int) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        while True:
            if self.peek() == "]":
                self.pos += 1
                return result
            result.append(self.value(depth + 1))
            separator = self.peek()
            if separator == ",":
                self.pos += 1
            elif separator != "]":
                raise self.fail("',' or ']' was expected")


def parse_json_text(text: str) -> Any:
    parser = _Parser(text)
    result = parser.value(0)
    if parser.peek():
        raise parser.fail("additional text after the JSON value")
    return result
