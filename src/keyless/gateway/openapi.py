"""OpenAPI 3 and Swagger 2 documents -> APIM operations, as an API import with `format`/`value` creates them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_PATH_PARAM = re.compile(r"\{([^{}]+)\}")


class OpenApiError(ValueError):
    """The document cannot be imported; the message says why."""


@dataclass
class ImportedApi:
    title: str | None
    description: str | None
    server_url: str | None
    operations: list[dict[str, Any]] = field(default_factory=list)  # {"name": ..., "properties": {...}}


def load(text: str, fmt: str) -> dict[str, Any]:
    """Parse the text as JSON (`*+json`, `swagger-json`) or YAML (`openapi`, which also reads JSON)."""
    try:
        doc = json.loads(text) if fmt.endswith("json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise OpenApiError(f"The specification could not be parsed: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("paths", {}), dict):
        raise OpenApiError("The specification is not an OpenAPI or Swagger document.")
    if not (str(doc.get("openapi", "")).startswith("3") or str(doc.get("swagger", "")) == "2.0"):
        raise OpenApiError("Only OpenAPI 3.x and Swagger 2.0 documents can be imported.")
    return doc


def _server_url(doc: dict[str, Any]) -> str | None:
    servers = doc.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        return str(servers[0].get("url") or "") or None
    if doc.get("host"):
        scheme = (doc.get("schemes") or ["https"])[0]
        return f"{scheme}://{doc['host']}{doc.get('basePath', '')}".rstrip("/")
    return None


def _resolve(doc: dict[str, Any], item: Any) -> Any:
    ref = item.get("$ref") if isinstance(item, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return item
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else item


def _parameters(doc: dict[str, Any], path_item: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(path_item.get("parameters") or []), *(op.get("parameters") or [])]:
        param = _resolve(doc, raw)
        if isinstance(param, dict) and param.get("name") and param.get("in"):
            merged[(str(param["in"]), str(param["name"]))] = param
    return list(merged.values())


def _param_type(param: dict[str, Any]) -> str:
    schema = param.get("schema") if isinstance(param.get("schema"), dict) else param
    return str(schema.get("type") or "string")


def _contract(param: dict[str, Any], required: bool) -> dict[str, Any]:
    out = {"name": str(param["name"]), "type": _param_type(param), "required": required, "values": []}
    if param.get("description"):
        out["description"] = str(param["description"])
    return out


def _operation_name(op: dict[str, Any], method: str, path: str, taken: set[str]) -> str:
    base = str(op.get("operationId") or "") or f"{method}{path}"
    name = _NOT_NAME.sub("-", base).strip("-")[:80] or method
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate.lower())
    return candidate


def operations(text: str, fmt: str) -> ImportedApi:
    """The API's title, description, first server and one operation per path and method."""
    doc = load(text, fmt)
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    api = ImportedApi(info.get("title"), info.get("description"), _server_url(doc))
    taken: set[str] = set()
    for path, path_item in (doc.get("paths") or {}).items():
        if not isinstance(path_item, dict):
            continue
        for method in METHODS:
            op = path_item.get(method)
            if not isinstance(op, dict):
                continue
            params = _parameters(doc, path_item, op)
            # The path's own `{names}` decide (as APIM's import does): undeclared ones become string parameters.
            declared = {p["name"]: _contract(p, True) for p in params if p["in"] == "path"}
            template = [
                declared.get(n) or {"name": n, "type": "string", "required": True, "values": []}
                for n in _PATH_PARAM.findall(str(path))
            ]
            query = [_contract(p, bool(p.get("required"))) for p in params if p["in"] == "query"]
            headers = [_contract(p, bool(p.get("required"))) for p in params if p["in"] == "header"]
            properties: dict[str, Any] = {
                "displayName": str(op.get("summary") or op.get("operationId") or f"{method.upper()} {path}")[:300],
                "method": method.upper(),
                "urlTemplate": str(path),
                "templateParameters": template,
                "description": op.get("description"),
                "request": {"queryParameters": query, "headers": headers, "representations": []},
                "responses": [
                    {"statusCode": int(code), "description": (resp or {}).get("description"), "representations": []}
                    for code, resp in (op.get("responses") or {}).items()
                    if str(code).isdigit() and isinstance(resp, dict | type(None))
                ],
            }
            api.operations.append({"name": _operation_name(op, method, str(path), taken), "properties": properties})
    return api
