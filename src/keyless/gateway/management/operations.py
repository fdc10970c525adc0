"""Microsoft.ApiManagement/service/apis/operations: method + URL template (`{params}`, query templates, `/*`)."""

from __future__ import annotations

import re
from typing import Any

from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.gateway.management._base import child_type
from keyless.gateway.management._common import SERVICE, string, validation_error
from keyless.gateway.management.publish import Catalog

TYPE = f"{SERVICE}/apis/operations"
_METHOD = re.compile(r"^[A-Za-z]+$")
_PARAM = re.compile(r"\{([^{}]*)\}")


def template_names(url_template: str) -> list[str]:
    """The `{name}` parameters of a URL template, path and query parts alike."""
    return [m.strip() for m in _PARAM.findall(url_template)]


def operation_properties(props: dict[str, Any]) -> dict[str, Any]:
    """Check an operation contract as APIM does and return what to store."""
    display_name = string(props, "displayName", required=True, max_length=300)
    method = string(props, "method", required=True)
    assert method is not None
    if not _METHOD.match(method):
        raise validation_error("method", f"'{method}' is not a valid HTTP method.")
    url_template = string(props, "urlTemplate", required=True, max_length=1000)
    assert url_template is not None
    if not url_template.startswith("/"):
        raise validation_error("urlTemplate", "The URL template must start with '/'.")
    declared = props.get("templateParameters") or []
    if not isinstance(declared, list) or not all(isinstance(p, dict) and p.get("name") for p in declared):
        raise validation_error("templateParameters", "Each template parameter needs a name.")
    used = set(template_names(url_template))
    names = {str(p["name"]) for p in declared}
    if "" in used or used != names:
        raise validation_error(
            "templateParameters",
            "All template parameters used in the UriTemplate must be defined in the Operation, and vice-versa.",
        )
    return {
        "displayName": display_name,
        "method": method.upper(),
        "urlTemplate": url_template,
        "templateParameters": [{"type": "string", "required": True, "values": [], **p} for p in declared],
        "description": props.get("description"),
        "request": props.get("request") or {"queryParameters": [], "headers": [], "representations": []},
        "responses": props.get("responses") or [],
        "policies": None,
    }


def resource_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        return {"properties": operation_properties(props)}

    return child_type(catalog, TYPE, build)
