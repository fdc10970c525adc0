"""`servicePrincipals/{id}/appRoleAssignedTo` and `/appRoleAssignments`: grant, list and revoke app roles."""

from __future__ import annotations

from starlette.responses import Response

from keyless.identity.directory import not_found
from keyless.identity.graph import errors, odata, service_principals, validation
from keyless.identity.graph.http import Call, no_content, page, respond

FILTER = odata.FilterSpec(
    "AppRoleAssignment",
    eq=frozenset({"principalId", "resourceId", "appRoleId", "principalType"}),
    startswith=frozenset(),
    any_of=frozenset(),
)
PROPERTIES = frozenset(validation.APP_ROLE_ASSIGNMENT.props)


def _nav(call: Call) -> str:
    return call.nav[0]  # "appRoleAssignedTo" or "appRoleAssignments"


def _context(call: Call, sp_id: str, suffix: str = "") -> str:
    return call.context(f"servicePrincipals('{sp_id}')/{_nav(call)}{suffix}")


async def create(call: Call) -> Response:
    sp = await service_principals.resolve(call)
    body = validation.check(await call.body(), validation.APP_ROLE_ASSIGNMENT, "")
    for prop in ("principalId", "resourceId", "appRoleId"):
        if not body.get(prop):
            raise errors.invalid_value(prop, "AppRoleAssignment", f"'{prop}' is required.")
    # The docs post to the resource's appRoleAssignedTo or the principal's appRoleAssignments, and Microsoft's own
    # samples also post to the resource's appRoleAssignments; any of them names one end of the assignment.
    if sp["id"] not in (body["principalId"], body["resourceId"]):
        raise errors.bad_request(
            f"The service principal in the URL ({sp['id']}) must be the assignment's principalId or resourceId."
        )
    created = await call.services.directory.assign_app_role(body["principalId"], body["resourceId"], body["appRoleId"])
    return respond({"@odata.context": _context(call, sp["id"], "/$entity"), **created}, 201)


async def list_(call: Call) -> Response:
    sp = await service_principals.resolve(call)
    directory = call.services.directory
    if _nav(call) == "appRoleAssignedTo":
        items = await directory.list_assignments(resource_id=sp["id"])
    else:
        items = await directory.list_assignments(principal_id=sp["id"])
    query = odata.parse_query(call.params, FILTER, PROPERTIES, "appRoleAssignment")
    return page(
        call,
        items,
        query,
        f"servicePrincipals('{sp['id']}')/{_nav(call)}",
        f"servicePrincipals/{sp['id']}/{_nav(call)}",
    )


async def _find(call: Call) -> tuple[dict[str, object], str]:
    sp = await service_principals.resolve(call)
    directory = call.services.directory
    field = "resource_id" if _nav(call) == "appRoleAssignedTo" else "principal_id"
    items = await directory.list_assignments(**{field: sp["id"]})
    found = next((a for a in items if a["id"] == call.item), None)
    if found is None:
        raise not_found(str(call.item))
    return found, sp["id"]


async def get(call: Call) -> Response:
    found, sp_id = await _find(call)
    select = odata.parse_select(call.params.get("$select"), PROPERTIES, "appRoleAssignment")
    return respond({"@odata.context": _context(call, sp_id, "/$entity"), **odata.project(found, select)})


async def delete(call: Call) -> Response:
    found, sp_id = await _find(call)
    await call.services.directory.delete_assignment(str(found["id"]), sp_id=sp_id)
    return no_content()
