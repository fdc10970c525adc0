"""Graph `/v1.0/servicePrincipals` and app role assignments against a running keyless."""

from __future__ import annotations

import uuid
from typing import Any

from tests.identity.graph_helpers import assert_graph_error, create_app, create_sp, unique


def _role(value: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "allowedMemberTypes": ["Application"],
        "displayName": value,
        "description": value,
        "value": value,
        "isEnabled": True,
        **extra,
    }


def test_create_duplicate_and_unknown_app_id(keyless: Any) -> None:
    app = create_app(keyless)
    r = keyless.graph("POST", "/servicePrincipals", json={"appId": app["appId"]})
    assert r.status_code == 201, r.text
    sp = r.json()
    assert sp["@odata.context"].endswith("$metadata#servicePrincipals/$entity")
    assert (sp["appId"], sp["displayName"], sp["servicePrincipalType"]) == (
        app["appId"],
        app["displayName"],
        "Application",
    )
    assert sp["servicePrincipalNames"] == [app["appId"]]

    again = keyless.graph("POST", "/servicePrincipals", json={"appId": app["appId"]})
    assert_graph_error(again, 409, "Request_MultipleObjectsWithSameKeyValue")
    missing = keyless.graph("POST", "/servicePrincipals", json={"appId": str(uuid.uuid4())})
    assert_graph_error(missing, 400, "Request_BadRequest")


def test_get_list_filter_patch_delete(keyless: Any) -> None:
    name = unique("svc")
    app = create_app(keyless, displayName=name)
    sp = create_sp(keyless, app["appId"])
    assert keyless.graph("GET", f"/servicePrincipals/{sp['id']}").json()["id"] == sp["id"]
    assert keyless.graph("GET", f"/servicePrincipals(appId='{app['appId']}')").json()["id"] == sp["id"]

    def ids(flt: str) -> list[str]:
        r = keyless.graph("GET", "/servicePrincipals", params={"$filter": flt})
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()["value"]]

    assert ids(f"appId eq '{app['appId']}'") == [sp["id"]]
    assert ids(f"AppId eq '{app['appId'].upper()}'") == [sp["id"]]
    selected = keyless.graph("GET", f"/servicePrincipals/{sp['id']}?$select=AppId,displayname").json()
    assert {k: v for k, v in selected.items() if not k.startswith("@")} == {"appId": app["appId"], "displayName": name}
    assert selected["@odata.context"].endswith("$metadata#servicePrincipals(appId,displayName)/$entity")
    assert ids(f"displayName eq '{name.upper()}'") == [sp["id"]]
    assert ids(f"startswith(displayName,'{name[:8]}')") == [sp["id"]]
    assert ids(f"servicePrincipalType eq 'Application' and appId eq '{app['appId']}'") == [sp["id"]]
    assert ids(f"servicePrincipalType eq 'ManagedIdentity' and appId eq '{app['appId']}'") == []
    graph = keyless.graph("GET", "/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'").json()
    assert graph["value"][0]["displayName"] == "Microsoft Graph"

    patch = {
        "appRoleAssignmentRequired": True,
        "accountEnabled": False,
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
    }
    assert keyless.graph("PATCH", f"/servicePrincipals/{sp['id']}", json=patch).status_code == 204
    got = keyless.graph("GET", f"/servicePrincipals/{sp['id']}").json()
    assert {k: got[k] for k in patch} == patch
    refused = keyless.graph("PATCH", f"/servicePrincipals/{sp['id']}", json={"appRoles": [_role("X")]})
    assert_graph_error(refused, 400, "Request_BadRequest")
    assert keyless.graph("GET", f"/servicePrincipals/{sp['id']}").json()["appRoles"] == []

    assert keyless.graph("DELETE", f"/servicePrincipals/{sp['id']}").status_code == 204
    assert_graph_error(keyless.graph("GET", f"/servicePrincipals/{sp['id']}"), 404, "Request_ResourceNotFound")
    assert keyless.graph("GET", f"/applications/{app['id']}").status_code == 200


def _resource_and_client(keyless: Any, **role_extra: Any) -> tuple[dict[str, Any], dict[str, Any], str]:
    role = _role("Orders.Read", **role_extra)
    api = create_app(keyless, appRoles=[role])
    resource = create_sp(keyless, api["appId"])
    client = create_sp(keyless, create_app(keyless)["appId"])
    return resource, client, role["id"]


def test_app_role_assigned_to(keyless: Any) -> None:
    resource, client, role_id = _resource_and_client(keyless)
    assert resource["appRoles"][0]["origin"] == "Application"
    body = {
        "@odata.type": "#microsoft.graph.appRoleAssignment",
        "principalId": client["id"],
        "resourceId": resource["id"],
        "appRoleId": role_id,
    }
    r = keyless.graph("POST", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", json=body)
    assert r.status_code == 201, r.text
    assignment = r.json()
    assert assignment["@odata.context"].endswith(
        f"$metadata#servicePrincipals('{resource['id']}')/appRoleAssignedTo/$entity"
    )
    assert (assignment["principalId"], assignment["resourceId"], assignment["appRoleId"]) == (
        client["id"],
        resource["id"],
        role_id,
    )
    assert assignment["principalType"] == "ServicePrincipal"
    assert assignment["resourceDisplayName"] == resource["displayName"]

    listed = keyless.graph("GET", f"/servicePrincipals(appId='{resource['appId']}')/appRoleAssignedTo").json()
    assert listed["@odata.context"].endswith(f"$metadata#servicePrincipals('{resource['id']}')/appRoleAssignedTo")
    assert [a["id"] for a in listed["value"]] == [assignment["id"]]
    granted = keyless.graph("GET", f"/servicePrincipals/{client['id']}/appRoleAssignments").json()["value"]
    assert [a["id"] for a in granted] == [assignment["id"]]

    dup = keyless.graph("POST", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", json=body)
    assert_graph_error(dup, 400, "Request_BadRequest", "Permission being assigned already exists on the object")

    # Deleting the client's service principal takes its assignments with it.
    scratch = create_sp(keyless, create_app(keyless)["appId"])
    scratch_body = {**body, "principalId": scratch["id"]}
    assert (
        keyless.graph("POST", f"/servicePrincipals/{scratch['id']}/appRoleAssignments", json=scratch_body).status_code
        == 201
    )
    assert keyless.graph("DELETE", f"/servicePrincipals/{scratch['id']}").status_code == 204
    remaining = keyless.graph("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo").json()["value"]
    assert [a["principalId"] for a in remaining] == [client["id"]]

    path = f"/servicePrincipals/{resource['id']}/appRoleAssignedTo/{assignment['id']}"
    assert keyless.graph("DELETE", path).status_code == 204
    assert keyless.graph("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo").json()["value"] == []
    assert_graph_error(keyless.graph("DELETE", path), 404, "Request_ResourceNotFound")


def test_app_role_assignments_on_either_end(keyless: Any) -> None:
    resource, client, role_id = _resource_and_client(keyless)
    body = {"principalId": client["id"], "resourceId": resource["id"], "appRoleId": role_id}
    r = keyless.graph("POST", f"/servicePrincipals/{client['id']}/appRoleAssignments", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["@odata.context"].endswith(
        f"$metadata#servicePrincipals('{client['id']}')/appRoleAssignments/$entity"
    )
    path = f"/servicePrincipals/{client['id']}/appRoleAssignments/{r.json()['id']}"
    assert keyless.graph("GET", path).json()["appRoleId"] == role_id
    assert keyless.graph("DELETE", path).status_code == 204

    # Microsoft's PowerShell recipe posts to the resource's own appRoleAssignments.
    r = keyless.graph("POST", f"/servicePrincipals/{resource['id']}/appRoleAssignments", json=body)
    assert r.status_code == 201, r.text

    stranger = create_sp(keyless, create_app(keyless)["appId"])
    r = keyless.graph("POST", f"/servicePrincipals/{stranger['id']}/appRoleAssignedTo", json=body)
    assert_graph_error(r, 400, "Request_BadRequest")
    missing_role = {**body, "appRoleId": str(uuid.uuid4())}
    r = keyless.graph("POST", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", json=missing_role)
    assert_graph_error(r, 400, "Request_BadRequest", "Permission being assigned was not found on application")
    r = keyless.graph(
        "POST",
        f"/servicePrincipals/{resource['id']}/appRoleAssignedTo",
        json={**body, "principalId": str(uuid.uuid4())},
    )
    assert_graph_error(r, 404, "Request_ResourceNotFound")
    r = keyless.graph(
        "POST", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", json={"principalId": client["id"]}
    )
    assert_graph_error(r, 400, "Request_BadRequest")
    assert len(keyless.graph("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo").json()["value"]) == 1


def test_disabled_or_user_only_roles_cannot_be_assigned(keyless: Any) -> None:
    for extra in ({"isEnabled": False}, {"allowedMemberTypes": ["User"]}):
        resource, client, role_id = _resource_and_client(keyless, **extra)
        body = {"principalId": client["id"], "resourceId": resource["id"], "appRoleId": role_id}
        r = keyless.graph("POST", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", json=body)
        assert_graph_error(r, 400, "Request_BadRequest")
        assert keyless.graph("GET", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo").json()["value"] == []
