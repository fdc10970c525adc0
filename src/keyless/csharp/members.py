"""Member lookup: built-in .NET types, host-registered types and extension methods, generic calls, `out` refs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keyless.csharp.errors import DotNetException, invalid_cast, null_reference

_BUILTIN_PY = (str, int, float, bool, list, tuple, dict, set, frozenset, bytes, bytearray)


class Ref:
    """An `out`/`ref` argument: the callee sets `.value`; the caller copies it into the variable."""

    __slots__ = ("value",)

    def __init__(self, value: Any = None) -> None:
        self.value = value


def generic(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a method as generic: it receives the call's type arguments (a tuple of TypeRef, maybe empty) first."""
    fn.__csharp_generic__ = True  # type: ignore[attr-defined]
    return fn


class Property:
    """A built-in member read without a call (`"abc".Length`)."""

    __slots__ = ("get",)

    def __init__(self, get: Callable[[Any], Any]) -> None:
        self.get = get


@dataclass
class DotNetType:
    """A .NET type name as expressions see it: for casts, `is`/`as`, `new`, and static members."""

    name: str
    full_name: str
    python_types: tuple[type, ...] = ()
    statics: Any = None  # an object whose attributes are the type's static members
    construct: Callable[..., Any] | None = None
    convert: Callable[[Any], Any] | None = None  # explicit cast (numeric conversions, JToken operators)
    supported: bool = True
    aliases: tuple[str, ...] = field(default_factory=tuple)


TYPES: dict[str, DotNetType] = {}
NAMESPACES: set[str] = set()
# per Python type: C# member name -> Property or function(self, *args)
BUILTIN_MEMBERS: dict[type, dict[str, Any]] = {}
# C# method name -> [(python type, fn(self, *args))], host-registered first, then the library's (LINQ)
EXTENSIONS: dict[str, list[tuple[type, Callable[..., Any]]]] = {}
_TABLE_CACHE: dict[type, dict[str, Any]] = {}


def define_type(t: DotNetType) -> DotNetType:
    for name in (t.name, t.full_name, *t.aliases):
        TYPES[name] = t
        parts = name.split(".")
        for i in range(1, len(parts)):
            NAMESPACES.add(".".join(parts[:i]))
    return t


def register_type(name: str, python_type: type) -> None:
    """Makes a host type known to casts, `is` and `as` (`(IResponse)x`, `x is Jwt`)."""
    existing = TYPES.get(name)
    if existing is not None and existing.supported:
        existing.python_types = (*existing.python_types, python_type)
        return
    define_type(DotNetType(name, name, (python_type,)))


def register_extension(python_type: type, name: str, fn: Callable[..., Any]) -> None:
    """Adds an extension method `name` to values of python_type; fn receives the value first."""
    EXTENSIONS.setdefault(name, []).insert(0, (python_type, fn))


def builtin_members(python_type: type, members: dict[str, Any]) -> None:
    BUILTIN_MEMBERS.setdefault(python_type, {}).update(members)
    _TABLE_CACHE.clear()


def _table(tp: type) -> dict[str, Any]:
    table = _TABLE_CACHE.get(tp)
    if table is None:
        table = {}
        for base in reversed(tp.__mro__):
            table.update(BUILTIN_MEMBERS.get(base, {}))
        _TABLE_CACHE[tp] = table
    return table


def type_name(value: Any) -> str:
    """The .NET full type name of a value, for InvalidCastException messages."""
    if value is None:
        return "null"
    if isinstance(value, DotNetException):
        return value.type_name if "." in value.type_name else f"System.{value.type_name}"
    name = getattr(type(value), "__dotnet_name__", None)
    if name:
        return name
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Double"
    if isinstance(value, str):
        return "System.Char" if type(value).__name__ == "Char" else "System.String"
    if isinstance(value, bytes | bytearray):
        return "System.Byte[]"
    if isinstance(value, list | tuple):
        return "System.Object[]"
    if isinstance(value, dict):
        return "System.Collections.Generic.Dictionary`2[System.String,System.Object]"
    for t in TYPES.values():
        if type(value) in t.python_types:
            return t.full_name
    return type(value).__name__


class AnonymousObject:
    """An instance of a C# anonymous type: read-only properties in declaration order, Equals by value."""

    __slots__ = ("_names", "_values")
    __dotnet_name__ = "<>f__AnonymousType"

    def __init__(self, names: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self._names = names
        self._values = values

    def items(self) -> list[tuple[str, Any]]:
        return list(zip(self._names, self._values, strict=True))

    def get(self, name: str) -> Any:
        try:
            return self._values[self._names.index(name)]
        except ValueError:
            raise missing_member(self, name) from None

    def ToString(self) -> str:
        from keyless.csharp.dotnet.text import to_string

        if not self._names:
            return "{ }"
        return "{ " + ", ".join(f"{k} = {to_string(v)}" for k, v in self.items()) + " }"

    def Equals(self, other: Any) -> bool:
        return self == other

    def GetHashCode(self) -> int:
        return hash(self) & 0x7FFFFFFF

    # Python equality is the type's Equals (Distinct, GroupBy, Contains, dictionary keys); C#'s `==` stays
    # reference equality (operators.equals), as for any class without an operator overload.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AnonymousObject) or other._names != self._names:
            return False
        from keyless.csharp.operators import equals

        return all(
            a == b if isinstance(a, AnonymousObject) else equals(a, b)
            for a, b in zip(self._values, other._values, strict=True)
        )

    def __hash__(self) -> int:
        return hash((self._names, *(_hash_value(v) for v in self._values)))


def _hash_value(v: Any) -> int:
    try:
        return hash(v)
    except TypeError:  # a list or dictionary: reference identity, as its GetHashCode
        return id(v)


def missing_member(value: Any, name: str) -> DotNetException:
    return DotNetException("RuntimeBinderException", f"'{type_name(value)}' does not contain a definition for '{name}'")


def _has_csharp_attr(obj: Any, name: str) -> bool:
    """Host and library objects expose their C# (PascalCase) members; Python's own attributes never show through."""
    if not name[:1].isupper():
        return False
    if not isinstance(obj, _BUILTIN_PY):
        return hasattr(obj, name)
    if name in getattr(obj, "__dict__", ()):
        return True
    return any(name in vars(k) for k in type(obj).__mro__ if k not in _BUILTIN_PY and k is not object)


def get_member(obj: Any, name: str) -> Any:
    """`obj.Name` (a property or field)."""
    if obj is None:
        raise null_reference()
    if type(obj) is AnonymousObject:
        return obj.get(name)
    m = _table(type(obj)).get(name)
    if m is not None:
        if isinstance(m, Property):
            return m.get(obj)
        return lambda *a, **k: m(obj, *a, **k)
    if name.startswith("_") or not _has_csharp_attr(obj, name):
        raise missing_member(obj, name)
    return getattr(obj, name)


def _own_member(obj: Any, name: str) -> tuple[bool, Any]:
    m = _table(type(obj)).get(name)
    if isinstance(m, Property):
        return True, m.get(obj)
    if _has_csharp_attr(obj, name):
        return True, getattr(obj, name)
    return False, None


def nullable_has_value(obj: Any) -> Any:
    """`x.HasValue`: a member of that name, else Nullable<T>'s (values here are unboxed, so null means none)."""
    if obj is None:
        return False
    found, value = _own_member(obj, "HasValue")
    return value if found else True


def nullable_value(obj: Any) -> Any:
    """`x.Value`: a member of that name (JValue, KeyValuePair, Group), else Nullable<T>.Value."""
    if obj is None:
        raise DotNetException("InvalidOperationException", "Nullable object must have a value.")
    found, value = _own_member(obj, "Value")
    return value if found else obj


def set_member(obj: Any, name: str, value: Any) -> None:
    if obj is None:
        raise null_reference()
    if type(obj) is AnonymousObject:
        raise DotNetException(
            "RuntimeBinderException",
            f"Property or indexer '<anonymous type>.{name}' cannot be assigned to -- it is read only",
        )
    if name.startswith("_") or not _has_csharp_attr(obj, name):
        raise missing_member(obj, name)
    setattr(obj, name, value)


def invoke(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], type_args: tuple[Any, ...]) -> Any:
    if getattr(fn, "__csharp_generic__", False):
        args = (type_args, *args)
    elif type_args:
        name = getattr(fn, "__name__", "method")
        raise DotNetException(
            "RuntimeBinderException", f"The non-generic method '{name}' cannot be used with type arguments"
        )
    if not kwargs:
        return fn(*args)
    try:
        return fn(*args, **kwargs)
    except TypeError as exc:
        # a library method whose Python parameters are not named as in C#: named arguments in written order
        if "unexpected keyword argument" not in str(exc):
            raise
        return fn(*args, *kwargs.values())


def find_extension(obj: Any, name: str) -> Callable[..., Any] | None:
    for tp, fn in EXTENSIONS.get(name, ()):
        if isinstance(obj, tp):
            return fn
    return None


def call_method(obj: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], type_args: tuple[Any, ...]) -> Any:
    """`obj.Name<T>(args)`: a built-in member, then an extension method, then the host object's attribute."""
    if obj is None:
        raise null_reference()
    if type(obj) is AnonymousObject and name in obj._names:  # a property holding a delegate
        return invoke(obj.get(name), args, kwargs, type_args)
    m = _table(type(obj)).get(name)
    if m is not None and not isinstance(m, Property):
        return invoke(m, (obj, *args), kwargs, type_args)
    if not name.startswith("_") and _has_csharp_attr(obj, name):
        attr = getattr(obj, name, None)
        if attr is not None and callable(attr):
            return invoke(attr, args, kwargs, type_args)
    ext = find_extension(obj, name)
    if ext is not None:
        return invoke(ext, (obj, *args), kwargs, type_args)
    universal = _OBJECT_MEMBERS.get(name)
    if universal is not None and not type_args:
        return universal(obj, *args)
    raise missing_member(obj, name)


class RuntimeType:
    """What `x.GetType()` returns: enough for `.Name` and `.FullName`."""

    def __init__(self, full_name: str) -> None:
        self.FullName = full_name
        self.Name = full_name.rsplit(".", 1)[-1]

    def ToString(self) -> str:
        return self.FullName


def _object_to_string(obj: Any, fmt: Any = None, *provider: Any) -> str:
    from keyless.csharp.dotnet.text import format_value, to_string

    return format_value(obj, fmt) if isinstance(fmt, str) else to_string(obj)


def _object_equals(obj: Any, other: Any) -> bool:
    from keyless.csharp.operators import equals

    return equals(obj, other)


# System.Object's members, for values whose type does not define them
_OBJECT_MEMBERS: dict[str, Callable[..., Any]] = {
    "ToString": _object_to_string,
    "Equals": _object_equals,
    "GetHashCode": lambda obj: hash(obj) & 0x7FFFFFFF,
    "GetType": lambda obj: RuntimeType(type_name(obj)),
}


# type references (`As<JObject>()`, casts)

PREDEFINED_ALIASES = {
    "String": "string", "Int32": "int", "Int64": "long", "Int16": "short", "Byte": "byte", "SByte": "sbyte",
    "UInt32": "uint", "UInt64": "ulong", "UInt16": "ushort", "Double": "double", "Single": "float",
    "Decimal": "decimal", "Boolean": "bool", "Char": "char", "Object": "object",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A type as written in an expression (`JObject`, `string`, `byte[]`, `List<string>`), canonically named."""

    name: str
    args: tuple[TypeRef, ...] = ()
    rank: int = 0
    nullable: bool = False

    @property
    def dotnet(self) -> DotNetType | None:
        return TYPES.get(self.name)

    def __str__(self) -> str:
        s = self.name + (f"<{', '.join(map(str, self.args))}>" if self.args else "")
        return s + ("?" if self.nullable else "") + "[]" * self.rank

    def is_instance(self, value: Any) -> bool:
        """C# `value is T`."""
        if value is None:
            return False
        if self.rank:
            if self.name == "byte" and self.rank == 1:
                return isinstance(value, bytes | bytearray)
            return isinstance(value, list | tuple)
        if self.name in ("object", "dynamic"):
            return True
        t = TYPES.get(self.name)
        if t is None:
            return False
        if self.name == "int":
            return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
        if self.name in ("long", "short", "byte", "sbyte", "uint", "ulong", "ushort"):
            return isinstance(value, int) and not isinstance(value, bool)
        if self.name == "string":
            return isinstance(value, str) and type(value).__name__ != "Char"
        return isinstance(value, t.python_types) if t.python_types else False

    def cast(self, value: Any) -> Any:
        """C# `(T)value`, with explicit numeric and JToken conversions."""
        if self.rank or self.name in ("object", "dynamic"):
            if value is None or self.name in ("object", "dynamic") or self.is_instance(value):
                return value
            raise invalid_cast(type_name(value), _full(self))
        t = TYPES.get(self.name)
        if t is None:
            raise DotNetException("NotSupportedException", f"keyless does not implement the type '{self.name}'")
        if not t.supported:
            raise DotNetException("NotSupportedException", f"keyless does not implement the type '{t.full_name}'")
        if value is None:
            if self.nullable or not t.convert or self.name == "string":
                return None
            raise null_reference()
        if t.convert is not None:
            return t.convert(value)
        if self.is_instance(value):
            return value
        raise invalid_cast(type_name(value), t.full_name)

    def default(self) -> Any:
        """`default(T)`: 0, false, 0.0, '\\0', DateTime.MinValue, TimeSpan.Zero, Guid.Empty; null otherwise."""
        if self.rank or self.nullable:
            return None
        from keyless.csharp.runtime import default_value

        return default_value(self.name)

    def unbox(self, value: Any) -> Any:
        """C# `(T)obj` when obj's static type is `object`: no numeric or user-defined conversions apply."""
        if value is None or self.name in ("object", "dynamic") or self.is_instance(value):
            return self.cast(value)
        t = TYPES.get(self.name)
        raise invalid_cast(type_name(value), _full(self) if t is None or self.rank else t.full_name)


def _full(ref: TypeRef) -> str:
    t = TYPES.get(ref.name)
    return (t.full_name if t else ref.name) + "[]" * ref.rank


def canonical_name(name: str) -> str:
    """`System.String` / `String` -> `string`; `System.Text.Encoding` -> `Encoding`."""
    short = name.rsplit(".", 1)[-1]
    if short in PREDEFINED_ALIASES and (name == short or name == "System." + short):
        return PREDEFINED_ALIASES[short]
    t = TYPES.get(name)
    return t.name if t is not None else short
