"""OpenAPI 3 and Swagger 2 documents -> APIM operations, as an API import with `format`/`value` creates them."""

from __future__ import annotations

import hashlib
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
    # API schemas (`apis/{api}/schemas/{name}`) the operations' representations name: {"name", "properties"}.
    schemas: list[dict[str, Any]] = field(default_factory=list)


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
    schema = param.get("schema") if isinstance(param.get("schema"), dict) else param
    values = [str(v) for v in schema.get("enum") or () if v is not None]  # validate-parameters checks these
    out = {"name": str(param["name"]), "type": _param_type(param), "required": required, "values": values}
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


class _Schemas:
    """The document's definitions as one API schema, as APIM's import stores them; inline body schemas are added
    under generated names so every representation can name its definition (`schemaId` + `typeName`)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.swagger = str(doc.get("swagger", "")) == "2.0"
        found = doc.get("definitions") if self.swagger else (doc.get("components") or {}).get("schemas")
        self.definitions: dict[str, Any] = dict(found) if isinstance(found, dict) else {}
        self.prefix = "#/definitions/" if self.swagger else "#/components/schemas/"
        digest = hashlib.sha256(json.dumps(self.definitions, sort_keys=True, default=str).encode()).hexdigest()
        self.id = digest[:24]  # APIM names imported schemas with a generated id
        self.used = False

    def type_name(self, schema: Any, fallback: str) -> str | None:
        if not isinstance(schema, dict):
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(self.prefix):
            name = ref[len(self.prefix) :].replace("~1", "/").replace("~0", "~")
            if name in self.definitions:
                self.used = True
                return name
            return None
        name, n = fallback, 1
        while name in self.definitions:
            n += 1
            name = f"{fallback}{n}"
        self.definitions[name] = schema
        self.used = True
        return name

    def representation(self, content_type: str, schema: Any, fallback: str) -> dict[str, Any]:
        out: dict[str, Any] = {"contentType": content_type}
        name = self.type_name(schema, fallback)
        if name is not None:
            out.update(schemaId=self.id, typeName=name)
        return out

    def body(self) -> dict[str, Any]:
        if self.swagger:
            content_type = "application/vnd.ms-azure-apim.swagger.definitions+json"
            return {"contentType": content_type, "document": {"definitions": self.definitions}}
        content_type = "application/vnd.oai.openapi.components+json"
        return {"contentType": content_type, "document": {"components": {"schemas": self.definitions}}}


def _type_name(name: str) -> str:
    return name[:1].upper() + name[1:].replace("-", "")


def _request_representations(
    doc: dict[str, Any], op: dict[str, Any], params: list[dict[str, Any]], schemas: _Schemas, name: str
) -> list[dict[str, Any]]:
    if schemas.swagger:
        body = next((p for p in params if p.get("in") == "body"), None)
        types = op.get("consumes") or doc.get("consumes") or (["application/json"] if body else [])
        schema = body.get("schema") if body else None
        return [schemas.representation(str(t), schema, f"{_type_name(name)}Request") for t in types if body]
    request_body = _resolve(doc, op.get("requestBody"))
    content = request_body.get("content") if isinstance(request_body, dict) else None
    if not isinstance(content, dict):
        return []
    return [
        schemas.representation(str(t), (media or {}).get("schema"), f"{_type_name(name)}Request")
        for t, media in content.items()
    ]


def _response(
    doc: dict[str, Any], op: dict[str, Any], code: str, resp: Any, schemas: _Schemas, name: str
) -> dict[str, Any]:
    resp = _resolve(doc, resp) if isinstance(resp, dict) else {}
    fallback = f"{_type_name(name)}{code}Response"
    if schemas.swagger:
        types = op.get("produces") or doc.get("produces") or ["application/json"]
        has_schema = isinstance(resp.get("schema"), dict)
        representations = [schemas.representation(str(t), resp.get("schema"), fallback) for t in types if has_schema]
    else:
        content = resp.get("content") if isinstance(resp.get("content"), dict) else {}
        representations = [
            schemas.representation(str(t), (media or {}).get("schema"), fallback) for t, media in content.items()
        ]
    headers = [
        _contract({"name": h, **_resolve(doc, spec)}, bool(_resolve(doc, spec).get("required")))
        for h, spec in (resp.get("headers") or {}).items()
        if isinstance(spec, dict)
    ]
    out = {"statusCode": int(code), "description": resp.get("description"), "representations": representations}
    if headers:
        out["headers"] = headers
    return out


def operations(text: str, fmt: str) -> ImportedApi:
    """The API's title, description, first server and one operation per path and method."""
    doc = load(text, fmt)
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    api = ImportedApi(info.get("title"), info.get("description"), _server_url(doc))
    taken: set[str] = set()
    schemas = _Schemas(doc)
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
            name = _operation_name(op, method, str(path), taken)
            properties: dict[str, Any] = {
                "displayName": str(op.get("summary") or op.get("operationId") or f"{method.upper()} {path}")[:300],
                "method": method.upper(),
                "urlTemplate": str(path),
                "templateParameters": template,
                "description": op.get("description"),
                "request": {
                    "queryParameters": query,
                    "headers": headers,
                    "representations": _request_representations(doc, op, params, schemas, name),
                },
                "responses": [
                    _response(doc, op, str(code), resp, schemas, name)
                    for code, resp in (op.get("responses") or {}).items()
                    if str(code).isdigit() and isinstance(resp, dict | type(None))
                ],
            }
            api.operations.append({"name": name, "properties": properties})
    if schemas.used:
        api.schemas.append({"name": schemas.id, "properties": schemas.body()})
    return api
