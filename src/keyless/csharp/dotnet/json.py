"""Newtonsoft.Json: JToken/JObject/JArray/JValue/JProperty and JsonConvert, with Newtonsoft's semantics."""

from __future__ import annotations

import json as _json
import math
import re
from decimal import Decimal
from typing import Any

from keyless.csharp.dotnet.collections import KeyValuePair
from keyless.csharp.dotnet.datetime import TICKS_PER_MINUTE, DateTime, DateTimeOffset, TimeSpan, parse_datetime
from keyless.csharp.dotnet.enums import enum
from keyless.csharp.dotnet.text import format_double, to_string
from keyless.csharp.errors import DotNetException, argument_null, argument_out_of_range
from keyless.csharp.members import DotNetType, Ref, define_type, generic, type_name

JTokenType = enum("JTokenType", "Newtonsoft.Json.Linq.JTokenType", {
    "None": 0, "Object": 1, "Array": 2, "Constructor": 3, "Property": 4, "Comment": 5, "Integer": 6, "Float": 7,
    "String": 8, "Boolean": 9, "Null": 10, "Undefined": 11, "Date": 12, "Raw": 13, "Bytes": 14, "Guid": 15, "Uri": 16,
    "TimeSpan": 17,
})  # fmt: skip
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?\Z")
_NET_NAMES = {"string": "String", "int": "Int32", "long": "Int64", "double": "Double", "bool": "Boolean",
              "decimal": "Decimal", "float": "Single", "DateTime": "DateTime", "short": "Int16", "byte": "Byte"}  # fmt: skip  # noqa: E501


def reader_error(message: str) -> DotNetException:
    return DotNetException("JsonReaderException", message)


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
    def Value(self, type_args: tuple[Any, ...], key: Any) -> Any:
        token = self[key]
        return _convert_to(token, type_args[0].name if type_args else "object")

    @generic
    def Values(self, type_args: tuple[Any, ...]) -> list[Any]:
        name = type_args[0].name if type_args else "JToken"
        return [_convert_to(c, name) for c in self.Children()]

    @generic
    def ToObject(self, type_args: tuple[Any, ...], *rest: Any) -> Any:
        return to_object(self, type_args[0] if type_args else None)

    def SelectToken(self, path: Any, error_when_no_match: Any = False) -> JToken | None:
        found = select_tokens(self, path)
        if len(found) > 1:
            raise DotNetException("JsonException", "Path returned multiple tokens.")
        if not found and error_when_no_match is True:
            raise DotNetException("JsonException", f"Property '{path}' does not exist on JObject.")
        return found[0] if found else None

    def SelectTokens(self, path: Any, *rest: Any) -> list[JToken]:
        return select_tokens(self, path)

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
        return parse_token(self.ToString(0))

    def ToString(self, formatting: Any = 1, *converters: Any) -> str:
        return serialize(self, int(formatting) == 1)

    def __dotnet_convert__(self, target: str) -> Any:
        return _convert_to(self, target, explicit=True)

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
        return serialize(self, int(formatting) == 1)

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
    if isinstance(v, list | tuple):
        return JArray(*[from_value(x) for x in v])
    if isinstance(v, bytes | bytearray):
        import base64

        return JValue(base64.b64encode(bytes(v)).decode())
    raise DotNetException("NotSupportedException", f"keyless cannot convert a {type_name(v)} to JSON")


# serialization


def _escape(s: str) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif o < 0x20 or o in (0x85, 0x2028, 0x2029):
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}.get(c, f"\\u{o:04x}"))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _iso(v: DateTime | DateTimeOffset) -> str:
    from keyless.csharp.dotnet.timeformat import format_datetime

    if isinstance(v, DateTimeOffset):
        return format_datetime(v.Ticks, "yyyy-MM-ddTHH:mm:ss.FFFFFFFzzz", v.Offset.Ticks // TICKS_PER_MINUTE, 0)
    return format_datetime(v.Ticks, "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", None, int(v.Kind))


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return {"NaN": "NaN", "∞": "Infinity", "-∞": "-Infinity"}[format_double(v)]
        s = format_double(v)
        return s if any(c in s for c in ".E") else s + ".0"
    if isinstance(v, Decimal):
        s = format(v, "f")
        return s if "." in s else s + ".0"
    if isinstance(v, DateTime | DateTimeOffset):
        return _escape(_iso(v))
    return _escape(to_string(v))


def serialize(t: Any, indented: bool, level: int = 0) -> str:
    if isinstance(t, JValue):
        return _scalar(t.Value)
    if isinstance(t, JProperty):
        return _escape(t.Name) + (": " if indented else ":") + serialize(t.Value, indented, level)
    if isinstance(t, JObject | JArray):
        items = t.Children()
        open_, close = ("{", "}") if isinstance(t, JObject) else ("[", "]")
        if not items:
            return open_ + close
        if not indented:
            return open_ + ",".join(serialize(x, False) for x in items) + close
        pad = "  " * (level + 1)
        body = ",\r\n".join(pad + serialize(x, True, level + 1) for x in items)
        return f"{open_}\r\n{body}\r\n{'  ' * level}{close}"
    return _scalar(t)


# parsing


def _value_token(v: Any) -> JToken:
    if isinstance(v, dict):
        o = JObject()
        for k, x in v.items():
            o[k] = _value_token(x)
        return o
    if isinstance(v, list):
        a = JArray()
        for x in v:
            a.Add(_value_token(x))
        return a
    if isinstance(v, str) and _ISO_DATE.match(v):
        # Newtonsoft's default DateParseHandling.DateTime: ISO strings become dates
        ticks, offset = parse_datetime(v)
        if offset is None:
            return JValue(DateTime.of(ticks, 0))
        if offset == 0 and v.endswith("Z"):
            return JValue(DateTime.of(ticks, 1))
        return JValue(DateTime.of(ticks - offset * TICKS_PER_MINUTE, 2))
    return JValue(v)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for k, v in pairs:
        d[k] = v
    return d


def parse_token(s: Any) -> JToken:
    if s is None:
        raise argument_null("json")
    if not s.strip():
        raise reader_error("Error reading JToken from JsonReader. Path '', line 0, position 0.")
    try:
        v = _json.loads(s, object_pairs_hook=_pairs)
    except _json.JSONDecodeError as exc:
        ch = exc.doc[exc.pos] if exc.pos < len(exc.doc) else ""
        raise reader_error(
            f"Unexpected character encountered while parsing value: {ch}. Path '', line {exc.lineno}, position {exc.colno}."  # noqa: E501
        ) from None
    except RecursionError:
        raise reader_error("The reader's MaxDepth of 64 has been exceeded.") from None
    return _value_token(v)


def parse_object(s: Any) -> JObject:
    t = parse_token(s)
    if not isinstance(t, JObject):
        kind = "StartArray" if isinstance(t, JArray) else type(t.Value).__name__  # type: ignore[attr-defined]
        raise reader_error(
            f"Error reading JObject from JsonReader. Current JsonReader item is not an object: {kind}. Path '', line 1, position 1."  # noqa: E501
        )
    return t


def parse_array(s: Any) -> JArray:
    t = parse_token(s)
    if not isinstance(t, JArray):
        raise reader_error(
            "Error reading JArray from JsonReader. Current JsonReader item is not an array: StartObject. Path '', line 1, position 1."  # noqa: E501
        )
    return t


# conversions


def _convert_to(token: Any, target: str, explicit: bool = False) -> Any:
    """Newtonsoft's explicit operators / Value<T>: a JValue converted to T."""
    from keyless.csharp.dotnet.convert import _ConvertStatics

    if target in ("object", "JToken", "dynamic") or (
        target in ("JObject", "JArray", "JProperty", "JValue") and token is None
    ):
        return token
    if target in ("JObject", "JArray", "JValue", "JProperty"):
        if type(token).__name__ != target:
            raise DotNetException(
                "InvalidCastException",
                f"Unable to cast object of type '{type_name(token)}' to type 'Newtonsoft.Json.Linq.{target}'.",
            )
        return token
    if token is None:
        return None if target == "string" or not explicit else _null_value(target)
    if not isinstance(token, JValue):
        kind = "Object" if isinstance(token, JObject) else "Array" if isinstance(token, JArray) else "Property"
        raise DotNetException("ArgumentException", f"Can not convert {kind} to {_NET_NAMES.get(target, target)}.")
    v = token.Value
    if v is None:
        return None if target == "string" else _null_value(target)
    if target == "string":
        if isinstance(v, DateTime | DateTimeOffset):
            return v.ToString()
        return to_string(v) if not isinstance(v, float) else format_double(v)
    if target == "bool":
        return _ConvertStatics.ToBoolean(v)
    if target in ("int", "long", "short", "byte", "uint", "ulong"):
        fn = {"int": _ConvertStatics.ToInt32, "long": _ConvertStatics.ToInt64, "short": _ConvertStatics.ToInt16,
              "byte": _ConvertStatics.ToByte, "uint": _ConvertStatics.ToUInt32, "ulong": _ConvertStatics.ToUInt64}[target]  # fmt: skip  # noqa: E501
        return fn(v)
    if target in ("double", "float"):
        return _ConvertStatics.ToDouble(v)
    if target == "decimal":
        return _ConvertStatics.ToDecimal(v)
    if target == "DateTime":
        return v if isinstance(v, DateTime) else _ConvertStatics.ToDateTime(to_string(v))
    if target == "Guid":
        from keyless.csharp.dotnet.convert import Guid

        return v if type(v).__name__ == "Guid" else Guid(to_string(v))
    raise DotNetException("NotSupportedException", f"keyless cannot convert a JToken to '{target}'")


def _null_value(target: str) -> Any:
    raise DotNetException("ArgumentException", f"Can not convert Null to {_NET_NAMES.get(target, target)}.")


def to_object(token: Any, ref: Any) -> Any:
    """`ToObject<T>()` / `DeserializeObject<T>`: JSON tokens as plain .NET values."""
    name = ref.name if ref is not None else "object"
    if ref is not None and ref.rank:
        if not isinstance(token, JArray):
            raise DotNetException(
                "JsonSerializationException", "Cannot deserialize the current JSON object into an array type."
            )
        from keyless.csharp.members import TypeRef

        inner = TypeRef(ref.name, ref.args)
        return [to_object(x, inner) for x in token.Children()]
    if name in ("JObject", "JArray", "JToken", "JValue"):
        return _convert_to(token, name)
    if name in ("List", "IList", "IEnumerable"):
        if not isinstance(token, JArray):
            raise DotNetException(
                "JsonSerializationException", "Cannot deserialize the current JSON object into a list type."
            )
        inner = ref.args[0] if ref.args else None
        return [to_object(x, inner) for x in token.Children()]
    if name in ("Dictionary", "IDictionary"):
        if not isinstance(token, JObject):
            raise DotNetException(
                "JsonSerializationException", "Cannot deserialize the current JSON array into a dictionary type."
            )
        inner = ref.args[1] if len(ref.args) > 1 else None
        return {p.Name: to_object(p.Value, inner) for p in token.Properties()}
    if name in ("object", "dynamic"):
        return token
    return _convert_to(token, name, explicit=True)


def select_tokens(root: JToken, path: Any) -> list[JToken]:
    """JSONPath as Newtonsoft's SelectToken takes it: `$`, `.name`, `['name']`, `[0]`, `[*]`, `..name`."""
    if path is None:
        raise argument_null("path")
    p = path.strip()
    i, n = (1, len(p)) if p.startswith("$") else (0, len(p))
    current: list[JToken] = [root]
    while i < n:
        recursive = p.startswith("..", i)
        i += 2 if recursive else 1 if p[i] == "." else 0
        if i < n and p[i] == "[":
            j = p.find("]", i)
            if j < 0:
                raise DotNetException("JsonException", "Path ended with an open indexer.")
            inner, i = p[i + 1 : j].strip(), j + 1
            if inner == "*":
                selector: tuple[str, Any] = ("*", None)
            elif inner[:1] in ("'", '"'):
                selector = ("name", inner[1:-1])
            elif re.fullmatch(r"-?\d+", inner):
                selector = ("index", int(inner))
            else:
                raise DotNetException(
                    "NotSupportedException", f"keyless does not implement the JSONPath selector '[{inner}]'"
                )
        else:
            m = re.match(r"[^.\[\]]+", p[i:])
            if m is None:
                raise DotNetException("JsonException", f"Unexpected character while parsing path: {p[i : i + 1]}")
            i += len(m.group(0))
            selector = ("*", None) if m.group(0) == "*" else ("name", m.group(0))
        found: list[JToken] = []
        for t in current:
            for c in _descendants(t) if recursive else [t]:
                found.extend(_select(c, selector))
        current = found
    return current


def _select(t: JToken, selector: tuple[str, Any]) -> list[JToken]:
    kind, arg = selector
    if kind == "*":
        if isinstance(t, JObject):
            return [p.Value for p in t.Properties()]
        return t.Children() if isinstance(t, JArray) else []
    if kind == "index":
        return [t._items[arg]] if isinstance(t, JArray) and -len(t._items) <= arg < len(t._items) else []
    return [t._props[arg].Value] if isinstance(t, JObject) and arg in t._props else []


def _descendants(t: JToken) -> list[JToken]:
    out = [t]
    for c in t.Children():
        out.extend(_descendants(c.Value if isinstance(c, JProperty) else c))
    return out


class _JTokenStatics:
    Parse = staticmethod(lambda s, *r: parse_token(s))
    FromObject = staticmethod(lambda o, *r: from_value(o))
    DeepEquals = staticmethod(
        lambda a, b: (
            (a is None and b is None)
            or (a is not None and b is not None and serialize(a, False) == serialize(b, False))
        )
    )


class _JObjectStatics(_JTokenStatics):
    Parse = staticmethod(lambda s, *r: parse_object(s))

    @staticmethod
    def FromObject(o: Any, *r: Any) -> JObject:
        t = from_value(o)
        if not isinstance(t, JObject):
            raise DotNetException(
                "ArgumentException", f"Object serialized to {t.Type.ToString()}. JObject instance expected."
            )  # type: ignore[attr-defined]
        return t


class _JArrayStatics(_JTokenStatics):
    Parse = staticmethod(lambda s, *r: parse_array(s))

    @staticmethod
    def FromObject(o: Any, *r: Any) -> JArray:
        t = from_value(o)
        if not isinstance(t, JArray):
            raise DotNetException(
                "ArgumentException", f"Object serialized to {t.Type.ToString()}. JArray instance expected."
            )  # type: ignore[attr-defined]
        return t


class _JsonConvertStatics:
    @staticmethod
    def SerializeObject(value: Any, *rest: Any) -> str:
        indented = any(type(r).__name__ == "DotNetEnum" and r.enum_name == "Formatting" and int(r) == 1 for r in rest)
        return serialize(from_value(value), indented)

    @staticmethod
    @generic
    def DeserializeObject(type_args: tuple[Any, ...], value: Any, *rest: Any) -> Any:
        if value is None:
            raise argument_null("value")
        token = parse_token(value)
        if not type_args:
            return token if not isinstance(token, JValue) else token.Value
        return to_object(token, type_args[0])


def _jvalue_ctor(v: Any = None) -> JValue:
    return JValue(v)


define_type(DotNetType("JToken", "Newtonsoft.Json.Linq.JToken", (JToken,), _JTokenStatics(), None))
define_type(DotNetType("JContainer", "Newtonsoft.Json.Linq.JContainer", (JContainer,), None, None))
define_type(DotNetType("JObject", "Newtonsoft.Json.Linq.JObject", (JObject,), _JObjectStatics(), JObject))
define_type(DotNetType("JArray", "Newtonsoft.Json.Linq.JArray", (JArray,), _JArrayStatics(), JArray))
define_type(DotNetType("JValue", "Newtonsoft.Json.Linq.JValue", (JValue,), None, _jvalue_ctor))
define_type(DotNetType("JProperty", "Newtonsoft.Json.Linq.JProperty", (JProperty,), None, JProperty))
define_type(DotNetType("JsonConvert", "Newtonsoft.Json.JsonConvert", (), _JsonConvertStatics))
