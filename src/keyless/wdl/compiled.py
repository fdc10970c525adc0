"""A whole JSON value of a definition compiled: every string in it (not the object keys) is a Template.

Constant subtrees are kept as the original value and returned as is on every evaluation (no copy): callers
must not mutate what `evaluate` returns, as everywhere in wdl (values.py).
"""

from __future__ import annotations

import re
from typing import Any

from keyless.wdl.errors import ExpressionSyntaxError
from keyless.wdl.nodes import Node
from keyless.wdl.template import Template, compile_template

_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$\-]*\Z")


class Compiled:
    """`is_constant`, `evaluate(ctx)`, and `templates()` (every non-constant Template inside, for analysis)."""

    __slots__ = ("is_constant",)

    def evaluate(self, ctx: Any) -> Any:
        raise NotImplementedError

    def templates(self) -> list[Template]:
        raise NotImplementedError


class Constant(Compiled):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
        self.is_constant = True

    def evaluate(self, ctx: Any) -> Any:
        return self.value

    def templates(self) -> list[Template]:
        return []


class StringValue(Compiled):
    __slots__ = ("template",)

    def __init__(self, template: Template) -> None:
        self.template = template
        self.is_constant = False

    def evaluate(self, ctx: Any) -> Any:
        return self.template.evaluate(ctx)

    def templates(self) -> list[Template]:
        return [self.template]


class ObjectValue(Compiled):
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, Compiled]]) -> None:
        self.items = items
        self.is_constant = False

    def evaluate(self, ctx: Any) -> Any:
        return {key: value.evaluate(ctx) for key, value in self.items}

    def templates(self) -> list[Template]:
        return [template for _, value in self.items for template in value.templates()]


class ArrayValue(Compiled):
    __slots__ = ("elements",)

    def __init__(self, elements: list[Compiled]) -> None:
        self.elements = elements
        self.is_constant = False

    def evaluate(self, ctx: Any) -> Any:
        return [element.evaluate(ctx) for element in self.elements]

    def templates(self) -> list[Template]:
        return [template for element in self.elements for template in element.templates()]


def child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    quoted = key.replace("'", "''")
    return f"{path}['{quoted}']"


def compile_value(raw: Any, path: str = "") -> Compiled:
    """Compile every string of `raw`. A syntax error names where it is (`inputs.body.name`): the message starts
    with that path and the exception carries it as `path` (relative to `raw`, prefixed by `path`)."""
    if isinstance(raw, str):
        try:
            template = compile_template(raw)
        except ExpressionSyntaxError as error:
            raise _located(error, path) from None
        return Constant(template.value) if template.is_constant else StringValue(template)
    if isinstance(raw, dict):
        items = [(key, compile_value(value, child_path(path, key))) for key, value in raw.items()]
        if all(value.is_constant for _, value in items):
            # '@@' escapes change the value: only reuse `raw` when every string compiled to itself.
            if all(value.value is raw[key] for key, value in items):  # type: ignore[attr-defined]
                return Constant(raw)
            return Constant({key: value.value for key, value in items})  # type: ignore[attr-defined]
        return ObjectValue(items)
    if isinstance(raw, list):
        elements = [compile_value(value, child_path(path, index)) for index, value in enumerate(raw)]
        if all(element.is_constant for element in elements):
            if all(element.value is value for element, value in zip(elements, raw, strict=True)):  # type: ignore[attr-defined]
                return Constant(raw)
            return Constant([element.value for element in elements])  # type: ignore[attr-defined]
        return ArrayValue(elements)
    return Constant(raw)


def _located(error: ExpressionSyntaxError, path: str) -> ExpressionSyntaxError:
    if not path:
        error.path = ""  # type: ignore[attr-defined]
        return error
    located = ExpressionSyntaxError(f"{path}: {error.message}", error.position)
    located.path = path  # type: ignore[attr-defined]
    return located


def nodes_of(compiled: Compiled | Template) -> list[Node]:
    templates = [compiled] if isinstance(compiled, Template) else compiled.templates()
    return [node for template in templates for node in template.nodes]
