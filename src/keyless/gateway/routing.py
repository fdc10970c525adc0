"""Request -> API (longest path prefix) -> operation (method + URL template), compiled once per snapshot.

Templates: `{name}` binds one path segment, `?a={b}` binds query parameter `a` as `b`, a trailing `/*`
matches any remainder. Literal segments outrank parameters; matching ignores case [INF]. A wrong method on
an existing path is no match, as in APIM (404 OperationNotFound).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from keyless.gateway.snapshot import ApiRecord, OperationRecord

_PARAM = re.compile(r"\{\*?([^{}]+)\}")


@dataclass(frozen=True)
class CompiledTemplate:
    """One operation's URL template as a regular expression plus its query bindings."""

    operation: OperationRecord
    pattern: re.Pattern[str]
    params: tuple[tuple[str, str], ...]  # (regex group, parameter name)
    query: tuple[tuple[str, str | None, str], ...]  # (query name, parameter name or None, literal)
    rank: tuple[int, ...]


def compile_template(operation: OperationRecord) -> CompiledTemplate:
    """Compile `operation.url_template` (e.g. `/users/{id}/orders?status={status}`)."""
    path, _, query = operation.url_template.partition("?")
    path = "/" + path.strip("/") if path.strip("/") else ""
    wildcard = path.endswith("/*") or path == "/*"
    if wildcard:
        path = path[:-2]
    regex, params, literals = [], [], 0
    pos = 0
    for m in _PARAM.finditer(path):
        regex.append(re.escape(path[pos : m.start()]))
        group = f"p{len(params)}"
        params.append((group, m.group(1)))
        greedy = m.group(0).startswith("{*")
        regex.append(f"(?P<{group}>.*)" if greedy else f"(?P<{group}>[^/]+)")
        pos = m.end()
    regex.append(re.escape(path[pos:]))
    literals = sum(1 for seg in path.split("/") if seg and not _PARAM.search(seg))
    tail = "(?:/.*)?" if wildcard else "/?"
    pattern = re.compile("^" + "".join(regex) + tail + "$", re.IGNORECASE | re.DOTALL)
    bindings = []
    for part in filter(None, query.split("&")):
        name, _, value = part.partition("=")
        pm = _PARAM.fullmatch(value)
        bindings.append((name, pm.group(1) if pm else None, value))
    rank = (-literals, len(params), 1 if wildcard else 0, -len(bindings), -len(path))
    return CompiledTemplate(operation, pattern, tuple(params), tuple(bindings), rank)


@dataclass(frozen=True)
class _ApiRoute:
    api: ApiRecord
    prefix: str  # "/path" lower-cased, or "" for an API with an empty path (with ";rev=n" or "/v1" as served)
    templates: dict[str, tuple[CompiledTemplate, ...]]  # method -> templates, most specific first
    header: tuple[str, str] | None = None  # Header versioning: (header name, version)
    query: tuple[str, str] | None = None  # Query versioning: (parameter name, version)


def _prefixes(api: ApiRecord) -> list[tuple[str, tuple[str, str] | None, tuple[str, str] | None]]:
    """Where an API answers: its path (current revision), `path;rev=n` (any revision), and the version's place."""
    base = ("/" + api.path.lower()) if api.path else ""
    header = query = None
    version = (api.version or "").lower()
    if api.version_scheme == "Segment" and version:
        base = f"{base}/{version}"
    elif api.version_scheme == "Header" and version and api.version_header_name:
        header = (api.version_header_name, api.version or "")
    elif api.version_scheme == "Query" and version and api.version_query_name:
        query = (api.version_query_name, api.version or "")
    out = [(f"{base};rev={api.revision}".lower(), header, query)]
    if api.is_current:
        out.append((base, header, query))
    return out


class Router:
    """Matches (method, path, query) to (API, operation, matched parameters, path after the API path)."""

    def __init__(self, apis: list[ApiRecord], operations: dict[str, list[OperationRecord]]) -> None:
        routes = []
        for api in apis:
            by_method: dict[str, list[CompiledTemplate]] = {}
            for op in operations.get(api.name, ()):
                by_method.setdefault(op.method, []).append(compile_template(op))
            templates = {m: tuple(sorted(ts, key=lambda t: t.rank)) for m, ts in by_method.items()}
            for prefix, header, query in _prefixes(api):
                routes.append(_ApiRoute(api, prefix, templates, header, query))
        # longest prefix first; among equals, a version constraint before the unversioned ("Original") API
        self.routes = sorted(routes, key=lambda r: (-len(r.prefix), r.header is None and r.query is None))

    def match(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any = None
    ) -> tuple[ApiRecord | None, OperationRecord | None, dict[str, str], str]:
        """(api, operation, MatchedParameters, remainder); operation None when nothing matches in that API."""
        lowered = path.lower()
        for route in self.routes:
            p = route.prefix
            if p and lowered != p and not lowered.startswith(p + "/"):
                continue
            if route.header is not None and (headers is None or headers.get(route.header[0]) != route.header[1]):
                continue
            if route.query is not None and (query.get(route.query[0]) or [None])[0] != route.query[1]:
                continue
            remainder = path[len(p) :]
            for template in route.templates.get(method.upper(), ()):
                found = _match(template, remainder, query)
                if found is not None:
                    return route.api, template.operation, found, remainder
            return route.api, None, {}, remainder
        return None, None, {}, path


def _match(template: CompiledTemplate, remainder: str, query: dict[str, list[str]]) -> dict[str, str] | None:
    m = template.pattern.match(remainder)
    if m is None:
        return None
    params = {name: unquote(m.group(group)) for group, name in template.params}
    for qname, pname, literal in template.query:
        values = query.get(qname)
        if not values:
            return None
        if pname is None:
            if values[0] != literal:
                return None
        else:
            params[pname] = values[0]
    return params
