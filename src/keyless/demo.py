"""`keyless demo` (and `make demo`): the seed scenario end to end, through the public APIs only, with evidence.

It starts keyless on a fresh data dir and a small local backend, then performs the six steps every user of this
chain follows — (1) register the API's application with an Application ID URI and the app role `AddRole`;
(2) give a Logic App a system-assigned managed identity; (3) assign it the role; (4) a workflow whose Http action
calls the API through the gateway with a subscription key and Managed Identity authentication; (5) the API in
the gateway with `validate-jwt` checking audience and `roles`; (6) trigger it through its callback URL — and
prints the evidence: the token's claims as the backend received them, the gateway's decision, the run's actions.
Then a workflow whose identity lacks the role is refused, and the run history says why in one line.
Exit status 1 when anything differs from what Azure would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import tempfile
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt

from keyless.cli.cloud import CliError, Cloud
from keyless.platform.settings import Settings

API_URI = "api://keyless-demo-api"
ROLE = "AddRole"


class DemoFailure(Exception):
    pass


@contextlib.contextmanager
def running_keyless(data_dir: Path) -> Iterator[dict[str, Any]]:
    """keyless in this process, on a thread of its own, until the block ends."""
    from keyless.server import serve

    ready, failed = threading.Event(), []
    holder: dict[str, Any] = {}

    def run() -> None:
        async def main() -> None:
            holder["stop"] = stop = asyncio.Event()
            holder["loop"] = asyncio.get_running_loop()
            started = asyncio.Event()
            task = asyncio.create_task(serve(Settings.from_env(data_dir, port=0), ready=started, stop=stop))
            await started.wait()
            ready.set()
            await task

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced to the caller below
            failed.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="keyless", daemon=True)
    thread.start()
    ready.wait(60)
    if failed:
        raise DemoFailure(f"keyless did not start: {failed[0]}")
    try:
        yield json.loads((data_dir / "endpoints.json").read_text())
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(15)


def expect(r: httpx.Response, *statuses: int) -> Any:
    if r.status_code not in statuses:
        raise DemoFailure(f"{r.request.method} {r.request.url.path} answered {r.status_code}: {r.text[:400]}")
    return r.json() if r.content else None


def step(n: int | str, text: str) -> None:
    print(f"\n[{n}] {text}", flush=True)


def show(label: str, value: Any) -> None:
    print(f"    {label:<22} {value}", flush=True)


SERVICE = "contoso-demo"
LOGIC = "2019-05-01"
APIM = "2022-08-01"
POLICY = """<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401">
      <openid-config url="https://login.microsoftonline.com/{tid}/.well-known/openid-configuration" />
      <audiences><audience>{audience}</audience></audiences>
      <required-claims><claim name="roles" match="any"><value>{role}</value></claim></required-claims>
    </validate-jwt>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>"""


def workflow_definition(service: str) -> dict[str, Any]:
    """Request → Http (Managed Identity, audience = the API's Application ID URI, subscription key) → Response."""
    return {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"subscriptionKey": {"type": "securestring"}},
        "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"method": "POST"}}},
        "actions": {
            "Call_orders_API": {
                "type": "Http",
                "inputs": {
                    "method": "POST",
                    "uri": f"https://{service}.azure-api.net/orders/add",
                    "headers": {"Ocp-Apim-Subscription-Key": "@parameters('subscriptionKey')"},
                    "body": "@triggerBody()",
                    "authentication": {"type": "ManagedServiceIdentity", "audience": API_URI},
                },
                "runAfter": {},
            },
            "Response": {
                "type": "Response",
                "kind": "Http",
                "inputs": {"statusCode": 200, "body": "@body('Call_orders_API')"},
                "runAfter": {"Call_orders_API": ["Succeeded"]},
            },
        },
    }


class Backend(ThreadingHTTPServer):
    """The API behind the gateway: it answers with what it received, including the caller's token claims."""

    calls: list[dict[str, Any]]


class _Handler(BaseHTTPRequestHandler):
    server: Backend

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        claims = jwt.decode(token, options={"verify_signature": False}) if token else {}
        call = {"path": self.path, "body": json.loads(body or b"null"), "caller": claims}
        self.server.calls.append(call)
        payload = json.dumps({"added": call["body"], "by": claims.get("oid")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def backend() -> Iterator[Backend]:
    server = Backend(("127.0.0.1", 0), _Handler)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, name="demo-backend", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run_actions(c: Cloud, workflow_id: str, run: str) -> list[dict[str, Any]]:
    return list(c.arm("GET", f"{workflow_id}/runs/{run}/actions", api_version=LOGIC, ok=(200,))["value"])


def trigger(c: Cloud, url: str, body: Any) -> httpx.Response:
    return c.client.post(url, json=body)


def run(data_dir: Path) -> None:
    with (
        captured_logs() as logs,
        running_keyless(data_dir) as e,
        backend() as api,
        contextlib.closing(Cloud.keyless(data_dir)) as c,
    ):
        print(f"keyless is up: tenant {e['tenant_id']}, data in {data_dir}")
        print(f"the orders API (the backend) listens on http://127.0.0.1:{api.server_address[1]}")

        step(1, f"Register the API's application: Application ID URI {API_URI}, app role {ROLE} (Graph)")
        app = c.graph_call("POST", "/applications", {"displayName": "orders-api", "identifierUris": [API_URI]})
        role = {
            "id": str(uuid.uuid4()),
            "value": ROLE,
            "displayName": ROLE,
            "description": "May add orders",
            "allowedMemberTypes": ["Application"],
            "isEnabled": True,
        }
        c.graph_call("PATCH", f"/applications/{app['id']}", {"appRoles": [role]})
        api_sp = c.graph_call("POST", "/servicePrincipals", {"appId": app["appId"]})
        show("appId", app["appId"])
        show("service principal", api_sp["id"])

        step(2, "Give two Logic Apps a system-assigned managed identity (ARM, Microsoft.Logic/workflows)")
        key = secrets.token_hex(16)
        flows = {}
        for name in ("orders-flow", "intruder-flow"):
            workflow_id = f"{c.group_path}/providers/Microsoft.Logic/workflows/{name}"
            body = {
                "location": c.location,
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "state": "Enabled",
                    "definition": workflow_definition(SERVICE),
                    "parameters": {"subscriptionKey": {"value": key}},
                },
            }
            made = c.arm("PUT", workflow_id, body, api_version=LOGIC)
            flows[name] = (workflow_id, made["identity"]["principalId"])
            show(name, f"principalId {made['identity']['principalId']}")

        step(3, f"Assign orders-flow's identity the app role {ROLE} (Graph appRoleAssignedTo)")
        assignment = c.graph_call(
            "POST",
            f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
            {"principalId": flows["orders-flow"][1], "resourceId": api_sp["id"], "appRoleId": role["id"]},
        )
        show("assignment", assignment["id"])
        show("intruder-flow", "no role assigned")

        step(4, "The workflows: Request → Http (Managed Identity, audience the API, subscription key) → Response")
        show("Http uri", f"https://{SERVICE}.azure-api.net/orders/add")
        show("authentication", json.dumps({"type": "ManagedServiceIdentity", "audience": API_URI}))

        step(5, "The API in the gateway, validate-jwt checking the audience and `roles` (ARM, API Management)")
        service = f"{c.group_path}/providers/Microsoft.ApiManagement/service/{SERVICE}"
        c.arm(
            "PUT",
            service,
            {
                "location": c.location,
                "sku": {"name": "Developer", "capacity": 1},
                "properties": {"publisherEmail": "demo@contoso.com", "publisherName": "demo"},
            },
            api_version=APIM,
        )
        c.arm(
            "PUT",
            f"{service}/apis/orders",
            {
                "properties": {
                    "displayName": "orders",
                    "path": "orders",
                    "protocols": ["https"],
                    "serviceUrl": f"http://127.0.0.1:{api.server_address[1]}",
                }
            },
            api_version=APIM,
        )
        c.arm(
            "PUT",
            f"{service}/apis/orders/operations/add",
            {"properties": {"displayName": "add", "method": "POST", "urlTemplate": "/add"}},
            api_version=APIM,
        )
        policy = POLICY.format(tid=e["tenant_id"], audience=API_URI, role=ROLE)
        c.arm(
            "PUT",
            f"{service}/apis/orders/policies/policy",
            {"properties": {"format": "rawxml", "value": policy}},
            api_version=APIM,
        )
        c.arm(
            "PUT",
            f"{service}/subscriptions/orders-client",
            {
                "properties": {
                    "scope": f"{service}/apis/orders",
                    "displayName": "orders client",
                    "state": "active",
                    "primaryKey": key,
                }
            },
            api_version=APIM,
        )
        show("policy", "validate-jwt: audience " + API_URI + f", roles contains {ROLE}")
        show("subscription", "orders-client (its primary key is the workflows' subscriptionKey parameter)")

        step(6, "Trigger orders-flow through its callback URL")
        workflow_id = flows["orders-flow"][0]
        url = c.arm("POST", f"{workflow_id}/triggers/manual/listCallbackUrl", {}, api_version=LOGIC, ok=(200,))["value"]
        response = trigger(c, url, {"item": "book", "quantity": 1})
        run_name = response.headers.get("x-ms-workflow-run-id", "")
        show("response", f"{response.status_code} {response.text[:120]}")
        if response.status_code != 200 or not api.calls:
            raise DemoFailure(f"the workflow did not reach the API: {response.status_code} {response.text[:300]}")
        caller = api.calls[-1]["caller"]
        for claim in ("aud", "iss", "oid", "roles", "xms_mirid"):
            show(f"token {claim}", caller.get(claim))
        if caller.get("aud") != API_URI or ROLE not in (caller.get("roles") or []):
            raise DemoFailure(f"the API received a token it should not have accepted: {caller}")
        show("gateway", "accepted: subscription key, signature, issuer, audience and roles all match")
        actions = run_actions(c, workflow_id, run_name)
        for action in actions:
            show(f"run action {action['name']}", f"{action['properties']['status']} ({action['properties']['code']})")
        if any(a["properties"]["status"] != "Succeeded" for a in actions):
            raise DemoFailure("a run action did not succeed")

        step("6b", "Trigger intruder-flow, whose identity holds no role: the gateway refuses it")
        workflow_id = flows["intruder-flow"][0]
        url = c.arm("POST", f"{workflow_id}/triggers/manual/listCallbackUrl", {}, api_version=LOGIC, ok=(200,))["value"]
        calls_before = len(api.calls)
        response = trigger(c, url, {"item": "book"})
        run_name = response.headers.get("x-ms-workflow-run-id", "")
        show("response", f"{response.status_code}")
        failed = [a for a in run_actions(c, workflow_id, run_name) if a["properties"]["status"] == "Failed"]
        if response.status_code == 200 or len(api.calls) != calls_before or not failed:
            raise DemoFailure("a workflow without the role reached the API")
        error = failed[0]["properties"].get("error") or {}
        show(f"run action {failed[0]['name']}", f"Failed ({failed[0]['properties']['code']})")
        show("why", error.get("message", ""))
        for line in joined_log_lines(logs.lines, run_name):
            show("log", line)
    print("\nThe chain behaves as Azure's does: identity, gateway and workflow.")


class LogLines(logging.Handler):
    """keyless's INFO lines of this demo, kept to show how one correlation id joins the services."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


@contextlib.contextmanager
def captured_logs() -> Iterator[LogLines]:
    logger = logging.getLogger("keyless")
    handler, level = LogLines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def joined_log_lines(lines: list[str], run_name: str) -> list[str]:
    """The identity, gateway and workflow lines of the run's refused call: they share its correlation id."""
    mine = next((line for line in lines if f"run={run_name}" in line and "correlation=" in line), None)
    found = re.search(r"correlation=(\S+)", mine or "")
    if found is None:
        raise DemoFailure(f"no workflow log line names run {run_name}")
    tag = f"correlation={found.group(1)}"
    joined = [line[:160] + ("..." if len(line) > 160 else "") for line in lines if tag in line]
    services = {line.split(":", 1)[0] for line in joined}
    if not {"keyless.identity", "keyless.gateway", "keyless.workflows"} <= services:
        raise DemoFailure(f"the refused call's {tag} is not in every service's log: {sorted(services)}")
    return joined


def main(data_dir: Path | None = None) -> int:
    try:
        if data_dir is None:
            with tempfile.TemporaryDirectory(prefix="keyless-demo-") as tmp:
                run(Path(tmp))
        else:
            run(data_dir)
    except (DemoFailure, CliError, httpx.HTTPError) as exc:
        print(f"\nDEMO FAILED: {exc}", flush=True)
        return 1
    return 0
