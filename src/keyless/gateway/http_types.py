"""Requests and responses as the pipeline holds them: case-insensitive multi-value headers, a mutable URL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit


class Headers:
    """Case-insensitive header names, each with a list of values; keeps the first spelling of a name."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: dict[str, tuple[str, list[str]]] = {}
        for name, value in items:
            self.add(name, value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """All values joined with a comma, as APIM's `Headers.GetValueOrDefault` returns them."""
        found = self._items.get(name.lower())
        return ",".join(found[1]) if found else default

    def values(self, name: str) -> list[str]:
        found = self._items.get(name.lower())
        return list(found[1]) if found else []

    def set(self, name: str, values: str | list[str]) -> None:
        self._items[name.lower()] = (name, [values] if isinstance(values, str) else list(values))

    def add(self, name: str, value: str) -> None:
        found = self._items.get(name.lower())
        if found:
            found[1].append(value)
        else:
            self._items[name.lower()] = (name, [value])

    def remove(self, name: str) -> None:
        self._items.pop(name.lower(), None)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def names(self) -> list[str]:
        return [n for n, _ in self._items.values()]

    def items(self) -> Iterator[tuple[str, str]]:
        """Each (name, value) pair, for writing to the wire."""
        for name, values in self._items.values():
            for value in values:
                yield name, value

    def as_dict(self) -> dict[str, list[str]]:
        return {n: list(v) for n, v in self._items.values()}

    def copy(self) -> Headers:
        clone = Headers()
        clone._items = {k: (n, list(v)) for k, (n, v) in self._items.items()}
        return clone

    def __repr__(self) -> str:
        return f"Headers({self.as_dict()!r})"


@dataclass
class Url:
    """A URL whose parts policies change (rewrite-uri, set-backend-service, set-query-parameter)."""

    scheme: str
    host: str
    port: int
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Url:
        parts = urlsplit(text)
        scheme = parts.scheme or "http"
        port = parts.port or (443 if scheme == "https" else 80)
        query: dict[str, list[str]] = {}
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(k, []).append(v)
        return cls(scheme, parts.hostname or "", port, parts.path or "/", query)

    @property
    def query_string(self) -> str:
        pairs = [(k, v) for k, vs in self.query.items() for v in vs]
        return ("?" + urlencode(pairs, quote_via=quote, safe="")) if pairs else ""

    @property
    def default_port(self) -> bool:
        return (self.scheme, self.port) in (("http", 80), ("https", 443))

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.default_port else f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path}{self.query_string}"

    def copy(self) -> Url:
        return Url(self.scheme, self.host, self.port, self.path, {k: list(v) for k, v in self.query.items()})


@dataclass
class GatewayRequest:
    method: str
    url: Url  # the backend URL as policies shape it (`context.Request.Url`)
    original_url: Url  # as received (`context.Request.OriginalUrl`)
    headers: Headers
    body: bytes | None
    client_ip: str
    # Set by authentication-certificate (a ClientCertificate): the backend connection presents it.
    client_certificate: Any = None


@dataclass
class GatewayResponse:
    status: int
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    reason: str = ""
    # A backend body not read yet (aiohttp ClientResponse): forward-request streams it to the client when no
    # outbound policy can need it; `body` is then empty and only the listener reads the stream.
    stream: Any = None
