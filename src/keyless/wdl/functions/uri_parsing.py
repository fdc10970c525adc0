"""URI parsing functions: uriHost, uriPath, uriPathAndQuery, uriPort, uriScheme, uriQuery.

They read an absolute URI as .NET's System.Uri does: scheme and host lower-cased, the path with dot segments
removed and `\\` read as `/` (http, https, ws, wss, ftp, file), characters a URI cannot hold percent-encoded
(UTF-8), the port defaulted by scheme (`https` is 443, an unknown scheme -1), the query with its `?`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions.registry import function
from keyless.wdl.values import type_name

DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "ws": 80,
    "wss": 443,
    "ftp": 21,
    "gopher": 70,
    "nntp": 119,
    "news": 119,
    "telnet": 23,
    "ldap": 389,
    "mailto": 25,
    "net.tcp": 808,
    "sftp": 22,
}
_BACKSLASH_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_AUTHORITY = re.compile(
    r"^(?:(?P<userinfo>[^@/?#]*)@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/?#\[\]]*)(?::(?P<port>[0-9]*))?$"
)
# Characters System.Uri leaves as they are in a path (RFC 3986 pchar and `/`, `%` of existing escapes, `[` `]`).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~[]"
_QUERY_SAFE = _PATH_SAFE + "?"


@dataclass(frozen=True)
class ParsedUri:
    scheme: str
    host: str
    port: int
    path: str
    query: str


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, which System.Uri applies to hierarchical URIs."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def parse_uri(name: str, value: Any) -> ParsedUri:
    if not isinstance(value, str):
        raise ExpressionError(
            f"The template language function '{name}' expects its parameter to be a string. "
            f"The provided value is of type '{type_name(value)}'."
        )
    text = value.strip()
    invalid = ExpressionError(
        f"The template language function '{name}' expects its parameter to be a well-formed absolute URI. "
        f"The provided value '{value}' is not valid."
    )
    found = _SCHEME.match(text)
    if found is None or len(found[1]) == 1:  # `c:\x` is a Windows path, not a scheme
        raise invalid
    scheme = found[1].lower()
    rest = text[found.end() :]
    if scheme in _BACKSLASH_SCHEMES:
        rest = rest.replace("\\", "/")
    rest = rest.split("#", 1)[0]
    rest, question, query = rest.partition("?")
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        parts = _AUTHORITY.match(authority)
        if parts is None:
            raise invalid
        host = parts["host"].lower()
        if not host and scheme != "file":
            raise invalid
        port_text = parts["port"]
        if port_text:
            port = int(port_text)
            if port > 65535:
                raise invalid
        else:
            port = DEFAULT_PORTS.get(scheme, -1)
        path = _remove_dot_segments(slash + path)
    else:
        if scheme in _BACKSLASH_SCHEMES and scheme != "file":
            raise invalid  # http:foo has no authority: not an absolute http URI
        host, port, path = "", DEFAULT_PORTS.get(scheme, -1), rest
    try:
        path = quote(path, safe=_PATH_SAFE)
        query = quote(query, safe=_QUERY_SAFE)
    except UnicodeEncodeError as exc:
        raise invalid from exc
    return ParsedUri(scheme, host, port, path, question + query if query or question else "")


@function("uriHost", 1, 1)
def uri_host(ctx: Any, args: list[Any]) -> str:
    return parse_uri("uriHost", args[0]).host


@function("uriPath", 1, 1)
def uri_path(ctx: Any, args: list[Any]) -> str:
    return parse_uri("uriPath", args[0]).path


@function("uriPathAndQuery", 1, 1)
def uri_path_and_query(ctx: Any, args: list[Any]) -> str:
    parsed = parse_uri("uriPathAndQuery", args[0])
    return parsed.path + parsed.query


@function("uriPort", 1, 1)
def uri_port(ctx: Any, args: list[Any]) -> int:
    return parse_uri("uriPort", args[0]).port


@function("uriScheme", 1, 1)
def uri_scheme(ctx: Any, args: list[Any]) -> str:
    return parse_uri("uriScheme", args[0]).scheme


@function("uriQuery", 1, 1)
def uri_query(ctx: Any, args: list[Any]) -> str:
    return parse_uri("uriQuery", args[0]).query
