"""Compile-time scopes: each local gets a frame slot, found at run time by (depth, index)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keyless.csharp.nodes import TypeNode

Frame = list[Any]  # slot 0 is the enclosing function's frame


@dataclass
class Local:
    slot: int
    type: TypeNode | None


@dataclass
class FunctionScope:
    """One frame: the expression itself, a lambda, or a local function."""

    parent: FunctionScope | None
    size: int = 1
    blocks: list[dict[str, Local]] = field(default_factory=lambda: [{}])
    in_catch: list[int] = field(default_factory=list)  # slots holding the exception a `throw;` rethrows

    def declare(self, name: str, type_: TypeNode | None) -> Local:
        local = Local(self.size, type_)
        self.size += 1
        self.blocks[-1][name] = local
        return local

    def find(self, name: str) -> tuple[int, Local] | None:
        scope: FunctionScope | None = self
        depth = 0
        while scope is not None:
            for block in reversed(scope.blocks):
                if name in block:
                    return depth, block[name]
            scope = scope.parent
            depth += 1
        return None

    def declared_here(self, name: str) -> bool:
        return any(name in block for block in self.blocks)


def getter(depth: int, slot: int) -> Callable[[Frame], Any]:
    if depth == 0:
        return lambda f: f[slot]
    if depth == 1:
        return lambda f: f[0][slot]

    def get(f: Frame) -> Any:
        for _ in range(depth):
            f = f[0]
        return f[slot]

    return get


def setter(depth: int, slot: int) -> Callable[[Frame, Any], None]:
    def set_(f: Frame, v: Any) -> None:
        for _ in range(depth):
            f = f[0]
        f[slot] = v

    return set_
