"""`System.Linq.Enumerable`: the LINQ methods policies use, as extension methods on every sequence."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from keyless.csharp.dotnet.collections import HashSet, StringComparer, enumerate_items
from keyless.csharp.errors import DotNetException, argument_null, argument_out_of_range, invalid_operation
from keyless.csharp.members import EXTENSIONS, DotNetType, define_type, generic


def _items(source: Any) -> list[Any]:
    if source is None:
        raise argument_null("source")
    return list(enumerate_items(source))


def _indexed(fn: Callable[..., Any]) -> bool:
    return getattr(fn, "arity", 1) == 2


def _no_elements() -> DotNetException:
    return invalid_operation("Sequence contains no elements")


def _no_match() -> DotNetException:
    return invalid_operation("Sequence contains no matching element")


def _filter(source: Any, predicate: Any) -> list[Any]:
    items = _items(source)
    if predicate is None:
        return items
    if _indexed(predicate):
        return [x for i, x in enumerate(items) if predicate(x, i)]
    return [x for x in items if predicate(x)]


def _key(comparer: Any) -> Callable[[Any], Any]:
    return comparer.key if isinstance(comparer, StringComparer) else (lambda v: v)


def sort_key(v: Any) -> Any:
    """Comparer<T>.Default: null first; strings culture-like (case-insensitive, lower case first on ties)."""
    if v is None:
        return (0, "")
    if isinstance(v, str):
        return (1, v.casefold(), v.swapcase())
    return (1, v)


def Select(source: Any, selector: Any) -> list[Any]:
    items = _items(source)
    if _indexed(selector):
        return [selector(x, i) for i, x in enumerate(items)]
    return [selector(x) for x in items]


def SelectMany(source: Any, selector: Any) -> list[Any]:
    return [y for x in _items(source) for y in enumerate_items(selector(x))]


def Where(source: Any, predicate: Any) -> list[Any]:
    return _filter(source, predicate)


def Any_(source: Any, predicate: Any = None) -> bool:
    return bool(_filter(source, predicate))


def All(source: Any, predicate: Any) -> bool:
    return all(predicate(x) for x in _items(source))


def First(source: Any, predicate: Any = None) -> Any:
    items = _filter(source, predicate)
    if not items:
        raise _no_match() if predicate is not None else _no_elements()
    return items[0]


def FirstOrDefault(source: Any, predicate: Any = None, default: Any = None) -> Any:
    if predicate is not None and not callable(predicate):
        predicate, default = None, predicate
    items = _filter(source, predicate)
    return items[0] if items else default


def Last(source: Any, predicate: Any = None) -> Any:
    items = _filter(source, predicate)
    if not items:
        raise _no_match() if predicate is not None else _no_elements()
    return items[-1]


def LastOrDefault(source: Any, predicate: Any = None, default: Any = None) -> Any:
    if predicate is not None and not callable(predicate):
        predicate, default = None, predicate
    items = _filter(source, predicate)
    return items[-1] if items else default


def Single(source: Any, predicate: Any = None) -> Any:
    items = _filter(source, predicate)
    if not items:
        raise _no_match() if predicate is not None else _no_elements()
    if len(items) > 1:
        raise invalid_operation(
            "Sequence contains more than one matching element"
            if predicate is not None
            else "Sequence contains more than one element"
        )
    return items[0]


def SingleOrDefault(source: Any, predicate: Any = None, default: Any = None) -> Any:
    if predicate is not None and not callable(predicate):
        predicate, default = None, predicate
    items = _filter(source, predicate)
    if len(items) > 1:
        raise invalid_operation(
            "Sequence contains more than one matching element"
            if predicate is not None
            else "Sequence contains more than one element"
        )
    return items[0] if items else default


def Count(source: Any, predicate: Any = None) -> int:
    return len(_filter(source, predicate))


def _numbers(source: Any, selector: Any) -> list[Any]:
    items = _items(source)
    return [selector(x) for x in items] if selector is not None else items


def Sum(source: Any, selector: Any = None) -> Any:
    values = [v for v in _numbers(source, selector) if v is not None]
    if not values:
        return 0
    return functools.reduce(lambda a, b: a + b, values)


def _extreme(source: Any, selector: Any, pick: Callable[..., Any]) -> Any:
    values = [v for v in _numbers(source, selector)]
    non_null = [v for v in values if v is not None]
    if not values:
        raise _no_elements()
    if not non_null:
        return None
    return pick(non_null, key=sort_key)


def Max(source: Any, selector: Any = None) -> Any:
    return _extreme(source, selector, max)


def Min(source: Any, selector: Any = None) -> Any:
    return _extreme(source, selector, min)


def Average(source: Any, selector: Any = None) -> Any:
    values = [v for v in _numbers(source, selector) if v is not None]
    if not values:
        raise _no_elements()
    total = functools.reduce(lambda a, b: a + b, values)
    return total / len(values) if not isinstance(total, Decimal) else total / Decimal(len(values))


def OrderBy(source: Any, key: Any, comparer: Any = None) -> list[Any]:
    k = _key(comparer)
    return sorted(_items(source), key=lambda x: sort_key(k(key(x))))


def OrderByDescending(source: Any, key: Any, comparer: Any = None) -> list[Any]:
    k = _key(comparer)
    return sorted(_items(source), key=lambda x: sort_key(k(key(x))), reverse=True)


def Contains(source: Any, value: Any, comparer: Any = None) -> bool:
    k = _key(comparer)
    target = k(value)
    return any(k(x) == target for x in _items(source))


def Distinct(source: Any, comparer: Any = None) -> list[Any]:
    k = _key(comparer)
    seen: list[Any] = []
    out = []
    for x in _items(source):
        kx = k(x)
        if kx not in seen:
            seen.append(kx)
            out.append(x)
    return out


def Skip(source: Any, count: int) -> list[Any]:
    return _items(source)[max(count, 0) :]


def Take(source: Any, count: int) -> list[Any]:
    return _items(source)[: max(count, 0)]


def SkipWhile(source: Any, predicate: Any) -> list[Any]:
    items = _items(source)
    i = 0
    while i < len(items) and predicate(items[i]):
        i += 1
    return items[i:]


def TakeWhile(source: Any, predicate: Any) -> list[Any]:
    out = []
    for x in _items(source):
        if not predicate(x):
            break
        out.append(x)
    return out


def ToList(source: Any) -> list[Any]:
    return _items(source)


def ToDictionary(source: Any, key: Any, value: Any = None, comparer: Any = None) -> dict[Any, Any]:
    from keyless.csharp.dotnet.collections import CaseInsensitiveDict

    if isinstance(value, StringComparer):
        value, comparer = None, value
    d: dict[Any, Any] = CaseInsensitiveDict(comparer) if comparer is not None and comparer.ignore_case else {}
    for x in _items(source):
        k = key(x)
        if k is None:
            raise argument_null("key")
        if k in d:
            raise DotNetException("ArgumentException", f"An item with the same key has already been added. Key: {k}")
        d[k] = value(x) if value is not None else x
    return d


def ToHashSet(source: Any, comparer: Any = None) -> HashSet:
    return HashSet(_items(source), comparer)


def Aggregate(source: Any, *args: Any) -> Any:
    items = _items(source)
    if len(args) == 1:
        if not items:
            raise _no_elements()
        return functools.reduce(args[0], items)
    result = functools.reduce(args[1], items, args[0])
    return args[2](result) if len(args) > 2 else result


def Concat(source: Any, other: Any) -> list[Any]:
    return _items(source) + _items(other)


def Union(source: Any, other: Any, comparer: Any = None) -> list[Any]:
    return Distinct(_items(source) + _items(other), comparer)


def Intersect(source: Any, other: Any, comparer: Any = None) -> list[Any]:
    k = _key(comparer)
    keys = [k(x) for x in _items(other)]
    return Distinct([x for x in _items(source) if k(x) in keys], comparer)


def Except(source: Any, other: Any, comparer: Any = None) -> list[Any]:
    k = _key(comparer)
    keys = [k(x) for x in _items(other)]
    return Distinct([x for x in _items(source) if k(x) not in keys], comparer)


def Reverse(source: Any) -> list[Any]:
    return _items(source)[::-1]


def Zip(source: Any, other: Any, selector: Any = None) -> list[Any]:
    pairs = zip(_items(source), _items(other), strict=False)
    if selector is None:
        raise DotNetException("NotSupportedException", "keyless does not implement Zip without a result selector")
    return [selector(a, b) for a, b in pairs]


def ElementAt(source: Any, index: int) -> Any:
    items = _items(source)
    if not 0 <= index < len(items):
        raise argument_out_of_range(
            "index", "Index was out of range. Must be non-negative and less than the size of the collection."
        )
    return items[index]


def ElementAtOrDefault(source: Any, index: int) -> Any:
    items = _items(source)
    return items[index] if 0 <= index < len(items) else None


def DefaultIfEmpty(source: Any, default: Any = None) -> list[Any]:
    return _items(source) or [default]


def SequenceEqual(source: Any, other: Any) -> bool:
    return _items(source) == _items(other)


@generic
def Cast(type_args: tuple[Any, ...], source: Any) -> list[Any]:
    return [type_args[0].cast(x) for x in _items(source)]


@generic
def OfType(type_args: tuple[Any, ...], source: Any) -> list[Any]:
    return [x for x in _items(source) if type_args[0].is_instance(x)]


def GroupBy(source: Any, key: Any, element: Any = None) -> list[Any]:
    groups: dict[Any, Grouping] = {}
    for x in _items(source):
        k = key(x)
        groups.setdefault(k, Grouping(k)).append(element(x) if element else x)
    return list(groups.values())


class Grouping(list):  # type: ignore[type-arg]
    """`IGrouping<K, T>`: a list with a Key."""

    def __init__(self, key: Any) -> None:
        super().__init__()
        self.Key = key


METHODS: dict[str, Callable[..., Any]] = {
    name.rstrip("_"): fn
    for name, fn in dict(globals()).items()
    if callable(fn)
    and name[0].isupper()
    and name
    not in (
        "Any",
        "Callable",
        "Iterable",
        "Decimal",
        "HashSet",
        "StringComparer",
        "DotNetException",
        "DotNetType",
        "Grouping",
    )
}
METHODS["ToArray"] = ToList
METHODS["LongCount"] = Count
for _name, _fn in METHODS.items():
    EXTENSIONS.setdefault(_name, []).append((Iterable, _fn))


class EnumerableStatics:
    """`Enumerable.X(...)`: the static forms plus Range, Repeat and Empty."""

    Range = staticmethod(lambda start, count: list(range(start, start + count)))
    Repeat = staticmethod(lambda value, count: [value] * count)
    Empty = staticmethod(generic(lambda type_args: []))


for _name, _fn in METHODS.items():
    setattr(EnumerableStatics, _name, staticmethod(_fn))
define_type(DotNetType("Enumerable", "System.Linq.Enumerable", (), EnumerableStatics))

# delegate types, so `Func<string, bool> p = s => ...;` declares a lambda variable
for _name in ("Func", "Action", "Predicate", "Comparison"):
    define_type(DotNetType(_name, f"System.{_name}", (types.FunctionType,)))
