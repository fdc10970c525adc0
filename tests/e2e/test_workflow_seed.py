"""The seed scenario end to end on a running `keyless up`, with the clients a user would use:

an app registration exposing an Application ID URI and an app role `AddRole` (Graph); a Logic App whose managed
identity holds that role (azure-mgmt-logic, Graph appRoleAssignments); an APIM API guarded by validate-jwt
(audience and role) and a subscription key (azure-mgmt-apimanagement) in front of a local backend. The
workflow, Request -> Http (ManagedServiceIdentity, `https://{service}.azure-api.net/...`) -> Response, is called
through the callback URL listCallbackUrl gives. Then the user-assigned variant, and an identity without the role.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiCreateOrUpdateParameter,
    ApiManagementServiceResource,
    ApiManagementServiceSkuProperties,
    OperationContract,
    PolicyContract,
    SubscriptionCreateParameters,
)
from azure.mgmt.logic import LogicManagementClient
from azure.mgmt.logic.models import ManagedServiceIdentity, UserAssignedIdentity, Workflow

from keyless.workflows.actions.registry import ACTION_TYPES
from tests.conftest import Keyless

pytestmark = pytest.mark.skipif("response" not in ACTION_TYPES, reason="the Response action is not registered")

DENIED = "Unauthorized. The caller does not hold AddRole."


class Orders:
    """The backend behind APIM: records each call (path, body, whether a bearer token arrived)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        orders = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                orders.calls.append(
                    {
                        "path": self.path,
                        "body": body,
                        "bearer": self.headers.get("Authorization", "").startswith("Bearer "),
                        "run": self.headers.get("x-ms-workflow-run-id"),
                    }
                )
                answer = json.dumps({"added": body, "id": len(orders.calls)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:  # requests carry tokens: never print them
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@dataclass
class Seed:
    keyless: Keyless
    orders: Orders
    app_id_uri: str
    role_id: str
    resource_sp: str  # the API's service principal object id
    service: str  # APIM service name
    key: str  # subscription key
    logic: LogicManagementClient


@pytest.fixture(scope="module")
def seed(keyless: Keyless) -> Iterator[Seed]:
    orders = Orders()
    tag = uuid.uuid4().hex[:8]
    app_id_uri = f"api://orders-{tag}"
    role_id = str(uuid.uuid4())
    role = {
        "id": role_id,
        "allowedMemberTypes": ["Application"],
        "displayName": "AddRole",
        "description": "Add orders",
        "value": "AddRole",
        "isEnabled": True,
    }
    app = keyless.graph(
        "POST",
        "/applications",
        json={"displayName": f"orders-{tag}", "identifierUris": [app_id_uri], "appRoles": [role]},
    )
    assert app.status_code == 201, app.text
    sp = keyless.graph("POST", "/servicePrincipals", json={"appId": app.json()["appId"]})
    assert sp.status_code == 201, sp.text

    rg = keyless.e["resource_group"]
    service = f"seed-{tag}"
    tenant = keyless.tenant
    policy = f"""<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" failed-validation-httpcode="401"
                  failed-validation-error-message="{DENIED}">
      <openid-config url="https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration" />
      <audiences><audience>{app_id_uri}</audience></audiences>
      <issuers><issuer>https://sts.windows.net/{tenant}/</issuer></issuers>
      <required-claims><claim name="roles" match="any"><value>AddRole</value></claim></required-claims>
    </validate-jwt>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>"""
    with keyless.mgmt_client(ApiManagementClient) as apim:
        apim.api_management_service.begin_create_or_update(
            rg,
            service,
            ApiManagementServiceResource(
                location=keyless.e["location"],
                sku=ApiManagementServiceSkuProperties(name="Developer", capacity=1),
                publisher_email="orders@contoso.com",
                publisher_name="Contoso",
            ),
        ).result()
        apim.api.begin_create_or_update(
            rg,
            service,
            "orders",
            ApiCreateOrUpdateParameter(
                display_name="Orders",
                path="orders",
                protocols=["https"],
                service_url=orders.url,
                subscription_required=True,
            ),
        ).result()
        apim.api_operation.create_or_update(
            rg, service, "orders", "add", OperationContract(display_name="Add", method="POST", url_template="/add")
        )
        apim.api_policy.create_or_update(rg, service, "orders", "policy", PolicyContract(value=policy, format="rawxml"))
        apim.subscription.create_or_update(
            rg, service, "seed", SubscriptionCreateParameters(display_name="seed", scope="/apis/orders", state="active")
        )
        key = apim.subscription.list_secrets(rg, service, "seed").primary_key
    with keyless.mgmt_client(LogicManagementClient) as logic:
        yield Seed(keyless, orders, app_id_uri, role_id, sp.json()["id"], service, key, logic)
    orders.server.shutdown()


def grant(seed: Seed, principal_id: str) -> None:
    r = seed.keyless.graph(
        "POST",
        f"/servicePrincipals/{principal_id}/appRoleAssignments",
        json={"principalId": principal_id, "resourceId": seed.resource_sp, "appRoleId": seed.role_id},
    )
    assert r.status_code == 201, r.text


def definition(seed: Seed, identity: str | None = None, authentication: dict[str, Any] | None = None) -> dict[str, Any]:
    if authentication is None:
        authentication = {"type": "ManagedServiceIdentity", "audience": seed.app_id_uri}
        if identity is not None:
            authentication["identity"] = identity
    return {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"method": "POST"}}},
        "actions": {
            "Add_order": {
                "type": "Http",
                "inputs": {
                    "method": "POST",
                    "uri": f"https://{seed.service}.azure-api.net/orders/add",
                    "headers": {"Ocp-Apim-Subscription-Key": seed.key, "Content-Type": "application/json"},
                    "body": "@triggerBody()",
                    "authentication": authentication,
                },
                "runAfter": {},
            },
            "Reply": {
                "type": "Response",
                "kind": "Http",
                "inputs": {"statusCode": 200, "body": {"order": "@body('Add_order')"}},
                "runAfter": {"Add_order": ["Succeeded"]},
            },
        },
    }


def deploy(seed: Seed, name: str, definition: dict[str, Any], identity: ManagedServiceIdentity) -> Workflow:
    rg = seed.keyless.e["resource_group"]
    workflow = Workflow(location=seed.keyless.e["location"], definition=definition, identity=identity)
    return seed.logic.workflows.create_or_update(rg, name, workflow)


def invoke(seed: Seed, name: str, body: Any) -> requests.Response:
    rg = seed.keyless.e["resource_group"]
    url = seed.logic.workflow_triggers.list_callback_url(rg, name, "manual").value
    assert url.startswith("https://")
    return requests.post(url, json=body, verify=seed.keyless.ca, timeout=60)


def finished_run(seed: Seed, name: str, run_name: str) -> Any:
    import time

    rg = seed.keyless.e["resource_group"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = seed.logic.workflow_runs.get(rg, name, run_name)
        if run.status not in ("Running", "Waiting"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_name} did not finish")


def action(seed: Seed, name: str, run_name: str, action_name: str) -> Any:
    return seed.logic.workflow_run_actions.get(seed.keyless.e["resource_group"], name, run_name, action_name)


def link(seed: Seed, content_link: Any) -> Any:
    r = requests.get(content_link.uri, verify=seed.keyless.ca, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_system_assigned_identity_calls_the_api_through_the_gateway(seed: Seed) -> None:
    name = f"seed-system-{uuid.uuid4().hex[:6]}"
    created = deploy(seed, name, definition(seed), ManagedServiceIdentity(type="SystemAssigned"))
    grant(seed, created.identity.principal_id)

    r = invoke(seed, name, {"item": "book", "qty": 2})
    assert r.status_code == 200, r.text
    assert r.json()["order"]["added"] == {"item": "book", "qty": 2}
    run_name = r.headers["x-ms-workflow-run-id"]
    seen = [c for c in seed.orders.calls if c["run"] == run_name]
    assert seen == [{"path": "/add", "body": {"item": "book", "qty": 2}, "bearer": True, "run": run_name}]

    run = finished_run(seed, name, run_name)
    assert run.status == "Succeeded"
    http = action(seed, name, run_name, "Add_order")
    assert (http.status, http.code) == ("Succeeded", "OK")
    outputs = link(seed, http.outputs_link)
    assert outputs["statusCode"] == 200 and outputs["body"]["added"] == {"item": "book", "qty": 2}
    inputs = link(seed, http.inputs_link)
    assert inputs["uri"] == f"https://{seed.service}.azure-api.net/orders/add"
    assert inputs["authentication"]["type"] == "ManagedServiceIdentity"


def test_user_assigned_identity_named_in_the_authentication(seed: Seed) -> None:
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.msi.models import Identity

    kl = seed.keyless
    with kl.mgmt_client(ManagedServiceIdentityClient) as msi:  # the identity through azure-mgmt-msi
        uami = msi.user_assigned_identities.create_or_update(
            kl.e["resource_group"], f"seed-{uuid.uuid4().hex[:6]}", Identity(location=kl.e["location"])
        )
    grant(seed, uami.principal_id)
    name = f"seed-user-{uuid.uuid4().hex[:6]}"
    identity = ManagedServiceIdentity(type="UserAssigned", user_assigned_identities={uami.id: UserAssignedIdentity()})
    deploy(seed, name, definition(seed, identity=uami.id), identity)

    r = invoke(seed, name, {"item": "pen"})
    assert r.status_code == 200, r.text
    assert r.json()["order"]["added"] == {"item": "pen"}
    run_name = r.headers["x-ms-workflow-run-id"]
    assert finished_run(seed, name, run_name).status == "Succeeded"
    assert [c["path"] for c in seed.orders.calls if c["run"] == run_name] == ["/add"]


def test_identity_without_the_role_is_refused_by_the_gateway(seed: Seed) -> None:
    name = f"seed-norole-{uuid.uuid4().hex[:6]}"
    deploy(seed, name, definition(seed), ManagedServiceIdentity(type="SystemAssigned"))  # no role granted

    r = invoke(seed, name, {"item": "cup"})
    assert r.status_code == 502  # the run failed before its Response: nobody answered the caller
    run_name = r.headers["x-ms-workflow-run-id"]
    assert not [c for c in seed.orders.calls if c["run"] == run_name]  # the backend never saw it

    run = finished_run(seed, name, run_name)
    assert run.status == "Failed"
    http = action(seed, name, run_name, "Add_order")
    assert (http.status, http.code) == ("Failed", "Unauthorized")
    assert "401" in http.error["message"] and DENIED in http.error["message"]
    assert action(seed, name, run_name, "Reply").status == "Skipped"


def test_active_directory_oauth_with_a_client_secret(seed: Seed) -> None:
    """ActiveDirectoryOAuth: the run host gets the client-credentials token from keyless's token service."""
    kl = seed.keyless
    client = kl.graph("POST", "/applications", json={"displayName": f"orders-client-{uuid.uuid4().hex[:6]}"}).json()
    client_sp = kl.graph("POST", "/servicePrincipals", json={"appId": client["appId"]}).json()
    secret = kl.graph(
        "POST", f"/applications/{client['id']}/addPassword", json={"passwordCredential": {"displayName": "seed"}}
    ).json()["secretText"]
    grant(seed, client_sp["id"])
    authentication = {
        "type": "ActiveDirectoryOAuth",
        "authority": "https://login.microsoftonline.com",
        "tenant": kl.tenant,
        "audience": seed.app_id_uri,
        "clientId": client["appId"],
        "secret": secret,
    }
    name = f"seed-oauth-{uuid.uuid4().hex[:6]}"
    deploy(seed, name, definition(seed, authentication=authentication), ManagedServiceIdentity(type="None"))

    r = invoke(seed, name, {"item": "lamp"})
    assert r.status_code == 200, r.text
    assert r.json()["order"]["added"] == {"item": "lamp"}
    http = action(seed, name, r.headers["x-ms-workflow-run-id"], "Add_order")
    assert link(seed, http.inputs_link)["authentication"]["secret"] != secret  # recorded sanitized


def test_active_directory_oauth_with_a_client_certificate(seed: Seed) -> None:
    """ActiveDirectoryOAuth with a PFX: the run host signs a client assertion with the certificate's key."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    from tests.identity.graph_helpers import certificate

    kl = seed.keyless
    key, cert = certificate("orders-client")
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    client = kl.graph(
        "POST",
        "/applications",
        json={
            "displayName": f"orders-cert-{uuid.uuid4().hex[:6]}",
            "keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": der}],
        },
    )
    assert client.status_code == 201, client.text
    client_sp = kl.graph("POST", "/servicePrincipals", json={"appId": client.json()["appId"]}).json()
    grant(seed, client_sp["id"])
    pfx = pkcs12.serialize_key_and_certificates(
        b"orders", key, cert, None, serialization.BestAvailableEncryption(b"pfx-password")
    )
    authentication = {
        "type": "ActiveDirectoryOAuth",
        "tenant": kl.tenant,
        "audience": seed.app_id_uri,
        "clientId": client.json()["appId"],
        "pfx": base64.b64encode(pfx).decode(),
        "password": "pfx-password",
    }
    name = f"seed-cert-{uuid.uuid4().hex[:6]}"
    deploy(seed, name, definition(seed, authentication=authentication), ManagedServiceIdentity(type="None"))

    r = invoke(seed, name, {"item": "desk"})
    assert r.status_code == 200, r.text
    assert r.json()["order"]["added"] == {"item": "desk"}


def test_user_assigned_identity_without_the_role_is_refused(seed: Seed) -> None:
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.msi.models import Identity

    kl = seed.keyless
    with kl.mgmt_client(ManagedServiceIdentityClient) as msi:
        uami = msi.user_assigned_identities.create_or_update(
            kl.e["resource_group"], f"seed-norole-{uuid.uuid4().hex[:6]}", Identity(location=kl.e["location"])
        )
    name = f"seed-user-norole-{uuid.uuid4().hex[:6]}"
    identity = ManagedServiceIdentity(type="UserAssigned", user_assigned_identities={uami.id: UserAssignedIdentity()})
    deploy(seed, name, definition(seed, identity=uami.id), identity)

    r = invoke(seed, name, {"item": "ink"})
    assert r.status_code == 502
    run_name = r.headers["x-ms-workflow-run-id"]
    assert finished_run(seed, name, run_name).status == "Failed"
    http = action(seed, name, run_name, "Add_order")
    assert (http.status, http.code) == ("Failed", "Unauthorized")
    assert "keyless: validate-jwt" in http.error["message"] and "AddRole" in http.error["message"]
    assert not [c for c in seed.orders.calls if c["run"] == run_name]
