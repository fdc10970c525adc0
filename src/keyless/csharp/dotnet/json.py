"""Newtonsoft.Json.Linq's tokens: JToken, JValue, JProperty, JObject, JArray (text and conversions: jsontext)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from keyless.csharp.dotnet.collections import KeyValuePair
from keyless.csharp.dotnet.datetime import DateTime, DateTimeOffset, TimeSpan
from keyless.csharp.dotnet.enums import enum
from keyless.csharp.dotnet.text import format_double, to_string
from keyless.csharp.errors import DotNetException, argument_null, argument_out_of_range
from keyless.csharp.members import EXTENSIONS, AnonymousObject, Ref, generic, type_name

JTokenType = enum("JTokenType", "Newtonsoft.Json.Linq.JTokenType", {
    "None": 0, "Object": 1, "Array": 2, "Constructor": 3, "Property": 4, "Comment": 5, "Integer": 6, "Float": 7,
    "String": 8, "Boolean": 9, "Null": 10, "Undefined": 11, "Date": 12, "Raw": 13, "Bytes": 14, "Guid": 15, "Uri": 16,
    "TimeSpan": 17,
})  # fmt: skip


def reader_error(message: str) -> DotNetException:
    return DotNetException("JsonReaderException", message)


class _LazyJsonText:
    """jsontext imports this module; the tokens reach it at call time."""

    def __getattr__(self, name: str) -> Any:
        from keyless.csharp.dotnet import jsontext as module

        return getattr(module, name)


jsontext = _LazyJsonText()


class JToken:
    __dotnet_name__ = "Newtonsoft.Json.Linq.JToken"
    Parent: JToken | None = None

    # navigation
    @property
    def Root(self) -> JToken:
        t = self
        while t.Parent is not None:
            t = t.Parent
        return t

    @property
    def Next(self) -> JToken | None:
        return self._sibling(1)

    @property
    def Previous(self) -> JToken | None:
        return self._sibling(-1)

    def _sibling(self, step: int) -> JToken | None:
        p = self.Parent
        if isinstance(p, JArray):
            i = next(i for i, x in enumerate(p._items) if x is self) + step
            return p._items[i] if 0 <= i < len(p._items) else None
        if isinstance(self, JProperty) and isinstance(p, JObject):
            props = list(p._props.values())
            i = props.index(self) + step
            return props[i] if 0 <= i < len(props) else None
        return None

    @property
    def Path(self) -> str:
        parts: list[str] = []
        t: JToken | None = self
        while t is not None and t.Parent is not None:
            p = t.Parent
            if isinstance(t, JProperty):
                parts.append(f".{t.Name}" if re.fullmatch(r"[A-Za-z_][\w]*", t.Name) else f"['{t.Name}']")
            elif isinstance(p, JArray):
                parts.append(f"[{next(i for i, x in enumerate(p._items) if x is t)}]")
            t = p
        return "".join(reversed(parts)).lstrip(".")

    def Children(self) -> list[JToken]:
        return []

    @property
    def HasValues(self) -> bool:
        return bool(self.Children())

    @property
    def First(self) -> JToken | None:
        c = self.Children()
        return c[0] if c else None

    @property
    def Last(self) -> JToken | None:
        c = self.Children()
        return c[-1] if c else None

    @generic
    def Value(self, type_args: tuple[Any, ...], key: Any = ...) -> Any:
        return token_value(type_args, self, key)

    @generic
    def Values(self, type_args: tuple[Any, ...]) -> list[Any]:
        name = type_args[0].name if type_args else "JToken"
        return [jsontext.convert_to(c, name) for c in self.Children()]

    @generic
    def ToObject(self, type_args: tuple[Any, ...], *rest: Any) -> Any:
        return jsontext.to_object(self, type_args[0] if type_args else None)

    def SelectToken(self, path: Any, error_when_no_match: Any = False) -> JToken | None:
        found = jsontext.select_tokens(self, path)
        if len(found) > 1:
            raise DotNetException("JsonException", "Path returned multiple tokens.")
        if not found and error_when_no_match is True:
            raise DotNetException("JsonException", f"Property '{path}' does not exist on JObject.")
        return found[0] if found else None

    def SelectTokens(self, path: Any, *rest: Any) -> list[JToken]:
        return jsontext.select_tokens(self, path)

    def Remove(self) -> None:
        p = self.Parent
        if p is None:
            raise DotNetException("InvalidOperationException", "The parent is missing.")
        if isinstance(p, JArray):
            p._items = [x for x in p._items if x is not self]
        elif isinstance(p, JObject) and isinstance(self, JProperty):
            p._props.pop(self.Name, None)
        elif isinstance(p, JProperty):
            raise DotNetException(
                "InvalidOperationException", "Cannot add or remove items from Newtonsoft.Json.Linq.JProperty."
            )
        self.Parent = None

    def Replace(self, value: Any) -> None:
        p = self.Parent
        new = from_value(value)
        if isinstance(p, JArray):
            p._items = [new if x is self else x for x in p._items]
            new.Parent = p
        elif isinstance(p, JProperty):
            p.Value = new
        self.Parent = None

    def DeepClone(self) -> JToken:
        return jsontext.parse_token(self.ToString(0))

    def ToString(self, formatting: Any = 1, *converters: Any) -> str:
        return jsontext.serialize(self, int(formatting) == 1)

    def __dotnet_convert__(self, target: str) -> Any:
        return jsontext.convert_to(self, target, explicit=True)

    def __str__(self) -> str:
        return self.ToString()


class JValue(JToken):
    __dotnet_name__ = "Newtonsoft.Json.Linq.JValue"

    def __init__(self, value: Any = None) -> None:
        if isinstance(value, JValue):
            value = value.Value
        self.Value = value
        self.Parent = None

    @property
    def Type(self) -> Any:
        v = self.Value
        if v is None:
            return JTokenType.Null
        if isinstance(v, bool):
            return JTokenType.Boolean
        if isinstance(v, int):
            return JTokenType.Integer
        if isinstance(v, float | Decimal):
            return JTokenType.Float
        if isinstance(v, DateTime | DateTimeOffset):
            return JTokenType.Date
        if isinstance(v, TimeSpan):
            return JTokenType.TimeSpan
        if type(v).__name__ == "Guid":
            return JTokenType.Guid
        return JTokenType.String

    def ToString(self, formatting: Any = None, *rest: Any) -> str:
        if formatting is None or isinstance(formatting, str):
            v = self.Value
            if isinstance(v, float):
                return format_double(v)
            return to_string(v) if not isinstance(formatting, str) else _fmt(v, formatting)
        return jsontext.serialize(self, int(formatting) == 1)

    def Equals(self, other: Any) -> bool:
        return isinstance(other, JValue) and self.Value == other.Value

    def CompareTo(self, other: Any) -> int:
        a, b = self.Value, other.Value if isinstance(other, JValue) else other
        return (a > b) - (a < b)

    def __getitem__(self, key: Any) -> Any:
        raise DotNetException("InvalidOperationException", f"Cannot access child value on {type(self).__name__}.")

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


def _fmt(v: Any, fmt: str) -> str:
    from keyless.csharp.dotnet.text import format_value

    return format_value(v, fmt)


class JProperty(JToken):
    __dotnet_name__ = "Newtonsoft.Json.Linq.JProperty"

    def __init__(self, name: Any, *content: Any) -> None:
        if name is None:
            raise argument_null("name")
        self.Name = name
        self.Parent = None
        if len(content) == 1:
            value = content[0]
        elif not content:
            value = None
        else:
            value = list(content)
        self._value = from_value(value)
        self._value.Parent = self

    @property
    def Value(self) -> JToken:
        return self._value

    @Value.setter
    def Value(self, v: Any) -> None:
        self._value = from_value(v)
        self._value.Parent = self

    Type = property(lambda self: JTokenType.Property)

    def Children(self) -> list[JToken]:
        return [self._value]

    def __getitem__(self, key: Any) -> Any:
        raise DotNetException(
            "InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JProperty."
        )


class JContainer(JToken):
    Count = property(lambda self: len(self.Children()))


class JObject(JContainer):
    __dotnet_name__ = "Newtonsoft.Json.Linq.JObject"

    def __init__(self, *content: Any) -> None:
        self._props: dict[str, JProperty] = {}
        self.Parent = None
        for c in content:
            self._add_content(c)

    def _add_content(self, c: Any) -> None:
        if isinstance(c, JProperty):
            self._add_prop(c)
        elif isinstance(c, JObject):
            for p in list(c._props.values()):
                self._add_prop(JProperty(p.Name, _clone(p.Value)))
        elif isinstance(c, list | tuple):
            for x in c:
                self._add_content(x)
        elif c is None:
            return
        else:
            raise DotNetException("ArgumentException", f"Can not add {type_name(c)} to Newtonsoft.Json.Linq.JObject.")

    def _add_prop(self, p: JProperty) -> None:
        if p.Name in self._props:
            raise DotNetException("ArgumentException",
                                  f"Can not add property {p.Name} to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.")  # fmt: skip  # noqa: E501
        if p.Parent is not None:
            p = JProperty(p.Name, _clone(p.Value))
        p.Parent = self
        self._props[p.Name] = p

    Type = property(lambda self: JTokenType.Object)

    def Children(self) -> list[JToken]:
        return list(self._props.values())

    def Properties(self) -> list[JProperty]:
        return list(self._props.values())

    def Property(self, name: Any, *comparison: Any) -> JProperty | None:
        if comparison and int(comparison[0]) % 2 == 1:
            return next((p for p in self._props.values() if p.Name.casefold() == str(name).casefold()), None)
        return self._props.get(name)

    def Add(self, name_or_content: Any, value: Any = ...) -> None:
        if value is ...:
            self._add_content(name_or_content)
        else:
            self._add_prop(JProperty(name_or_content, value))

    def Remove(self, name: Any = ...) -> Any:  # type: ignore[override]
        if name is ...:
            return JToken.Remove(self)
        p = self._props.pop(name, None)
        if p is None:
            return False
        p.Parent = None
        return True

    def ContainsKey(self, name: Any) -> bool:
        return name in self._props

    def TryGetValue(self, name: Any, out: Ref) -> bool:
        p = self._props.get(name)
        out.value = p.Value if p is not None else None
        return p is not None

    def GetValue(self, name: Any, comparison: Any = None) -> JToken | None:
        p = self.Property(name, *(() if comparison is None else (comparison,)))
        return p.Value if p is not None else None

    def Merge(self, other: Any, *settings: Any) -> None:
        if isinstance(other, JObject):
            for p in other.Properties():
                mine = self._props.get(p.Name)
                if isinstance(mine, JProperty) and isinstance(mine.Value, JObject) and isinstance(p.Value, JObject):
                    mine.Value.Merge(p.Value)
                else:
                    self[p.Name] = _clone(p.Value)

    def __getitem__(self, key: Any) -> JToken | None:
        if not isinstance(key, str):
            raise DotNetException(
                "ArgumentException",
                f"Accessed JObject values with invalid key value: {to_string(key)}. Object property name expected.",
            )
        p = self._props.get(key)
        return p.Value if p is not None else None

    def __setitem__(self, key: Any, value: Any) -> None:
        p = self._props.get(key)
        if p is not None:
            p.Value = value
        else:
            self._add_prop(JProperty(key, value))

    def __dotnet_iter__(self) -> Any:
        return iter([KeyValuePair(p.Name, p.Value) for p in self._props.values()])

    def __iter__(self) -> Any:
        return self.__dotnet_iter__()


class JArray(JContainer):
    __dotnet_name__ = "Newtonsoft.Json.Linq.JArray"

    def __init__(self, *content: Any) -> None:
        self._items: list[JToken] = []
        self.Parent = None
        for c in content:
            if isinstance(c, list | tuple) or (isinstance(c, JArray)):
                for x in list(c):
                    self.Add(x)
            else:
                self.Add(c)

    Type = property(lambda self: JTokenType.Array)

    def Children(self) -> list[JToken]:
        return list(self._items)

    def Add(self, value: Any) -> None:
        t = from_value(value)
        if t.Parent is not None:
            t = _clone(t)
        t.Parent = self
        self._items.append(t)

    def Insert(self, index: int, value: Any) -> None:
        t = from_value(value)
        t.Parent = self
        self._items.insert(index, t)

    def RemoveAt(self, index: int) -> None:
        self._check(index)
        self._items.pop(index).Parent = None

    def Remove(self, item: Any = ...) -> Any:  # type: ignore[override]
        if item is ...:
            return JToken.Remove(self)
        for i, x in enumerate(self._items):
            if x is item:
                del self._items[i]
                return True
        return False

    def Clear(self) -> None:
        self._items = []

    def Contains(self, item: Any) -> bool:
        return any(x is item for x in self._items)

    def IndexOf(self, item: Any) -> int:
        return next((i for i, x in enumerate(self._items) if x is item), -1)

    def _check(self, index: Any) -> int:
        if not isinstance(index, int) or isinstance(index, bool):
            raise DotNetException(
                "ArgumentException",
                f"Accessed JArray values with invalid key value: {to_string(index)}. Int32 array index expected.",
            )
        if not 0 <= index < len(self._items):
            raise argument_out_of_range(
                "index", "Index was out of range. Must be non-negative and less than the size of the collection."
            )
        return index

    def __getitem__(self, index: Any) -> JToken:
        return self._items[self._check(index)]

    def __setitem__(self, index: Any, value: Any) -> None:
        t = from_value(value)
        t.Parent = self
        self._items[self._check(index)] = t

    def __iter__(self) -> Any:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


def _clone(t: JToken) -> JToken:
    if isinstance(t, JValue):
        return JValue(t.Value)
    return t.DeepClone()


def from_value(v: Any) -> JToken:
    """A .NET value as a JToken (JToken.FromObject for the values expressions build)."""
    if isinstance(v, JToken):
        return v
    if v is None or isinstance(v, str | bool | int | float | Decimal | DateTime | DateTimeOffset | TimeSpan):
        return JValue(v)
    if type(v).__name__ in ("Guid", "Uri"):
        return JValue(v)
    if isinstance(v, dict):
        o = JObject()
        for k, x in v.items():
            o[to_string(k)] = from_value(x)
        return o
    if isinstance(v, AnonymousObject):  # Newtonsoft writes the properties in declaration order
        o = JObject()
        for k, x in v.items():
            o[k] = from_value(x)
        return o
    if isinstance(v, list | tuple):
        return JArray(*[from_value(x) for x in v])
    if isinstance(v, bytes | bytearray):
        import base64

        return JValue(base64.b64encode(bytes(v)).decode())
    raise DotNetException("NotSupportedException", f"keyless cannot convert a {type_name(v)} to JSON")


@generic
def token_value(type_args: tuple[Any, ...], token: JToken, key: Any = ...) -> Any:
    """Newtonsoft's `Value<T>(key)`, and the extension `Value<T>()` that converts the token itself."""
    target = token if key is ... else token[key]
    return jsontext.convert_to(target, type_args[0].name if type_args else "object")


# JValue's `Value` property hides the method; C# then binds `jvalue.Value<T>()` to the extension method
EXTENSIONS.setdefault("Value", []).append((JToken, token_value))
