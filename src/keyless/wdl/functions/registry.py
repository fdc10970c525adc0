"""The function table: one entry per WDL function name (case-insensitive).

A function module declares its functions with `@function("name", min_args, max_args)`; `max_args=None` is
variadic. Eager functions get `(ctx, args)` with every argument already evaluated left to right. Lazy ones
(`and`, `or`, `if`, and `coalesce`, which stops at the first non-null as IllogicApps records) get
`(ctx, thunks)`, a list of zero-argument callables that evaluate one argument each, and call only what they
need. The parser checks names and argument counts when a
definition is saved only for arity; an unknown name is an evaluation-time error
(`The template function 'nope' is not defined or not valid.`), as in Logic Apps, because `@and(false, nope())`
must still be false.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Impl = Callable[..., Any]


@dataclass(frozen=True)
class Function:
    name: str  # as documented (`formatDateTime`), for messages
    impl: Impl
    min_args: int
    max_args: int | None
    lazy: bool = False


FUNCTIONS: dict[str, Function] = {}


def function(name: str, min_args: int = 0, max_args: int | None = 0, *, lazy: bool = False) -> Callable[[Impl], Impl]:
    def register(impl: Impl) -> Impl:
        key = name.lower()
        if key in FUNCTIONS:
            raise ValueError(f"WDL function {name} registered twice")
        FUNCTIONS[key] = Function(name, impl, min_args, max_args, lazy)
        return impl

    return register


def lookup(name: str) -> Function | None:
    return FUNCTIONS.get(name.lower())
