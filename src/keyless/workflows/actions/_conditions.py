"""Condition expressions of If and Until: a string (`@equals(...)`) or the object form the designer writes,
nested function calls `{"and": [{"equals": ["@a", 1]}, {"not": {"contains": [...]}}]}` (reference §3.5).

In the object form the key is any WDL function name (case-insensitive: `{"lENgth": ["a"]}`); the value is its
argument list, or a single argument without the list. An argument that is itself a one-key object naming a
function is a nested call; anything else is a value (its strings may be expressions).
"""

from __future__ import annotations

from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions.registry import Function, lookup
from keyless.workflows.actions.base import CompileContext, Compiled
from keyless.workflows.paths import child
from keyless.workflows.status import condition_expression_message


class ObjectCall:
    """One `{"fn": [args]}` node: evaluated as the function called with its evaluated arguments."""

    is_constant = False

    def __init__(self, name: str, function: Function | None, args: list[Any]) -> None:
        self.name = name
        self.function = function
        self.args = args  # ObjectCall or Compiled

    def evaluate(self, ctx: Any) -> Any:
        if self.function is None:
            # Unknown names fail when evaluated, as in string expressions (`and(false, nope())` is still false).
            raise ExpressionError(f"The template function '{self.name}' is not defined or not valid.")
        if self.function.lazy:
            return self.function.impl(ctx, [_thunk(arg, ctx) for arg in self.args])
        return self.function.impl(ctx, [arg.evaluate(ctx) for arg in self.args])


def _thunk(arg: Any, ctx: Any) -> Any:
    return lambda: arg.evaluate(ctx)


def compile_condition(raw: Any, ctx: CompileContext, path: str) -> Compiled:
    """`path` is relative to the action (`expression`)."""
    if isinstance(raw, dict):
        return _call(raw, ctx, path)  # type: ignore[return-value]
    if isinstance(raw, (str, bool)):
        return ctx.value(raw, path)
    raise ctx.error(path, f"The 'expression' of action '{ctx.action_name}' must be a string or an object.")


def _call(raw: dict[str, Any], ctx: CompileContext, path: str) -> ObjectCall:
    if len(raw) != 1:
        raise ctx.error(
            path,
            f"An object-form expression of action '{ctx.action_name}' must have exactly one function name as its "
            f"key; found {len(raw)}.",
        )
    name, value = next(iter(raw.items()))
    here = child(path, name)
    raw_args = value if isinstance(value, list) else [value]
    args = [
        _argument(arg, ctx, child(here, index) if isinstance(value, list) else here)
        for index, arg in enumerate(raw_args)
    ]
    function = lookup(name)
    if function is not None:
        count = len(args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            high = "any number of" if function.max_args is None else str(function.max_args)
            raise ctx.error(
                here,
                f"The template language function '{function.name}' expects from {function.min_args} to {high} "
                f"parameters: {count} were provided.",
            )
    return ObjectCall(name, function, args)


def _argument(raw: Any, ctx: CompileContext, path: str) -> Any:
    if isinstance(raw, dict) and len(raw) == 1 and lookup(next(iter(raw))) is not None:
        return _call(raw, ctx, path)
    return ctx.value(raw, path)


def evaluate_condition(ctx: Any, compiled: Compiled, **where: Any) -> Any:
    """The condition's value; a failure is worded as Logic Apps words it for a container's own expression."""
    try:
        return ctx.evaluate(compiled, **where)
    except ExpressionError as error:
        raise ExpressionError(condition_expression_message(ctx.action_name, error.message)) from None


def is_true(value: Any) -> bool:
    """Only the boolean true passes a condition (a non-boolean result does not)."""
    return value is True
