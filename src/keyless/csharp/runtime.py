"""Run-time helpers the compiled closures call: indexers, array creation, unsupported types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from keyless.csharp.dotnet.text import Char
from keyless.csharp.errors import (
    DotNetException,
    argument_null,
    index_out_of_range,
    key_not_found,
    null_reference,
)
from keyless.csharp.members import TypeRef, type_name

_DEFAULTS = {"int": 0, "long": 0, "short": 0, "sbyte": 0, "uint": 0, "ulong": 0, "ushort": 0, "double": 0.0,
             "float": 0.0, "decimal": Decimal(0), "bool": False, "char": Char("\0")}  # fmt: skip


def unsupported(full_name: str) -> NoReturn:
    raise DotNetException("NotSupportedException", f"keyless does not implement the type '{full_name}'")


def _int_index(key: Any) -> int:
    if isinstance(key, Char):
        return ord(key)
    if not isinstance(key, int) or isinstance(key, bool):
        raise DotNetException(
            "InvalidCastException", f"Unable to cast object of type '{type_name(key)}' to type 'System.Int32'."
        )
    return key


def index_get(obj: Any, *keys: Any) -> Any:
    """`obj[key]`: arrays and strings by position, dictionaries by key (KeyNotFoundException), else `__getitem__`."""
    if obj is None:
        raise null_reference()
    key = keys[0]
    if isinstance(obj, list | tuple | bytearray | bytes | str):
        i = _int_index(key)
        if not 0 <= i < len(obj):
            raise index_out_of_range()
        v = obj[i]
        return Char(v) if isinstance(obj, str) else v
    if isinstance(obj, dict):
        if key is None:
            raise argument_null("key")
        try:
            return obj[key]
        except KeyError:
            raise key_not_found(key) from None
    getitem = getattr(obj, "__getitem__", None)
    if getitem is None:
        raise DotNetException(
            "RuntimeBinderException", f"Cannot apply indexing with [] to an expression of type '{type_name(obj)}'"
        )
    try:
        return getitem(*keys) if len(keys) > 1 else getitem(key)
    except KeyError:
        raise key_not_found(key) from None
    except IndexError:
        raise DotNetException(
            "ArgumentOutOfRangeException",
            "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')",  # noqa: E501
        ) from None


def index_set(obj: Any, *keys_and_value: Any) -> None:
    if obj is None:
        raise null_reference()
    *keys, value = keys_and_value
    key = keys[0]
    if isinstance(obj, list | bytearray):
        i = _int_index(key)
        if not 0 <= i < len(obj):
            raise index_out_of_range()
        if isinstance(obj, bytearray):
            value = int(value) & 0xFF
        obj[i] = value
        return
    if isinstance(obj, str | tuple | bytes):
        raise DotNetException("RuntimeBinderException", "Property or indexer cannot be assigned to -- it is read only")
    if isinstance(obj, dict):
        if key is None:
            raise argument_null("key")
        obj[key] = value
        return
    setitem = getattr(obj, "__setitem__", None)
    if setitem is None:
        raise DotNetException(
            "RuntimeBinderException", f"Cannot apply indexing with [] to an expression of type '{type_name(obj)}'"
        )
    setitem(key, value)


def new_array(element: TypeRef | None, size: Any, items: list[Any] | None) -> Any:
    """`new T[n]`, `new T[] {..}`, `new[] {..}`: byte arrays are bytearray, other arrays list."""
    is_bytes = element is not None and element.name == "byte" and element.rank == 0
    if size is not None:
        if not isinstance(size, int) or size < 0:
            raise DotNetException("OverflowException", "Arithmetic operation resulted in an overflow.")
        if items is not None and len(items) != size:
            raise DotNetException("InvalidOperationException", "An array initializer of the wrong length")
    if items is None:
        if is_bytes:
            return bytearray(size)
        default = _DEFAULTS.get(element.name) if element is not None and element.rank == 0 else None
        return [default] * size
    if is_bytes:
        return bytearray(int(i) & 0xFF for i in items)
    if element is not None and element.rank == 0 and element.name in ("double", "float"):
        return [float(i) if isinstance(i, int) else i for i in items]
    return list(items)


def to_dotnet_exception(exc: BaseException) -> DotNetException | None:
    """The .NET exception a Python exception stands for, or None when it is not one `catch` may see."""
    from keyless.csharp.errors import ExpressionRuntimeError

    if isinstance(exc, DotNetException):
        return exc
    if isinstance(exc, ExpressionRuntimeError):
        return DotNetException(exc.type_name, exc.message.split(": ", 1)[-1])
    if isinstance(exc, ZeroDivisionError):
        return DotNetException("DivideByZeroException", "Attempted to divide by zero.")
    if isinstance(exc, KeyError):
        return key_not_found(exc.args[0] if exc.args else "")
    if isinstance(exc, IndexError):
        return index_out_of_range()
    if isinstance(exc, OverflowError):
        return DotNetException("OverflowException", "Arithmetic operation resulted in an overflow.")
    return None


def default_value(name: str) -> Any:
    """.NET's default value of the type named `name` (value types have one; reference types are null)."""
    if name in _DEFAULTS:
        return _DEFAULTS[name]
    if name == "DateTime":
        from keyless.csharp.dotnet.datetime import DateTime

        return DateTime.of(0, 0)
    if name == "TimeSpan":
        from keyless.csharp.dotnet.datetime import TimeSpan

        return TimeSpan(0)
    if name == "Guid":
        from keyless.csharp.dotnet.convert import Guid

        return Guid()
    return None
