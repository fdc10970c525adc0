"""End to end: register an API and a client through Graph, assign a role, and read it back in real tokens."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import requests

from tests.identity.graph_helpers import client_with_secret, create_app, create_sp, token, unique


def _claims(access_token: str) -> dict[str, Any]:
    return dict(jwt.decode(access_token, options={"verify_signature": False}))


def _verified(keyless: Any, access_token: str, audience: str) -> dict[str, Any]:
    jwks = jwt.PyJWKClient(f"{keyless.e['login']}/{keyless.tenant}/discovery/v2.0/keys")
    jwks.fetch_data = lambda: requests.get(jwks.uri, verify=keyless.ca, timeout=10).json()  # type: ignore[method-assign]
    key = jwks.get_signing_key_from_jwt(access_token)
    return dict(jwt.decode(access_token, key.key, algorithms=["RS256"], audience=audience))


def test_role_reaches_v1_then_v2_tokens(keyless: Any) -> None:
    uri = f"api://{unique('orders')}"
    role = {
        "id": str(uuid.uuid4()),
        "allowedMemberTypes": ["Application"],
        "displayName": "Invoke",
        "description": "Call the API",
        "value": "Api.Invoke",
        "isEnabled": True,
    }
    api = create_app(keyless, identifierUris=[uri], appRoles=[role])
    resource = create_sp(keyless, api["appId"])
    client_app, client_sp, secret = client_with_secret(keyless)

    before = token(keyless, client_app["appId"], secret, f"{uri}/.default")
    assert before.status_code == 200, before.text
    assert "roles" not in _claims(before.json()["access_token"])

    body = {"principalId": client_sp["id"], "resourceId": resource["id"], "appRoleId": role["id"]}
    assert keyless.graph("POST", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", json=body).status_code == 201

    r = token(keyless, client_app["appId"], secret, f"{uri}/.default")
    assert r.status_code == 200, r.text
    v1 = _verified(keyless, r.json()["access_token"], uri)
    assert v1["roles"] == ["Api.Invoke"]
    assert v1["aud"] == uri and v1["ver"] == "1.0"
    assert v1["iss"] == f"https://sts.windows.net/{keyless.tenant}/"
    assert v1["appid"] == client_app["appId"] and v1["oid"] == client_sp["id"]

    patch = {"api": {"requestedAccessTokenVersion": 2}}
    assert keyless.graph("PATCH", f"/applications/{api['id']}", json=patch).status_code == 204
    r = token(keyless, client_app["appId"], secret, f"{uri}/.default")
    v2 = _verified(keyless, r.json()["access_token"], api["appId"])
    assert v2["aud"] == api["appId"] and v2["ver"] == "2.0"
    assert v2["iss"] == f"https://login.microsoftonline.com/{keyless.tenant}/v2.0"
    assert v2["azp"] == client_app["appId"] and "appid" not in v2
    assert v2["roles"] == ["Api.Invoke"]


def test_assignment_required_without_assignment(keyless: Any) -> None:
    uri = f"api://{unique('locked')}"
    api = create_app(keyless, identifierUris=[uri])
    resource = create_sp(keyless, api["appId"], appRoleAssignmentRequired=True)
    assert resource["appRoleAssignmentRequired"] is True
    client_app, client_sp, secret = client_with_secret(keyless)

    r = token(keyless, client_app["appId"], secret, f"{uri}/.default")
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_grant" and r.json()["error_codes"] == [501051]
    assert r.json()["error_description"].startswith("AADSTS501051:")

    # The default access role (all zeros) is how Graph grants an app without roles.
    body = {
        "principalId": client_sp["id"],
        "resourceId": resource["id"],
        "appRoleId": "00000000-0000-0000-0000-000000000000",
    }
    assert keyless.graph("POST", f"/servicePrincipals/{resource['id']}/appRoleAssignedTo", json=body).status_code == 201
    r = token(keyless, client_app["appId"], secret, f"{uri}/.default")
    assert r.status_code == 200, r.text
    assert "roles" not in _claims(r.json()["access_token"])
