"""Collection functions (§5.4 group collection): strings, arrays and (for some) objects."""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any

from keyless.wdl.evaluator import find_key
from keyless.wdl.functions._args import array_arg, fail, int_arg, string_arg, wrong_type
from keyless.wdl.functions._compare import data_equals, order
from keyless.wdl.functions.registry import function
from keyless.wdl.text import to_text
from keyless.wdl.values import is_envelope, is_number


def _sequence(fn: str, value: Any) -> str | list[Any]:
    if not isinstance(value, (str, list)):
        wrong_type(fn, "an array or a string", value)
    return value


@function("contains", 2, 2)
def contains(ctx: Any, args: list) -> bool:
    collection, value = args
    if isinstance(collection, str):
        # Case-sensitive substring (ordinal).
        return string_arg("contains", value, 2) in collection
    if isinstance(collection, list):
        return any(data_equals(element, value) for element in collection)
    if isinstance(collection, dict) and not is_envelope(collection):
        return isinstance(value, str) and find_key(collection, value) is not None
    wrong_type("contains", "an object, an array or a string", collection, 1)


@function("length", 1, 1)
def length(ctx: Any, args: list) -> int:
    return len(_sequence("length", args[0]))


@function("empty", 1, 1)
def empty(ctx: Any, args: list) -> bool:
    value = args[0]
    if value is None:
        return True
    if isinstance(value, (str, list)) or (isinstance(value, dict) and not is_envelope(value)):
        return len(value) == 0
    wrong_type("empty", "an object, an array or a string", value)


@function("first", 1, 1)
def first(ctx: Any, args: list) -> Any:
    value = _sequence("first", args[0])
    if not value:
        return "" if isinstance(value, str) else None
    return value[0]


@function("last", 1, 1)
def last(ctx: Any, args: list) -> Any:
    value = _sequence("last", args[0])
    if not value:
        return "" if isinstance(value, str) else None
    return value[-1]


def _count(fn: str, value: Any) -> int:
    count = int_arg(fn, value, 2)
    if count < 0:
        fail(fn, f"expects its count (second parameter) to be a positive integer or zero, not {count}")
    return count


@function("take", 2, 2)
def take(ctx: Any, args: list) -> Any:
    collection = _sequence("take", args[0])
    return collection[: _count("take", args[1])]


@function("skip", 2, 2)
def skip(ctx: Any, args: list) -> Any:
    collection = _sequence("skip", args[0])
    return collection[_count("skip", args[1]) :]


@function("reverse", 1, 1)
def reverse(ctx: Any, args: list) -> list[Any]:
    return array_arg("reverse", args[0])[::-1]


@function("join", 2, 2)
def join(ctx: Any, args: list) -> str:
    collection, delimiter = args
    if not isinstance(collection, list):
        wrong_type("join", "an array", collection, 1)
    delimiter = string_arg("join", delimiter, 2)
    return delimiter.join(to_text(element) for element in collection)


@function("chunk", 2, 2)
def chunk(ctx: Any, args: list) -> list[Any]:
    collection = _sequence("chunk", args[0])
    size = int_arg("chunk", args[1], 2)
    if size <= 0:
        fail("chunk", f"expects its length (second parameter) to be greater than zero, not {size}")
    return [collection[index : index + size] for index in range(0, len(collection), size)]


@function("sort", 1, 2)
def sort(ctx: Any, args: list) -> list[Any]:
    collection = array_arg("sort", args[0], 1)
    if len(args) == 1:
        return sorted(collection, key=cmp_to_key(lambda a, b: order("sort", a, b)))
    key = string_arg("sort", args[1], 2)

    def value_of(element: Any) -> Any:
        if not isinstance(element, dict):
            wrong_type("sort", "an array of objects when a sort key is given", element, 1)
        found = find_key(element, key)
        if found is None:
            fail("sort", f"cannot sort by '{key}': an element of the array has no such property")
        return element[found]

    return sorted(collection, key=cmp_to_key(lambda a, b: order("sort", value_of(a), value_of(b))))


def _same_kind(fn: str, args: list) -> type:
    if all(isinstance(value, list) for value in args):
        return list
    if all(isinstance(value, dict) for value in args):
        return dict
    fail(fn, "expects parameters of same type: all arrays or all objects")


def _scalar_key(element: Any) -> tuple | None:
    """A hashable stand-in for scalars (1 and 1.0 hash alike, as they compare equal); None for containers."""
    if element is None:
        return ("null",)
    if element is True or element is False:
        return ("bool", element)
    if isinstance(element, str):
        return ("str", element)
    if is_number(element):
        return ("num", element)
    return None


class _Seen:
    """Membership by data equality, hashing the scalars so large arrays stay linear."""

    def __init__(self, elements: list[Any] = ()) -> None:  # type: ignore[assignment]
        self.keys: set[tuple] = set()
        self.containers: list[Any] = []
        for element in elements:
            self.add(element)

    def add(self, element: Any) -> None:
        key = _scalar_key(element)
        if key is None:
            self.containers.append(element)
        else:
            self.keys.add(key)

    def __contains__(self, element: Any) -> bool:
        key = _scalar_key(element)
        if key is not None:
            return key in self.keys
        return any(data_equals(element, seen) for seen in self.containers)


def _unique(elements: list[Any]) -> list[Any]:
    seen = _Seen()
    result: list[Any] = []
    for element in elements:
        if element not in seen:
            seen.add(element)
            result.append(element)
    return result


@function("union", 2, None)
def union(ctx: Any, args: list) -> Any:
    if _same_kind("union", args) is list:
        return _unique([element for value in args for element in value])
    merged: dict[str, Any] = {}
    for value in args:
        merged.update(value)  # a later value wins, the key keeps its first place
    return merged


@function("intersection", 2, None)
def intersection(ctx: Any, args: list) -> Any:
    first_value, others = args[0], args[1:]
    if _same_kind("intersection", args) is list:
        sets = [_Seen(value) for value in others]
        return [element for element in _unique(first_value) if all(element in seen for seen in sets)]
    return {
        key: element
        for key, element in first_value.items()
        if all(key in value and data_equals(element, value[key]) for value in others)
    }
