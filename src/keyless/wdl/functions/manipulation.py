"""Object manipulation functions (§5.4 group manipulation, except xpath). Objects are copied, never edited."""

from __future__ import annotations

from typing import Any

from keyless.wdl.evaluator import find_key
from keyless.wdl.functions._args import fail, object_arg, string_arg
from keyless.wdl.functions.registry import function


@function("coalesce", 1, None, lazy=True)
def coalesce(ctx: Any, thunks: list) -> Any:
    # Stops at the first non-null: later arguments are not evaluated (IllogicApps' short-circuit vectors).
    for thunk in thunks:
        value = thunk()
        if value is not None:
            return value
    return None


@function("addProperty", 3, 3)
def add_property(ctx: Any, args: list) -> dict[str, Any]:
    target = object_arg("addProperty", args[0], 1)
    name = string_arg("addProperty", args[1], 2)
    if find_key(target, name) is not None:
        fail("addProperty", f"expects the property to not exist in the object: '{name}' already exists")
    return {**target, name: args[2]}


@function("setProperty", 3, 3)
def set_property(ctx: Any, args: list) -> dict[str, Any]:
    target = object_arg("setProperty", args[0], 1)
    name = string_arg("setProperty", args[1], 2)
    existing = find_key(target, name)
    # The property moves to the end and keeps the spelling of the key it replaces (as IllogicApps records).
    result = {key: value for key, value in target.items() if key != existing}
    result[name if existing is None else existing] = args[2]
    return result


@function("removeProperty", 2, 2)
def remove_property(ctx: Any, args: list) -> dict[str, Any]:
    target = object_arg("removeProperty", args[0], 1)
    name = string_arg("removeProperty", args[1], 2)
    existing = find_key(target, name)
    if existing is None:
        return target
    return {key: value for key, value in target.items() if key != existing}


@function("mergeObjects", 2, 2)
def merge_objects(ctx: Any, args: list) -> dict[str, Any]:
    # Shallow merge, the second object's properties win (matched case-insensitively, first spelling kept).
    first = object_arg("mergeObjects", args[0], 1)
    second = object_arg("mergeObjects", args[1], 2)
    result = dict(first)
    for key, value in second.items():
        existing = find_key(result, key)
        result[key if existing is None else existing] = value
    return result
