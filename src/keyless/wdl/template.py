"""One JSON string value of a definition, classified (§5.1) and parsed once.

- `@@...`      → the literal text without its first `@`;
- `@expr`      → one expression whose result keeps its JSON type (`"@parameters('age')"` → 42);
- `...@{e}...` → interpolation: each segment evaluated and turned into text, `@@{` being a literal `@{`;
- otherwise    → the text itself (`" @"`, `"@"`).
"""

from __future__ import annotations

from typing import Any

from keyless.wdl.errors import ExpressionSyntaxError
from keyless.wdl.evaluator import Evaluator, compile_node
from keyless.wdl.nodes import Node
from keyless.wdl.parser import parse_expression
from keyless.wdl.text import to_text

# Logic Apps refuses longer expressions when the definition is saved (reference §5.1).
MAX_EXPRESSION_LENGTH = 8192


class Template:
    """A compiled string value. `nodes` are the parsed expressions (for static analysis such as references)."""

    __slots__ = ("_evaluate", "is_constant", "nodes", "text", "value")

    def __init__(self, text: str, value: Any, evaluate: Evaluator | None, nodes: tuple[Node, ...]) -> None:
        self.text = text
        self.value = value  # the result when constant
        self._evaluate = evaluate
        self.nodes = nodes
        self.is_constant = evaluate is None

    def evaluate(self, ctx: Any) -> Any:
        if self._evaluate is None:
            return self.value
        return self._evaluate(ctx)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def compile_template(text: str) -> Template:
    if not text.startswith("@"):
        if "@{" not in text:
            return Template(text, text, None, ())
        return _interpolation(text)
    if text.startswith("@@"):
        return Template(text, text[1:], None, ())
    if text.startswith("@{"):
        return _interpolation(text)
    if len(text) == 1:
        return Template(text, text, None, ())
    source = text[1:]
    node = _parse(source, 1)
    return Template(text, None, compile_node(node, source), (node,))


def _parse(source: str, offset: int) -> Node:
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionSyntaxError(
            f"The template language expression starting at position {offset} is {len(source)} characters long; "
            f"an expression may not exceed {MAX_EXPRESSION_LENGTH} characters.",
            offset,
        )
    return parse_expression(source, offset)


def _segment_end(text: str, start: int) -> int:
    """The index of the `}` closing the segment whose expression starts at `start`: the first `}` outside a
    '...' literal (a `''` escape toggles twice, so it needs no special case)."""
    quoted = False
    for index in range(start, len(text)):
        ch = text[index]
        if ch == "'":
            quoted = not quoted
        elif ch == "}" and not quoted:
            return index
    raise ExpressionSyntaxError(
        f"The template language expression '{text[start:]}' is not valid: the interpolation '@{{' at position "
        f"{start - 2} is not closed with '}}'.",
        start - 2,
    )


def _interpolation(text: str) -> Template:
    parts: list[str | Evaluator] = []
    nodes: list[Node] = []
    literal: list[str] = []
    pos = 0
    while True:
        found = text.find("@{", pos)
        if found < 0:
            literal.append(text[pos:])
            break
        if found > 0 and text[found - 1] == "@":
            # `@@{` is the literal `@{`: keep the text up to the first `@`, skip the second.
            literal.append(text[pos : found - 1])
            literal.append("@{")
            pos = found + 2
            continue
        literal.append(text[pos:found])
        start = found + 2
        end = _segment_end(text, start)
        source = text[start:end]
        node = _parse(source, start)
        nodes.append(node)
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(compile_node(node, source))
        pos = end + 1
    tail = "".join(literal)
    if tail:
        parts.append(tail)
    if not nodes:
        return Template(text, tail, None, ())
    return Template(text, None, _join(parts), tuple(nodes))


def _join(parts: list[str | Evaluator]) -> Evaluator:
    if len(parts) == 1:
        (only,) = parts
        assert not isinstance(only, str)
        return lambda ctx: to_text(only(ctx))
    frozen = tuple(parts)

    def evaluate(ctx: Any) -> str:
        return "".join(part if isinstance(part, str) else to_text(part(ctx)) for part in frozen)

    return evaluate
