"""Newtonsoft.Json text: serialization, parsing (with its ISO-date quirk), conversions, JSONPath, JsonConvert."""

from __future__ import annotations

import json as _json
import math
import re
from decimal import Decimal
from typing import Any

from keyless.csharp.dotnet.datetime import TICKS_PER_MINUTE, DateTime, DateTimeOffset, parse_datetime
from keyless.csharp.dotnet.json import JArray, JContainer, JObject, JProperty, JToken, JValue, from_value, reader_error
from keyless.csharp.dotnet.text import format_double, to_string
from keyless.csharp.errors import DotNetException, argument_null
from keyless.csharp.members import DotNetType, define_type, generic, type_name

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?\Z")
_NET_NAMES = {"string": "String", "int": "Int32", "long": "Int64", "double": "Double", "bool": "Boolean",
              "decimal": "Decimal", "float": "Single", "DateTime": "DateTime", "short": "Int16", "byte": "Byte"}  # fmt: skip  # noqa: E501
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


def convert_to(token: Any, target: str, explicit: bool = False) -> Any:
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
        return convert_to(token, name)
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
    return convert_to(token, name, explicit=True)


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
