"""`/v1.0/servicePrincipals`: create by appId, read, list, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from keyless.identity.directory import not_found
from keyless.identity.first_party import FIRST_PARTY
from keyless.identity.graph import errors, odata, validation
from keyless.identity.graph.http import Call, no_content, page, respond

FILTER = odata.FilterSpec(
    "ServicePrincipal",
    eq=frozenset({"appId", "displayName", "id", "servicePrincipalType", "accountEnabled", "appOwnerOrganizationId"}),
    startswith=frozenset({"displayName"}),
    any_of=frozenset({"servicePrincipalNames", "tags", "alternativeNames"}),
)
PROPERTIES = frozenset(validation.SERVICE_PRINCIPAL.props)
FIRST_PARTY_APP_IDS = frozenset(fp.app_id for fp in FIRST_PARTY)


def graph_view(sp: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
    view = {**sp, "keyCredentials": [{**c, "key": None} for c in sp.get("keyCredentials") or []]}
    return odata.project(view, select)


async def resolve(call: Call) -> dict[str, Any]:
    assert call.key is not None
    name, value = call.key
    directory = call.services.directory
    if name == "appId":
        sp = await directory.find_service_principal_by_app_id(value)
        if sp is None:
            raise not_found(value)
        return sp
    return await directory.get_service_principal(value)


def _fields(body: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    fields = validation.entity_body(body, validation.SERVICE_PRINCIPAL, current)
    for prop, why in validation.SP_UNSUPPORTED.items():
        if prop in fields and fields[prop] != (current or {}).get(prop, []):
            raise errors.bad_request(f"keyless does not take '{prop}' on a service principal: {why}.")
        fields.pop(prop, None)
    if current is not None and "appId" in fields:
        del fields["appId"]
    return fields


async def create(call: Call) -> Response:
    body = await call.body()
    fields = _fields(body, None)
    sp = await call.services.directory.create_service_principal(fields)
    return respond({"@odata.context": call.context("servicePrincipals/$entity"), **graph_view(sp)}, 201)


async def get(call: Call) -> Response:
    select = odata.parse_select(call.params.get("$select"), PROPERTIES, "servicePrincipal")
    sp = await resolve(call)
    context = f"servicePrincipals({','.join(select)})/$entity" if select else "servicePrincipals/$entity"
    return respond({"@odata.context": call.context(context), **graph_view(sp, select)})


async def list_(call: Call) -> Response:
    query = odata.parse_query(call.params, FILTER, PROPERTIES, "servicePrincipal")
    sps = await call.services.directory.list_service_principals()
    return page(call, [graph_view(s) for s in sps], query, "servicePrincipals", "servicePrincipals")


async def update(call: Call) -> Response:
    sp = await resolve(call)
    fields = _fields(await call.body(), sp)
    await call.services.directory.update_service_principal(sp["id"], fields)
    return no_content()


async def delete(call: Call) -> Response:
    sp = await resolve(call)
    directory = call.services.directory
    if sp["servicePrincipalType"] == "ManagedIdentity":
        raise errors.bad_request(
            "A managed identity's service principal is deleted with its Azure resource (the user-assigned identity, "
            "or the host's identity set to None), not through Graph."
        )
    if sp["appId"] in FIRST_PARTY_APP_IDS or (directory.instance and sp["appId"] == directory.instance.admin_app_id):
        raise errors.bad_request(
            f"keyless refuses to delete the service principal of '{sp['displayName']}': the local tenant needs it."
        )
    await directory.delete_service_principal(sp["id"])
    return no_content()
