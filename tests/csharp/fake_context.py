"""A small stand-in for the gateway's `context` model: plain Python classes with APIM's C# member names."""

from __future__ import annotations

from typing import Any

from keyless.csharp import Ref, TypeRef, generic, register_type
from keyless.csharp.dotnet import DateTime, Guid, TimeSpan
from keyless.csharp.dotnet.jsontext import parse_token
from keyless.csharp.errors import DotNetException


class Headers:
    """IReadOnlyDictionary<string, string[]>, case-insensitive, with APIM's comma-joining GetValueOrDefault."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self._d = {k.lower(): (k, v) for k, v in values.items()}

    def GetValueOrDefault(self, name: str, default: Any = None) -> Any:
        hit = self._d.get(name.lower())
        return ",".join(hit[1]) if hit else default

    def ContainsKey(self, name: str) -> bool:
        return name.lower() in self._d

    def TryGetValue(self, name: str, out: Ref) -> bool:
        hit = self._d.get(name.lower())
        out.value = hit[1] if hit else None
        return hit is not None

    def __getitem__(self, name: str) -> list[str]:
        return self._d[name.lower()][1]

    @property
    def Count(self) -> int:
        return len(self._d)

    @property
    def Keys(self) -> list[str]:
        return [k for k, _ in self._d.values()]


class Url:
    def __init__(self, scheme: str, host: str, port: int, path: str, query: dict[str, list[str]]) -> None:
        self.Scheme, self.Host, self.Port, self.Path = scheme, host, port, path
        self.Query = Headers(query)
        self.QueryString = "?" + "&".join(f"{k}={v}" for k, vs in query.items() for v in vs) if query else ""

    def ToString(self) -> str:
        return f"{self.Scheme}://{self.Host}{self.Path}{self.QueryString}"


class Body:
    def __init__(self, text: str) -> None:
        self.text = text
        self.consumed = False

    @generic
    def As(self, type_args: tuple[TypeRef, ...], preserveContent: bool = False) -> Any:
        if self.consumed:
            raise DotNetException("InvalidOperationException", "The body has already been read.")
        self.consumed = not preserveContent
        name = type_args[0].name
        if name == "string":
            return self.text
        if name in ("JObject", "JToken", "JArray"):
            return type_args[0].cast(parse_token(self.text))
        if name == "XDocument":
            from keyless.csharp.dotnet.xml import _XDocumentStatics

            return _XDocumentStatics.Parse(self.text)
        raise DotNetException("NotSupportedException", name)

    def AsFormUrlEncodedContent(self, preserveContent: bool = False) -> dict[str, list[str]]:
        from urllib.parse import parse_qs

        if self.consumed:
            raise DotNetException("InvalidOperationException", "The body has already been read.")
        self.consumed = not preserveContent
        return parse_qs(self.text, keep_blank_values=True)


class Request:
    def __init__(
        self, method: str = "GET", headers: dict[str, list[str]] | None = None, body: str | None = None
    ) -> None:
        self.Method = method
        self.Headers = Headers(headers or {})
        self.Url = Url("https", "backend.example", 443, "/api/items", {"param1": ["a", "b"]})
        self.OriginalUrl = Url("https", "contoso.azure-api.net", 443, "/echo/items", {"param1": ["a", "b"]})
        self.MatchedParameters = {"id": "42"}
        self.Body = Body(body) if body is not None else None
        self.IpAddress = "10.1.2.3"


class Response:
    def __init__(self, status: int = 200, body: str = "{}") -> None:
        self.StatusCode = status
        self.StatusReason = "OK"
        self.Headers = Headers({"Content-Type": ["application/json"]})
        self.Body = Body(body)


class Variables:
    """IReadOnlyDictionary<string, object> with GetValueOrDefault<T> (throws on a type mismatch)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._d = dict(values)

    def __getitem__(self, name: str) -> Any:
        return self._d[name]

    def ContainsKey(self, name: str) -> bool:
        return name in self._d

    @generic
    def GetValueOrDefault(self, type_args: tuple[TypeRef, ...], name: str, default: Any = None) -> Any:
        if name not in self._d:
            return default
        value = self._d[name]
        return type_args[0].cast(value) if type_args else value


class LastError:
    Source = "validate-jwt"
    Reason = "TokenNotPresent"
    Message = "JWT not present."
    Scope = "api"
    Section = "inbound"
    Path = "choose\\when[1]"
    PolicyId = ""


class Deployment:
    Region = "West Europe"
    ServiceName = "contoso"
    GatewayId = "managed"


class Api:
    Name = "Echo API"
    Path = "echo"
    Id = "echo-api"
    ServiceUrl = Url("https", "backend.example", 443, "/api", {})


class User:
    Id = "1"
    Email = "john@contoso.example"
    FirstName = "John"
    LastName = "Doe"
    Note = None
    Groups: list[Any] = []


class Product:
    Id = "starter"
    Name = "Starter"
    State = "published"


class Subscription:
    Id = "sub-1"
    Key = "0123456789abcdef"
    Name = "Starter subscription"
    PrimaryKey = "0123456789abcdef"
    SecondaryKey = "fedcba9876543210"
    CreatedDate = DateTime(2024, 1, 1)
    StartDate = DateTime(2024, 1, 1)
    EndDate = None


class Context:
    def __init__(self, *, request: Request | None = None, response: Response | None = None, **variables: Any) -> None:
        self.Request = request or Request()
        self.Response = response or Response()
        self.Variables = Variables(variables)
        self.LastError = LastError()
        self.RequestId = Guid("5b1f2c4e-8a3d-4b6f-9c2e-1d0a7e6f5c4b")
        self.Deployment = Deployment()
        self.Api = Api()
        self.Timestamp = DateTime(2024, 1, 2, 3, 4, 5)
        self.Elapsed = TimeSpan(0, 0, 1, 2, 500)
        self.Tracing = False
        # an anonymous call: no product, subscription or user (the sweep sets them)
        self.Product: Product | None = None
        self.Subscription: Subscription | None = None
        self.User: User | None = None
        self.traces: list[str] = []

    def Trace(self, message: str) -> None:
        self.traces.append(message)


register_type("IResponse", Response)
register_type("IRequest", Request)
register_type("IMessageBody", Body)
