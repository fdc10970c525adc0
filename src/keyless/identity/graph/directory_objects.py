"""`GET /v1.0/directoryObjects/{id}`: any application or service principal by object id, with its `@odata.type`."""

from __future__ import annotations

from starlette.responses import Response

from keyless.identity.directory import DirectoryError, not_found
from keyless.identity.graph import applications, errors, service_principals
from keyless.identity.graph.http import Call, respond


async def get(call: Call) -> Response:
    assert call.key is not None
    prop, object_id = call.key
    if prop != "id":
        raise errors.bad_request(f"directoryObjects are addressed by object id only, not by {prop}.")
    directory = call.services.directory
    try:
        sp = await directory.get_service_principal(object_id)
        view, kind = service_principals.graph_view(sp), "servicePrincipal"
    except DirectoryError:
        try:
            view, kind = applications.graph_view(await directory.get_application(object_id)), "application"
        except DirectoryError:
            raise not_found(object_id) from None
    return respond(
        {"@odata.context": call.context("directoryObjects/$entity"), "@odata.type": f"#microsoft.graph.{kind}", **view}
    )
