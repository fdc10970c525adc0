"""The seed scenario's CLI verbs against a running keyless: each step, its output, and its refusals."""

from __future__ import annotations

import json
import uuid
from typing import Any

from typer.testing import CliRunner

from keyless.cli.main import app
from tests.conftest import Keyless

POLICY = """<policies><inbound><base /><validate-jwt header-name="Authorization">
<openid-config url="https://login.microsoftonline.com/{tid}/v2.0/.well-known/openid-configuration" />
<audiences><audience>{aud}</audience></audiences>
<required-claims><claim name="roles" match="any"><value>AddRole</value></claim></required-claims>
</validate-jwt></inbound><backend><base /></backend><outbound><base /></outbound>
<on-error><base /></on-error></policies>"""


def run(keyless: Keyless, *args: str, ok: bool = True) -> Any:
    result = CliRunner().invoke(app, [*args, "--data-dir", str(keyless.data_dir), "--output", "json"])
    if ok:
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)
    assert result.exit_code != 0, result.output
    return result.output


def test_six_steps_by_cli(keyless: Keyless) -> None:
    suffix = uuid.uuid4().hex[:8]
    uri = f"api://orders-{suffix}"
    made = run(keyless, "ad", "app", "create", "--display-name", f"orders-{suffix}", "--identifier-uri", uri)
    assert made["identifierUris"] == [uri]
    role = run(keyless, "ad", "app", "role", "add", "--app", uri, "--value", "AddRole")
    assert role["allowedMemberTypes"] == ["Application"]
    assert "already has an app role" in run(
        keyless, "ad", "app", "role", "add", "--app", uri, "--value", "AddRole", ok=False
    )
    assert "has no service principal" in run(
        keyless, "role", "assign", "--assignee", str(uuid.uuid4()), "--api", uri, "--role", "AddRole", ok=False
    )
    sp = run(keyless, "ad", "sp", "create", "--id", uri)
    assert sp["appId"] == made["appId"]

    identity = run(keyless, "identity", "create", "--name", f"orders-id-{suffix}")
    principal = identity["properties"]["principalId"]
    assert "has no app role 'Nope' (it has: AddRole)" in run(
        keyless, "role", "assign", "--assignee", identity["id"], "--api", uri, "--role", "Nope", ok=False
    )
    assignment = run(keyless, "role", "assign", "--assignee", identity["id"], "--api", uri, "--role", "AddRole")
    assert assignment["principalId"] == principal
    assert assignment["appRoleId"] == role["id"]
    listed = keyless.graph("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo").json()["value"]
    assert [a["principalId"] for a in listed] == [principal]

    service = f"contoso{suffix}"
    svc = run(keyless, "apim", "service", "create", "--name", service)
    assert svc["properties"]["gatewayUrl"].startswith("http://127.0.0.1:")  # the local gateway listener
    api = run(
        keyless,
        "apim",
        "api",
        "create",
        "-s",
        service,
        "-n",
        "orders",
        "--path",
        "orders",
        "--backend",
        "http://127.0.0.1:9",
        "--operation",
        "POST /orders",
    )
    assert api["properties"]["path"] == "orders"
    refused = run(
        keyless, "apim", "policy", "set", "-s", service, "--api", "orders", "--xml", "<policies><inbound>", ok=False
    )
    assert "ValidationError" in refused and "line" in refused
    policy = POLICY.replace("{tid}", keyless.tenant).replace("{aud}", uri)
    run(keyless, "apim", "policy", "set", "-s", service, "--api", "orders", "--xml", policy)
    sub = run(keyless, "apim", "subscription", "create", "-s", service, "-n", "client", "--scope", "/apis/orders")
    keys = run(keyless, "apim", "subscription", "keys", "-s", service, "-n", "client")
    assert keys["primaryKey"] == sub["primaryKey"] and len(keys["primaryKey"]) >= 32


def test_table_output_and_unknown_application(keyless: Keyless) -> None:
    result = CliRunner().invoke(
        app, ["ad", "app", "create", "--display-name", "tabled", "--data-dir", str(keyless.data_dir)]
    )
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()[:2]
    assert header.split()[:3] == ["displayName", "appId", "id"]
    assert row.startswith("tabled")
    result = CliRunner().invoke(
        app, ["ad", "app", "show", "--app", "api://nobody-has-this", "--data-dir", str(keyless.data_dir)]
    )
    assert result.exit_code == 1
    assert "no application matches 'api://nobody-has-this'" in result.output
