"""Arrays, List, Dictionary, HashSet, KeyValuePair, Array statics and StringComparer, on Python list/dict/set."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from keyless.csharp.dotnet.text import Char
from keyless.csharp.errors import DotNetException, argument_null, argument_out_of_range
from keyless.csharp.members import DotNetType, Property, Ref, builtin_members, define_type, generic


class KeyValuePair:
    """`KeyValuePair<K, V>`: what enumerating a dictionary yields."""

    __slots__ = ("Key", "Value")
    __dotnet_name__ = "System.Collections.Generic.KeyValuePair`2"

    def __init__(self, key: Any, value: Any) -> None:
        self.Key = key
        self.Value = value

    def ToString(self) -> str:
        from keyless.csharp.dotnet.text import to_string

        return f"[{to_string(self.Key)}, {to_string(self.Value)}]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyValuePair) and self.Key == other.Key and self.Value == other.Value

    def __hash__(self) -> int:
        return hash((self.Key, repr(self.Value)))


class StringComparer:
    """`StringComparer.OrdinalIgnoreCase` and friends: equality and ordering of strings."""

    __dotnet_name__ = "System.StringComparer"

    def __init__(self, name: str, ignore: bool) -> None:
        self.name = name
        self.ignore_case = ignore

    def key(self, s: Any) -> Any:
        return s.casefold() if self.ignore_case and isinstance(s, str) else s

    def Equals(self, a: Any, b: Any) -> bool:
        return bool(self.key(a) == self.key(b))

    def Compare(self, a: Any, b: Any) -> int:
        x, y = self.key(a), self.key(b)
        return (x > y) - (x < y)

    def GetHashCode(self, s: Any) -> int:
        from keyless.csharp.dotnet.strings import string_hash

        return string_hash(self.key(s))


class _StringComparerStatics:
    Ordinal = StringComparer("Ordinal", False)
    OrdinalIgnoreCase = StringComparer("OrdinalIgnoreCase", True)
    InvariantCulture = StringComparer("InvariantCulture", False)
    InvariantCultureIgnoreCase = StringComparer("InvariantCultureIgnoreCase", True)
    CurrentCulture = StringComparer("CurrentCulture", False)
    CurrentCultureIgnoreCase = StringComparer("CurrentCultureIgnoreCase", True)


class CaseInsensitiveDict(dict):  # type: ignore[type-arg]
    """A Dictionary built with a case-insensitive StringComparer: keys keep their first spelling."""

    def __init__(self, comparer: StringComparer) -> None:
        super().__init__()
        self.comparer = comparer
        self._keys: dict[Any, Any] = {}

    def _k(self, key: Any) -> Any:
        return self._keys.get(self.comparer.key(key), key)

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._k(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        k = self.comparer.key(key)
        if k not in self._keys:
            self._keys[k] = key
        super().__setitem__(self._keys[k], value)

    def __contains__(self, key: object) -> bool:
        return self.comparer.key(key) in self._keys

    def __delitem__(self, key: Any) -> None:
        real = self._k(key)
        super().__delitem__(real)
        del self._keys[self.comparer.key(key)]

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._k(key), default)


def enumerate_items(value: Any) -> Iterator[Any]:
    """What `foreach` and LINQ see: dict entries as KeyValuePair, string chars as Char."""
    if value is None:
        raise argument_null("source")
    if isinstance(value, dict):
        return (KeyValuePair(k, v) for k, v in value.items())
    if isinstance(value, str):
        return (Char(c) for c in value)
    enum = getattr(value, "__dotnet_iter__", None)
    if enum is not None:
        return enum()  # type: ignore[no-any-return]
    if isinstance(value, Iterable):
        return iter(value)
    raise DotNetException(
        "RuntimeBinderException", f"foreach cannot operate on a value of type '{type(value).__name__}'"
    )


# List<T> and arrays (both are Python lists)


def _list_remove(lst: list[Any], item: Any) -> bool:
    for i, x in enumerate(lst):
        if x == item:
            del lst[i]
            return True
    return False


def _list_index(lst: list[Any], i: int) -> int:
    if not 0 <= i < len(lst):
        raise argument_out_of_range(
            "index", "Index was out of range. Must be non-negative and less than the size of the collection."
        )
    return i


builtin_members(list, {
    "Length": Property(len),
    "Count": Property(len),
    "Add": lambda lst, item: lst.append(item),
    "AddRange": lambda lst, items: lst.extend(enumerate_items(items)),
    "Insert": lambda lst, i, item: lst.insert(i, item),
    "Remove": _list_remove,
    "RemoveAt": lambda lst, i: lst.pop(_list_index(lst, i)) and None,
    "Clear": lambda lst: lst.clear(),
    "IndexOf": lambda lst, item: next((i for i, x in enumerate(lst) if x == item), -1),
    "Reverse": lambda lst: lst.reverse(),
    "Sort": lambda lst, *a: lst.sort(),
    "ToArray": lambda lst: list(lst),
    "GetHashCode": id,
    "Equals": lambda a, b: a is b,
})  # fmt: skip
builtin_members(tuple, {"Length": Property(len), "Count": Property(len)})
builtin_members(bytearray, {"Length": Property(len), "GetHashCode": id, "Equals": lambda a, b: a is b})
builtin_members(bytes, {"Length": Property(len)})


# Dictionary<K, V>


def _key(key: Any) -> Any:
    if key is None:
        raise argument_null("key")
    return key


def _try_get(d: dict[Any, Any], key: Any, out: Ref) -> bool:
    if _key(key) in d:
        out.value = d[key]
        return True
    out.value = None
    return False


def _dict_add(d: dict[Any, Any], key: Any, value: Any) -> None:
    if key is None:
        raise argument_null("key")
    if key in d:
        raise DotNetException("ArgumentException", f"An item with the same key has already been added. Key: {key}")
    d[key] = value


def _dict_remove(d: dict[Any, Any], key: Any) -> bool:
    if key in d:
        del d[key]
        return True
    return False


@generic
def get_value_or_default(type_args: tuple[Any, ...], d: Any, key: Any, default: Any = None) -> Any:
    """`CollectionExtensions.GetValueOrDefault(dict, key[, default])`."""
    if key is None:
        raise argument_null("key")
    return d[key] if key in d else default


builtin_members(dict, {
    "Count": Property(len),
    "Keys": Property(lambda d: list(d.keys())),
    "Values": Property(lambda d: list(d.values())),
    "Add": _dict_add,
    "ContainsKey": lambda d, k: _key(k) in d,
    "ContainsValue": lambda d, v: v in d.values(),
    "TryGetValue": _try_get,
    "Remove": _dict_remove,
    "Clear": lambda d: d.clear(),
    "GetValueOrDefault": get_value_or_default,
    "TryAdd": lambda d, k, v: False if k in d else (d.__setitem__(k, v) or True),
    "GetHashCode": id,
    "Equals": lambda a, b: a is b,
})  # fmt: skip


# HashSet<T>


class HashSet(list):  # type: ignore[type-arg]
    """`HashSet<T>`: insertion-ordered (as .NET's is in practice) set of values."""

    __dotnet_name__ = "System.Collections.Generic.HashSet`1"

    def __init__(self, items: Any = None, comparer: StringComparer | None = None) -> None:
        super().__init__()
        if isinstance(items, StringComparer):
            items, comparer = None, items
        self.comparer = comparer
        for item in enumerate_items(items) if items is not None else ():
            self.Add(item)

    def _key(self, v: Any) -> Any:
        return self.comparer.key(v) if self.comparer else v

    def Contains(self, item: Any) -> bool:
        k = self._key(item)
        return any(self._key(x) == k for x in self)

    def Add(self, item: Any) -> bool:
        if self.Contains(item):
            return False
        self.append(item)
        return True

    def Remove(self, item: Any) -> bool:
        k = self._key(item)
        for i, x in enumerate(self):
            if self._key(x) == k:
                del self[i]
                return True
        return False

    @property
    def Count(self) -> int:
        return len(self)


builtin_members(HashSet, {"Add": HashSet.Add, "Contains": HashSet.Contains, "Remove": HashSet.Remove,
                          "Count": Property(len)})  # fmt: skip


@generic
def _new_list(type_args: tuple[Any, ...], items: Any = None) -> list[Any]:
    if items is None or (isinstance(items, int) and not isinstance(items, bool)):
        return []
    return list(enumerate_items(items))


@generic
def _new_dict(type_args: tuple[Any, ...], source: Any = None, comparer: Any = None) -> dict[Any, Any]:
    if isinstance(source, StringComparer):
        source, comparer = None, source
    d: dict[Any, Any] = CaseInsensitiveDict(comparer) if comparer is not None and comparer.ignore_case else {}
    if isinstance(source, dict):
        for k, v in source.items():
            d[k] = v
    return d


@generic
def _new_set(type_args: tuple[Any, ...], items: Any = None, comparer: Any = None) -> HashSet:
    return HashSet(items, comparer)


def _kvp(key: Any, value: Any) -> KeyValuePair:
    return KeyValuePair(key, value)


class ArrayStatics:
    """`Array.X(...)`."""

    @staticmethod
    def Copy(src: Any, *args: Any) -> None:
        if len(args) == 2:
            dst, length = args
            src_i = dst_i = 0
        else:
            src_i, dst, dst_i, length = args
        if src is None or dst is None:
            raise argument_null("sourceArray" if src is None else "destinationArray")
        if src_i + length > len(src) or dst_i + length > len(dst) or min(src_i, dst_i, length) < 0:
            raise DotNetException(
                "ArgumentException",
                "Destination array was not long enough. Check the destination index, length, and the array's lower bounds. (Parameter 'destinationArray')",  # noqa: E501
            )
        dst[dst_i : dst_i + length] = src[src_i : src_i + length]

    @staticmethod
    def Exists(array: Any, predicate: Any) -> bool:
        return any(predicate(x) for x in enumerate_items(array))

    @staticmethod
    def Find(array: Any, predicate: Any) -> Any:
        return next((x for x in enumerate_items(array) if predicate(x)), None)

    @staticmethod
    def IndexOf(array: Any, value: Any) -> int:
        return next((i for i, x in enumerate(array) if x == value), -1)

    @staticmethod
    def Reverse(array: Any) -> None:
        array.reverse()

    @staticmethod
    def Sort(array: Any) -> None:
        array.sort()

    @staticmethod
    @generic
    def Empty(type_args: tuple[Any, ...]) -> list[Any]:
        return []

    @staticmethod
    def Resize(ref: Ref, size: int) -> None:
        raise DotNetException("NotSupportedException", "keyless does not implement Array.Resize")


define_type(DotNetType("List", "System.Collections.Generic.List`1", (list,), None, _new_list, aliases=(
    "System.Collections.Generic.List", "IList", "ICollection", "IEnumerable", "IReadOnlyList", "IReadOnlyCollection",
    "System.Collections.Generic.IEnumerable", "System.Collections.Generic.IList")))  # fmt: skip
define_type(DotNetType("Dictionary", "System.Collections.Generic.Dictionary`2", (dict,), None, _new_dict, aliases=(
    "System.Collections.Generic.Dictionary", "IDictionary", "IReadOnlyDictionary",
    "System.Collections.Generic.IDictionary", "System.Collections.Generic.IReadOnlyDictionary")))  # fmt: skip
define_type(DotNetType("HashSet", "System.Collections.Generic.HashSet`1", (HashSet,), None, _new_set,
                       aliases=("System.Collections.Generic.HashSet", "ISet")))  # fmt: skip
define_type(DotNetType("KeyValuePair", "System.Collections.Generic.KeyValuePair`2", (KeyValuePair,), None, _kvp,
                       aliases=("System.Collections.Generic.KeyValuePair",)))  # fmt: skip
define_type(DotNetType("Array", "System.Array", (list, tuple, bytearray, bytes), ArrayStatics))
define_type(DotNetType("StringComparer", "System.StringComparer", (StringComparer,), _StringComparerStatics))
