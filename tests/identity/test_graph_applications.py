"""Graph `/v1.0/applications` against a running keyless: CRUD, OData queries, passwords, certificates, appRoles."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization

from tests.identity.graph_helpers import (
    assert_graph_error,
    call_graph,
    certificate,
    create_app,
    create_sp,
    token,
    unique,
)


def _role(value: str, enabled: bool = True, role_id: str | None = None) -> dict[str, Any]:
    return {
        "id": role_id or str(uuid.uuid4()),
        "allowedMemberTypes": ["Application"],
        "displayName": value,
        "description": value,
        "value": value,
        "isEnabled": enabled,
    }


def test_create_get_and_key_lookup(keyless: Any) -> None:
    r = keyless.graph("POST", "/applications", json={"displayName": "orders api"}, headers={"client-request-id": "c-1"})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["@odata.context"].endswith("/v1.0/$metadata#applications/$entity")
    assert app["displayName"] == "orders api"
    assert uuid.UUID(app["id"]) and uuid.UUID(app["appId"]) and app["id"] != app["appId"]
    assert app["signInAudience"] == "AzureADMyOrg"
    assert app["api"]["requestedAccessTokenVersion"] is None
    assert uuid.UUID(r.headers["request-id"]) and r.headers["client-request-id"] == "c-1"

    by_id = keyless.graph("GET", f"/applications/{app['id']}").json()
    by_app_id = keyless.graph("GET", f"/applications(appId='{app['appId']}')").json()
    assert by_id["appId"] == by_app_id["appId"] == app["appId"]
    assert by_id["@odata.context"].endswith("$metadata#applications/$entity")


def test_list_filter_select_and_paging(keyless: Any) -> None:
    tag = unique("tag")
    apps = [create_app(keyless, tags=[tag], identifierUris=[f"api://{unique('u')}"]) for _ in range(3)]

    r = keyless.graph("GET", "/applications", params={"$filter": f"appId eq '{apps[1]['appId']}'"})
    body = r.json()
    assert body["@odata.context"].endswith("$metadata#applications")
    assert [a["id"] for a in body["value"]] == [apps[1]["id"]]

    pair = f"appId in ('{apps[0]['appId']}', '{apps[2]['appId']}')"
    got = keyless.graph("GET", "/applications", params={"$filter": pair}).json()
    assert [a["id"] for a in got["value"]] == [apps[0]["id"], apps[2]["id"]]

    name = apps[2]["displayName"]
    assert [
        a["id"] for a in keyless.graph("GET", f"/applications?$filter=displayName eq '{name}'").json()["value"]
    ] == [apps[2]["id"]]
    uri = apps[0]["identifierUris"][0]
    got = keyless.graph("GET", "/applications", params={"$filter": f"identifierUris/any(x:x eq '{uri}')"}).json()
    assert [a["id"] for a in got["value"]] == [apps[0]["id"]]
    got = keyless.graph("GET", "/applications", params={"$filter": f"startswith(displayName,'{name[:9]}')"}).json()
    assert apps[2]["id"] in [a["id"] for a in got["value"]]

    query = {"$filter": f"tags/any(t:t eq '{tag}')", "$select": "id,displayName", "$top": "2"}
    first = keyless.graph("GET", "/applications", params=query).json()
    assert first["@odata.context"].endswith("$metadata#applications(id,displayName)")
    assert [set(a) for a in first["value"]] == [{"id", "displayName"}] * 2
    token_ = keyless.admin_token("https://graph.microsoft.com")
    import requests

    second = requests.get(
        first["@odata.nextLink"], headers={"Authorization": f"Bearer {token_}"}, verify=keyless.ca, timeout=10
    ).json()
    assert "@odata.nextLink" not in second
    assert [a["id"] for a in first["value"] + second["value"]] == [a["id"] for a in apps]


def test_patch_and_delete_with_its_service_principal(keyless: Any) -> None:
    app = create_app(keyless)
    sp = create_sp(keyless, app["appId"])
    r = keyless.graph("PATCH", f"/applications/{app['id']}", json={"displayName": "renamed", "notes": "n"})
    assert r.status_code == 204 and r.content == b""
    got = keyless.graph("GET", f"/applications/{app['id']}").json()
    assert (got["displayName"], got["notes"]) == ("renamed", "n")
    assert keyless.graph("GET", f"/servicePrincipals/{sp['id']}").json()["appDisplayName"] == "renamed"

    assert keyless.graph("DELETE", f"/applications/{app['id']}").status_code == 204
    assert_graph_error(keyless.graph("GET", f"/applications/{app['id']}"), 404, "Request_ResourceNotFound")
    assert_graph_error(keyless.graph("GET", f"/servicePrincipals/{sp['id']}"), 404, "Request_ResourceNotFound")


def test_add_and_remove_password(keyless: Any) -> None:
    app = create_app(keyless)
    create_sp(keyless, app["appId"])
    r = keyless.graph(
        "POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"displayName": "ci"}}
    )
    assert r.status_code == 200, r.text
    cred = r.json()
    assert cred["@odata.context"].endswith("$metadata#microsoft.graph.passwordCredential")
    secret = cred["secretText"]
    assert len(secret) >= 32 and cred["hint"] == secret[:3] and cred["displayName"] == "ci"

    backwards = {"startDateTime": "2030-01-01T00:00:00Z", "endDateTime": "2029-01-01T00:00:00Z"}
    r = keyless.graph("POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": backwards})
    assert_graph_error(r, 400, "Request_BadRequest")
    r = keyless.graph(
        "POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"secretText": "mine"}}
    )
    assert_graph_error(r, 400, "Request_BadRequest")
    stored = keyless.graph("GET", f"/applications/{app['id']}").json()["passwordCredentials"]
    assert [(c["keyId"], c["secretText"], c["hint"]) for c in stored] == [(cred["keyId"], None, secret[:3])]
    assert token(keyless, app["appId"], secret, "https://graph.microsoft.com/.default").status_code == 200

    r = keyless.graph("POST", f"/applications/{app['id']}/removePassword", json={"keyId": cred["keyId"]})
    assert r.status_code == 204
    assert keyless.graph("GET", f"/applications/{app['id']}").json()["passwordCredentials"] == []
    assert token(keyless, app["appId"], secret, "https://graph.microsoft.com/.default").status_code == 401


def _assertion(keyless: Any, app_id: str, key: Any, cert: Any) -> str:
    thumb = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).decode().rstrip("=")
    now = int(time.time())
    claims = {
        "aud": f"{keyless.e['login']}/{keyless.tenant}/oauth2/v2.0/token",
        "iss": app_id,
        "sub": app_id,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "exp": now + 300,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": thumb})


def _cert_login(keyless: Any, app_id: str, key: Any, cert: Any) -> int:
    return int(_cert_token(keyless, app_id, key, cert).status_code)


def _cert_token(keyless: Any, app_id: str, key: Any, cert: Any) -> Any:
    import requests

    return requests.post(
        f"{keyless.e['login']}/{keyless.tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": _assertion(keyless, app_id, key, cert),
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=keyless.ca,
        timeout=10,
    )


def test_key_credentials_by_patch_and_add_key(keyless: Any) -> None:
    app = create_app(keyless)
    create_sp(keyless, app["appId"])
    key1, cert1 = certificate("first")
    der = base64.b64encode(cert1.public_bytes(serialization.Encoding.DER)).decode()
    r = keyless.graph(
        "PATCH",
        f"/applications/{app['id']}",
        json={"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": der}]},
    )
    assert r.status_code == 204, r.text
    creds = keyless.graph("GET", f"/applications/{app['id']}").json()["keyCredentials"]
    assert len(creds) == 1 and creds[0]["key"] is None and creds[0]["displayName"] == "CN=first"
    assert creds[0]["type"] == "AsymmetricX509Cert" and creds[0]["usage"] == "Verify"
    selected = keyless.graph("GET", f"/applications/{app['id']}?$select=keyCredentials").json()
    assert selected["keyCredentials"][0]["key"] == der
    assert _cert_login(keyless, app["appId"], key1, cert1) == 200

    key2, cert2 = certificate("second")
    der2 = base64.b64encode(cert2.public_bytes(serialization.Encoding.DER)).decode()
    now = int(time.time())
    proof_claims = {"aud": "00000002-0000-0000-c000-000000000000", "iss": app["id"], "nbf": now, "exp": now + 600}
    body = {"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": der2}, "passwordCredential": None}

    # A proof signed by a key the application does not hold is refused and adds nothing.
    bad = keyless.graph(
        "POST", f"/applications/{app['id']}/addKey", json={**body, "proof": jwt.encode(proof_claims, key2, "RS256")}
    )
    assert_graph_error(bad, 400, "Authentication_MissingOrMalformed")
    assert len(keyless.graph("GET", f"/applications/{app['id']}").json()["keyCredentials"]) == 1

    good = keyless.graph(
        "POST", f"/applications/{app['id']}/addKey", json={**body, "proof": jwt.encode(proof_claims, key1, "RS256")}
    )
    assert good.status_code == 200, good.text
    added = good.json()
    assert added["@odata.context"].endswith("$metadata#microsoft.graph.keyCredential")
    assert added["key"] is None and added["displayName"] == "CN=second"
    assert _cert_login(keyless, app["appId"], key2, cert2) == 200

    # "An application does not need any specific permission to roll its own keys": its own token, no Graph roles.
    own = _cert_token(keyless, app["appId"], key2, cert2).json()["access_token"]
    assert call_graph(keyless, "GET", f"/applications/{app['id']}", own).status_code == 403
    _, cert3 = certificate("third")
    der3 = base64.b64encode(cert3.public_bytes(serialization.Encoding.DER)).decode()
    body3 = {**body, "keyCredential": {**body["keyCredential"], "key": der3}}
    rolled = call_graph(
        keyless,
        "POST",
        f"/applications/{app['id']}/addKey",
        own,
        json={**body3, "proof": jwt.encode(proof_claims, key2, "RS256")},
    )
    assert rolled.status_code == 200, rolled.text
    other = create_app(keyless)
    foreign = call_graph(keyless, "POST", f"/applications/{other['id']}/addKey", own, json={**body3, "proof": "x"})
    assert_graph_error(foreign, 403, "Authorization_RequestDenied")
    assert len(keyless.graph("GET", f"/applications/{app['id']}").json()["keyCredentials"]) == 3


def test_app_roles_validation_and_disable_before_remove(keyless: Any) -> None:
    role = _role("Orders.Read")
    app = create_app(keyless, appRoles=[role])
    assert app["appRoles"][0]["isEnabled"] is True and app["appRoles"][0]["id"] == role["id"]
    path = f"/applications/{app['id']}"

    cases = [
        ([{**role, "id": "not-a-guid"}], "Request_BadRequest"),
        ([role, _role("Orders.Read")], "Request_BadRequest"),
        ([role, {**_role("X"), "allowedMemberTypes": ["Robot"]}], "Request_BadRequest"),
        ([role, {**_role("Y"), "allowedMemberTypes": []}], "Request_BadRequest"),
        ([role, _role("has space")], "Request_BadRequest"),
        ([role, {**_role("Z"), "id": role["id"]}], "Request_BadRequest"),
    ]
    for roles, code in cases:
        assert_graph_error(keyless.graph("PATCH", path, json={"appRoles": roles}), 400, code)

    removed = keyless.graph("PATCH", path, json={"appRoles": []})
    assert_graph_error(removed, 400, "CannotDeleteOrUpdateEnabledEntitlement")
    assert removed.json()["error"]["message"].startswith(
        "Permission (scope or role) cannot be deleted or updated unless disabled first."
    )
    renamed = keyless.graph("PATCH", path, json={"appRoles": [{**role, "value": "Orders.Write"}]})
    assert_graph_error(renamed, 400, "CannotDeleteOrUpdateEnabledEntitlement")
    assert keyless.graph("GET", path).json()["appRoles"][0]["value"] == "Orders.Read"

    assert keyless.graph("PATCH", path, json={"appRoles": [{**role, "isEnabled": False}]}).status_code == 204
    assert keyless.graph("PATCH", path, json={"appRoles": []}).status_code == 204
    assert keyless.graph("GET", path).json()["appRoles"] == []


def test_identifier_uris_and_token_version_rules(keyless: Any) -> None:
    uri = f"api://{unique('orders')}"
    app = create_app(keyless, identifierUris=[uri])
    other = create_app(keyless)
    path = f"/applications/{other['id']}"
    assert_graph_error(keyless.graph("PATCH", path, json={"identifierUris": [uri]}), 400, "Request_BadRequest")
    assert_graph_error(
        keyless.graph("PATCH", path, json={"identifierUris": ["https://graph.microsoft.com"]}),
        400,
        "Request_BadRequest",
    )
    assert_graph_error(keyless.graph("PATCH", path, json={"identifierUris": ["not a uri"]}), 400, "Request_BadRequest")
    for version in (3, 0):
        r = keyless.graph("PATCH", path, json={"api": {"requestedAccessTokenVersion": version}})
        assert_graph_error(r, 400, "Request_BadRequest")
    r = keyless.graph("PATCH", path, json={"api": {"requestedAccessTokenVersion": "2"}})
    assert_graph_error(r, 400, "Request_BadRequest", None)
    assert "Edm.Int32" in r.json()["error"]["message"]
    got = keyless.graph("GET", path).json()
    assert got["identifierUris"] == [] and got["api"]["requestedAccessTokenVersion"] is None

    assert keyless.graph("PATCH", path, json={"api": {"requestedAccessTokenVersion": 2}}).status_code == 204
    api = keyless.graph("GET", path).json()["api"]
    assert api["requestedAccessTokenVersion"] == 2 and api["oauth2PermissionScopes"] == []
    assert keyless.graph("GET", f"/applications/{app['id']}").json()["identifierUris"] == [uri]


def test_enabled_permission_scope_must_be_disabled_before_removal(keyless: Any) -> None:
    scope = {
        "id": str(uuid.uuid4()),
        "value": "Orders.ReadAll",
        "type": "Admin",
        "adminConsentDisplayName": "Read orders",
        "adminConsentDescription": "Read orders",
        "isEnabled": True,
    }
    app = create_app(keyless, api={"oauth2PermissionScopes": [scope]})
    path = f"/applications/{app['id']}"
    r = keyless.graph("PATCH", path, json={"api": {"oauth2PermissionScopes": []}})
    assert_graph_error(r, 400, "CannotDeleteOrUpdateEnabledEntitlement")
    dup = keyless.graph("PATCH", path, json={"appRoles": [_role("Orders.ReadAll")]})
    assert_graph_error(dup, 400, "Request_BadRequest")
    disabled = {"api": {"oauth2PermissionScopes": [{**scope, "isEnabled": False}]}}
    assert keyless.graph("PATCH", path, json=disabled).status_code == 204
    assert keyless.graph("PATCH", path, json={"api": {"oauth2PermissionScopes": []}}).status_code == 204
    assert keyless.graph("GET", path).json()["api"]["oauth2PermissionScopes"] == []
