"""The expression grammar of reference §5.2, parsed straight from the text (the grammar is small enough that a
separate token stream buys nothing).

    expr    := literal | call
    literal := STRING | INTEGER | FLOAT | null | true | false
    call    := IDENT '(' [expr (',' expr)*] ')' deref*
    deref   := ['?'] ('.' IDENT | '[' expr ']')

Positions in errors are offsets into the whole JSON string value (the caller passes where the expression starts).
"""

from __future__ import annotations

import re
import unicodedata

from keyless.wdl.errors import ExpressionSyntaxError
from keyless.wdl.nodes import Call, Literal, Member, Node
from keyless.wdl.values import INT64_MAX, INT64_MIN

_NOT_IDENT = set(".,()[]{}@?'")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_KEYWORDS = {"null": None, "true": True, "false": False}
# Calls nested deeper than this are refused: evaluation recurses once per level and Python's stack is finite.
MAX_DEPTH = 200


def is_space(ch: str) -> bool:
    """.NET Char.IsWhiteSpace (Python's isspace also counts U+001C..U+001F, which .NET does not)."""
    if ch == " ":
        return True
    if ch in "\t\n\v\f\r\x85":
        return True
    return ord(ch) > 0x7F and unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def is_ident_char(ch: str) -> bool:
    return ch not in _NOT_IDENT and not is_space(ch)


def parse_expression(text: str, offset: int = 0) -> Node:
    """Parse `text` as exactly one expression; `offset` is where `text` starts in the string value."""
    parser = _Parser(text, offset)
    node = parser.expression()
    parser.skip_space()
    if parser.pos < len(text):
        parser.fail(f"unexpected '{text[parser.pos]}' after the end of the expression")
    return node


class _Parser:
    __slots__ = ("depth", "offset", "pos", "text")

    def __init__(self, text: str, offset: int) -> None:
        self.text = text
        self.pos = 0
        self.offset = offset
        self.depth = 0

    def fail(self, message: str, pos: int | None = None):
        where = self.pos if pos is None else pos
        raise ExpressionSyntaxError(
            f"The template language expression '{self.text}' is not valid: {message} (position {where + self.offset}).",
            where + self.offset,
        )

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and is_space(text[pos]):
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"expressions nested more than {MAX_DEPTH} levels deep are not supported")
        try:
            return self._expression()
        finally:
            self.depth -= 1

    def _expression(self) -> Node:
        self.skip_space()
        start = self.pos
        ch = self.peek()
        if not ch:
            self.fail("an expression is expected")
        if ch == "'":
            return Literal(self.string(), start + self.offset)
        if ch.isdigit() or ch in "+-.":
            return Literal(self.number(), start + self.offset)
        if not is_ident_char(ch):
            self.fail(f"unexpected '{ch}' where an expression is expected")
        name = self.identifier()
        self.skip_space()
        if self.peek() != "(":
            if name.lower() in _KEYWORDS:
                return Literal(_KEYWORDS[name.lower()], start + self.offset)
            self.fail(f"'{name}' must be followed by '(' (only function calls and literals are expressions)")
        self.pos += 1
        args: list[Node] = []
        self.skip_space()
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                args.append(self.expression())
                self.skip_space()
                ch = self.peek()
                self.pos += 1
                if ch == ")":
                    break
                if ch != ",":
                    self.fail(
                        f"expected ',' or ')' in the arguments of '{name}'" if ch else f"'{name}(' is not closed",
                        self.pos - 1,
                    )
        node: Node = Call(name, tuple(args), start + self.offset)
        return self.derefs(node)

    def derefs(self, node: Node) -> Node:
        while True:
            self.skip_space()
            start = self.pos
            ch = self.peek()
            safe = False
            if ch == "?":
                safe = True
                self.pos += 1
                self.skip_space()
                ch = self.peek()
                if ch not in (".", "["):
                    self.fail("'?' must be followed by '.' or '['")
            if ch == ".":
                self.pos += 1
                self.skip_space()
                key_start = self.pos
                if not self.peek() or not is_ident_char(self.peek()):
                    self.fail("a property name is expected after '.'")
                name = self.identifier()
                node = Member(node, Literal(name, key_start + self.offset), safe, True, start + self.offset)
            elif ch == "[":
                self.pos += 1
                key = self.expression()
                self.skip_space()
                if self.peek() != "]":
                    self.fail("expected ']'")
                self.pos += 1
                node = Member(node, key, safe, False, start + self.offset)
            else:
                return node

    def identifier(self) -> str:
        text, pos = self.text, self.pos
        while pos < len(text) and is_ident_char(text[pos]):
            pos += 1
        name = text[self.pos : pos]
        self.pos = pos
        return name

    def string(self) -> str:
        text = self.text
        start = self.pos
        pos = start + 1
        parts: list[str] = []
        while True:
            end = text.find("'", pos)
            if end < 0:
                self.fail("the string literal is not closed", start)
            parts.append(text[pos:end])
            if text.startswith("''", end):
                parts.append("'")
                pos = end + 2
                continue
            self.pos = end + 1
            return "".join(parts)

    def number(self) -> int | float:
        start = self.pos
        match = _NUMBER.match(self.text, start)
        if match is None:
            self.fail(f"'{self.text[start]}' does not start a number")
        literal = match.group()
        self.pos = match.end()
        following = self.peek()
        if following and (is_ident_char(following) or following == "."):
            self.fail(f"'{literal}{following}' is not a number", start)
        if "." in literal or "e" in literal or "E" in literal:
            return float(literal)
        value = int(literal)
        if not INT64_MIN <= value <= INT64_MAX:
            self.fail(f"the integer {literal} is outside the range of a 64-bit integer", start)
        return value
