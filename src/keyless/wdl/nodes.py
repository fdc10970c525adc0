"""The syntax tree of one expression: literals, function calls and their dereferences (§5.2: nothing else)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # None, bool, int, float or str
    position: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # as written (`ADD`), looked up case-insensitively
    args: tuple[Node, ...]
    position: int


@dataclass(frozen=True, slots=True)
class Member:
    """`target.name` (key is a str Literal) or `target[expr]`; `safe` is the `?` of `?.` / `?[`."""

    target: Node
    key: Node
    safe: bool
    dotted: bool
    position: int


Node = Literal | Call | Member


def walk(node: Node):
    """Every node under `node`, itself first."""
    yield node
    if isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
    elif isinstance(node, Member):
        yield from walk(node.target)
        yield from walk(node.key)
