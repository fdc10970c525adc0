"""The `context` object model policy expressions see, with APIM's C# member names (apim.md §5).

Objects are thin views over `RequestState`; they are built on first use, so a request whose policies
never touch `context` allocates none of them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from keyless.csharp import ExpressionRuntimeError, generic, register_type
from keyless.csharp.dotnet import DateTime, Guid, TimeSpan
from keyless.gateway.http_types import GatewayResponse, Headers, Url

if TYPE_CHECKING:
    from keyless.gateway.state import RequestState


def _type_name(type_args: Any) -> str:
    """The C# name of the first type argument (`string`, `JObject`, `byte[]`)."""
    first = type_args[0] if isinstance(type_args, tuple | list) and type_args else type_args
    return str(getattr(first, "name", first)) + "[]" * int(getattr(first, "rank", 0) or 0)


def _fail(message: str, type_name: str = "KeyNotFoundException") -> Exception:
    return ExpressionRuntimeError(f"{type_name}: {message}", type_name)


_JSON_PARSERS: dict[str, Callable[[str], Any]] = {}


def _json_value(text: str, type_name: str) -> Any:
    """Parse `text` into the .NET JSON type named `type_name` (JObject, JArray, JToken), as Newtonsoft would."""
    if not _JSON_PARSERS:
        import importlib

        for module_name in ("keyless.csharp.dotnet.jsontext", "keyless.csharp.dotnet.json"):
            module = importlib.import_module(module_name)
            if hasattr(module, "parse_object"):
                _JSON_PARSERS.update(JObject=module.parse_object, JArray=module.parse_array, JToken=module.parse_token)
                break
    return _JSON_PARSERS[type_name](text)


def _ticks(moment: datetime) -> int:
    """.NET ticks (100 ns since 0001-01-01) of a UTC datetime."""
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    return (moment.toordinal() - 1) * 864_000_000_000 + seconds * 10_000_000 + moment.microsecond * 10


class IUrl:
    """`IUrl`: a view over an `http_types.Url` (mutations by policies show through)."""

    __slots__ = ("_url",)

    def __init__(self, url: Url) -> None:
        self._url = url

    @property
    def Scheme(self) -> str:  # C# member names
        return self._url.scheme

    @property
    def Host(self) -> str:
        return self._url.host

    @property
    def Port(self) -> int:
        return self._url.port

    @property
    def Path(self) -> str:
        return self._url.path

    @property
    def Query(self) -> QueryView:
        return QueryView(self._url.query)

    @property
    def QueryString(self) -> str:
        return self._url.query_string

    def ToString(self) -> str:
        return str(self._url)

    def __str__(self) -> str:
        return str(self._url)


class _MultiMap:
    """`IReadOnlyDictionary<string, string[]>` with APIM's comma-joining `GetValueOrDefault`."""

    __slots__ = ()

    def _values(self, name: str) -> list[str] | None:
        raise NotImplementedError

    def _names(self) -> list[str]:
        raise NotImplementedError

    def GetValueOrDefault(self, name: str, default: str | None = None) -> str | None:
        values = self._values(name)
        return ",".join(values) if values else default

    def ContainsKey(self, name: str) -> bool:
        return self._values(name) is not None

    def __getitem__(self, name: str) -> list[str]:
        values = self._values(name)
        if values is None:
            raise _fail(f"The given key '{name}' was not present in the dictionary.")
        return values

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._values(name) is not None

    @property
    def Keys(self) -> list[str]:
        return self._names()

    @property
    def Count(self) -> int:
        return len(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[KeyValuePair]:
        for name in self._names():
            yield KeyValuePair(name, self._values(name) or [])


class HeadersView(_MultiMap):
    """`context.Request.Headers` / `context.Response.Headers` (case-insensitive names)."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def _values(self, name: str) -> list[str] | None:
        return self._headers.values(name) if name in self._headers else None

    def _names(self) -> list[str]:
        return self._headers.names()


class QueryView(_MultiMap):
    """`IUrl.Query` (`IReadOnlyDictionary<string, string[]>`)."""

    __slots__ = ("_query",)

    def __init__(self, query: dict[str, list[str]]) -> None:
        self._query = query

    def _values(self, name: str) -> list[str] | None:
        found = self._query.get(name)
        return list(found) if found is not None else None

    def _names(self) -> list[str]:
        return list(self._query)


class StringMap:
    """`IReadOnlyDictionary<string, string>` (`context.Request.MatchedParameters`)."""

    __slots__ = ("_items",)

    def __init__(self, items: dict[str, str]) -> None:
        self._items = items

    def GetValueOrDefault(self, name: str, default: str | None = None) -> str | None:
        return self._items.get(name, default)

    def ContainsKey(self, name: str) -> bool:
        return name in self._items

    def TryGetValue(self, name: str, out: Any) -> bool:
        found = name in self._items
        out.value = self._items.get(name)
        return found

    def __getitem__(self, name: str) -> str:
        try:
            return self._items[name]
        except KeyError:
            raise _fail(f"The given key '{name}' was not present in the dictionary.") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[KeyValuePair]:
        for key, value in self._items.items():
            yield KeyValuePair(key, value)

    @property
    def Keys(self) -> list[str]:
        return list(self._items)

    @property
    def Values(self) -> list[str]:
        return list(self._items.values())

    @property
    def Count(self) -> int:
        return len(self._items)


class KeyValuePair:
    """`KeyValuePair<TKey, TValue>` as iteration over a dictionary yields it."""

    __slots__ = ("Key", "Value")

    def __init__(self, key: Any, value: Any) -> None:
        self.Key = key
        self.Value = value


class MessageBody:
    """`IMessageBody`: `As<T>(preserveContent)` reads the body; without preserveContent it is consumed."""

    __slots__ = ("_get", "_set")

    def __init__(self, get: Callable[[], bytes | None], set_: Callable[[bytes], None]) -> None:
        self._get = get
        self._set = set_

    @generic
    def As(self, type_args: Any, preserveContent: bool = False) -> Any:
        raw = self._get() or b""
        if not preserveContent:
            self._set(b"")  # APIM hands the stream to the expression: later readers see an empty body
        name = _type_name(type_args)
        if name in ("string", "String"):
            return raw.decode("utf-8", errors="replace")
        if name in ("byte[]", "Byte[]"):
            return raw
        if name in ("JObject", "JArray", "JToken"):
            return _json_value(raw.decode("utf-8", errors="replace"), name)
        raise _fail(f"Body.As<{name}>() is not supported by keyless", "NotSupportedException")

    def AsFormUrlEncodedContent(self, preserveContent: bool = False) -> dict[str, list[str]]:
        from urllib.parse import parse_qs

        raw = self._get() or b""
        if not preserveContent:
            self._set(b"")
        return parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)


class IRequest:
    """`context.Request`."""

    __slots__ = ("_state",)

    def __init__(self, state: RequestState) -> None:
        self._state = state

    @property
    def Method(self) -> str:
        return self._state.request.method

    @property
    def Url(self) -> IUrl:
        return IUrl(self._state.request.url)

    @property
    def OriginalUrl(self) -> IUrl:
        return IUrl(self._state.request.original_url)

    @property
    def Headers(self) -> HeadersView:
        return HeadersView(self._state.request.headers)

    @property
    def IpAddress(self) -> str:
        return self._state.request.client_ip

    @property
    def MatchedParameters(self) -> StringMap:
        return StringMap(self._state.matched_parameters)

    @property
    def Body(self) -> MessageBody | None:
        request = self._state.request
        if request.body is None:
            return None

        def set_(data: bytes) -> None:
            request.body = data

        return MessageBody(lambda: request.body, set_)

    @property
    def Certificate(self) -> None:  # client certificates are not negotiated by keyless's gateway
        return None


class IResponse:
    """`context.Response` (and the `IResponse` send-request stores in a variable)."""

    __slots__ = ("_response",)

    def __init__(self, response: GatewayResponse) -> None:
        self._response = response

    @property
    def StatusCode(self) -> int:
        return self._response.status

    @property
    def StatusReason(self) -> str:
        return self._response.reason

    @property
    def Headers(self) -> HeadersView:
        return HeadersView(self._response.headers)

    @property
    def Body(self) -> MessageBody:
        response = self._response

        def set_(data: bytes) -> None:
            response.body = data

        return MessageBody(lambda: response.body, set_)


class Variables:
    """`context.Variables`: read-only dictionary; `GetValueOrDefault<T>` refuses a value of another type."""

    __slots__ = ("_vars",)

    def __init__(self, variables: dict[str, Any]) -> None:
        self._vars = variables

    def __getitem__(self, name: str) -> Any:
        try:
            return self._vars[name]
        except KeyError:
            raise _fail(f"The given key '{name}' was not present in the dictionary.") from None

    def ContainsKey(self, name: str) -> bool:
        return name in self._vars

    def __contains__(self, name: object) -> bool:
        return name in self._vars

    @generic
    def GetValueOrDefault(self, type_args: Any, name: str, default: Any = None) -> Any:
        if name not in self._vars:
            return default
        value = self._vars[name]
        expected = _PY_TYPES.get(_type_name(type_args))
        if expected is not None and value is not None and not isinstance(value, expected):
            raise _fail(
                f"Unable to cast object of type '{type(value).__name__}' to type '{_type_name(type_args)}'.",
                "InvalidCastException",
            )
        return value

    @property
    def Keys(self) -> list[str]:
        return list(self._vars)

    @property
    def Count(self) -> int:
        return len(self._vars)

    def __len__(self) -> int:
        return len(self._vars)


_PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "int": int,
    "long": int,
    "bool": bool,
    "double": (float, int),
    "byte[]": bytes,
}


class _Record:
    """A C#-named view over a snapshot record (`Api`, `Operation`, `Product`, `Subscription`)."""

    __slots__ = ("_members",)

    def __init__(self, members: dict[str, Any]) -> None:
        self._members = members

    def __getattr__(self, name: str) -> Any:
        try:
            return self._members[name]
        except KeyError:
            raise AttributeError(name) from None


class LastErrorView:
    """`context.LastError` (ProxyError)."""

    __slots__ = ("Message", "Path", "PolicyId", "Reason", "Scope", "Section", "Source")

    def __init__(self, source: str, reason: str, message: str, scope: Any, section: Any, path: Any, policy_id: Any):
        self.Source, self.Reason, self.Message = source, reason, message
        self.Scope, self.Section, self.Path, self.PolicyId = scope, section, path, policy_id


class Context:
    """`context`: the root of the object model."""

    __slots__ = ("_state",)

    def __init__(self, state: RequestState) -> None:
        self._state = state

    @property
    def Request(self) -> IRequest:
        return IRequest(self._state)

    @property
    def Response(self) -> IResponse:
        # APIM's empty 200 before the backend answers; not stored, so reading it changes nothing
        response = self._state.response
        return IResponse(response if response is not None else GatewayResponse(200, Headers(), b"", "OK"))

    @property
    def Variables(self) -> Variables:
        return Variables(self._state.variables)

    @property
    def RequestId(self) -> Guid:
        return Guid.of(self._state.request_id)

    @property
    def Timestamp(self) -> DateTime:
        return DateTime.of(_ticks(self._state.timestamp), 1)  # DateTimeKind.Utc

    @property
    def Elapsed(self) -> TimeSpan:
        return TimeSpan(int((time.monotonic() - self._state.started) * 10_000_000))

    @property
    def Tracing(self) -> bool:
        return self._state.tracing

    def Trace(self, message: str) -> None:
        self._state.trace("context.Trace", {"message": message})

    @property
    def LastError(self) -> LastErrorView | None:
        e = self._state.last_error
        if e is None:
            return None
        return LastErrorView(e.source, e.reason, e.message, e.scope, e.section, e.path, e.policy_id)

    @property
    def Api(self) -> _Record | None:
        api = self._state.api
        return None if api is None else _Record(api.members())

    @property
    def Operation(self) -> _Record | None:
        op = self._state.operation
        return None if op is None else _Record(op.members())

    @property
    def Product(self) -> _Record | None:
        product = self._state.product
        return None if product is None else _Record(product.members())

    @property
    def Subscription(self) -> _Record | None:
        sub = self._state.subscription
        return None if sub is None else _Record(sub.members(self._state.subscription_key))

    @property
    def User(self) -> Any:  # keyless has no developer-portal users; APIM gives null without one
        return self._state.user

    @property
    def Deployment(self) -> _Record:
        snap = self._state.snapshot
        name = snap.service_name if snap is not None else ""
        region = snap.region if snap is not None else ""
        return _Record(
            {"GatewayId": "managed", "Region": region, "ServiceName": name, "ServiceId": name, "Certificates": {}}
        )


def url_members(url: Url) -> IUrl:
    """An `IUrl` for a snapshot URL (`context.Api.ServiceUrl`)."""
    return IUrl(url)


def json_text(value: Any) -> str:
    """A value's JSON text (used by trace entries)."""
    return json.dumps(value, default=str)


def register_types() -> None:
    """Make `(IResponse)x`, `(IRequest)x`, `(IMessageBody)x` and `(IUrl)x` casts work in expressions."""
    for name, cls in (
        ("IResponse", IResponse),
        ("IRequest", IRequest),
        ("IMessageBody", MessageBody),
        ("IUrl", IUrl),
        ("ILastError", LastErrorView),
        ("ProxyError", LastErrorView),
    ):
        register_type(name, cls)


register_types()
