"""The seed scenario's CLI verbs against a running keyless: each step, its output, and its refusals."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from keyless.cli.main import app
from tests.conftest import ROOT, Keyless

EXAMPLES = ROOT / "examples" / "seed"

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


class Backend:
    """A local API that answers what it received (the gateway forwards to it)."""

    def __enter__(self) -> Backend:
        import json as _json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        calls = self.calls = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                calls.append(body)
                payload = _json.dumps({"added": _json.loads(body or b"null")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_readme_script_with_the_examples(keyless: Keyless, tmp_path: Path) -> None:
    """The README's six steps, verb by verb, with examples/seed: a run that succeeds, and one refused."""
    suffix = uuid.uuid4().hex[:6]
    api_uri = "api://orders-api"  # examples/seed/validate-jwt.xml names this audience
    service = f"contoso{suffix}"
    # The session's keyless is shared: register the API once (another test may already have).
    exists = CliRunner().invoke(app, ["ad", "app", "show", "--app", api_uri, "--data-dir", str(keyless.data_dir)])
    if exists.exit_code != 0:
        run(keyless, "ad", "app", "create", "--display-name", "orders-api", "--identifier-uri", api_uri)
        run(keyless, "ad", "app", "role", "add", "--app", api_uri, "--value", "AddRole")
        run(keyless, "ad", "sp", "create", "--id", api_uri)
    with Backend() as backend:
        run(keyless, "apim", "service", "create", "--name", service)
        run(keyless, "apim", "named-value", "set", "-s", service, "-n", "tenant-id", "--value", keyless.tenant)
        run(
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
            backend.url,
            "--operation",
            "POST /add",
        )
        run(
            keyless,
            "apim",
            "policy",
            "set",
            "-s",
            service,
            "--api",
            "orders",
            "--file",
            str(EXAMPLES / "validate-jwt.xml"),
        )
        key = run(keyless, "apim", "subscription", "create", "-s", service, "-n", "client", "--scope", "/apis/orders")
        params = json.dumps(
            {
                "apimService": {"value": service},
                "audience": {"value": api_uri},
                "subscriptionKey": {"value": key["primaryKey"]},
            }
        )
        flows = {}
        for name in (f"orders-{suffix}", f"intruder-{suffix}"):
            made = run(
                keyless,
                "workflow",
                "create",
                "-n",
                name,
                "--definition",
                str(EXAMPLES / "workflow.json"),
                "--identity",
                "system",
                "--parameters",
                params,
            )
            assert set(made["callbackUrls"]) == {"manual"}
            flows[name] = made
        run(
            keyless,
            "role",
            "assign",
            "--assignee",
            flows[f"orders-{suffix}"]["id"],
            "--api",
            api_uri,
            "--role",
            "AddRole",
        )

        done = run(keyless, "workflow", "trigger", "-n", f"orders-{suffix}", "--body", '{"item": "book"}')
        assert done["status"] == 200 and done["body"] == {"added": {"item": "book"}}
        runs = run(keyless, "workflow", "runs", "-n", f"orders-{suffix}")
        assert runs[0]["name"] == done["run"] and runs[0]["properties"]["status"] == "Succeeded"

        refused = CliRunner().invoke(
            app,
            [
                "workflow",
                "trigger",
                "-n",
                f"intruder-{suffix}",
                "--body",
                "{}",
                "--data-dir",
                str(keyless.data_dir),
                "--output",
                "json",
            ],
        )
        assert refused.exit_code == 1
        run_name = json.loads(refused.stdout)["run"]
        shown = CliRunner().invoke(
            app, ["workflow", "show", run_name, "-n", f"intruder-{suffix}", "--data-dir", str(keyless.data_dir)]
        )
        assert shown.exit_code == 0, shown.output
        assert f"run {run_name}: Failed" in shown.stdout
        line = next(row for row in shown.stdout.splitlines() if row.startswith("Call_orders_API"))
        assert "Failed" in line and "Unauthorized" in line and "401" in line
        assert len(backend.calls) == 1  # the refused call never reached the API
