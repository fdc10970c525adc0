"""Microsoft.ApiManagement/service/schemas and service/apis/schemas: the JSON and XML schemas validate-content
checks bodies against (a service schema by `schema-id`, an API schema through an operation's representation)."""

from __future__ import annotations

from typing import Any

from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.gateway.management._base import child_type
from keyless.gateway.management._common import SERVICE, string, validation_error
from keyless.gateway.management.publish import Catalog

GLOBAL_TYPE = f"{SERVICE}/schemas"
API_TYPE = f"{SERVICE}/apis/schemas"
SCHEMA_TYPES = ("xml", "json")
# The API schema content types APIM documents (SchemaContract.contentType).
API_CONTENT_TYPES = (
    "application/vnd.ms-azure-apim.swagger.definitions+json",
    "application/vnd.oai.openapi.components+json",
    "application/vnd.ms-azure-apim.xsd+xml",
    "application/vnd.ms-azure-apim.wadl.grammars+xml",
    "application/vnd.ms-azure-apim.wsdl.grammars+xml",
    "application/vnd.ms-azure-apim.graphql.schema",
)


def global_properties(props: dict[str, Any]) -> dict[str, Any]:
    schema_type = string(props, "schemaType", required=True)
    assert schema_type is not None
    if schema_type.lower() not in SCHEMA_TYPES:
        raise validation_error("schemaType", f"'{schema_type}' is not a schema type; expected xml or json.")
    document, value = props.get("document"), props.get("value")
    if schema_type.lower() == "json" and not isinstance(document, dict):
        raise validation_error("document", "A JSON schema needs 'document' (a JSON object).")
    if schema_type.lower() == "xml" and not (isinstance(value, str) and value.strip()):
        raise validation_error("value", "An XML schema needs 'value' (the XSD text).")
    out: dict[str, Any] = {"schemaType": schema_type.lower(), "description": props.get("description")}
    if document is not None:
        out["document"] = document
    if value is not None:
        out["value"] = value
    return out


def api_properties(props: dict[str, Any]) -> dict[str, Any]:
    content_type = string(props, "contentType", required=True)
    assert content_type is not None
    if content_type.lower() not in API_CONTENT_TYPES:
        raise validation_error("contentType", f"'{content_type}' is not a schema content type.")
    document = props.get("document")
    if not isinstance(document, dict):
        raise validation_error("document", "'document' must be an object.")
    return {"contentType": content_type, "document": document}


def global_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        return {"properties": global_properties(props)}

    return child_type(catalog, GLOBAL_TYPE, build)


def api_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        return {"properties": api_properties(props)}

    return child_type(catalog, API_TYPE, build)
