"""authentication-managed-identity end to end: an APIM service's own identity, made through ARM, gets its token
from keyless's identity service, and the backend receives it (checked against the published JWKS)."""

from __future__ import annotations

import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import requests

from tests.conftest import Keyless

API = "2022-08-01"
RESOURCE = "https://management.azure.com/"


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # the request carries a token: never print it
        return


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def service_with_api(keyless: Keyless, backend: str, identity: dict[str, Any], policy: str) -> tuple[dict, str]:
    svc = f"{keyless.rg_path}/providers/Microsoft.ApiManagement/service/mi{uuid.uuid4().hex[:8]}"
    created = keyless.arm(
        "PUT",
        svc,
        API,
        json={
            "location": keyless.e["location"],
            "sku": {"name": "Developer", "capacity": 1},
            "identity": identity,
            "properties": {"publisherEmail": "mi@example.com", "publisherName": "mi"},
        },
    )
    assert created.status_code in (200, 201), created.text
    r = keyless.arm(
        "PUT",
        f"{svc}/apis/echo",
        API,
        json={
            "properties": {
                "displayName": "echo",
                "path": "echo",
                "protocols": ["https"],
                "serviceUrl": backend,
                "subscriptionRequired": False,
            }
        },
    )
    assert r.status_code in (200, 201), r.text
    r = keyless.arm(
        "PUT",
        f"{svc}/apis/echo/operations/get",
        API,
        json={"properties": {"displayName": "get", "method": "GET", "urlTemplate": "/headers"}},
    )
    assert r.status_code in (200, 201), r.text
    document = (
        f"<policies><inbound><base />{policy}</inbound><backend><base /></backend>"
        "<outbound><base /></outbound><on-error><base /></on-error></policies>"
    )
    r = keyless.arm(
        "PUT", f"{svc}/apis/echo/policies/policy", API, json={"properties": {"format": "rawxml", "value": document}}
    )
    assert r.status_code in (200, 201), r.text
    return created.json(), created.json()["properties"]["gatewayUrl"]


def backend_token(keyless: Keyless, gateway: str) -> dict[str, Any]:
    r = requests.get(f"{gateway}/echo/headers", timeout=30)
    assert r.status_code == 200, r.text
    scheme, _, token = r.json()["authorization"].partition(" ")
    assert scheme == "Bearer"
    jwks = jwt.PyJWKClient(
        f"{keyless.e['login']}/{keyless.tenant}/discovery/keys",
        ssl_context=ssl.create_default_context(cafile=keyless.ca),
    )
    key = jwks.get_signing_key_from_jwt(token).key
    return jwt.decode(
        token, key, algorithms=["RS256"], audience=RESOURCE, issuer=f"https://sts.windows.net/{keyless.tenant}/"
    )


def test_the_services_system_assigned_identity(keyless: Keyless, backend: str) -> None:
    service, gateway = service_with_api(
        keyless, backend, {"type": "SystemAssigned"}, f'<authentication-managed-identity resource="{RESOURCE}" />'
    )
    claims = backend_token(keyless, gateway)
    assert claims["oid"] == service["identity"]["principalId"]
    assert claims["xms_mirid"].lower() == service["id"].lower()


def test_a_user_assigned_identity_chosen_by_client_id(keyless: Keyless, backend: str) -> None:
    uami_id = (
        f"{keyless.rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/apim-{uuid.uuid4().hex[:6]}"
    )
    uami = keyless.arm("PUT", uami_id, "2023-01-31", json={"location": keyless.e["location"]}).json()
    client_id = uami["properties"]["clientId"]
    policy = f'<authentication-managed-identity resource="{RESOURCE}" client-id="{client_id}" />'
    identity = {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uami["id"]: {}}}
    service, gateway = service_with_api(keyless, backend, identity, policy)
    claims = backend_token(keyless, gateway)
    assert claims["oid"] == uami["properties"]["principalId"] != service["identity"]["principalId"]
    assert claims["appid"] == client_id


def test_an_identity_the_service_does_not_have_is_refused_at_request_time(keyless: Keyless, backend: str) -> None:
    policy = f'<authentication-managed-identity resource="{RESOURCE}" client-id="{uuid.uuid4()}" />'
    _, gateway = service_with_api(keyless, backend, {"type": "SystemAssigned"}, policy)
    r = requests.get(f"{gateway}/echo/headers", timeout=30)
    assert r.status_code == 500
    assert r.json()["statusCode"] == 500 and "activityId" in r.json()
