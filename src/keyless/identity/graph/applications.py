"""`/v1.0/applications`: create, read, list, update, delete, addPassword/removePassword, addKey/removeKey."""

from __future__ import annotations

import copy
from typing import Any

from starlette.responses import Response

from keyless.identity.directory import Directory, not_found
from keyless.identity.graph import credentials, errors, odata, validation
from keyless.identity.graph.http import Call, no_content, page, respond

FILTER = odata.FilterSpec(
    "Application",
    eq=frozenset({"appId", "displayName", "id", "signInAudience", "publisherDomain"}),
    startswith=frozenset({"displayName"}),
    any_of=frozenset({"identifierUris", "tags"}),
)
PROPERTIES = frozenset(validation.APPLICATION.props)


def graph_view(app: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
    """What Graph shows: certificate `key` only when keyCredentials is $select-ed, never a secret."""
    view = copy.deepcopy(app)
    show_keys = select is not None and "keyCredentials" in select
    for cred in view.get("keyCredentials") or []:
        if not show_keys:
            cred["key"] = None
    for cred in view.get("passwordCredentials") or []:
        cred["secretText"] = None
    return odata.project(view, select)


async def resolve(call: Call) -> dict[str, Any]:
    directory = call.services.directory
    assert call.key is not None
    name, value = call.key
    if name == "appId":
        app = await directory.get_application_by_app_id(value)
        if app is None:
            raise not_found(value)
        return app
    return await directory.get_application(value)


async def _fields(call: Call, body: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    fields = validation.entity_body(body, validation.APPLICATION, current)
    if "passwordCredentials" in fields:
        if current is None and fields["passwordCredentials"] == []:
            del fields["passwordCredentials"]
        else:
            raise errors.bad_request(
                "keyless does not take passwordCredentials in a POST or PATCH body: Entra makes client secrets itself. "
                "Use POST /applications/{id}/addPassword and removePassword."
            )
    if "keyCredentials" in fields:
        existing = {c["keyId"]: c for c in (current or {}).get("keyCredentials") or []}
        fields["keyCredentials"] = [credentials.key_credential(e, existing) for e in fields["keyCredentials"]]
        ids = [c["keyId"] for c in fields["keyCredentials"]]
        if len(set(ids)) != len(ids):
            raise errors.invalid_value("keyId", "KeyCredential", "Two keyCredentials have the same keyId.")
    merged = {**(current or {}), **fields}
    if isinstance(fields.get("api"), dict):
        merged["api"] = {**((current or {}).get("api") or {}), **fields["api"]}
    validation.application_rules(merged)
    return fields


async def create(call: Call) -> Response:
    fields = await _fields(call, await call.body(), None)
    app = await call.services.directory.create_application(fields)
    return respond({"@odata.context": call.context("applications/$entity"), **graph_view(app)}, 201)


async def get(call: Call) -> Response:
    select = odata.parse_select(call.params.get("$select"), PROPERTIES, "application")
    app = await resolve(call)
    context = f"applications({','.join(select)})/$entity" if select else "applications/$entity"
    return respond({"@odata.context": call.context(context), **graph_view(app, select)})


async def list_(call: Call) -> Response:
    query = odata.parse_query(call.params, FILTER, PROPERTIES, "application")
    apps = await call.services.directory.list_applications()
    views = [
        graph_view(a, ["keyCredentials"]) if query.select and "keyCredentials" in query.select else graph_view(a)
        for a in apps
    ]
    return page(call, views, query, "applications", "applications")


async def update(call: Call) -> Response:
    app = await resolve(call)
    fields = await _fields(call, await call.body(), app)
    await call.services.directory.update_application(app["id"], fields)
    return no_content()


async def delete(call: Call) -> Response:
    app = await resolve(call)
    _refuse_admin(call.services.directory, app["appId"])
    await call.services.directory.delete_application(app["id"])
    return no_content()


def _refuse_admin(directory: Directory, app_id: str) -> None:
    # Deleting the local admin would lock every client out of Graph and ARM; Azure has no such object.
    if directory.instance is not None and app_id == directory.instance.admin_app_id:
        raise errors.bad_request("keyless refuses to delete its own admin application (endpoints.json 'admin').")


async def add_password(call: Call) -> Response:
    app = await resolve(call)
    body = validation.check(await call.body(allow_empty=True), validation.ADD_PASSWORD, "")
    cred = body.get("passwordCredential") or {}
    start, end = cred.get("startDateTime"), cred.get("endDateTime")
    if start and end and credentials.parse_time(end) <= credentials.parse_time(start):
        raise errors.invalid_value("endDateTime", "PasswordCredential", "endDateTime must be after startDateTime.")
    if cred.get("secretText") is not None:
        raise errors.bad_request("secretText cannot be given: Entra (and keyless) generates the secret and returns it.")
    created = await call.services.directory.add_password(
        app["id"], {k: cred.get(k) for k in ("displayName", "startDateTime", "endDateTime")}
    )
    return respond({"@odata.context": call.context("microsoft.graph.passwordCredential"), **created})


async def remove_password(call: Call) -> Response:
    app = await resolve(call)
    body = validation.check(await call.body(), validation.REMOVE_PASSWORD, "")
    if not body.get("keyId"):
        raise errors.bad_request("The 'keyId' parameter is required: the keyId of the password to remove.")
    await call.services.directory.remove_password(app["id"], body["keyId"])
    return no_content()


async def add_key(call: Call) -> Response:
    app = await resolve(call)
    body = validation.check(await call.body(), validation.ADD_KEY, "")
    credentials.verify_proof(app, body.get("proof"))
    if body.get("passwordCredential") is not None:
        raise errors.bad_request(
            "keyless supports addKey for 'AsymmetricX509Cert' keys only; passwordCredential "
            "(for 'X509CertAndPassword') must be null."
        )
    entry = body.get("keyCredential")
    if not entry or not entry.get("key") or not entry.get("type") or not entry.get("usage"):
        raise errors.bad_request("keyCredential with type, usage and key is required.")
    if entry.get("keyId"):
        raise errors.bad_request("keyCredential.keyId must be null: Entra assigns it.")
    cred = credentials.key_credential(entry, {})
    await call.services.directory.update_application(
        app["id"], {"keyCredentials": [*(app.get("keyCredentials") or []), cred]}
    )
    return respond({"@odata.context": call.context("microsoft.graph.keyCredential"), **{**cred, "key": None}})


async def remove_key(call: Call) -> Response:
    app = await resolve(call)
    body = validation.check(await call.body(), validation.REMOVE_KEY, "")
    credentials.verify_proof(app, body.get("proof"))
    creds = app.get("keyCredentials") or []
    if not any(c["keyId"] == body.get("keyId") for c in creds):
        raise errors.GraphError(
            404, "Request_ResourceNotFound", f"No key credential found with keyId {body.get('keyId')}."
        )
    await call.services.directory.update_application(
        app["id"], {"keyCredentials": [c for c in creds if c["keyId"] != body["keyId"]]}
    )
    return no_content()
