"""Turns a syntax tree into a closure `(ctx) -> value`, once; evaluating it re-parses nothing and looks nothing up.

Function names are resolved here. A known function called with the wrong number of arguments is refused now
(Logic Apps refuses the definition when it is saved); an unknown name becomes a closure that fails only when it
runs, so `@and(false, nope())` is still false.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keyless.wdl.errors import ExpressionError, ExpressionSyntaxError
from keyless.wdl.functions.registry import lookup
from keyless.wdl.nodes import Call, Literal, Member, Node
from keyless.wdl.text import to_text
from keyless.wdl.values import is_integer, type_name

Evaluator = Callable[[Any], Any]

_COUNT_WORDS = {0: "no", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def compile_node(node: Node, source: str) -> Evaluator:
    """`source` is the expression's text, quoted in runtime error messages as Logic Apps does."""
    if isinstance(node, Literal):
        value = node.value
        return lambda ctx: value
    if isinstance(node, Call):
        return _compile_call(node, source)
    return _compile_member(node, source)


def _arity_message(name: str, count: int, low: int, high: int | None) -> str:
    if high == low:
        word = _COUNT_WORDS.get(low, str(low))
        expected = f"{word} parameter" if low == 1 else f"{word} parameters"
    elif high is None:
        expected = f"at least {_COUNT_WORDS.get(low, str(low))} parameter" + ("" if low == 1 else "s")
    else:
        expected = f"between {low} and {high} parameters"
    return (
        f"The template language function '{name}' expects {expected}: "
        f"{count} {'was' if count == 1 else 'were'} provided. Please see https://aka.ms/logicexpressions for usage "
        "details."
    )


def _compile_call(node: Call, source: str) -> Evaluator:
    fn = lookup(node.name)
    if fn is None:
        message = f"The template function '{node.name}' is not defined or not valid."

        def unknown(ctx: Any) -> Any:
            raise ExpressionError(message)

        return unknown
    count = len(node.args)
    if count < fn.min_args or (fn.max_args is not None and count > fn.max_args):
        raise ExpressionSyntaxError(_arity_message(fn.name, count, fn.min_args, fn.max_args), node.position)
    args = [compile_node(arg, source) for arg in node.args]
    impl = fn.impl
    if fn.lazy:
        return lambda ctx: impl(ctx, [_bind(arg, ctx) for arg in args])
    if count == 0:
        return lambda ctx: impl(ctx, [])
    if count == 1:
        (only,) = args
        return lambda ctx: impl(ctx, [only(ctx)])
    if count == 2:
        first, second = args
        return lambda ctx: impl(ctx, [first(ctx), second(ctx)])
    return lambda ctx: impl(ctx, [arg(ctx) for arg in args])


def _bind(arg: Evaluator, ctx: Any) -> Callable[[], Any]:
    return lambda: arg(ctx)


def _compile_member(node: Member, source: str) -> Evaluator:
    target = compile_node(node.target, source)
    safe = node.safe
    if isinstance(node.key, Literal):
        key_value = node.key.value
        return lambda ctx: select(target(ctx), key_value, safe, source)
    key = compile_node(node.key, source)
    return lambda ctx: select(target(ctx), key(ctx), safe, source)


def find_key(obj: dict[str, Any], name: str) -> str | None:
    """The key `name` selects (§5.3): the exact-case key, else the first key equal ignoring case."""
    if name in obj:
        return name
    folded = name.lower()
    for key in obj:
        if key.lower() == folded:
            return key
    return None


def select(value: Any, key: Any, safe: bool, source: str) -> Any:
    """`value.key` / `value[key]`; with `safe` (`?`), null when the value is null or has no such member."""
    if isinstance(value, dict):
        if not isinstance(key, str):
            if safe and key is None:
                return None
            raise ExpressionError(
                f"The template language expression '{source}' cannot be evaluated because property '{_show(key)}' "
                f"cannot be selected: an object's property name must be a string, not of type '{type_name(key)}'."
            )
        found = find_key(value, key)
        if found is None:
            if safe:
                return None
            available = ", ".join(value)
            raise ExpressionError(
                f"The template language expression '{source}' cannot be evaluated because property '{key}' doesn't "
                f"exist, available properties are '{available}'. Please see https://aka.ms/logicexpressions for "
                "usage details."
            )
        return value[found]
    if isinstance(value, list):
        if is_integer(key):
            if 0 <= key < len(value):
                return value[key]
            if safe:
                return None
            raise ExpressionError(
                f"The template language expression '{source}' cannot be evaluated because array index '{key}' is "
                f"outside bounds (0, {len(value) - 1}) of array. Please see https://aka.ms/logicexpressions for "
                "usage details."
            )
        if safe and key is None:
            return None
        raise ExpressionError(
            f"The template language expression '{source}' cannot be evaluated because property '{_show(key)}' "
            "cannot be selected. Array elements can only be selected using an integer index. Please see "
            "https://aka.ms/logicexpressions for usage details."
        )
    if value is None and safe:
        return None
    raise ExpressionError(
        f"The template language expression '{source}' cannot be evaluated because property '{_show(key)}' cannot "
        f"be selected. Property selection is not supported on values of type '{type_name(value)}'. Please see "
        "https://aka.ms/logicexpressions for usage details."
    )


def _show(key: Any) -> str:
    return to_text(key)
