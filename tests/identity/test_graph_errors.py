"""Graph's failure paths: OData error bodies, bad bodies and queries, authentication and app-role authorization."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.identity.graph_helpers import (
    assert_graph_error,
    call_graph,
    client_with_secret,
    create_app,
    create_sp,
    token,
)

APPLICATION_READ_ALL = "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"


def test_malformed_and_empty_bodies(keyless: Any) -> None:
    headers = {"Content-Type": "application/json"}
    r = keyless.graph("POST", "/applications", data=b'{"displayName": ', headers=headers)
    assert_graph_error(
        r,
        400,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON "
        "format.",
    )
    r = keyless.graph("POST", "/applications", data=b'{"displayName": "x"}', headers={"Content-Type": "text/plain"})
    assert_graph_error(r, 400, "BadRequest")
    r = keyless.graph("POST", "/applications", data=b"", headers=headers)
    assert_graph_error(r, 400, "BadRequest", "Empty Payload. JSON content expected.")
    r = keyless.graph("POST", "/applications", json=["not", "an", "object"])
    assert_graph_error(r, 400, "Request_BadRequest")
    app = create_app(keyless)
    for raw in (b"null", b"5", b'"text"', b"[]"):
        for method, path in (
            ("POST", "/applications"),
            ("PATCH", f"/applications/{app['id']}"),
            ("POST", f"/applications/{app['id']}/addPassword"),
            ("POST", f"/applications/{app['id']}/removePassword"),
            ("POST", f"/applications/{app['id']}/addKey"),
            ("POST", "/servicePrincipals"),
            ("POST", f"/servicePrincipals/{uuid.uuid4()}/appRoleAssignedTo"),
        ):
            r = keyless.graph(method, path, data=raw, headers=headers)
            assert r.status_code in (400, 404), (method, path, raw, r.text)
            assert r.json()["error"]["code"] in ("Request_BadRequest", "Request_ResourceNotFound")
    assert keyless.graph("GET", f"/applications/{app['id']}").json()["passwordCredentials"] == []


def test_wrong_types_are_refused_and_change_nothing(keyless: Any) -> None:
    app = create_app(keyless, notes="before")
    path = f"/applications/{app['id']}"
    cases = [
        ({"displayName": 5}, "Cannot convert the literal '5' to the expected type 'Edm.String'."),
        ({"notes": "after", "tags": "single"}, "An unexpected 'PrimitiveValue' node was found"),
        ({"notes": "after", "isFallbackPublicClient": "yes"}, "to the expected type 'Edm.Boolean'"),
        ({"notes": "after", "api": []}, "An unexpected 'StartArray' node was found"),
        ({"notes": "after", "web": {"redirectUris": [1]}}, "'Edm.String'"),
        ({"notes": "after", "tags": None}, "does not allow null values"),
        ({"notes": "after", "appId": str(uuid.uuid4())}, "Property 'appId' is read-only and cannot be set."),
        ({"notes": "after", "passwordCredentials": [{"displayName": "x"}]}, "addPassword"),
        ({"notes": "after", "signInAudience": "Everyone"}, "Invalid value specified for property 'signInAudience'"),
    ]
    for body, fragment in cases:
        error = assert_graph_error(keyless.graph("PATCH", path, json=body), 400, "Request_BadRequest")
        assert fragment in error["message"], (body, error["message"])
    assert keyless.graph("GET", path).json()["notes"] == "before"
    r = keyless.graph("POST", "/servicePrincipals", json={"appId": app["appId"], "appRoleAssignmentRequired": "maybe"})
    assert_graph_error(r, 400, "Request_BadRequest")
    assert keyless.graph("GET", f"/servicePrincipals(appId='{app['appId']}')").status_code == 404


def test_odata_type_and_unknown_properties_are_ignored(keyless: Any) -> None:
    app = create_app(
        keyless, **{"@odata.type": "#microsoft.graph.application", "madeUpProperty": 1, "api": {"madeUp": True}}
    )
    got = keyless.graph("GET", f"/applications/{app['id']}").json()
    assert "madeUpProperty" not in got and "madeUp" not in got["api"] and "@odata.type" not in got


def test_unknown_ids_segments_methods_and_versions(keyless: Any) -> None:
    missing = str(uuid.uuid4())
    for path in (f"/applications/{missing}", f"/servicePrincipals/{missing}", f"/applications(appId='{missing}')"):
        r = keyless.graph("GET", path)
        assert_graph_error(r, 404, "Request_ResourceNotFound")
        assert missing in r.json()["error"]["message"]
    assert_graph_error(
        keyless.graph("GET", "/applications/not-a-guid"),
        400,
        "Request_BadRequest",
        "Invalid object identifier 'not-a-guid'.",
    )
    assert_graph_error(
        keyless.graph("GET", "/widgets"), 400, "BadRequest", "Resource not found for the segment 'widgets'."
    )
    app = create_app(keyless)
    r = keyless.graph("POST", f"/applications/{app['id']}/rotateEverything", json={})
    assert_graph_error(r, 400, "BadRequest", "Resource not found for the segment 'rotateEverything'.")
    for method in ("PUT", "OPTIONS"):
        assert_graph_error(keyless.graph(method, f"/applications/{app['id']}", json={}), 405, "Request_BadRequest")
    assert_graph_error(keyless.graph("POST", "/v1.0", json={}), 400, "BadRequest")
    r = keyless.graph("DELETE", f"/servicePrincipals/{missing}/appRoleAssignedTo/abc")
    assert_graph_error(r, 404, "Request_ResourceNotFound")
    bearer = keyless.admin_token("https://graph.microsoft.com")
    beta = requests.get(
        f"{keyless.e['graph']}/beta/applications", headers={"Authorization": f"Bearer {bearer}"}, timeout=10
    )
    assert_graph_error(beta, 400, "BadRequest", "keyless serves Microsoft Graph v1.0 only; '/beta' is not served.")


def test_query_errors(keyless: Any) -> None:
    cases = [
        ({"$filter": "appId eq"}, 400, "BadRequest"),
        ({"$filter": "notes eq 'x'"}, 400, "Request_UnsupportedQuery"),
        ({"$filter": "displayName ne 'x'"}, 400, "Request_UnsupportedQuery"),
        ({"$top": "0"}, 400, "Request_BadRequest"),
        ({"$top": "1000"}, 400, "Request_BadRequest"),
        ({"$select": "id,nope"}, 400, "BadRequest"),
        ({"$orderby": "displayName"}, 400, "BadRequest"),
        ({"$skiptoken": "garbage"}, 400, "Request_BadRequest"),
    ]
    for params, status, code in cases:
        assert_graph_error(keyless.graph("GET", "/applications", params=params), status, code)


def test_authentication_failures(keyless: Any) -> None:
    r = call_graph(keyless, "GET", "/applications", None, headers={"client-request-id": "mine"})
    error = assert_graph_error(r, 401, "InvalidAuthenticationToken", "Access token is empty.")
    assert error["innerError"]["client-request-id"] == "mine"
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'client_id="00000003-0000-0000-c000-000000000000"' in r.headers["WWW-Authenticate"]

    arm = keyless.admin_token("https://management.azure.com/")
    r = call_graph(keyless, "GET", "/applications", arm)
    assert_graph_error(r, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
    r = call_graph(keyless, "GET", "/applications", "not.a.jwt")
    assert_graph_error(r, 401, "InvalidAuthenticationToken")
    r = call_graph(keyless, "GET", "/applications", None, headers={"Authorization": "Basic abc"})
    assert_graph_error(r, 401, "InvalidAuthenticationToken", "Access token is empty.")


def test_token_without_graph_roles_is_denied(keyless: Any) -> None:
    app, sp, secret = client_with_secret(keyless)
    r = token(keyless, app["appId"], secret, "https://graph.microsoft.com/.default")
    assert r.status_code == 200, r.text
    bearer = r.json()["access_token"]

    denied = call_graph(keyless, "GET", "/applications", bearer)
    error = assert_graph_error(denied, 403, "Authorization_RequestDenied")
    assert error["message"].startswith("Insufficient privileges to complete the operation.")
    assert "Application.Read.All" in error["message"] and "none" in error["message"]

    graph = keyless.graph("GET", "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')").json()
    body = {"principalId": sp["id"], "resourceId": graph["id"], "appRoleId": APPLICATION_READ_ALL}
    assert keyless.graph("POST", f"/servicePrincipals/{graph['id']}/appRoleAssignedTo", json=body).status_code == 201
    reader = token(keyless, app["appId"], secret, "https://graph.microsoft.com/.default").json()["access_token"]
    assert call_graph(keyless, "GET", f"/applications/{app['id']}", reader).status_code == 200
    write = call_graph(keyless, "PATCH", f"/applications/{app['id']}", reader, json={"notes": "x"})
    error = assert_graph_error(write, 403, "Authorization_RequestDenied")
    assert "Application.ReadWrite.All" in error["message"] and "Application.Read.All" in error["message"]
    assign = call_graph(keyless, "POST", f"/servicePrincipals/{graph['id']}/appRoleAssignedTo", reader, json=body)
    assert (
        "AppRoleAssignment.ReadWrite.All" in assert_graph_error(assign, 403, "Authorization_RequestDenied")["message"]
    )
    assert keyless.graph("GET", f"/applications/{app['id']}").json()["notes"] is None


def test_success_responses_carry_request_ids(keyless: Any) -> None:
    r = keyless.graph("GET", "/servicePrincipals?$top=1", headers={"client-request-id": "abc"})
    assert r.status_code == 200 and r.headers["client-request-id"] == "abc"
    assert uuid.UUID(r.headers["request-id"])
    assert r.headers["Content-Type"].startswith("application/json")
    sp = create_sp(keyless, create_app(keyless)["appId"])
    r = keyless.graph("DELETE", f"/servicePrincipals/{sp['id']}")
    assert r.status_code == 204 and uuid.UUID(r.headers["request-id"])


def test_parts_of_graph_keyless_does_not_serve_are_named(keyless: Any) -> None:
    app = create_app(keyless)
    for path in ("/users", f"/applications/{app['id']}/federatedIdentityCredentials", "/$batch"):
        error = assert_graph_error(keyless.graph("GET", path), 400, "BadRequest")
        assert "not served" in error["message"], error


def test_directory_objects_by_id(keyless: Any) -> None:
    app = create_app(keyless)
    sp = create_sp(keyless, app["appId"])
    got = keyless.graph("GET", f"/directoryObjects/{sp['id']}").json()
    assert got["@odata.type"] == "#microsoft.graph.servicePrincipal" and got["appId"] == app["appId"]
    got = keyless.graph("GET", f"/directoryObjects/{app['id']}").json()
    assert got["@odata.type"] == "#microsoft.graph.application" and got["id"] == app["id"]
    assert_graph_error(keyless.graph("GET", f"/directoryObjects/{uuid.uuid4()}"), 404, "Request_ResourceNotFound")
