"""Policy documents at service, product, API and operation scope (`.../policies/policy`) and policy fragments.

A PUT is compiled with the gateway's compiler before anything is stored (the catalog does it for the whole
service). GET answers in the format its `?format=` asks for, `xml` by default (APIM's Policy Export Format):
`xml` has expression bodies XML-escaped, `rawxml` has them as C# reads them; the rest of the text is as written.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from keyless.arm.errors import ArmError
from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.gateway.management._base import child_type
from keyless.gateway.management._common import SERVICE, choice, refuse_unsupported, string, validation_error
from keyless.gateway.management.publish import Catalog
from keyless.gateway.policy_xml import to_rawxml, to_xml

POLICY_TYPES = (
    f"{SERVICE}/policies",
    f"{SERVICE}/products/policies",
    f"{SERVICE}/apis/policies",
    f"{SERVICE}/apis/operations/policies",
)
FRAGMENT_TYPE = f"{SERVICE}/policyFragments"
FORMATS = ("xml", "rawxml")
LINK_FORMATS = ("xml-link", "rawxml-link")


def document(props: dict[str, Any]) -> dict[str, Any]:
    """`value` and `format` of a policy or fragment; link formats are refused (keyless fetches nothing)."""
    fmt = props.get("format")
    if isinstance(fmt, str) and fmt.lower() in LINK_FORMATS:
        raise refuse_unsupported(
            "format", fmt, "keyless makes no network calls; send the policy inline as xml or rawxml"
        )
    chosen = choice(props, "format", FORMATS, "xml")
    value = string(props, "value", required=True)
    return {"value": value, "format": chosen}


def exported(shown: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    """The document in the format `?format=` asks for (default `xml`)."""
    asked = next((v for k, v in query.items() if k.lower() == "format"), None) or "xml"
    if asked.lower() in LINK_FORMATS:
        raise refuse_unsupported("format", asked, "keyless serves no export links; ask for xml or rawxml")
    wanted = choice({"format": asked}, "format", FORMATS, "xml")
    props = shown.get("properties") or {}
    if not isinstance(props.get("value"), str) or str(props.get("format", "xml")).lower() == wanted:
        return {**shown, "properties": {**props, "format": wanted}} if props else shown
    value = to_xml(props["value"]) if wanted == "xml" else to_rawxml(props["value"])
    return {**shown, "properties": {**props, "value": value, "format": wanted}}


def policy_type(catalog: Catalog, type_name: str) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        if (ctx.path.name or "").lower() != "policy":
            raise ArmError(404, "ResourceNotFound", f"Policy '{ctx.path.name}' not found; the policy id is 'policy'.")
        return {"properties": document(props)}

    return dataclasses.replace(child_type(catalog, type_name, build, check_names=False), query_view=exported)


def fragment_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        stored = document(props)
        description = props.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 1000):
            raise validation_error("description", "'description' must be a string of 1000 characters or less.")
        if description is not None:
            stored["description"] = description
        return {"properties": stored}

    return dataclasses.replace(child_type(catalog, FRAGMENT_TYPE, build), query_view=exported)
