"""`keyless ad ...` and `keyless role assign`: the directory half of the seed scenario, as thin Graph calls.

Named and shaped after `az ad app create`, `az ad app ...`, `az ad sp create`, so the steps read the same.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import typer

from keyless.cli.cloud import CliError, Cloud, CloudName, DataDir, Group, Output, Subscription, emit, fail, open_cloud

app = typer.Typer(no_args_is_help=True, help="Applications and service principals (Microsoft Graph).")
app_app = typer.Typer(no_args_is_help=True, help="Application registrations.")
role_app = typer.Typer(no_args_is_help=True, help="App roles of an application.")
sp_app = typer.Typer(no_args_is_help=True, help="Service principals.")
app.add_typer(app_app, name="app")
app_app.add_typer(role_app, name="role")
app.add_typer(sp_app, name="sp")

assign_app = typer.Typer(no_args_is_help=True, help="App role assignments (Microsoft Graph).")

APP_COLUMNS = [("displayName", "displayName"), ("appId", "appId"), ("id", "id"), ("identifierUris", "identifierUris")]
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _quoted(value: str) -> str:
    return value.replace("'", "''")


def find_application(cloud: Cloud, ref: str) -> dict[str, Any]:
    """An application by appId, object id, Application ID URI or display name (exactly one must match)."""
    if GUID.match(ref):
        for key in ("appId", "id"):
            found = cloud.graph_call("GET", f"/applications?$filter={key} eq '{ref}'")["value"]
            if found:
                return dict(found[0])
    else:
        for flt in (f"identifierUris/any(u:u eq '{_quoted(ref)}')", f"displayName eq '{_quoted(ref)}'"):
            found = cloud.graph_call("GET", f"/applications?$filter={flt}")["value"]
            if len(found) == 1:
                return dict(found[0])
            if len(found) > 1:
                raise CliError(f"{len(found)} applications match '{ref}'; use the appId")
    raise CliError(f"no application matches '{ref}' (by appId, object id, Application ID URI or display name)")


def find_service_principal(cloud: Cloud, app_id: str) -> dict[str, Any] | None:
    found = cloud.graph_call("GET", f"/servicePrincipals?$filter=appId eq '{app_id}'")["value"]
    return dict(found[0]) if found else None


@app_app.command("create")
def app_create(
    display_name: str = typer.Option(..., "--display-name", help="The application's name."),
    identifier_uri: list[str] = typer.Option([], "--identifier-uri", help="Application ID URI (the API's audience)."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    output: str = Output,
) -> None:
    """Register an application (POST /applications).

    Example: keyless ad app create --display-name orders-api --identifier-uri api://orders-api
    """
    try:
        c = open_cloud(cloud, data_dir, None)
        made = c.graph_call("POST", "/applications", {"displayName": display_name, "identifierUris": identifier_uri})
        emit(made, output, APP_COLUMNS)
    except CliError as exc:
        raise fail(exc) from exc


@app_app.command("show")
def app_show(
    app_ref: str = typer.Option(..., "--app", help="appId, object id, Application ID URI or display name."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    output: str = Output,
) -> None:
    """Show an application (with its app roles in --output json)."""
    try:
        emit(find_application(open_cloud(cloud, data_dir, None), app_ref), output, APP_COLUMNS)
    except CliError as exc:
        raise fail(exc) from exc


@role_app.command("add")
def role_add(
    app_ref: str = typer.Option(..., "--app", help="appId, object id, Application ID URI or display name."),
    value: str = typer.Option(..., "--value", help="The role's value: what the `roles` claim carries."),
    display_name: str = typer.Option(None, "--display-name", help="Default: the value."),
    description: str = typer.Option(None, "--description"),
    allowed_member_types: list[str] = typer.Option(
        ["Application"], "--allowed-member-types", help="Application (default) and/or User."
    ),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    output: str = Output,
) -> None:
    """Add an app role to an application (PATCH /applications/{id} appRoles).

    Example: keyless ad app role add --app api://orders-api --value AddRole
    """
    try:
        c = open_cloud(cloud, data_dir, None)
        application = find_application(c, app_ref)
        roles = list(application.get("appRoles") or [])
        if any(r.get("value") == value for r in roles):
            raise CliError(f"the application already has an app role with value '{value}'")
        role = {
            "id": str(uuid.uuid4()),
            "value": value,
            "displayName": display_name or value,
            "description": description or value,
            "allowedMemberTypes": allowed_member_types,
            "isEnabled": True,
        }
        c.graph_call("PATCH", f"/applications/{application['id']}", {"appRoles": [*roles, role]})
        emit(role, output, [("value", "value"), ("id", "id"), ("allowedMemberTypes", "allowedMemberTypes")])
    except CliError as exc:
        raise fail(exc) from exc


@sp_app.command("create")
def sp_create(
    app_id: str = typer.Option(..., "--id", help="The application's appId (or another reference to it)."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    output: str = Output,
) -> None:
    """Create the application's service principal in the tenant (POST /servicePrincipals).

    Example: keyless ad sp create --id api://orders-api
    """
    try:
        c = open_cloud(cloud, data_dir, None)
        application = find_application(c, app_id)
        made = c.graph_call("POST", "/servicePrincipals", {"appId": application["appId"]})
        emit(made, output, [("displayName", "displayName"), ("appId", "appId"), ("id", "id")])
    except CliError as exc:
        raise fail(exc) from exc


def principal_of(cloud: Cloud, assignee: str, api_version: str = "2023-01-31") -> str:
    """The object id behind an assignee: an object id, an appId, or the ARM id of a resource with a managed
    identity (a user-assigned identity, or a workflow/APIM service with a system-assigned one)."""
    if assignee.startswith("/subscriptions/"):
        resource = cloud.arm("GET", assignee, api_version=_api_version_for(assignee, api_version))
        principal = (resource.get("properties") or {}).get("principalId") or (resource.get("identity") or {}).get(
            "principalId"
        )
        if not principal:
            raise CliError(f"{assignee} has no managed identity (no principalId)")
        return str(principal)
    if GUID.match(assignee):
        found = cloud.graph_call("GET", f"/servicePrincipals?$filter=appId eq '{assignee}'")["value"]
        return str(found[0]["id"]) if found else assignee
    raise CliError(f"--assignee is an object id, an appId or an ARM resource id, not {assignee!r}")


def _api_version_for(resource_id: str, default: str) -> str:
    lowered = resource_id.lower()
    if "/microsoft.logic/workflows/" in lowered:
        return "2019-05-01"
    if "/microsoft.apimanagement/service/" in lowered:
        return "2022-08-01"
    return default


@assign_app.command("assign")
def role_assign(
    assignee: str = typer.Option(..., "--assignee", help="Object id, appId, or ARM id of a managed identity's host."),
    api: str = typer.Option(..., "--api", help="The API's application: appId, Application ID URI or name."),
    role: str = typer.Option(..., "--role", help="The app role's value, e.g. AddRole."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """Assign an app role of an API to a principal (POST /servicePrincipals/{api}/appRoleAssignedTo).

    Example: keyless role assign --assignee /subscriptions/.../Microsoft.Logic/workflows/orders
             --api api://orders-api --role AddRole
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        application = find_application(c, api)
        sp = find_service_principal(c, application["appId"])
        if sp is None:
            raise CliError(f"the API '{api}' has no service principal; run `keyless ad sp create --id {api}` first")
        roles = [r for r in sp.get("appRoles") or [] if r.get("value") == role]
        if not roles:
            have = ", ".join(r.get("value", "") for r in sp.get("appRoles") or []) or "none"
            raise CliError(f"the API '{api}' has no app role '{role}' (it has: {have})")
        made = c.graph_call(
            "POST",
            f"/servicePrincipals/{sp['id']}/appRoleAssignedTo",
            {"principalId": principal_of(c, assignee), "resourceId": sp["id"], "appRoleId": roles[0]["id"]},
        )
        emit(
            made,
            output,
            [
                ("principal", "principalDisplayName"),
                ("principalId", "principalId"),
                ("resource", "resourceDisplayName"),
                ("appRoleId", "appRoleId"),
            ],
        )
    except CliError as exc:
        raise fail(exc) from exc
